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
    public async Task Creating_a_disk_waits_for_an_operation_holding_the_app()
    {
        var app = fixture.App();
        var entered = new TaskCompletionSource();
        var release = new TaskCompletionSource();
        var holder = fixture.Context.AppLock.RunExclusiveAsync(app, TimeSpan.FromSeconds(1), new RecordedProgress(), async _ => { entered.SetResult(); await release.Task; return true; }, CancellationToken.None);
        await entered.Task.WaitAsync(TimeSpan.FromSeconds(10));

        var creating = new DiskOperations(fixture.Context).CreateAsync(app.Id, null, null, CancellationToken.None);
        await Task.Delay(50);
        Assert.False(creating.IsCompleted);
        release.SetResult();
        await holder.WaitAsync(TimeSpan.FromSeconds(10));

        var disk = await creating.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(app.Id, disk.AppId);
    }

    [Fact]
    public async Task The_aks_runtime_needs_the_providers_subscription()
    {
        var error = await Assert.ThrowsAsync<KompoxException>(() => new DiskOperations(fixture.Context).ListAsync(fixture.App(driver: "aks").Id, null, CancellationToken.None));

        Assert.Equal("InvalidSetting", error.ErrorId);
        Assert.Equal("AZURE_SUBSCRIPTION_ID", error.Target);
    }
}
