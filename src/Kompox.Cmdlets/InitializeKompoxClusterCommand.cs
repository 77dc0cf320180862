using System.Management.Automation;
using Kompox.Operations;
using Kompox.PowerShell;

namespace Kompox.Cmdlets;

/// <summary>Installs the shared ingress on clusters; connected to a Kompox service, on the service's clusters -Name names.</summary>
[Cmdlet(VerbsData.Initialize, "KompoxCluster", DefaultParameterSetName = PathSet, SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(KompoxClusterStatus))]
public sealed class InitializeKompoxClusterCommand : KompoxClusterCmdlet
{
    protected override async Task ProcessRecordAsync(CancellationToken cancellationToken)
    {
        if (await ServiceClustersAsync(cancellationToken) is { } registered)
        {
            var service = ServiceSession.Current!;
            foreach (var cluster in registered)
            {
                if (ShouldProcess($"cluster {cluster.Name} of the Kompox service {service.Uri}", "Install the ingress by server-side apply"))
                {
                    await RunAsync(token => service.InitializeClusterAsync(cluster.Name, new ReporterProgress(Reporter), token), status => new KompoxClusterStatus(status, cluster), cancellationToken);
                }
            }

            return;
        }

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
