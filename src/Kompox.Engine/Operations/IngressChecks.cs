using System.Net;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Kompox.Conversion;
using Kompox.Kube;

namespace Kompox.Operations;

/// <summary>Which Traefik serves a cluster: k3s's bundled one beside Kompox's, and the namespace Kompox's runs in.</summary>
internal static class IngressChecks
{
    private const string BundledNamespace = "kube-system";

    /// <summary>
    /// What a default k3s install runs of its bundled Traefik (k3s-io/k3s manifests/traefik.yaml: HelmChart kube-system/traefik,
    /// which k3s's helm-controller installs as Deployment kube-system/traefik with the IngressClass traefik, managed by Helm);
    /// null when none of it is there. Objects Kompox manages are not it.
    /// </summary>
    public static async Task<string?> BundledTraefikAsync(IKubernetes client, CancellationToken cancellationToken)
    {
        var found = new List<string>();
        var deployments = await client.AppsV1.ListNamespacedDeploymentAsync(BundledNamespace, cancellationToken: cancellationToken).ConfigureAwait(false);
        found.AddRange(deployments.Items
            .Where(d => !IsKompox(d.Metadata) && (d.Metadata.Name == ClusterIngressManifest.Name || Label(d.Metadata, KompoxMetadata.NameLabel) == ClusterIngressManifest.Name))
            .Select(d => $"Deployment {BundledNamespace}/{d.Metadata.Name}"));

        // helm.cattle.io/v1 is served only by a k3s server (its helm-controller's CRD): elsewhere the resource is not found.
        try
        {
            await client.CustomObjects.GetNamespacedCustomObjectAsync("helm.cattle.io", "v1", BundledNamespace, "helmcharts", ClusterIngressManifest.Name, cancellationToken).ConfigureAwait(false);
            found.Add($"HelmChart {BundledNamespace}/{ClusterIngressManifest.Name}");
        }
        catch (HttpOperationException e) when (e.Response?.StatusCode == HttpStatusCode.NotFound)
        {
        }

        var ingressClass = await KubeObjects.ReadOrNullAsync(() => client.NetworkingV1.ReadIngressClassAsync(ClusterIngressManifest.IngressClassName, cancellationToken: cancellationToken)).ConfigureAwait(false);
        if (ingressClass is not null && !IsKompox(ingressClass.Metadata))
        {
            found.Add($"IngressClass {ClusterIngressManifest.IngressClassName} (managed by {Label(ingressClass.Metadata, KompoxMetadata.ManagedByLabel) ?? "another manager"})");
        }

        return found.Count == 0 ? null : string.Join(", ", found);
    }

    /// <summary>Refuses to install Kompox's Traefik beside k3s's bundled one, before anything is written.</summary>
    /// <exception cref="KompoxException"><c>BundledIngressPresent</c>.</exception>
    public static async Task RefuseBesideBundledAsync(OperationScope scope, CancellationToken cancellationToken)
    {
        if (await BundledTraefikAsync(scope.Kube, cancellationToken).ConfigureAwait(false) is not { } bundled)
        {
            return;
        }

        // Two Traefiks: ServiceLB gives ports 80 and 443 to the bundled one, so Kompox's LoadBalancer stays pending, all
        // traffic goes through the bundled one (no Let's Encrypt resolver, refused by the apps' NetworkPolicy), and the
        // IngressClass traefik is Helm's.
        throw new KompoxException(
            "BundledIngressPresent",
            ErrorKind.Conflict,
            $"cluster {scope.Cluster.Id} runs k3s's bundled Traefik ({bundled}), which holds ports 80 and 443 and the IngressClass {ClusterIngressManifest.IngressClassName}; nothing was installed. Disable it: start the k3s server with --disable=traefik (or 'disable: [traefik]' in /etc/rancher/k3s/config.yaml), which removes it, then run this again")
        {
            Target = scope.Cluster.Id,
        };
    }

    /// <summary>
    /// An app with Ingresses needs Kompox's Traefik in the namespace its config names: the app's NetworkPolicy admits only
    /// that namespace, so an ingress elsewhere (or none) leaves the app "ready" and unreachable.
    /// </summary>
    /// <exception cref="KompoxException"><c>IngressNotInstalled</c>.</exception>
    public static async Task RequireInstalledAsync(OperationScope scope, AppManifest manifest, CancellationToken cancellationToken)
    {
        if (!manifest.Objects.OfType<V1Ingress>().Any())
        {
            return;
        }

        scope.Step("checking the cluster ingress", 25);
        var cluster = scope.Cluster;
        var ns = cluster.Ingress.Namespace;
        var installed = await scope.Kube.AppsV1.ListDeploymentForAllNamespacesAsync(
            labelSelector: $"{KompoxMetadata.ManagedByLabel}={KompoxMetadata.ManagedByValue},{KompoxMetadata.NameLabel}={ClusterIngressManifest.Name}",
            cancellationToken: cancellationToken).ConfigureAwait(false);
        var namespaces = installed.Items.Where(d => d.Metadata.Name == ClusterIngressManifest.Name).Select(d => d.Metadata.NamespaceProperty).Distinct().OrderBy(n => n, StringComparer.Ordinal).ToList();
        if (namespaces.Contains(ns))
        {
            return;
        }

        var app = scope.App;
        throw namespaces.Count > 0
            ? new KompoxException(
                "IngressNotInstalled",
                ErrorKind.Conflict,
                $"app {app.Id}: its config names ingress namespace '{ns}' (cluster.ingress.namespace), but Kompox's ingress on cluster {cluster.Id} runs in namespace {string.Join(", ", namespaces.Select(n => $"'{n}'"))}; the app's NetworkPolicy admits only '{ns}', so the app would be unreachable. Set cluster.ingress.namespace to '{namespaces[0]}' in the app's config")
            {
                Target = app.Id,
            }
            : new KompoxException(
                "IngressNotInstalled",
                ErrorKind.Conflict,
                $"app {app.Id}: cluster {cluster.Id} has no Kompox ingress (no Deployment {ns}/{ClusterIngressManifest.Name} managed by Kompox): the cluster has not been initialized, and the app's hosts would reach nothing")
            {
                Target = app.Id,
                Remedy = Remedy.InitializeCluster,
            };
    }

    private static bool IsKompox(V1ObjectMeta metadata) => Label(metadata, KompoxMetadata.ManagedByLabel) == KompoxMetadata.ManagedByValue;

    private static string? Label(V1ObjectMeta metadata, string key) => metadata.Labels is { } labels && labels.TryGetValue(key, out var value) ? value : null;
}
