using k8s;
using k8s.Models;
using Kompox.Conversion;
using Kompox.Model;
using Kompox.Operations;
using Kompox.Tests.KubeApi;
using Microsoft.Extensions.Time.Testing;

namespace Kompox.Tests.Operations;

/// <summary>The app Lease against the test API server, with the server and the lock on one fake clock.</summary>
public sealed class LeaseAppLockTests : IAsyncLifetime
{
    private readonly OperationFixture fixture = new();
    private KubeApiHarness harness = null!;
    private IKubernetes admin = null!;

    private FakeTimeProvider Time => fixture.Time;

    public async Task InitializeAsync()
    {
        harness = await KubeApiHarness.StartAsync(Time).Within();
        admin = harness.Client();
    }

    public async Task DisposeAsync()
    {
        await harness.DisposeAsync().Within();
        fixture.Dispose();
    }

    [Fact]
    public async Task A_free_app_is_held_and_a_second_caller_is_told_who_holds_it_and_until_when()
    {
        var app = await DeployedAppAsync().Within();
        var appLock = Lock();

        await using var first = await appLock.AcquireLeaseAsync(app, TimeSpan.Zero, null, CancellationToken.None).Within();

        var lease = await ReadLeaseAsync(app).Within();
        Assert.Equal(first.HolderIdentity, lease.Spec.HolderIdentity);
        Assert.StartsWith(LeaseAppLock.ProcessIdentity + "/", lease.Spec.HolderIdentity);
        Assert.Equal(60, lease.Spec.LeaseDurationSeconds);
        Assert.NotNull(lease.Spec.AcquireTime);
        Assert.NotNull(lease.Spec.RenewTime);

        var error = await Assert.ThrowsAsync<KompoxException>(() => appLock.AcquireLeaseAsync(app, TimeSpan.Zero, null, CancellationToken.None).Within());
        Assert.Equal(("AppLocked", ErrorKind.Conflict), (error.ErrorId, error.Kind));
        Assert.Contains(first.HolderIdentity, error.Message);
        Assert.Contains($"since {Time.GetUtcNow():u}", error.Message);
        Assert.Contains($"expires at {Time.GetUtcNow().AddSeconds(60):u} unless renewed", error.Message);
        Assert.Equal(Remedy.WaitForApp, error.Remedy);
        Assert.DoesNotContain("-Wait", error.Message);
        Assert.EndsWith("unless renewed", error.Message);
        Assert.Equal($"{Environment.MachineName}/{Environment.ProcessId}", LeaseAppLock.ProcessIdentity);
    }

    /// <summary>A Lease another tool wrote without acquireTime (it is optional in coordination/v1): no "since" is made up,
    /// and its expiry counts from renewTime, or from acquireTime where only that is set.</summary>
    [Fact]
    public async Task A_lease_without_an_acquire_time_is_described_without_one_and_expires_by_whichever_time_it_has()
    {
        var app = await DeployedAppAsync().Within();
        var now = Time.GetUtcNow().UtcDateTime;
        await LeaseWrites.CreateAsync(
            admin,
            new V1Lease
            {
                ApiVersion = "coordination.k8s.io/v1",
                Kind = "Lease",
                Metadata = new V1ObjectMeta { Name = LeaseAppLock.LeaseName },
                Spec = new V1LeaseSpec { HolderIdentity = "operator/1/abc", LeaseDurationSeconds = 60, RenewTime = now },
            },
            KubeNames.Namespace(app),
            CancellationToken.None).Within();

        var error = await Assert.ThrowsAsync<KompoxException>(() => Lock().AcquireLeaseAsync(app, TimeSpan.Zero, null, CancellationToken.None).Within());

        Assert.Contains("operator/1/abc holds it, and its lease expires at", error.Message);
        Assert.Equal(new DateTimeOffset(now).AddSeconds(60), LeaseAppLock.ExpiresAt(new V1Lease { Spec = new V1LeaseSpec { AcquireTime = now, LeaseDurationSeconds = 60 } }));
        Assert.Equal(DateTimeOffset.MinValue, LeaseAppLock.ExpiresAt(new V1Lease { Spec = new V1LeaseSpec { LeaseDurationSeconds = 60 } }));
    }

    [Fact]
    public async Task A_waiter_gets_the_app_once_the_holder_releases_it()
    {
        var app = await DeployedAppAsync().Within();
        var stepped = new SteppedClock(Time);
        var appLock = Lock(stepped);
        var first = await appLock.AcquireLeaseAsync(app, TimeSpan.Zero, null, CancellationToken.None).Within();
        var progress = new RecordedProgress();

        // The waiter read the Lease held and now waits a poll interval on the clock (SteppedClock: no real delay).
        var second = appLock.AcquireLeaseAsync(app, TimeSpan.FromMinutes(1), progress, CancellationToken.None);
        var poll = await stepped.NextWaitAsync().Within();
        Assert.Contains(progress.Reports, r => r.Status.StartsWith($"held by {first.HolderIdentity}", StringComparison.Ordinal));
        Assert.False(second.IsCompleted);

        await first.DisposeAsync().Within();
        Assert.Null((await ReadLeaseAsync(app).Within()).Spec.HolderIdentity);
        Time.Advance(poll);
        await using var held = await second.Within();
        Assert.Equal(held.HolderIdentity, (await ReadLeaseAsync(app).Within()).Spec.HolderIdentity);
        Assert.NotEqual(first.HolderIdentity, held.HolderIdentity);
    }

