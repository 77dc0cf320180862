using System.Net;
using System.Net.Sockets;
using k8s;
using Kompox.Model;
using Kompox.Operations;
using Kompox.Tests.KubeApi;

namespace Kompox.Tests.Operations;

/// <summary>The cluster ingress and the cluster status against the Kubernetes API test server, through the real kubeconfig client.</summary>
public sealed class ClusterIngressTests : IAsyncLifetime
{
    private readonly OperationFixture fixture = new();
    private KubeApiHarness harness = null!;

    public async Task InitializeAsync() => harness = await KubeApiHarness.StartAsync().Within();

    public async Task DisposeAsync()
    {
        await harness.DisposeAsync().Within();
        fixture.Dispose();
    }

    private static readonly string[] Expected =
    [
        "Namespace traefik", "ServiceAccount traefik/kompox-traefik-traefik", "ClusterRole kompox-traefik-traefik",
        "ClusterRoleBinding kompox-traefik-traefik", "IngressClass traefik", "PersistentVolumeClaim traefik/traefik-acme",
        "Deployment traefik/traefik", "Service traefik/traefik",
    ];

    [Fact]
    public async Task The_first_install_applies_every_object_and_the_second_changes_nothing()
    {
        var cluster = Cluster();
        var progress = new RecordedProgress();

        var status = await Operations().InitializeIngressAsync(cluster.Id, progress, CancellationToken.None).Within();

        Assert.Equal(Expected, ClusterOperations.DescribeIngress(cluster));
        var applies = harness.Server.Requests.Where(r => r.IsApply).ToList();
        Assert.Equal(Expected.Length, applies.Count);
        Assert.All(applies, r => Assert.Equal(("kompox", 201), (r.FieldManager, r.StatusCode)));
        Assert.All(applies, r => Assert.Contains("force=true", r.Query));
        Assert.NotNull(harness.Server.Peek("namespaces", null, "traefik"));
        Assert.NotNull(harness.Server.Peek("clusterroles", null, "kompox-traefik-traefik"));
        Assert.Equal("traefik.io/ingress-controller", harness.Server.Peek("ingressclasses", null, "traefik")!["spec"]!["controller"]!.ToString());
        Assert.NotNull(harness.Server.Peek("persistentvolumeclaims", "traefik", "traefik-acme"));
        Assert.Equal("LoadBalancer", harness.Server.Peek("services", "traefik", "traefik")!["spec"]!["type"]!.ToString());
        var deployment = harness.Server.Peek("deployments", "traefik", "traefik")!;
        Assert.Equal("Recreate", deployment["spec"]!["strategy"]!["type"]!.ToString());
        var container = deployment["spec"]!["template"]!["spec"]!["containers"]![0]!;
        Assert.Equal("traefik:v3.3.4", container["image"]!.ToString());
        var args = container["args"]!.AsArray().Select(a => a!.ToString()).ToList();
        Assert.Contains("--entryPoints.web.http.redirections.entryPoint.to=websecure", args);
        Assert.Contains("--providers.kubernetesingress.ingressclass=traefik", args);
        Assert.Contains("--certificatesresolvers.letsencrypt.acme.tlschallenge=true", args);
        Assert.Contains("--certificatesresolvers.letsencrypt.acme.storage=/data/acme.json", args);
        Assert.DoesNotContain(args, a => a.StartsWith("--providers.file", StringComparison.Ordinal));
        Assert.True(status.IngressInstalled);
        Assert.Contains(progress.Reports, r => r.Detail() == "PATCH /apis/apps/v1/namespaces/traefik/deployments/traefik?fieldManager=kompox&force=true");

        var changed = harness.Server.CountChangingWrites();
        harness.Server.ClearRequests();
        await Operations().InitializeIngressAsync(cluster.Id, null, CancellationToken.None).Within();

        Assert.Equal(Expected.Length, harness.Server.Requests.Count(r => r.IsApply && r.StatusCode == 200));
        Assert.Equal(0, harness.Server.CountChangingWrites());
        Assert.True(changed >= Expected.Length, $"the first install changed {changed} objects");
    }

    [Fact]
    public async Task A_default_certificate_secret_is_served_through_the_file_provider()
    {
        var cluster = Cluster(settings: new Dictionary<string, string> { ["INGRESS_DEFAULT_CERT_SECRET"] = "wildcard-tls" });

        await Operations().InitializeIngressAsync(cluster.Id, null, CancellationToken.None).Within();

        var config = harness.Server.Peek("configmaps", "traefik", "traefik-dynamic")!;
        var text = config["data"]!["default-cert.yml"]!.ToString();
        Assert.Contains("defaultCertificate:", text);
        Assert.Contains("certFile: /etc/traefik/default-cert/tls.crt", text);
        Assert.Contains("*.lab.example.com", text);
        var pod = harness.Server.Peek("deployments", "traefik", "traefik")!["spec"]!["template"]!["spec"]!;
        Assert.Contains(pod["volumes"]!.AsArray(), v => v!["secret"]?["secretName"]?.ToString() == "wildcard-tls");
        Assert.Contains("--providers.file.directory=/etc/traefik/dynamic", pod["containers"]![0]!["args"]!.AsArray().Select(a => a!.ToString()));
    }

