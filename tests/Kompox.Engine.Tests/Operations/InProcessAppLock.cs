using System.Collections.Concurrent;
using Kompox.Operations;

namespace Kompox.Tests.Operations;

/// <summary>
/// An <see cref="IAppLock"/> for callers in one process, keyed by app id, with timeouts measured on the context's clock:
/// for test contexts with no cluster to hold a Lease on (the in-memory API). Real contexts use <see cref="LeaseAppLock"/>.
/// </summary>
public sealed class InProcessAppLock : IAppLock
{
    private readonly ConcurrentDictionary<string, SemaphoreSlim> gates = new(StringComparer.Ordinal);
    private readonly TimeProvider timeProvider;

    public InProcessAppLock(TimeProvider timeProvider)
    {
        this.timeProvider = timeProvider;
    }

    public async Task<IAsyncDisposable> AcquireAsync(Model.KompoxApp app, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var appId = app.Id;
        // One gate per app for the life of the process: apps are few, and removing a gate would race with its next waiter.
        var gate = gates.GetOrAdd(appId, _ => new SemaphoreSlim(1, 1));
        if (gate.Wait(0))
        {
            return new Holder(gate);
        }

        using var timer = new CancellationTokenSource(timeout, timeProvider);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timer.Token);
        try
        {
            await gate.WaitAsync(linked.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException e) when (!cancellationToken.IsCancellationRequested)
        {
            throw new KompoxException("AppLocked", ErrorKind.Conflict, $"app {appId} is busy with another operation; waited {timeout.TotalSeconds:0} s", e) { Target = appId };
        }
        catch (OperationCanceledException e)
        {
            throw new KompoxException("OperationCanceled", ErrorKind.Canceled, $"waiting for app {appId}: canceled", e) { Target = appId };
        }

        return new Holder(gate);
    }

    private sealed class Holder : IAsyncDisposable
    {
        private SemaphoreSlim? gate;

        public Holder(SemaphoreSlim gate)
        {
            this.gate = gate;
        }

        public ValueTask DisposeAsync()
        {
            Interlocked.Exchange(ref gate, null)?.Release();
            return ValueTask.CompletedTask;
        }
    }
}
