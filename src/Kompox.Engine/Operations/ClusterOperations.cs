using k8s;
using k8s.Models;
using Kompox.Conversion;
using Kompox.Model;

namespace Kompox.Operations;

/// <summary>The API server a cluster's credentials reach.</summary>
/// <param name="ServerVersion">As <c>kubectl version</c> shows it, e.g. v1.31.4+k3s1.</param>
public sealed record ClusterConnection(string ClusterId, string ServerVersion, string Platform);

/// <summary>A Kompox app found on a cluster: a namespace labelled <c>app.kubernetes.io/managed-by=kompox</c> with its <c>kompox.dev/app</c> annotation.</summary>
/// <param name="AppId">The annotation: <c>{service}/{provider}/{cluster}/{app}</c>.</param>
/// <param name="DiskId">The app's current disk (<c>kompox.dev/disk-current-id</c>), null before its first deploy.</param>
public sealed record ClusterApp(string AppId, string Namespace, string? DiskId);

/// <summary>What a cluster runs of Kompox: its API server, the cluster ingress and the apps.</summary>
/// <param name="Server">The API server's URL, as the kubeconfig names it.</param>
/// <param name="Context">The kubeconfig context, or null for its current one.</param>
/// <param name="IngressInstalled">The ingress Deployment exists.</param>
/// <param name="IngressReady">It has an available replica.</param>
/// <param name="LoadBalancerIP">The ingress Service's public address, null while the cloud has given none.</param>
/// <param name="LoadBalancerHostName">Its host name, on clouds that give one (AWS), else null.</param>
public sealed record ClusterStatus(
    string ClusterId,
    string Server,
    string? Context,
    string ServerVersion,
    string IngressNamespace,
    bool IngressInstalled,
    bool IngressReady,
    string? LoadBalancerIP,
    string? LoadBalancerHostName,
    IReadOnlyList<ClusterApp> Apps);

public interface IClusterOperations
{
    /// <summary>Reaches the cluster's API server with its credentials and asks its version: the check deploy makes first.</summary>
    Task<ClusterConnection> ConnectAsync(KompoxCluster cluster, IProgress<OperationProgress>? progress, CancellationToken cancellationToken);

    /// <summary>Installs or updates the cluster ingress (SPEC 4) by server-side apply; a second run changes nothing.</summary>
    Task<ClusterStatus> InitializeIngressAsync(KompoxCluster cluster, IProgress<OperationProgress>? progress, CancellationToken cancellationToken);

    /// <summary>Reads the server version, the state of the cluster ingress and the Kompox apps on the cluster.</summary>
    Task<ClusterStatus> GetStatusAsync(KompoxCluster cluster, IProgress<OperationProgress>? progress, CancellationToken cancellationToken);
}

public sealed class ClusterOperations : IClusterOperations
{
    private readonly KompoxContext context;

    public ClusterOperations(KompoxContext context)
    {
        this.context = context;
    }

    /// <summary>What <see cref="InitializeIngressAsync"/> applies, e.g. "Deployment traefik/traefik", without reading or sending anything.</summary>
    public static IReadOnlyList<string> DescribeIngress(KompoxCluster cluster) =>
        ClusterIngressManifest.Objects(cluster).Select(o => KubeObjectRef.Of(o).ToString()).ToList();

    public Task<ClusterConnection> ConnectAsync(KompoxCluster cluster, IProgress<OperationProgress>? progress, CancellationToken cancellationToken)
    {
        var report = progress ?? NoProgress.Instance;
        var activity = $"Connecting to cluster {cluster.Id}";
        report.Report(new OperationProgress(activity, cluster.Auth.ToString(), 0));
        var client = context.KubeClients.Create(cluster, new RequestReporter(activity, report));
        return ErrorTranslation.Guard(Doing(activity, cluster, client), cancellationToken, async () =>
        {
            var version = await client.Version.GetCodeAsync(cancellationToken).ConfigureAwait(false);
            report.Report(new OperationProgress(activity, $"server {version.GitVersion}", 100));
            return new ClusterConnection(cluster.Id, version.GitVersion, version.Platform);
        });
    }

