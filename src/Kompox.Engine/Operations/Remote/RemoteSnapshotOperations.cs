using System.Net;
using System.Text.Json;
using Kompox.Drivers;

namespace Kompox.Operations.Remote;

/// <summary>The snapshot operations through a Kompox service.</summary>
internal sealed class RemoteSnapshotOperations(ServiceClient client) : ISnapshotOperations
{
    public Task<IReadOnlyList<SnapshotInfo>> ListAsync(string appId, IProgress<OperationProgress>? progress, CancellationToken cancellationToken) =>
        client.SendAsync<IReadOnlyList<SnapshotInfo>>(HttpMethod.Get, RemoteAppOperations.Path(appId, "snapshots"), null, cancellationToken);

    public Task<SnapshotInfo> CreateAsync(string appId, SnapshotOptions options, IProgress<OperationProgress>? progress, CancellationToken cancellationToken) =>
        client.RunAsync<SnapshotInfo>(
            $"Taking a snapshot of app {ServiceClient.AppName(appId)}",
            HttpMethod.Post,
            RemoteAppOperations.Path(appId, "snapshots"),
            new { diskId = options.DiskId, stopApp = options.StopApp },
            progress,
            cancellationToken);

    public async Task<DiskInfo> RestoreAsync(string appId, string snapshotId, IProgress<OperationProgress>? progress, CancellationToken cancellationToken) =>
        Disk(await RestoreAsync(appId, snapshotId, switchTo: false, progress, cancellationToken).ConfigureAwait(false));

    public async Task<DiskSwitchResult> RestoreAndSwitchAsync(string appId, string snapshotId, TimeSpan? lockWait, IProgress<OperationProgress>? progress, CancellationToken cancellationToken)
    {
        var result = await RestoreAsync(appId, snapshotId, switchTo: true, progress, cancellationToken).ConfigureAwait(false);
        return result.TryGetProperty("disk", out _)
            ? result.Deserialize<DiskSwitchResult>(ServiceClient.Json)!
            : new DiskSwitchResult(appId, Disk(result), null, null);
    }

    public Task<FileInfo> ExportAsync(string appId, string snapshotId, ExportOptions options, IProgress<OperationProgress>? progress, CancellationToken cancellationToken) =>
        client.DownloadAsync($"Exporting snapshot {snapshotId}", RemoteAppOperations.Path(appId, $"snapshots/{ServiceClient.Segment(snapshotId)}/export"), options, progress, cancellationToken);

    /// <summary>
    /// Runs the policy on the service now (<c>POST snapshot-policy/run</c>). Its errors come as problems and become the
    /// engine's errors again, so that a failed run reads as it does locally.
    /// </summary>
    public async Task<SnapshotPolicyResult> ApplyPolicyAsync(string appId, IProgress<OperationProgress>? progress, CancellationToken cancellationToken)
    {
        var result = await client.RunAsync<PolicyRun>($"Applying the snapshot policy of app {ServiceClient.AppName(appId)}", HttpMethod.Post, RemoteAppOperations.Path(appId, "snapshot-policy/run"), (object?)null, progress, cancellationToken).ConfigureAwait(false);
        var errors = (result.Errors ?? []).Select(p => ServiceClient.FromProblem(p, HttpStatusCode.InternalServerError, "snapshot policy")).ToList();
        return new SnapshotPolicyResult(result.AppId ?? appId, result.Outcome, result.Message ?? string.Empty, result.Taken, result.Kept ?? [], result.Pruned ?? [], errors);
    }

    public Task<SnapshotInfo> SetPinnedAsync(string appId, string snapshotId, bool pinned, IProgress<OperationProgress>? progress, CancellationToken cancellationToken) =>
        client.SendAsync<SnapshotInfo>(HttpMethod.Put, RemoteAppOperations.Path(appId, $"snapshots/{ServiceClient.Segment(snapshotId)}/pin"), new { pinned }, cancellationToken);

    public Task<SnapshotInfo> DeleteAsync(string appId, string snapshotId, IProgress<OperationProgress>? progress, CancellationToken cancellationToken) =>
        client.RunAsync<SnapshotInfo>($"Deleting snapshot {snapshotId}", HttpMethod.Delete, RemoteAppOperations.Path(appId, $"snapshots/{ServiceClient.Segment(snapshotId)}"), (object?)null, progress, cancellationToken);

    private Task<JsonElement> RestoreAsync(string appId, string snapshotId, bool switchTo, IProgress<OperationProgress>? progress, CancellationToken cancellationToken) =>
        client.RunAsync<JsonElement>(
            $"Restoring snapshot {snapshotId}{(switchTo ? " and switching to it" : string.Empty)}",
            HttpMethod.Post,
            RemoteAppOperations.Path(appId, $"snapshots/{ServiceClient.Segment(snapshotId)}/restore"),
            new { @switch = switchTo },
            progress,
            cancellationToken);

    /// <summary>A restore's disk: the result itself, or its <c>disk</c> when the service answered with the switch's result.</summary>
    private static DiskInfo Disk(JsonElement result) =>
        (result.TryGetProperty("disk", out var disk) ? disk : result).Deserialize<DiskInfo>(ServiceClient.Json)!;

    private sealed record PolicyRun(string? AppId, SnapshotPolicyOutcome Outcome, string? Message, SnapshotInfo? Taken, IReadOnlyList<PolicySnapshot>? Kept, IReadOnlyList<PolicySnapshot>? Pruned, IReadOnlyList<ServiceProblem>? Errors);
}
