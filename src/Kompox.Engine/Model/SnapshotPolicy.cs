using System.Globalization;
using System.Text.RegularExpressions;

namespace Kompox.Model;

/// <summary>
/// An app's snapshot policy, from its settings: how often a snapshot of the current disk is taken
/// (<c>SNAPSHOT_INTERVAL</c>) and which snapshots are kept. A snapshot is kept when any rule keeps it: the newest
/// <c>SNAPSHOT_KEEP</c>, those younger than <c>SNAPSHOT_MAX_AGE</c>, the newest of each of the last
/// <c>SNAPSHOT_KEEP_DAILY</c> days, <c>SNAPSHOT_KEEP_WEEKLY</c> weeks and <c>SNAPSHOT_KEEP_MONTHLY</c> months, a pinned
/// one, and always the newest. Without any retention setting every snapshot is kept.
/// </summary>
public sealed partial record SnapshotPolicy(TimeSpan? Interval, int? Keep, TimeSpan? MaxAge, int? KeepDaily, int? KeepWeekly, int? KeepMonthly)
{
    public const string IntervalSetting = "SNAPSHOT_INTERVAL";
    public const string KeepSetting = "SNAPSHOT_KEEP";
    public const string MaxAgeSetting = "SNAPSHOT_MAX_AGE";
    public const string KeepDailySetting = "SNAPSHOT_KEEP_DAILY";
    public const string KeepWeeklySetting = "SNAPSHOT_KEEP_WEEKLY";
    public const string KeepMonthlySetting = "SNAPSHOT_KEEP_MONTHLY";

    public static readonly SnapshotPolicy None = new(null, null, null, null, null, null);

    private const long MaxSeconds = 100L * 366 * 86400;

    /// <summary>The settings of the policy, with what each takes; the drivers list them at app scope.</summary>
    public static IReadOnlyList<(string Name, string Description, Func<string, string?> Check)> Settings { get; } = new (string, string, Func<string, string?>)[]
    {
        (IntervalSetting, "how often a run of the snapshot policy takes a snapshot of the current disk, e.g. 6h, 1d (default: never)", v => CheckDuration(v)),
        (KeepSetting, "keep the newest N snapshots", v => CheckCount(v)),
        (MaxAgeSetting, "keep the snapshots younger than this, e.g. 30d", v => CheckDuration(v)),
        (KeepDailySetting, "keep the newest snapshot of each of the last N days (UTC) that have one", v => CheckCount(v)),
        (KeepWeeklySetting, "keep the newest snapshot of each of the last N ISO weeks (UTC, from Monday) that have one", v => CheckCount(v)),
        (KeepMonthlySetting, "keep the newest snapshot of each of the last N months (UTC) that have one", v => CheckCount(v)),
    };

    /// <summary>Whether the app has a policy at all.</summary>
    public bool IsEmpty => this == None;

    /// <summary>Whether any rule can prune: without one, every snapshot is kept.</summary>
    public bool HasRetention => Keep is not null || MaxAge is not null || KeepDaily is not null || KeepWeekly is not null || KeepMonthly is not null;

    /// <summary>The policy the app's settings give.</summary>
    /// <exception cref="KompoxException"><c>InvalidSetting</c> naming the first setting whose value is wrong.</exception>
    public static SnapshotPolicy Of(KompoxApp app)
    {
        var settings = app.Settings;
        string? Value(string name)
        {
            if (!settings.TryGetValue(name, out var text))
            {
                return null;
            }

            var check = Settings.First(s => s.Name == name).Check;
            return check(text) is { } problem
                ? throw new KompoxException("InvalidSetting", ErrorKind.InvalidArgument, $"app.settings.{name} of app {app.Id}: {problem}") { Target = $"app.settings.{name}" }
                : text;
        }

        TimeSpan? Duration(string name) => Value(name) is { } text ? ParseDuration(text) : null;
        int? Count(string name) => Value(name) is { } text ? int.Parse(text, NumberStyles.None, CultureInfo.InvariantCulture) : null;
        return new SnapshotPolicy(Duration(IntervalSetting), Count(KeepSetting), Duration(MaxAgeSetting), Count(KeepDailySetting), Count(KeepWeeklySetting), Count(KeepMonthlySetting));
    }

    /// <summary>
    /// Whether a snapshot is due: the policy has an interval and the newest snapshot of the current disk is at least that
    /// old, less a twentieth of it (at most 10 minutes), so that a timer firing every interval is not a whole run late
    /// because the last snapshot finished a few seconds after the timer fired.
    /// </summary>
    /// <param name="newest">When the newest snapshot of the current disk was taken; null when it has none.</param>
    public bool IsDue(DateTimeOffset? newest, DateTimeOffset now)
    {
        if (Interval is not { } interval)
        {
            return false;
        }

        if (newest is not { } last)
        {
            return true;
        }

        var slack = TimeSpan.FromTicks(Math.Min(interval.Ticks / 20, TimeSpan.FromMinutes(10).Ticks));
        return now - last >= interval - slack;
    }

