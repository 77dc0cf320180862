using k8s;
using k8s.Models;
using Kompox.Conversion;
using Kompox.Kube;
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
    IReadOnlyList<ClusterApp> Apps)
{
    /// <summary>
    /// The network policy engine the provider says the cluster runs (AKS: azure, calico, cilium or none); null where it
    /// does not say (k3s: its embedded policy controller runs unless started with --disable-network-policy).
    /// </summary>
    public string? NetworkPolicy { get; init; }

    /// <summary>Whether the apps' NetworkPolicies are enforced, their tenant isolation; null when unknown.</summary>
    public bool? NetworkPolicyEnforced => NetworkPolicy is null ? null : !string.Equals(NetworkPolicy, "none", StringComparison.OrdinalIgnoreCase);

    /// <summary>What the cluster runs of k3s's bundled Traefik (e.g. "HelmChart kube-system/traefik"), which Kompox's ingress cannot run beside; null when nothing.</summary>
    public string? BundledIngress { get; init; }
}

/// <summary>What can be done to a cluster, by its id (<c>{service}/{provider}/{cluster}</c>); every method runs through the context's runner.</summary>
public interface IClusterOperations
{
    /// <summary>Reaches the cluster's API server with its credentials and asks its version: the check deploy makes first.</summary>
    Task<ClusterConnection> ConnectAsync(string clusterId, IProgress<OperationProgress>? progress, CancellationToken cancellationToken);

    /// <summary>Installs or updates the cluster ingress (SPEC 4) by server-side apply; a second run changes nothing.</summary>
    Task<ClusterStatus> InitializeIngressAsync(string clusterId, IProgress<OperationProgress>? progress, CancellationToken cancellationToken);

    /// <summary>Reads the server version, the state of the cluster ingress and the Kompox apps on the cluster.</summary>
    Task<ClusterStatus> GetStatusAsync(string clusterId, IProgress<OperationProgress>? progress, CancellationToken cancellationToken);

    /// <summary>
    /// Every Kompox app on the cluster, from the namespaces' labels and annotations, whether or not its config is at
    /// hand: its status (ready, URLs, current disk, the config it was deployed from) and the app to act on by id.
    /// </summary>
    /// <param name="includeRemoved">Also the apps Remove-KompoxApp took down, whose namespaces keep their disk state.</param>
    Task<IReadOnlyList<ClusterAppEntry>> ListAppsAsync(string clusterId, bool includeRemoved, IProgress<OperationProgress>? progress, CancellationToken cancellationToken);
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

    public Task<ClusterConnection> ConnectAsync(string clusterId, IProgress<OperationProgress>? progress, CancellationToken cancellationToken) =>
        context.Runner.RunAsync(OperationSpec.OnCluster($"Connecting to cluster {clusterId}", clusterId), progress, async (scope, token) =>
        {
            scope.Step(scope.Cluster.Auth.ToString(), 10);
            var version = await scope.Kube.Version.GetCodeAsync(token).ConfigureAwait(false);
            scope.Step($"server {version.GitVersion}", 90);
            return new ClusterConnection(scope.Cluster.Id, version.GitVersion, version.Platform);
        }, cancellationToken);

    public Task<ClusterStatus> InitializeIngressAsync(string clusterId, IProgress<OperationProgress>? progress, CancellationToken cancellationToken) =>
        context.Runner.RunAsync(OperationSpec.OnCluster($"Installing the ingress of cluster {clusterId}", clusterId), progress, async (scope, token) =>
        {
            scope.Step(scope.Cluster.Auth.ToString(), 0);
            await IngressChecks.RefuseBesideBundledAsync(scope, token).ConfigureAwait(false);
            var objects = ClusterIngressManifest.Objects(scope.Cluster);
            for (var i = 0; i < objects.Count; i++)
            {
                scope.Step($"applying {KubeObjectRef.Of(objects[i])}", i * 80 / objects.Count);
                await KubeObjects.ApplyAsync(scope.Kube, objects[i], token).ConfigureAwait(false);
            }

            return await ReadStatusAsync(scope, token).ConfigureAwait(false);
        }, cancellationToken);

    public Task<ClusterStatus> GetStatusAsync(string clusterId, IProgress<OperationProgress>? progress, CancellationToken cancellationToken) =>
        context.Runner.RunAsync(OperationSpec.OnCluster($"Reading the status of cluster {clusterId}", clusterId), progress, (scope, token) =>
        {
            scope.Step(scope.Cluster.Auth.ToString(), 0);
            return ReadStatusAsync(scope, token);
        }, cancellationToken);