    [Fact]
    public async Task Waiting_longer_than_the_timeout_on_the_clock_is_AppLocked()
    {
        var app = await DeployedAppAsync().Within();
        var stepped = new SteppedClock(Time);
        var appLock = Lock(stepped);
        await using var first = await appLock.AcquireLeaseAsync(app, TimeSpan.Zero, null, CancellationToken.None).Within();

        var second = appLock.AcquireLeaseAsync(app, TimeSpan.FromSeconds(10), null, CancellationToken.None);
        await stepped.StepUntilAsync(second, TimeSpan.FromMinutes(1)).Within();
        var error = await Assert.ThrowsAsync<KompoxException>(() => second.Within());
        Assert.Equal("AppLocked", error.ErrorId);
        Assert.Contains("waited 10 s", error.Message);
    }

    /// <summary>A waiter's last pause is what is left of its timeout, not a whole poll interval: it gives up at the timeout
    /// on the clock. The clock moves only when the lock waits on it (SteppedClock).</summary>
    [Fact]
    public async Task A_waiter_gives_up_exactly_at_its_timeout_on_the_clock()
    {
        var app = await DeployedAppAsync().Within();
        await using var first = await Lock().AcquireLeaseAsync(app, TimeSpan.Zero, null, CancellationToken.None).Within();
        var stepped = new SteppedClock(Time);

        var second = Lock(stepped).AcquireLeaseAsync(app, TimeSpan.FromSeconds(3), null, CancellationToken.None);
        var moved = await stepped.StepUntilAsync(second, TimeSpan.FromSeconds(10)).Within();

        var error = await Assert.ThrowsAsync<KompoxException>(() => second.Within());
        Assert.Contains("waited 3 s", error.Message);
        Assert.Equal(TimeSpan.FromSeconds(3), moved);
    }

    [Fact]
    public async Task The_lease_of_a_holder_that_died_expires_and_the_next_caller_takes_it_over()
    {
        var app = await DeployedAppAsync().Within();
        var now = Time.GetUtcNow().UtcDateTime;
        await CreateLeaseAsync(app, "laptop/4242/deadbeef", now, transitions: 3).Within();
        var appLock = Lock();

        var error = await Assert.ThrowsAsync<KompoxException>(() => appLock.AcquireLeaseAsync(app, TimeSpan.Zero, null, CancellationToken.None).Within());
        Assert.Contains("laptop/4242/deadbeef holds it", error.Message);

        Time.Advance(TimeSpan.FromSeconds(59));
        await Assert.ThrowsAsync<KompoxException>(() => appLock.AcquireLeaseAsync(app, TimeSpan.Zero, null, CancellationToken.None).Within());
        Time.Advance(TimeSpan.FromSeconds(1));
        await using var held = await appLock.AcquireLeaseAsync(app, TimeSpan.Zero, null, CancellationToken.None).Within();

        var lease = await ReadLeaseAsync(app).Within();
        Assert.Equal(held.HolderIdentity, lease.Spec.HolderIdentity);
        Assert.Equal(4, lease.Spec.LeaseTransitions);
    }

    [Fact]
    public async Task Renewal_every_third_of_the_duration_keeps_the_app_held_past_the_duration()
    {
        var app = await DeployedAppAsync().Within();
        var appLock = Lock();
        var progress = new RecordedProgress();
        await using var held = await appLock.AcquireLeaseAsync(app, TimeSpan.Zero, progress, CancellationToken.None).Within();

        for (var tick = 1; tick <= 6; tick++)
        {
            Time.Advance(TimeSpan.FromSeconds(20));
            var until = Time.GetUtcNow().AddSeconds(60);
            await progress.WhenReportedAsync(r => r.Detail()?.EndsWith($"until {until:u}", StringComparison.Ordinal) == true).Within();
            Assert.Equal(until, LeaseAppLock.ExpiresAt(await ReadLeaseAsync(app).Within()));
        }

        var error = await Assert.ThrowsAsync<KompoxException>(() => appLock.AcquireLeaseAsync(app, TimeSpan.Zero, null, CancellationToken.None).Within());
        Assert.Contains(held.HolderIdentity, error.Message);
        Assert.False(held.Lost.IsCancellationRequested);
    }

    [Fact]
    public async Task Two_holders_in_one_process_exclude_each_other()
    {
        var app = await DeployedAppAsync().Within();
        var runspace1 = Lock();
        var runspace2 = Lock();

        await using (var first = await runspace1.AcquireLeaseAsync(app, TimeSpan.Zero, null, CancellationToken.None).Within())
        {
            var error = await Assert.ThrowsAsync<KompoxException>(() => runspace2.AcquireLeaseAsync(app, TimeSpan.Zero, null, CancellationToken.None).Within());
            Assert.Contains(first.HolderIdentity, error.Message);
            await Assert.ThrowsAsync<KompoxException>(() => runspace1.AcquireLeaseAsync(app, TimeSpan.Zero, null, CancellationToken.None).Within());
        }

        await using var second = await runspace2.AcquireLeaseAsync(app, TimeSpan.Zero, null, CancellationToken.None).Within();
    }

