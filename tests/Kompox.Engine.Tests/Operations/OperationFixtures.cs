using Kompox.Drivers;
using Kompox.Model;
using Kompox.Operations;
using Microsoft.Extensions.Time.Testing;

namespace Kompox.Tests.Operations;

/// <summary>A context of fakes: an in-memory API server, a clock the test moves, and K3s disks in a temporary directory.</summary>
internal sealed class OperationFixture : IDisposable
{
    public OperationFixture()
    {
        DataRoot = Directory.CreateTempSubdirectory("kompox-ops-").FullName;
        Context = new KompoxContext(Kube, new DriverFactory(Time), Store, Time, new InProcessAppLock(Time))
        {
            AppLockTimeout = TimeSpan.FromSeconds(30),
            Machine = Machine,
        };

        // The cluster's one node is the machine the context runs on, where its k3s disks are made.
        Kube.Answer("GET", "/api/v1/nodes", System.Net.HttpStatusCode.OK, k8s.KubernetesJson.Serialize(new k8s.Models.V1NodeList
        {
            Items = new List<k8s.Models.V1Node>
            {
                new()
                {
                    Metadata = new() { Name = "ops-node", Labels = new Dictionary<string, string> { ["kubernetes.io/hostname"] = Machine.HostName } },
                    Status = new() { NodeInfo = new() { MachineID = Machine.MachineId } },
                },
            },
        }));
    }

    /// <summary>The machine the context runs on.</summary>
    public MachineIdentity Machine { get; } = new("ops-node", "5f1e8b7a0c2d4e6f8a9b1c3d5e7f9a0b");

    public FakeKubeApi Kube { get; } = new();

    public FakeTimeProvider Time { get; } = new(new DateTimeOffset(2025, 8, 11, 12, 34, 56, TimeSpan.Zero));

    public string DataRoot { get; }

    public KompoxContext Context { get; }

    /// <summary>Every app <see cref="App"/> made, by id, where the operations find it.</summary>
    public ConfigFileStore Store { get; } = new();

    public const string Compose = """
        services:
          web:
            image: nginx:1.27
            ports: ["8080:80"]
            volumes: ["data:/usr/share/nginx/html"]
        volumes:
          data: {}
        """;

    /// <summary>A K3s app whose disks live under <see cref="DataRoot"/>; without a node setting, the node is asked of the cluster.</summary>
    /// <param name="kubeconfig">The cluster's kubeconfig, e.g. the API test server's; null for the default one.</param>
    public KompoxApp App(string name = "web", string driver = "k3s", string? kubeconfig = null, string compose = Compose)
    {
        var service = new KompoxService { Name = "ops" };
        var provider = new KompoxProvider { Name = driver + "1", Driver = driver, Settings = new Dictionary<string, string>(), Service = service };
        var cluster = new KompoxCluster
        {
            Name = "lab",
            Provider = provider,
            Auth = new ClusterAuth { Kubeconfig = kubeconfig },
            Ingress = new ClusterIngress(),
            Domain = "ops.example.com",
            Settings = driver == "k3s" ? new Dictionary<string, string> { ["K3S_DATA_ROOT"] = DataRoot } : new Dictionary<string, string>(),
        };
        var app = new KompoxApp
        {
            Name = name,
            Cluster = cluster,
            Compose = compose,
            Ingress = new Dictionary<string, string>(),
            Resources = new Dictionary<string, string> { ["cpu"] = "1", ["memory"] = "1Gi" },
            Settings = new Dictionary<string, string>(),
        };
        Store.Add(app);
        return app;
    }

    public K3sRuntime Runtime() => new(DataRoot, Time);

    public void Dispose() => Directory.Delete(DataRoot, recursive: true);
}
