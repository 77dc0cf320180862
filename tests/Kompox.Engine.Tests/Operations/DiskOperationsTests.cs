using Kompox.Conversion;
using Kompox.Operations;

namespace Kompox.Tests.Operations;

public sealed class DiskOperationsTests : IDisposable
{
    private readonly OperationFixture fixture = new();

    public void Dispose() => fixture.Dispose();

    [Fact]
    public async Task Disks_list_newest_first_with_the_namespaces_current_one_marked()
    {
        var app = fixture.App();
        var disks = new DiskOperations(fixture.Context);
        var older = await disks.CreateAsync(app.Id, null, null, CancellationToken.None);
        fixture.Time.Advance(TimeSpan.FromMinutes(1));
        var newer = await disks.CreateAsync(app.Id, null, null, CancellationToken.None);
        fixture.Kube.AnswerNamespace(KubeNames.Namespace(app), new Dictionary<string, string> { ["kompox.dev/disk-current-id"] = older.Id });

        var listed = await disks.ListAsync(app.Id, null, CancellationToken.None);

        Assert.Equal(new[] { (newer.Id, false), (older.Id, true) }, listed.Select(d => (d.Id, d.IsCurrent)));
    }

    [Fact]
    public async Task Deleting_the_current_disk_is_refused_and_another_is_deleted()
    {
        var app = fixture.App();
        var disks = new DiskOperations(fixture.Context);
        var current = await disks.CreateAsync(app.Id, null, null, CancellationToken.None);
        var spare = await disks.CreateAsync(app.Id, null, null, CancellationToken.None);
        fixture.Kube.AnswerNamespace(KubeNames.Namespace(app), new Dictionary<string, string> { ["kompox.dev/disk-current-id"] = current.Id });

        var error = await Assert.ThrowsAsync<KompoxException>(() => disks.DeleteAsync(app.Id, current.Id, null, null, CancellationToken.None));
        await disks.DeleteAsync(app.Id, spare.Id, null, null, CancellationToken.None);

        Assert.Equal(("DiskIsCurrent", ErrorKind.Conflict), (error.ErrorId, error.Kind));
        Assert.Equal(new[] { current.Id }, (await disks.ListAsync(app.Id, null, CancellationToken.None)).Select(d => d.Id));
    }

    [Fact]
    public async Task The_aks_runtime_needs_the_providers_subscription()
    {
        var error = await Assert.ThrowsAsync<KompoxException>(() => new DiskOperations(fixture.Context).ListAsync(fixture.App(driver: "aks").Id, null, CancellationToken.None));

        Assert.Equal("InvalidSetting", error.ErrorId);
        Assert.Equal("AZURE_SUBSCRIPTION_ID", error.Target);
    }
}

/// <summary>The disk operations that change which disks an app has hold the app's Lease, the lock every real context uses.</summary>
public sealed class DiskOperationLeaseTests : IAsyncLifetime
{
    private readonly OperationFixture fixture = new();
    private KubeApi.KubeApiHarness harness = null!;

    public async Task InitializeAsync() => harness = await KubeApi.KubeApiHarness.StartAsync(fixture.Time);

    public async Task DisposeAsync()
    {
        await harness.DisposeAsync();
        fixture.Dispose();
    }

    [Fact]
    public async Task Creating_or_deleting_a_disk_while_another_holder_has_the_apps_Lease_is_refused_naming_it_and_works_once_it_is_released()
    {
        var app = fixture.App(kubeconfig: harness.Kubeconfig);
        await using var context = new KompoxContext(new KubeconfigClientFactory(), new Kompox.Drivers.DriverFactory(fixture.Time), fixture.Store, fixture.Time);
        var disks = new DiskOperations(context);
        var spare = await disks.CreateAsync(app.Id, TimeSpan.Zero, null, CancellationToken.None);
        var other = await TestLocks.Lease(fixture.Time).AcquireLeaseAsync(app, TimeSpan.Zero, null, CancellationToken.None);

        var creating = await Assert.ThrowsAsync<KompoxException>(() => disks.CreateAsync(app.Id, TimeSpan.Zero, null, CancellationToken.None));
        var deleting = await Assert.ThrowsAsync<KompoxException>(() => disks.DeleteAsync(app.Id, spare.Id, TimeSpan.Zero, null, CancellationToken.None));

        Assert.Equal("AppLocked", creating.ErrorId);
        Assert.Contains(other.HolderIdentity, creating.Message);
        Assert.Equal(("AppLocked", Remedy.WaitForApp), (deleting.ErrorId, deleting.Remedy));
        Assert.Single(Directory.GetDirectories(Path.Combine(fixture.DataRoot, "disks")));

        await other.DisposeAsync();
        await disks.DeleteAsync(app.Id, spare.Id, TimeSpan.Zero, null, CancellationToken.None);
        var made = await disks.CreateAsync(app.Id, TimeSpan.Zero, null, CancellationToken.None);
        Assert.Equal(new[] { made.Id }, (await disks.ListAsync(app.Id, null, CancellationToken.None)).Select(d => d.Id));
    }
}
