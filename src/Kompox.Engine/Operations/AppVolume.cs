using System.Text.Json.Nodes;
using k8s;
using k8s.Models;
using Kompox.Conversion;
using Kompox.Drivers;
using Kompox.Kube;

namespace Kompox.Operations;

/// <summary>
/// The app's PersistentVolume and claim as a real cluster keeps them. Deleting either only marks it: the protection
/// finalizers keep a claim while a Pod mounts it (kubernetes.io/pvc-protection) and a volume while it is bound
/// (kubernetes.io/pv-protection). And the binder's claimRef.uid outlives the claim it names: a volume whose claim is gone
/// is Released and binds no other claim of that name until the uid is removed.
/// </summary>
internal static class AppVolume
{
    /// <summary>
    /// Readies the app's volume and claim before a deploy applies them: one that is being deleted (a destroy just
    /// before, a claim deleted by hand) is waited for, so that the apply makes it anew instead of writing into an
    /// object that then disappears; the app's own Pod, which would hold its claim for ever, goes with its Deployment.
    /// Then a volume still bound to a claim that is gone, or to the claim an earlier Kompox named, is bound to the app's claim.
    /// </summary>
    /// <param name="existing">The app's objects as listed; updated to what is left.</param>
    /// <param name="timeout">How long each of them may take to go.</param>
    /// <exception cref="KompoxException"><c>VolumeTerminating</c> when one is still there after <paramref name="timeout"/>.</exception>
    public static async Task PrepareAsync(OperationScope scope, AppManifest manifest, Dictionary<KubeObjectRef, IKubernetesObject<V1ObjectMeta>> existing, TimeSpan timeout, CancellationToken cancellationToken)
    {
        if (manifest.Objects.OfType<V1PersistentVolume>().SingleOrDefault() is not { } volume || manifest.Objects.OfType<V1PersistentVolumeClaim>().SingleOrDefault() is not { } claim)
        {
            return;
        }

        var client = scope.Kube;
        var claimRef = KubeObjectRef.Of(claim);
        var volumeRef = KubeObjectRef.Of(volume);
        var stopped = false;
        var volumeGoing = existing.GetValueOrDefault(volumeRef) is { Metadata.DeletionTimestamp: not null };
        if (volumeGoing && existing.GetValueOrDefault(claimRef) is { Metadata.DeletionTimestamp: null })
        {
            // A volume being deleted goes only once no claim is bound to it; the apply would write into the volume and
            // then lose it, so its claim goes too and both are made anew (the disk stays: the volume's policy is Retain).
            scope.Step($"{volumeRef} is being deleted and stays while {claimRef} is bound to it: deleting the claim too; both are applied anew", 13);
            await DeployApp.DeleteIfPresentAsync(client, claimRef, cancellationToken).ConfigureAwait(false);
            if (await ReadAsync(client, claimRef, cancellationToken).ConfigureAwait(false) is { } marked)
            {
                existing[claimRef] = marked;
            }
            else
            {
                existing.Remove(claimRef);
            }
        }

        if (existing.GetValueOrDefault(claimRef) is { Metadata.DeletionTimestamp: not null })
        {
            var pods = await client.CoreV1.ListNamespacedPodAsync(claimRef.Namespace, labelSelector: AppObjects.Selector(scope.App), cancellationToken: cancellationToken).ConfigureAwait(false);
            if (pods.Items.Any(p => p.Spec?.Volumes?.Any(v => v.PersistentVolumeClaim?.ClaimName == claimRef.Name) == true))
            {
                foreach (var deployment in existing.Keys.Where(o => o.Kind == "Deployment").ToList())
                {
                    scope.Step($"{claimRef} is being deleted and the app's Pod mounts it: deleting {deployment} so that the claim can go; it is applied anew", 13);
                    await DeployApp.DeleteIfPresentAsync(client, deployment, cancellationToken).ConfigureAwait(false);
                    existing.Remove(deployment);
                    stopped = true;
                }
            }

            await WaitGoneAsync(scope, claimRef, timeout, 13, live => Terminating(scope, live, claimRef, timeout, stopped), cancellationToken).ConfigureAwait(false);
            existing.Remove(claimRef);
        }

        if (volumeGoing)
        {
            await WaitGoneAsync(scope, volumeRef, timeout, 13, live => Terminating(scope, live, volumeRef, timeout, stopped), cancellationToken).ConfigureAwait(false);
            existing.Remove(volumeRef);
        }

        if (existing.GetValueOrDefault(volumeRef) is V1PersistentVolume live && await BindToClaimAsync(scope, live, claimRef, cancellationToken).ConfigureAwait(false) is { } released)
        {
            existing[volumeRef] = released;
        }
    }

