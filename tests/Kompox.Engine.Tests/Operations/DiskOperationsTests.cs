using k8s;
using Kompox.Conversion;
using Kompox.Operations;

namespace Kompox.Tests.Operations;

public sealed class DiskOperationsTests : IDisposable
{
    private readonly OperationFixture fixture = new();

    public void Dispose() => fixture.Dispose();

    [Fact]
    public async Task The_aks_runtime_needs_the_providers_subscription()
    {
        var error = await Assert.ThrowsAsync<KompoxException>(() => new DiskOperations(fixture.Context).ListAsync(fixture.App(driver: "aks").Id, null, CancellationToken.None)).Within();

        Assert.Equal("InvalidSetting", error.ErrorId);
        Assert.Equal("AZURE_SUBSCRIPTION_ID", error.Target);
    }

    // The activity names the operation, its app and what it acts on: every progress report of it says so.
    [Theory]
    [InlineData("move")]
    [InlineData("switch")]
    [InlineData("import")]
    [InlineData("adopt")]
    [InlineData("export")]
    [InlineData("export current")]
    public async Task Each_disk_operation_is_an_activity_named_by_what_it_does_to_which_app(string operation)
    {
        var app = fixture.App();
        var disks = new DiskOperations(fixture.Context);
        var progress = new RecordedProgress();
        // Files only under the test's own directory, and none there: nothing is read or written.
        var archive = Path.Combine(fixture.DataRoot, "none", "disk.tar.gz");
        const string resource = "/subscriptions/s/resourceGroups/g/providers/Microsoft.Compute/disks/d";
        var (run, activity) = operation switch
        {
            "move" => (disks.MoveAsync(app.Id, "ops/k3s1/lab2/web", new MoveOptions(), progress, CancellationToken.None), $"Moving app {app.Id} to ops/k3s1/lab2/web"),
            "switch" => ((Task)disks.SwitchAsync(app.Id, "d1", TimeSpan.Zero, progress, CancellationToken.None), $"Switching app {app.Id} to disk d1"),
            "import" => (disks.ImportAsync(app.Id, new ImportOptions { Path = archive, LockWait = TimeSpan.Zero }, progress, CancellationToken.None), $"Importing {archive} as a disk of app {app.Id}"),
            "adopt" => (disks.AdoptAsync(app.Id, resource, TimeSpan.Zero, progress, CancellationToken.None), $"Adopting {resource} as a disk of app {app.Id}"),
            "export" => (disks.ExportAsync(app.Id, "d1", new ExportOptions { Path = archive }, progress, CancellationToken.None), $"Exporting disk d1 of app {app.Id}"),
            _ => (disks.ExportAsync(app.Id, null, new ExportOptions { Path = archive }, progress, CancellationToken.None), $"Exporting the current disk of app {app.Id}"),
        };

        // Each fails here (no such cluster, disk or file, or nothing to adopt on k3s): the activity is reported all the same.
        await Assert.ThrowsAsync<KompoxException>(() => run).Within();

        Assert.NotEmpty(progress.Reports);
        Assert.All(progress.Reports, r => Assert.Equal(activity, r.Activity));
    }
}

/// <summary>
/// Disk operations through a context as the product makes it: the app's Lease (not the tests' in-process lock) and the
/// API test server, so that what holds the app and what reads the current disk are the real paths.
/// </summary>
public sealed class DiskOperationLeaseTests : IAsyncLifetime
{
    private readonly OperationFixture fixture = new();
    private KubeApi.KubeApiHarness harness = null!;

    public async Task InitializeAsync() => harness = await KubeApi.KubeApiHarness.StartAsync(fixture.Time).Within();

    public async Task DisposeAsync()
    {
        await harness.DisposeAsync().Within();
        fixture.Dispose();
    }

    [Fact]
    public async Task Disks_list_newest_first_with_the_namespaces_current_one_marked()
    {
        var app = fixture.App(kubeconfig: harness.Kubeconfig);
        await using var context = LeaseContext();
        var disks = new DiskOperations(context);
        var older = await disks.CreateAsync(app.Id, TimeSpan.Zero, null, CancellationToken.None).Within();
        fixture.Time.Advance(TimeSpan.FromMinutes(1));
        var newer = await disks.CreateAsync(app.Id, TimeSpan.Zero, null, CancellationToken.None).Within();
        await MarkCurrentAsync(app, older.Id).Within();

        var listed = await disks.ListAsync(app.Id, null, CancellationToken.None).Within();

        Assert.Equal(new[] { (newer.Id, false), (older.Id, true) }, listed.Select(d => (d.Id, d.IsCurrent)));
    }

    [Fact]
    public async Task Deleting_the_current_disk_is_refused_and_another_is_deleted()
    {
        var app = fixture.App(kubeconfig: harness.Kubeconfig);
        await using var context = LeaseContext();
        var disks = new DiskOperations(context);
        var current = await disks.CreateAsync(app.Id, TimeSpan.Zero, null, CancellationToken.None).Within();
        var spare = await disks.CreateAsync(app.Id, TimeSpan.Zero, null, CancellationToken.None).Within();
        await MarkCurrentAsync(app, current.Id).Within();

        var error = await Assert.ThrowsAsync<KompoxException>(() => disks.DeleteAsync(app.Id, current.Id, TimeSpan.Zero, null, CancellationToken.None)).Within();
        await disks.DeleteAsync(app.Id, spare.Id, TimeSpan.Zero, null, CancellationToken.None).Within();

        Assert.Equal(("DiskIsCurrent", ErrorKind.Conflict), (error.ErrorId, error.Kind));
        Assert.Equal(new[] { current.Id }, (await disks.ListAsync(app.Id, null, CancellationToken.None).Within()).Select(d => d.Id));
    }

