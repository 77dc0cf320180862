using System.Management.Automation;
using Kompox.PowerShell;

namespace Kompox.Cmdlets;

/// <summary>Makes a new, empty disk for apps; the app stays on its current disk.</summary>
[Cmdlet(VerbsCommon.New, "KompoxDisk", DefaultParameterSetName = PathSet, SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low)]
[OutputType(typeof(KompoxDisk))]
public sealed class NewKompoxDiskCommand : KompoxDiskDataCmdlet
{
    /// <summary>Wait for another operation holding the app (up to 5 minutes) instead of failing at once.</summary>
    [Parameter]
    public SwitchParameter Wait { get; set; }

    protected override async Task ProcessRecordAsync(CancellationToken cancellationToken)
    {
        foreach (var app in InputResources(cancellationToken))
        {
            if (!ShouldProcess(Target(app), "Create an empty disk (it does not become current)"))
            {
                continue;
            }

            await RunAsync(token => Disks(app).CreateAsync(app.Id, LockWait(Wait), Progress, token), disk => new KompoxDisk(disk, app), cancellationToken);
        }
    }
}
