using System.Management.Automation;
using Kompox.Operations;
using Kompox.PowerShell;

namespace Kompox.Cmdlets;

/// <summary>
/// Takes a snapshot of a disk of apps: the current one unless one is named or piped. With -StopApp the app is stopped
/// for a consistent copy and started again, also when the snapshot fails; without it, a running app is warned about.
/// </summary>
[Cmdlet(VerbsCommon.New, "KompoxSnapshot", DefaultParameterSetName = PathSet, SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low)]
[OutputType(typeof(KompoxSnapshot))]
public sealed class NewKompoxSnapshotCommand : KompoxDiskDataCmdlet
{
    /// <summary>The disk to copy; none: the app's current disk.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(DiskIdCompleter))]
    public string? DiskId { get; set; }

    /// <summary>Stop the app for the copy (its Deployment scaled to 0) and start it again after.</summary>
    [Parameter]
    public SwitchParameter StopApp { get; set; }

    /// <summary>With -StopApp: seconds the Pod may take to go, and then to be Ready again; with -Wait, also how long to wait for another operation on the app.</summary>
    [Parameter]
    [ValidateRange(1, 86400)]
    public int Timeout { get; set; } = 300;

    /// <summary>With -StopApp: wait for another operation holding the app (up to -Timeout) instead of failing at once.</summary>
    [Parameter]
    public SwitchParameter Wait { get; set; }

    protected override async Task ProcessRecordAsync(CancellationToken cancellationToken)
    {
        var timeout = TimeSpan.FromSeconds(Timeout);
        foreach (var app in InputResources(cancellationToken))
        {
            var disk = DiskId is null ? "the current disk" : $"disk {DiskId}";
            if (!ShouldProcess(Target(app), StopApp ? $"Stop the app, snapshot {disk}, start the app again" : $"Snapshot {disk}"))
            {
                continue;
            }

            var options = new SnapshotOptions { DiskId = DiskId, StopApp = StopApp, Timeout = timeout, LockWait = Wait ? timeout : TimeSpan.Zero };
            await RunAsync(token => Snapshots(app).CreateAsync(app.Id, options, Progress, token), snapshot => new KompoxSnapshot(snapshot, app), cancellationToken);
        }
    }
}
