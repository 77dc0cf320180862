using System.Management.Automation;
using Kompox.PowerShell;

namespace Kompox.Cmdlets;

/// <summary>Restores snapshots of apps, each to a new disk: no disk is overwritten, and the app stays on its current disk.</summary>
[Cmdlet(VerbsData.Restore, "KompoxSnapshot", DefaultParameterSetName = PathSet, SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low)]
[OutputType(typeof(KompoxDisk))]
public sealed class RestoreKompoxSnapshotCommand : KompoxDiskDataCmdlet
{
    /// <summary>The snapshot to restore: its id as Get-KompoxSnapshot writes it, or a snapshot object's SnapshotId from the pipeline.</summary>
    [Parameter(Mandatory = true, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(SnapshotIdCompleter))]
    public string SnapshotId { get; set; } = null!;

    protected override async Task ProcessRecordAsync(CancellationToken cancellationToken)
    {
        foreach (var app in InputResources(cancellationToken))
        {
            if (!ShouldProcess(Target(app), $"Restore snapshot {SnapshotId} to a new disk (it does not become current)"))
            {
                continue;
            }

            await RunAsync(token => Snapshots.RestoreAsync(app.Id, SnapshotId, Progress, token), disk => new KompoxDisk(disk, app), cancellationToken);
        }
    }
}
