using k8s;
using k8s.Models;

namespace Kompox.Kube;

/// <summary>An object on the cluster, as "Kind namespace/name" (or "Kind name" when cluster-scoped).</summary>
public sealed record KubeObjectRef(string Kind, string? Namespace, string Name)
{
    public static KubeObjectRef Of(IKubernetesObject<V1ObjectMeta> o) => new(o.Kind, o.Metadata.NamespaceProperty, o.Metadata.Name);

    public override string ToString() => Namespace is null ? $"{Kind} {Name}" : $"{Kind} {Namespace}/{Name}";
}

/// <summary>
/// The writes Kompox sends for each kind it manages: server-side apply under one field manager (forced, so that
/// Kompox's own fields win over edits by hand), listing by label selector and deletion. Shared by the cluster
/// ingress and by deploy, prune and destroy of apps.
/// </summary>
internal static class KubeObjects
{
    /// <summary>The field manager of every object Kompox applies (the disk state has its own, see <c>KompoxMetadata.DiskStateFieldManager</c>).</summary>
    public const string FieldManager = "kompox";

    /// <summary>
    /// The kinds an app's objects may be of, other than its Namespace, in apply order; what prune and destroy look for
    /// by label. The Namespace is never deleted (it carries the disk state), nor the app's Lease (not a kind the
    /// conversion writes).
    /// </summary>
    public static readonly IReadOnlyList<string> AppKinds = new[]
    {
        "ResourceQuota", "ServiceAccount", "Role", "RoleBinding", "NetworkPolicy", "ConfigMap", "Secret",
        "PersistentVolume", "PersistentVolumeClaim", "Service", "Deployment", "Ingress",
    };

    /// <summary>Applies one object by server-side apply with force, as field manager <see cref="FieldManager"/>.</summary>
    /// <param name="dryRun">Ask the server what the apply would give without storing it (<c>dryRun=All</c>).</param>
    /// <returns>The object as the server has it after the apply (with its status).</returns>
    public static async Task<IKubernetesObject<V1ObjectMeta>> ApplyAsync(IKubernetes client, IKubernetesObject<V1ObjectMeta> body, CancellationToken cancellationToken, bool dryRun = false)
    {
        var d = dryRun ? "All" : null;
        var patch = new V1Patch(body, V1Patch.PatchType.ApplyPatch);
        var name = body.Metadata.Name;
        var ns = body.Metadata.NamespaceProperty;
        const string m = FieldManager;
        var ct = cancellationToken;
        return body switch
        {
            V1Namespace => await client.CoreV1.PatchNamespaceAsync(patch, name, dryRun: d, fieldManager: m, force: true, cancellationToken: ct).ConfigureAwait(false) as IKubernetesObject<V1ObjectMeta>,
            V1ResourceQuota => await client.CoreV1.PatchNamespacedResourceQuotaAsync(patch, name, ns, dryRun: d, fieldManager: m, force: true, cancellationToken: ct).ConfigureAwait(false),
            V1ServiceAccount => await client.CoreV1.PatchNamespacedServiceAccountAsync(patch, name, ns, dryRun: d, fieldManager: m, force: true, cancellationToken: ct).ConfigureAwait(false),
            V1Role => await client.RbacAuthorizationV1.PatchNamespacedRoleAsync(patch, name, ns, dryRun: d, fieldManager: m, force: true, cancellationToken: ct).ConfigureAwait(false),
            V1RoleBinding => await client.RbacAuthorizationV1.PatchNamespacedRoleBindingAsync(patch, name, ns, dryRun: d, fieldManager: m, force: true, cancellationToken: ct).ConfigureAwait(false),
            V1ClusterRole => await client.RbacAuthorizationV1.PatchClusterRoleAsync(patch, name, dryRun: d, fieldManager: m, force: true, cancellationToken: ct).ConfigureAwait(false),
            V1ClusterRoleBinding => await client.RbacAuthorizationV1.PatchClusterRoleBindingAsync(patch, name, dryRun: d, fieldManager: m, force: true, cancellationToken: ct).ConfigureAwait(false),
            V1NetworkPolicy => await client.NetworkingV1.PatchNamespacedNetworkPolicyAsync(patch, name, ns, dryRun: d, fieldManager: m, force: true, cancellationToken: ct).ConfigureAwait(false),
            V1IngressClass => await client.NetworkingV1.PatchIngressClassAsync(patch, name, dryRun: d, fieldManager: m, force: true, cancellationToken: ct).ConfigureAwait(false),
            V1ConfigMap => await client.CoreV1.PatchNamespacedConfigMapAsync(patch, name, ns, dryRun: d, fieldManager: m, force: true, cancellationToken: ct).ConfigureAwait(false),
            V1Secret => await client.CoreV1.PatchNamespacedSecretAsync(patch, name, ns, dryRun: d, fieldManager: m, force: true, cancellationToken: ct).ConfigureAwait(false),
            V1PersistentVolume => await client.CoreV1.PatchPersistentVolumeAsync(patch, name, dryRun: d, fieldManager: m, force: true, cancellationToken: ct).ConfigureAwait(false),
            V1PersistentVolumeClaim => await client.CoreV1.PatchNamespacedPersistentVolumeClaimAsync(patch, name, ns, dryRun: d, fieldManager: m, force: true, cancellationToken: ct).ConfigureAwait(false),
            V1Service => await client.CoreV1.PatchNamespacedServiceAsync(patch, name, ns, dryRun: d, fieldManager: m, force: true, cancellationToken: ct).ConfigureAwait(false),
            V1Deployment => await client.AppsV1.PatchNamespacedDeploymentAsync(patch, name, ns, dryRun: d, fieldManager: m, force: true, cancellationToken: ct).ConfigureAwait(false),
            V1Ingress => await client.NetworkingV1.PatchNamespacedIngressAsync(patch, name, ns, dryRun: d, fieldManager: m, force: true, cancellationToken: ct).ConfigureAwait(false),
            // The conversion and the ingress manifest emit only the kinds above; another one is a fault of Kompox.
            _ => throw new InvalidOperationException($"Kompox does not apply objects of kind {body.Kind}"),
        };
    }

