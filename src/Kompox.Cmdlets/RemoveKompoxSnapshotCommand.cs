using System.Management.Automation;
using Kompox.PowerShell;

namespace Kompox.Cmdlets;

/// <summary>Deletes snapshots of apps; disks restored from them are kept.</summary>
[Cmdlet(VerbsCommon.Remove, "KompoxSnapshot", DefaultParameterSetName = PathSet, SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High)]
[OutputType(typeof(KompoxSnapshot))]
public sealed class RemoveKompoxSnapshotCommand : KompoxDiskDataCmdlet
{
    /// <summary>The snapshot to delete.</summary>
    [Parameter(Mandatory = true, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(SnapshotIdCompleter))]
    public string SnapshotId { get; set; } = null!;

    /// <summary>Write what was deleted.</summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override async Task ProcessRecordAsync(CancellationToken cancellationToken)
    {
        foreach (var app in InputResources(cancellationToken))
        {
            if (!ShouldProcess($"snapshot {SnapshotId} of {Target(app)}", "Delete the snapshot"))
            {
                continue;
            }

            await RunAsync(token => Snapshots(app).DeleteAsync(app.Id, SnapshotId, Progress, token), disk => PassThru ? new KompoxSnapshot(disk, app) : null, cancellationToken);
        }
    }
}
