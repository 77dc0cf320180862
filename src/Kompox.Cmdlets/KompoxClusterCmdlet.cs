using System.Management.Automation;
using Kompox.Operations;
using Kompox.PowerShell;

namespace Kompox.Cmdlets;

/// <summary>
/// Base of cmdlets that act on clusters: Cluster objects from the pipeline (what Import-KompoxConfig writes; the
/// Service, Provider and App that come with them are passed over), objects that carry a Cluster (a cluster status) or
/// kompoxops.yml files by path. An input that cannot be used, or a cluster the operation fails on, is a non-terminating
/// error: the other clusters are still acted on.
/// </summary>
public abstract class KompoxClusterCmdlet : KompoxResourceCmdlet<KompoxCluster>
{
    protected const string ClusterSet = "Cluster";

    /// <summary>
    /// A Cluster; the other resources that come with it down the pipeline are passed over. By property name, so that a
    /// cluster status pipes into the next cluster cmdlet (<c>Get-KompoxCluster | Initialize-KompoxCluster</c>).
    /// </summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true, ParameterSetName = ClusterSet)]
    public KompoxResource Cluster { get; set; } = null!;

    protected override KompoxResource? GivenResource => ParameterSetName == ClusterSet ? Cluster : null;

    /// <summary>The operations on clusters, through this invocation's context; they take the cluster by its id.</summary>
    protected ClusterOperations Clusters => new(Context);

    protected override void Remember(KompoxCluster resource) => Store.Add(resource.Model);

    protected const string NameSet = "Name";

    /// <summary>Client mode: clusters of the connected Kompox service by name.</summary>
    [Parameter(Mandatory = true, ParameterSetName = NameSet)]
    [ValidateNotNullOrEmpty]
    public string[] Name { get; set; } = null!;

    /// <summary>
    /// Client mode: the service's clusters -Name names, or with nothing given every one; null when this invocation acts
    /// on kompoxops.yml files or Cluster objects instead.
    /// </summary>
    protected async Task<IReadOnlyList<KompoxCluster>?> ServiceClustersAsync(CancellationToken cancellationToken)
    {
        var service = ServiceSession.Current;
        if (ParameterSetName != NameSet && (service is null || ParameterSetName != PathSet || MyInvocation.BoundParameters.ContainsKey(nameof(Path))))
        {
            return null;
        }

        if (service is null)
        {
            Fail(ServiceSession.NotConnected($"{MyInvocation.MyCommand.Name} -Name"));
            return null;
        }

        var clusters = new List<Operations.Remote.ServiceCluster>();
        if (ParameterSetName == NameSet)
        {
            foreach (var name in Name)
            {
                if (await TryAsync(token => service.GetClusterAsync(name, token), cancellationToken) is { } cluster)
                {
                    clusters.Add(cluster);
                }
            }
        }
        else
        {
            clusters.AddRange(await TryAsync(service.ListClustersAsync, cancellationToken) ?? []);
        }

        var shown = new List<KompoxCluster>();
        foreach (var cluster in clusters)
        {
            shown.Add(ServiceSession.Cluster(cluster, await ClusterCredential.ProviderAsync(service, cluster.Provider, cancellationToken)));
        }

        return shown;
    }

    protected override KompoxException NotOfKind(KompoxResource given) =>
        new("NotACluster", ErrorKind.InvalidArgument, $"-Cluster takes a Cluster; {given.Kind} {given.Id} is not one") { Target = given.Id };
}
