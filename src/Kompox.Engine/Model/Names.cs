using System.Globalization;
using System.Text.RegularExpressions;

namespace Kompox.Model;

/// <summary>The Kubernetes/DNS name and host rules the resource model relies on. Each check returns why a name fails, or null.</summary>
public static partial class Names
{
    public const int MaxAppName = 40;

    [GeneratedRegex("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")]
    private static partial Regex Dns1123Label();

    [GeneratedRegex("^[a-z]([-a-z0-9]*[a-z0-9])?$")]
    private static partial Regex Dns1035Label();

    [GeneratedRegex("^http_([0-9]{1,5})$")]
    private static partial Regex IngressKey();

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

    /// <summary>
    /// The custom hosts of <c>app.ingress</c> (<c>http_80</c> → <c>www.example.com</c>), in port order. A key that names
    /// no port, a host that is no DNS name, lies under the cluster's app domain (whose names Kompox assigns) or is
    /// routed to two ports is left out and reported under <c>app.ingress.&lt;key&gt;</c>.
    /// </summary>
    /// <param name="appDomain">The cluster's app domain; null when it is not known, which skips that rule.</param>
    public static IReadOnlyList<CustomHost> CustomHosts(IEnumerable<KeyValuePair<string, string>> ingress, string? appDomain, ICollection<KeyProblem> problems)
    {
        var hosts = new List<CustomHost>();
        var keyByHost = new Dictionary<string, string>(StringComparer.Ordinal);
        var keyByPort = new Dictionary<int, string>();
        foreach (var (key, host) in ingress.OrderBy(e => e.Key, StringComparer.Ordinal))
        {
            var keyPath = $"app.ingress.{key}";
            var match = IngressKey().Match(key);
            var port = match.Success ? int.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture) : 0;
            if (port is < 1 or > 65535)
            {
                problems.Add(new KeyProblem(keyPath, $"'{key}' is not a port key; write http_<port> with the exposed port from the compose file, e.g. http_80"));
                continue;
            }

            if (CheckDnsSubdomain(host) is { } notDns)
            {
                problems.Add(new KeyProblem(keyPath, $"custom host {notDns}"));
            }
            else if (appDomain is not null && (host == appDomain || host.EndsWith("." + appDomain, StringComparison.Ordinal)))
            {
                problems.Add(new KeyProblem(keyPath, $"custom host '{host}' lies under the cluster's app domain {appDomain}, whose names Kompox assigns itself; choose a host outside it"));
            }
            else if (keyByHost.TryGetValue(host, out var otherKey))
            {
                problems.Add(new KeyProblem(keyPath, $"custom host '{host}' is already used by app.ingress.{otherKey}; a host routes to one port"));
            }
            else if (keyByPort.TryGetValue(port, out var samePort))
            {
                problems.Add(new KeyProblem(keyPath, $"port {port} already has its custom host in app.ingress.{samePort}"));
            }
            else
            {
                keyByHost.Add(host, key);
                keyByPort.Add(port, key);
                hosts.Add(new CustomHost(port, key, host));
            }
        }

        return hosts.OrderBy(h => h.Port).ToList();
    }
}

/// <summary>One entry of <c>app.ingress</c>: the exposed port, its key as written (<c>http_80</c>) and the host.</summary>
public sealed record CustomHost(int Port, string Key, string Host);
