using k8s;
using k8s.Models;
using Kompox.Conversion;
using Kompox.Kube;

namespace Kompox.Tests.Operations;

/// <summary>
/// An app's objects as the Kompox before per-disk claims (commit 71f7634) wrote them: the same objects of the same disk
/// but for the one name that differed, the app's one claim <c>&lt;app&gt;-data</c>, which the volume's claimRef and the
/// Deployment's data volume named. The volume was already <c>&lt;namespace&gt;-&lt;hash of the disk id&gt;</c>, Retain, with the
/// same labels and disk-layout annotation. Built here from that naming, not by running that version.
/// </summary>
internal static class PreviousKompox
{
    /// <summary>The claim that version made for an app: one per app, whatever its disk.</summary>
    public static string Claim(string appName) => $"{appName}-data";

    /// <summary>
    /// Applies <paramref name="objects"/> (today's, of the disk) with that version's claim name, by server-side apply under
    /// field manager "kompox", and the namespace's disk-current-id under the disk state's own field manager, as it did.
    /// </summary>
    public static async Task ApplyAsync(IKubernetes client, string appName, IEnumerable<IKubernetesObject<V1ObjectMeta>> objects, string diskId)
    {
        var claimName = Claim(appName);
        foreach (var o in objects)
        {
            switch (o)
            {
                case V1PersistentVolume volume:
                    volume.Spec.ClaimRef.Name = claimName;
                    break;
                case V1PersistentVolumeClaim claim:
                    claim.Metadata.Name = claimName;
                    break;
                case V1Deployment deployment:
                    deployment.Spec.Template.Spec.Volumes.Single(v => v.PersistentVolumeClaim is not null).PersistentVolumeClaim.ClaimName = claimName;
                    break;
            }

            await KubeObjects.ApplyAsync(client, o, CancellationToken.None).Within();
            if (o is V1Namespace)
            {
                var state = new V1Namespace { ApiVersion = "v1", Kind = "Namespace", Metadata = new V1ObjectMeta { Name = o.Metadata.Name, Annotations = new Dictionary<string, string> { [KompoxMetadata.DiskCurrentAnnotation] = diskId } } };
                await client.CoreV1.PatchNamespaceAsync(new V1Patch(state, V1Patch.PatchType.ApplyPatch), o.Metadata.Name, fieldManager: KompoxMetadata.DiskStateFieldManager, force: true).Within();
            }
        }
    }
}
