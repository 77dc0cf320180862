using Kompox.Testing;
using Xunit;

namespace Kompox.Tests.Validation;

public class QuantityTests
{
    [Theory]
    [InlineData("1")]
    [InlineData("250m")]
    [InlineData("1.5Gi")]
    [InlineData(".5")]
    [InlineData("5.")]
    [InlineData("+1k")]
    [InlineData("1e3")]
    [InlineData("1E-3")]
    [InlineData("100n")]
    [InlineData("2Ei")]
    public void Accepts_the_quantity_grammar(string text)
    {
        Assert.True(Quantity.TryParse(text, out _));
    }

    [Theory]
    [InlineData("")]
    [InlineData(" 1")]
    [InlineData("1 Gi")]
    [InlineData("1GB")]
    [InlineData("1K")]
    [InlineData("1ki")]
    [InlineData("1.2.3")]
    [InlineData(".")]
    [InlineData("Gi")]
    [InlineData("1e")]
    [InlineData("two")]
    public void Rejects_text_outside_the_grammar(string text)
    {
        Assert.False(Quantity.TryParse(text, out _));
    }

    [Theory]
    [InlineData("1Gi", "1073741824", 0)]
    [InlineData("1", "1000m", 0)]
    [InlineData("500m", "1", -1)]
    [InlineData("1Ki", "1k", 1)]
    [InlineData("1e3", "1k", 0)]
    [InlineData("-1", "0", -1)]
    public void Compares_exactly_across_suffixes(string left, string right, int expectedSign)
    {
        Assert.True(Quantity.TryParse(left, out var leftQuantity));
        Assert.True(Quantity.TryParse(right, out var rightQuantity));
        Assert.Equal(expectedSign, Math.Sign(leftQuantity.CompareTo(rightQuantity)));
    }

    [Theory]
    [InlineData("3", true)]
    [InlineData("3000m", true)]
    [InlineData("1500m", false)]
    [InlineData("1k", true)]
    public void Knows_whole_numbers(string text, bool isInteger)
    {
        Assert.True(Quantity.TryParse(text, out var quantity));
        Assert.Equal(isInteger, quantity.IsInteger);
    }
}

public class NameRuleTests
{
    [Theory]
    [InlineData("web", true)]
    [InlineData("a1-b2", true)]
    [InlineData("1db", true)]
    [InlineData("-web", false)]
    [InlineData("web-", false)]
    [InlineData("Web", false)]
    [InlineData("we.b", false)]
    [InlineData("", false)]
    public void Dns1123_label(string value, bool valid)
    {
        Assert.Equal(valid, NameRules.Dns1123Label(value).Count == 0);
    }

    [Theory]
    [InlineData("web", true)]
    [InlineData("1db", false)]
    [InlineData("a-", false)]
    public void Dns1035_label(string value, bool valid)
    {
        Assert.Equal(valid, NameRules.Dns1035Label(value).Count == 0);
    }

    [Theory]
    [InlineData("http", true)]
    [InlineData("h2c-web", true)]
    [InlineData("x", true)]
    [InlineData("123", false)]
    [InlineData("-http", false)]
    [InlineData("http-", false)]
    [InlineData("h--p", false)]
    [InlineData("HTTP", false)]
    [InlineData("sixteen-chars-xx", false)]
    public void Iana_service_name(string value, bool valid)
    {
        Assert.Equal(valid, NameRules.IanaServiceName(value).Count == 0);
    }

    [Theory]
    [InlineData("app", true)]
    [InlineData("app.kubernetes.io/name", true)]
    [InlineData("My_Key.v1", true)]
    [InlineData("/name", false)]
    [InlineData("example.com/", false)]
    [InlineData("_key", false)]
    [InlineData("a/b/c", false)]
    public void Qualified_name(string value, bool valid)
    {
        Assert.Equal(valid, NameRules.QualifiedName(value).Count == 0);
    }

    [Theory]
    [InlineData("DB_HOST", true)]
    [InlineData("my.env-name", true)]
    [InlineData("_x", true)]
    [InlineData("1X", false)]
    [InlineData("A B", false)]
    [InlineData("A=B", false)]
    public void Environment_variable_name(string value, bool valid)
    {
        Assert.Equal(valid, NameRules.EnvVarName(value).Count == 0);
    }

    [Theory]
    [InlineData("127.0.0.1", true)]
    [InlineData("::1", true)]
    [InlineData("2001:db8::ffff", true)]
    [InlineData("127.1", false)]
    [InlineData("1", false)]
    [InlineData("0x7f.0.0.1", false)]
    [InlineData("localhost", false)]
    [InlineData("fe80::1%eth0", false)]
    public void Ip_address(string value, bool valid)
    {
        Assert.Equal(valid, NameRules.IpAddress(value).Count == 0);
    }

    [Theory]
    [InlineData("10.0.0.0/8", true)]
    [InlineData("10.0.0.1/8", true)]
    [InlineData("2001:db8::/64", true)]
    [InlineData("10.0.0.0/33", false)]
    [InlineData("10.0.0.0", false)]
    [InlineData("10.0.0.0/", false)]
    [InlineData("10.0.0.0/+8", false)]
    public void Cidr_accepts_host_bits_like_go(string value, bool valid)
    {
        Assert.Equal(valid, NameRules.Cidr(value).Count == 0);
    }

    [Theory]
    [InlineData("*.example.com", true)]
    [InlineData("*.*.example.com", false)]
    [InlineData("a.*.example.com", false)]
    [InlineData("*example.com", false)]
    public void Wildcard_subdomain(string value, bool valid)
    {
        Assert.Equal(valid, NameRules.WildcardDns1123Subdomain(value).Count == 0);
    }
}
