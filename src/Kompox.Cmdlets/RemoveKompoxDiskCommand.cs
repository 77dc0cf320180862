using System.Management.Automation;
using Kompox.PowerShell;

namespace Kompox.Cmdlets;

/// <summary>Deletes disks of apps with their data; the app's current disk is refused (DiskIsCurrent).</summary>
[Cmdlet(VerbsCommon.Remove, "KompoxDisk", DefaultParameterSetName = PathSet, SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High)]
[OutputType(typeof(KompoxDisk))]
public sealed class RemoveKompoxDiskCommand : KompoxDiskDataCmdlet
{
    /// <summary>The disk to delete: its id as Get-KompoxDisk writes it, or a disk object's DiskId from the pipeline.</summary>
    [Parameter(Mandatory = true, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(DiskIdCompleter))]
    public string DiskId { get; set; } = null!;

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
            if (!ShouldProcess($"disk {DiskId} of {Target(app)}", "Delete the disk and every file on it"))
            {
                continue;
            }

            await RunAsync(token => Disks(app).DeleteAsync(app.Id, DiskId, LockWait(Wait), Progress, token), disk => PassThru ? new KompoxDisk(disk, app) : null, cancellationToken);
        }
    }
}
