using Kompox.Model;

namespace Kompox.Tests.Store;

/// <summary>The store port's in-memory implementation, which the config files fill and the tests use.</summary>
public class ResourceStoreTests
{
    private static readonly KompoxService Service = new() { Name = "ops" };
    private static readonly KompoxProvider Provider = new() { Name = "k3s1", Driver = "k3s", Settings = new Dictionary<string, string>(), Service = Service };
    private static readonly KompoxCluster Lab = Cluster("lab");
    private static readonly KompoxCluster Edge = Cluster("edge");

    [Fact]
    public async Task Resources_are_put_got_listed_and_deleted_by_id()
    {
        var store = new InMemoryResourceStore();
        await store.PutProviderAsync(Provider, CancellationToken.None).Within();
        await store.PutClusterAsync(Lab, CancellationToken.None).Within();
        await store.PutClusterAsync(Edge, CancellationToken.None).Within();
        await store.PutAppAsync(App("web", Lab, "alice"), CancellationToken.None).Within();
        await store.PutAppAsync(App("db", Lab, "bob"), CancellationToken.None).Within();
        await store.PutAppAsync(App("web", Edge, "alice"), CancellationToken.None).Within();

        Assert.Same(Service, await store.GetServiceAsync(CancellationToken.None).Within());
        Assert.Equal("ops/k3s1", Assert.Single(await store.ListProvidersAsync(CancellationToken.None).Within()).Id);
        Assert.Equal(new[] { "ops/k3s1/edge", "ops/k3s1/lab" }, (await store.ListClustersAsync("ops/k3s1", CancellationToken.None).Within()).Select(c => c.Id));
        Assert.Empty(await store.ListClustersAsync("ops/other", CancellationToken.None).Within());
        Assert.Equal(new[] { "ops/k3s1/edge/web", "ops/k3s1/lab/db", "ops/k3s1/lab/web" }, (await store.ListAppsAsync(AppFilter.All, CancellationToken.None).Within()).Select(a => a.Id));
        Assert.Equal(new[] { "ops/k3s1/edge/web", "ops/k3s1/lab/web" }, (await store.ListAppsAsync(new AppFilter(Owner: "alice"), CancellationToken.None).Within()).Select(a => a.Id));
        Assert.Equal(new[] { "ops/k3s1/lab/db" }, (await store.ListAppsAsync(new AppFilter(Owner: "bob", ClusterId: "ops/k3s1/lab"), CancellationToken.None).Within()).Select(a => a.Id));
        Assert.Equal("bob", (await store.GetAppAsync("ops/k3s1/lab/db", CancellationToken.None).Within())!.Owner);

        Assert.True(await store.DeleteAppAsync("ops/k3s1/lab/db", CancellationToken.None).Within());
        Assert.False(await store.DeleteAppAsync("ops/k3s1/lab/db", CancellationToken.None).Within());
        Assert.Null(await store.GetAppAsync("ops/k3s1/lab/db", CancellationToken.None).Within());
    }

    [Fact]
    public async Task A_resource_needs_its_parent_stored_and_a_parent_in_use_is_not_deleted()
    {
        var store = new InMemoryResourceStore();
        Assert.Equal("ProviderNotFound", (await Assert.ThrowsAsync<KompoxException>(() => store.PutClusterAsync(Lab, CancellationToken.None)).Within()).ErrorId);
        await store.PutProviderAsync(Provider, CancellationToken.None).Within();
        Assert.Equal("ClusterNotFound", (await Assert.ThrowsAsync<KompoxException>(() => store.PutAppAsync(App("web", Lab, null), CancellationToken.None)).Within()).ErrorId);
        await store.PutClusterAsync(Lab, CancellationToken.None).Within();
        await store.PutAppAsync(App("web", Lab, null), CancellationToken.None).Within();

        var inUse = await Assert.ThrowsAsync<KompoxException>(() => store.DeleteClusterAsync(Lab.Id, CancellationToken.None)).Within();
        Assert.Equal(("ResourceInUse", ErrorKind.Conflict), (inUse.ErrorId, inUse.Kind));
        Assert.Contains("app ops/k3s1/lab/web", inUse.Message);
        Assert.Equal("ResourceInUse", (await Assert.ThrowsAsync<KompoxException>(() => store.DeleteProviderAsync(Provider.Id, CancellationToken.None)).Within()).ErrorId);
        Assert.NotNull(await store.GetClusterAsync(Lab.Id, CancellationToken.None).Within());

        await store.DeleteAppAsync("ops/k3s1/lab/web", CancellationToken.None).Within();
        Assert.True(await store.DeleteClusterAsync(Lab.Id, CancellationToken.None).Within());
        Assert.True(await store.DeleteProviderAsync(Provider.Id, CancellationToken.None).Within());
    }

    [Fact]
    public async Task A_missing_app_or_cluster_is_a_Kompox_error_naming_its_id()
    {
        var store = new InMemoryResourceStore();
        var app = await Assert.ThrowsAsync<KompoxException>(() => store.RequireAppAsync("ops/k3s1/lab/nope", CancellationToken.None)).Within();
        var cluster = await Assert.ThrowsAsync<KompoxException>(() => store.RequireClusterAsync("ops/k3s1/nope", CancellationToken.None)).Within();
        Assert.Equal(("AppNotFound", "ops/k3s1/lab/nope"), (app.ErrorId, app.Target));
        Assert.Equal(("ClusterNotFound", "ops/k3s1/nope"), (cluster.ErrorId, cluster.Target));
    }

    [Fact]
    public async Task A_config_file_store_holds_what_each_file_it_loaded_names()
    {
        var store = new ConfigFileStore();
        var config = store.Load(Path.Combine(RepoPaths.Root, "examples", "gitea", "kompoxops.yml"));

        Assert.Same(config.App, await store.GetAppAsync(config.App.Id, CancellationToken.None).Within());
        Assert.Same(config.Cluster, await store.GetClusterAsync(config.Cluster.Id, CancellationToken.None).Within());
        Assert.Equal(KompoxErrors.All["InvalidConfig"], Assert.ThrowsAny<KompoxException>(() => store.Load(RepoPaths.Data("bad-configs", "resources-invalid", "kompoxops.yml"))).Kind);
    }

    private static KompoxCluster Cluster(string name) => new()
    {
        Name = name,
        Provider = Provider,
        Auth = new ClusterAuth(),
        Ingress = new ClusterIngress(),
        Domain = "example.com",
        Settings = new Dictionary<string, string>(),
    };

    private static KompoxApp App(string name, KompoxCluster cluster, string? owner) => new()
    {
        Name = name,
        Cluster = cluster,
        Compose = "services: {}",
        Ingress = new Dictionary<string, string>(),
        Resources = new Dictionary<string, string>(),
        Settings = new Dictionary<string, string>(),
        Owner = owner,
    };
}
