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

    /// <summary>Switch the app to the restored disk (Switch-KompoxDisk): a deployed app restarts on it, holding the app's lock.</summary>
    [Parameter]
    public SwitchParameter Switch { get; set; }

    /// <summary>With -Switch: wait for another operation holding the app (a deploy, a switch) instead of failing with AppLocked.</summary>
    [Parameter]
    public SwitchParameter Wait { get; set; }

    protected override async Task ProcessRecordAsync(CancellationToken cancellationToken)
    {
        foreach (var app in InputResources(cancellationToken))
        {
            if (!ShouldProcess(Target(app), Switch
                ? $"Restore snapshot {SnapshotId} to a new disk and switch the app to it: the app restarts on it; the current disk is kept as the previous one"
                : $"Restore snapshot {SnapshotId} to a new disk (it does not become current)"))
            {
                continue;
            }

            if (Switch)
            {
                await RunAsync(token => Snapshots(app).RestoreAndSwitchAsync(app.Id, SnapshotId, LockWait(Wait), Progress, token), result => new KompoxDisk(result.Disk, app), cancellationToken);
                continue;
            }

            await RunAsync(token => Snapshots(app).RestoreAsync(app.Id, SnapshotId, Progress, token), disk => new KompoxDisk(disk, app), cancellationToken);
        }
    }
}
