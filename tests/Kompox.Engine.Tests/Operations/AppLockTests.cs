using Kompox.Model;
using Kompox.Operations;
using Microsoft.Extensions.Time.Testing;

namespace Kompox.Tests.Operations;

public class AppLockTests
{
    private static readonly KompoxApp Web = Apps("web");
    private static readonly KompoxApp Db = Apps("db");

    private readonly FakeTimeProvider time = new();

    [Fact]
    public async Task A_second_caller_waits_until_the_first_releases_the_app()
    {
        var appLock = new InProcessAppLock(time);
        var first = await appLock.AcquireAsync(Web, TimeSpan.FromMinutes(1), CancellationToken.None);

        var second = appLock.AcquireAsync(Web, TimeSpan.FromMinutes(1), CancellationToken.None);
        var otherApp = await appLock.AcquireAsync(Db, TimeSpan.FromMinutes(1), CancellationToken.None);
        await Task.Delay(50);
        Assert.False(second.IsCompleted);

        await first.DisposeAsync();
        await using var held = await second.WaitAsync(TimeSpan.FromSeconds(10));
        await otherApp.DisposeAsync();
    }

    [Fact]
    public async Task Waiting_longer_than_the_timeout_on_the_clock_is_a_conflict()
    {
        var appLock = new InProcessAppLock(time);
        await using var first = await appLock.AcquireAsync(Web, TimeSpan.FromMinutes(1), CancellationToken.None);

        var second = appLock.AcquireAsync(Web, TimeSpan.FromMinutes(1), CancellationToken.None);
        time.Advance(TimeSpan.FromSeconds(59));
        Assert.False(second.IsCompleted);
        time.Advance(TimeSpan.FromSeconds(1));

        var error = await Assert.ThrowsAsync<KompoxException>(() => second.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal(("AppLocked", ErrorKind.Conflict), (error.ErrorId, error.Kind));
    }

    [Fact]
    public async Task A_waiter_can_be_canceled_and_the_holder_keeps_the_app()
    {
        var appLock = new InProcessAppLock(time);
        var first = await appLock.AcquireAsync(Web, TimeSpan.FromMinutes(1), CancellationToken.None);
        using var cancel = new CancellationTokenSource();

        var second = appLock.AcquireAsync(Web, TimeSpan.FromMinutes(1), cancel.Token);
        cancel.Cancel();

        Assert.Equal("OperationCanceled", (await Assert.ThrowsAsync<KompoxException>(() => second)).ErrorId);
        await first.DisposeAsync();
        await first.DisposeAsync();
        await using var third = await appLock.AcquireAsync(Web, TimeSpan.Zero, CancellationToken.None);
    }

    private static KompoxApp Apps(string name)
    {
        using var fixture = new OperationFixture();
        return fixture.App(name);
    }
}
