using System.Globalization;
using Kompox.Drivers;
using Kompox.Model;

namespace Kompox.Tests.Apps;

/// <summary>The snapshot policy read from an app's settings, when a snapshot is due, and what retention keeps.</summary>
public sealed class SnapshotPolicyTests
{
    private static readonly DateTimeOffset Start = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    [Theory]
    [InlineData("6h", 6 * 3600)]
    [InlineData("1d", 86400)]
    [InlineData("30d", 30 * 86400)]
    [InlineData("1w", 7 * 86400)]
    [InlineData("1d12h", 36 * 3600)]
    [InlineData("90m", 5400)]
    [InlineData("45s", 45)]
    public void Durations_are_whole_numbers_with_a_unit(string text, long seconds)
    {
        Assert.Equal(TimeSpan.FromSeconds(seconds), SnapshotPolicy.ParseDuration(text));
        Assert.Equal(text == "1w" ? "7d" : text == "90m" ? "1h30m" : text, SnapshotPolicy.FormatDuration(TimeSpan.FromSeconds(seconds)));
    }

    [Theory]
    [InlineData(SnapshotPolicy.IntervalSetting, "6")]
    [InlineData(SnapshotPolicy.IntervalSetting, "1.5h")]
    [InlineData(SnapshotPolicy.IntervalSetting, "0h")]
    [InlineData(SnapshotPolicy.IntervalSetting, "6H")]
    [InlineData(SnapshotPolicy.IntervalSetting, "1y")]
    [InlineData(SnapshotPolicy.MaxAgeSetting, "-1d")]
    [InlineData(SnapshotPolicy.MaxAgeSetting, "99999999999w")]
    [InlineData(SnapshotPolicy.MaxAgeSetting, "36600d1d")]
    [InlineData(SnapshotPolicy.KeepSetting, "0")]
    [InlineData(SnapshotPolicy.KeepSetting, "-3")]
    [InlineData(SnapshotPolicy.KeepDailySetting, "seven")]
    [InlineData(SnapshotPolicy.KeepWeeklySetting, " 4")]
    [InlineData(SnapshotPolicy.KeepMonthlySetting, "99999999999")]
    public void A_wrong_value_is_InvalidSetting_naming_the_setting_and_the_value(string setting, string value)
    {
        var app = App(new() { [setting] = value });

        var error = Assert.Throws<KompoxException>(() => SnapshotPolicy.Of(app));

        Assert.Equal(("InvalidSetting", ErrorKind.InvalidArgument, $"app.settings.{setting}"), (error.ErrorId, error.Kind, error.Target));
        Assert.Contains($"'{value}'", error.Message);
    }

    [Theory]
    [InlineData("k3s")]
    [InlineData("aks")]
    public void Every_driver_checks_the_policy_settings_when_the_config_is_read(string driver)
    {
        var problems = SettingSpec.CheckAll(ProviderDrivers.Find(driver)!, SettingScope.App, new Dictionary<string, string>
        {
            [SnapshotPolicy.IntervalSetting] = "6h",
            [SnapshotPolicy.KeepDailySetting] = "0",
        }).ToList();

        var problem = Assert.Single(problems, p => p.Key.Contains("SNAPSHOT_", StringComparison.Ordinal));
        Assert.Equal(Severity.Error, problem.Severity);
        Assert.Equal($"app.settings.{SnapshotPolicy.KeepDailySetting}", problem.Key);
        Assert.DoesNotContain(problems, p => p.Key.EndsWith(SnapshotPolicy.IntervalSetting, StringComparison.Ordinal));
    }

    [Fact]
    public void The_settings_give_the_policy_and_an_app_without_them_has_none()
    {
        Assert.True(SnapshotPolicy.Of(App(new())).IsEmpty);

        var policy = SnapshotPolicy.Of(App(new()
        {
            [SnapshotPolicy.IntervalSetting] = "6h",
            [SnapshotPolicy.KeepSetting] = "3",
            [SnapshotPolicy.MaxAgeSetting] = "30d",
            [SnapshotPolicy.KeepDailySetting] = "7",
            [SnapshotPolicy.KeepWeeklySetting] = "4",
            [SnapshotPolicy.KeepMonthlySetting] = "12",
        }));

        Assert.Equal(new SnapshotPolicy(TimeSpan.FromHours(6), 3, TimeSpan.FromDays(30), 7, 4, 12), policy);
        Assert.False(policy.IsEmpty);
        Assert.True(policy.HasRetention);
        Assert.False(new SnapshotPolicy(TimeSpan.FromHours(6), null, null, null, null, null).HasRetention);
    }

