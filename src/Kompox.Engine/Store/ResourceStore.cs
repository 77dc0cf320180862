using System.Collections.Concurrent;
using Kompox.Config;
using Kompox.Model;

namespace Kompox.Store;

/// <summary>
/// Where the operations find the service, its providers, clusters and apps by id: the port every front end fills. A
/// kompoxops.yml fills it today (<see cref="ConfigFileStore"/>); the REST service fills it from its database, and a
/// client of the service from the service.
/// </summary>
/// <remarks>Ids are the resources' paths: <c>{service}/{provider}</c>, <c>{service}/{provider}/{cluster}</c>, <c>{service}/{provider}/{cluster}/{app}</c>.</remarks>
public interface IResourceStore
{
    /// <summary>The service the resources belong to; null while none is stored.</summary>
    Task<KompoxService?> GetServiceAsync(CancellationToken cancellationToken);

    Task PutServiceAsync(KompoxService service, CancellationToken cancellationToken);

    Task<IReadOnlyList<KompoxProvider>> ListProvidersAsync(CancellationToken cancellationToken);

    Task<KompoxProvider?> GetProviderAsync(string providerId, CancellationToken cancellationToken);

    Task PutProviderAsync(KompoxProvider provider, CancellationToken cancellationToken);

    /// <returns>False when there was no such provider.</returns>
    /// <exception cref="KompoxException"><c>ResourceInUse</c> while a cluster of the provider is stored.</exception>
    Task<bool> DeleteProviderAsync(string providerId, CancellationToken cancellationToken);

    /// <param name="providerId">Only the clusters of this provider; null for every one.</param>
    Task<IReadOnlyList<KompoxCluster>> ListClustersAsync(string? providerId, CancellationToken cancellationToken);

    Task<KompoxCluster?> GetClusterAsync(string clusterId, CancellationToken cancellationToken);

    Task PutClusterAsync(KompoxCluster cluster, CancellationToken cancellationToken);

    /// <exception cref="KompoxException"><c>ResourceInUse</c> while an app of the cluster is stored.</exception>
    Task<bool> DeleteClusterAsync(string clusterId, CancellationToken cancellationToken);

    /// <param name="filter">Which apps; <see cref="AppFilter.All"/> for every one.</param>
    Task<IReadOnlyList<KompoxApp>> ListAppsAsync(AppFilter filter, CancellationToken cancellationToken);

    Task<KompoxApp?> GetAppAsync(string appId, CancellationToken cancellationToken);

    Task PutAppAsync(KompoxApp app, CancellationToken cancellationToken);

    Task<bool> DeleteAppAsync(string appId, CancellationToken cancellationToken);
}

/// <summary>Which apps a listing returns.</summary>
/// <param name="Owner">Only the apps this user owns; null for every owner.</param>
/// <param name="ClusterId">Only the apps on this cluster; null for every cluster.</param>
public sealed record AppFilter(string? Owner = null, string? ClusterId = null)
{
    public static readonly AppFilter All = new();

    public bool Matches(KompoxApp app) =>
        (Owner is null || app.Owner == Owner) && (ClusterId is null || app.Cluster.Id == ClusterId);
}

/// <summary>The lookups every operation makes, with the errors a missing resource gives.</summary>
public static class ResourceStoreExtensions
{
    /// <exception cref="KompoxException"><c>AppNotFound</c>.</exception>
    public static async Task<KompoxApp> RequireAppAsync(this IResourceStore store, string appId, CancellationToken cancellationToken) =>
        await store.GetAppAsync(appId, cancellationToken).ConfigureAwait(false)
            ?? throw new KompoxException("AppNotFound", ErrorKind.NotFound, $"there is no app {appId}") { Target = appId };

    /// <exception cref="KompoxException"><c>ClusterNotFound</c>.</exception>
    public static async Task<KompoxCluster> RequireClusterAsync(this IResourceStore store, string clusterId, CancellationToken cancellationToken) =>
        await store.GetClusterAsync(clusterId, cancellationToken).ConfigureAwait(false)
            ?? throw new KompoxException("ClusterNotFound", ErrorKind.NotFound, $"there is no cluster {clusterId}") { Target = clusterId };
}

