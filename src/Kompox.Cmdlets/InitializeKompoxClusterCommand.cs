using System.Management.Automation;
using Kompox.Operations;
using Kompox.PowerShell;

namespace Kompox.Cmdlets;

[Cmdlet(VerbsData.Initialize, "KompoxCluster", DefaultParameterSetName = PathSet, SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(KompoxClusterStatus))]
public sealed class InitializeKompoxClusterCommand : KompoxClusterCmdlet
{
    protected override async Task ProcessRecordAsync(CancellationToken cancellationToken)
    {
        foreach (var cluster in InputResources(cancellationToken))
        {
            var objects = ClusterOperations.DescribeIngress(cluster.Model);
            var target = $"cluster {cluster.Id} ({cluster.Model.Auth})";
            if (!ShouldProcess(target, $"Install the ingress by server-side apply: {string.Join(", ", objects)}"))
            {
                continue;
            }

            await RunAsync(
                token => Clusters.InitializeIngressAsync(cluster.Id, new ReporterProgress(Reporter), token),
                status => new KompoxClusterStatus(status, cluster),
                cancellationToken);
        }
    }
}
