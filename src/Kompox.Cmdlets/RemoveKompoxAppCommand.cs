using System.Management.Automation;
using Kompox.Operations;
using Kompox.PowerShell;

namespace Kompox.Cmdlets;

/// <summary>
/// Takes apps down: deletes their objects on the cluster, keeping their namespace, disks and snapshots. With -Unregister,
/// an app of a Kompox service is also removed from the service once it is down.
/// </summary>
[Cmdlet(VerbsCommon.Remove, "KompoxApp", DefaultParameterSetName = PathSet, SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High)]
[OutputType(typeof(KompoxAppRemoval))]
public sealed class RemoveKompoxAppCommand : KompoxAppCmdlet
{
    /// <summary>Wait for another operation holding the app (up to 5 minutes) instead of failing at once.</summary>
    [Parameter]
    public SwitchParameter Wait { get; set; }

    /// <summary>Write what was deleted.</summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    /// <summary>Client mode: once the app is down, also remove its registration from the Kompox service (its disks and snapshots stay).</summary>
    [Parameter]
    public SwitchParameter Unregister { get; set; }

    protected override async Task ProcessRecordAsync(CancellationToken cancellationToken)
    {
        foreach (var app in InputResources(cancellationToken))
        {
            var target = $"app {app.Id} on cluster {app.Model.Cluster.Id} ({app.Model.Cluster.Auth})";
            const string Action = "Delete every object of the app, its PersistentVolume and claim included (reclaim policy Retain: no data is touched); the namespace with its disk state, the disks and the snapshots are kept";
            if (Unregister && app.Client is null)
            {
                InputFailed(ToErrorRecord(new KompoxException("NotInClientMode", ErrorKind.InvalidArgument, $"-Unregister removes an app's registration from a Kompox service; app {app.Id} is from {app.ComposePath ?? "a kompoxops.yml"}") { Target = app.Id, Remedy = Remedy.OmitOption("Unregister") }));
                continue;
            }

            if (!ShouldProcess(target, Unregister ? $"{Action}; then remove the app's registration from the Kompox service {app.ServiceUri}" : Action))
            {
                continue;
            }

            var options = new DestroyOptions { LockWait = Wait ? KompoxContext.DefaultAppLockTimeout : TimeSpan.Zero };
            var result = await TryAsync(token => Apps(app).DestroyAsync(app.Id, options, new ReporterProgress(Reporter), token), cancellationToken);
            if (result is null)
            {
                continue;
            }

            if (!result.WasDeployed)
            {
                WriteWarning($"{app.Id}: not deployed (namespace {result.Namespace} does not exist); nothing was removed");
            }

            if (Unregister && !await TryAsync(token => app.Client!.DeleteAppAsync(app.Name, token), cancellationToken))
            {
                continue;
            }

            if (PassThru)
            {
                WriteObject(new KompoxAppRemoval(result, app));
            }
        }
    }
}
