using Kompox.Drivers;

namespace Kompox.Operations;

/// <summary>What can be done to an app's disks, by the app's id; the REST endpoints and a client-mode backend share it.</summary>
public interface IDiskOperations
{
    /// <summary>The app's disks, newest first, the one its namespace names current marked.</summary>
    Task<IReadOnlyList<DiskInfo>> ListAsync(string appId, IProgress<OperationProgress>? progress, CancellationToken cancellationToken);

    /// <summary>A new empty disk of the app, made holding the app's lock; it does not become current.</summary>
    /// <param name="lockWait">How long to wait for another operation holding the app; null for the context's default.</param>
    Task<DiskInfo> CreateAsync(string appId, TimeSpan? lockWait, IProgress<OperationProgress>? progress, CancellationToken cancellationToken);

    /// <summary>Deletes a disk of the app holding the app's lock, refusing the current one (<c>DiskIsCurrent</c>).</summary>
    /// <param name="lockWait">How long to wait for another operation holding the app; null for the context's default.</param>
    /// <returns>The disk as it was before it was deleted.</returns>
    Task<DiskInfo> DeleteAsync(string appId, string diskId, TimeSpan? lockWait, IProgress<OperationProgress>? progress, CancellationToken cancellationToken);

    /// <summary>A new disk of the app from a file (k3s a tar or tar.gz archive, aks a fixed VHD), made holding the app's lock; it does not become current.</summary>
    Task<DiskInfo> ImportAsync(string appId, ImportOptions options, IProgress<OperationProgress>? progress, CancellationToken cancellationToken);

    /// <summary>Makes an existing disk of the provider (aks: a managed disk by resource id) one of the app's, holding the app's lock; it does not become current.</summary>
    /// <param name="lockWait">How long to wait for another operation holding the app; null for the context's default.</param>
    Task<DiskInfo> AdoptAsync(string appId, string resourceId, TimeSpan? lockWait, IProgress<OperationProgress>? progress, CancellationToken cancellationToken);

    /// <summary>Writes a disk's content (the current disk's when <paramref name="diskId"/> is null) to a file, whole or not at all; holds no lock.</summary>
    Task<FileInfo> ExportAsync(string appId, string? diskId, ExportOptions options, IProgress<OperationProgress>? progress, CancellationToken cancellationToken);
}

public sealed class DiskOperations : IDiskOperations
{
    private readonly KompoxContext context;

    public DiskOperations(KompoxContext context)
    {
        this.context = context;
    }

    public Task<IReadOnlyList<DiskInfo>> ListAsync(string appId, IProgress<OperationProgress>? progress, CancellationToken cancellationToken) =>
        context.Runner.RunAsync(OperationSpec.OnApp($"Listing disks of app {appId}", appId), progress, async (scope, token) =>
        {
            scope.Step("reading the disk state", 10);
            var state = await AppDiskStates.ReadAsync(scope, token).ConfigureAwait(false);
            scope.Step("listing the provider's disks", 50);
            var runtime = await scope.RuntimeAsync(token).ConfigureAwait(false);
            var disks = await runtime.ListDisksAsync(scope.App, token).ConfigureAwait(false);
            return (IReadOnlyList<DiskInfo>)disks.Select(d => d with { IsCurrent = d.Id == state.CurrentDiskId }).ToList();
        }, cancellationToken);

    public Task<DiskInfo> CreateAsync(string appId, TimeSpan? lockWait, IProgress<OperationProgress>? progress, CancellationToken cancellationToken) =>
        context.Runner.RunAsync(OperationSpec.OnApp($"Creating a disk for app {appId}", appId) with { HoldsApp = true, LockWait = lockWait }, progress, async (scope, token) =>
        {
            var runtime = await scope.RuntimeAsync(token).ConfigureAwait(false);
            var disk = await runtime.CreateDiskAsync(scope.App, scope.Progress, token).ConfigureAwait(false);
            scope.Step($"created {disk.Id}", 99);
            return disk;
        }, cancellationToken);

    public Task<DiskInfo> DeleteAsync(string appId, string diskId, TimeSpan? lockWait, IProgress<OperationProgress>? progress, CancellationToken cancellationToken) =>
        context.Runner.RunAsync(OperationSpec.OnApp($"Deleting disk {diskId} of app {appId}", appId) with { HoldsApp = true, LockWait = lockWait }, progress, async (scope, token) =>
        {
            // Under the lock, so that no switch makes the disk current between the check and the deletion.
            var state = await AppDiskStates.ReadAsync(scope, token).ConfigureAwait(false);
            if (state.CurrentDiskId == diskId)
            {
                throw new KompoxException("DiskIsCurrent", ErrorKind.Conflict, $"disk {diskId} is the current disk of app {appId}; switch the app to another disk first") { Target = diskId };
            }

            var runtime = await scope.RuntimeAsync(token).ConfigureAwait(false);
            var disk = await runtime.GetDiskAsync(scope.App, diskId, token).ConfigureAwait(false);
            await runtime.DeleteDiskAsync(scope.App, diskId, token).ConfigureAwait(false);
            return disk;
        }, cancellationToken);

    public Task<DiskInfo> ImportAsync(string appId, ImportOptions options, IProgress<OperationProgress>? progress, CancellationToken cancellationToken) =>
        context.Runner.RunAsync(
            OperationSpec.OnApp($"Importing {options.Path} as a disk of app {appId}", appId) with { HoldsApp = true, LockWait = options.LockWait },
            progress,
            (scope, token) => ImportDisk.FromFileAsync(scope, options, token),
            cancellationToken);

    public Task<DiskInfo> AdoptAsync(string appId, string resourceId, TimeSpan? lockWait, IProgress<OperationProgress>? progress, CancellationToken cancellationToken) =>
        context.Runner.RunAsync(
            OperationSpec.OnApp($"Adopting {resourceId} as a disk of app {appId}", appId) with { HoldsApp = true, LockWait = lockWait },
            progress,
            (scope, token) => ImportDisk.AdoptAsync(scope, resourceId, token),
            cancellationToken);

    // TODO(lead, issue 14 item 4): export needs no cluster; once disk-switch's offline runtime lands it takes the k3s runtime through it.
    public Task<FileInfo> ExportAsync(string appId, string? diskId, ExportOptions options, IProgress<OperationProgress>? progress, CancellationToken cancellationToken) =>
        context.Runner.RunAsync(
            OperationSpec.OnApp($"Exporting {(diskId is null ? "the current disk" : $"disk {diskId}")} of app {appId}", appId),
            progress,
            async (scope, token) =>
            {
                var chosen = await DiskChoice.ResolveAsync(scope, diskId, token).ConfigureAwait(false);
                var runtime = await scope.RuntimeAsync(token).ConfigureAwait(false);
                return await ExportToFile.RunAsync(scope, options, $"disk {chosen}", (stream, t) => runtime.ExportDiskAsync(scope.App, chosen, stream, scope.Progress, t), token).ConfigureAwait(false);
            },
            cancellationToken);
}
