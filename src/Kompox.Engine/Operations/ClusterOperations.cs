using k8s;
using Kompox.Model;

namespace Kompox.Operations;

/// <summary>The API server a cluster's credentials reach.</summary>
/// <param name="ServerVersion">As <c>kubectl version</c> shows it, e.g. v1.31.4+k3s1.</param>
public sealed record ClusterConnection(string ClusterId, string ServerVersion, string Platform);

public interface IClusterOperations
{
    /// <summary>Reaches the cluster's API server with its credentials and asks its version: the check deploy makes first.</summary>
    Task<ClusterConnection> ConnectAsync(KompoxCluster cluster, IProgress<OperationProgress>? progress, CancellationToken cancellationToken);
}

public sealed class ClusterOperations : IClusterOperations
{
    private readonly KompoxContext context;

    public ClusterOperations(KompoxContext context)
    {
        this.context = context;
    }

    public Task<ClusterConnection> ConnectAsync(KompoxCluster cluster, IProgress<OperationProgress>? progress, CancellationToken cancellationToken)
    {
        var activity = $"Connecting to cluster {cluster.Id}";
        return ErrorTranslation.Guard(activity, cancellationToken, async () =>
        {
            var report = progress ?? NoProgress.Instance;
            report.Report(new OperationProgress(activity, cluster.Auth.ToString(), 0));
            var client = context.KubeClients.Create(cluster, new RequestReporter(activity, report));
            var version = await client.Version.GetCodeAsync(cancellationToken).ConfigureAwait(false);
            report.Report(new OperationProgress(activity, $"server {version.GitVersion}", 100));
            return new ClusterConnection(cluster.Id, version.GitVersion, version.Platform);
        });
    }
}
