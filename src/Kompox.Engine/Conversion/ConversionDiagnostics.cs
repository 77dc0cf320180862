using Kompox.Compose;

namespace Kompox.Conversion;

/// <summary>Collects every problem of one conversion, located in the compose file or in kompoxops.yml, so that all are reported at once.</summary>
internal sealed class ConversionDiagnostics
{
    private readonly List<Diagnostic> items = new();

    public ConversionDiagnostics(string composeFile, string configFile)
    {
        ComposeFile = composeFile;
        ConfigFile = configFile;
    }

    public string ComposeFile { get; }

    public string ConfigFile { get; }

    public IReadOnlyList<Diagnostic> Items => items;

    public bool HasErrors => ErrorCount > 0;

    public int ErrorCount => items.Count(d => d.Severity == Severity.Error);

    public void Add(Diagnostic diagnostic) => items.Add(diagnostic);

    /// <param name="keyPath">The key below the service (<c>ports[0]</c>); a full path starting with <c>services.</c> is taken as is.</param>
    public void ServiceError(ComposeService service, string keyPath, string message, SourceMark? at = null)
    {
        var mark = at ?? MarkOf(service, keyPath);
        items.Add(Diagnostic.Error(mark.Source ?? ComposeFile, mark, ServiceKey(service, keyPath), message) with { Service = service.Name });
    }

    public void ServiceWarning(ComposeService service, string keyPath, string message, SourceMark? at = null)
    {
        var mark = at ?? MarkOf(service, keyPath);
        items.Add(Diagnostic.Warning(mark.Source ?? ComposeFile, mark, ServiceKey(service, keyPath), message) with { Service = service.Name });
    }

    /// <summary>A problem in a top-level compose key such as <c>configs.app_conf</c>.</summary>
    public void ComposeError(string key, SourceMark at, string message) => items.Add(Diagnostic.Error(at.Source ?? ComposeFile, at, key, message));

    /// <summary>A warning about a top-level compose key such as <c>volumes.data.external</c>.</summary>
    public void ComposeWarning(string key, SourceMark at, string message) => items.Add(Diagnostic.Warning(at.Source ?? ComposeFile, at, key, message));

    /// <summary>A problem in kompoxops.yml's <c>app</c> section, e.g. <c>app.ingress.http_80</c>.</summary>
    public void AppError(string key, string message) => items.Add(Diagnostic.Error(ConfigFile, SourceMark.File, key, message));

    /// <summary>The full key path; an empty <paramref name="keyPath"/> means the service itself.</summary>
    public static string ServiceKey(ComposeService service, string keyPath) => keyPath switch
    {
        "" => $"services.{service.Name}",
        _ when keyPath.StartsWith("services.", StringComparison.Ordinal) => keyPath,
        _ => $"services.{service.Name}.{keyPath}",
    };

    private static SourceMark MarkOf(ComposeService service, string keyPath)
    {
        var prefix = $"services.{service.Name}.";
        var below = keyPath.StartsWith(prefix, StringComparison.Ordinal) ? keyPath[prefix.Length..] : keyPath;
        if (service.Marks.TryGetValue(below, out var exact))
        {
            return exact;
        }

        // The item itself may not be marked; its parent key (ports for ports[1]) is the next best place.
        var cut = below.IndexOfAny(new[] { '[', '.' });
        return cut > 0 && service.Marks.TryGetValue(below[..cut], out var parent) ? parent : service.At;
    }
}
