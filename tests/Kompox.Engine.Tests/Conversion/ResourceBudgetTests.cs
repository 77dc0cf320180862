using k8s.Models;
using Kompox.Compose;
using Kompox.Conversion;
using Xunit;
using static Kompox.Tests.Conversion.AppConverterTests;
using static Kompox.Tests.Conversion.ConversionFixtures;

namespace Kompox.Tests.Conversion;

public class ResourceBudgetTests
{
    private static IDictionary<string, V1ResourceRequirements> Resources(AppManifest manifest) =>
        Find<V1Deployment>(manifest, "my-app").Spec.Template.Spec.Containers.ToDictionary(c => c.Name, c => c.Resources);

    private static string Quantity(IDictionary<string, ResourceQuantity> map, string key) => map[key].ToString();

    [Fact]
    public void Quota_is_the_app_budget()
    {
        var manifest = ConvertValid(App(resources: new Dictionary<string, string> { ["cpu"] = "1500m", ["memory"] = "2Gi" }), Gitea(), K3sDisk);

        var hard = Find<V1ResourceQuota>(manifest, "my-app").Spec.Hard;
        Assert.Equal("1500m", Quantity(hard, "limits.cpu"));
        Assert.Equal("2Gi", Quantity(hard, "limits.memory"));
        Assert.Equal("1500m", Quantity(hard, "requests.cpu"));
        Assert.Equal("2Gi", Quantity(hard, "requests.memory"));
    }

    [Fact]
    public void Containers_without_limits_share_the_budget_evenly()
    {
        var resources = Resources(ConvertValid(App(resources: new Dictionary<string, string> { ["cpu"] = "1", ["memory"] = "2Gi" }), Gitea(), K3sDisk));

        Assert.All(resources.Values, r =>
        {
            Assert.Equal("500m", Quantity(r.Limits, "cpu"));
            Assert.Equal("1Gi", Quantity(r.Limits, "memory"));
            Assert.Null(r.Requests);
        });
    }

    [Fact]
    public void Own_limits_are_kept_and_the_rest_is_shared_rounded_down()
    {
        var db = Service("db") with { Limits = new ComposeResources("0.5", 512L * 1024 * 1024, At), Reservations = new ComposeResources("0.25", 256L * 1024 * 1024, At) };
        var project = Project(db, Service("web"), Service("worker"));
        var resources = Resources(ConvertValid(App(resources: new Dictionary<string, string> { ["cpu"] = "1", ["memory"] = "1Gi" }), project, K3sDisk));

        Assert.Equal("500m", Quantity(resources["db"].Limits, "cpu"));
        Assert.Equal("512Mi", Quantity(resources["db"].Limits, "memory"));
        Assert.Equal("250m", Quantity(resources["db"].Requests, "cpu"));
        Assert.Equal("256Mi", Quantity(resources["db"].Requests, "memory"));
        Assert.Equal("250m", Quantity(resources["web"].Limits, "cpu"));
        Assert.Equal("256Mi", Quantity(resources["web"].Limits, "memory"));

        var odd = Resources(ConvertValid(App(resources: new Dictionary<string, string> { ["cpu"] = "1", ["memory"] = "1Gi" }), Project(Service("a"), Service("b"), Service("c")), K3sDisk));
        Assert.Equal("333m", Quantity(odd["a"].Limits, "cpu"));
        Assert.Equal("341Mi", Quantity(odd["a"].Limits, "memory"));
    }

    [Fact]
    public void An_app_without_resources_gets_the_documented_defaults()
    {
        var manifest = ConvertValid(App(resources: new Dictionary<string, string>()), Project(Service("web")), K3sDisk);

        var hard = Find<V1ResourceQuota>(manifest, "my-app").Spec.Hard;
        Assert.Equal(ResourceBudget.DefaultCpu, Quantity(hard, "limits.cpu"));
        Assert.Equal(ResourceBudget.DefaultMemory, Quantity(hard, "limits.memory"));
        Assert.Equal("1Gi", Quantity(Resources(manifest)["web"].Limits, "memory"));
    }

    [Theory]
    [InlineData("cpu", "lots", "app.resources.cpu")]
    [InlineData("memory", "0", "app.resources.memory")]
    public void Unreadable_app_resources_are_errors(string key, string value, string expectedKey)
    {
        var resources = new Dictionary<string, string> { ["cpu"] = "1", ["memory"] = "1Gi", [key] = value };

        var error = Assert.Throws<KompoxValidationException>(() => AppConverter.Convert(App(resources: resources), Project(Service("web")), K3sDisk));
        var problem = Assert.Single(error.Problems);
        Assert.Equal(expectedKey, problem.Key);
        Assert.Equal("/home/me/kompoxops.yml", problem.File);
    }

    [Fact]
    public void Limits_beyond_the_budget_are_an_error()
    {
        var web = Service("web") with { Limits = new ComposeResources("2", null, At) };

        var error = Assert.Throws<KompoxValidationException>(() => AppConverter.Convert(App(), Project(web), K3sDisk));
        Assert.Equal("app.resources.cpu", Assert.Single(error.Problems).Key);
    }

    [Fact]
    public void A_reservation_above_the_limit_is_an_error()
    {
        var web = Service("web") with { Reservations = new ComposeResources(null, 4L * 1024 * 1024 * 1024, At) };

        var error = Assert.Throws<KompoxValidationException>(() => AppConverter.Convert(App(), Project(web), K3sDisk));
        var problem = Assert.Single(error.Problems);
        Assert.Equal("services.web.deploy.resources.reservations.memory", problem.Key);
        Assert.Equal("web", problem.Service);
    }
}
