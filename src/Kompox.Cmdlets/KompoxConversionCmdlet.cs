using System.Management.Automation;
using System.Runtime.CompilerServices;
using Kompox.Operations;
using Kompox.PowerShell;

namespace Kompox.Cmdlets;

/// <summary>
/// Base of cmdlets that read apps' compose files and convert them offline (Test-KompoxApp, ConvertTo-KompoxManifest).
/// Conversion runs off the pipeline thread, so Ctrl+C stops the cmdlet between apps and while one converts.
/// </summary>
public abstract class KompoxConversionCmdlet : KompoxAppCmdlet
{
    /// <summary>The disk the PersistentVolume names; without it the PersistentVolume and its claim are left out.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? DiskId { get; set; }

    /// <summary>The compose profiles to enable; none: those COMPOSE_PROFILES names.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(ProfileCompleter))]
    public string[] Profile { get; set; } = Array.Empty<string>();

    /// <summary>The activity the progress of converting apps is shown under.</summary>
    private string Activity => $"{MyInvocation.MyCommand.Name}: converting apps";

    /// <summary>
    /// Every app of this pipeline record, validated with -Profile on -DiskId; an app whose validation fails outright
    /// is reported and passed over.
    /// </summary>
    protected async IAsyncEnumerable<(KompoxApp App, AppValidation Result)> ValidatedApps([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        foreach (var app in InputResources(cancellationToken))
        {
            AppValidation result;
            try
            {
                result = await ValidateAsync(app, cancellationToken);
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
    private async Task<AppValidation> ValidateAsync(KompoxApp app, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        Reporter.Progress(Activity, $"Converting {app.Id}");
        Reporter.Message($"Converting app {app.Id} (driver {app.Cluster.Provider.Driver}) from {app.ComposePath}" + (DiskId is null ? string.Empty : $" on disk {DiskId}"));
        var options = new AppValidationOptions { Environment = ProcessEnvironment(), Profiles = Profile, DiskId = DiskId };
        return await Apps(app).ValidateAsync(app.Id, options, new ReporterProgress(Reporter), cancellationToken);
    }
}
