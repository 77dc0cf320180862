using System.Management.Automation;
using Kompox.Operations;
using Kompox.PowerShell;

namespace Kompox.Cmdlets;

/// <summary>
/// The status of clusters: the API server, the ingress and the apps on it. Connected to a Kompox service, the service's
/// clusters (those -Name names, or every one), as the service reaches them.
/// </summary>
[Cmdlet(VerbsCommon.Get, "KompoxCluster", DefaultParameterSetName = PathSet)]
[OutputType(typeof(KompoxClusterStatus))]
public sealed class GetKompoxClusterCommand : KompoxClusterCmdlet
{
    protected override async Task ProcessRecordAsync(CancellationToken cancellationToken)
    {
        if (await ServiceClustersAsync(cancellationToken) is { } registered)
        {
            var service = ServiceSession.Current!;
            foreach (var cluster in registered)
            {
                await RunAsync(token => service.GetClusterStatusAsync(cluster.Name, token), status => new KompoxClusterStatus(status, cluster), cancellationToken);
            }

            return;
        }

        foreach (var cluster in InputResources(cancellationToken))
        {
            await RunAsync(
                token => Clusters.GetStatusAsync(cluster.Id, new ReporterProgress(Reporter), token),
                status => new KompoxClusterStatus(status, cluster),
                cancellationToken);
        }
    }
}