    public Task<IReadOnlyList<ClusterAppEntry>> ListAppsAsync(string clusterId, bool includeRemoved, IProgress<OperationProgress>? progress, CancellationToken cancellationToken) =>
        context.Runner.RunAsync(OperationSpec.OnCluster($"Listing the apps of cluster {clusterId}", clusterId), progress, (scope, token) => ClusterApps.ListAsync(scope, includeRemoved, token), cancellationToken);

    /// <summary>
    /// What the provider says of the cluster's network policy engine, warning when there is none: every app's
    /// NetworkPolicy is then stored and not enforced, so apps are not isolated from each other. The status is the
    /// cluster's, so a provider that cannot be asked (no Azure sign-in) is a warning, not a failure.
    /// </summary>
    private static async Task<string?> NetworkPolicyAsync(OperationScope scope, CancellationToken cancellationToken)
    {
        var cluster = scope.Cluster;
        string? policy;
        try
        {
            policy = await scope.Context.Runtime(cluster).NetworkPolicyAsync(cluster, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            var error = ErrorTranslation.Translate(e, "reading the cluster's network policy from the provider", cancellationToken);
            scope.Warn(Diagnostic.Warning(cluster.Id, SourceMark.File, string.Empty, $"{error.Message}; whether NetworkPolicy is enforced is unknown"));
            return null;
        }

        if (policy is not null && string.Equals(policy, "none", StringComparison.OrdinalIgnoreCase))
        {
            scope.Warn(Diagnostic.Warning(cluster.Id, SourceMark.File, string.Empty, $"cluster {cluster.Id} has no network policy engine (networkProfile.networkPolicy none): the apps' NetworkPolicies are not enforced, so apps are not isolated from each other by them"));
        }

        return policy;
    }

    private static async Task<ClusterStatus> ReadStatusAsync(OperationScope scope, CancellationToken cancellationToken)
    {
        var cluster = scope.Cluster;
        var client = scope.Kube;
        var ns = cluster.Ingress.Namespace;
        var version = await client.Version.GetCodeAsync(cancellationToken).ConfigureAwait(false);
        scope.Step("reading the ingress", 85);
        var deployment = await KubeObjects.ReadOrNullAsync(() => client.AppsV1.ReadNamespacedDeploymentAsync(ClusterIngressManifest.Name, ns, cancellationToken: cancellationToken)).ConfigureAwait(false);
        var service = await KubeObjects.ReadOrNullAsync(() => client.CoreV1.ReadNamespacedServiceAsync(ClusterIngressManifest.Name, ns, cancellationToken: cancellationToken)).ConfigureAwait(false);
        var bundled = await IngressChecks.BundledTraefikAsync(client, cancellationToken).ConfigureAwait(false);
        if (bundled is not null)
        {
            scope.Warn(Diagnostic.Warning(cluster.Id, SourceMark.File, string.Empty, $"cluster {cluster.Id} runs k3s's bundled Traefik ({bundled}): Kompox's ingress cannot serve beside it; start the k3s server with --disable=traefik"));
        }

        var networkPolicy = await NetworkPolicyAsync(scope, cancellationToken).ConfigureAwait(false);
        scope.Step("listing apps", 92);
        var namespaces = await client.CoreV1.ListNamespaceAsync(labelSelector: $"{KompoxMetadata.ManagedByLabel}={KompoxMetadata.ManagedByValue}", cancellationToken: cancellationToken).ConfigureAwait(false);
        var apps = namespaces.Items
            .Where(n => n.Metadata.Annotations?.ContainsKey(KompoxMetadata.AppAnnotation) == true)
            .Select(n => new ClusterApp(n.Metadata.Annotations[KompoxMetadata.AppAnnotation], n.Metadata.Name, AppDiskState.Of(n).CurrentDiskId))
            .OrderBy(a => a.AppId, StringComparer.Ordinal)
            .ToList();
        var address = service?.Status?.LoadBalancer?.Ingress?.FirstOrDefault();
        return new ClusterStatus(
            cluster.Id,
            client.BaseUri.GetLeftPart(UriPartial.Authority),
            cluster.Auth.Context,
            version.GitVersion,
            ns,
            deployment is not null,
            (deployment?.Status?.AvailableReplicas ?? 0) > 0,
            string.IsNullOrEmpty(address?.Ip) ? null : address.Ip,
            string.IsNullOrEmpty(address?.Hostname) ? null : address.Hostname,
            apps)
        {
            BundledIngress = bundled,
            NetworkPolicy = networkPolicy,
        };
    }
}
