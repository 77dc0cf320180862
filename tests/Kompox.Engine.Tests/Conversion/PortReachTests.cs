using k8s.Models;
using Kompox.Compose;
using Kompox.Conversion;
using Xunit;
using static Kompox.Tests.Conversion.AppConverterTests;
using static Kompox.Tests.Conversion.ConversionFixtures;

namespace Kompox.Tests.Conversion;

public class PortReachTests
{
    // Docker binds "127.0.0.1:8081:8080" on the host's loopback interface only
    // (docs.docker.com/engine/network/#published-ports: "-p 127.0.0.1:8080:80 ... only accessible from the Docker host"),
    // so such a port must not become a public HTTPS host.
    [Theory]
    [InlineData("127.0.0.1")]
    [InlineData("127.10.0.3")]
    [InlineData("::1")]
    [InlineData("[::1]")]
    [InlineData("::ffff:127.0.0.1")]
    public void A_port_published_on_loopback_stays_internal_with_a_warning(string hostIp)
    {
        var web = Service("web") with { Ports = new[] { Port(8080, 8081) with { HostIp = hostIp } } };
        var manifest = ConvertValid(App(), Project(web), K3sDisk);

        Assert.Empty(manifest.Objects.OfType<V1Service>());
        Assert.Empty(manifest.Objects.OfType<V1Ingress>());
        var container = Find<V1Deployment>(manifest, "my-app").Spec.Template.Spec.Containers[0];
        Assert.Equal(8080, Assert.Single(container.Ports).ContainerPort);
        var warning = Assert.Single(manifest.Warnings);
        Assert.Equal("services.web.ports[0]", warning.Key);
        Assert.Contains("loopback", warning.Message);
        Assert.Contains("no Service, no Ingress", warning.Message);
    }

    [Fact]
    public void A_loopback_port_takes_no_exposed_port_and_cannot_have_a_custom_host()
    {
        var web = Service("web") with { Ports = new[] { Port(8080, 8081, 0) with { HostIp = "127.0.0.1" } } };
        var api = Service("api") with { Ports = new[] { Port(9000, 8081, 0) } };
        var manifest = ConvertValid(App(), Project(web, api), K3sDisk);
        Assert.Equal("9000", Find<V1Service>(manifest, "my-app-8081").Spec.Ports[0].TargetPort.Value);

        var error = Assert.Throws<KompoxValidationException>(() =>
            AppConverter.Convert(App(ingress: new Dictionary<string, string> { ["http_8081"] = "www.example.org" }), Project(web), K3sDisk));
        Assert.Equal("app.ingress.http_8081", Assert.Single(error.Problems, p => p.Severity == Severity.Error).Key);
    }

    // The ingress is Traefik's websecure entrypoint with HTTP routers (SPEC section 4): it speaks HTTP(S) only.
    [Theory]
    [InlineData(5432, 5432, "PostgreSQL")]
    [InlineData(22, 2222, "SSH")]
    [InlineData(6379, 16379, "Redis")]
    [InlineData(2222, 22, "SSH")]
    public void A_published_well_known_non_http_port_gets_a_warning(int target, int published, string protocol)
    {
        var manifest = ConvertValid(App(), Project(Service("db") with { Ports = new[] { Port(target, published) } }), K3sDisk);

        var warning = Assert.Single(manifest.Warnings);
        Assert.Equal(("services.db.ports[0]", "db"), (warning.Key, warning.Service));
        Assert.Contains($"{protocol}'s", warning.Message);
        Assert.Contains("HTTP(S) only", warning.Message);
    }

    [Fact]
    public void An_http_port_gets_no_warning()
    {
        var manifest = ConvertValid(App(), Project(Service("web") with { Ports = new[] { Port(80, 8080), Port(3000, 3000, 1) } }), K3sDisk);

        Assert.Empty(manifest.Warnings);
    }
}