    [Fact]
    public async Task The_namespace_of_a_never_deployed_app_is_created_as_the_converter_makes_it()
    {
        var app = App();
        var ns = KubeNames.Namespace(app);
        Assert.Null(harness.Server.Peek("namespaces", null, ns));

        var progress = new RecordedProgress();
        await using (var held = await Lock().AcquireLeaseAsync(app, TimeSpan.Zero, progress, CancellationToken.None).Within())
        {
            // What the caller is told, in order, under the activity of waiting for the app.
            Assert.Equal(
                [(ProgressKind.Detail, $"creating namespace {ns} for the app's lease", (int?)null), (ProgressKind.Detail, $"holding lease {ns}/{LeaseAppLock.LeaseName} as {held.HolderIdentity}", null), (ProgressKind.Step, "the app is ours", 100)],
                progress.Reports.Where(r => r.Activity == $"Waiting for app {app.Id}").Select(r => (r.Kind, r.Status, r.Percent)));
            var created = await admin.CoreV1.ReadNamespaceAsync(ns).Within();
            var expected = AppConverter.AppNamespace(app);
            var converted = AppValidator.Validate(app, new AppValidationOptions()).Documents.Single(d => d.Kind == "Namespace");
            Assert.Equal(converted.Yaml, ManifestWriter.Write(new[] { expected }));
            Assert.Equal(expected.Metadata.Labels, created.Metadata.Labels);
            Assert.Equal(expected.Metadata.Annotations, created.Metadata.Annotations);
            Assert.Contains(created.Metadata.ManagedFields, f => f.Manager == "kompox" && f.Operation == "Apply");
            Assert.NotNull(await ReadLeaseAsync(app).Within());
        }
    }

    [Fact]
    public async Task A_waiter_can_be_canceled_and_the_holder_keeps_the_app()
    {
        var app = await DeployedAppAsync().Within();
        var appLock = Lock();
        await using var first = await appLock.AcquireLeaseAsync(app, TimeSpan.Zero, null, CancellationToken.None).Within();
        using var cancel = new CancellationTokenSource();
        var progress = new RecordedProgress();

        var second = appLock.AcquireLeaseAsync(app, TimeSpan.FromMinutes(5), progress, cancel.Token);
        await progress.WhenReportedAsync(r => r.Status.StartsWith("held by", StringComparison.Ordinal)).Within();
        cancel.Cancel();

        var error = await Assert.ThrowsAsync<KompoxException>(() => second.Within());
        Assert.Equal(("OperationCanceled", ErrorKind.Canceled), (error.ErrorId, error.Kind));
        Assert.Equal(first.HolderIdentity, (await ReadLeaseAsync(app).Within()).Spec.HolderIdentity);
    }

    [Fact]
    public async Task A_holder_whose_lease_was_taken_over_is_told_and_its_token_is_cancelled()
    {
        var app = await DeployedAppAsync().Within();
        var progress = new RecordedProgress();
        var held = await Lock().AcquireLeaseAsync(app, TimeSpan.Zero, progress, CancellationToken.None).Within();
        var work = AppLockHold.RunAsync(app, held.Lost, TimeSpan.FromSeconds(60), async token => { await Task.Delay(Timeout.Infinite, token); return true; }, CancellationToken.None);

        var lease = await ReadLeaseAsync(app).Within();
        lease.Spec.HolderIdentity = "rest-service/7/cafe0001";
        await LeaseWrites.ReplaceAsync(admin, lease, CancellationToken.None).Within();

        Assert.False(await held.RenewAsync().Within());
        Assert.True(held.Lost.IsCancellationRequested);
        var stopped = await Assert.ThrowsAsync<KompoxException>(() => work.Within());
        Assert.Equal(("AppLeaseLost", ErrorKind.Conflict), (stopped.ErrorId, stopped.Kind));
        Assert.Contains(progress.Reports, r => r.Kind == ProgressKind.Warning && r.Warning!.Message.Contains("lost the lease", StringComparison.Ordinal) && r.Status.Contains("rest-service/7/cafe0001 took it over", StringComparison.Ordinal));

        // Releasing a lost lease leaves the new holder alone.
        await held.DisposeAsync().Within();
        Assert.Equal("rest-service/7/cafe0001", (await ReadLeaseAsync(app).Within()).Spec.HolderIdentity);
    }

    [Fact]
    public async Task The_context_of_config_files_locks_apps_with_the_Lease()
    {
        await using var context = KompoxContext.ForConfigFiles(new ConfigFileStore());
        Assert.IsType<LeaseAppLock>(context.AppLock);
    }

