using System.Management.Automation;
using Kompox.Operations;
using Kompox.PowerShell;

namespace Kompox.Cmdlets;

[Cmdlet(VerbsCommon.Get, "KompoxCluster", DefaultParameterSetName = PathSet)]
[OutputType(typeof(KompoxClusterStatus))]
public sealed class GetKompoxClusterCommand : KompoxClusterCmdlet
{
    protected override async Task ProcessRecordAsync(CancellationToken cancellationToken)
    {
        foreach (var cluster in InputResources(cancellationToken))
        {
            await RunAsync(
                token => Clusters.GetStatusAsync(cluster.Id, new ReporterProgress(Reporter), token),
                status => new KompoxClusterStatus(status, cluster),
                cancellationToken);
        }
    }
}
