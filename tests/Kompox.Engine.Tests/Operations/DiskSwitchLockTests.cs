using k8s;
using Kompox.Conversion;
using Kompox.Drivers;
using Kompox.Operations;

namespace Kompox.Tests.Operations;

/// <summary>
/// Which disk operations hold the app's Lease and which work with the cluster down, through a context as the product
/// makes it (the Lease, the API test server, the k3s runtime on a data root of this machine).
/// </summary>
public sealed class DiskSwitchLockTests : IAsyncLifetime
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
    public async Task A_switch_while_another_holder_has_the_apps_Lease_is_refused_naming_it_and_changes_nothing()
    {
        var app = fixture.App(kubeconfig: harness.Kubeconfig);
        await using var context = LeaseContext();
        var disks = new DiskOperations(context);
        var first = await disks.CreateAsync(app.Id, TimeSpan.Zero, null, CancellationToken.None).Within();
        var other = await TestLocks.Lease(fixture.Time).AcquireLeaseAsync(app, TimeSpan.Zero, null, CancellationToken.None).Within();

        var error = await Assert.ThrowsAsync<KompoxException>(() => disks.SwitchAsync(app.Id, first.Id, TimeSpan.Zero, null, CancellationToken.None).Within());

        Assert.Equal(("AppLocked", Remedy.WaitForApp), (error.ErrorId, error.Remedy));
        Assert.Contains(other.HolderIdentity, error.Message);
        Assert.Null(DiskInfo.ProviderCurrent(await fixture.Runtime().ListDisksAsync(app, CancellationToken.None).Within()));
        await other.DisposeAsync().Within();
        await disks.SwitchAsync(app.Id, first.Id, TimeSpan.Zero, null, CancellationToken.None).Within();
        Assert.Equal(first.Id, DiskInfo.ProviderCurrent(await fixture.Runtime().ListDisksAsync(app, CancellationToken.None).Within()));
    }

    [Fact]
    public async Task Two_switches_at_once_do_not_interleave_one_is_refused_or_the_second_sees_the_first()
    {
        var app = fixture.App(kubeconfig: harness.Kubeconfig);
        await using var context = LeaseContext();
        await using var another = LeaseContext();
        var disks = new DiskOperations(context);
        var start = await disks.CreateAsync(app.Id, TimeSpan.Zero, null, CancellationToken.None).Within();
        var b = await disks.CreateAsync(app.Id, TimeSpan.Zero, null, CancellationToken.None).Within();
        var c = await disks.CreateAsync(app.Id, TimeSpan.Zero, null, CancellationToken.None).Within();
        await disks.SwitchAsync(app.Id, start.Id, TimeSpan.Zero, null, CancellationToken.None).Within();

        var results = await Task.WhenAll(
            Outcome(disks.SwitchAsync(app.Id, b.Id, TimeSpan.Zero, null, CancellationToken.None)),
            Outcome(new DiskOperations(another).SwitchAsync(app.Id, c.Id, TimeSpan.Zero, null, CancellationToken.None))).Within();

        using var client = harness.Client();
        var state = AppDiskState.Of(await client.CoreV1.ReadNamespaceAsync(KubeNames.Namespace(app)).Within());
        var done = results.Where(r => r.Switched is not null).Select(r => r.Switched!).ToList();
        Assert.All(results.Where(r => r.Switched is null), r => Assert.Equal("AppLocked", r.Error!.ErrorId));
        Assert.NotEmpty(done);
        // Serial: the last switch's previous disk is the first one's disk, never both "start" (a lost update).
        var last = done.Single(d => d.Disk.Id == state.CurrentDiskId);
        Assert.Equal(done.Count == 2 ? done.Single(d => d != last).Disk.Id : start.Id, state.PreviousDiskId);
        Assert.Equal(last.PreviousDiskId, state.PreviousDiskId);
        Assert.Equal(state.CurrentDiskId, DiskInfo.ProviderCurrent(await fixture.Runtime().ListDisksAsync(app, CancellationToken.None).Within()));
    }

    [Fact]
    public async Task Listing_k3s_disks_works_when_the_API_server_does_not_answer_and_marks_the_providers_current_disk()
    {
        var app = fixture.App(kubeconfig: KeptKubeconfig());
        await using var context = LeaseContext();
        var disks = new DiskOperations(context);
        var older = await disks.CreateAsync(app.Id, TimeSpan.Zero, null, CancellationToken.None).Within();
        fixture.Time.Advance(TimeSpan.FromMinutes(1));
        var newer = await disks.CreateAsync(app.Id, TimeSpan.Zero, null, CancellationToken.None).Within();
        await disks.SwitchAsync(app.Id, older.Id, TimeSpan.Zero, null, CancellationToken.None).Within();
        await harness.DisposeAsync().Within();
        harness = await KubeApi.KubeApiHarness.StartAsync(fixture.Time).Within();
        var progress = new RecordedProgress();

        // The app's kubeconfig names the server that is gone: nothing listens on its port.
        await using var offline = LeaseContext();
        var listed = await new DiskOperations(offline).ListAsync(app.Id, progress, CancellationToken.None).Within();

        Assert.Equal(new[] { (newer.Id, false), (older.Id, true) }, listed.Select(d => (d.Id, d.IsCurrent)));
        Assert.Contains(progress.Reports, r => r.Kind == ProgressKind.Warning && r.Status.Contains("does not answer", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Listing_with_the_API_server_down_and_no_disk_of_the_app_here_fails_as_the_connection_did()
    {
        var app = fixture.App(kubeconfig: KeptKubeconfig());
        await harness.DisposeAsync().Within();
        harness = await KubeApi.KubeApiHarness.StartAsync(fixture.Time).Within();
        await using var context = LeaseContext();

        var error = await Assert.ThrowsAsync<KompoxException>(() => new DiskOperations(context).ListAsync(app.Id, null, CancellationToken.None).Within());

        Assert.Equal("ConnectionFailed", error.ErrorId);
    }

    [Fact]
    public async Task An_API_server_that_answers_with_an_error_is_not_down_and_the_listing_fails()
    {
        var stranger = harness.Server.WriteKubeconfig(Path.Combine(harness.Directory, "stranger.kubeconfig"), "not-a-token", null);
        var app = fixture.App(kubeconfig: stranger);
        await fixture.Runtime().CreateDiskAsync(app, NoProgress.Instance, CancellationToken.None).Within();
        await using var context = LeaseContext();

        var error = await Assert.ThrowsAsync<KompoxException>(() => new DiskOperations(context).ListAsync(app.Id, null, CancellationToken.None).Within());

        Assert.NotEqual("ConnectionFailed", error.ErrorId);
        Assert.Equal(ErrorKind.Unauthenticated, error.Kind);
    }

    private static async Task<(DiskSwitchResult? Switched, KompoxException? Error)> Outcome(Task<DiskSwitchResult> switching)
    {
        try
        {
            return (await switching.Within(), null);
        }
        catch (KompoxException e)
        {
            return (null, e);
        }
    }

    /// <summary>The harness's kubeconfig, copied where it outlives the harness's server.</summary>
    private string KeptKubeconfig()
    {
        var kept = Path.Combine(fixture.DataRoot, "admin.kubeconfig");
        File.Copy(harness.Kubeconfig, kept);
        return kept;
    }

    private KompoxContext LeaseContext() =>
        new(new KubeconfigClientFactory(), new DriverFactory(fixture.Time), fixture.Store, fixture.Time);
}
