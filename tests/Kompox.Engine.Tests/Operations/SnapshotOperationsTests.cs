using k8s;
using Kompox.Conversion;
using Kompox.Drivers;
using Kompox.Model;
using Kompox.Operations;
using Kompox.Tests.KubeApi;
using Microsoft.Extensions.Time.Testing;

namespace Kompox.Tests.Operations;

/// <summary>
/// Snapshots and the disk copies (issue 14) through a context as the product makes it (the app's Lease, the real k3s
/// runtime under a temporary data root) against the Kubernetes API test server, whose Deployment controller removes a
/// Pod when its Deployment is scaled to 0 and makes one when scaled back (kubernetes pkg/controller/deployment,
/// replicaset: manageReplicas).
/// </summary>
public sealed class SnapshotOperationsTests : IAsyncLifetime
{
    private readonly SteppedClock time = new(new FakeTimeProvider(new DateTimeOffset(2025, 8, 11, 12, 34, 56, TimeSpan.Zero)));
    private readonly string dataRoot = Directory.CreateTempSubdirectory("kompox-snap-").FullName;
    private readonly string files = Directory.CreateTempSubdirectory("kompox-snap-files-").FullName;
    private readonly ConfigFileStore store = new();
    private KubeApiHarness harness = null!;
    private ObservedDrivers drivers = null!;
    private KompoxContext context = null!;

    public async Task InitializeAsync()
    {
        harness = await KubeApiHarness.StartAsync().Within();
        await harness.InstallIngressAsync().Within();
        drivers = new ObservedDrivers(new DriverFactory(time));
        context = new KompoxContext(new KubeconfigClientFactory(), drivers, store, time) { AppLockTimeout = TimeSpan.Zero };
    }

    public async Task DisposeAsync()
    {
        await context.DisposeAsync().Within();
        await harness.DisposeAsync().Within();
        Directory.Delete(dataRoot, recursive: true);
        Directory.Delete(files, recursive: true);
    }

    private SnapshotOperations Snapshots => new(context);

    private DiskOperations Disks => new(context);

    [Fact]
    public async Task A_restored_snapshot_is_a_new_disk_with_the_files_of_the_moment_it_was_taken_and_the_current_disk_is_untouched()
    {
        var (app, current) = await DeployAsync().Within();
        await File.WriteAllTextAsync(Path.Combine(DiskDir(current), "index.html"), "before");
        var snapshot = await Snapshots.CreateAsync(app.Id, new SnapshotOptions(), null, CancellationToken.None).Within();
        await File.WriteAllTextAsync(Path.Combine(DiskDir(current), "index.html"), "after");
        time.Fake.Advance(TimeSpan.FromMinutes(1));
        var later = await Snapshots.CreateAsync(app.Id, new SnapshotOptions { DiskId = current }, null, CancellationToken.None).Within();

        var restored = await Snapshots.RestoreAsync(app.Id, snapshot.Id, null, CancellationToken.None).Within();

        Assert.Equal(current, snapshot.DiskId);
        Assert.NotEqual(current, restored.Id);
        Assert.Equal("before", await File.ReadAllTextAsync(Path.Combine(DiskDir(restored.Id), "index.html")));
        Assert.Equal("after", await File.ReadAllTextAsync(Path.Combine(DiskDir(current), "index.html")));
        Assert.Equal(new[] { later.Id, snapshot.Id }, (await Snapshots.ListAsync(app.Id, null, CancellationToken.None).Within()).Select(s => s.Id));
        var disks = await Disks.ListAsync(app.Id, null, CancellationToken.None).Within();
        Assert.Equal(current, Assert.Single(disks, d => d.IsCurrent).Id);
        Assert.Contains(disks, d => d.Id == restored.Id && !d.IsCurrent);
    }

