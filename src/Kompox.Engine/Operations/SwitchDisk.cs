using k8s;
using k8s.Models;
using Kompox.Conversion;
using Kompox.Drivers;
using Kompox.Kube;

namespace Kompox.Operations;

/// <summary>What a switch did.</summary>
/// <param name="Disk">The app's current disk now.</param>
/// <param name="PreviousDiskId">The disk that was current before; null when none was.</param>
/// <param name="Status">The app as the rollout onto the disk left it; null when the app is not deployed, and the switch only recorded the choice for the next deploy.</param>
public sealed record DiskSwitchResult(string AppId, DiskInfo Disk, string? PreviousDiskId, AppStatus? Status);

/// <summary>
/// The switch use case (SPEC 5, attach): previous ← current, current ← the disk, on the namespace and on the provider's
/// record; a deployed app rolls onto the disk's own volume and claim (a bound claim cannot change its volume) and the old
/// pair is pruned and waited for, so that the old disk is free. The disk itself is never touched. The caller holds the app's lock.
/// </summary>
internal static class SwitchDisk
{
    public static async Task<DiskSwitchResult> RunAsync(OperationScope scope, string diskId, CancellationToken cancellationToken)
    {
        var app = scope.App;
        var client = scope.Kube;
        scope.Step($"reading disk {diskId}", 5);
        var runtime = await scope.RuntimeAsync(cancellationToken).ConfigureAwait(false);
        var disk = await runtime.GetDiskAsync(app, diskId, cancellationToken).ConfigureAwait(false);

        var ns = KubeNames.Namespace(app);
        var live = await KubeObjects.ReadOrNullAsync(() => client.CoreV1.ReadNamespaceAsync(ns, cancellationToken: cancellationToken)).ConfigureAwait(false);
        if (live is null)
        {
            // Not deployed: the provider's record is where the next deploy finds the choice (DeployApp.PlanAsync).
            var before = DiskInfo.ProviderCurrent(await runtime.ListDisksAsync(app, cancellationToken).ConfigureAwait(false));
            scope.Step($"namespace {ns} does not exist: recording disk {diskId} as current on the provider for the next deploy", 50);
            await runtime.MarkCurrentAsync(app, diskId, cancellationToken).ConfigureAwait(false);
            return new DiskSwitchResult(app.Id, disk with { IsCurrent = true }, before == diskId ? null : before, null);
        }

        var state = AppDiskState.Of(live);
        if (state.CurrentDiskId == diskId)
        {
            scope.Step($"disk {diskId} is already the current disk", 50);
            await runtime.MarkCurrentAsync(app, diskId, cancellationToken).ConfigureAwait(false);
            return new DiskSwitchResult(app.Id, disk with { IsCurrent = true }, state.PreviousDiskId, null);
        }

        var deployed = (await client.AppsV1.ListNamespacedDeploymentAsync(ns, labelSelector: AppObjects.Selector(app), cancellationToken: cancellationToken).ConfigureAwait(false)).Items.Count > 0;

        // Converted before anything is written, so that a compose file that no longer converts leaves the app as it was.
        var plan = deployed ? await DeployApp.PlanAsync(scope, new DeployOptions(), cancellationToken).ConfigureAwait(false) : null;

        // The disk left behind has held the app's data: marked so while the claim an earlier Kompox made still says so.
        if (state.CurrentDiskId is { } current)
        {
            await AppVolume.MarkSeededIfLegacyAsync(scope, runtime, current, cancellationToken).ConfigureAwait(false);
        }

        var switched = new AppDiskState(diskId, state.CurrentDiskId ?? state.PreviousDiskId);
        scope.Step($"recording disk {diskId} as current (previous {switched.PreviousDiskId ?? "none"})", 20);
        await AppDiskStates.ApplyAsync(client, app, switched, cancellationToken).ConfigureAwait(false);
        await runtime.MarkCurrentAsync(app, diskId, cancellationToken).ConfigureAwait(false);
        if (plan is null)
        {
            scope.Step($"the app is not deployed: the next deploy uses disk {diskId}", 99);
            return new DiskSwitchResult(app.Id, disk with { IsCurrent = true }, switched.PreviousDiskId, null);
        }

        var onDisk = DeployApp.OnDisk(scope, plan, disk);
        var status = await DeployApp.DeployHeldAsync(scope, onDisk, onDisk.Manifest.Objects.OfType<V1Namespace>().Single(), cancellationToken).ConfigureAwait(false);

        // The old claim goes once the old Pod has gone (kubernetes.io/pvc-protection), its volume once unbound
        // (kubernetes.io/pv-protection): until then the old disk is attached and cannot be deleted or moved.
        if (state.CurrentDiskId is { } old)
        {
            foreach (var o in new[] { new KubeObjectRef("PersistentVolumeClaim", ns, KubeNames.Claim(app.Name, old)), new KubeObjectRef("PersistentVolume", null, KubeNames.PersistentVolume(ns, old)) })
            {
                await AppVolume.WaitGoneAsync(scope, o, onDisk.Options.Timeout, 99, remaining => new KompoxException(
                    "VolumeTerminating",
                    ErrorKind.Timeout,
                    $"app {app.Id} runs on disk {diskId}, but {o} of the previous disk {old} still exists {onDisk.Options.Timeout.TotalSeconds:0} s after it was pruned ({AppVolume.Finalizers(remaining)}); the disk {old} may still be attached")
                {
                    Target = o.ToString(),
                    Remedy = Remedy.RunAgain,
                }, cancellationToken).ConfigureAwait(false);
            }
        }

        return new DiskSwitchResult(app.Id, disk with { IsCurrent = true }, switched.PreviousDiskId, status);
    }
}