    [Fact]
    public async Task The_status_tells_the_ingress_before_and_after_install_its_address_and_the_apps()
    {
        var cluster = Cluster();
        harness.Server.LoadBalancerAddress = null;

        var before = await Operations().GetStatusAsync(cluster.Id, null, CancellationToken.None).Within();

        Assert.Equal((false, false, null, null), (before.IngressInstalled, before.IngressReady, before.LoadBalancerIP, before.LoadBalancerHostName));
        Assert.Empty(before.Apps);
        Assert.Equal(harness.Server.BaseUri.GetLeftPart(UriPartial.Authority), before.Server);
        Assert.StartsWith("v1.32", before.ServerVersion);

        var pending = await Operations().InitializeIngressAsync(cluster.Id, null, CancellationToken.None).Within();
        Assert.True(pending.IngressInstalled);
        Assert.Null(pending.LoadBalancerIP);

        harness.Server.LoadBalancerAddress = "203.0.113.77";
        var client = harness.Client();
        await client.CoreV1.DeleteNamespacedServiceAsync("traefik", "traefik").Within();
        await ApplyNamespaceAsync(client, "k4x-web-abc123", new() { ["kompox.dev/app"] = "ops/k3s1/lab/web", ["kompox.dev/disk-current-id"] = "web-20250811123456-x1y2z3" }, managed: true).Within();
        await ApplyNamespaceAsync(client, "k4x-db-def456", new() { ["kompox.dev/app"] = "ops/k3s1/lab/db" }, managed: true).Within();
        await ApplyNamespaceAsync(client, "other", new() { ["kompox.dev/app"] = "not/ours/at/all" }, managed: false).Within();

        var after = await Operations().InitializeIngressAsync(cluster.Id, null, CancellationToken.None).Within();

        Assert.True(after.IngressInstalled);
        Assert.True(after.IngressReady);
        Assert.Equal("203.0.113.77", after.LoadBalancerIP);
        Assert.Equal(
            [new ClusterApp("ops/k3s1/lab/db", "k4x-db-def456", null), new ClusterApp("ops/k3s1/lab/web", "k4x-web-abc123", "web-20250811123456-x1y2z3")],
            after.Apps);
    }

    [Fact]
    public async Task A_rejected_token_is_an_authentication_error_naming_the_server()
    {
        var kubeconfig = harness.Server.WriteKubeconfig(Path.Combine(harness.Directory, "bad.kubeconfig"), "not-a-token", null);

        var error = await Assert.ThrowsAsync<KompoxException>(() => Operations().GetStatusAsync(Cluster(kubeconfig).Id, null, CancellationToken.None)).Within();

        Assert.Equal(("KubernetesUnauthenticated", ErrorKind.Unauthenticated), (error.ErrorId, error.Kind));
        Assert.Contains($"server {harness.Server.BaseUri.GetLeftPart(UriPartial.Authority)}", error.Message);
        Assert.Contains("answered 401", error.Message);
    }

    [Fact]
    public async Task An_unreachable_server_is_named_with_the_context()
    {
        // Bound but not listening: a connection to it is refused, and no other test can take the port meanwhile.
        using var closed = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        closed.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var port = ((IPEndPoint)closed.LocalEndPoint!).Port;
        var kubeconfig = Path.Combine(harness.Directory, "closed.kubeconfig");
        File.WriteAllText(kubeconfig, File.ReadAllText(harness.Kubeconfig).Replace(harness.Server.BaseUri.GetLeftPart(UriPartial.Authority), $"https://127.0.0.1:{port}"));

        var error = await Assert.ThrowsAsync<KompoxException>(() => Operations().InitializeIngressAsync(Cluster(kubeconfig, "kompox-test").Id, null, CancellationToken.None)).Within();

        Assert.Equal(("ConnectionFailed", ErrorKind.Unavailable), (error.ErrorId, error.Kind));
        Assert.Contains($"server https://127.0.0.1:{port}, context kompox-test", error.Message);
        Assert.Contains("ConnectionRefused", error.Message);
    }