    [Fact]
    public async Task A_snapshot_of_a_running_app_without_StopApp_warns_that_the_copy_may_not_be_consistent()
    {
        var (app, _) = await DeployAsync().Within();
        var progress = new RecordedProgress();

        await Snapshots.CreateAsync(app.Id, new SnapshotOptions(), progress, CancellationToken.None).Within();

        var warning = Assert.Single(progress.Reports, r => r.Kind == ProgressKind.Warning);
        Assert.Contains("may not be consistent", warning.Warning!.Message);
        Assert.DoesNotContain(harness.Server.Requests, r => r.Method == "PATCH" && r.Path.Contains("/deployments/") && r.Query.Contains(TakeSnapshot.FieldManager));
    }

    [Fact]
    public async Task With_StopApp_the_copy_is_made_with_no_Pod_and_the_app_is_Ready_again_after()
    {
        var (app, current) = await DeployAsync().Within();
        var podsDuringCopy = -1;
        drivers.Observed.BeforeSnapshot = async () => podsDuringCopy = await PodCountAsync(app).Within();
        var progress = new RecordedProgress();

        var snapshot = await Snapshots.CreateAsync(app.Id, new SnapshotOptions { StopApp = true }, progress, CancellationToken.None).Within();

        Assert.Equal(0, podsDuringCopy);
        Assert.Equal(current, snapshot.DiskId);
        Assert.DoesNotContain(progress.Reports, r => r.Kind == ProgressKind.Warning);
        await AssertRunningAgainAsync(app).Within();
    }

    [Fact]
    public async Task With_StopApp_a_failing_snapshot_still_starts_the_app_again_and_is_the_error_reported()
    {
        var (app, _) = await DeployAsync().Within();
        drivers.Observed.BeforeSnapshot = () => throw new KompoxException("IOFailed", ErrorKind.Unavailable, "the disk could not be read");

        var error = await Assert.ThrowsAsync<KompoxException>(() => Snapshots.CreateAsync(app.Id, new SnapshotOptions { StopApp = true }, null, CancellationToken.None).Within());

        Assert.Equal("IOFailed", error.ErrorId);
        await AssertRunningAgainAsync(app).Within();
        Assert.Empty(await Snapshots.ListAsync(app.Id, null, CancellationToken.None).Within());
    }

    [Fact]
    public async Task Snapshot_export_and_restore_hold_no_lock_while_StopApp_and_import_do()
    {
        var (app, current) = await DeployAsync().Within();
        var archive = Path.Combine(files, "disk.tar.gz");
        await using var other = await TestLocks.Lease(time).AcquireLeaseAsync(app, TimeSpan.Zero, null, CancellationToken.None).Within();

        var snapshot = await Snapshots.CreateAsync(app.Id, new SnapshotOptions { DiskId = current }, null, CancellationToken.None).Within();
        await Disks.ExportAsync(app.Id, current, new ExportOptions { Path = archive }, null, CancellationToken.None).Within();
        await Snapshots.RestoreAsync(app.Id, snapshot.Id, null, CancellationToken.None).Within();
        var stopping = await Assert.ThrowsAsync<KompoxException>(() => Snapshots.CreateAsync(app.Id, new SnapshotOptions { StopApp = true }, null, CancellationToken.None).Within());
        var importing = await Assert.ThrowsAsync<KompoxException>(() => Disks.ImportAsync(app.Id, new ImportOptions { Path = archive, LockWait = TimeSpan.Zero }, null, CancellationToken.None).Within());

        Assert.Equal(("AppLocked", "AppLocked"), (stopping.ErrorId, importing.ErrorId));
        Assert.Equal(2, (await Disks.ListAsync(app.Id, null, CancellationToken.None).Within()).Count);
    }

