using System.Management.Automation;
using Kompox.Operations;
using Kompox.PowerShell;

namespace Kompox.Cmdlets;

/// <summary>Takes apps down: deletes their objects on the cluster, keeping their namespace, disks and snapshots.</summary>
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

    protected override async Task ProcessRecordAsync(CancellationToken cancellationToken)
    {
        foreach (var app in InputResources(cancellationToken))
        {
            var target = $"app {app.Id} on cluster {app.Model.Cluster.Id} ({app.Model.Cluster.Auth})";
            const string Action = "Delete every object of the app, its PersistentVolume and claim included (reclaim policy Retain: no data is touched); the namespace with its disk state, the disks and the snapshots are kept";
            if (!ShouldProcess(target, Action))
            {
                continue;
            }

            var options = new DestroyOptions { LockWait = Wait ? KompoxContext.DefaultAppLockTimeout : TimeSpan.Zero };
            await RunAsync(
                token => Apps.DestroyAsync(app.Id, options, new ReporterProgress(Reporter), token),
                result =>
                {
                    if (!result.WasDeployed)
                    {
                        WriteWarning($"{app.Id}: not deployed (namespace {result.Namespace} does not exist); nothing was removed");
                    }

                    return PassThru ? new KompoxAppRemoval(result, app) : null;
                },
                cancellationToken);
        }
    }
}