    /// <summary>
    /// client-go leaderelection.go (<c>tryAcquireOrRenew</c>, <c>isLeaseValid</c>): a Lease held by another holder is
    /// valid until <c>observedTime + leaseDuration</c>, where observedTime is when this elector saw the record change, on
    /// its own clock; the holder's renewTime is the holder's clock. A holder whose clock is five minutes behind keeps
    /// renewing: the app stays its, with or without waiting.
    /// </summary>
    [Fact]
    public async Task A_holder_whose_clock_is_behind_keeps_the_app_while_it_renews()
    {
        var app = await DeployedAppAsync().Within();
        var holderClock = TimeSpan.FromMinutes(-5);
        var lease = await CreateLeaseAsync(app, "laptop/4242/skewed", (Time.GetUtcNow() + holderClock).UtcDateTime, transitions: 0).Within();
        var stepped = new SteppedClock(Time);
        var appLock = Lock(stepped);

        var error = await Assert.ThrowsAsync<KompoxException>(() => appLock.AcquireLeaseAsync(app, TimeSpan.Zero, null, CancellationToken.None).Within());
        Assert.Equal("AppLocked", error.ErrorId);
        Assert.Contains("laptop/4242/skewed holds it", error.Message);

        // The holder renews every 20 s on its own clock while a caller waits 90 s: the waiter never takes it over. The
        // clock moves only while the waiter waits between reads, and the holder writes at those moments.
        var waiter = appLock.AcquireLeaseAsync(app, TimeSpan.FromSeconds(90), null, CancellationToken.None);
        var renewed = Time.GetUtcNow();
        var renewals = 0;
        await stepped.StepUntilAsync(waiter, TimeSpan.FromMinutes(3), async _ =>
        {
            if (Time.GetUtcNow() - renewed >= TimeSpan.FromSeconds(20))
            {
                renewed = Time.GetUtcNow();
                lease = await ReadLeaseAsync(app).Within();
                lease.Spec.RenewTime = (renewed + holderClock).UtcDateTime;
                await LeaseWrites.ReplaceAsync(admin, lease, CancellationToken.None).Within();
                renewals++;
            }
        }).Within();

        Assert.Equal(4, renewals);
        var waited = await Assert.ThrowsAsync<KompoxException>(() => waiter.Within());
        Assert.Equal("AppLocked", waited.ErrorId);
        Assert.Contains("laptop/4242/skewed holds it", waited.Message);
        Assert.Contains("waited 90 s", waited.Message);
        Assert.Equal("laptop/4242/skewed", (await ReadLeaseAsync(app).Within()).Spec.HolderIdentity);
    }

    /// <summary>
    /// A caller that never saw the Lease change has never seen it expire, however old its renewTime (the holder's clock
    /// may be wrong, client-go leaderelection.go): without waiting the app is locked; waiting, it is taken over once it
    /// has gone unchanged for its duration on this context's clock, and not before.
    /// </summary>
    [Fact]
    public async Task A_lease_renewed_long_ago_by_the_holders_clock_is_taken_over_only_after_this_context_saw_it_unchanged_for_its_duration()
    {
        var app = await DeployedAppAsync().Within();
        await CreateLeaseAsync(app, "laptop/4242/deadbeef", Time.GetUtcNow().AddHours(-1).UtcDateTime, transitions: 0).Within();

        var error = await Assert.ThrowsAsync<KompoxException>(() => Lock().AcquireLeaseAsync(app, TimeSpan.Zero, null, CancellationToken.None).Within());
        Assert.Contains("laptop/4242/deadbeef holds it", error.Message);
        Assert.Contains($"expires at {Time.GetUtcNow().AddSeconds(60):u} unless renewed", error.Message);

        // The clock moves only while the waiter waits between its reads (SteppedClock), so it takes over at exactly 60 s.
        var stepped = new SteppedClock(Time);
        var taking = Lock(stepped).AcquireLeaseAsync(app, TimeSpan.FromMinutes(5), null, CancellationToken.None);
        var moved = await stepped.StepUntilAsync(taking, TimeSpan.FromMinutes(5)).Within();
        await using var held = await taking.Within();
        Assert.Equal(TimeSpan.FromSeconds(60), moved);
        Assert.Equal(held.HolderIdentity, (await ReadLeaseAsync(app).Within()).Spec.HolderIdentity);
    }

    /// <summary>What a context saw is kept for its lifetime (a REST service), and is its own: another context (a new
    /// cmdlet invocation) starts seeing the Lease when it first reads it.</summary>
    [Fact]
    public async Task Each_context_counts_from_when_it_saw_the_lease()
    {
        var app = await DeployedAppAsync().Within();
        await CreateLeaseAsync(app, "laptop/4242/deadbeef", Time.GetUtcNow().UtcDateTime, transitions: 0).Within();
        var service = Lock();
        await Assert.ThrowsAsync<KompoxException>(() => service.AcquireLeaseAsync(app, TimeSpan.Zero, null, CancellationToken.None).Within());

        Time.Advance(TimeSpan.FromSeconds(60));
        var fresh = await Assert.ThrowsAsync<KompoxException>(() => Lock().AcquireLeaseAsync(app, TimeSpan.Zero, null, CancellationToken.None).Within());
        Assert.Contains("laptop/4242/deadbeef holds it", fresh.Message);
        await using var held = await service.AcquireLeaseAsync(app, TimeSpan.Zero, null, CancellationToken.None).Within();
    }

    /// <summary>apimachinery micro_time.go: acquireTime and renewTime are RFC3339Micro, six fraction digits even at a
    /// whole second (the fixture's clock starts on one); the typed client would drop them and get 400.</summary>
    [Fact]
    public async Task The_lease_times_are_written_with_six_fraction_digits()
    {
        var app = await DeployedAppAsync().Within();
        Assert.Equal(0, Time.GetUtcNow().Ticks % TimeSpan.TicksPerSecond);

        await using var held = await Lock().AcquireLeaseAsync(app, TimeSpan.Zero, null, CancellationToken.None).Within();

        var spec = harness.Server.Peek("leases", KubeNames.Namespace(app), LeaseAppLock.LeaseName)!["spec"]!;
        var micro = $"{Time.GetUtcNow().UtcDateTime:yyyy-MM-ddTHH:mm:ss}.000000Z";
        Assert.Equal(micro, spec["acquireTime"]!.ToString());
        Assert.Equal(micro, spec["renewTime"]!.ToString());
    }

