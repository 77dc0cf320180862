using Kompox.Compose;
using Kompox.Conversion;
using Kompox.Model;

namespace Kompox.Operations;

/// <summary>What an app's compose file is read with.</summary>
public record ComposeReadOptions
{
    /// <summary>Variables for <c>${VAR}</c> interpolation; they win over the <c>.env</c> file beside the compose file.</summary>
    public IReadOnlyDictionary<string, string> Environment { get; init; } = new Dictionary<string, string>();

    /// <summary>Compose profiles to activate besides the services that have none; when empty, <c>COMPOSE_PROFILES</c> (environment or <c>.env</c>) decides.</summary>
    public IReadOnlyCollection<string> Profiles { get; init; } = Array.Empty<string>();
}

/// <summary>What an app is validated with, offline.</summary>
public sealed record AppValidationOptions : ComposeReadOptions
{
    /// <summary>
    /// For validation offline only: the provider id of a disk to write the PersistentVolume and its claim for, sized
    /// as a new disk would be. Without one they are left out and a warning says so. The deploy plan takes a real disk instead.
    /// </summary>
    public string? DiskId { get; init; }
}

/// <summary>One Kubernetes object of an app's manifest, as YAML that <c>kubectl apply -f</c> accepts.</summary>
public sealed record ManifestDocument(string ApiVersion, string Kind, string? Namespace, string Name, string Yaml);

/// <summary>The outcome of reading an app's compose file and converting it (draft command <c>app validate</c>).</summary>
public sealed record AppValidation(KompoxApp App, IReadOnlyList<Diagnostic> Errors, IReadOnlyList<Diagnostic> Warnings, IReadOnlyList<ManifestDocument> Documents)
{
    public bool IsValid => Errors.Count == 0;

    /// <summary>All documents as one multi-document YAML stream; empty when the app is not valid.</summary>
    public string Yaml => string.Concat(Documents.Select(d => d.Yaml));

    /// <summary>The error of an app that is not valid: <c>InvalidCompose</c>, with every problem, about its compose file.</summary>
    public KompoxValidationException Error() => new("InvalidCompose", App.ComposePath ?? App.Id, Errors);
}

/// <summary>The synchronous path of <see cref="IAppOperations.ValidateAsync"/>, for callers that have no context.</summary>
public static class AppValidator
{
    /// <summary>Loads the app's compose file and converts it offline; every problem of either step is in the result, none is thrown.</summary>
    public static AppValidation Validate(KompoxApp app, AppValidationOptions options) =>
        Convert(app, options, project => AppConverter.Convert(app, project, options.DiskId));

    /// <summary>The validate use case: <see cref="Validate"/> on the thread pool, so that cancelling stops waiting for it at once.</summary>
    internal static Task<AppValidation> ValidateAsync(OperationScope scope, AppValidationOptions options, CancellationToken cancellationToken)
    {
        var app = scope.App;
        scope.Step($"converting {app.ComposePath ?? "the compose text"}" + (options.DiskId is null ? string.Empty : $" on disk {options.DiskId}"), 10);

        // The conversion itself cannot be interrupted; a cancelled caller does not wait for its result.
        return Task.Run(() => Validate(app, options), cancellationToken).WaitAsync(cancellationToken);
    }

    /// <summary>Loads the app's compose file and converts it with <paramref name="convert"/>, collecting every problem.</summary>
    internal static AppValidation Convert(KompoxApp app, ComposeReadOptions options, Func<ComposeProject, AppManifest> convert)
    {
        ComposeProject project;
        try
        {
            project = Load(app, options);
        }
        catch (KompoxValidationException e)
        {
            return Invalid(app, e.Problems);
        }

        AppManifest manifest;
        try
        {
            manifest = convert(project);
        }
        catch (KompoxValidationException e)
        {
            return Invalid(app, project.Warnings.Concat(e.Problems).ToList());
        }

        var documents = manifest.Objects
            .Select(o => new ManifestDocument(o.ApiVersion, o.Kind, o.Metadata.NamespaceProperty, o.Metadata.Name, ManifestWriter.Write(new[] { o })))
            .ToList();
        return new AppValidation(app, Array.Empty<Diagnostic>(), manifest.Warnings, documents);
    }

    /// <summary>The app's compose project, read beside its compose file.</summary>
    /// <exception cref="KompoxValidationException">The compose file has errors.</exception>
    /// <exception cref="KompoxException"><c>AppConfigNotAtHand</c> for an app known only from its namespace.</exception>
    internal static ComposeProject Load(KompoxApp app, ComposeReadOptions options)
    {
        if (app.FoundOnCluster)
        {
            throw new KompoxException(
                "AppConfigNotAtHand",
                ErrorKind.InvalidArgument,
                $"app {app.Id} was found on its cluster, not read from a kompoxops.yml: it has no compose file to convert or deploy{(app.ConfigPath is null ? string.Empty : $" (it was last deployed from {app.ConfigPath})")}; read that config, or remove the app")
            {
                Target = app.Id,
            };
        }

        var composeFile = app.ComposePath ?? "compose.yml";
        // Compose text with no file of its own can name no file: no directory, rather than wherever the process runs.
        var projectDir = app.ComposePath is null ? null : Path.GetDirectoryName(Path.GetFullPath(app.ComposePath));
        return ComposeLoader.Load(app.Compose, composeFile, projectDir, app.Name, options.Environment, options.Profiles, app.ComposeOverrides);
    }

    private static AppValidation Invalid(KompoxApp app, IReadOnlyList<Diagnostic> problems) => new(
        app,
        problems.Where(p => p.Severity == Severity.Error).ToList(),
        problems.Where(p => p.Severity == Severity.Warning).ToList(),
        Array.Empty<ManifestDocument>());
}
