using k8s;
using Kompox.Conversion;
using Kompox.Kube;

namespace Kompox.Operations;

/// <summary>How an app is destroyed.</summary>
public sealed record DestroyOptions
{
    /// <summary>How long to wait for another operation holding the app; null for the context's default.</summary>
    public TimeSpan? LockWait { get; init; }

    /// <summary>
    /// How long to wait for each of the app's Pod (once its Deployment is deleted), its claim and its volume to go; then
    /// <c>DestroyTimeout</c>. A claim goes once no Pod mounts it, a volume once its claim is gone (their protection finalizers).
    /// </summary>
    public TimeSpan GoneTimeout { get; init; } = TimeSpan.FromMinutes(5);
}

/// <summary>What destroy removed. The namespace (with the disk state), the disks and the snapshots are kept.</summary>
/// <param name="WasDeployed">The app's namespace existed; when false nothing was done.</param>
/// <param name="Deleted">The objects deleted, in the order they were.</param>
public sealed record AppDestroyResult(string AppId, string Namespace, bool WasDeployed, IReadOnlyList<KubeObjectRef> Deleted);

/// <summary>The destroy use case: every object of the app goes; its namespace, disks and snapshots stay.</summary>
internal static class DestroyApp
{
    public static async Task<AppDestroyResult> RunAsync(OperationScope scope, DestroyOptions options, CancellationToken cancellationToken)
    {
        var app = scope.App;
        var client = scope.Kube;
        var ns = KubeNames.Namespace(app);
        if (await KubeObjects.ReadOrNullAsync(() => client.CoreV1.ReadNamespaceAsync(ns, cancellationToken: cancellationToken)).ConfigureAwait(false) is not { } live)
        {
            // Never deployed (or its namespace was deleted by hand): there is nothing to delete, and no namespace to hold
            // the lock in; taking it would make one.
            scope.Step($"namespace {ns} does not exist: the app is not deployed", 99);
            return new AppDestroyResult(app.Id, ns, false, Array.Empty<KubeObjectRef>());
        }

        var deleted = new List<KubeObjectRef>();
        await scope.HoldAppAsync(options.LockWait, async token =>
        {
            // The claim an earlier Kompox made is the last to say that the app ran on its disk: the disk is marked
            // seeded before the claim goes, so that the next deploy copies no bound directory over its data. Failing
            // that (on k3s from a machine that is not the node) the destroy goes on and says what follows.
            if (AppDiskState.Of(live).CurrentDiskId is { } current)
            {
                try
                {
                    await AppVolume.MarkSeededIfLegacyAsync(scope, null, current, token).ConfigureAwait(false);
                }
                catch (KompoxException e) when (e.Kind != ErrorKind.Canceled)
                {
                    scope.Warn(Diagnostic.Warning(app.ComposePath ?? "compose.yml", SourceMark.File, string.Empty, $"disk {current}, which an earlier Kompox deployed the app on, could not be marked seeded ({e.Message}): the next deploy copies the project's bound directories onto it, never over a file it has"));
                }
            }

            var selector = AppObjects.Selector(app);
            var kinds = KubeObjects.AppKinds.Reverse().ToList();
            for (var k = 0; k < kinds.Count; k++)
            {
                foreach (var found in await KubeObjects.ListAsync(client, kinds[k], ns, selector, token).ConfigureAwait(false))
                {
                    scope.Step($"deleting {found}", k * 90 / kinds.Count);
                    await DeployApp.DeleteIfPresentAsync(client, found, token).ConfigureAwait(false);
                    deleted.Add(found);
                }

                // The volume and its claim go once nothing mounts them.
                if (kinds[k] == "Deployment")
                {
                    await WaitForPodsGoneAsync(scope, options, token).ConfigureAwait(false);
                }
            }

            // A deleted claim or volume stays while its protection finalizer holds it: a deploy right after would write
            // into it, and it would then disappear under the app.
            foreach (var o in deleted.Where(o => o.Kind is "PersistentVolumeClaim" or "PersistentVolume").ToList())
            {
                await AppVolume.WaitGoneAsync(scope, o, options.GoneTimeout, 95, live => new KompoxException(
                    "DestroyTimeout",
                    ErrorKind.Timeout,
                    $"app {app.Id}: {o} still exists {options.GoneTimeout.TotalSeconds:0} s after it was deleted ({AppVolume.Finalizers(live)}); the app's other objects are deleted")
                {
                    Target = app.Id,
                    Remedy = Remedy.RunAgain,
                }, token).ConfigureAwait(false);
            }

            return true;
        }, cancellationToken).ConfigureAwait(false);

        scope.Step($"deleted {deleted.Count} objects; the namespace, the disks and the snapshots are kept", 99);
        return new AppDestroyResult(app.Id, ns, true, deleted);
    }

    private static async Task WaitForPodsGoneAsync(OperationScope scope, DestroyOptions options, CancellationToken cancellationToken)
    {
        var app = scope.App;
        var time = scope.Time;
        var started = time.GetUtcNow();
        var ns = KubeNames.Namespace(app);
        while (true)
        {
            var pods = await scope.Kube.CoreV1.ListNamespacedPodAsync(ns, labelSelector: AppObjects.Selector(app), cancellationToken: cancellationToken).ConfigureAwait(false);
            if (pods.Items.Count == 0)
            {
                return;
            }

            if (time.GetUtcNow() - started >= options.GoneTimeout)
            {
                throw new KompoxException(
                    "DestroyTimeout",
                    ErrorKind.Timeout,
                    $"app {app.Id}: Pod {string.Join(", ", pods.Items.Select(p => p.Metadata.Name))} still exists {options.GoneTimeout.TotalSeconds:0} s after its Deployment was deleted; the Deployment and the Ingresses are deleted, the rest is kept")
                {
                    Target = app.Id,
                    Remedy = Remedy.RunAgain,
                };
            }

            scope.Step($"waiting for Pod {pods.Items[0].Metadata.Name} to go", 50);
            await Task.Delay(TimeSpan.FromSeconds(1), time, cancellationToken).ConfigureAwait(false);
        }
    }
}