    /// <summary>
    /// client-go leaderelection.go (<c>tryAcquireOrRenew</c>, <c>release</c>): a new record starts at 0 transitions; every
    /// acquisition of an existing record by a new holder adds one, also after the last holder released it (release keeps
    /// the count); renewals by the holder keep it.
    /// </summary>
    [Fact]
    public async Task Lease_transitions_count_each_new_holder_as_client_go_does()
    {
        var app = await DeployedAppAsync().Within();
        var appLock = Lock();

        var progress = new RecordedProgress();
        var first = await appLock.AcquireLeaseAsync(app, TimeSpan.Zero, progress, CancellationToken.None).Within();
        Assert.Equal(0, (await ReadLeaseAsync(app).Within()).Spec.LeaseTransitions);
        Time.Advance(TimeSpan.FromSeconds(20));
        await progress.WhenReportedAsync(r => r.Detail()?.StartsWith("renewed lease", StringComparison.Ordinal) == true).Within();
        Assert.Equal(Time.GetUtcNow().AddSeconds(60), LeaseAppLock.ExpiresAt(await ReadLeaseAsync(app).Within()));
        Assert.Equal(0, (await ReadLeaseAsync(app).Within()).Spec.LeaseTransitions);
        await first.DisposeAsync().Within();
        Assert.Equal(0, (await ReadLeaseAsync(app).Within()).Spec.LeaseTransitions);

        await (await appLock.AcquireLeaseAsync(app, TimeSpan.Zero, null, CancellationToken.None).Within()).DisposeAsync().Within();
        await using var third = await appLock.AcquireLeaseAsync(app, TimeSpan.Zero, null, CancellationToken.None).Within();
        Assert.Equal(2, (await ReadLeaseAsync(app).Within()).Spec.LeaseTransitions);
    }

    /// <summary>
    /// A renewal that cannot reach the API server (connection refused, as SocketsHttpHandler reports it) is tried again at
    /// the next tick: the Lease lasts three ticks, so one failed renewal neither loses the app nor stops the work.
    /// </summary>
    [Fact]
    public async Task A_renewal_that_fails_while_the_API_server_is_away_is_tried_again_and_the_app_stays_held()
    {
        var app = await DeployedAppAsync().Within();
        var outage = new Outage();
        var progress = new RecordedProgress();
        await using var held = await Lock(outage).AcquireLeaseAsync(app, TimeSpan.Zero, progress, CancellationToken.None).Within();
        var acquired = Time.GetUtcNow();

        outage.Down = true;
        Assert.False(await held.RenewAsync().Within());
        Assert.Contains(progress.Reports, r => r.Activity == $"Holding app {app.Id}" && r.Detail()?.StartsWith($"renewal failed, trying again: renewing the lease of app {app.Id}: ", StringComparison.Ordinal) == true && r.Detail()!.Contains("cannot connect (ConnectionRefused)", StringComparison.Ordinal));
        Assert.False(held.Lost.IsCancellationRequested);
        Assert.Equal(acquired.AddSeconds(60), held.ExpiresAt);

        outage.Down = false;
        Time.Advance(TimeSpan.FromSeconds(20));
        var until = Time.GetUtcNow().AddSeconds(60);
        await progress.WhenReportedAsync(r => r.Detail()?.EndsWith($"until {until:u}", StringComparison.Ordinal) == true).Within();
        Assert.Equal(until, LeaseAppLock.ExpiresAt(await ReadLeaseAsync(app).Within()));
        Assert.False(held.Lost.IsCancellationRequested);
        Assert.DoesNotContain(progress.Reports, r => r.Kind == ProgressKind.Warning);
    }

    /// <summary>Releasing says so; a release the server does not take (it is away) is left to expire and says when; a
    /// second dispose writes nothing.</summary>
    [Fact]
    public async Task Release_is_reported_and_one_the_server_cannot_take_is_left_to_expire()
    {
        var app = await DeployedAppAsync().Within();
        var progress = new RecordedProgress();
        var first = await Lock().AcquireLeaseAsync(app, TimeSpan.Zero, progress, CancellationToken.None).Within();
        await first.DisposeAsync().Within();
        Assert.Contains(progress.Reports, r => r.Activity == $"Holding app {app.Id}" && r.Detail() == $"released lease {KubeNames.Namespace(app)}/{LeaseAppLock.LeaseName}");
        var version = (await ReadLeaseAsync(app).Within()).Metadata.ResourceVersion;
        await first.DisposeAsync().Within();
        Assert.Equal(version, (await ReadLeaseAsync(app).Within()).Metadata.ResourceVersion);

        var outage = new Outage();
        var second = await Lock(outage).AcquireLeaseAsync(app, TimeSpan.Zero, progress, CancellationToken.None).Within();
        outage.Down = true;
        await second.DisposeAsync().Within();
        Assert.Contains(progress.Reports, r => r.Activity == $"Holding app {app.Id}" && r.Detail() == $"could not release the lease; it expires at {Time.GetUtcNow().AddSeconds(60):u}");
        Assert.Equal(second.HolderIdentity, (await ReadLeaseAsync(app).Within()).Spec.HolderIdentity);
    }

