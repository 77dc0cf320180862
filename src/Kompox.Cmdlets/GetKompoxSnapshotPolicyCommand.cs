using System.Management.Automation;
using Kompox.PowerShell;

namespace Kompox.Cmdlets;

/// <summary>
/// The snapshot policy of apps: their <c>SNAPSHOT_*</c> settings and, for an app of a Kompox service, the outcome of the
/// last run the service recorded (its background timer's, or Invoke-KompoxSnapshotPolicy's). From kompoxops.yml there is no
/// record: a run's outcome is what Invoke-KompoxSnapshotPolicy writes.
/// </summary>
[Cmdlet(VerbsCommon.Get, "KompoxSnapshotPolicy", DefaultParameterSetName = PathSet)]
[OutputType(typeof(KompoxSnapshotPolicy))]
public sealed class GetKompoxSnapshotPolicyCommand : KompoxDiskDataCmdlet
{
    protected override async Task ProcessRecordAsync(CancellationToken cancellationToken)
    {
        foreach (var app in InputResources(cancellationToken))
        {
            if (app.Client is not { } client)
            {
                WriteObject(new KompoxSnapshotPolicy(app, null));
                continue;
            }

            // A box, as the run is null before the first and TryAsync's null means a failure already reported.
            if (await TryAsync(async token => new[] { await client.GetLastSnapshotPolicyRunAsync(app.Id, token) }, cancellationToken) is [var run])
            {
                WriteObject(new KompoxSnapshotPolicy(app, run));
            }
        }
    }
}