    /// <summary>
    /// Marks <paramref name="diskId"/> seeded when the claim an earlier Kompox named <c>&lt;app&gt;-data</c> (before claims
    /// were named per disk, <see cref="KubeNames.Claim"/>) is on its volume: the app has run on that disk, so its deploy now
    /// is no first deploy of the disk, and no bound directory is copied over what the app made of it (a file it deleted
    /// would come back). Written before the volume leaves that claim (<see cref="PrepareAsync"/>), so that a deploy
    /// interrupted in between still finds the mark.
    /// </summary>
    /// <param name="runtime">The provider's runtime; null to get it only when there is a mark to write.</param>
    public static async Task MarkSeededIfLegacyAsync(OperationScope scope, IDriverRuntime? runtime, string diskId, CancellationToken cancellationToken)
    {
        var ns = KubeNames.Namespace(scope.App);
        var legacy = KubeNames.Claim(scope.App.Name, null);
        var claim = await KubeObjects.ReadOrNullAsync(() => scope.Kube.CoreV1.ReadNamespacedPersistentVolumeClaimAsync(legacy, ns, cancellationToken: cancellationToken)).ConfigureAwait(false);
        if (claim?.Spec?.VolumeName != KubeNames.PersistentVolume(ns, diskId))
        {
            return;
        }

        runtime ??= await scope.RuntimeAsync(cancellationToken).ConfigureAwait(false);
        if ((await runtime.GetDiskAsync(scope.App, diskId, cancellationToken).ConfigureAwait(false)).Seeded)
        {
            return;
        }

        scope.Step($"disk {diskId} has held the app's data since an earlier Kompox deployed it on claim {legacy}: marking it seeded, so that no bound directory is copied onto it", 11);
        await runtime.MarkSeededAsync(scope.App, diskId, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// The object to apply for <paramref name="o"/>: an existing claim keeps the storage request it has. The API server
    /// refuses a bound claim a larger one unless its StorageClass expands volumes (never for Kompox's static claims,
    /// PersistentVolumeClaimResize admission) and any other change of spec (ValidatePersistentVolumeClaimUpdate), while
    /// the volume's capacity may follow its disk.
    /// </summary>
    public static IKubernetesObject<V1ObjectMeta> Desired(IKubernetesObject<V1ObjectMeta> o, IReadOnlyDictionary<KubeObjectRef, IKubernetesObject<V1ObjectMeta>> existing)
    {
        if (o is not V1PersistentVolumeClaim claim || existing.GetValueOrDefault(KubeObjectRef.Of(claim)) is not V1PersistentVolumeClaim live
            || live.Spec?.Resources?.Requests?.TryGetValue("storage", out var request) != true)
        {
            return o;
        }

        var kept = KubernetesJson.Deserialize<V1PersistentVolumeClaim>(KubernetesJson.Serialize(claim));
        kept.Spec.Resources.Requests["storage"] = request;
        return kept;
    }

    /// <summary>
    /// Waits, with progress, until <paramref name="o"/> is gone (or made anew by another hand: no longer being deleted),
    /// polling on the operation's clock.
    /// </summary>
    public static async Task WaitGoneAsync(OperationScope scope, KubeObjectRef o, TimeSpan timeout, int percent, Func<IKubernetesObject<V1ObjectMeta>, KompoxException> timedOut, CancellationToken cancellationToken)
    {
        var time = scope.Time;
        var started = time.GetUtcNow();
        while (true)
        {
            var live = await ReadAsync(scope.Kube, o, cancellationToken).ConfigureAwait(false);
            if (live?.Metadata.DeletionTimestamp is null)
            {
                return;
            }

            var elapsed = time.GetUtcNow() - started;
            if (elapsed >= timeout)
            {
                throw timedOut(live);
            }

            scope.Step($"waiting for {o} to go ({Finalizers(live)})", percent);
            var wait = TimeSpan.FromSeconds(1) < timeout - elapsed ? TimeSpan.FromSeconds(1) : timeout - elapsed;
            await Task.Delay(wait, time, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>What keeps a deleted object: its finalizers, and what each waits for.</summary>
    public static string Finalizers(IKubernetesObject<V1ObjectMeta> live)
    {
        var finalizers = live.Metadata.Finalizers ?? new List<string>();
        return finalizers.Count == 0
            ? "no finalizers left"
            : "finalizers " + string.Join(", ", finalizers.Select(f => f switch
            {
                "kubernetes.io/pvc-protection" => $"{f}, held while a Pod mounts the claim",
                "kubernetes.io/pv-protection" => $"{f}, held while the volume is Bound to a claim",
                _ => f,
            }));
    }

    /// <summary>
    /// Makes the volume's claimRef name the app's claim <paramref name="claim"/>, as <c>kubectl patch pv</c> would, so that
    /// the binder (pkg/controller/volume/persistentvolume/pv_controller.go) binds it to that claim:
    /// <list type="bullet">
    /// <item>A claimRef naming the claim with the uid of a claim that is gone, or has been made anew: the uid (and
    /// resourceVersion) go. The binder owns them, so an apply never removes them, and the volume stays Released, leaving the
    /// app's new claim Pending.</item>
    /// <item>A claimRef naming another claim of the app's namespace: the claim an earlier Kompox named <c>&lt;app&gt;-data</c>
    /// (an upgrade), whose volume has the same name. The volume's claimRef is replaced by the app's claim, without uid: the
    /// old claim, still there and mounted by the old Pod, becomes Lost (syncBoundClaim: its volume is bound elsewhere) and is
    /// pruned once the Deployment has rolled onto the new claim. The volume never names a claim that is gone, so it is never
    /// Released and its reclaim policy never runs; the apply that follows writes Retain before the prune deletes anything.</item>
    /// </list>
    /// A JSON patch that tests what it replaces first, so that a binding made meanwhile is never undone. A claimRef of
    /// another namespace is left alone: the volume is not the app's to take.
    /// </summary>
    /// <returns>The volume as patched; null when its binding holds.</returns>
    private static async Task<V1PersistentVolume?> BindToClaimAsync(OperationScope scope, V1PersistentVolume volume, KubeObjectRef claim, CancellationToken cancellationToken)
    {
        if (volume.Spec?.ClaimRef is not { } bound || bound.NamespaceProperty != claim.Namespace)
        {
            return null;
        }

        var client = scope.Kube;
        var operations = new JsonArray();
        if (bound.Name != claim.Name)
        {
            scope.Step($"PersistentVolume {volume.Metadata.Name} is bound to claim {bound.NamespaceProperty}/{bound.Name}, which an earlier Kompox made: binding it to the app's claim {claim.Name} (the disk stays; the old claim is pruned once the app has left it)", 14);
            operations.Add(new JsonObject { ["op"] = "test", ["path"] = "/spec/claimRef/name", ["value"] = bound.Name });
            if (!string.IsNullOrEmpty(bound.Uid))
            {
                operations.Add(new JsonObject { ["op"] = "test", ["path"] = "/spec/claimRef/uid", ["value"] = bound.Uid });
            }

            operations.Add(new JsonObject
            {
                ["op"] = "replace",
                ["path"] = "/spec/claimRef",
                ["value"] = new JsonObject { ["apiVersion"] = "v1", ["kind"] = "PersistentVolumeClaim", ["namespace"] = claim.Namespace, ["name"] = claim.Name },
            });
        }
        else
        {
            if (bound.Uid is not { Length: > 0 } uid)
            {
                return null;
            }

            var holder = await KubeObjects.ReadOrNullAsync(() => client.CoreV1.ReadNamespacedPersistentVolumeClaimAsync(bound.Name, bound.NamespaceProperty, cancellationToken: cancellationToken)).ConfigureAwait(false);
            if (holder?.Metadata.Uid == uid)
            {
                return null;
            }

            scope.Step($"PersistentVolume {volume.Metadata.Name} is still bound to claim {bound.NamespaceProperty}/{bound.Name} uid {uid}, which is gone: releasing it for the app's claim", 14);
            operations.Add(new JsonObject { ["op"] = "test", ["path"] = "/spec/claimRef/uid", ["value"] = uid });
            operations.Add(new JsonObject { ["op"] = "remove", ["path"] = "/spec/claimRef/uid" });
            if (!string.IsNullOrEmpty(bound.ResourceVersion))
            {
                operations.Add(new JsonObject { ["op"] = "remove", ["path"] = "/spec/claimRef/resourceVersion" });
            }
        }

        var patch = new V1Patch(operations.ToJsonString(), V1Patch.PatchType.JsonPatch);
        return await client.CoreV1.PatchPersistentVolumeAsync(patch, volume.Metadata.Name, fieldManager: KubeObjects.FieldManager, cancellationToken: cancellationToken).ConfigureAwait(false);
    }

    private static async Task<IKubernetesObject<V1ObjectMeta>?> ReadAsync(IKubernetes client, KubeObjectRef o, CancellationToken cancellationToken) => o.Kind switch
    {
        "PersistentVolume" => await KubeObjects.ReadOrNullAsync(() => client.CoreV1.ReadPersistentVolumeAsync(o.Name, cancellationToken: cancellationToken)).ConfigureAwait(false),
        "PersistentVolumeClaim" => await KubeObjects.ReadOrNullAsync(() => client.CoreV1.ReadNamespacedPersistentVolumeClaimAsync(o.Name, o.Namespace, cancellationToken: cancellationToken)).ConfigureAwait(false),
        "Pod" => await KubeObjects.ReadOrNullAsync(() => client.CoreV1.ReadNamespacedPodAsync(o.Name, o.Namespace, cancellationToken: cancellationToken)).ConfigureAwait(false),
        _ => throw new InvalidOperationException($"Kompox does not wait for objects of kind {o.Kind} to go"),
    };

    private static KompoxException Terminating(OperationScope scope, IKubernetesObject<V1ObjectMeta> live, KubeObjectRef o, TimeSpan timeout, bool stopped) =>
        new("VolumeTerminating", ErrorKind.Timeout, $"app {scope.App.Id}: {o} is still being deleted {timeout.TotalSeconds:0} s after the deploy found it so ({Finalizers(live)}); the deploy applies it anew once it is gone. Nothing else was applied{(stopped ? ", and the app's Deployment was deleted so that its Pod would let the claim go" : string.Empty)}")
        {
            Target = o.ToString(),
            Remedy = Remedy.RunAgain,
        };
}