    /// <summary>
    /// A holder that cannot renew for the Lease's whole duration must assume another caller has taken the app (the caller
    /// would, after watching it unrenewed that long): it stops its work, says the lease expired, and on dispose leaves
    /// the Lease alone rather than clear a holder that may now be someone else.
    /// </summary>
    [Fact]
    public async Task A_holder_that_cannot_renew_for_the_whole_duration_loses_the_app_and_is_told_that_the_lease_expired()
    {
        var app = await DeployedAppAsync().Within();
        var outage = new Outage();
        var progress = new RecordedProgress();
        var held = await Lock(outage).AcquireLeaseAsync(app, TimeSpan.Zero, progress, CancellationToken.None).Within();
        var work = AppLockHold.RunAsync(app, held.Lost, TimeSpan.FromSeconds(60), async token => { await Task.Delay(Timeout.Infinite, token); return true; }, CancellationToken.None);

        // Each tick's failure is awaited before the next tick, which tries again (the report comes once it can).
        outage.Down = true;
        Time.Advance(TimeSpan.FromSeconds(20));
        await progress.WhenAsync(() => Failures(progress) == 1).Within();
        Time.Advance(TimeSpan.FromSeconds(20));
        await progress.WhenAsync(() => Failures(progress) == 2).Within();
        Assert.False(held.Lost.IsCancellationRequested);
        Assert.False(work.IsCompleted);

        Time.Advance(TimeSpan.FromSeconds(20));
        await held.Lost.WhenCancelled();
        Assert.Equal(3, Failures(progress)); // the third failure is reported before the loss it causes
        var warning = Assert.Single(progress.Reports, r => r.Kind == ProgressKind.Warning);
        Assert.Contains("lost the lease of the app: the lease expired before it could be renewed; stopping", warning.Status);
        Assert.Equal((app.Id, string.Empty), (warning.Warning!.File, warning.Warning.Key));
        var stopped = await Assert.ThrowsAsync<KompoxException>(() => work.Within());
        Assert.Equal("AppLeaseLost", stopped.ErrorId);

        // Lost: no renewal is sent any more, and dispose does not write.
        outage.Down = false;
        Assert.False(await held.RenewAsync().Within());
        await held.DisposeAsync().Within();
        Assert.Equal(held.HolderIdentity, (await ReadLeaseAsync(app).Within()).Spec.HolderIdentity);
        Assert.Equal(3, outage.Failed);
        Assert.DoesNotContain(progress.Reports, r => r.Detail()?.StartsWith("renewed lease", StringComparison.Ordinal) == true);
    }

    /// <summary>The API server out of reach while the Lease is taken: the error says what was being done, with which Lease.</summary>
    [Fact]
    public async Task Taking_the_lease_while_the_API_server_is_away_fails_naming_the_lease_and_the_app()
    {
        var app = await DeployedAppAsync().Within();
        var outage = new Outage { Down = true };

        var error = await Assert.ThrowsAsync<KompoxException>(() => Lock(outage).AcquireLeaseAsync(app, TimeSpan.Zero, null, CancellationToken.None).Within());

        Assert.Equal(("ConnectionFailed", ErrorKind.Unavailable), (error.ErrorId, error.Kind));
        Assert.StartsWith($"taking the lease {KubeNames.Namespace(app)}/{LeaseAppLock.LeaseName} of app {app.Id}: cannot connect", error.Message, StringComparison.Ordinal);
    }

    /// <summary>Someone else's write that leaves the holder as it was (an admin labelling the Lease) makes the renewal's
    /// PUT stale (409); the holder reads the Lease again, finds itself still holding it, and renews on the new version.</summary>
    [Fact]
    public async Task A_renewal_that_meets_another_write_of_its_own_lease_renews_on_the_new_version()
    {
        var app = await DeployedAppAsync().Within();
        var progress = new RecordedProgress();
        await using var held = await Lock().AcquireLeaseAsync(app, TimeSpan.Zero, progress, CancellationToken.None).Within();

        var lease = await ReadLeaseAsync(app).Within();
        lease.Metadata.Labels = new Dictionary<string, string> { ["team"] = "ops" };
        await LeaseWrites.ReplaceAsync(admin, lease, CancellationToken.None).Within();
        Time.Advance(TimeSpan.FromSeconds(20));

        var until = Time.GetUtcNow().AddSeconds(60);
        await progress.WhenReportedAsync(r => r.Detail()?.EndsWith($"until {until:u}", StringComparison.Ordinal) == true).Within();
        var renewed = await ReadLeaseAsync(app).Within();
        Assert.Equal(until, LeaseAppLock.ExpiresAt(renewed));
        Assert.Equal("ops", renewed.Metadata.Labels["team"]);
        Assert.Equal(held.HolderIdentity, renewed.Spec.HolderIdentity);
        Assert.False(held.Lost.IsCancellationRequested);
    }

    /// <summary>Once released, a late tick of the renewal timer writes nothing: the Lease stays free for the next caller.</summary>
    [Fact]
    public async Task A_released_lease_is_not_renewed_again()
    {
        var app = await DeployedAppAsync().Within();
        var held = await Lock().AcquireLeaseAsync(app, TimeSpan.Zero, null, CancellationToken.None).Within();
        await held.DisposeAsync().Within();
        var version = (await ReadLeaseAsync(app).Within()).Metadata.ResourceVersion;

        Assert.False(await held.RenewAsync().Within());
        var lease = await ReadLeaseAsync(app).Within();
        Assert.Null(lease.Spec.HolderIdentity);
        Assert.Equal(version, lease.Metadata.ResourceVersion);
    }

