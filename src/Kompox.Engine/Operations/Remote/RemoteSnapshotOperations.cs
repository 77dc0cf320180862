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
        return result.ToResult(appId);
    }

    /// <summary>
    /// The outcome of the app's last policy run the service recorded (its background timer's, or one run on request), with
    /// when it ended; null before the first (<c>GET snapshot-policy/last-run</c> answers 204).
    /// </summary>
    public async Task<SnapshotPolicyRun?> GetLastPolicyRunAsync(string appId, CancellationToken cancellationToken)
    {
        using var response = await client.SendRawAsync(HttpMethod.Get, RemoteAppOperations.Path(appId, "snapshot-policy/last-run"), null, HttpCompletionOption.ResponseContentRead, cancellationToken).ConfigureAwait(false);
        if (response.StatusCode == HttpStatusCode.NoContent)
        {
            return null;
        }

        var run = await ServiceClient.ReadAsync<PolicyRun>(response, cancellationToken).ConfigureAwait(false);
        return new SnapshotPolicyRun(run.Time ?? DateTimeOffset.MinValue, run.ToResult(appId));
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

    /// <summary>A run as the service records it (its PolicyRunInfo): the engine's result, its errors as problems, and when it ended.</summary>
    private sealed record PolicyRun(DateTimeOffset? Time, string? AppId, SnapshotPolicyOutcome Outcome, string? Message, SnapshotInfo? Taken, IReadOnlyList<PolicySnapshot>? Kept, IReadOnlyList<PolicySnapshot>? Pruned, IReadOnlyList<ServiceProblem>? Errors)
    {
        // The errors come as problems and become the engine's errors again, so that a failed run reads as it does locally.
        public SnapshotPolicyResult ToResult(string appId) =>
            new(AppId ?? appId, Outcome, Message ?? string.Empty, Taken, Kept ?? [], Pruned ?? [], (Errors ?? []).Select(p => ServiceClient.FromProblem(p, HttpStatusCode.InternalServerError, "snapshot policy")).ToList());
    }
}

/// <summary>A run of an app's snapshot policy the Kompox service recorded: when it ended, and its result.</summary>
public sealed record SnapshotPolicyRun(DateTimeOffset Time, SnapshotPolicyResult Result);
