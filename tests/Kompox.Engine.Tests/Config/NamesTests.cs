using Kompox.Model;

namespace Kompox.Tests.Config;

public class NamesTests
{
    [Theory]
    [InlineData("my-app", true)]
    [InlineData("a", true)]
    [InlineData("a1", true)]
    [InlineData("1app", false)]
    [InlineData("my_app", false)]
    [InlineData("My-app", false)]
    [InlineData("app-", false)]
    [InlineData("", false)]
    public void App_names_are_DNS_1035_labels(string name, bool valid) => Assert.Equal(valid, Names.CheckAppName(name) is null);

    [Fact]
    public void App_names_have_at_most_40_characters()
    {
        Assert.Null(Names.CheckAppName(new string('a', 40)));
        Assert.NotNull(Names.CheckAppName(new string('a', 41)));
    }

    [Theory]
    [InlineData("1ops", true)]
    [InlineData("ops-1", true)]
    [InlineData("-ops", false)]
    [InlineData("o.ps", false)]
    public void Service_provider_and_cluster_names_are_RFC_1123_labels(string name, bool valid) => Assert.Equal(valid, Names.CheckDnsLabel(name) is null);

    [Fact]
    public void Labels_have_at_most_63_characters()
    {
        Assert.Null(Names.CheckDnsLabel(new string('a', 63)));
        Assert.NotNull(Names.CheckDnsLabel(new string('a', 64)));
    }

    [Theory]
    [InlineData("ops.kompox.dev", true)]
    [InlineData("a.b-c.d", true)]
    [InlineData("ops..dev", false)]
    [InlineData("ops.dev.", false)]
    [InlineData("*.ops.dev", false)]
    public void Domains_are_RFC_1123_subdomains(string name, bool valid) => Assert.Equal(valid, Names.CheckDnsSubdomain(name) is null);
}