    /// <summary>
    /// Two callers read "no Lease" and both create it: kube-apiserver's registry gives the second 409 AlreadyExists
    /// (staging/src/k8s.io/apiserver/pkg/registry/generic/registry/store.go, Create). The loser finds the namespace there,
    /// so it applies none, reads the Lease again and is told who won.
    /// </summary>
    [Fact]
    public async Task A_caller_that_loses_the_race_to_create_the_lease_is_told_who_won_and_leaves_the_namespace_alone()
    {
        var app = await DeployedAppAsync().Within();
        AppLease? won = null;
        harness.Server.LoseRace("create", "leases", LeaseAppLock.LeaseName, async _ => won = await Lock().AcquireLeaseAsync(app, TimeSpan.Zero, null, CancellationToken.None).Within());
        harness.Server.ClearRequests();

        var error = await Assert.ThrowsAsync<KompoxException>(() => Lock().AcquireLeaseAsync(app, TimeSpan.Zero, null, CancellationToken.None).Within());

        await using var winner = won!;
        Assert.Equal("AppLocked", error.ErrorId);
        Assert.Contains($"{winner.HolderIdentity} holds it", error.Message);
        Assert.Equal([201, 409], harness.Server.Requests.Where(r => r.Verb == "create").Select(r => r.StatusCode));
        Assert.Single(harness.Server.Requests, r => r.Verb == "get" && r.Path == $"/api/v1/namespaces/{KubeNames.Namespace(app)}");
        Assert.DoesNotContain(harness.Server.Requests, r => r.Verb == "patch");
        Assert.Equal(winner.HolderIdentity, (await ReadLeaseAsync(app).Within()).Spec.HolderIdentity);
    }

    /// <summary>
    /// A never-deployed app: the Lease cannot be created (404, no namespace), and by the time the caller looks, a deploy
    /// has made the namespace. The caller applies none (the deploy's is the app's) and takes the Lease in it.
    /// </summary>
    [Fact]
    public async Task A_namespace_made_by_someone_else_after_the_lease_could_not_be_created_is_used_as_it_is()
    {
        var app = App();
        var ns = KubeNames.Namespace(app);
        harness.Server.LoseRace("get", "namespaces", ns, _ => harness.CreateNamespaceAsync(admin, ns));
        harness.Server.ClearRequests();

        await using var held = await Lock().AcquireLeaseAsync(app, TimeSpan.Zero, null, CancellationToken.None).Within();

        Assert.Equal([404, 201], harness.Server.Requests.Where(r => r.Verb == "create" && r.Path.EndsWith("/leases", StringComparison.Ordinal)).Select(r => r.StatusCode));
        Assert.DoesNotContain(harness.Server.Requests, r => r.Verb == "patch");
        Assert.Equal(held.HolderIdentity, (await ReadLeaseAsync(app).Within()).Spec.HolderIdentity);
    }

    /// <summary>
    /// Two waiters see a dead holder's Lease expire and both take it over: the second PUT carries the resourceVersion
    /// both read, and kube-apiserver's registry answers it 409 Conflict (store.go, Update: OptimisticLockErrorMsg). The
    /// loser reads again, sees a new holder it has just started watching, and is told who won.
    /// </summary>
    [Fact]
    public async Task A_caller_that_loses_the_race_to_take_over_an_expired_lease_is_told_who_won()
    {
        var app = await DeployedAppAsync().Within();
        await CreateLeaseAsync(app, "laptop/4242/deadbeef", Time.GetUtcNow().UtcDateTime, transitions: 0).Within();
        var appLock = Lock();
        await Assert.ThrowsAsync<KompoxException>(() => appLock.AcquireLeaseAsync(app, TimeSpan.Zero, null, CancellationToken.None).Within());
        Time.Advance(TimeSpan.FromSeconds(60));
        harness.Server.LoseRace("update", "leases", LeaseAppLock.LeaseName, _ => TakeLeaseAsync(app, "rest-service/7/winner"));
        harness.Server.ClearRequests();

        var error = await Assert.ThrowsAsync<KompoxException>(() => appLock.AcquireLeaseAsync(app, TimeSpan.Zero, null, CancellationToken.None).Within());

        Assert.Equal("AppLocked", error.ErrorId);
        Assert.Contains("rest-service/7/winner holds it", error.Message);
        Assert.Contains($"expires at {Time.GetUtcNow().AddSeconds(60):u} unless renewed", error.Message);
        Assert.Equal([200, 409], harness.Server.Requests.Where(r => r.Verb == "update").Select(r => r.StatusCode));
        Assert.Equal("rest-service/7/winner", (await ReadLeaseAsync(app).Within()).Spec.HolderIdentity);
    }

