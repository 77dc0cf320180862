using System.Collections.Concurrent;

namespace Kompox.Operations;

/// <summary>
/// Serialises the operations that change one app's state (deploy, disk switch, snapshot, destroy). In-process for a
/// single PowerShell session or service instance (<see cref="InProcessAppLock"/>); across hosts a Kubernetes Lease in the
/// app's namespace implements it (<see cref="LeaseAppLock"/>).
/// </summary>
public interface IAppLock
{
    /// <summary>Waits until the app is free, then holds it until the result is disposed.</summary>
    /// <param name="timeout">How long to wait for another holder; then <c>AppLocked</c>.</param>
    /// <exception cref="KompoxException"><c>AppLocked</c> when the wait times out; <c>OperationCanceled</c> when <paramref name="cancellationToken"/> fires.</exception>
    Task<IAsyncDisposable> AcquireAsync(Model.KompoxApp app, TimeSpan timeout, CancellationToken cancellationToken);

    /// <summary>As <see cref="AcquireAsync(Model.KompoxApp, TimeSpan, CancellationToken)"/>, reporting the wait (who holds the app) and the lock's requests.</summary>
    Task<IAsyncDisposable> AcquireAsync(Model.KompoxApp app, TimeSpan timeout, IProgress<OperationProgress>? progress, CancellationToken cancellationToken) =>
        AcquireAsync(app, timeout, cancellationToken);
}

/// <summary>
/// An <see cref="IAppLock"/> for callers in one process, keyed by app id, with timeouts measured on the context's clock:
/// for contexts with no cluster to hold a Lease on (engine tests over an in-memory API). Real contexts use <see cref="LeaseAppLock"/>.
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
