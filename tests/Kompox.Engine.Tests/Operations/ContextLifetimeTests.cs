using Azure.Core;
using Azure.Core.Pipeline;
using Azure.ResourceManager;
using k8s;
using Kompox.Drivers;
using Kompox.Model;
using Kompox.Operations;
using Kompox.Tests.KubeApi;

namespace Kompox.Tests.Operations;

/// <summary>
/// A context serves many operations, as a cmdlet's whole pipeline and the REST service's lifetime do: it makes one
/// client per cluster and one credential per provider, and disposes them with itself. Counted through its factories.
/// </summary>
public sealed class ContextLifetimeTests : IAsyncLifetime
{
    private readonly OperationFixture fixture = new();
    private KubeApiHarness harness = null!;

    public async Task InitializeAsync()
    {
        harness = await KubeApiHarness.StartAsync().Within();
        await harness.InstallIngressAsync().Within();
    }

    public async Task DisposeAsync()
    {
        await harness.DisposeAsync().Within();
        fixture.Dispose();
    }

    [Fact]
    public async Task A_hundred_operations_of_every_kind_make_one_client_per_cluster_and_the_context_disposes_it()
    {
        var clients = new CountingClients();
        var context = new KompoxContext(clients, new DriverFactory(fixture.Time), fixture.Store, TimeProvider.System);
        var web = fixture.App("web", kubeconfig: harness.Kubeconfig);
        var db = fixture.App("db", kubeconfig: harness.Kubeconfig);
        var apps = new AppOperations(context);
        var disks = new DiskOperations(context);
        var clusters = new ClusterOperations(context);
        var operations = new List<Func<string, Task>>
        {
            id => apps.DeployAsync(id, new DeployOptions(), null, CancellationToken.None),
            id => apps.PlanDeployAsync(id, new DeployOptions { Compare = true }, null, CancellationToken.None),
            id => apps.GetStatusAsync(id, null, CancellationToken.None),
            async id => await apps.ReadLogsAsync(id, new AppLogOptions(), null, CancellationToken.None).ToListAsync().Within(),
            id => apps.GetCredentialAsync(id, new AppCredentialOptions(), null, CancellationToken.None),
            id => apps.GetDiskStateAsync(id, null, CancellationToken.None),
            id => disks.ListAsync(id, null, CancellationToken.None),
            id => apps.ValidateAsync(id, new AppValidationOptions(), null, CancellationToken.None),
            _ => clusters.GetStatusAsync(web.Cluster.Id, null, CancellationToken.None),
            _ => clusters.ConnectAsync(web.Cluster.Id, null, CancellationToken.None),
        };

        var done = 0;
        for (var round = 0; round < 5; round++)
        {
            foreach (var app in new[] { web, db })
            {
                foreach (var operation in operations)
                {
                    await operation(app.Id).WaitAsync(TimeSpan.FromSeconds(60));
                    done++;
                }
            }
        }

        await apps.DestroyAsync(web.Id, new DestroyOptions(), null, CancellationToken.None).Within();
        Assert.Equal(100, done);
        Assert.Equal(1, clients.Created);
        Assert.Equal(0, clients.Disposed);

        await context.DisposeAsync().Within();

        Assert.Equal(clients.Created, clients.Disposed);
        await Assert.ThrowsAsync<KompoxException>(() => apps.GetStatusAsync(web.Id, null, CancellationToken.None)).Within();
    }

    [Fact]
    public async Task An_edited_kubeconfig_gets_a_new_client_and_both_are_disposed()
    {
        var clients = new CountingClients();
        await using (var context = new KompoxContext(clients, new DriverFactory(fixture.Time), fixture.Store, TimeProvider.System))
        {
            var app = fixture.App(kubeconfig: harness.Kubeconfig);
            var apps = new AppOperations(context);
            await apps.GetStatusAsync(app.Id, null, CancellationToken.None).Within();
            File.SetLastWriteTimeUtc(harness.Kubeconfig, DateTime.UtcNow.AddMinutes(1));
            await apps.GetStatusAsync(app.Id, null, CancellationToken.None).Within();
            await apps.GetStatusAsync(app.Id, null, CancellationToken.None).Within();
            Assert.Equal(2, clients.Created);
        }

        Assert.Equal(2, clients.Disposed);
    }

