using System.Collections.Concurrent;
using k8s;
using Kompox.Drivers;
using Kompox.Kube;
using Kompox.Model;
using Kompox.Store;

namespace Kompox.Operations;

/// <summary>
/// Every effect the operations have, in one place: the clusters, the providers, the resources, the clock and the app
/// lock. A front end builds one and keeps it as long as it serves: a cmdlet invocation for all of its pipeline input, the
/// REST service for its lifetime. The clients it makes live as long as it does, one per cluster however many operations
/// use them, and are disposed with it.
/// </summary>
public sealed class KompoxContext : IAsyncDisposable
{
    private readonly IKubeClientFactory kubeClients;
    private readonly ConcurrentDictionary<string, Lazy<IKubernetes>> clients = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Lazy<IDriverRuntime>> runtimes = new(StringComparer.Ordinal);
    private int disposed;

    /// <param name="appLock">How apps are locked; null for <see cref="LeaseAppLock"/> on each app's cluster through this context's clients.</param>
    public KompoxContext(IKubeClientFactory kubeClients, IDriverFactory drivers, IResourceStore store, TimeProvider timeProvider, IAppLock? appLock = null)
    {
        this.kubeClients = kubeClients;
        Drivers = drivers;
        Store = store;
        TimeProvider = timeProvider;
        AppLock = appLock ?? new LeaseAppLock(Kube, timeProvider);
        Runner = new OperationRunner(this);
    }

    public IDriverFactory Drivers { get; }

    public IResourceStore Store { get; }

    public TimeProvider TimeProvider { get; }

    public IAppLock AppLock { get; }

    /// <summary>How long an operation that changes an app waits for another one on the same app when its options say nothing.</summary>
    public TimeSpan AppLockTimeout { get; init; } = DefaultAppLockTimeout;

    public static readonly TimeSpan DefaultAppLockTimeout = TimeSpan.FromMinutes(5);

    /// <summary>The machine the operations run on, which a driver keeping disks on one node must be (k3s).</summary>
    public MachineIdentity Machine { get; init; } = MachineIdentity.Current;

    /// <summary>Where every public operation runs.</summary>
    internal OperationRunner Runner { get; }

    /// <summary>The real effects over a store of kompoxops.yml files: clusters through their kubeconfigs, apps locked by a Lease.</summary>
    public static KompoxContext ForConfigFiles(ConfigFileStore store) =>
        new(new KubeconfigClientFactory(), new DriverFactory(TimeProvider.System), store, TimeProvider.System);

    /// <summary>The cluster's client: made on first use and kept, one for every cluster reached with the same credentials.</summary>
    /// <exception cref="KompoxException"><c>KubeconfigNotFound</c>, <c>InvalidKubeconfig</c>.</exception>
    internal IKubernetes Kube(KompoxCluster cluster)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref disposed) != 0, this);
        var made = clients.GetOrAdd(kubeClients.ClientKey(cluster), _ => new Lazy<IKubernetes>(() => kubeClients.Create(cluster, new RequestReporter())));
        try
        {
            return made.Value;
        }
        catch
        {
            // A client that could not be made (a broken kubeconfig) is not kept: the next operation tries again.
            clients.TryRemove(new KeyValuePair<string, Lazy<IKubernetes>>(kubeClients.ClientKey(cluster), made));
            throw;
        }
    }

    /// <summary>Where the cluster's API server is, for kubeconfigs written for it.</summary>
    internal KubeEndpoint Endpoint(KompoxCluster cluster) => kubeClients.Endpoint(cluster);

    /// <summary>The disks and snapshots of the cluster's provider: made on first use and kept per cluster.</summary>
    internal IDriverRuntime Runtime(KompoxCluster cluster)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref disposed) != 0, this);
        var made = runtimes.GetOrAdd(cluster.Id, _ => new Lazy<IDriverRuntime>(() => Drivers.Runtime(cluster)));
        try
        {
            return made.Value;
        }
        catch
        {
            runtimes.TryRemove(new KeyValuePair<string, Lazy<IDriverRuntime>>(cluster.Id, made));
            throw;
        }
    }

    /// <summary>Disposes every client and runtime made; an operation still running on them fails.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref disposed, 1) != 0)
        {
            return;
        }

        foreach (var made in clients.Values.Where(m => m.IsValueCreated))
        {
            made.Value.Dispose();
        }

        clients.Clear();
        runtimes.Clear();
        if (Drivers is IAsyncDisposable drivers)
        {
            await drivers.DisposeAsync().ConfigureAwait(false);
        }
    }
}
