using Kompox.Model;

namespace Kompox.Drivers;

/// <summary>Where a setting is written in kompoxops.yml.</summary>
public enum SettingScope
{
    Provider,
    Cluster,
    App,
}

/// <summary>One key a driver reads from <c>settings</c>; <see cref="Check"/> returns why a value is wrong, or null.</summary>
public sealed record SettingSpec(string Name, SettingScope Scope, bool Required, string Description, Func<string, string?> Check)
{
    /// <summary>
    /// The problems of one <c>settings</c> mapping under the driver's rules, by key path (<c>app.settings.AZURE_DISK_SIZE</c>):
    /// a wrong value or a missing required key is an error; a key the driver does not read at this scope is a warning,
    /// because it is most likely misspelt or written at the wrong level.
    /// </summary>
    public static IEnumerable<KeyProblem> CheckAll(IProviderDriver driver, SettingScope scope, IReadOnlyDictionary<string, string> settings)
    {
        var level = scope.ToString().ToLowerInvariant();
        var section = $"{level}.settings";
        var specs = driver.Settings.Where(s => s.Scope == scope).ToList();
        foreach (var (key, value) in settings.OrderBy(e => e.Key, StringComparer.Ordinal))
        {
            var spec = specs.FirstOrDefault(s => s.Name == key);
            if (spec is null)
            {
                var known = specs.Count == 0 ? "it reads none here" : $"it reads {string.Join(", ", specs.Select(s => s.Name))}";
                yield return new KeyProblem($"{section}.{key}", $"driver '{driver.Name}' does not read this setting at {level} level ({known})", Severity.Warning);
            }
            else if (spec.Check(value) is { } problem)
            {
                yield return new KeyProblem($"{section}.{key}", problem);
            }
        }

        foreach (var spec in specs.Where(s => s.Required && !settings.ContainsKey(s.Name)))
        {
            yield return new KeyProblem($"{section}.{spec.Name}", $"is required by driver '{driver.Name}' ({spec.Description})");
        }
    }
}

/// <summary>
/// The cluster settings of every driver naming the API server users reach (SPEC 2): the operator's own kubeconfig may
/// name an address only it reaches (k3s's <c>https://127.0.0.1:6443</c>, or the in-cluster Service address in a Pod).
/// </summary>
public static class ApiServerSettings
{
    /// <summary>The API server's URL that user kubeconfigs name.</summary>
    public const string Url = "API_SERVER_URL";

    /// <summary>The CA of the certificate the server presents at <see cref="Url"/>, when it differs from the operator's kubeconfig's: base64 of PEM, as certificate-authority-data.</summary>
    public const string Ca = "API_SERVER_CA";

    public static IReadOnlyList<SettingSpec> Specs { get; } = new SettingSpec[]
    {
        new(Url, SettingScope.Cluster, false, "API server URL that user kubeconfigs name, e.g. https://k3s.example.com:6443 (default: the operator's kubeconfig's)", CheckUrl),
        new(Ca, SettingScope.Cluster, false, $"CA certificate of the server at {Url} in base64 of PEM, as certificate-authority-data (default: the operator's kubeconfig's)", CheckCa),
    };

    private static string? CheckUrl(string value) =>
        Uri.TryCreate(value, UriKind.Absolute, out var uri) && uri.Scheme == Uri.UriSchemeHttps && uri.Host.Length > 0 && uri.Query.Length == 0 && uri.Fragment.Length == 0 && uri.UserInfo.Length == 0
            ? null
            : $"'{value}' is not an https URL of an API server (https://host[:port], no query or user)";

    internal static string? CheckCa(string value)
    {
        try
        {
            var pem = System.Text.Encoding.UTF8.GetString(Convert.FromBase64String(value));
            return pem.Contains("-----BEGIN CERTIFICATE-----", StringComparison.Ordinal) ? null : "is base64, but not of a PEM certificate";
        }
        catch (FormatException)
        {
            return "is not base64 (give the PEM certificate in base64, as a kubeconfig's certificate-authority-data)";
        }
    }
}

/// <summary>
/// The cluster setting that maps Docker runtimes (compose <c>runtime</c>, e.g. <c>nvidia</c>, <c>runsc</c>) to the cluster's
/// RuntimeClasses (node.k8s.io/v1), which name the handlers its nodes' container runtime has: the two are named by
/// different people, so only the cluster's operator can say which is which.
/// </summary>
public static class RuntimeClassSettings
{
    public const string Name = "RUNTIME_CLASSES";

    public static IReadOnlyList<SettingSpec> Specs { get; } = new SettingSpec[]
    {
        new(Name, SettingScope.Cluster, false, "Docker runtimes and the RuntimeClass each runs as, comma-separated: nvidia=nvidia,runsc=gvisor (default: none; a service with a runtime is refused)", value => Parse(value, out var problem) is null ? problem : null),
    };

    /// <summary>The map, or null with <paramref name="problem"/> when <paramref name="value"/> is not <c>runtime=class[,runtime=class...]</c>.</summary>
    public static Dictionary<string, string>? Parse(string value, out string? problem)
    {
        problem = null;
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var entry in value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var parts = entry.Split('=', 2, StringSplitOptions.TrimEntries);
            if (parts.Length != 2 || parts[0].Length == 0)
            {
                problem = $"'{entry}' is not runtime=RuntimeClass";
                return null;
            }

            // A RuntimeClass is named like any object: a DNS subdomain (pkg/apis/node/validation ValidateRuntimeClass).
            if (Model.Names.CheckDnsSubdomain(parts[1]) is { } bad)
            {
                problem = $"RuntimeClass of '{parts[0]}': {bad}";
                return null;
            }

            map[parts[0]] = parts[1];
        }

        return map;
    }
}

/// <summary>The app settings of the snapshot policy (<see cref="SnapshotPolicy"/>), which every driver reads.</summary>
public static class SnapshotPolicySettings
{
    public static IReadOnlyList<SettingSpec> Specs { get; } =
        SnapshotPolicy.Settings.Select(s => new SettingSpec(s.Name, SettingScope.App, false, s.Description, s.Check)).ToList();
}