    [Fact]
    public void A_snapshot_is_due_when_the_newest_is_an_interval_old_less_a_twentieth_of_it_at_most_ten_minutes()
    {
        var sixHours = new SnapshotPolicy(TimeSpan.FromHours(6), null, null, null, null, null);
        Assert.True(sixHours.IsDue(null, Start));
        Assert.False(sixHours.IsDue(Start, Start.AddHours(6).AddMinutes(-11)));
        Assert.True(sixHours.IsDue(Start, Start.AddHours(6).AddMinutes(-10)));

        var hourly = sixHours with { Interval = TimeSpan.FromHours(1) };
        Assert.False(hourly.IsDue(Start, Start.AddMinutes(56)));
        Assert.True(hourly.IsDue(Start, Start.AddMinutes(57)));

        var none = SnapshotPolicy.None with { Keep = 3 };
        Assert.False(none.IsDue(null, Start));
    }

    [Fact]
    public void Without_a_retention_rule_every_snapshot_is_kept()
    {
        var policy = new SnapshotPolicy(TimeSpan.FromHours(1), null, null, null, null, null);
        var decisions = policy.Decide(Enumerable.Range(0, 50).Select(i => Candidate(Start.AddHours(i))), Start.AddYears(3));
        Assert.All(decisions, d => Assert.True(d.Keep));
        Assert.All(decisions.Skip(1), d => Assert.Equal(new[] { "no retention set" }, d.Reasons));
    }

    [Fact]
    public void The_newest_is_kept_even_when_every_rule_would_prune_it_and_pinned_ones_are_kept_whatever_their_age()
    {
        var policy = SnapshotPolicy.None with { MaxAge = TimeSpan.FromDays(1) };
        var old = new[] { Candidate(Start), Candidate(Start.AddDays(1)) with { Pinned = true }, Candidate(Start.AddDays(2)) };

        var decisions = policy.Decide(old, Start.AddDays(400));

        Assert.Equal(new[] { true, true, false }, decisions.Select(d => d.Keep));
        Assert.Equal(new[] { "newest" }, decisions[0].Reasons);
        Assert.Equal(new[] { "pinned" }, decisions[1].Reasons);
        Assert.Empty(decisions[2].Reasons);
    }

    [Fact]
    public void Each_rule_says_why_it_keeps_a_snapshot()
    {
        var policy = new SnapshotPolicy(null, 2, TimeSpan.FromHours(30), 2, 1, 1);
        var now = new DateTimeOffset(2026, 3, 4, 12, 0, 0, TimeSpan.Zero);
        var snapshots = new[] { now.AddHours(-1), now.AddHours(-2), now.AddHours(-25), now.AddDays(-2), now.AddDays(-40) }.Select(Candidate).ToList();

        var reasons = policy.Decide(snapshots, now).Select(d => string.Join(", ", d.Reasons)).ToList();

        Assert.Equal(
            new[]
            {
                "newest, among the 2 newest, younger than 1d6h, newest of day 2026-03-04, newest of week 2026-W10, newest of month 2026-03",
                "among the 2 newest, younger than 1d6h",
                "younger than 1d6h, newest of day 2026-03-03",
                string.Empty,
                string.Empty,
            },
            reasons);
    }

    [Fact]
    public void Calendar_rules_count_the_periods_that_have_a_snapshot_so_a_pause_does_not_shorten_the_history()
    {
        // restic's forget --keep-daily and borg's prune count the days that have a snapshot: ten days without one leave
        // the seven days kept before the pause, where counting calendar days would keep nothing.
        var policy = SnapshotPolicy.None with { KeepDaily = 7 };
        var before = Enumerable.Range(0, 20).Select(d => Candidate(Start.AddDays(d).AddHours(3))).ToList();
        var now = Start.AddDays(30);

        var kept = policy.Decide(before, now).Where(d => d.Keep).Select(d => d.CreatedAt).ToList();

        Assert.Equal(Enumerable.Range(13, 7).Reverse().Select(d => Start.AddDays(d).AddHours(3)), kept);
    }

    [Fact]
    public void Weeks_start_on_Monday_and_belong_to_their_ISO_year()
    {
        // 2026-01-01 is a Thursday: ISO week 2026-W01 runs from Monday 2025-12-29 to Sunday 2026-01-04.
        var policy = SnapshotPolicy.None with { KeepWeekly = 10 };
        var sunday = new DateTimeOffset(2026, 1, 4, 23, 0, 0, TimeSpan.Zero);
        var snapshots = new[] { new DateTimeOffset(2025, 12, 28, 23, 0, 0, TimeSpan.Zero), new DateTimeOffset(2025, 12, 29, 1, 0, 0, TimeSpan.Zero), sunday, sunday.AddHours(2) }.Select(Candidate);

        var decisions = policy.Decide(snapshots, sunday.AddDays(1));

        Assert.Equal(new[] { "newest, newest of week 2026-W02", "newest of week 2026-W01", string.Empty, "newest of week 2025-W52" }, decisions.Select(d => string.Join(", ", d.Reasons)));
    }

