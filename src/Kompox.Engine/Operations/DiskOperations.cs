using Kompox.Drivers;

namespace Kompox.Operations;

/// <summary>What can be done to an app's disks, by the app's id; the REST endpoints and a client-mode backend share it.</summary>
public interface IDiskOperations
{
    /// <summary>
    /// The app's disks, newest first, the current one marked: the one the namespace names, else the one the provider
    /// records. Holds no lock. Works while the cluster is down (<see cref="OperationScope.RuntimeOfflineAllowedAsync"/>).
    /// </summary>
    Task<IReadOnlyList<DiskInfo>> ListAsync(string appId, IProgress<OperationProgress>? progress, CancellationToken cancellationToken);

    /// <summary>
    /// Makes <paramref name="diskId"/> the app's current disk holding the app's lock (SPEC 5): the namespace records
    /// previous and current, the provider's record follows, and a deployed app rolls onto the disk's own volume and claim
    /// while the old pair is pruned (the disks stay). An app not deployed only records the choice, which the next deploy uses.
    /// </summary>
    /// <param name="lockWait">How long to wait for another operation holding the app; null for the context's default.</param>
    /// <exception cref="KompoxException"><c>DiskNotFound</c> when the disk is not the app's.</exception>
    Task<DiskSwitchResult> SwitchAsync(string appId, string diskId, TimeSpan? lockWait, IProgress<OperationProgress>? progress, CancellationToken cancellationToken);

    /// <summary>
    /// Moves the app <paramref name="appId"/> to <paramref name="destinationAppId"/>, the same app on another cluster of the
    /// same provider, with its current disk (aks; k3s refuses with <c>MoveNotSupported</c>). Run it again after an interruption.
    /// </summary>
    Task<AppStatus> MoveAsync(string appId, string destinationAppId, MoveOptions options, IProgress<OperationProgress>? progress, CancellationToken cancellationToken);

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
            var runtime = await scope.RuntimeOfflineAllowedAsync(token).ConfigureAwait(false);
            AppDiskState? state = null;
            if (scope.Unanswered is null)
            {
                try
                {
                    state = await AppDiskStates.ReadAsync(scope, token).ConfigureAwait(false);
                }
                catch (Exception e) when (ErrorTranslation.IsUnanswered(e, token))
                {
                    // aks: the disks are in the cloud and the provider's record says which is current.
                    scope.Warn(Diagnostic.Warning(scope.Cluster.Provider.Service.ConfigPath ?? "kompoxops.yml", SourceMark.File, string.Empty, $"the API server of cluster {scope.Cluster.Name} does not answer ({ErrorTranslation.Translate(e, scope.Doing, token).Message}); the current disk is the one the provider records"));
                }
            }

            scope.Step("listing the provider's disks", 50);
            var disks = await runtime.ListDisksAsync(scope.App, token).ConfigureAwait(false);
            if (scope.Unanswered is { } down && disks.Count == 0)
            {
                // No disk of the app here: nothing says this machine is the disk node, and the cluster could not be asked.
                throw down;
            }

            // The namespace wins where it can be read and names one; else the provider's record.
            var current = state?.CurrentDiskId ?? DiskInfo.ProviderCurrent(disks);
            return (IReadOnlyList<DiskInfo>)disks.Select(d => d with { IsCurrent = d.Id == current }).ToList();
        }, cancellationToken);

    public Task<AppStatus> MoveAsync(string appId, string destinationAppId, MoveOptions options, IProgress<OperationProgress>? progress, CancellationToken cancellationToken) =>
        context.Runner.RunAsync(
            OperationSpec.OnApp($"Moving app {appId} to {destinationAppId}", destinationAppId),
            progress,
            (scope, token) => MoveApp.RunAsync(scope, appId, options, token),
            cancellationToken);

    public Task<DiskSwitchResult> SwitchAsync(string appId, string diskId, TimeSpan? lockWait, IProgress<OperationProgress>? progress, CancellationToken cancellationToken) =>
        context.Runner.RunAsync(
            OperationSpec.OnApp($"Switching app {appId} to disk {diskId}", appId) with { HoldsApp = true, LockWait = lockWait },
            progress,
            (scope, token) => SwitchDisk.RunAsync(scope, diskId, token),
            cancellationToken);

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

    public Task<FileInfo> ExportAsync(string appId, string? diskId, ExportOptions options, IProgress<OperationProgress>? progress, CancellationToken cancellationToken) =>
        context.Runner.RunAsync(
            OperationSpec.OnApp($"Exporting {(diskId is null ? "the current disk" : $"disk {diskId}")} of app {appId}", appId),
            progress,
            async (scope, token) =>
            {
                // A copy needs no cluster: with the API server down, k3s exports the disks under this machine's data root.
                var runtime = await scope.RuntimeOfflineAllowedAsync(token).ConfigureAwait(false);
                var chosen = await DiskChoice.ResolveAsync(scope, runtime, diskId, token).ConfigureAwait(false);
                return await ExportToFile.RunAsync(scope, options, $"disk {chosen}", (stream, t) => runtime.ExportDiskAsync(scope.App, chosen, stream, scope.Progress, t), token).ConfigureAwait(false);
            },
            cancellationToken);
}
