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

    /// <summary>Writes the snapshot's content to a file, whole or not at all.</summary>
    Task<FileInfo> ExportAsync(string appId, string snapshotId, ExportOptions options, IProgress<OperationProgress>? progress, CancellationToken cancellationToken);

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

    // TODO(lead, issue 14 item 4): list, create (without -StopApp), export and delete need no cluster; once disk-switch's
    // offline runtime lands, these take the k3s runtime through it instead of scope.RuntimeAsync.
    public Task<IReadOnlyList<SnapshotInfo>> ListAsync(string appId, IProgress<OperationProgress>? progress, CancellationToken cancellationToken) =>
        context.Runner.RunAsync(OperationSpec.OnApp($"Listing snapshots of app {appId}", appId), progress, async (scope, token) =>
        {
            scope.Step("listing the provider's snapshots", 50);
            var runtime = await scope.RuntimeAsync(token).ConfigureAwait(false);
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

    public Task<FileInfo> ExportAsync(string appId, string snapshotId, ExportOptions options, IProgress<OperationProgress>? progress, CancellationToken cancellationToken) =>
        context.Runner.RunAsync(
            OperationSpec.OnApp($"Exporting snapshot {snapshotId} of app {appId}", appId),
            progress,
            async (scope, token) =>
            {
                var runtime = await scope.RuntimeAsync(token).ConfigureAwait(false);
                return await ExportToFile.RunAsync(scope, options, $"snapshot {snapshotId}", (stream, t) => runtime.ExportSnapshotAsync(scope.App, snapshotId, stream, scope.Progress, t), token).ConfigureAwait(false);
            },
            cancellationToken);

    public Task<SnapshotInfo> DeleteAsync(string appId, string snapshotId, IProgress<OperationProgress>? progress, CancellationToken cancellationToken) =>
        context.Runner.RunAsync(OperationSpec.OnApp($"Deleting snapshot {snapshotId} of app {appId}", appId), progress, async (scope, token) =>
        {
            var runtime = await scope.RuntimeAsync(token).ConfigureAwait(false);
            var snapshot = (await runtime.ListSnapshotsAsync(scope.App, token).ConfigureAwait(false)).FirstOrDefault(s => s.Id == snapshotId);
            scope.Detail($"deleting snapshot {snapshotId} of the {scope.Cluster.Provider.Driver} provider {scope.Cluster.Provider.Id}");
            await runtime.DeleteSnapshotAsync(scope.App, snapshotId, token).ConfigureAwait(false);
            return snapshot ?? throw new KompoxException("SnapshotNotFound", ErrorKind.NotFound, $"app {scope.App.Id} has no snapshot '{snapshotId}'") { Target = snapshotId };
        }, cancellationToken);
}
