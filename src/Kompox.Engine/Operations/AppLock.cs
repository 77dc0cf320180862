namespace Kompox.Operations;

/// <summary>
/// Serialises the operations that change one app's state (deploy, disk switch, snapshot, destroy), across runspaces,
/// processes and hosts: <see cref="LeaseAppLock"/>, a Kubernetes Lease in the app's namespace.
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
