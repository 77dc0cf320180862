using System.Net;
using System.Text.RegularExpressions;

namespace Kompox.Testing;

/// <summary>
/// The string syntaxes of k8s.io/apimachinery/pkg/util/validation. Each rule returns the list of
/// problems (empty when valid) so callers can report them all, as the apiserver does.
/// </summary>
internal static partial class NameRules
{
    public const int Dns1123LabelMaxLength = 63;
    public const int Dns1123SubdomainMaxLength = 253;
    public const int QualifiedNameMaxLength = 63;
    public const int LabelValueMaxLength = 63;
    public const int IanaServiceNameMaxLength = 15;
    public const int ConfigMapKeyMaxLength = 253;

    private const string Dns1123LabelFormat = "[a-z0-9]([-a-z0-9]*[a-z0-9])?";
    private const string Dns1123SubdomainFormat = Dns1123LabelFormat + "(\\." + Dns1123LabelFormat + ")*";
    private const string Dns1035LabelFormat = "[a-z]([-a-z0-9]*[a-z0-9])?";
    private const string QualifiedNameFormat = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]";
    private const string LabelValueFormat = "(" + QualifiedNameFormat + ")?";
    private const string EnvVarNameFormat = "[-._a-zA-Z][-._a-zA-Z0-9]*";
    private const string ConfigMapKeyFormat = "[-._a-zA-Z0-9]+";
    private const string WildcardDns1123SubdomainFormat = "\\*\\." + Dns1123SubdomainFormat;

    [GeneratedRegex("^" + Dns1123LabelFormat + "$")]
    private static partial Regex Dns1123LabelRegex();

    [GeneratedRegex("^" + Dns1123SubdomainFormat + "$")]
    private static partial Regex Dns1123SubdomainRegex();

    [GeneratedRegex("^" + Dns1035LabelFormat + "$")]
    private static partial Regex Dns1035LabelRegex();

    [GeneratedRegex("^" + QualifiedNameFormat + "$")]
    private static partial Regex QualifiedNameRegex();

    [GeneratedRegex("^" + LabelValueFormat + "$")]
    private static partial Regex LabelValueRegex();

    [GeneratedRegex("^" + EnvVarNameFormat + "$")]
    private static partial Regex EnvVarNameRegex();

    [GeneratedRegex("^" + ConfigMapKeyFormat + "$")]
    private static partial Regex ConfigMapKeyRegex();

    [GeneratedRegex("^" + WildcardDns1123SubdomainFormat + "$")]
    private static partial Regex WildcardDns1123SubdomainRegex();

    [GeneratedRegex("^[-a-z0-9]+$")]
    private static partial Regex IanaServiceNameCharsRegex();

    [GeneratedRegex("[a-z]")]
    private static partial Regex ContainsLowercaseLetterRegex();

    public static IReadOnlyList<string> Dns1123Label(string value)
    {
        var problems = new List<string>();
        if (value.Length > Dns1123LabelMaxLength)
        {
            problems.Add(MaxLength(Dns1123LabelMaxLength));
        }
        if (!Dns1123LabelRegex().IsMatch(value))
        {
            problems.Add(RegexMessage(
                "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character",
                Dns1123LabelFormat, "my-name", "123-abc"));
        }
        return problems;
    }

    public static IReadOnlyList<string> Dns1123Subdomain(string value)
    {
        var problems = new List<string>();
        if (value.Length > Dns1123SubdomainMaxLength)
        {
            problems.Add(MaxLength(Dns1123SubdomainMaxLength));
        }
        if (!Dns1123SubdomainRegex().IsMatch(value))
        {
            problems.Add(RegexMessage(
                "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character",
                Dns1123SubdomainFormat, "example.com"));
        }
        return problems;
    }

    public static IReadOnlyList<string> Dns1035Label(string value)
    {
        var problems = new List<string>();
        if (value.Length > Dns1123LabelMaxLength)
        {
            problems.Add(MaxLength(Dns1123LabelMaxLength));
        }
        if (!Dns1035LabelRegex().IsMatch(value))
        {
            problems.Add(RegexMessage(
                "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character",
                Dns1035LabelFormat, "my-name", "abc-123"));
        }
        return problems;
    }

    /// <summary>A host name that may start with "*." (Ingress hosts and TLS hosts).</summary>
    public static IReadOnlyList<string> WildcardDns1123Subdomain(string value)
    {
        var problems = new List<string>();
        if (value.Length > Dns1123SubdomainMaxLength)
        {
            problems.Add(MaxLength(Dns1123SubdomainMaxLength));
        }
        if (!WildcardDns1123SubdomainRegex().IsMatch(value))
        {
            problems.Add(RegexMessage(
                "a wildcard DNS-1123 subdomain must start with '*.', followed by a valid DNS subdomain, which must consist of lower case alphanumeric characters, '-' or '.' and end with an alphanumeric character",
                WildcardDns1123SubdomainFormat, "*.example.com"));
        }
        return problems;
    }

    /// <summary>Label and annotation keys: an optional DNS subdomain prefix, a slash, and a short name.</summary>
    public static IReadOnlyList<string> QualifiedName(string value)
    {
        var problems = new List<string>();
        var parts = value.Split('/');
        string namePart;
        switch (parts.Length)
        {
            case 1:
                namePart = parts[0];
                break;
            case 2:
                var prefix = parts[0];
                namePart = parts[1];
                if (prefix.Length == 0)
                {
                    problems.Add("prefix part must be non-empty");
                }
                else
                {
                    problems.AddRange(Dns1123Subdomain(prefix).Select(message => "prefix part " + message));
                }
                break;
            default:
                problems.Add(RegexMessage(
                    "a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character",
                    QualifiedNameFormat, "MyName", "my.name", "123-abc") + " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')");
                return problems;
        }

        if (namePart.Length == 0)
        {
            problems.Add("name part must be non-empty");
        }
        else if (namePart.Length > QualifiedNameMaxLength)
        {
            problems.Add("name part " + MaxLength(QualifiedNameMaxLength));
        }
        if (namePart.Length > 0 && !QualifiedNameRegex().IsMatch(namePart))
        {
            problems.Add("name part " + RegexMessage(
                "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character",
                QualifiedNameFormat, "MyName", "my.name", "123-abc"));
        }
        return problems;
    }

    public static IReadOnlyList<string> LabelValue(string value)
    {
        var problems = new List<string>();
        if (value.Length > LabelValueMaxLength)
        {
            problems.Add(MaxLength(LabelValueMaxLength));
        }
        if (!LabelValueRegex().IsMatch(value))
        {
            problems.Add(RegexMessage(
                "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character",
                LabelValueFormat, "MyValue", "my_value", "12345"));
        }
        return problems;
    }

    /// <summary>Container port names and named target ports: IANA service names (RFC 6335).</summary>
    public static IReadOnlyList<string> IanaServiceName(string value)
    {
        var problems = new List<string>();
        if (value.Length > IanaServiceNameMaxLength)
        {
            problems.Add(MaxLength(IanaServiceNameMaxLength));
        }
        if (!IanaServiceNameCharsRegex().IsMatch(value))
        {
            problems.Add("must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)");
        }
        if (!ContainsLowercaseLetterRegex().IsMatch(value))
        {
            problems.Add("must contain at least one letter (a-z)");
        }
        if (value.Contains("--", StringComparison.Ordinal))
        {
            problems.Add("must not contain consecutive hyphens");
        }
        if (value.Length > 0 && (value[0] == '-' || value[^1] == '-'))
        {
            problems.Add("must not begin or end with a hyphen");
        }
        return problems;
    }

    public static IReadOnlyList<string> PortNumber(int port) =>
        port is >= 1 and <= 65535 ? [] : ["must be between 1 and 65535, inclusive"];

    public static IReadOnlyList<string> EnvVarName(string value)
    {
        if (EnvVarNameRegex().IsMatch(value))
        {
            return [];
        }
        return [RegexMessage(
            "a valid environment variable name must consist of alphabetic characters, digits, '_', '-', or '.', and must not start with a digit",
            EnvVarNameFormat, "my.env-name", "MY_ENV.NAME", "MyEnvName1")];
    }

    public static IReadOnlyList<string> ConfigMapKey(string value)
    {
        var problems = new List<string>();
        if (value.Length > ConfigMapKeyMaxLength)
        {
            problems.Add(MaxLength(ConfigMapKeyMaxLength));
        }
        if (!ConfigMapKeyRegex().IsMatch(value))
        {
            problems.Add(RegexMessage(
                "a valid config key must consist of alphanumeric characters, '-', '_' or '.'",
                ConfigMapKeyFormat, "key.name", "KEY_NAME", "key-name"));
        }
        if (value == ".")
        {
            problems.Add("must not be '.'");
        }
        else if (value == "..")
        {
            problems.Add("must not be '..'");
        }
        else if (value.StartsWith("..", StringComparison.Ordinal))
        {
            problems.Add("must not start with '..'");
        }
        return problems;
    }

    /// <summary>RBAC object names only have to be usable as one URL path segment.</summary>
    public static IReadOnlyList<string> PathSegmentName(string value)
    {
        var problems = new List<string>();
        if (value is "." or "..")
        {
            problems.Add($"may not be '{value}'");
        }
        foreach (var illegal in new[] { "/", "%" })
        {
            if (value.Contains(illegal, StringComparison.Ordinal))
            {
                problems.Add($"may not contain '{illegal}'");
            }
        }
        return problems;
    }

    public static IReadOnlyList<string> IpAddress(string value) =>
        IsStrictIpAddress(value) ? [] : ["must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)"];

    public static IReadOnlyList<string> Cidr(string value) =>
        TryParseCidr(value, out _) ? [] : ["must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)"];

    /// <summary>
    /// Parses "address/prefix" the way Go's ParseCIDR does: host bits may be set ("10.0.0.1/8" is the
    /// network 10.0.0.0/8), which .NET's IPNetwork.TryParse refuses.
    /// </summary>
    public static bool TryParseCidr(string value, out IPNetwork network)
    {
        network = default;
        var slash = value.IndexOf('/', StringComparison.Ordinal);
        if (slash <= 0 || !IsStrictIpAddress(value[..slash]))
        {
            return false;
        }
        var prefixText = value[(slash + 1)..];
        var address = IPAddress.Parse(value[..slash]);
        var bytes = address.GetAddressBytes();
        if (prefixText.Length == 0 || !prefixText.All(char.IsAsciiDigit)
            || !int.TryParse(prefixText, out var prefixLength) || prefixLength > bytes.Length * 8)
        {
            return false;
        }
        for (var bit = prefixLength; bit < bytes.Length * 8; bit++)
        {
            bytes[bit / 8] &= (byte)~(0x80 >> (bit % 8));
        }
        network = new IPNetwork(new IPAddress(bytes), prefixLength);
        return true;
    }

    /// <summary>
    /// .NET's IPAddress.TryParse also accepts forms Go's net.ParseIP rejects ("1", "0x7f.1", "1.2.3"),
    /// so IPv4 must be four plain dotted decimals.
    /// </summary>
    public static bool IsStrictIpAddress(string value)
    {
        if (!IPAddress.TryParse(value, out var address))
        {
            return false;
        }
        if (address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6)
        {
            return value.Contains(':', StringComparison.Ordinal) && !value.Contains('%', StringComparison.Ordinal);
        }
        var octets = value.Split('.');
        return octets.Length == 4 && octets.All(octet => octet.Length is >= 1 and <= 3 && octet.All(char.IsAsciiDigit));
    }

    private static string MaxLength(int length) => $"must be no more than {length} characters";

    private static string RegexMessage(string text, string regex, params string[] examples) =>
        $"{text} (e.g. {string.Join(",  or ", examples.Select(example => $"'{example}'"))}, regex used for validation is '{regex}')";
}
