using k8s;
using k8s.Models;
using Kompox.Kube;
using Kompox.Model;

namespace Kompox.Operations;

/// <summary>
/// Which objects on the cluster are the app's, and which of them a deploy prunes: only those carrying the app's own id
/// label, so that no other app's objects (cluster-wide PersistentVolumes among them) and nothing a controller made in
/// the namespace is ever deleted.
/// </summary>
internal static class AppObjects
{
    /// <summary>The label selector of the app's objects: its own id, never the label all of Kompox's objects carry.</summary>
    public static string Selector(KompoxApp app) => $"{Conversion.KompoxMetadata.AppIdLabel}={Conversion.KubeNames.AppHash(app)}";

    /// <summary>The app's objects on the cluster, found by its label, kind by kind in apply order.</summary>
    public static async Task<Dictionary<KubeObjectRef, IKubernetesObject<V1ObjectMeta>>> ListAsync(IKubernetes client, KompoxApp app, string ns, CancellationToken cancellationToken)
    {
        var selector = Selector(app);
        var found = new Dictionary<KubeObjectRef, IKubernetesObject<V1ObjectMeta>>();
        foreach (var kind in KubeObjects.AppKinds)
        {
            foreach (var o in await KubeObjects.ListObjectsAsync(client, kind, ns, selector, cancellationToken).ConfigureAwait(false))
            {
                found[KubeObjects.RefOf(kind, o)] = o;
            }
        }

        return found;
    }

    /// <summary>The app's objects on the cluster that the manifest no longer has, in reverse apply order (dependents first).</summary>
    public static IEnumerable<KubeObjectRef> Undesired(IEnumerable<KubeObjectRef> existing, IEnumerable<KubeObjectRef> desired)
    {
        var wanted = desired.ToHashSet();
        return existing.Where(o => !wanted.Contains(o)).Reverse().ToList();
    }
}
