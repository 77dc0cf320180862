using System.Management.Automation;
using Kompox.Operations;
using Kompox.PowerShell;

namespace Kompox.Cmdlets;

/// <summary>
/// Shows apps on their cluster: deployed or not, ready, the Pod and its containers, the URLs and the disks. With
/// -Cluster, every Kompox app the cluster runs, found by its namespace, whether or not its config is at hand.
/// </summary>
[Cmdlet(VerbsCommon.Get, "KompoxApp", DefaultParameterSetName = PathSet)]
[OutputType(typeof(KompoxAppStatus))]
public sealed class GetKompoxAppCommand : KompoxAppCmdlet
{
    private const string ClusterSet = "Cluster";

    /// <summary>The cluster whose apps to list: a Cluster object, or the kompoxops.yml or cluster file that defines it.</summary>
    [Parameter(Mandatory = true, ParameterSetName = ClusterSet)]
    [ClusterArgument]
    public KompoxResource Cluster { get; set; } = null!;

    /// <summary>With -Cluster, also the apps Remove-KompoxApp took down (their namespaces keep the disk state).</summary>
    [Parameter(ParameterSetName = ClusterSet)]
    public SwitchParameter IncludeRemoved { get; set; }

    protected override async Task ProcessRecordAsync(CancellationToken cancellationToken)
    {
        if (ParameterSetName == ClusterSet)
        {
            await ListClusterAsync(cancellationToken);
            return;
        }

        foreach (var app in InputResources(cancellationToken))
        {
            await RunAsync(
                token => Apps.GetStatusAsync(app.Id, new ReporterProgress(Reporter), token),
                status => new KompoxAppStatus(status, app),
                cancellationToken);
        }
    }

    private async Task ListClusterAsync(CancellationToken cancellationToken)
    {
        if (Cluster is not KompoxCluster cluster)
        {
            Fail(new KompoxException("NotACluster", ErrorKind.InvalidArgument, $"-Cluster takes a Cluster or the file that defines it; {Cluster.Kind} {Cluster.Id} is not one") { Target = Cluster.Id });
            return;
        }

        // The apps whose configs came with the cluster are at hand: the engine lists them as they are, so they stay deployable.
        Store.Add(cluster.Model);
        foreach (var configured in cluster.ConfiguredApps)
        {
            Store.Add(configured.Model);
        }

        var entries = await TryAsync(token => new ClusterOperations(Context).ListAppsAsync(cluster.Id, IncludeRemoved, new ReporterProgress(Reporter), token), cancellationToken);
        foreach (var entry in entries ?? Array.Empty<ClusterAppEntry>())
        {
            var app = entry.App is null ? null : cluster.ConfiguredApps.FirstOrDefault(a => ReferenceEquals(a.Model, entry.App)) ?? new KompoxApp(entry.App, cluster);
            WriteObject(new KompoxAppStatus(entry.Status, app));
        }
    }
}
