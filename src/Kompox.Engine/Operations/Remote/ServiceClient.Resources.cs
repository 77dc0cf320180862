using Kompox.Model;

namespace Kompox.Operations.Remote;

/// <summary>The service's registrations: the service itself, providers, clusters, users (administrators) and apps.</summary>
public sealed partial class ServiceClient
{
    public Task<ServiceInfo> GetServiceAsync(CancellationToken cancellationToken) =>
        SendAsync<ServiceInfo>(HttpMethod.Get, "v1/service", null, cancellationToken);

    /// <summary>The caller's apps; an administrator's: every app, or <paramref name="owner"/>'s.</summary>
    public Task<IReadOnlyList<ServiceApp>> ListAppsAsync(string? owner, CancellationToken cancellationToken) =>
        SendAsync<IReadOnlyList<ServiceApp>>(HttpMethod.Get, owner is null ? "v1/apps" : $"v1/apps?owner={Segment(owner)}", null, cancellationToken);

    public Task<ServiceApp> GetAppAsync(string name, CancellationToken cancellationToken) =>
        SendAsync<ServiceApp>(HttpMethod.Get, $"v1/apps/{Segment(name)}", null, cancellationToken);

    /// <summary>Registers an app for the caller; the service validates its name and compose first (<c>InvalidAppName</c>, <c>InvalidCompose</c>).</summary>
    public Task<ServiceApp> CreateAppAsync(AppRegistration app, CancellationToken cancellationToken) =>
        SendAsync<ServiceApp>(HttpMethod.Post, "v1/apps", new { app.Name, app.Cluster, app.Compose, app.Ingress, app.Resources, app.Settings }, cancellationToken);

    public Task<ServiceApp> UpdateAppAsync(AppRegistration app, CancellationToken cancellationToken) =>
        SendAsync<ServiceApp>(HttpMethod.Put, $"v1/apps/{Segment(app.Name)}", new { app.Name, app.Cluster, app.Compose, app.Ingress, app.Resources, app.Settings }, cancellationToken);

    /// <summary>Removes the app's registration; the service refuses it while the app is deployed. Disks and snapshots stay.</summary>
    public Task DeleteAppAsync(string name, CancellationToken cancellationToken) =>
        SendAsync(HttpMethod.Delete, $"v1/apps/{Segment(name)}", null, cancellationToken);

    /// <summary>
    /// The engine's apps for what the service lists: each on its cluster as the service describes it (read once for all
    /// of them), so that front ends show them as apps from kompoxops.yml.
    /// </summary>
    public async Task<IReadOnlyList<KompoxApp>> ToModelsAsync(IEnumerable<ServiceApp> apps, CancellationToken cancellationToken)
    {
        var service = await GetServiceAsync(cancellationToken).ConfigureAwait(false);
        var clusters = (await ListClustersAsync(cancellationToken).ConfigureAwait(false)).ToDictionary(c => c.Name, StringComparer.Ordinal);
        var models = new Dictionary<string, KompoxCluster>(StringComparer.Ordinal);
        return apps.Select(app =>
        {
            if (!models.TryGetValue(app.Cluster, out var cluster))
            {
                // A cluster the caller cannot list (removed since) still names the app's place.
                var described = clusters.GetValueOrDefault(app.Cluster) ?? new ServiceCluster { Name = app.Cluster };
                cluster = models[app.Cluster] = described.ToModel(service.Name, driver: null);
            }

            return app.ToModel(cluster);
        }).ToList();
    }

    public Task<IReadOnlyList<ServiceProvider>> ListProvidersAsync(CancellationToken cancellationToken) =>
        SendAsync<IReadOnlyList<ServiceProvider>>(HttpMethod.Get, "v1/providers", null, cancellationToken);

    public Task<ServiceProvider> GetProviderAsync(string name, CancellationToken cancellationToken) =>
        SendAsync<ServiceProvider>(HttpMethod.Get, $"v1/providers/{Segment(name)}", null, cancellationToken);

    public Task<ServiceProvider> CreateProviderAsync(ServiceProvider provider, CancellationToken cancellationToken) =>
        SendAsync<ServiceProvider>(HttpMethod.Post, "v1/providers", new { provider.Name, provider.Driver, provider.Settings }, cancellationToken);

