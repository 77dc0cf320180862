using Kompox.Drivers;
using Kompox.Kube;
using Kompox.Model;
using Kompox.Operations;

namespace Kompox.Tests.Operations;

/// <summary>
/// The project's bound directories on the app's disk (issue 14 item 8), through deploy and SeedBindsAsync against the
/// Kubernetes API test server with real files under the k3s data root: Docker shows the project's files at a relative
/// bind (compose-spec 05-services.md, volumes: "bind" mounts a host path), so the first deploy of a disk copies them
/// there, and never again over what the app wrote.
/// </summary>
public sealed partial class AppDeploymentTests
{
    private const string NginxWithBind = """
        services:
          web:
            image: nginx:1.27
            ports: ["8080:80"]
            volumes: ["./html:/usr/share/nginx/html"]
        """;

    [Fact]
    public async Task The_first_deploy_copies_a_bound_directory_onto_the_new_disk_before_the_app_starts_and_a_later_one_never_again()
    {
        var app = BindApp();
        File.WriteAllText(Path.Combine(ProjectDir, "html", "index.html"), "<h1>hello</h1>");
        File.WriteAllText(Path.Combine(ProjectDir, "html", "about.html"), "about");
        var progress = new RecordedProgress();

        var first = await Operations().DeployAsync(app.Id, new DeployOptions(), progress, CancellationToken.None).Within();

        var bind = Path.Combine(dataRoot, "disks", first.CurrentDiskId!, "binds", "html");
        Assert.Equal("<h1>hello</h1>", File.ReadAllText(Path.Combine(bind, "index.html")));
        Assert.Equal("about", File.ReadAllText(Path.Combine(bind, "about.html")));
        var steps = progress.Reports.Select(r => r.Status).ToList();
        Assert.True(
            steps.FindIndex(s => s.StartsWith("copying the bound directories ./html onto disk ", StringComparison.Ordinal)) is var copied and >= 0
            && copied < steps.FindIndex(s => s.StartsWith("applying Deployment ", StringComparison.Ordinal)),
            string.Join('\n', steps));

        // The app changes its files; the project gains one. A deploy on the seeded disk copies nothing.
        File.WriteAllText(Path.Combine(bind, "index.html"), "changed by the app");
        File.Delete(Path.Combine(bind, "about.html"));
        File.WriteAllText(Path.Combine(ProjectDir, "html", "added.html"), "added");
        await Operations().DeployAsync(app.Id, new DeployOptions(), null, CancellationToken.None).Within();

        Assert.Equal("changed by the app", File.ReadAllText(Path.Combine(bind, "index.html")));
        Assert.False(File.Exists(Path.Combine(bind, "about.html")));
        Assert.False(File.Exists(Path.Combine(bind, "added.html")));
    }

    [Fact]
    public async Task A_disk_restored_from_a_snapshot_is_the_apps_own_state_and_its_first_deploy_copies_nothing_back()
    {
        var app = BindApp();
        File.WriteAllText(Path.Combine(ProjectDir, "html", "about.html"), "about");
        var first = await Operations().DeployAsync(app.Id, new DeployOptions(), null, CancellationToken.None).Within();
        File.Delete(Path.Combine(dataRoot, "disks", first.CurrentDiskId!, "binds", "html", "about.html"));
        var snapshots = new SnapshotOperations(context!);
        var snapshot = await snapshots.CreateAsync(app.Id, new SnapshotOptions(), null, CancellationToken.None).Within();

        var restored = await snapshots.RestoreAndSwitchAsync(app.Id, snapshot.Id, null, null, CancellationToken.None).Within();
        var status = await Operations().DeployAsync(app.Id, new DeployOptions(), null, CancellationToken.None).Within();

        Assert.True(restored.Disk.Seeded);
        Assert.Equal(restored.Disk.Id, status.CurrentDiskId);
        Assert.NotEqual(first.CurrentDiskId, status.CurrentDiskId);
        Assert.False(File.Exists(Path.Combine(dataRoot, "disks", status.CurrentDiskId!, "binds", "html", "about.html")));
    }

    // An imported archive holds the app's data as a restored snapshot does: a bound file deleted in it stays deleted.
    [Fact]
    public async Task A_disk_imported_from_an_archive_is_the_apps_data_and_its_first_deploy_copies_nothing_back()
    {
        var app = BindApp();
        File.WriteAllText(Path.Combine(ProjectDir, "html", "about.html"), "about");
        var first = await Operations().DeployAsync(app.Id, new DeployOptions(), null, CancellationToken.None).Within();
        File.Delete(Path.Combine(dataRoot, "disks", first.CurrentDiskId!, "binds", "html", "about.html"));
        var archive = Path.Combine(dataRoot, "web.tar.gz");
        await Disks().ExportAsync(app.Id, null, new ExportOptions { Path = archive }, null, CancellationToken.None).Within();

        var imported = await Disks().ImportAsync(app.Id, new ImportOptions { Path = archive }, null, CancellationToken.None).Within();
        var status = (await Disks().SwitchAsync(app.Id, imported.Id, null, null, CancellationToken.None).Within()).Status!;

        Assert.True(imported.Seeded);
        Assert.True((await new K3sRuntime(dataRoot, time).GetDiskAsync(app, imported.Id, CancellationToken.None).Within()).Seeded);
        Assert.Equal(imported.Id, status.CurrentDiskId);
        Assert.False(File.Exists(Path.Combine(dataRoot, "disks", imported.Id, "binds", "html", "about.html")));
    }

