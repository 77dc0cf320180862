using Kompox.Drivers;
using Kompox.Model;
using Kompox.Store;

namespace Kompox.Operations;

/// <summary>How an app is moved.</summary>
public sealed record MoveOptions
{
    /// <summary>How long to wait for another operation holding the app, on either cluster; null for the context's default.</summary>
    public TimeSpan? LockWait { get; init; }
}

/// <summary>
/// The move use case (SPEC 5, aks): the app goes to another cluster of the same provider with its current disk. Each step
/// can be run again after an interruption: the source's objects are destroyed when its cluster answers (the disk must be
/// free to attach; an unreachable source is passed over with a warning), the disks and snapshots are re-tagged to the
/// destination's app id one by one (the current-disk mark travels with its disk), and the destination deploys on the disk
/// the provider records current.
/// </summary>
internal static class MoveApp
{
    public static async Task<AppStatus> RunAsync(OperationScope scope, string sourceAppId, MoveOptions options, CancellationToken cancellationToken)
    {
        var destination = scope.App;
        var source = await scope.Context.Store.RequireAppAsync(sourceAppId, cancellationToken).ConfigureAwait(false);
        if (scope.Driver.DisksOnNode)
        {
            throw K3sRuntime.MoveNotSupported(source);
        }

        if (source.Cluster.Provider.Id != destination.Cluster.Provider.Id || source.Cluster.Id == destination.Cluster.Id || source.Name != destination.Name)
        {
            throw new KompoxException(
                "InvalidMoveDestination",
                ErrorKind.InvalidArgument,
                $"app {source.Id} moves only to the same app on another cluster of provider {source.Cluster.Provider.Id}; {destination.Id} is {(source.Cluster.Id == destination.Cluster.Id ? "on the same cluster" : source.Name != destination.Name ? "another app" : $"of provider {destination.Cluster.Provider.Id}")}")
            {
                Target = destination.Id,
            };
        }

        var runtime = scope.Context.Runtime(destination.Cluster);
        var from = new OperationScope(scope.Context, scope.Activity, scope.Progress) { App = source };
        try
        {
            // The namespace's choice becomes the provider's record, which the destination's deploy reads; then the source's objects go.
            var state = await AppDiskStates.ReadAsync(from, cancellationToken).ConfigureAwait(false);
            if (state.CurrentDiskId is { } current)
            {
                scope.Step($"recording disk {current} as current on the provider", 10);
                await from.HoldAppAsync(options.LockWait, async token =>
                {
                    // The seeded mark travels with the disk; one an earlier Kompox deployed on gets it here, while its claim still says so.
                    await AppVolume.MarkSeededIfLegacyAsync(from, runtime, current, token).ConfigureAwait(false);
                    await runtime.MarkCurrentAsync(source, current, token).ConfigureAwait(false);
                    return true;
                }, cancellationToken).ConfigureAwait(false);
            }

            scope.Step($"removing the app from cluster {source.Cluster.Id}", 20);
            await DestroyApp.RunAsync(from, new DestroyOptions { LockWait = options.LockWait }, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (ErrorTranslation.IsUnanswered(e, cancellationToken))
        {
            scope.Warn(Diagnostic.Warning(source.Cluster.Provider.Service.ConfigPath ?? "kompoxops.yml", SourceMark.File, string.Empty, $"cluster {source.Cluster.Id} does not answer ({ErrorTranslation.Translate(e, from.Doing, cancellationToken).Message}): the app's objects there are left as they are; the provider's record says which disk is current"));
        }

        scope.Step($"giving the disks and snapshots to app {destination.Id}", 40);
        await runtime.AssignToAppAsync(source, destination, scope.Progress, cancellationToken).ConfigureAwait(false);

        scope.Step($"deploying on cluster {destination.Cluster.Id}", 60);
        var plan = await DeployApp.PlanAsync(scope, new DeployOptions { LockWait = options.LockWait }, cancellationToken).ConfigureAwait(false);
        return await DeployApp.DeployAsync(scope, plan, cancellationToken).ConfigureAwait(false);
    }
}
