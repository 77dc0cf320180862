using System.Management.Automation;
using Kompox.PowerShell;

namespace Kompox.Cmdlets;

/// <summary>Pins a snapshot so that the snapshot policy never prunes it (-Pin), or unpins it (-Pin:$false).</summary>
[Cmdlet(VerbsCommon.Set, "KompoxSnapshot", DefaultParameterSetName = PathSet, SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low)]
[OutputType(typeof(KompoxSnapshot))]
public sealed class SetKompoxSnapshotCommand : KompoxDiskDataCmdlet
{
    /// <summary>The snapshot: its id as Get-KompoxSnapshot writes it, or a snapshot object's SnapshotId from the pipeline.</summary>
    [Parameter(Mandatory = true, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(SnapshotIdCompleter))]
    public string SnapshotId { get; set; } = null!;

    /// <summary>Pin the snapshot (its provider tag kompox-pinned); -Pin:$false removes the pin.</summary>
    [Parameter(Mandatory = true)]
    public SwitchParameter Pin { get; set; }

    protected override async Task ProcessRecordAsync(CancellationToken cancellationToken)
    {
        foreach (var app in InputResources(cancellationToken))
        {
            if (!ShouldProcess($"snapshot {SnapshotId} of {Target(app)}", Pin ? "Pin the snapshot: the snapshot policy never prunes it" : "Unpin the snapshot: the snapshot policy may prune it"))
            {
                continue;
            }

            await RunAsync(token => Snapshots(app).SetPinnedAsync(app.Id, SnapshotId, Pin, Progress, token), snapshot => new KompoxSnapshot(snapshot, app), cancellationToken);
        }
    }
}
