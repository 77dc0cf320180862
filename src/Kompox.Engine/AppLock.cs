using Kompox.Model;

namespace Kompox;

/// <summary>
/// Serialises the operations that change one app (deploy, destroy, a disk switch), across runspaces, processes and
/// hosts: <see cref="Kube.LeaseAppLock"/>, a Kubernetes Lease in the app's namespace. The one way to use it is to run a
/// body under it, so no caller can take it and forget the signal that it was lost.
/// </summary>
public interface IAppLock
{
    /// <summary>
    /// Waits until the app is free, then runs <paramref name="body"/> holding it and releases it when the body ends. The
    /// body's token is cancelled by <paramref name="cancellationToken"/> and when the lock is lost to another holder (the
    /// process stalled past the lock's duration); the latter ends the body with <c>AppLeaseLost</c> instead of letting
    /// it interleave with the new holder's work.
    /// </summary>
    /// <param name="timeout">How long to wait for another holder; then <c>AppLocked</c>.</param>
    /// <exception cref="KompoxException"><c>AppLocked</c>, <c>AppLeaseLost</c>, <c>OperationCanceled</c>, and the body's own.</exception>
    Task<T> RunExclusiveAsync<T>(KompoxApp app, TimeSpan timeout, IProgress<OperationProgress> progress, Func<CancellationToken, Task<T>> body, CancellationToken cancellationToken);
}

/// <summary>What every <see cref="IAppLock"/> does once it holds the app: run the body with the lost signal linked in.</summary>
public static class AppLockHold
{
    /// <param name="lost">Cancelled when the lock is lost to another holder.</param>
    /// <param name="duration">How long the lock lasts unrenewed, for the message.</param>
    public static async Task<T> RunAsync<T>(KompoxApp app, CancellationToken lost, TimeSpan duration, Func<CancellationToken, Task<T>> body, CancellationToken cancellationToken)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, lost);
        try
        {
            return await body(linked.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (lost.IsCancellationRequested && !cancellationToken.IsCancellationRequested && e is OperationCanceledException or KompoxException { Kind: ErrorKind.Canceled or ErrorKind.Timeout })
        {
            throw new KompoxException("AppLeaseLost", ErrorKind.Conflict, $"app {app.Id}: stopped, because another holder took over its lock while this operation ran (it was stalled for longer than the lock's {duration.TotalSeconds:0} s); check the app's state before trying again", e) { Target = app.Id };
        }
    }
}
