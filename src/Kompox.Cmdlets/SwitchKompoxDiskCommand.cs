using System.Management.Automation;
using Kompox.Operations;
using Kompox.PowerShell;

namespace Kompox.Cmdlets;

/// <summary>
/// Makes a disk the app's current one: previous ← current, current ← the disk, on the namespace and the provider; a
/// deployed app restarts on it (its own PersistentVolume and claim; the old pair is pruned, the old disk kept). An app
/// not deployed only records the choice, which the next New-KompoxApp uses. Writes the new current KompoxDisk.
/// </summary>
[Cmdlet(VerbsCommon.Switch, "KompoxDisk", DefaultParameterSetName = PathSet, SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(KompoxDisk))]
public sealed class SwitchKompoxDiskCommand : KompoxAppCmdlet
{
    /// <summary>The disk to switch to: its id as Get-KompoxDisk shows it (bound by property name from a KompoxDisk).</summary>
    [Parameter(Mandatory = true, ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(DiskIdCompleter))]
    [ValidateNotNullOrEmpty]
    public string DiskId { get; set; } = null!;

    /// <summary>Wait for another operation holding the app (up to 5 minutes) instead of failing at once.</summary>
    [Parameter]
    public SwitchParameter Wait { get; set; }

    protected override async Task ProcessRecordAsync(CancellationToken cancellationToken)
    {
        foreach (var app in InputResources(cancellationToken))
        {
            if (!ShouldProcess($"app {app.Id} on cluster {app.Model.Cluster.Id}", $"Switch to disk {DiskId}: the app restarts on it; the current disk is kept as the previous one"))
            {
                continue;
            }

            var lockWait = Wait ? KompoxContext.DefaultAppLockTimeout : TimeSpan.Zero;
            await RunAsync(
                token => Disks(app).SwitchAsync(app.Id, DiskId, lockWait, new ReporterProgress(Reporter), token),
                result =>
                {
                    if (result.Status is null)
                    {
                        WriteVerbose($"{app.Id}: not deployed; disk {result.Disk.Id} is recorded as current and the next deploy uses it");
                    }

                    return new KompoxDisk(result.Disk, app);
                },
                cancellationToken);
        }
    }
}
