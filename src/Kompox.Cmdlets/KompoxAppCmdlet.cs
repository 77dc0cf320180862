using System.Collections;
using System.Management.Automation;
using System.Runtime.CompilerServices;
using Kompox.Operations;
using Kompox.PowerShell;

namespace Kompox.Cmdlets;

/// <summary>
/// Base of cmdlets that act on apps: from the pipeline (the objects Import-KompoxConfig writes) or from
/// kompoxops.yml files by path, and with the options every app operation reads its compose file with.
/// An input that cannot be used (a missing file, a broken config, a resource that is not an App) is a
/// non-terminating error: the other inputs are still acted on. Conversion runs off the pipeline thread, so
/// Ctrl+C stops the cmdlet between apps and while one converts.
/// </summary>
public abstract class KompoxAppCmdlet : KompoxResourceCmdlet<KompoxApp>
{
    protected const string AppSet = "App";

    /// <summary>An App; the Service, Provider and Cluster that come with it down the pipeline are passed over.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ParameterSetName = AppSet)]
    public KompoxResource App { get; set; } = null!;

    /// <summary>The activity the progress of converting apps is shown under.</summary>
    private string Activity => $"{MyInvocation.MyCommand.Name}: converting apps";

    protected override KompoxResource? GivenResource => ParameterSetName == AppSet ? App : null;

    protected override KompoxException NotOfKind(KompoxResource given) =>
        new("NotAnApp", ErrorKind.InvalidArgument, $"-App takes an App; {given.Kind} {given.Id} is not one") { Target = given.Id };

    /// <summary>
    /// Every app of this pipeline record, validated with the compose profiles <paramref name="profiles"/> (none: the
    /// COMPOSE_PROFILES of the environment) on <paramref name="diskId"/>; an app whose validation fails outright is
    /// reported and passed over.
    /// </summary>
    protected async IAsyncEnumerable<(KompoxApp App, AppValidation Result)> ValidatedApps(IReadOnlyList<string> profiles, string? diskId, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        foreach (var app in InputResources(cancellationToken))
        {
            AppValidation result;
            try
            {
                result = await ValidateAsync(app, profiles, diskId, cancellationToken);
            }
            catch (KompoxException e)
            {
                InputFailed(ToErrorRecord(e));
                continue;
            }

            yield return (app, result);
        }
    }

    /// <summary>
    /// Reads the app's compose file and converts it on the thread pool, saying with -Verbose what is read and
    /// showing progress; returns as soon as <paramref name="cancellationToken"/> is cancelled.
    /// </summary>
    private async Task<AppValidation> ValidateAsync(KompoxApp app, IReadOnlyList<string> profiles, string? diskId, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        Reporter.Progress(Activity, $"Converting {app.Id}");
        Reporter.Message($"Converting app {app.Id} (driver {app.Cluster.Provider.Driver}) from {app.ComposePath}" + (diskId is null ? string.Empty : $" on disk {diskId}"));
        var options = new AppValidationOptions { Environment = ProcessEnvironment(), Profiles = profiles, DiskId = diskId };
        var operations = new AppOperations(KompoxContext.ForConfigFile(app.Model.Cluster.Provider.Service.ConfigPath!));
        var progress = new ReporterProgress(Reporter);

        // The engine's conversion cannot be interrupted; after Ctrl+C its result is not waited for.
        return await Task.Run(() => operations.ValidateAsync(app.Model, options, progress, cancellationToken), cancellationToken).WaitAsync(cancellationToken);
    }

    /// <summary>The variables of this process, which the compose file's <c>${VAR}</c> are interpolated from.</summary>
    protected static IReadOnlyDictionary<string, string> ProcessEnvironment()
    {
        var environment = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (DictionaryEntry entry in Environment.GetEnvironmentVariables())
        {
            environment[(string)entry.Key] = (string?)entry.Value ?? string.Empty;
        }

        return environment;
    }

    /// <summary>
    /// Writes an app's warnings: each one that changes what runs on its own, and the keys that merely have no
    /// effect in one Pod as one summary, with each of them written with -Verbose.
    /// </summary>
    protected void WriteAppWarnings(KompoxApp app, IReadOnlyList<Diagnostic> warnings)
    {
        var noEffect = new List<Diagnostic>();
        foreach (var warning in warnings)
        {
            if (warning.NoEffect)
            {
                noEffect.Add(warning);
            }
            else
            {
                WriteWarning(warning.ToString());
            }
        }

        if (noEffect.Count == 0)
        {
            return;
        }

        var keys = noEffect.Select(ShortKey).Distinct(StringComparer.Ordinal).ToList();
        var count = keys.Count == 1 ? "1 compose key has" : $"{keys.Count} compose keys have";
        WriteWarning($"{app.Name}: {count} no effect in one Pod ({string.Join(", ", keys)}); see -Verbose");
        foreach (var warning in noEffect)
        {
            WriteVerbose(warning.ToString());
        }
    }

    /// <summary><c>services.web.depends_on</c> as <c>depends_on</c>: the key as it is written inside its service.</summary>
    private static string ShortKey(Diagnostic d)
    {
        var prefix = d.Service is null ? null : $"services.{d.Service}.";
        return prefix is not null && d.Key.StartsWith(prefix, StringComparison.Ordinal) ? d.Key[prefix.Length..] : d.Key;
    }
}
