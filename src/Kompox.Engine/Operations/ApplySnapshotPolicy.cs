using Kompox.Drivers;
using Kompox.Model;

namespace Kompox.Operations;

/// <summary>What one run of an app's snapshot policy did.</summary>
public enum SnapshotPolicyOutcome
{
    /// <summary>The app has no policy (no <c>SNAPSHOT_*</c> setting): nothing was looked at.</summary>
    Skipped,

    /// <summary>No snapshot was due (or the policy takes none); retention was applied.</summary>
    NotDue,

    /// <summary>A snapshot was taken; retention was applied.</summary>
    Taken,

    /// <summary>Taking the due snapshot, or pruning one, failed: a failure of the run, which a runbook or cron must see.</summary>
    Failed,
}

/// <summary>A snapshot the run kept or pruned, with the rules that kept it (none for a pruned one).</summary>
public sealed record PolicySnapshot(string Id, string DiskId, DateTimeOffset CreatedAt, bool Pinned, IReadOnlyList<string> Reasons);

/// <summary>What one run of the snapshot policy did for one app.</summary>
/// <param name="Message">Why, in a sentence: why it was skipped, not due, or failed.</param>
/// <param name="Taken">The snapshot taken, when one was.</param>
/// <param name="Errors">What failed (the snapshot, a pruning), in order; empty unless <see cref="Outcome"/> is Failed.</param>
public sealed record SnapshotPolicyResult(
    string AppId,
    SnapshotPolicyOutcome Outcome,
    string Message,
    SnapshotInfo? Taken,
    IReadOnlyList<PolicySnapshot> Kept,
    IReadOnlyList<PolicySnapshot> Pruned,
    IReadOnlyList<KompoxException> Errors);

/// <summary>
/// One run of an app's snapshot policy (<see cref="SnapshotPolicy"/>): a snapshot of the current disk when one is due,
/// then the snapshots past the retention pruned. Like the snapshot it takes, it needs no lock and no cluster. A snapshot
/// that fails is the run's failure, and nothing is pruned after it: the snapshots left are then the only history.
/// </summary>
internal static class ApplySnapshotPolicy
{
    public static async Task<SnapshotPolicyResult> RunAsync(OperationScope scope, CancellationToken cancellationToken)
    {
        var app = scope.App;
        var policy = SnapshotPolicy.Of(app);
        if (policy.IsEmpty)
        {
            return Result(app, SnapshotPolicyOutcome.Skipped, $"app {app.Id} has no snapshot policy (set SNAPSHOT_INTERVAL and a retention such as SNAPSHOT_KEEP in its settings)");
        }

        var runtime = await scope.RuntimeOfflineAllowedAsync(cancellationToken).ConfigureAwait(false);
        scope.Step("listing the snapshots", 10);
        var snapshots = (await runtime.ListSnapshotsAsync(app, cancellationToken).ConfigureAwait(false)).ToList();
        var errors = new List<KompoxException>();
        SnapshotInfo? taken = null;
        string message;
        if (policy.Interval is null)
        {
            message = "the policy takes no snapshots (no SNAPSHOT_INTERVAL); retention applied";
        }
        else
        {
            var current = await CurrentDiskAsync(scope, runtime, cancellationToken).ConfigureAwait(false);
            var newest = current is null ? null : snapshots.Where(s => s.DiskId == current).Select(s => (DateTimeOffset?)s.CreatedAt).Max();
            var now = scope.Time.GetUtcNow();
            if (current is null)
            {
                message = "the app has no current disk yet (it was never deployed): nothing to snapshot";
            }
            else if (!policy.IsDue(newest, now))
            {
                message = $"not due: the newest snapshot of disk {current} was taken at {newest:u}, less than {SnapshotPolicy.FormatDuration(policy.Interval.Value)} ago";
            }
            else
            {
                scope.Step($"a snapshot of disk {current} is due", 20);
                try
                {
                    taken = await TakeSnapshot.RunAsync(scope, new SnapshotOptions { DiskId = current }, cancellationToken).ConfigureAwait(false);
                    snapshots.Add(taken);
                    message = $"took snapshot {taken.Id} of disk {current}";
                }
                catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
                {
                    var error = ErrorTranslation.Translate(e, $"taking the due snapshot of disk {current} of app {app.Id}", cancellationToken);
                    errors.Add(error);
                    var unchanged = snapshots.Select(s => Entry(s, Array.Empty<string>())).ToList();
                    return new SnapshotPolicyResult(app.Id, SnapshotPolicyOutcome.Failed, $"the due snapshot failed, so nothing was pruned: {error.Message}", null, unchanged, Array.Empty<PolicySnapshot>(), errors);
                }
            }
        }

        scope.Step("applying the retention", 80);
        var decisions = policy.Decide(snapshots.Select(s => new RetentionCandidate(s.Id, s.CreatedAt, s.Pinned)), scope.Time.GetUtcNow());
        var byId = snapshots.ToDictionary(s => s.Id, StringComparer.Ordinal);
        var kept = new List<PolicySnapshot>();
        var pruned = new List<PolicySnapshot>();
        foreach (var decision in decisions)
        {
            var snapshot = byId[decision.Id];
            if (decision.Keep)
            {
                kept.Add(Entry(snapshot, decision.Reasons));
                continue;
            }

            scope.Detail($"pruning snapshot {snapshot.Id} of {snapshot.CreatedAt:u}: no rule keeps it");
            try
            {
                await runtime.DeleteSnapshotAsync(app, snapshot.Id, cancellationToken).ConfigureAwait(false);
                pruned.Add(Entry(snapshot, decision.Reasons));
            }
            catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                // One that cannot be pruned now is tried again by the next run; the others are still pruned.
                errors.Add(ErrorTranslation.Translate(e, $"pruning snapshot {snapshot.Id} of app {app.Id}", cancellationToken));
                kept.Add(Entry(snapshot, decision.Reasons));
            }
        }

        var outcome = errors.Count > 0 ? SnapshotPolicyOutcome.Failed : taken is null ? SnapshotPolicyOutcome.NotDue : SnapshotPolicyOutcome.Taken;
        var summary = $"{message}; kept {kept.Count}, pruned {pruned.Count}{(errors.Count > 0 ? $"; {errors.Count} could not be pruned: {errors[0].Message}" : string.Empty)}";
        scope.Step(summary, 99);
        return new SnapshotPolicyResult(app.Id, outcome, summary, taken, kept, pruned, errors);
    }

    /// <summary>The current disk as the namespace names it, or the provider records it; null when neither does.</summary>
    private static async Task<string?> CurrentDiskAsync(OperationScope scope, IDriverRuntime runtime, CancellationToken cancellationToken)
    {
        try
        {
            return await DiskChoice.ResolveAsync(scope, runtime, null, cancellationToken).ConfigureAwait(false);
        }
        catch (KompoxException e) when (e.ErrorId == "NoCurrentDisk")
        {
            return null;
        }
    }

    private static PolicySnapshot Entry(SnapshotInfo s, IReadOnlyList<string> reasons) => new(s.Id, s.DiskId, s.CreatedAt, s.Pinned, reasons);

    private static SnapshotPolicyResult Result(KompoxApp app, SnapshotPolicyOutcome outcome, string message) =>
        new(app.Id, outcome, message, null, Array.Empty<PolicySnapshot>(), Array.Empty<PolicySnapshot>(), Array.Empty<KompoxException>());
}
