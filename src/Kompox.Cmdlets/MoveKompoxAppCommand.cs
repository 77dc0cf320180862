using System.Management.Automation;
using Kompox.Config;
using Kompox.Operations;
using Kompox.PowerShell;
using Engine = Kompox.Model;

namespace Kompox.Cmdlets;

/// <summary>
/// Moves apps to another cluster of the same provider with their current disk (aks): the source's objects are removed
/// when its cluster answers, the disks and snapshots are re-tagged to the app on the destination, and the app is deployed
/// there. Run it again after an interruption. On k3s it is refused: a disk is a directory on one node.
/// </summary>
[Cmdlet(VerbsCommon.Move, "KompoxApp", DefaultParameterSetName = PathSet, SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High)]
[OutputType(typeof(KompoxAppStatus))]
public sealed class MoveKompoxAppCommand : KompoxAppCmdlet
{
    /// <summary>The cluster to move to: a Cluster from Import-KompoxConfig or Get-KompoxCluster's config.</summary>
    [Parameter]
    public KompoxResource? Destination { get; set; }

    /// <summary>A kompoxops.yml that defines the same app on the destination cluster.</summary>
    [Parameter]
    public string? DestinationPath { get; set; }

    /// <summary>Wait for another operation holding the app (up to 5 minutes) instead of failing at once.</summary>
    [Parameter]
    public SwitchParameter Wait { get; set; }

    protected override async Task ProcessRecordAsync(CancellationToken cancellationToken)
    {
        if ((Destination is null) == (DestinationPath is null))
        {
            ThrowTerminatingError(new ErrorRecord(new PSArgumentException("Give the destination either as -Destination (a Cluster) or as -DestinationPath (a kompoxops.yml), not both or neither"), "InvalidMoveDestination", ErrorCategory.InvalidArgument, null));
        }

        foreach (var app in InputResources(cancellationToken))
        {
            KompoxApp target;
            if (Destination is not null)
            {
                if (Destination is not KompoxCluster cluster)
                {
                    ThrowTerminatingError(new ErrorRecord(new PSArgumentException($"-Destination takes a Cluster; {Destination.Kind} {Destination.Id} is not one"), "InvalidMoveDestination", ErrorCategory.InvalidArgument, Destination));
                    return;
                }

                var source = app.Model;
                target = new KompoxApp(new Engine.KompoxApp
                {
                    Name = source.Name,
                    Cluster = cluster.Model,
                    Compose = source.Compose,
                    ComposePath = source.ComposePath,
                    ComposeOverrides = source.ComposeOverrides,
                    Ingress = source.Ingress,
                    Resources = source.Resources,
                    Settings = source.Settings,
                    Owner = source.Owner,
                }, cluster);
            }
            else
            {
                target = KompoxResources.From(KompoxConfig.Load(FileSystemPath(DestinationPath!))).OfType<KompoxApp>().Single();
            }

            var destination = target.Model;

            Store.Add(destination);
            if (!ShouldProcess($"app {app.Id}", $"Move to {destination.Id}: remove the app from cluster {app.Model.Cluster.Id} when it answers, give its disks and snapshots to {destination.Id}, and deploy it on cluster {destination.Cluster.Id} on its current disk"))
            {
                continue;
            }

            var options = new MoveOptions { LockWait = Wait ? KompoxContext.DefaultAppLockTimeout : TimeSpan.Zero };
            await RunAsync(
                token => Disks(app).MoveAsync(app.Id, destination.Id, options, new ReporterProgress(Reporter), token),
                status => new KompoxAppStatus(status, target),
                cancellationToken);
        }
    }
}