    [Fact]
    public async Task One_credential_and_ARM_client_serve_every_cluster_of_a_provider_until_the_context_is_disposed()
    {
        var credentials = new List<DisposableCredential>();
        var options = new ArmClientOptions { Transport = new HttpClientTransport(new HttpClient(new NoNetwork())) };
        var factory = new DriverFactory(fixture.Time, new AzureConnector(_ => { var c = new DisposableCredential(); credentials.Add(c); return c; }, options));
        var context = new KompoxContext(fixture.Kube, factory, fixture.Store, fixture.Time);
        var first = Aks(fixture.App("web", driver: "aks"), "lab");
        var second = Aks(fixture.App("web", driver: "aks"), "staging");

        for (var i = 0; i < 50; i++)
        {
            Assert.IsType<AksRuntime>(context.Runtime(first.Cluster));
            Assert.IsType<AksRuntime>(context.Runtime(second.Cluster));
        }

        var credential = Assert.Single(credentials);
        Assert.False(credential.Disposed);
        await context.DisposeAsync().Within();
        Assert.True(credential.Disposed);
    }

    /// <summary>The app on a cluster of the given name of its aks provider, which names the subscription.</summary>
    private KompoxApp Aks(KompoxApp app, string clusterName)
    {
        var provider = new KompoxProvider { Name = app.Cluster.Provider.Name, Driver = "aks", Settings = new Dictionary<string, string> { ["AZURE_SUBSCRIPTION_ID"] = "00000000-0000-0000-0000-000000000001" }, Service = app.Cluster.Provider.Service };
        var cluster = new KompoxCluster { Name = clusterName, Provider = provider, Auth = app.Cluster.Auth, Ingress = app.Cluster.Ingress, Domain = app.Cluster.Domain, Settings = app.Cluster.Settings };
        var made = new KompoxApp { Name = app.Name, Cluster = cluster, Compose = app.Compose, Ingress = app.Ingress, Resources = app.Resources, Settings = app.Settings };
        fixture.Store.Add(made);
        return made;
    }

    /// <summary>The real kubeconfig clients, counted as they are made and disposed.</summary>
    private sealed class CountingClients : IKubeClientFactory
    {
        private readonly KubeconfigClientFactory real = new();
        private int created;
        private int disposed;

        public int Created => Volatile.Read(ref created);

        public int Disposed => Volatile.Read(ref disposed);

        public IKubernetes Create(KompoxCluster cluster, params DelegatingHandler[] handlers)
        {
            Interlocked.Increment(ref created);
            return new Counted(KubeconfigClientFactory.Configuration(cluster), handlers, () => Interlocked.Increment(ref disposed));
        }

        public string ClientKey(KompoxCluster cluster) => real.ClientKey(cluster);

        private sealed class Counted(KubernetesClientConfiguration configuration, DelegatingHandler[] handlers, Action onDispose) : Kubernetes(configuration, handlers)
        {
            protected override void Dispose(bool disposing)
            {
                onDispose();
                base.Dispose(disposing);
            }
        }
    }

    private sealed class DisposableCredential : TokenCredential, IDisposable
    {
        public bool Disposed { get; private set; }

        public void Dispose() => Disposed = true;

        public override AccessToken GetToken(TokenRequestContext requestContext, CancellationToken cancellationToken) => new("t", DateTimeOffset.UtcNow.AddHours(1));

        public override ValueTask<AccessToken> GetTokenAsync(TokenRequestContext requestContext, CancellationToken cancellationToken) => new(GetToken(requestContext, cancellationToken));
    }

    /// <summary>No request is expected: making the runtime signs in lazily, on the first request.</summary>
    private sealed class NoNetwork : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
            throw new InvalidOperationException($"unexpected request {request.Method} {request.RequestUri}");
    }
}
