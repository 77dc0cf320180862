using k8s;
using k8s.Models;
using Kompox.Conversion;
using Kompox.Kube;

namespace Kompox.Operations;

/// <summary>
/// One host, one app: a deploy that would serve a host another Kompox app's Ingress serves is refused before anything is
/// written, since Traefik would split the host's traffic between the two apps.
/// </summary>
internal static class HostConflicts
{
    /// <summary>Every host of the app's Ingresses must be free of the other Kompox apps' Ingresses on the cluster.</summary>
    public static async Task CheckAsync(OperationScope scope, AppManifest manifest, CancellationToken cancellationToken)
    {
        var hosts = manifest.Objects.OfType<V1Ingress>().SelectMany(Hosts).ToHashSet(StringComparer.OrdinalIgnoreCase);
        if (hosts.Count == 0)
        {
            return;
        }

        var app = scope.App;
        var client = scope.Kube;
        scope.Step("checking the hosts against the other apps", 20);
        var mine = KubeNames.AppHash(app);
        var ingresses = await client.NetworkingV1.ListIngressForAllNamespacesAsync(labelSelector: $"{KompoxMetadata.ManagedByLabel}={KompoxMetadata.ManagedByValue}", cancellationToken: cancellationToken).ConfigureAwait(false);
        var conflicts = new List<string>();
        var appOfNamespace = new Dictionary<string, string>(StringComparer.Ordinal);
        // The app's own Ingresses are those with its id, and any in its namespace (one app per namespace). Any other
        // Ingress that Kompox manages is another app's, also one without the app-id label that an earlier Kompox wrote.
        bool Mine(V1Ingress i) =>
            i.Metadata.NamespaceProperty == manifest.Namespace
            || (i.Metadata.Labels?.TryGetValue(KompoxMetadata.AppIdLabel, out var id) == true && id == mine);

        foreach (var ingress in ingresses.Items.Where(i => !Mine(i)))
        {
            foreach (var host in Hosts(ingress).Where(hosts.Contains))
            {
                var ns = ingress.Metadata.NamespaceProperty;
                if (!appOfNamespace.TryGetValue(ns, out var other))
                {
                    var owner = await KubeObjects.ReadOrNullAsync(() => client.CoreV1.ReadNamespaceAsync(ns, cancellationToken: cancellationToken)).ConfigureAwait(false);
                    other = owner?.Metadata.Annotations?.TryGetValue(KompoxMetadata.AppAnnotation, out var annotation) == true ? annotation : $"(unknown app in namespace {ns})";
                    appOfNamespace[ns] = other;
                }

                conflicts.Add($"{host} is already used by app {other} (Ingress {ns}/{ingress.Metadata.Name})");
            }
        }

        if (conflicts.Count > 0)
        {
            throw new KompoxException("HostConflict", ErrorKind.Conflict, $"app {app.Id} cannot be deployed: {string.Join("; ", conflicts)}. Nothing was written; change app.ingress or remove the other app") { Target = app.Id };
        }
    }

    private static IEnumerable<string> Hosts(V1Ingress ingress) =>
        (ingress.Spec?.Rules ?? new List<V1IngressRule>()).Select(r => r.Host).Where(h => !string.IsNullOrEmpty(h));
}