    /// <summary>
    /// The objects of <paramref name="kind"/> matching <paramref name="labelSelector"/>: in <paramref name="ns"/> for
    /// a namespaced kind, cluster-wide for a PersistentVolume.
    /// </summary>
    public static async Task<IReadOnlyList<KubeObjectRef>> ListAsync(IKubernetes client, string kind, string ns, string labelSelector, CancellationToken cancellationToken) =>
        (await ListObjectsAsync(client, kind, ns, labelSelector, cancellationToken).ConfigureAwait(false)).Select(o => RefOf(kind, o)).ToList();

    /// <summary>As <see cref="ListAsync"/>, the objects themselves, sorted by name.</summary>
    public static async Task<IReadOnlyList<IKubernetesObject<V1ObjectMeta>>> ListObjectsAsync(IKubernetes client, string kind, string ns, string labelSelector, CancellationToken cancellationToken)
    {
        var s = labelSelector;
        var ct = cancellationToken;
        IEnumerable<IKubernetesObject<V1ObjectMeta>> items = kind switch
        {
            "ResourceQuota" => (await client.CoreV1.ListNamespacedResourceQuotaAsync(ns, labelSelector: s, cancellationToken: ct).ConfigureAwait(false)).Items,
            "ServiceAccount" => (await client.CoreV1.ListNamespacedServiceAccountAsync(ns, labelSelector: s, cancellationToken: ct).ConfigureAwait(false)).Items,
            "Role" => (await client.RbacAuthorizationV1.ListNamespacedRoleAsync(ns, labelSelector: s, cancellationToken: ct).ConfigureAwait(false)).Items,
            "RoleBinding" => (await client.RbacAuthorizationV1.ListNamespacedRoleBindingAsync(ns, labelSelector: s, cancellationToken: ct).ConfigureAwait(false)).Items,
            "NetworkPolicy" => (await client.NetworkingV1.ListNamespacedNetworkPolicyAsync(ns, labelSelector: s, cancellationToken: ct).ConfigureAwait(false)).Items,
            "ConfigMap" => (await client.CoreV1.ListNamespacedConfigMapAsync(ns, labelSelector: s, cancellationToken: ct).ConfigureAwait(false)).Items,
            "Secret" => (await client.CoreV1.ListNamespacedSecretAsync(ns, labelSelector: s, cancellationToken: ct).ConfigureAwait(false)).Items,
            "PersistentVolume" => (await client.CoreV1.ListPersistentVolumeAsync(labelSelector: s, cancellationToken: ct).ConfigureAwait(false)).Items,
            "PersistentVolumeClaim" => (await client.CoreV1.ListNamespacedPersistentVolumeClaimAsync(ns, labelSelector: s, cancellationToken: ct).ConfigureAwait(false)).Items,
            "Service" => (await client.CoreV1.ListNamespacedServiceAsync(ns, labelSelector: s, cancellationToken: ct).ConfigureAwait(false)).Items,
            "Deployment" => (await client.AppsV1.ListNamespacedDeploymentAsync(ns, labelSelector: s, cancellationToken: ct).ConfigureAwait(false)).Items,
            "Ingress" => (await client.NetworkingV1.ListNamespacedIngressAsync(ns, labelSelector: s, cancellationToken: ct).ConfigureAwait(false)).Items,
            _ => throw new InvalidOperationException($"Kompox does not list objects of kind {kind}"),
        };
        return items.OrderBy(o => o.Metadata.Name, StringComparer.Ordinal).ToList();
    }

