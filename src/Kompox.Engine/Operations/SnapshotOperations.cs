using Kompox.Drivers;

namespace Kompox.Operations;

/// <summary>What can be done to an app's snapshots, by the app's id; the REST endpoints and a client-mode backend share it.</summary>
public interface ISnapshotOperations
{
    /// <summary>The app's snapshots, newest first.</summary>
    Task<IReadOnlyList<SnapshotInfo>> ListAsync(string appId, IProgress<OperationProgress>? progress, CancellationToken cancellationToken);

    /// <summary>
    /// A snapshot of a disk of the app (its current one unless <see cref="SnapshotOptions.DiskId"/> names another). It
    /// holds no lock, as it only copies; with <see cref="SnapshotOptions.StopApp"/> it stops the app around the copy,
    /// holding the app's lock.
    /// </summary>
    Task<SnapshotInfo> CreateAsync(string appId, SnapshotOptions options, IProgress<OperationProgress>? progress, CancellationToken cancellationToken);

    /// <summary>A new disk with the snapshot's content; no disk is overwritten and the current one stays current.</summary>
    Task<DiskInfo> RestoreAsync(string appId, string snapshotId, IProgress<OperationProgress>? progress, CancellationToken cancellationToken);

    /// <summary>
    /// Restores the snapshot to a new disk and switches the app to it, holding the app's lock for both, so that no other
    /// switch comes between; the old disk stays as the previous one. A failed switch leaves the restored disk, not current.
    /// </summary>
    Task<DiskSwitchResult> RestoreAndSwitchAsync(string appId, string snapshotId, TimeSpan? lockWait, IProgress<OperationProgress>? progress, CancellationToken cancellationToken);

    /// <summary>Writes the snapshot's content to a file, whole or not at all.</summary>
    Task<FileInfo> ExportAsync(string appId, string snapshotId, ExportOptions options, IProgress<OperationProgress>? progress, CancellationToken cancellationToken);

    /// <summary>
    /// Runs the app's snapshot policy once (its <c>SNAPSHOT_*</c> settings): a snapshot of the current disk when one is due,
    /// then the snapshots no retention rule keeps pruned. Holds no lock and needs no cluster, as the copies it makes. A
    /// failure is the result's outcome (<see cref="SnapshotPolicyOutcome.Failed"/>), never an exception, so that a run
    /// over many apps goes on; a setting with a wrong value is an <c>InvalidSetting</c> error.
    /// </summary>
    Task<SnapshotPolicyResult> ApplyPolicyAsync(string appId, IProgress<OperationProgress>? progress, CancellationToken cancellationToken);

    /// <summary>Pins a snapshot (the policy never prunes it) or unpins it, by its provider tag.</summary>
    Task<SnapshotInfo> SetPinnedAsync(string appId, string snapshotId, bool pinned, IProgress<OperationProgress>? progress, CancellationToken cancellationToken);

    /// <summary>Deletes a snapshot of the app; disks restored from it are not touched.</summary>
    /// <returns>The snapshot as it was before it was deleted.</returns>
    Task<SnapshotInfo> DeleteAsync(string appId, string snapshotId, IProgress<OperationProgress>? progress, CancellationToken cancellationToken);
}

public sealed class SnapshotOperations : ISnapshotOperations
{
    private readonly KompoxContext context;

    public SnapshotOperations(KompoxContext context)
    {
        this.context = context;
    }

    // Listing, taking (without StopApp), exporting and deleting snapshots only read or copy disks: they work while the
    // cluster is down (OperationScope.RuntimeOfflineAllowedAsync), when a backup matters most.
    public Task<IReadOnlyList<SnapshotInfo>> ListAsync(string appId, IProgress<OperationProgress>? progress, CancellationToken cancellationToken) =>
        context.Runner.RunAsync(OperationSpec.OnApp($"Listing snapshots of app {appId}", appId), progress, async (scope, token) =>
        {
            scope.Step("listing the provider's snapshots", 50);
            var runtime = await scope.RuntimeOfflineAllowedAsync(token).ConfigureAwait(false);
            return await runtime.ListSnapshotsAsync(scope.App, token).ConfigureAwait(false);
        }, cancellationToken);

    public Task<SnapshotInfo> CreateAsync(string appId, SnapshotOptions options, IProgress<OperationProgress>? progress, CancellationToken cancellationToken) =>
        context.Runner.RunAsync(
            OperationSpec.OnApp($"Snapshotting {(options.DiskId is null ? "the current disk" : $"disk {options.DiskId}")} of app {appId}", appId) with { HoldsApp = options.StopApp, LockWait = options.LockWait },
            progress,
            (scope, token) => TakeSnapshot.RunAsync(scope, options, token),
            cancellationToken);

