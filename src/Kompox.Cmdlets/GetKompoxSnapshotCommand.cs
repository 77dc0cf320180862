using System.Management.Automation;
using Kompox.PowerShell;

namespace Kompox.Cmdlets;

/// <summary>Lists the snapshots of apps, newest first.</summary>
[Cmdlet(VerbsCommon.Get, "KompoxSnapshot", DefaultParameterSetName = PathSet)]
[OutputType(typeof(KompoxSnapshot))]
public sealed class GetKompoxSnapshotCommand : KompoxDiskDataCmdlet
{
    protected override async Task ProcessRecordAsync(CancellationToken cancellationToken)
    {
        foreach (var app in InputResources(cancellationToken))
        {
            if (await TryAsync(token => Snapshots(app).ListAsync(app.Id, Progress, token), cancellationToken) is { } snapshots)
            {
                foreach (var snapshot in snapshots)
                {
                    WriteObject(new KompoxSnapshot(snapshot, app));
                }
            }
        }
    }
}
