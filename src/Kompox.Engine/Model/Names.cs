using System.Text.RegularExpressions;

namespace Kompox.Model;

/// <summary>The Kubernetes/DNS name rules the resource model relies on. Each check returns why a name fails, or null.</summary>
public static partial class Names
{
    public const int MaxAppName = 40;

    [GeneratedRegex("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")]
    private static partial Regex Dns1123Label();

    [GeneratedRegex("^[a-z]([-a-z0-9]*[a-z0-9])?$")]
    private static partial Regex Dns1035Label();

    /// <summary>RFC 1123 label: Service, Provider and Cluster names, namespaces.</summary>
    public static string? CheckDnsLabel(string name, int max = 63)
    {
        if (name.Length == 0)
        {
            return "must not be empty";
        }

        if (name.Length > max)
        {
            return $"'{name}' is {name.Length} characters; at most {max} are allowed";
        }

        return Dns1123Label().IsMatch(name)
            ? null
            : $"'{name}' is not a DNS label (RFC 1123): use lowercase letters, digits and '-', starting and ending with a letter or digit";
    }

    /// <summary>DNS-1035 label of at most 40 characters: App names, from which Services and host names derive.</summary>
    public static string? CheckAppName(string name)
    {
        if (name.Length == 0)
        {
            return "must not be empty";
        }

        if (name.Length > MaxAppName)
        {
            return $"'{name}' is {name.Length} characters; an app name has at most {MaxAppName}";
        }

        return Dns1035Label().IsMatch(name)
            ? null
            : $"'{name}' is not a DNS-1035 label: use lowercase letters, digits and '-', starting with a letter and ending with a letter or digit";
    }

    /// <summary>RFC 1123 subdomain: DNS domains and host names.</summary>
    public static string? CheckDnsSubdomain(string name)
    {
        if (name.Length == 0)
        {
            return "must not be empty";
        }

        if (name.Length > 253)
        {
            return $"'{name}' is {name.Length} characters; a DNS name has at most 253";
        }

        foreach (var label in name.Split('.'))
        {
            if (label.Length == 0 || label.Length > 63 || !Dns1123Label().IsMatch(label))
            {
                return $"'{name}' is not a valid DNS name: each dot-separated part must be 1-63 lowercase letters, digits or '-', starting and ending with a letter or digit";
            }
        }

        return null;
    }
}