    /// <summary>The reference of a listed object: list items carry no kind of their own.</summary>
    public static KubeObjectRef RefOf(string kind, IKubernetesObject<V1ObjectMeta> o) => new(kind, kind == "PersistentVolume" ? null : o.Metadata.NamespaceProperty, o.Metadata.Name);

    /// <summary>The object <paramref name="read"/> reads; null when the server answers 404.</summary>
    public static async Task<T?> ReadOrNullAsync<T>(Func<Task<T>> read)
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

    /// <summary>Deletes one object; the Deployment's ReplicaSets and Pods go with it (background propagation).</summary>
    public static async Task DeleteAsync(IKubernetes client, KubeObjectRef o, CancellationToken cancellationToken)
    {
        var options = new V1DeleteOptions { PropagationPolicy = "Background" };
        var (name, ns, ct) = (o.Name, o.Namespace, cancellationToken);
        _ = o.Kind switch
        {
            "ResourceQuota" => await client.CoreV1.DeleteNamespacedResourceQuotaAsync(name, ns, options, cancellationToken: ct).ConfigureAwait(false) as object,
            "ServiceAccount" => await client.CoreV1.DeleteNamespacedServiceAccountAsync(name, ns, options, cancellationToken: ct).ConfigureAwait(false),
            "Role" => await client.RbacAuthorizationV1.DeleteNamespacedRoleAsync(name, ns, options, cancellationToken: ct).ConfigureAwait(false),
            "RoleBinding" => await client.RbacAuthorizationV1.DeleteNamespacedRoleBindingAsync(name, ns, options, cancellationToken: ct).ConfigureAwait(false),
            "NetworkPolicy" => await client.NetworkingV1.DeleteNamespacedNetworkPolicyAsync(name, ns, options, cancellationToken: ct).ConfigureAwait(false),
            "ConfigMap" => await client.CoreV1.DeleteNamespacedConfigMapAsync(name, ns, options, cancellationToken: ct).ConfigureAwait(false),
            "Secret" => await client.CoreV1.DeleteNamespacedSecretAsync(name, ns, options, cancellationToken: ct).ConfigureAwait(false),
            "PersistentVolume" => await client.CoreV1.DeletePersistentVolumeAsync(name, options, cancellationToken: ct).ConfigureAwait(false),
            "PersistentVolumeClaim" => await client.CoreV1.DeleteNamespacedPersistentVolumeClaimAsync(name, ns, options, cancellationToken: ct).ConfigureAwait(false),
            "Service" => await client.CoreV1.DeleteNamespacedServiceAsync(name, ns, options, cancellationToken: ct).ConfigureAwait(false),
            "Deployment" => await client.AppsV1.DeleteNamespacedDeploymentAsync(name, ns, options, cancellationToken: ct).ConfigureAwait(false),
            "Ingress" => await client.NetworkingV1.DeleteNamespacedIngressAsync(name, ns, options, cancellationToken: ct).ConfigureAwait(false),
            _ => throw new InvalidOperationException($"Kompox does not delete objects of kind {o.Kind}"),
        };
    }
}