    [Fact]
    public async Task A_missing_context_is_an_invalid_kubeconfig_naming_it()
    {
        var error = await Assert.ThrowsAsync<KompoxException>(() => Operations().GetStatusAsync(Cluster(context: "nowhere").Id, null, CancellationToken.None)).Within();

        Assert.Equal(("InvalidKubeconfig", ErrorKind.InvalidData), (error.ErrorId, error.Kind));
        Assert.Contains("nowhere", error.Message);
        Assert.Contains(harness.Kubeconfig, error.Message);
        Assert.Empty(harness.Server.Requests);
    }

    /// <summary>
    /// A default k3s install runs its bundled Traefik (k3s-io/k3s manifests/traefik.yaml, deployed by pkg/deploy; the
    /// HelmChart CRD is its helm-controller's, served only by a k3s server): Kompox's would get no ports and no IngressClass.
    /// </summary>
    [Fact]
    public async Task Initializing_next_to_k3s_bundled_Traefik_is_refused_naming_what_was_found_and_nothing_is_written()
    {
        harness.Server.SeedK3sBundledTraefik();
        harness.Server.ClearRequests();
        var cluster = Cluster();

        var error = await Assert.ThrowsAsync<KompoxException>(() => Operations().InitializeIngressAsync(cluster.Id, null, CancellationToken.None).Within());

        Assert.Equal(("BundledIngressPresent", ErrorKind.Conflict), (error.ErrorId, error.Kind));
        Assert.Contains("Deployment kube-system/traefik, HelmChart kube-system/traefik, IngressClass traefik (managed by Helm)", error.Message);
        Assert.Contains("--disable=traefik", error.Message);
        Assert.Equal(0, harness.Server.CountChangingWrites());
        Assert.Null(harness.Server.Peek("namespaces", null, "traefik"));

        var progress = new RecordedProgress();
        var status = await Operations().GetStatusAsync(cluster.Id, progress, CancellationToken.None).Within();
        Assert.Equal("Deployment kube-system/traefik, HelmChart kube-system/traefik, IngressClass traefik (managed by Helm)", status.BundledIngress);
        Assert.Contains(progress.Reports, r => r.Kind == ProgressKind.Warning && r.Status.Contains("--disable=traefik", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Any_one_part_of_the_bundled_Traefik_is_enough_to_refuse_and_Kompoxs_own_is_none()
    {
        var cluster = Cluster();
        await Operations().InitializeIngressAsync(cluster.Id, null, CancellationToken.None).Within();
        var status = await Operations().GetStatusAsync(cluster.Id, null, CancellationToken.None).Within();
        Assert.Null(status.BundledIngress);

        // Helm's IngressClass alone (k3s with the chart's Deployment gone but its IngressClass left) is another manager's.
        using var client = harness.Client();
        await client.NetworkingV1.DeleteIngressClassAsync("traefik").Within();
        await client.NetworkingV1.CreateIngressClassAsync(new k8s.Models.V1IngressClass
        {
            Metadata = new() { Name = "traefik", Labels = new Dictionary<string, string> { ["app.kubernetes.io/managed-by"] = "Helm" } },
            Spec = new() { Controller = "traefik.io/ingress-controller" },
        }).Within();

        var error = await Assert.ThrowsAsync<KompoxException>(() => Operations().InitializeIngressAsync(cluster.Id, null, CancellationToken.None).Within());
        Assert.Contains("IngressClass traefik (managed by Helm)", error.Message);
        Assert.DoesNotContain("Deployment", error.Message);
    }

    private static async Task ApplyNamespaceAsync(k8s.IKubernetes client, string name, Dictionary<string, string> annotations, bool managed)
    {
        var labels = managed ? new Dictionary<string, string> { ["app.kubernetes.io/managed-by"] = "kompox" } : null;
        await client.CoreV1.CreateNamespaceAsync(new k8s.Models.V1Namespace { ApiVersion = "v1", Kind = "Namespace", Metadata = new() { Name = name, Labels = labels, Annotations = annotations } }).Within();
    }

    private ClusterOperations Operations() =>
        new(new KompoxContext(new KubeconfigClientFactory(), fixture.Context.Drivers, fixture.Store, fixture.Time, fixture.Context.AppLock));

    private KompoxCluster Cluster(string? kubeconfig = null, string? context = null, IReadOnlyDictionary<string, string>? settings = null)
    {
        var cluster = fixture.App().Cluster;
        var made = new KompoxCluster
        {
            Name = cluster.Name,
            Provider = cluster.Provider,
            Auth = new ClusterAuth { Kubeconfig = kubeconfig ?? harness.Kubeconfig, Context = context },
            Ingress = new ClusterIngress { Namespace = "traefik" },
            Domain = "example.com",
            Settings = settings ?? new Dictionary<string, string>(),
        };
        fixture.Store.Add(made);
        return made;
    }
}