    [Fact]
    public async Task An_exported_disk_imports_as_a_new_disk_with_the_same_files()
    {
        var (app, current) = await DeployAsync().Within();
        Directory.CreateDirectory(Path.Combine(DiskDir(current), "sub"));
        await File.WriteAllTextAsync(Path.Combine(DiskDir(current), "sub", "a.txt"), "alpha");
        var archive = Path.Combine(files, "disk.tar.gz");

        var written = await Disks.ExportAsync(app.Id, null, new ExportOptions { Path = archive }, null, CancellationToken.None).Within();
        var imported = await Disks.ImportAsync(app.Id, new ImportOptions { Path = archive }, null, CancellationToken.None).Within();

        Assert.Equal(archive, written.FullName);
        Assert.NotEqual(current, imported.Id);
        Assert.Equal("alpha", await File.ReadAllTextAsync(Path.Combine(DiskDir(imported.Id), "sub", "a.txt")));
        Assert.Equal(new[] { "disk.tar.gz" }, Directory.GetFiles(files).Select(Path.GetFileName));
    }

    [Fact]
    public async Task An_export_refuses_an_existing_file_unless_told_to_overwrite_and_replaces_it_whole()
    {
        var (app, current) = await DeployAsync().Within();
        var archive = Path.Combine(files, "disk.tar.gz");
        await File.WriteAllTextAsync(archive, "keep me");

        var refused = await Assert.ThrowsAsync<KompoxException>(() => Disks.ExportAsync(app.Id, current, new ExportOptions { Path = archive }, null, CancellationToken.None).Within());
        Assert.Equal(("OutputFileExists", Remedy.Overwrite), (refused.ErrorId, refused.Remedy));
        Assert.Equal("keep me", await File.ReadAllTextAsync(archive));

        await Disks.ExportAsync(app.Id, current, new ExportOptions { Path = archive, Overwrite = true }, null, CancellationToken.None).Within();
        Assert.NotEqual("keep me", await File.ReadAllTextAsync(archive));
    }

    [Fact]
    public async Task A_failed_or_cancelled_export_leaves_no_file_behind_and_an_existing_one_as_it_was()
    {
        var (app, current) = await DeployAsync().Within();
        var archive = Path.Combine(files, "disk.tar.gz");
        drivers.Observed.AfterExportBytes = _ => throw new IOException("No space left on device");

        var failed = await Assert.ThrowsAsync<KompoxException>(() => Disks.ExportAsync(app.Id, current, new ExportOptions { Path = archive }, null, CancellationToken.None).Within());
        Assert.Empty(Directory.GetFileSystemEntries(files));

        await File.WriteAllTextAsync(archive, "keep me");
        using var stop = new CancellationTokenSource();
        drivers.Observed.AfterExportBytes = token =>
        {
            stop.Cancel();
            token.ThrowIfCancellationRequested();
        };
        var cancelledDisk = await Assert.ThrowsAsync<KompoxException>(() => Disks.ExportAsync(app.Id, current, new ExportOptions { Path = archive, Overwrite = true }, null, stop.Token).Within());

        Assert.Equal("IOFailed", failed.ErrorId);
        Assert.Equal("OperationCanceled", cancelledDisk.ErrorId);
        Assert.Equal(new[] { "disk.tar.gz" }, Directory.GetFiles(files).Select(Path.GetFileName));
        Assert.Equal("keep me", await File.ReadAllTextAsync(archive));
    }