    public Task<DiskInfo> RestoreAsync(string appId, string snapshotId, IProgress<OperationProgress>? progress, CancellationToken cancellationToken) =>
        context.Runner.RunAsync(
            OperationSpec.OnApp($"Restoring snapshot {snapshotId} of app {appId}", appId),
            progress,
            (scope, token) => RestoreSnapshot.RunAsync(scope, snapshotId, token),
            cancellationToken);

    public Task<DiskSwitchResult> RestoreAndSwitchAsync(string appId, string snapshotId, TimeSpan? lockWait, IProgress<OperationProgress>? progress, CancellationToken cancellationToken) =>
        context.Runner.RunAsync(
            OperationSpec.OnApp($"Restoring snapshot {snapshotId} of app {appId} and switching to it", appId) with { HoldsApp = true, LockWait = lockWait },
            progress,
            async (scope, token) =>
            {
                var disk = await RestoreSnapshot.RunAsync(scope, snapshotId, token).ConfigureAwait(false);
                return await SwitchDisk.RunAsync(scope, disk.Id, token).ConfigureAwait(false);
            },
            cancellationToken);

    public Task<FileInfo> ExportAsync(string appId, string snapshotId, ExportOptions options, IProgress<OperationProgress>? progress, CancellationToken cancellationToken) =>
        context.Runner.RunAsync(
            OperationSpec.OnApp($"Exporting snapshot {snapshotId} of app {appId}", appId),
            progress,
            async (scope, token) =>
            {
                var runtime = await scope.RuntimeOfflineAllowedAsync(token).ConfigureAwait(false);
                return await ExportToFile.RunAsync(scope, options, $"snapshot {snapshotId}", (stream, t) => runtime.ExportSnapshotAsync(scope.App, snapshotId, stream, scope.Progress, t), token).ConfigureAwait(false);
            },
            cancellationToken);

    public Task<SnapshotPolicyResult> ApplyPolicyAsync(string appId, IProgress<OperationProgress>? progress, CancellationToken cancellationToken) =>
        context.Runner.RunAsync(OperationSpec.OnApp($"Applying the snapshot policy of app {appId}", appId), progress, ApplySnapshotPolicy.RunAsync, cancellationToken);

    public Task<SnapshotInfo> SetPinnedAsync(string appId, string snapshotId, bool pinned, IProgress<OperationProgress>? progress, CancellationToken cancellationToken) =>
        context.Runner.RunAsync(OperationSpec.OnApp($"{(pinned ? "Pinning" : "Unpinning")} snapshot {snapshotId} of app {appId}", appId), progress, async (scope, token) =>
        {
            var runtime = await scope.RuntimeOfflineAllowedAsync(token).ConfigureAwait(false);
            scope.Detail($"{(pinned ? "setting" : "removing")} tag {SnapshotInfo.PinnedTag} on snapshot {snapshotId} in the {scope.Cluster.Provider.Driver} provider {scope.Cluster.Provider.Id}");
            return await runtime.SetSnapshotPinnedAsync(scope.App, snapshotId, pinned, token).ConfigureAwait(false);
        }, cancellationToken);

    public Task<SnapshotInfo> DeleteAsync(string appId, string snapshotId, IProgress<OperationProgress>? progress, CancellationToken cancellationToken) =>
        context.Runner.RunAsync(OperationSpec.OnApp($"Deleting snapshot {snapshotId} of app {appId}", appId), progress, async (scope, token) =>
        {
            var runtime = await scope.RuntimeOfflineAllowedAsync(token).ConfigureAwait(false);
            var snapshot = (await runtime.ListSnapshotsAsync(scope.App, token).ConfigureAwait(false)).FirstOrDefault(s => s.Id == snapshotId);
            scope.Detail($"deleting snapshot {snapshotId} of the {scope.Cluster.Provider.Driver} provider {scope.Cluster.Provider.Id}");
            await runtime.DeleteSnapshotAsync(scope.App, snapshotId, token).ConfigureAwait(false);
            return snapshot ?? throw new KompoxException("SnapshotNotFound", ErrorKind.NotFound, $"app {scope.App.Id} has no snapshot '{snapshotId}'") { Target = snapshotId };
        }, cancellationToken);
}
