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
        var older = await disks.CreateAsync(app, null, CancellationToken.None);
        fixture.Time.Advance(TimeSpan.FromMinutes(1));
        var newer = await disks.CreateAsync(app, null, CancellationToken.None);
        fixture.Kube.AnswerNamespace(KubeNames.Namespace(app), new Dictionary<string, string> { ["kompox.dev/disk-current-id"] = older.Id });

        var listed = await disks.ListAsync(app, null, CancellationToken.None);

        Assert.Equal(new[] { (newer.Id, false), (older.Id, true) }, listed.Select(d => (d.Id, d.IsCurrent)));
    }

    [Fact]
    public async Task Deleting_the_current_disk_is_refused_and_another_is_deleted()
    {
        var app = fixture.App();
        var disks = new DiskOperations(fixture.Context);
        var current = await disks.CreateAsync(app, null, CancellationToken.None);
        var spare = await disks.CreateAsync(app, null, CancellationToken.None);
        fixture.Kube.AnswerNamespace(KubeNames.Namespace(app), new Dictionary<string, string> { ["kompox.dev/disk-current-id"] = current.Id });

        var error = await Assert.ThrowsAsync<KompoxException>(() => disks.DeleteAsync(app, current.Id, null, CancellationToken.None));
        await disks.DeleteAsync(app, spare.Id, null, CancellationToken.None);

        Assert.Equal(("DiskIsCurrent", ErrorKind.Conflict), (error.ErrorId, error.Kind));
        Assert.Equal(new[] { current.Id }, (await disks.ListAsync(app, null, CancellationToken.None)).Select(d => d.Id));
    }

    [Fact]
    public async Task Creating_a_disk_waits_for_an_operation_holding_the_app()
    {
        var app = fixture.App();
        var held = await fixture.Context.AppLock.AcquireAsync(app, TimeSpan.FromSeconds(1), CancellationToken.None);
        var progress = new RecordedProgress();

        var creating = new DiskOperations(fixture.Context).CreateAsync(app, progress, CancellationToken.None);
        await Task.Delay(50);
        Assert.False(creating.IsCompleted);
        Assert.Equal("waiting for the app", progress.Reports.Last().Status);
        await held.DisposeAsync();

        var disk = await creating.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(app.Id, disk.AppId);
    }

    [Fact]
    public async Task The_aks_runtime_needs_the_providers_subscription()
    {
        var error = await Assert.ThrowsAsync<KompoxException>(() => new DiskOperations(fixture.Context).ListAsync(fixture.App(driver: "aks"), null, CancellationToken.None));

        Assert.Equal("InvalidSetting", error.ErrorId);
        Assert.Equal("AZURE_SUBSCRIPTION_ID", error.Target);
    }
}