    [Fact]
    public async Task SeedBinds_copies_what_the_disk_lacks_onto_the_current_disk_and_keeps_the_apps_files()
    {
        var app = BindApp();
        File.WriteAllText(Path.Combine(ProjectDir, "html", "index.html"), "<h1>hello</h1>");
        var status = await Operations().DeployAsync(app.Id, new DeployOptions(), null, CancellationToken.None).Within();
        var bind = Path.Combine(dataRoot, "disks", status.CurrentDiskId!, "binds", "html");
        File.WriteAllText(Path.Combine(bind, "index.html"), "changed by the app");
        File.WriteAllText(Path.Combine(ProjectDir, "html", "added.html"), "added");

        var planned = await Operations().SeedBindsAsync(app.Id, new SeedBindsOptions { DryRun = true }, null, CancellationToken.None).Within();
        Assert.False(File.Exists(Path.Combine(bind, "added.html")));
        var done = await Operations().SeedBindsAsync(app.Id, new SeedBindsOptions(), null, CancellationToken.None).Within();

        Assert.Equal("changed by the app", File.ReadAllText(Path.Combine(bind, "index.html")));
        Assert.Equal("added", File.ReadAllText(Path.Combine(bind, "added.html")));
        Assert.Equal((status.CurrentDiskId, true, false), (planned.DiskId, planned.DryRun, done.DryRun));
        Assert.Equal(["added.html"], done.Binds.Single().Copied);
        Assert.Equal(["index.html"], done.Binds.Single().Skipped);
        Assert.Equal(planned.Binds.Single().Copied, done.Binds.Single().Copied);
    }

    [Fact]
    public async Task SeedBinds_holds_the_apps_lease_and_a_dry_run_does_not()
    {
        var app = BindApp();
        var status = await Operations().DeployAsync(app.Id, new DeployOptions(), null, CancellationToken.None).Within();
        await using var other = await TestLocks.Lease(time).AcquireLeaseAsync(app, TimeSpan.Zero, null, CancellationToken.None).Within();
        File.WriteAllText(Path.Combine(ProjectDir, "html", "added.html"), "added");

        var planned = await Operations().SeedBindsAsync(app.Id, new SeedBindsOptions { DryRun = true }, null, CancellationToken.None).Within();
        var error = await Assert.ThrowsAsync<KompoxException>(() => Operations().SeedBindsAsync(app.Id, new SeedBindsOptions(), null, CancellationToken.None).Within());

        Assert.Equal(["added.html"], planned.Binds.Single().Copied);
        Assert.Equal(("AppLocked", ErrorKind.Conflict), (error.ErrorId, error.Kind));
        Assert.False(File.Exists(Path.Combine(dataRoot, "disks", status.CurrentDiskId!, "binds", "html", "added.html")));
    }

    [Fact]
    public async Task SeedBinds_of_an_app_never_deployed_says_to_deploy_first()
    {
        var app = BindApp();

        var error = await Assert.ThrowsAsync<KompoxException>(() => Operations().SeedBindsAsync(app.Id, new SeedBindsOptions(), null, CancellationToken.None).Within());

        Assert.Equal(("NoCurrentDisk", Remedy.DeployFirst), (error.ErrorId, error.Remedy));
    }

    // A driver whose disks cannot be written from here (aks: a managed disk is reached only by attaching it to a node)
    // leaves the directory empty: the deploy says so and goes on, and the disk is not marked seeded.
    [Fact]
    public async Task A_driver_that_cannot_seed_warns_that_the_directories_start_empty_and_the_deploy_goes_on()
    {
        var app = BindApp();
        File.WriteAllText(Path.Combine(ProjectDir, "html", "index.html"), "<h1>hello</h1>");
        var progress = new RecordedProgress();
        await using var unseeding = new KompoxContext(new KubeconfigClientFactory(), new NoSeedDrivers(new DriverFactory(time)), store, time) { AppLockTimeout = TimeSpan.Zero, Machine = MachineIdentity.Current };

        var status = await new AppOperations(unseeding).DeployAsync(app.Id, new DeployOptions(), progress, CancellationToken.None).Within();

        Assert.True(status.Ready);
        Assert.Contains(progress.Reports, r => r.Kind == ProgressKind.Warning && r.Status.Contains("cannot copy the project's bound directories (./html)", StringComparison.Ordinal));
        Assert.False(File.Exists(Path.Combine(dataRoot, "disks", status.CurrentDiskId!, "binds", "html", "index.html")));
        Assert.False((await new K3sRuntime(dataRoot, time).GetDiskAsync(app, status.CurrentDiskId!, CancellationToken.None).Within()).Seeded);
    }