    /// <summary>
    /// Half a year of a policy run every hour with a snapshot due every 6 hours (a snapshot failing now and then, and one
    /// pinned): after every run, what is kept is exactly what the rules promise, each rule computed here on its own from
    /// the whole history.
    /// </summary>
    [Fact]
    public void Run_every_hour_for_half_a_year_keeps_exactly_what_each_rule_promises()
    {
        var policy = new SnapshotPolicy(TimeSpan.FromHours(6), 5, TimeSpan.FromDays(3), 7, 4, 6);
        var live = new List<RetentionCandidate>();
        var everTaken = new List<RetentionCandidate>();
        var now = Start.AddMinutes(17);
        var random = new Random(20261205);
        for (var run = 0; run < 24 * 183; run++, now = now.AddHours(1))
        {
            var newest = live.Count == 0 ? (DateTimeOffset?)null : live.Max(s => s.CreatedAt);
            if (policy.IsDue(newest, now) && random.Next(10) != 0)
            {
                var taken = Candidate(now.AddSeconds(random.Next(1, 90))) with { Pinned = everTaken.Count == 100 };
                live.Add(taken);
                everTaken.Add(taken);
            }

            var decisions = policy.Decide(live, now);
            var kept = decisions.Where(d => d.Keep).Select(d => d.Id).ToHashSet();
            Assert.Equal(Promised(policy, live, now), kept);
            live.RemoveAll(s => !kept.Contains(s.Id));

            // Never more than the rules allow, and the taking never stops for long.
            Assert.InRange(kept.Count, 1, 5 + (3 * 4 + 1) + 7 + 4 + 6 + 1);
            Assert.True(now - live.Max(s => s.CreatedAt) < TimeSpan.FromHours(6 * 4));
        }

        Assert.Contains(live, s => s.Pinned);
        Assert.Equal(6, live.Where(s => !s.Pinned).Select(s => s.CreatedAt.ToString("yyyy-MM", CultureInfo.InvariantCulture)).Distinct().Count());
    }

    /// <summary>The ids each rule keeps, from its own definition.</summary>
    private static HashSet<string> Promised(SnapshotPolicy policy, List<RetentionCandidate> snapshots, DateTimeOffset now)
    {
        var newestFirst = snapshots.OrderByDescending(s => s.CreatedAt).ToList();
        var promised = new HashSet<string>();
        promised.UnionWith(newestFirst.Take(Math.Max(1, policy.Keep ?? 1)).Select(s => s.Id));
        promised.UnionWith(snapshots.Where(s => s.Pinned || now - s.CreatedAt < policy.MaxAge).Select(s => s.Id));
        foreach (var (count, period) in new (int?, Func<DateTimeOffset, object>)[]
        {
            (policy.KeepDaily, t => t.UtcDateTime.Date),
            (policy.KeepWeekly, t => (ISOWeek.GetYear(t.UtcDateTime), ISOWeek.GetWeekOfYear(t.UtcDateTime))),
            (policy.KeepMonthly, t => (t.Year, t.Month)),
        })
        {
            // The newest snapshot of each of the last N periods that have one.
            promised.UnionWith(newestFirst.GroupBy(s => period(s.CreatedAt)).Take(count ?? 0).Select(g => g.First().Id));
        }

        return promised;
    }

    private static int counter;

    private static RetentionCandidate Candidate(DateTimeOffset createdAt) =>
        new($"web-{createdAt.UtcDateTime:yyyyMMddHHmmss}-{Interlocked.Increment(ref counter):x6}", createdAt, false);

    private static KompoxApp App(Dictionary<string, string> settings)
    {
        var service = new KompoxService { Name = "ops" };
        var provider = new KompoxProvider { Name = "k3s1", Driver = "k3s", Settings = new Dictionary<string, string>(), Service = service };
        var cluster = new KompoxCluster { Name = "lab", Provider = provider, Auth = new ClusterAuth(), Ingress = new ClusterIngress(), Domain = "ops.example.com", Settings = new Dictionary<string, string>() };
        return new KompoxApp { Name = "web", Cluster = cluster, Compose = "services: {}", Settings = settings, Ingress = new Dictionary<string, string>(), Resources = new Dictionary<string, string>() };
    }
}