    /// <summary>
    /// What to keep of <paramref name="snapshots"/> at <paramref name="now"/>, each with the rules that keep it, newest
    /// first. Calendar rules count, as restic and borg do, the days (weeks, months) that have a snapshot: a pause in
    /// snapshots never shortens the history kept. Periods are UTC; a week starts on Monday (ISO 8601).
    /// </summary>
    public IReadOnlyList<RetentionDecision> Decide(IEnumerable<RetentionCandidate> snapshots, DateTimeOffset now)
    {
        var ordered = snapshots.OrderByDescending(s => s.CreatedAt).ThenByDescending(s => s.Id, StringComparer.Ordinal).ToList();
        var reasons = ordered.Select(_ => new List<string>()).ToList();
        for (var i = 0; i < ordered.Count; i++)
        {
            var snapshot = ordered[i];
            if (i == 0)
            {
                reasons[i].Add("newest");
            }

            if (snapshot.Pinned)
            {
                reasons[i].Add("pinned");
            }

            if (!HasRetention)
            {
                reasons[i].Add("no retention set");
            }

            if (Keep is { } keep && i < keep)
            {
                reasons[i].Add($"among the {keep} newest");
            }

            if (MaxAge is { } maxAge && now - snapshot.CreatedAt < maxAge)
            {
                reasons[i].Add($"younger than {FormatDuration(maxAge)}");
            }
        }

        KeepNewestPerPeriod(ordered, reasons, KeepDaily, t => t.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), "newest of day");
        KeepNewestPerPeriod(ordered, reasons, KeepWeekly, t => $"{ISOWeek.GetYear(t)}-W{ISOWeek.GetWeekOfYear(t):00}", "newest of week");
        KeepNewestPerPeriod(ordered, reasons, KeepMonthly, t => t.ToString("yyyy-MM", CultureInfo.InvariantCulture), "newest of month");
        return ordered.Select((s, i) => new RetentionDecision(s.Id, s.CreatedAt, reasons[i].Count > 0, reasons[i])).ToList();
    }

    private static void KeepNewestPerPeriod(List<RetentionCandidate> newestFirst, List<List<string>> reasons, int? count, Func<DateTime, string> period, string reason)
    {
        if (count is not { } n)
        {
            return;
        }

        var periods = 0;
        string? last = null;
        for (var i = 0; i < newestFirst.Count && periods < n; i++)
        {
            var key = period(newestFirst[i].CreatedAt.UtcDateTime);
            if (key != last)
            {
                // The first snapshot met of a period, newest first, is that period's newest.
                reasons[i].Add($"{reason} {key}");
                last = key;
                periods++;
            }
        }
    }

    /// <summary>A duration as the settings write it: one or more whole numbers with a unit (<c>s m h d w</c>), e.g. <c>1d12h</c>.</summary>
    public static TimeSpan? ParseDuration(string text)
    {
        var match = DurationPattern().Match(text);
        if (!match.Success)
        {
            return null;
        }

        long seconds = 0;
        foreach (Capture part in match.Groups["part"].Captures)
        {
            var unit = part.Value[^1];
            if (!long.TryParse(part.Value.AsSpan(0, part.Value.Length - 1), NumberStyles.None, CultureInfo.InvariantCulture, out var number))
            {
                return null;
            }

            var perUnit = unit switch { 's' => 1L, 'm' => 60L, 'h' => 3600L, 'd' => 86400L, _ => 604800L };
            try
            {
                seconds = checked(seconds + checked(number * perUnit));
            }
            catch (OverflowException)
            {
                return null;
            }
        }

        // Beyond a century is a mistake, and would overflow a date once subtracted from now.
        return seconds <= MaxSeconds ? TimeSpan.FromSeconds(seconds) : null;
    }

    /// <summary>The shortest way the settings write <paramref name="duration"/>: <c>30d</c>, <c>1d12h</c>, <c>90s</c>.</summary>
    public static string FormatDuration(TimeSpan duration)
    {
        var parts = new List<string>();
        var left = (long)duration.TotalSeconds;
        foreach (var (unit, size) in new[] { ("d", 86400L), ("h", 3600L), ("m", 60L), ("s", 1L) })
        {
            if (left >= size)
            {
                parts.Add((left / size).ToString(CultureInfo.InvariantCulture) + unit);
                left %= size;
            }
        }

        return parts.Count == 0 ? "0s" : string.Concat(parts);
    }

    private static string? CheckDuration(string value) =>
        ParseDuration(value) is { } d && d > TimeSpan.Zero ? null : $"'{value}' is not a duration above zero and up to a century: whole numbers with a unit s, m, h, d or w, e.g. 6h, 1d, 30d, 1d12h";

    private static string? CheckCount(string value) =>
        int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0 ? null : $"'{value}' is not a whole number above zero";

    [GeneratedRegex(@"^(?<part>[0-9]+[smhdw])+$")]
    private static partial Regex DurationPattern();
}

/// <summary>A snapshot as the retention rules see it.</summary>
public sealed record RetentionCandidate(string Id, DateTimeOffset CreatedAt, bool Pinned);

/// <summary>Whether a snapshot is kept, and every rule that keeps it (none when it is pruned).</summary>
public sealed record RetentionDecision(string Id, DateTimeOffset CreatedAt, bool Keep, IReadOnlyList<string> Reasons);