    [Fact]
    public async Task Each_disk_operation_reports_its_activity_and_steps_and_a_refusal_names_the_disk()
    {
        // What Write-Progress and the service's operation record show: the activity names the app (and the disk), and
        // each step says what is done at the time.
        var app = fixture.App(kubeconfig: harness.Kubeconfig);
        await using var context = LeaseContext();
        var disks = new DiskOperations(context);
        var creating = new RecordedProgress();
        var current = await disks.CreateAsync(app.Id, TimeSpan.Zero, creating, CancellationToken.None).Within();
        await MarkCurrentAsync(app, current.Id).Within();
        var listing = new RecordedProgress();
        await disks.ListAsync(app.Id, listing, CancellationToken.None).Within();
        var deleting = new RecordedProgress();

        var refused = await Assert.ThrowsAsync<KompoxException>(() => disks.DeleteAsync(app.Id, current.Id, TimeSpan.Zero, deleting, CancellationToken.None)).Within();

        Assert.Equal(current.Id, refused.Target);
        Assert.Equal($"disk {current.Id} is the current disk of app {app.Id}; switch the app to another disk first", refused.Message);
        Assert.Equal(
            new[] { ($"Listing disks of app {app.Id}", "reading the disk state"), ($"Listing disks of app {app.Id}", "listing the provider's disks") },
            Steps(listing).Where(s => s.Status.StartsWith("reading") || s.Status.StartsWith("listing")));
        Assert.Contains(($"Creating a disk for app {app.Id}", $"created {current.Id}"), Steps(creating));
        Assert.Contains(($"Deleting disk {current.Id} of app {app.Id}", "failed"), Steps(deleting));
    }

    private static IEnumerable<(string Activity, string Status)> Steps(RecordedProgress progress) =>
        progress.Reports.Where(r => r.Kind == ProgressKind.Step).Select(r => (r.Activity, r.Status));

    private KompoxContext LeaseContext() =>
        new(new KubeconfigClientFactory(), new Kompox.Drivers.DriverFactory(fixture.Time), fixture.Store, fixture.Time);

    /// <summary>Marks a disk current as a deploy does: the namespace's annotation, written to the API server.</summary>
    private async Task MarkCurrentAsync(Kompox.Model.KompoxApp app, string diskId)
    {
        using var client = harness.Client();
        // The app's Lease already made the namespace: annotate it as a deploy does.
        var patch = new { metadata = new { annotations = new Dictionary<string, string> { ["kompox.dev/disk-current-id"] = diskId } } };
        await client.CoreV1.PatchNamespaceAsync(new k8s.Models.V1Patch(patch, k8s.Models.V1Patch.PatchType.MergePatch), KubeNames.Namespace(app)).Within();
    }

    [Fact]
    public async Task Creating_deleting_or_adopting_a_disk_while_another_holder_has_the_apps_Lease_is_refused_naming_it_and_works_once_it_is_released()
    {
        var app = fixture.App(kubeconfig: harness.Kubeconfig);
        await using var context = LeaseContext();
        var disks = new DiskOperations(context);
        var spare = await disks.CreateAsync(app.Id, TimeSpan.Zero, null, CancellationToken.None).Within();
        var other = await TestLocks.Lease(fixture.Time).AcquireLeaseAsync(app, TimeSpan.Zero, null, CancellationToken.None).Within();

        var creating = await Assert.ThrowsAsync<KompoxException>(() => disks.CreateAsync(app.Id, TimeSpan.Zero, null, CancellationToken.None)).Within();
        var deleting = await Assert.ThrowsAsync<KompoxException>(() => disks.DeleteAsync(app.Id, spare.Id, TimeSpan.Zero, null, CancellationToken.None)).Within();
        // Adopting also waits for the app, before the k3s runtime can say that it adopts nothing.
        var adopting = await Assert.ThrowsAsync<KompoxException>(() => disks.AdoptAsync(app.Id, "/subscriptions/s/resourceGroups/g/providers/Microsoft.Compute/disks/d", TimeSpan.Zero, null, CancellationToken.None)).Within();

        Assert.Equal("AppLocked", creating.ErrorId);
        Assert.Equal("AppLocked", adopting.ErrorId);
        Assert.Contains(other.HolderIdentity, creating.Message);
        Assert.Equal(("AppLocked", Remedy.WaitForApp), (deleting.ErrorId, deleting.Remedy));
        Assert.Single(Directory.GetDirectories(Path.Combine(fixture.DataRoot, "disks")));

        await other.DisposeAsync().Within();
        await disks.DeleteAsync(app.Id, spare.Id, TimeSpan.Zero, null, CancellationToken.None).Within();
        var made = await disks.CreateAsync(app.Id, TimeSpan.Zero, null, CancellationToken.None).Within();
        Assert.Equal(new[] { made.Id }, (await disks.ListAsync(app.Id, null, CancellationToken.None).Within()).Select(d => d.Id));
    }
}
