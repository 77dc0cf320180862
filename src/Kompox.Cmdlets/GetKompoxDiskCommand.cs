using System.Management.Automation;
using Kompox.Operations;
using Kompox.PowerShell;

namespace Kompox.Cmdlets;

/// <summary>
/// The disks of apps, newest first, the current one marked (IsCurrent): the one the app's namespace names, else the one
/// the provider records. Works while the cluster is down (k3s: the disks under this machine's data root).
/// </summary>
[Cmdlet(VerbsCommon.Get, "KompoxDisk", DefaultParameterSetName = PathSet)]
[OutputType(typeof(KompoxDisk))]
public sealed class GetKompoxDiskCommand : KompoxAppCmdlet
{
    protected override async Task ProcessRecordAsync(CancellationToken cancellationToken)
    {
        foreach (var app in InputResources(cancellationToken))
        {
            if (await TryAsync(token => Disks(app).ListAsync(app.Id, new ReporterProgress(Reporter), token), cancellationToken) is { } disks)
            {
                foreach (var disk in disks)
                {
                    WriteObject(new KompoxDisk(disk, app));
                }
            }
        }
    }
}