    public async Task<ClusterStatus> InitializeIngressAsync(KompoxCluster cluster, IProgress<OperationProgress>? progress, CancellationToken cancellationToken)
    {
        var report = progress ?? NoProgress.Instance;
        var activity = $"Installing the ingress of cluster {cluster.Id}";
        report.Report(new OperationProgress(activity, cluster.Auth.ToString(), 0));
        var client = context.KubeClients.Create(cluster, new RequestReporter(activity, report));
        await ErrorTranslation.Guard(Doing(activity, cluster, client), cancellationToken, async () =>
        {
            var objects = ClusterIngressManifest.Objects(cluster);
            for (var i = 0; i < objects.Count; i++)
            {
                report.Report(new OperationProgress(activity, $"applying {KubeObjectRef.Of(objects[i])}", i * 100 / objects.Count));
                await KubeObjects.ApplyAsync(client, objects[i], cancellationToken).ConfigureAwait(false);
            }
        }).ConfigureAwait(false);
        report.Report(new OperationProgress(activity, "applied", 100));
        return await GetStatusAsync(cluster, progress, cancellationToken).ConfigureAwait(false);
    }

    public Task<ClusterStatus> GetStatusAsync(KompoxCluster cluster, IProgress<OperationProgress>? progress, CancellationToken cancellationToken)
    {
        var report = progress ?? NoProgress.Instance;
        var activity = $"Reading the status of cluster {cluster.Id}";
        report.Report(new OperationProgress(activity, cluster.Auth.ToString(), 0));
        var client = context.KubeClients.Create(cluster, new RequestReporter(activity, report));
        var ns = cluster.Ingress.Namespace;
        return ErrorTranslation.Guard(Doing(activity, cluster, client), cancellationToken, async () =>
        {
            var version = await client.Version.GetCodeAsync(cancellationToken).ConfigureAwait(false);
            report.Report(new OperationProgress(activity, "reading the ingress", 25));
            var deployment = await ReadOrNullAsync(() => client.AppsV1.ReadNamespacedDeploymentAsync(ClusterIngressManifest.Name, ns, cancellationToken: cancellationToken)).ConfigureAwait(false);
            var service = await ReadOrNullAsync(() => client.CoreV1.ReadNamespacedServiceAsync(ClusterIngressManifest.Name, ns, cancellationToken: cancellationToken)).ConfigureAwait(false);
            report.Report(new OperationProgress(activity, "listing apps", 75));
            var namespaces = await client.CoreV1.ListNamespaceAsync(labelSelector: $"{KompoxMetadata.ManagedByLabel}={KompoxMetadata.ManagedByValue}", cancellationToken: cancellationToken).ConfigureAwait(false);
            var apps = namespaces.Items
                .Where(n => n.Metadata.Annotations?.ContainsKey(KompoxMetadata.AppAnnotation) == true)
                .Select(n => new ClusterApp(n.Metadata.Annotations[KompoxMetadata.AppAnnotation], n.Metadata.Name, AppDiskState.Of(n).CurrentDiskId))
                .OrderBy(a => a.AppId, StringComparer.Ordinal)
                .ToList();
            var address = service?.Status?.LoadBalancer?.Ingress?.FirstOrDefault();
            report.Report(new OperationProgress(activity, "read", 100));
            return new ClusterStatus(
                cluster.Id,
                Server(client),
                cluster.Auth.Context,
                version.GitVersion,
                ns,
                deployment is not null,
                (deployment?.Status?.AvailableReplicas ?? 0) > 0,
                string.IsNullOrEmpty(address?.Ip) ? null : address.Ip,
                string.IsNullOrEmpty(address?.Hostname) ? null : address.Hostname,
                apps);
        });
    }

    internal static async Task<T?> ReadOrNullAsync<T>(Func<Task<T>> read)
        where T : class
    {
        try
        {
            return await read().ConfigureAwait(false);
        }
        catch (k8s.Autorest.HttpOperationException e) when (e.Response?.StatusCode == System.Net.HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    internal static string Server(IKubernetes client) => client.BaseUri.GetLeftPart(UriPartial.Authority);

    /// <summary>What errors say the operation was doing: with the server and the context, so that a failure to connect names them.</summary>
    internal static string Doing(string activity, KompoxCluster cluster, IKubernetes client) =>
        $"{activity} (server {Server(client)}, context {cluster.Auth.Context ?? "(current)"})";
}