    [Fact]
    public async Task A_broken_archive_is_refused_leaving_no_disk()
    {
        var (app, current) = await DeployAsync().Within();
        var archive = Path.Combine(files, "broken.tar.gz");
        await File.WriteAllBytesAsync(archive, "not a gzip stream at all"u8.ToArray());

        var error = await Assert.ThrowsAsync<KompoxException>(() => Disks.ImportAsync(app.Id, new ImportOptions { Path = archive }, null, CancellationToken.None).Within());

        Assert.Equal("InvalidArchive", error.ErrorId);
        Assert.Equal(new[] { current }, (await Disks.ListAsync(app.Id, null, CancellationToken.None).Within()).Select(d => d.Id));
        Assert.Equal(new[] { current, current + ".json" }, Directory.GetFileSystemEntries(Path.Combine(dataRoot, "disks")).Select(Path.GetFileName).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task The_current_disk_of_an_app_never_deployed_is_none_and_a_k3s_disk_cannot_be_adopted()
    {
        var app = App();

        var snapshot = await Assert.ThrowsAsync<KompoxException>(() => Snapshots.CreateAsync(app.Id, new SnapshotOptions(), null, CancellationToken.None).Within());
        var export = await Assert.ThrowsAsync<KompoxException>(() => Disks.ExportAsync(app.Id, null, new ExportOptions { Path = Path.Combine(files, "x.tar.gz") }, null, CancellationToken.None).Within());
        var adopt = await Assert.ThrowsAsync<KompoxException>(() => Disks.AdoptAsync(app.Id, "/subscriptions/s/resourceGroups/g/providers/Microsoft.Compute/disks/d", TimeSpan.Zero, null, CancellationToken.None).Within());

        Assert.Equal(("NoCurrentDisk", "NoCurrentDisk", "AdoptUnsupported"), (snapshot.ErrorId, export.ErrorId, adopt.ErrorId));
        Assert.Equal(Remedy.ChangeOption("DiskId"), snapshot.Remedy);
        Assert.Empty(Directory.GetFileSystemEntries(files));
    }

    private string DiskDir(string diskId) => Path.Combine(dataRoot, "disks", diskId);

    /// <summary>
    /// The snapshot policy run hourly for two days on the clock, as a timer runs it: a snapshot whenever the newest of the
    /// current disk is SNAPSHOT_INTERVAL old, the newest SNAPSHOT_KEEP kept, and a pinned one kept past its retention.
    /// </summary>
    [Fact]
    public async Task The_policy_run_every_hour_takes_a_snapshot_when_due_and_keeps_the_newest_and_the_pinned()
    {
        var (app, current) = await DeployAsync(new() { [SnapshotPolicy.IntervalSetting] = "6h", [SnapshotPolicy.KeepSetting] = "3" }).Within();
        string? pinned = null;
        var outcomes = new List<SnapshotPolicyOutcome>();
        for (var hour = 0; hour < 48; hour++)
        {
            var result = await Snapshots.ApplyPolicyAsync(app.Id, null, CancellationToken.None).Within();
            outcomes.Add(result.Outcome);
            Assert.Empty(result.Errors);
            if (result.Taken is { } taken)
            {
                Assert.Equal(current, taken.DiskId);
                if (pinned is null)
                {
                    pinned = (await Snapshots.SetPinnedAsync(app.Id, taken.Id, true, null, CancellationToken.None).Within()).Id;
                }
            }

            var listed = await Snapshots.ListAsync(app.Id, null, CancellationToken.None).Within();
            Assert.Equal(result.Kept.Select(k => k.Id).Order(), listed.Select(s => s.Id).Order());
            Assert.Contains(listed, s => s.Id == pinned && s.Pinned);
            Assert.InRange(listed.Count, 1, 4);
            time.Fake.Advance(TimeSpan.FromHours(1));
        }

        Assert.Equal(8, outcomes.Count(o => o == SnapshotPolicyOutcome.Taken));
        Assert.Equal(40, outcomes.Count(o => o == SnapshotPolicyOutcome.NotDue));
        var final = await Snapshots.ListAsync(app.Id, null, CancellationToken.None).Within();
        Assert.Equal(4, final.Count);
        Assert.Equal(pinned, final[^1].Id);
        Assert.All(final.Take(3), s => Assert.True(time.GetUtcNow() - s.CreatedAt <= TimeSpan.FromHours(18)));
    }

    [Fact]
    public async Task A_failed_snapshot_is_the_runs_failure_and_nothing_is_pruned_after_it()
    {
        var (app, _) = await DeployAsync(new() { [SnapshotPolicy.IntervalSetting] = "1h", [SnapshotPolicy.KeepSetting] = "1" }).Within();
        var first = await Snapshots.CreateAsync(app.Id, new SnapshotOptions(), null, CancellationToken.None).Within();
        time.Fake.Advance(TimeSpan.FromMinutes(30));
        var second = await Snapshots.CreateAsync(app.Id, new SnapshotOptions(), null, CancellationToken.None).Within();
        time.Fake.Advance(TimeSpan.FromHours(2));
        drivers.Observed.BeforeSnapshot = () => throw new KompoxException("IOFailed", ErrorKind.Unavailable, "the disk could not be read");

        var result = await Snapshots.ApplyPolicyAsync(app.Id, null, CancellationToken.None).Within();

        Assert.Equal(SnapshotPolicyOutcome.Failed, result.Outcome);
        Assert.Equal("IOFailed", Assert.Single(result.Errors).ErrorId);
        Assert.Contains("nothing was pruned", result.Message);
        Assert.Empty(result.Pruned);
        Assert.Equal(new[] { second.Id, first.Id }, (await Snapshots.ListAsync(app.Id, null, CancellationToken.None).Within()).Select(s => s.Id));

        drivers.Observed.BeforeSnapshot = null;
        var next = await Snapshots.ApplyPolicyAsync(app.Id, null, CancellationToken.None).Within();
        Assert.Equal(SnapshotPolicyOutcome.Taken, next.Outcome);
        Assert.Equal(new[] { second.Id, first.Id }, next.Pruned.Select(p => p.Id));
    }

    [Fact]
    public async Task An_app_without_a_policy_is_skipped_and_a_wrong_setting_is_InvalidSetting()
    {
        var settings = new Dictionary<string, string>();
        var (app, _) = await DeployAsync(settings).Within();
        var skipped = await Snapshots.ApplyPolicyAsync(app.Id, null, CancellationToken.None).Within();
        Assert.Equal(SnapshotPolicyOutcome.Skipped, skipped.Outcome);
        Assert.Contains("no snapshot policy", skipped.Message);
        Assert.Empty(await Snapshots.ListAsync(app.Id, null, CancellationToken.None).Within());

        settings[SnapshotPolicy.KeepSetting] = "none";
        var error = await Assert.ThrowsAsync<KompoxException>(() => Snapshots.ApplyPolicyAsync(app.Id, null, CancellationToken.None).Within());
        Assert.Equal(("InvalidSetting", $"app.settings.{SnapshotPolicy.KeepSetting}"), (error.ErrorId, error.Target));
    }

    [Fact]
    public async Task A_pin_is_kept_in_the_snapshots_tags_and_removed_by_unpinning()
    {
        var (app, _) = await DeployAsync().Within();
        var snapshot = await Snapshots.CreateAsync(app.Id, new SnapshotOptions(), null, CancellationToken.None).Within();
        Assert.False(snapshot.Pinned);

        Assert.True((await Snapshots.SetPinnedAsync(app.Id, snapshot.Id, true, null, CancellationToken.None).Within()).Pinned);
        Assert.True(Assert.Single(await Snapshots.ListAsync(app.Id, null, CancellationToken.None).Within()).Pinned);
        Assert.Contains($"\"{SnapshotInfo.PinnedTag}\": \"true\"", await File.ReadAllTextAsync(Path.Combine(dataRoot, "snapshots", snapshot.Id + ".json")));

        Assert.False((await Snapshots.SetPinnedAsync(app.Id, snapshot.Id, false, null, CancellationToken.None).Within()).Pinned);
        Assert.False(Assert.Single(await Snapshots.ListAsync(app.Id, null, CancellationToken.None).Within()).Pinned);
        var missing = await Assert.ThrowsAsync<KompoxException>(() => Snapshots.SetPinnedAsync(app.Id, "web-20250101000000-zzzzzz", true, null, CancellationToken.None).Within());
        Assert.Equal("SnapshotNotFound", missing.ErrorId);
    }

    private const string Hooked = """
        services:
          web:
            image: nginx:1.27
            ports: ["8080:80"]
            volumes: ["data:/usr/share/nginx/html"]
          db:
            image: postgres:16
            volumes: ["data:/var/lib/postgresql/data"]
            x-kompox-snapshot:
              pre:
                - psql -c "select pg_backup_start('kompox')"
                - [sync]
              post: ["psql -c 'select pg_backup_stop()'"]
              timeout: 10s
              on_error: ON_ERROR
        volumes:
          data: {}
        """;

    /// <summary>
    /// x-kompox-snapshot, as Velero's pre and post exec hooks: the pre commands run in order in the named service's
    /// container before the copy, the post commands after it; no "may not be consistent" warning, since the app was
    /// quiesced. The commands run over the API server's exec stream (pods/exec), which the test server speaks.
    /// </summary>
    [Fact]
    public async Task Snapshot_hooks_run_in_order_in_the_named_container_around_the_copy()
    {
        var (app, _) = await DeployAsync(compose: Hooked.Replace("ON_ERROR", "fail")).Within();
        var ran = new System.Collections.Concurrent.ConcurrentQueue<string>();
        Kompox.Testing.KubeApi.ExecHandler Record(int exitCode) => (process, _) =>
        {
            ran.Enqueue($"{process.Container}: {string.Join(' ', process.Command)}");
            return Task.FromResult(exitCode);
        };
        harness.Server.InstallProgram(KubeNames.Namespace(app), "db", "psql", Record(0));
        harness.Server.InstallProgram(KubeNames.Namespace(app), "db", "sync", Record(0));
        drivers.Observed.BeforeSnapshot = () => { ran.Enqueue("copy"); return Task.CompletedTask; };
        var progress = new RecordedProgress();

        var snapshot = await Snapshots.CreateAsync(app.Id, new SnapshotOptions(), progress, CancellationToken.None).Within();

        Assert.Equal(new[] { "db: psql -c select pg_backup_start('kompox')", "db: sync", "copy", "db: psql -c select pg_backup_stop()" }, ran);
        Assert.DoesNotContain(progress.Reports, r => r.Kind == ProgressKind.Warning);
        Assert.Single(await Snapshots.ListAsync(app.Id, null, CancellationToken.None).Within(), s => s.Id == snapshot.Id);
    }

    [Theory]
    [InlineData("fail")]
    [InlineData("continue")]
    public async Task A_failing_pre_hook_takes_no_snapshot_unless_on_error_continue_and_the_post_hook_runs_either_way(string onError)
    {
        var (app, _) = await DeployAsync(compose: Hooked.Replace("ON_ERROR", onError)).Within();
        var ran = new System.Collections.Concurrent.ConcurrentQueue<string>();
        harness.Server.InstallProgram(KubeNames.Namespace(app), "db", "psql", async (process, token) =>
        {
            ran.Enqueue(string.Join(' ', process.Command));
            if (process.Command.Any(c => c.Contains("pg_backup_start", StringComparison.Ordinal)))
            {
                await process.Stderr.WriteAsync("ERROR:  a backup is already in progress\n"u8.ToArray(), token).Within();
                return 1;
            }

            return 0;
        });
        harness.Server.InstallProgram(KubeNames.Namespace(app), "db", "sync", (_, _) => { ran.Enqueue("sync"); return Task.FromResult(0); });
        var progress = new RecordedProgress();

        var taking = Snapshots.CreateAsync(app.Id, new SnapshotOptions(), progress, CancellationToken.None).Within();

        if (onError == "fail")
        {
            var error = await Assert.ThrowsAsync<KompoxException>(() => taking).Within();
            Assert.Equal(("SnapshotHookFailed", ErrorKind.Conflict), (error.ErrorId, error.Kind));
            Assert.Contains("no snapshot was taken: pre hook 'psql -c select pg_backup_start('kompox')' in service db exited with code 1: ERROR:  a backup is already in progress", error.Message);
            Assert.Empty(await Snapshots.ListAsync(app.Id, null, CancellationToken.None).Within());
            Assert.Equal(new[] { "-c select pg_backup_start('kompox')", "-c select pg_backup_stop()" }, ran.Select(r => r[(r.IndexOf(' ') + 1)..]));
        }
        else
        {
            var snapshot = await taking.Within();
            Assert.Single(await Snapshots.ListAsync(app.Id, null, CancellationToken.None).Within());
            Assert.Equal(3, ran.Count);
            Assert.Contains(progress.Reports, r => r.Kind == ProgressKind.Warning && r.Warning!.Message.Contains("going on (on_error: continue)", StringComparison.Ordinal));
        }
    }

    [Fact]
    public async Task The_hooks_of_an_app_that_is_not_running_are_skipped_and_a_malformed_hook_is_an_error_of_the_compose_file()
    {
        var app = App(compose: Hooked.Replace("ON_ERROR", "fail"));
        await new DiskOperations(context).CreateAsync(app.Id, null, null, CancellationToken.None).Within();
        var disk = Assert.Single(await Disks.ListAsync(app.Id, null, CancellationToken.None).Within());

        var snapshot = await Snapshots.CreateAsync(app.Id, new SnapshotOptions { DiskId = disk.Id }, null, CancellationToken.None).Within();
        Assert.Equal(disk.Id, snapshot.DiskId);

        var bad = AppValidator.Validate(App(compose: Hooked.Replace("ON_ERROR", "sometimes")), new AppValidationOptions());
        Assert.Contains(bad.Errors, e => e.Key == "services.db.x-kompox-snapshot.on_error" && e.Message.Contains("'sometimes' is not fail or continue", StringComparison.Ordinal));
    }

    private async Task<(KompoxApp App, string Current)> DeployAsync(Dictionary<string, string>? settings = null, string compose = OperationFixture.Compose)
    {
        var app = App(settings, compose);
        var deploy = new AppOperations(context).DeployAsync(app.Id, new DeployOptions(), null, CancellationToken.None);
        var status = await deploy.Within();
        Assert.True(status.Ready);
        return (app, status.CurrentDiskId!);
    }

    private async Task<int> PodCountAsync(KompoxApp app)
    {
        using var client = harness.Client();
        return (await client.CoreV1.ListNamespacedPodAsync(KubeNames.Namespace(app)).Within()).Items.Count;
    }

    private async Task AssertRunningAgainAsync(KompoxApp app)
    {
        using var client = harness.Client();
        var deployment = Assert.Single((await client.AppsV1.ListNamespacedDeploymentAsync(KubeNames.Namespace(app)).Within()).Items);
        Assert.Equal(1, deployment.Spec.Replicas);
        var pod = Assert.Single((await client.CoreV1.ListNamespacedPodAsync(KubeNames.Namespace(app)).Within()).Items);
        Assert.Contains(pod.Status.Conditions, c => c.Type == "Ready" && c.Status == "True");
    }

    private KompoxApp App(Dictionary<string, string>? settings = null, string compose = OperationFixture.Compose)
    {
        var provider = new KompoxProvider { Name = "k3s1", Driver = "k3s", Settings = new Dictionary<string, string>(), Service = new KompoxService { Name = "ops" } };
        var cluster = new KompoxCluster
        {
            Name = "lab",
            Provider = provider,
            Auth = new ClusterAuth { Kubeconfig = harness.Kubeconfig },
            Ingress = new ClusterIngress { Namespace = "traefik" },
            Domain = "ops.example.com",
            Settings = new Dictionary<string, string> { ["K3S_DATA_ROOT"] = dataRoot },
        };
        var app = new KompoxApp
        {
            Name = "web",
            Cluster = cluster,
            Compose = compose,
            Ingress = new Dictionary<string, string>(),
            Resources = new Dictionary<string, string> { ["cpu"] = "1", ["memory"] = "1Gi" },
            Settings = settings ?? new Dictionary<string, string>(),
        };
        store.Add(app);
        return app;
    }

    /// <summary>The real drivers, with the runtime of every cluster wrapped so that a test can act at a moment of a copy.</summary>
    private sealed class ObservedDrivers(DriverFactory inner) : IDriverFactory
    {
        public ObservedRuntime Observed { get; } = new();

        public IProviderDriver Driver(string name) => inner.Driver(name);

        public IDriverRuntime Runtime(KompoxCluster cluster)
        {
            Observed.Inner ??= inner.Runtime(cluster);
            return Observed;
        }
    }

    private sealed class ObservedRuntime : IDriverRuntime
    {
        public IDriverRuntime Inner { get; set; } = null!;

        /// <summary>Runs when a snapshot is about to be copied; it may throw to make the snapshot fail.</summary>
        public Func<Task>? BeforeSnapshot { get; set; }

        /// <summary>Runs after an export has written its first bytes; it may throw to make the export fail part way.</summary>
        public Action<CancellationToken>? AfterExportBytes { get; set; }

        public Task<IReadOnlyList<DiskInfo>> ListDisksAsync(KompoxApp app, CancellationToken cancellationToken) => Inner.ListDisksAsync(app, cancellationToken);

        public Task<DiskInfo> GetDiskAsync(KompoxApp app, string diskId, CancellationToken cancellationToken) => Inner.GetDiskAsync(app, diskId, cancellationToken);

        public Task<DiskInfo> CreateDiskAsync(KompoxApp app, IProgress<OperationProgress> progress, CancellationToken cancellationToken) => Inner.CreateDiskAsync(app, progress, cancellationToken);

        public Task DeleteDiskAsync(KompoxApp app, string diskId, CancellationToken cancellationToken) => Inner.DeleteDiskAsync(app, diskId, cancellationToken);

        public Task<IReadOnlyList<SnapshotInfo>> ListSnapshotsAsync(KompoxApp app, CancellationToken cancellationToken) => Inner.ListSnapshotsAsync(app, cancellationToken);

        public async Task<SnapshotInfo> CreateSnapshotAsync(KompoxApp app, string diskId, IProgress<OperationProgress> progress, CancellationToken cancellationToken)
        {
            if (BeforeSnapshot is { } before)
            {
                await before().Within();
            }

            return await Inner.CreateSnapshotAsync(app, diskId, progress, cancellationToken).Within();
        }

        public Task DeleteSnapshotAsync(KompoxApp app, string snapshotId, CancellationToken cancellationToken) => Inner.DeleteSnapshotAsync(app, snapshotId, cancellationToken);

        public Task<DiskInfo> RestoreSnapshotAsync(KompoxApp app, string snapshotId, IProgress<OperationProgress> progress, CancellationToken cancellationToken) => Inner.RestoreSnapshotAsync(app, snapshotId, progress, cancellationToken);

        public async Task ExportDiskAsync(KompoxApp app, string diskId, Stream destination, IProgress<OperationProgress> progress, CancellationToken cancellationToken)
        {
            await Inner.ExportDiskAsync(app, diskId, destination, progress, cancellationToken).Within();
            await destination.FlushAsync(cancellationToken).Within();
            AfterExportBytes?.Invoke(cancellationToken);
        }

        public Task ExportSnapshotAsync(KompoxApp app, string snapshotId, Stream destination, IProgress<OperationProgress> progress, CancellationToken cancellationToken) => Inner.ExportSnapshotAsync(app, snapshotId, destination, progress, cancellationToken);

        public Task<DiskInfo> ImportDiskAsync(KompoxApp app, Stream source, IProgress<OperationProgress> progress, CancellationToken cancellationToken) => Inner.ImportDiskAsync(app, source, progress, cancellationToken);

        public Task MarkCurrentAsync(KompoxApp app, string diskId, CancellationToken cancellationToken) => Inner.MarkCurrentAsync(app, diskId, cancellationToken);

        public Task MarkSeededAsync(KompoxApp app, string diskId, CancellationToken cancellationToken) => Inner.MarkSeededAsync(app, diskId, cancellationToken);

        public Task<SnapshotInfo> SetSnapshotPinnedAsync(KompoxApp app, string snapshotId, bool pinned, CancellationToken cancellationToken) => Inner.SetSnapshotPinnedAsync(app, snapshotId, pinned, cancellationToken);

        public Task AssignToAppAsync(KompoxApp app, KompoxApp destination, IProgress<OperationProgress> progress, CancellationToken cancellationToken) => Inner.AssignToAppAsync(app, destination, progress, cancellationToken);
    }
}
