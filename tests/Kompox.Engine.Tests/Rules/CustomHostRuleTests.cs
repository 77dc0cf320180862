using Kompox.Model;

namespace Kompox.Tests.Rules;

public class CustomHostRuleTests
{
    private const string AppDomain = "lab.apps.example.com";

    private static (IReadOnlyList<CustomHost> Hosts, List<KeyProblem> Problems) Check(params (string Key, string Host)[] ingress)
    {
        var problems = new List<KeyProblem>();
        var hosts = Names.CustomHosts(ingress.Select(e => KeyValuePair.Create(e.Key, e.Host)), AppDomain, problems);
        return (hosts, problems);
    }

    [Fact]
    public void Hosts_are_given_by_port_in_port_order()
    {
        var (hosts, problems) = Check(("http_8080", "api.example.org"), ("http_80", "www.example.org"));

        Assert.Empty(problems);
        Assert.Equal(new[] { new CustomHost(80, "http_80", "www.example.org"), new CustomHost(8080, "http_8080", "api.example.org") }, hosts);
    }

    [Theory]
    [InlineData("https_443")]
    [InlineData("http_")]
    [InlineData("http_0")]
    [InlineData("http_65536")]
    [InlineData("http_123456")]
    [InlineData("HTTP_80")]
    public void A_key_must_name_a_port(string key)
    {
        var (hosts, problems) = Check((key, "www.example.org"));

        Assert.Empty(hosts);
        var problem = Assert.Single(problems);
        Assert.Equal($"app.ingress.{key}", problem.Key);
        Assert.Contains("is not a port key; write http_<port>", problem.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("WWW.example.org")]
    [InlineData("*.example.org")]
    [InlineData("www..example.org")]
    [InlineData("www.example.org.")]
    [InlineData("")]
    public void A_host_must_be_a_DNS_name(string host)
    {
        var (hosts, problems) = Check(("http_80", host));

        Assert.Empty(hosts);
        Assert.StartsWith("custom host ", Assert.Single(problems).Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(AppDomain)]
    [InlineData("www.lab.apps.example.com")]
    [InlineData("a.b.lab.apps.example.com")]
    public void A_host_must_not_lie_under_the_app_domain(string host)
    {
        var (hosts, problems) = Check(("http_80", host));

        Assert.Empty(hosts);
        Assert.Contains("lies under the cluster's app domain lab.apps.example.com", Assert.Single(problems).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_host_beside_the_app_domain_is_not_under_it()
    {
        var (hosts, problems) = Check(("http_80", "xlab.apps.example.com"));

        Assert.Empty(problems);
        Assert.Single(hosts);
    }

    [Fact]
    public void Without_a_known_app_domain_that_rule_is_skipped()
    {
        var problems = new List<KeyProblem>();
        var hosts = Names.CustomHosts(new Dictionary<string, string> { ["http_80"] = "www.lab.apps.example.com" }, appDomain: null, problems);

        Assert.Empty(problems);
        Assert.Single(hosts);
    }

    [Fact]
    public void A_host_routes_to_one_port()
    {
        var (hosts, problems) = Check(("http_80", "www.example.org"), ("http_8080", "www.example.org"));

        Assert.Equal(80, Assert.Single(hosts).Port);
        var problem = Assert.Single(problems);
        Assert.Equal("app.ingress.http_8080", problem.Key);
        Assert.Contains("is already used by app.ingress.http_80", problem.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_port_has_one_custom_host_however_its_key_is_spelt()
    {
        var (hosts, problems) = Check(("http_80", "www.example.org"), ("http_080", "web.example.org"));

        Assert.Equal("http_080", Assert.Single(hosts).Key);
        var problem = Assert.Single(problems);
        Assert.Equal("app.ingress.http_80", problem.Key);
        Assert.Equal("port 80 already has its custom host in app.ingress.http_080", problem.Message);
    }
}
