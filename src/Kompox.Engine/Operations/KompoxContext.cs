using Kompox.Drivers;

namespace Kompox.Operations;

/// <summary>
/// Every effect the operations have, in one place: the cluster, the providers, the resources, the clock and the app
/// lock. Cmdlets and the REST service build one; tests build one of fakes.
/// </summary>
public sealed class KompoxContext
{
    public KompoxContext(IKubeClientFactory kubeClients, IDriverFactory drivers, IResourceSource resources, TimeProvider timeProvider, IAppLock appLock)
    {
        KubeClients = kubeClients;
        Drivers = drivers;
        Resources = resources;
        TimeProvider = timeProvider;
        AppLock = appLock;
    }

    public IKubeClientFactory KubeClients { get; }

    public IDriverFactory Drivers { get; }

    public IResourceSource Resources { get; }

    public TimeProvider TimeProvider { get; }

    public IAppLock AppLock { get; }

    /// <summary>How long an operation that changes an app waits for another one on the same app before giving up.</summary>
    public TimeSpan AppLockTimeout { get; init; } = DefaultAppLockTimeout;

    public static readonly TimeSpan DefaultAppLockTimeout = TimeSpan.FromMinutes(5);

    /// <summary>The real effects, for a kompoxops.yml at <paramref name="configPath"/>: apps are locked by a Lease on their cluster.</summary>
    /// <param name="appLockTimeout">How long to wait for another operation on the same app; null for <see cref="AppLockTimeout"/>'s default.</param>
    public static KompoxContext ForConfigFile(string configPath, TimeSpan? appLockTimeout = null)
    {
        var kubeClients = new KubeconfigClientFactory();
        return new(
            kubeClients,
            new DriverFactory(TimeProvider.System),
            new ConfigFileSource(configPath),
            TimeProvider.System,
            new LeaseAppLock(kubeClients, TimeProvider.System))
        {
            AppLockTimeout = appLockTimeout ?? DefaultAppLockTimeout,
        };
    }
}