    public Task<ServiceProvider> UpdateProviderAsync(ServiceProvider provider, CancellationToken cancellationToken) =>
        SendAsync<ServiceProvider>(HttpMethod.Put, $"v1/providers/{Segment(provider.Name)}", new { provider.Name, provider.Driver, provider.Settings }, cancellationToken);

    public Task DeleteProviderAsync(string name, CancellationToken cancellationToken) =>
        SendAsync(HttpMethod.Delete, $"v1/providers/{Segment(name)}", null, cancellationToken);

    public Task<IReadOnlyList<ServiceCluster>> ListClustersAsync(CancellationToken cancellationToken) =>
        SendAsync<IReadOnlyList<ServiceCluster>>(HttpMethod.Get, "v1/clusters", null, cancellationToken);

    public Task<ServiceCluster> GetClusterAsync(string name, CancellationToken cancellationToken) =>
        SendAsync<ServiceCluster>(HttpMethod.Get, $"v1/clusters/{Segment(name)}", null, cancellationToken);

    public Task<ServiceCluster> CreateClusterAsync(ServiceCluster cluster, CancellationToken cancellationToken) =>
        SendAsync<ServiceCluster>(HttpMethod.Post, "v1/clusters", ClusterBody(cluster), cancellationToken);

    public Task<ServiceCluster> UpdateClusterAsync(ServiceCluster cluster, CancellationToken cancellationToken) =>
        SendAsync<ServiceCluster>(HttpMethod.Put, $"v1/clusters/{Segment(cluster.Name)}", ClusterBody(cluster), cancellationToken);

    public Task DeleteClusterAsync(string name, CancellationToken cancellationToken) =>
        SendAsync(HttpMethod.Delete, $"v1/clusters/{Segment(name)}", null, cancellationToken);

    /// <summary>The cluster's status as the service reaches it: API server, ingress and apps (<c>GET /v1/clusters/{name}/ingress</c>).</summary>
    public Task<ClusterStatus> GetClusterStatusAsync(string name, CancellationToken cancellationToken) =>
        SendAsync<ClusterStatus>(HttpMethod.Get, $"v1/clusters/{Segment(name)}/ingress", null, cancellationToken);

    /// <summary>Installs the cluster's ingress through the service, as Initialize-KompoxCluster does locally.</summary>
    public Task<ClusterStatus> InitializeClusterAsync(string name, IProgress<OperationProgress>? progress, CancellationToken cancellationToken) =>
        RunAsync<ClusterStatus>($"Initializing cluster {name}", HttpMethod.Post, $"v1/clusters/{Segment(name)}/initialize", (object?)null, progress, cancellationToken);

    public Task<IReadOnlyList<ServiceUser>> ListUsersAsync(CancellationToken cancellationToken) =>
        SendAsync<IReadOnlyList<ServiceUser>>(HttpMethod.Get, "v1/users", null, cancellationToken);

    public Task<ServiceUser> GetUserAsync(string name, CancellationToken cancellationToken) =>
        SendAsync<ServiceUser>(HttpMethod.Get, $"v1/users/{Segment(name)}", null, cancellationToken);

    /// <summary>Makes a user; the answer carries the user's token, the only time it is shown.</summary>
    public Task<ServiceUser> CreateUserAsync(ServiceUser user, CancellationToken cancellationToken) =>
        SendAsync<ServiceUser>(HttpMethod.Post, "v1/users", new { user.Name, user.Role, user.EntraObjectId }, cancellationToken);

    public Task DeleteUserAsync(string name, CancellationToken cancellationToken) =>
        SendAsync(HttpMethod.Delete, $"v1/users/{Segment(name)}", null, cancellationToken);

    /// <summary>A new token for the user; the old one stops working.</summary>
    public Task<ServiceUser> NewUserTokenAsync(string name, CancellationToken cancellationToken) =>
        SendAsync<ServiceUser>(HttpMethod.Post, $"v1/users/{Segment(name)}/token", null, cancellationToken);

    /// <summary>A cluster as the service takes it: what it returns of a credential (its type) is no field of the request.</summary>
    private static object ClusterBody(ServiceCluster cluster) => new
    {
        cluster.Name,
        cluster.Provider,
        cluster.Domain,
        cluster.Settings,
        Ingress = cluster.Ingress is { } i ? new { i.Controller, i.Namespace } : null,
        Credential = cluster.Credential is { } c ? new { c.Kubeconfig, c.Context, c.InCluster } : null,
    };
}