/// <summary>
/// The resources in memory, safe for concurrent use: what a kompoxops.yml holds (<see cref="ConfigFileStore"/>), and the
/// store of tests. A resource is stored with the parents it names, which must be stored first, so that every id
/// resolves to one object graph.
/// </summary>
public class InMemoryResourceStore : IResourceStore
{
    private readonly object gate = new();
    private readonly ConcurrentDictionary<string, KompoxProvider> providers = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, KompoxCluster> clusters = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, KompoxApp> apps = new(StringComparer.Ordinal);
    private KompoxService? service;

    public Task<KompoxService?> GetServiceAsync(CancellationToken cancellationToken) => Task.FromResult(Volatile.Read(ref service));

    public Task PutServiceAsync(KompoxService service, CancellationToken cancellationToken)
    {
        Volatile.Write(ref this.service, service);
        return Task.CompletedTask;
    }

    public Task<IReadOnlyList<KompoxProvider>> ListProvidersAsync(CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<KompoxProvider>>(providers.Values.OrderBy(p => p.Id, StringComparer.Ordinal).ToList());

    public Task<KompoxProvider?> GetProviderAsync(string providerId, CancellationToken cancellationToken) =>
        Task.FromResult(providers.GetValueOrDefault(providerId));

    public Task PutProviderAsync(KompoxProvider provider, CancellationToken cancellationToken)
    {
        lock (gate)
        {
            service ??= provider.Service;
            providers[provider.Id] = provider;
        }

        return Task.CompletedTask;
    }

    public Task<bool> DeleteProviderAsync(string providerId, CancellationToken cancellationToken)
    {
        lock (gate)
        {
            InUse(providerId, "provider", clusters.Values.Where(c => c.Provider.Id == providerId).Select(c => $"cluster {c.Id}"));
            return Task.FromResult(providers.TryRemove(providerId, out _));
        }
    }

    public Task<IReadOnlyList<KompoxCluster>> ListClustersAsync(string? providerId, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<KompoxCluster>>(clusters.Values.Where(c => providerId is null || c.Provider.Id == providerId).OrderBy(c => c.Id, StringComparer.Ordinal).ToList());

    public Task<KompoxCluster?> GetClusterAsync(string clusterId, CancellationToken cancellationToken) =>
        Task.FromResult(clusters.GetValueOrDefault(clusterId));

    public Task PutClusterAsync(KompoxCluster cluster, CancellationToken cancellationToken)
    {
        lock (gate)
        {
            Parent(providers, cluster.Provider.Id, "ProviderNotFound", $"cluster {cluster.Id} names provider {cluster.Provider.Id}, which is not stored");
            clusters[cluster.Id] = cluster;
        }

        return Task.CompletedTask;
    }

    public Task<bool> DeleteClusterAsync(string clusterId, CancellationToken cancellationToken)
    {
        lock (gate)
        {
            InUse(clusterId, "cluster", apps.Values.Where(a => a.Cluster.Id == clusterId).Select(a => $"app {a.Id}"));
            return Task.FromResult(clusters.TryRemove(clusterId, out _));
        }
    }

    public Task<IReadOnlyList<KompoxApp>> ListAppsAsync(AppFilter filter, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<KompoxApp>>(apps.Values.Where(filter.Matches).OrderBy(a => a.Id, StringComparer.Ordinal).ToList());

    public Task<KompoxApp?> GetAppAsync(string appId, CancellationToken cancellationToken) =>
        Task.FromResult(apps.GetValueOrDefault(appId));

    public Task PutAppAsync(KompoxApp app, CancellationToken cancellationToken)
    {
        lock (gate)
        {
            Parent(clusters, app.Cluster.Id, "ClusterNotFound", $"app {app.Id} names cluster {app.Cluster.Id}, which is not stored");
            apps[app.Id] = app;
        }

        return Task.CompletedTask;
    }

    public Task<bool> DeleteAppAsync(string appId, CancellationToken cancellationToken) =>
        Task.FromResult(apps.TryRemove(appId, out _));

    private static void Parent<T>(ConcurrentDictionary<string, T> stored, string id, string errorId, string message)
    {
        if (!stored.ContainsKey(id))
        {
            throw new KompoxException(errorId, ErrorKind.NotFound, message) { Target = id };
        }
    }

    private static void InUse(string id, string what, IEnumerable<string> users)
    {
        var list = users.OrderBy(u => u, StringComparer.Ordinal).ToList();
        if (list.Count > 0)
        {
            throw new KompoxException("ResourceInUse", ErrorKind.Conflict, $"{what} {id} still has {string.Join(", ", list)}; delete those first") { Target = id };
        }
    }
}

/// <summary>
/// The resources of the kompoxops.yml files a front end read: each <see cref="Load"/> stores the file's service,
/// provider, cluster and apps. Two files that define the same cluster (by id) differently are refused: which one an
/// app of that cluster would be deployed with would depend on the order the files were read. The files are read when loaded, not on every lookup, so one operation sees one version of
/// them; a cmdlet invocation loads what its input names.
/// </summary>
public sealed class ConfigFileStore : InMemoryResourceStore
{
    /// <summary>Reads and validates a kompoxops.yml and stores its resources, replacing those of the same ids.</summary>
    /// <param name="path">Full path of the file.</param>
    /// <param name="shownAs">The file as the user named it, for messages.</param>
    /// <exception cref="KompoxException">What <see cref="KompoxConfig.Load"/> raises.</exception>
    public ConfigResult Load(string path, string? shownAs = null)
    {
        var config = KompoxConfig.Load(path, shownAs);
        Add(config);
        return config;
    }

    /// <summary>Stores the resources of a config already read.</summary>
    /// <exception cref="KompoxException"><c>ClusterConflict</c>.</exception>
    public void Add(ConfigResult config)
    {
        Add(config.Cluster);
        foreach (var app in config.Apps)
        {
            Add(app);
        }
    }

    /// <summary>Stores an app read before (from the objects Import-KompoxConfig wrote), with its cluster, provider and service.</summary>
    public void Add(KompoxApp app)
    {
        Add(app.Cluster);

        // The in-memory store completes synchronously.
        PutAppAsync(app, CancellationToken.None).GetAwaiter().GetResult();
    }

    /// <summary>Stores a cluster read before, with its provider and service.</summary>
    /// <exception cref="KompoxException"><c>ClusterConflict</c> when another file defined the cluster differently.</exception>
    public void Add(KompoxCluster cluster)
    {
        var stored = GetClusterAsync(cluster.Id, CancellationToken.None).GetAwaiter().GetResult();
        var (storedFile, file) = (stored?.Provider.Service.ConfigPath, cluster.Provider.Service.ConfigPath);
        if (stored is not null && !ReferenceEquals(stored, cluster) && storedFile != file && ClusterDifferences(stored, cluster) is { Count: > 0 } differences)
        {
            throw new KompoxException(
                "ClusterConflict",
                ErrorKind.Conflict,
                $"cluster {cluster.Id} is defined differently in {storedFile ?? "(not a file)"} and {file ?? "(not a file)"} ({string.Join(", ", differences)} differ); keep one definition in a cluster file and name it with cluster.file")
            {
                Target = cluster.Id,
            };
        }

        PutServiceAsync(cluster.Provider.Service, CancellationToken.None).GetAwaiter().GetResult();
        PutProviderAsync(cluster.Provider, CancellationToken.None).GetAwaiter().GetResult();
        PutClusterAsync(cluster, CancellationToken.None).GetAwaiter().GetResult();
    }

    /// <summary>The keys on which two definitions of one cluster (and its provider) disagree; empty when they agree.</summary>
    public static IReadOnlyList<string> ClusterDifferences(KompoxCluster a, KompoxCluster b)
    {
        var found = new List<string>();
        void Compare(string key, string? x, string? y)
        {
            if (!string.Equals(x, y, StringComparison.Ordinal))
            {
                found.Add(key);
            }
        }

        void CompareMap(string key, IReadOnlyDictionary<string, string> x, IReadOnlyDictionary<string, string> y)
        {
            foreach (var name in x.Keys.Union(y.Keys).OrderBy(k => k, StringComparer.Ordinal))
            {
                Compare($"{key}.{name}", x.GetValueOrDefault(name), y.GetValueOrDefault(name));
            }
        }

        Compare("provider.driver", a.Provider.Driver, b.Provider.Driver);
        CompareMap("provider.settings", a.Provider.Settings, b.Provider.Settings);
        Compare("cluster.auth.type", a.Auth.Type, b.Auth.Type);
        Compare("cluster.auth.kubeconfig", a.Auth.Kubeconfig, b.Auth.Kubeconfig);
        Compare("cluster.auth.context", a.Auth.Context, b.Auth.Context);
        Compare("cluster.ingress.controller", a.Ingress.Controller, b.Ingress.Controller);
        Compare("cluster.ingress.namespace", a.Ingress.Namespace, b.Ingress.Namespace);
        Compare("cluster.domain", a.Domain, b.Domain);
        CompareMap("cluster.settings", a.Settings, b.Settings);
        return found;
    }
}
