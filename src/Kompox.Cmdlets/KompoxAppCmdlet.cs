using System.Collections;
using System.Management.Automation;
using Kompox.Operations;
using Kompox.PowerShell;

namespace Kompox.Cmdlets;

/// <summary>
/// Base of cmdlets that act on apps: from the pipeline (the objects Import-KompoxConfig writes, and every output
/// object that carries an App: a validation, a status, a log line, a credential, a removal) or from kompoxops.yml
/// files by path. An input that cannot be used (a missing file, a broken config, a resource that is not an App) is a
/// non-terminating error: the other inputs are still acted on.
/// </summary>
public abstract class KompoxAppCmdlet : KompoxResourceCmdlet<KompoxApp>
{
    protected const string AppSet = "App";

    /// <summary>
    /// An App; the Service, Provider and Cluster that come with it down the pipeline are passed over. By property name,
    /// so that what one app cmdlet writes pipes into the next (<c>Get-KompoxApp | Get-KompoxAppLog</c>).
    /// </summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true, ParameterSetName = AppSet)]
    public KompoxResource App { get; set; } = null!;

    protected override KompoxResource? GivenResource => ParameterSetName == AppSet ? App : null;

    protected override KompoxException NotOfKind(KompoxResource given) =>
        new("NotAnApp", ErrorKind.InvalidArgument, $"-App takes an App; {given.Kind} {given.Id} is not one") { Target = given.Id };

    /// <summary>
    /// The operations on an app, which take it by its id: through the Kompox service for an app the service gave
    /// (client mode), else through this invocation's context.
    /// </summary>
    protected IAppOperations Apps(KompoxApp app) => app.Client?.Apps ?? new AppOperations(Context);

    /// <summary>The operations on an app's disks, as <see cref="Apps"/> picks them.</summary>
    protected IDiskOperations Disks(KompoxApp app) => app.Client?.Disks ?? new DiskOperations(Context);

    /// <summary>The operations on an app's snapshots, as <see cref="Apps"/> picks them.</summary>
    protected ISnapshotOperations Snapshots(KompoxApp app) => app.Client?.Snapshots ?? new SnapshotOperations(Context);

    protected override void Remember(KompoxApp resource)
    {
        // An app of the service is found by the service, not in this invocation's store.
        if (resource.Client is null)
        {
            Store.Add(resource.Model);
        }
    }

    /// <summary>
    /// Connected to a Kompox service, a cmdlet given no app acts on none: the kompoxops.yml of the current location is
    /// not what the user means then. The app comes from the service (<c>Get-KompoxApp -Name web | ...</c>).
    /// </summary>
    protected override KompoxException? DefaultInputRefused() =>
        ServiceSession.Current is { } service
            ? new KompoxException("AppRequired", ErrorKind.InvalidArgument, $"connected to the Kompox service {service.Uri}: give the app, e.g. Get-KompoxApp -Name <name> | {MyInvocation.MyCommand.Name}; or name a kompoxops.yml with -Path to act on it directly") { Remedy = Remedy.ChangeOption("App") }
            : null;

    /// <summary>The variables of this process, which the compose file's <c>${VAR}</c> are interpolated from.</summary>
    protected internal static IReadOnlyDictionary<string, string> ProcessEnvironment()
    {
        var environment = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (DictionaryEntry entry in Environment.GetEnvironmentVariables())
        {
            environment[(string)entry.Key] = (string?)entry.Value ?? string.Empty;
        }

        return environment;
    }

    /// <summary>
    /// Writes an app's warnings: each one that changes what runs on its own, and those that hold for every run of an
    /// unchanged app (keys with no effect in one Pod, no disk given) as one summary, with each of them written with -Verbose.
    /// </summary>
    protected void WriteAppWarnings(KompoxApp app, IReadOnlyList<Diagnostic> warnings)
    {
        var routine = new List<Diagnostic>();
        foreach (var warning in warnings)
        {
            if (warning.Routine)
            {
                routine.Add(warning);
            }
            else
            {
                WriteWarning(warning.ToString());
            }
        }

        if (routine.Count == 0)
        {
            return;
        }

        var parts = new List<string>();
        var keys = routine.Where(w => w.NoEffect).Select(ShortKey).Distinct(StringComparer.Ordinal).ToList();
        if (keys.Count > 0)
        {
            parts.Add($"{(keys.Count == 1 ? "1 compose key has" : $"{keys.Count} compose keys have")} no effect in one Pod ({string.Join(", ", keys)})");
        }

        // Another routine warning is named by what it says before its explanation ("no disk was given: ...").
        parts.AddRange(routine.Where(w => !w.NoEffect).Select(w => w.Message.Split(':')[0]).Distinct(StringComparer.Ordinal));
        WriteWarning($"{app.Name}: {string.Join("; ", parts)}; see -Verbose");
        foreach (var warning in routine)
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
