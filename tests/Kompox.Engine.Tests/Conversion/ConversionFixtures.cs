using Kompox.Compose;
using Kompox.Conversion;
using Kompox.Model;
using Kompox.Testing;

namespace Kompox.Tests.Conversion;

/// <summary>Builds apps and compose projects in code, so that each test states only what it is about.</summary>
internal static class ConversionFixtures
{
    /// <summary>
    /// Converts and holds every object to what kube-apiserver would accept and to what kubectl reads back from the
    /// written manifest, so no test passes on a manifest a cluster refuses or a user's tooling misreads.
    /// </summary>
    public static AppManifest ConvertValid(KompoxApp app, ComposeProject project, string? diskId, AppConversionOptions? options = null)
    {
        var manifest = AppConverter.Convert(app, project, diskId, options);
        ManifestValidator.AssertValid(manifest.Objects);
        KubectlReadBack.AssertSame(manifest.Objects);
        return manifest;
    }

    public static readonly SourceMark At = new(3, 5);

    public static KompoxApp App(
        string driver = "k3s",
        string name = "my-app",
        IReadOnlyDictionary<string, string>? ingress = null,
        IReadOnlyDictionary<string, string>? resources = null,
        IReadOnlyDictionary<string, string>? clusterSettings = null,
        IReadOnlyDictionary<string, string>? appSettings = null)
    {
        var service = new KompoxService { Name = "ops", ConfigPath = "/home/me/kompoxops.yml" };
        var provider = new KompoxProvider { Name = driver + "1", Driver = driver, Settings = new Dictionary<string, string>(), Service = service };
        var cluster = new KompoxCluster
        {
            Name = "lab",
            Provider = provider,
            Auth = new ClusterAuth(),
            Ingress = new ClusterIngress { Namespace = "traefik" },
            Domain = "ops.example.com",
            Settings = clusterSettings ?? (driver == "k3s" ? new Dictionary<string, string> { ["K3S_NODE_NAME"] = "node1" } : new Dictionary<string, string>()),
        };
        return new KompoxApp
        {
            Name = name,
            Cluster = cluster,
            Compose = "",
            ComposePath = "/home/me/compose.yml",
            Ingress = ingress ?? new Dictionary<string, string>(),
            Resources = resources ?? new Dictionary<string, string> { ["cpu"] = "1", ["memory"] = "2Gi" },
            Settings = appSettings ?? new Dictionary<string, string>(),
        };
    }

    public const string K3sDisk = "disk-20250811-a";
    public const string AksDisk = "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-apps/providers/Microsoft.Compute/disks/my-app-1";

    // Not a well-known image: two of them listen on no port of their own, so fixtures of several services share one Pod
    // network without a clash (PodNetworkTests).
    public static ComposeService Service(string name, string image = "example/app:1.0") => new()
    {
        Name = name,
        At = At,
        Image = image,
        Environment = new Dictionary<string, string>(),
        Ports = Array.Empty<ComposePort>(),
        Expose = Array.Empty<ComposeExpose>(),
        Volumes = Array.Empty<ComposeMount>(),
        Configs = Array.Empty<ComposeFileMount>(),
        Secrets = Array.Empty<ComposeFileMount>(),
        Tmpfs = Array.Empty<ComposeTmpfs>(),
        Devices = Array.Empty<string>(),
        CapAdd = Array.Empty<string>(),
        CapDrop = Array.Empty<string>(),
        Marks = new Dictionary<string, SourceMark>(),
    };

    public static ComposePort Port(int target, int? published = null, int index = 0, PortProtocol protocol = PortProtocol.Tcp, string? publishedText = null) =>
        new(target, published, publishedText, protocol, null, null, $"ports[{index}]", At);

    public static ComposeExpose Expose(int port, int index = 0) => new(port, PortProtocol.Tcp, $"expose[{index}]", At);

    public static ComposeMount Volume(string name, string target, int index = 0, bool readOnly = false, string? subPath = null) =>
        new(MountKind.Volume, name, null, target, readOnly, subPath, $"volumes[{index}]", At);

    public static ComposeMount Bind(string source, string target, int index = 0, bool readOnly = false) =>
        new(MountKind.Bind, source, "/home/me/" + source, target, readOnly, null, $"volumes[{index}]", At);

    public static ComposeMount File(string source, string target, byte[] content, int index = 0, bool readOnly = true) =>
        new(MountKind.File, source, "/home/me/" + source, target, readOnly, null, $"volumes[{index}]", At) { FileContent = content };

    public static ComposeMount Anonymous(string target, int index = 0) =>
        new(MountKind.Anonymous, null, null, target, false, null, $"volumes[{index}]", At);

    public static ComposeProject Project(
        IEnumerable<ComposeService> services,
        IEnumerable<string>? volumes = null,
        IReadOnlyDictionary<string, string>? configs = null,
        IReadOnlyDictionary<string, string>? secrets = null) => new()
    {
        Services = services.ToList(),
        Volumes = (volumes ?? Array.Empty<string>()).ToDictionary(v => v, v => new ComposeVolume(v, At)),
        Configs = (configs ?? new Dictionary<string, string>()).ToDictionary(c => c.Key, c => new ComposeContent(c.Key, System.Text.Encoding.UTF8.GetBytes(c.Value), At)),
        Secrets = (secrets ?? new Dictionary<string, string>()).ToDictionary(c => c.Key, c => new ComposeContent(c.Key, System.Text.Encoding.UTF8.GetBytes(c.Value), At)),
        Warnings = Array.Empty<Diagnostic>(),
    };

    public static ComposeProject Project(params ComposeService[] services) => Project(services, volumes: null);

    /// <summary>The examples/gitea compose file, as the loader would give it.</summary>
    public static ComposeProject Gitea()
    {
        var server = Service("server", "docker.gitea.com/gitea:1.24.5") with
        {
            Environment = new Dictionary<string, string>
            {
                ["GITEA__database__DB_TYPE"] = "postgres",
                ["GITEA__database__HOST"] = "db:5432",
                ["GITEA__database__PASSWD"] = "s3cret-password",
                ["USER_UID"] = "1000",
            },
            Ports = new[] { Port(3000, 80) },
            Volumes = new[] { Volume("gitea", "/data") },
            Healthcheck = new ComposeHealthcheck(
                HealthcheckKind.Exec,
                new[] { "curl", "-fsS", "http://localhost:3000/api/healthz" },
                TimeSpan.FromSeconds(30),
                TimeSpan.FromSeconds(5),
                3,
                TimeSpan.FromSeconds(20),
                At),
        };
        var db = Service("db", "postgres:16-alpine") with
        {
            Environment = new Dictionary<string, string>
            {
                ["PGDATA"] = "/var/lib/postgresql/data/pgdata",
                ["POSTGRES_PASSWORD"] = "s3cret-password",
            },
            Volumes = new[] { Volume("db", "/var/lib/postgresql/data") },
            Expose = new[] { Expose(5432) },
            Healthcheck = new ComposeHealthcheck(HealthcheckKind.Shell, new[] { "pg_isready -U gitea" }, TimeSpan.FromSeconds(10), TimeSpan.FromMilliseconds(4500), 5, null, At),
        };
        return Project(new[] { db, server }, volumes: new[] { "db", "gitea" });
    }
}