    private string ProjectDir => Path.Combine(dataRoot, "project");

    /// <summary>An nginx app whose compose file is in <see cref="ProjectDir"/>, with ./html bound to its html directory.</summary>
    private KompoxApp BindApp()
    {
        Directory.CreateDirectory(Path.Combine(ProjectDir, "html"));
        var composePath = Path.Combine(ProjectDir, "compose.yml");
        File.WriteAllText(composePath, NginxWithBind);
        return App(compose: NginxWithBind, composePath: composePath);
    }

    /// <summary>The k3s drivers, with a runtime that has no way to seed (IDriverRuntime's own SeedAsync).</summary>
    private sealed class NoSeedDrivers(DriverFactory inner) : IDriverFactory
    {
        public IProviderDriver Driver(string name) => inner.Driver(name);

        public IDriverRuntime Runtime(KompoxCluster cluster) => new NoSeed(inner.Runtime(cluster));
    }

    private sealed class NoSeed(IDriverRuntime inner) : IDriverRuntime
    {
        public Task<IReadOnlyList<DiskInfo>> ListDisksAsync(KompoxApp app, CancellationToken cancellationToken) => inner.ListDisksAsync(app, cancellationToken);

        public Task<DiskInfo> GetDiskAsync(KompoxApp app, string diskId, CancellationToken cancellationToken) => inner.GetDiskAsync(app, diskId, cancellationToken);

        public Task<DiskInfo> CreateDiskAsync(KompoxApp app, IProgress<OperationProgress> progress, CancellationToken cancellationToken) => inner.CreateDiskAsync(app, progress, cancellationToken);

        public Task DeleteDiskAsync(KompoxApp app, string diskId, CancellationToken cancellationToken) => inner.DeleteDiskAsync(app, diskId, cancellationToken);

        public Task MarkCurrentAsync(KompoxApp app, string diskId, CancellationToken cancellationToken) => inner.MarkCurrentAsync(app, diskId, cancellationToken);

        public Task MarkSeededAsync(KompoxApp app, string diskId, CancellationToken cancellationToken) => inner.MarkSeededAsync(app, diskId, cancellationToken);

        public Task AssignToAppAsync(KompoxApp app, KompoxApp destination, IProgress<OperationProgress> progress, CancellationToken cancellationToken) => inner.AssignToAppAsync(app, destination, progress, cancellationToken);

        public Task<IReadOnlyList<SnapshotInfo>> ListSnapshotsAsync(KompoxApp app, CancellationToken cancellationToken) => inner.ListSnapshotsAsync(app, cancellationToken);

        public Task<SnapshotInfo> CreateSnapshotAsync(KompoxApp app, string diskId, IProgress<OperationProgress> progress, CancellationToken cancellationToken) => inner.CreateSnapshotAsync(app, diskId, progress, cancellationToken);

        public Task DeleteSnapshotAsync(KompoxApp app, string snapshotId, CancellationToken cancellationToken) => inner.DeleteSnapshotAsync(app, snapshotId, cancellationToken);

        public Task<SnapshotInfo> SetSnapshotPinnedAsync(KompoxApp app, string snapshotId, bool pinned, CancellationToken cancellationToken) => inner.SetSnapshotPinnedAsync(app, snapshotId, pinned, cancellationToken);

        public Task<DiskInfo> RestoreSnapshotAsync(KompoxApp app, string snapshotId, IProgress<OperationProgress> progress, CancellationToken cancellationToken) => inner.RestoreSnapshotAsync(app, snapshotId, progress, cancellationToken);

        public Task ExportDiskAsync(KompoxApp app, string diskId, Stream destination, IProgress<OperationProgress> progress, CancellationToken cancellationToken) => inner.ExportDiskAsync(app, diskId, destination, progress, cancellationToken);

        public Task ExportSnapshotAsync(KompoxApp app, string snapshotId, Stream destination, IProgress<OperationProgress> progress, CancellationToken cancellationToken) => inner.ExportSnapshotAsync(app, snapshotId, destination, progress, cancellationToken);

        public Task<DiskInfo> ImportDiskAsync(KompoxApp app, Stream source, IProgress<OperationProgress> progress, CancellationToken cancellationToken) => inner.ImportDiskAsync(app, source, progress, cancellationToken);
    }
}
