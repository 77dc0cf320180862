using Kompox.Drivers;

namespace Kompox.Operations;

/// <summary>
/// Restoring a snapshot: always to a new disk, so that nothing the app has is overwritten; the app stays on its current
/// disk until it is switched. It holds no lock: a new disk that is not current changes nothing the app uses.
/// </summary>
internal static class RestoreSnapshot
{
    public static async Task<DiskInfo> RunAsync(OperationScope scope, string snapshotId, CancellationToken cancellationToken)
    {
        var runtime = await scope.RuntimeAsync(cancellationToken).ConfigureAwait(false);
        scope.Detail($"restoring snapshot {snapshotId} to a new disk of the {scope.Cluster.Provider.Driver} provider {scope.Cluster.Provider.Id}");
        var disk = await runtime.RestoreSnapshotAsync(scope.App, snapshotId, scope.Progress, cancellationToken).ConfigureAwait(false);
        // A snapshot holds the app's own past state, bound directories included: the new disk is marked seeded so that
        // its first deploy copies nothing over it (a file the app had deleted would come back). -SeedBinds still can.
        await runtime.MarkSeededAsync(scope.App, disk.Id, cancellationToken).ConfigureAwait(false);
        scope.Step($"restored as disk {disk.Id}", 99);
        return disk with { Seeded = true };
    }
}
