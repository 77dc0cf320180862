using k8s;
using k8s.Models;
using Kompox.Conversion;
using Kompox.Drivers;

namespace Kompox.Operations;

/// <summary>What snapshot to take, and how.</summary>
public sealed record SnapshotOptions
{
    /// <summary>The disk to copy; null for the app's current disk.</summary>
    public string? DiskId { get; init; }

    /// <summary>
    /// Stop the app for a consistent copy: its Deployment is scaled to 0, the snapshot is taken once its Pod is gone,
    /// and it is scaled back and waited for, also when the snapshot fails. Holds the app's lock meanwhile.
    /// </summary>
    public bool StopApp { get; init; }

    /// <summary>How long the Pod may take to go, and then to be Ready again; then <c>AppStopTimeout</c>.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>How long to wait for another holder of the app with <see cref="StopApp"/>; null for the context's default.</summary>
    public TimeSpan? LockWait { get; init; }

    /// <summary>How often the Pod is looked at while waiting.</summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromSeconds(1);
}

/// <summary>
/// Taking a snapshot. A copy of a disk that a running app writes to may catch a file half written (a database's pages
/// from two moments): without <see cref="SnapshotOptions.StopApp"/> a running app is warned about, with it the app is
/// stopped around the copy.
/// </summary>
internal static class TakeSnapshot
{
    /// <summary>The field manager of the replica count written while the app is stopped; the next deploy's apply (forced) takes the field back.</summary>
    public const string FieldManager = "kompox-snapshot";

    public static async Task<SnapshotInfo> RunAsync(OperationScope scope, SnapshotOptions options, CancellationToken cancellationToken)
    {
        // Stopping the app needs its cluster; a plain copy does not.
        var runtime = options.StopApp ? await scope.RuntimeAsync(cancellationToken).ConfigureAwait(false) : await scope.RuntimeOfflineAllowedAsync(cancellationToken).ConfigureAwait(false);
        var diskId = await DiskChoice.ResolveAsync(scope, runtime, options.DiskId, cancellationToken).ConfigureAwait(false);
        if (!options.StopApp)
        {
            // The compose file's hooks quiesce a running app instead of stopping it; without them the copy may catch
            // files half written. With the cluster down no hook can run, and that is said.
            var hooks = scope.Unanswered is null ? SnapshotHooks.Of(scope) : Array.Empty<(string, Compose.ComposeSnapshotHooks)>();
            if (hooks.Count > 0)
            {
                return await SnapshotHooks.AroundAsync(scope, hooks, token => CopyAsync(scope, runtime, diskId, token), cancellationToken).ConfigureAwait(false);
            }

            await WarnIfRunningAsync(scope, diskId, cancellationToken).ConfigureAwait(false);
            return await CopyAsync(scope, runtime, diskId, cancellationToken).ConfigureAwait(false);
        }

        return await AppStop.AroundAsync(scope, FieldManager, options.Timeout, options.PollInterval, "snapshot", token => CopyAsync(scope, runtime, diskId, token), cancellationToken).ConfigureAwait(false);
    }

    private static async Task<SnapshotInfo> CopyAsync(OperationScope scope, IDriverRuntime runtime, string diskId, CancellationToken cancellationToken)
    {
        scope.Step($"copying disk {diskId}", 40);
        scope.Detail($"snapshotting disk {diskId} in the {scope.Cluster.Provider.Driver} provider {scope.Cluster.Provider.Id}");
        var snapshot = await runtime.CreateSnapshotAsync(scope.App, diskId, scope.Progress, cancellationToken).ConfigureAwait(false);
        scope.Step($"took snapshot {snapshot.Id}", 90);
        return snapshot;
    }

    private static async Task WarnIfRunningAsync(OperationScope scope, string diskId, CancellationToken cancellationToken)
    {
        IList<V1Pod> pods;
        if (scope.Unanswered is { } down)
        {
            // Asked once already: the cluster is down, and so perhaps is the app, but nothing can say.
            scope.Warn(Diagnostic.Warning(scope.App.Id, SourceMark.File, string.Empty, $"whether app {scope.App.Id} runs could not be read from its cluster ({down.Message}); if it writes to disk {diskId}, the copy may not be consistent (stop the app around the copy to be sure)"));
            return;
        }

        try
        {
            pods = (await scope.Kube.CoreV1.ListNamespacedPodAsync(KubeNames.Namespace(scope.App), labelSelector: AppObjects.Selector(scope.App), cancellationToken: cancellationToken).ConfigureAwait(false)).Items;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            scope.Warn(Diagnostic.Warning(scope.App.Id, SourceMark.File, string.Empty, $"whether app {scope.App.Id} runs could not be read from its cluster ({e.Message}); if it writes to disk {diskId}, the copy may not be consistent (stop the app around the copy to be sure)"));
            return;
        }

        if (pods.Any(p => p.Metadata.DeletionTimestamp is null && p.Status?.Phase is "Running" or "Pending"))
        {
            scope.Warn(Diagnostic.Warning(scope.App.Id, SourceMark.File, string.Empty, $"app {scope.App.Id} is running ({pods[0].Metadata.Name}): the copy of disk {diskId} may not be consistent, as files may be half written while it is made; stop the app around the copy for a consistent one"));
        }
    }
}