    /// <summary>
    /// A free Lease that someone else takes and releases before each of this caller's writes: the caller tries again at
    /// once three times, and after the fourth lost race it stops (no timeout) or waits a poll interval on the clock.
    /// </summary>
    [Fact]
    public async Task A_lease_that_changes_under_every_attempt_is_tried_four_times_at_once_and_then_waited_for()
    {
        var app = await DeployedAppAsync().Within();
        await (await Lock().AcquireLeaseAsync(app, TimeSpan.Zero, null, CancellationToken.None).Within()).DisposeAsync().Within();
        var rounds = 0;
        var afterRaces = DateTimeOffset.MinValue;
        async Task Race(CancellationToken token)
        {
            if (++rounds > 4)
            {
                afterRaces = Time.GetUtcNow();
                return;
            }

            // Armed again once its own writes are done, so that they do not race themselves.
            await TakeLeaseAsync(app, $"other/1/round{rounds}", release: true).Within();
            harness.Server.LoseRace("update", "leases", LeaseAppLock.LeaseName, Race);
        }

        harness.Server.LoseRace("update", "leases", LeaseAppLock.LeaseName, Race);
        harness.Server.ClearRequests();
        var error = await Assert.ThrowsAsync<KompoxException>(() => Lock().AcquireLeaseAsync(app, TimeSpan.Zero, null, CancellationToken.None).Within());

        Assert.Equal(("AppLocked", ErrorKind.Conflict, Remedy.WaitForApp), (error.ErrorId, error.Kind, error.Remedy));
        Assert.Equal($"app {app.Id} is busy: its lease {KubeNames.Namespace(app)}/{LeaseAppLock.LeaseName} changed under every attempt to take it", error.Message);
        Assert.Equal(4, harness.Server.Requests.Count(r => r.Verb == "update" && r.StatusCode == 409));

        // With time to wait: after the fourth lost race, the next attempt comes a poll interval later on the clock. The
        // clock moves only when the lock waits on it (SteppedClock), so an attempt made at once is seen as one.
        rounds = 0;
        var stepped = new SteppedClock(Time);
        var started = Time.GetUtcNow();
        var taking = Lock(stepped).AcquireLeaseAsync(app, TimeSpan.FromSeconds(30), null, CancellationToken.None);
        await stepped.StepUntilAsync(taking, TimeSpan.FromSeconds(30)).Within();
        await using var held = await taking.Within();

        Assert.Equal(held.HolderIdentity, (await ReadLeaseAsync(app).Within()).Spec.HolderIdentity);
        Assert.Equal(5, rounds);
        Assert.Equal(TimeSpan.FromSeconds(2), afterRaces - started);
    }

    private static int Failures(RecordedProgress progress) =>
        progress.Reports.Count(r => r.Detail()?.StartsWith("renewal failed, trying again: ", StringComparison.Ordinal) == true);

    /// <summary>The API server out of reach: while <see cref="Down"/>, every request fails as SocketsHttpHandler fails a refused connection.</summary>
    private sealed class Outage : DelegatingHandler
    {
        private int failed;

        public volatile bool Down;

        public int Failed => Volatile.Read(ref failed);

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            if (Down)
            {
                Interlocked.Increment(ref failed);
                throw new HttpRequestException(HttpRequestError.ConnectionError, $"Connection refused ({request.RequestUri?.Authority})", new System.Net.Sockets.SocketException((int)System.Net.Sockets.SocketError.ConnectionRefused));
            }

            return base.SendAsync(request, cancellationToken);
        }
    }

    /// <summary>Another holder's writes: it takes the Lease (and releases it again), as a second LeaseAppLock would.</summary>
    private async Task TakeLeaseAsync(KompoxApp app, string holder, bool release = false)
    {
        var lease = await ReadLeaseAsync(app).Within();
        lease.Spec.HolderIdentity = holder;
        lease.Spec.AcquireTime = lease.Spec.RenewTime = Time.GetUtcNow().UtcDateTime;
        lease = await LeaseWrites.ReplaceAsync(admin, lease, CancellationToken.None).Within();
        if (release)
        {
            lease.Spec.HolderIdentity = null;
            lease.Spec.AcquireTime = lease.Spec.RenewTime = null;
            await LeaseWrites.ReplaceAsync(admin, lease, CancellationToken.None).Within();
        }
    }

    private LeaseAppLock Lock(Outage outage) =>
        new(_ => new Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigFile(harness.Kubeconfig), outage), Time);

    private async Task<V1Lease> CreateLeaseAsync(KompoxApp app, string holder, DateTime renewed, int transitions) =>
        await LeaseWrites.CreateAsync(
            admin,
            new V1Lease
            {
                ApiVersion = "coordination.k8s.io/v1",
                Kind = "Lease",
                Metadata = new V1ObjectMeta { Name = LeaseAppLock.LeaseName },
                Spec = new V1LeaseSpec { HolderIdentity = holder, LeaseDurationSeconds = 60, AcquireTime = renewed, RenewTime = renewed, LeaseTransitions = transitions },
            },
            KubeNames.Namespace(app),
            CancellationToken.None).Within();

    /// <summary>The Lease lock of one context, on the test's clock or on <paramref name="time"/> (a SteppedClock over it).</summary>
    private LeaseAppLock Lock(TimeProvider? time = null)
    {
        var clients = new KubeconfigClientFactory();
        return new(cluster => clients.Create(cluster), time ?? Time);
    }

    private KompoxApp App() => fixture.App(kubeconfig: harness.Kubeconfig);

    private async Task<KompoxApp> DeployedAppAsync()
    {
        var app = App();
        await harness.CreateNamespaceAsync(admin, KubeNames.Namespace(app)).Within();
        return app;
    }

    private Task<V1Lease> ReadLeaseAsync(KompoxApp app) =>
        admin.CoordinationV1.ReadNamespacedLeaseAsync(LeaseAppLock.LeaseName, KubeNames.Namespace(app));
}
