using System.Collections.Concurrent;
using Kompox.Operations;

namespace Kompox.Tests.Operations;

/// <summary>
/// An <see cref="IAppLock"/> for callers in one process, keyed by app id, with timeouts measured on the context's clock:
/// for test contexts with no cluster to hold a Lease on (the in-memory API). Real contexts use <see cref="LeaseAppLock"/>.
/// Like every lock it has the lost signal: <see cref="Lose"/> takes the app from its holder, as a Lease taken over does.
/// </summary>
public sealed class InProcessAppLock : IAppLock
{
    private readonly ConcurrentDictionary<string, SemaphoreSlim> gates = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, CancellationTokenSource> holders = new(StringComparer.Ordinal);
    private readonly TimeProvider timeProvider;

    public InProcessAppLock(TimeProvider timeProvider)
    {
        this.timeProvider = timeProvider;
    }

    /// <summary>Makes the app's holder lose it; its body is cancelled and ends with <c>AppLeaseLost</c>. False when nobody holds the app.</summary>
    public bool Lose(string appId)
    {
        if (!holders.TryGetValue(appId, out var lost))
        {
            return false;
        }

        lost.Cancel();
        return true;
    }

    public async Task<T> RunExclusiveAsync<T>(Model.KompoxApp app, TimeSpan timeout, IProgress<OperationProgress> progress, Func<CancellationToken, Task<T>> body, CancellationToken cancellationToken)
    {
        var appId = app.Id;
        // One gate per app for the life of the lock: apps are few, and removing a gate would race with its next waiter.
        var gate = gates.GetOrAdd(appId, _ => new SemaphoreSlim(1, 1));
        if (!gate.Wait(0))
        {
            using var timer = new CancellationTokenSource(timeout, timeProvider);
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timer.Token);
            try
            {
                // The timeout runs on the test's clock: a holder that never lets go and a clock nobody moves fail the test.
                await gate.WaitAsync(linked.Token).Within().ConfigureAwait(false);
            }
            catch (OperationCanceledException e) when (!cancellationToken.IsCancellationRequested)
            {
                throw new KompoxException("AppLocked", ErrorKind.Conflict, $"app {appId} is busy with another operation; waited {timeout.TotalSeconds:0} s", e) { Target = appId, Remedy = Remedy.WaitForApp };
            }
        }

        using var lost = new CancellationTokenSource();
        holders[appId] = lost;
        try
        {
            return await AppLockHold.RunAsync(app, lost.Token, timeout, body, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            holders.TryRemove(appId, out _);
            gate.Release();
        }
    }
}
