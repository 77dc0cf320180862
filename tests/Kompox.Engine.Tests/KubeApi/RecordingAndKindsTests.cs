using k8s;
using k8s.Models;
using static Kompox.Tests.KubeApi.KubeApiHarness;

namespace Kompox.Tests.KubeApi;

public sealed class RecordingAndKindsTests
{
    [Fact]
    public async Task RequestsAreRecordedAndOnlyRealChangesCountAsWrites()
    {
        await using var harness = await StartAsync().Within();
        var client = harness.Client();
        await harness.CreateNamespaceAsync(client, "app").Within();
        harness.Server.ClearRequests();

        var data = new Dictionary<string, string> { ["a"] = "1" };
        await client.CoreV1.PatchNamespacedConfigMapAsync(Apply(ConfigMap("app", "conf", data)), "conf", "app", fieldManager: "kompox", force: true).Within();
        await client.CoreV1.PatchNamespacedConfigMapAsync(Apply(ConfigMap("app", "conf", data)), "conf", "app", fieldManager: "kompox", force: true).Within();
        await client.CoreV1.ReadNamespacedConfigMapAsync("conf", "app").Within();
        await FailureAsync(() => client.CoreV1.PatchNamespacedConfigMapAsync(Apply(ConfigMap("app", "conf", new Dictionary<string, string> { ["a"] = "2" })), "conf", "app", fieldManager: "other")).Within();
        await client.CoreV1.PatchNamespacedConfigMapAsync(Apply(ConfigMap("app", "conf", new Dictionary<string, string> { ["a"] = "3" })), "conf", "app", fieldManager: "kompox", force: true).Within();

        var requests = harness.Server.Requests;
        Assert.Equal(["patch", "patch", "get", "patch", "patch"], requests.Select(r => r.Verb));
        Assert.Equal([201, 200, 200, 409, 200], requests.Select(r => r.StatusCode));
        Assert.Equal([true, false, false, false, true], requests.Select(r => r.Changed));
        Assert.All(requests.Where(r => r.Verb == "patch"), r => Assert.True(r.IsApply));
        Assert.Equal(["kompox", "kompox", null, "other", "kompox"], requests.Select(r => r.FieldManager));
        Assert.Equal("/api/v1/namespaces/app/configmaps/conf", requests[0].Path);
        Assert.Contains("force=true", requests[0].Query, StringComparison.Ordinal);
        Assert.Equal(2, harness.Server.CountChangingWrites());
    }

    [Fact]
    public async Task DeletedPodOfADeploymentIsReplaced()
    {
        await using var harness = await StartAsync().Within();
        var client = harness.Client();
        await harness.CreateNamespaceAsync(client, "app").Within();
        await client.AppsV1.PatchNamespacedDeploymentAsync(Apply(Deployment("app", "web", ("web", "nginx:1.27"))), "web", "app", fieldManager: "kompox").Within();
        var first = Assert.Single((await client.CoreV1.ListNamespacedPodAsync("app").Within()).Items);
        await client.CoreV1.DeleteNamespacedPodAsync(first.Metadata.Name, "app").Within();
        var second = Assert.Single((await client.CoreV1.ListNamespacedPodAsync("app").Within()).Items);
        Assert.NotEqual(first.Metadata.Name, second.Metadata.Name);
        Assert.Equal(first.Metadata.Labels["pod-template-hash"], second.Metadata.Labels["pod-template-hash"]);
        Assert.Equal("Running", second.Status.Phase);
    }

    [Fact]
    public async Task ClusterKindsAreValidated()
    {
        await using var harness = await StartAsync().Within();
        var client = harness.Client();
        await harness.CreateNamespaceAsync(client, "traefik").Within();

        var binding = new V1ClusterRoleBinding
        {
            ApiVersion = "rbac.authorization.k8s.io/v1",
            Kind = "ClusterRoleBinding",
            Metadata = new() { Name = "traefik" },
            RoleRef = new() { ApiGroup = "rbac.authorization.k8s.io", Kind = "Role", Name = "traefik" },
            Subjects = [new() { Kind = "ServiceAccount", Name = "traefik" }],
        };
        var (code, status) = await FailureAsync(() => client.RbacAuthorizationV1.PatchClusterRoleBindingAsync(Apply(binding), "traefik", fieldManager: "kompox")).Within();
        Assert.Equal(422, code);
        var fields = status["details"]!["causes"]!.AsArray().Select(c => c!["field"]!.ToString()).ToList();
        Assert.Equal(["roleRef.kind", "subjects[0].namespace"], fields);
        binding.RoleRef.Kind = "ClusterRole";
        binding.Subjects[0].NamespaceProperty = "traefik";
        Assert.NotNull(await client.RbacAuthorizationV1.PatchClusterRoleBindingAsync(Apply(binding), "traefik", fieldManager: "kompox").Within());

        var role = new V1ClusterRole
        {
            ApiVersion = "rbac.authorization.k8s.io/v1",
            Kind = "ClusterRole",
            Metadata = new() { Name = "traefik" },
            Rules = [new() { ApiGroups = [""], Resources = ["services"], NonResourceURLs = ["/metrics"], Verbs = ["get"] }],
        };
        Assert.Equal(422, (await FailureAsync(() => client.RbacAuthorizationV1.PatchClusterRoleAsync(Apply(role), "traefik", fieldManager: "kompox")).Within()).Code);

        var ingressClass = new V1IngressClass { ApiVersion = "networking.k8s.io/v1", Kind = "IngressClass", Metadata = new() { Name = "traefik" }, Spec = new() { Controller = "traefik" } };
        var (classCode, classStatus) = await FailureAsync(() => client.NetworkingV1.PatchIngressClassAsync(Apply(ingressClass), "traefik", fieldManager: "kompox")).Within();
        Assert.Equal(422, classCode);
        Assert.Contains("spec.controller", classStatus["message"]!.ToString(), StringComparison.Ordinal);
        ingressClass.Spec.Controller = "traefik.io/ingress-controller";
        Assert.NotNull(await client.NetworkingV1.PatchIngressClassAsync(Apply(ingressClass), "traefik", fieldManager: "kompox").Within());

        var lease = new V1Lease { ApiVersion = "coordination.k8s.io/v1", Kind = "Lease", Metadata = new() { Name = "kompox-app-lock", NamespaceProperty = "traefik" }, Spec = new() { HolderIdentity = "runner-1", LeaseDurationSeconds = 0 } };
        Assert.Equal(422, (await FailureAsync(() => client.CoordinationV1.CreateNamespacedLeaseAsync(lease, "traefik")).Within()).Code);
        lease.Spec.LeaseDurationSeconds = 30;
        var created = await client.CoordinationV1.CreateNamespacedLeaseAsync(lease, "traefik").Within();
        created.Spec.HolderIdentity = "runner-2";
        Assert.Equal("runner-2", (await client.CoordinationV1.ReplaceNamespacedLeaseAsync(created, "kompox-app-lock", "traefik").Within()).Spec.HolderIdentity);
        created.Spec.HolderIdentity = "runner-3";
        Assert.Equal(409, (await FailureAsync(() => client.CoordinationV1.ReplaceNamespacedLeaseAsync(created, "kompox-app-lock", "traefik")).Within()).Code);

        var pod = new V1Pod { ApiVersion = "v1", Kind = "Pod", Metadata = new() { Name = "probe", NamespaceProperty = "traefik" }, Spec = new() { RestartPolicy = "Sometimes", Containers = [new() { Name = "probe", Image = "busybox:1.37" }] } };
        var (podCode, podStatus) = await FailureAsync(() => client.CoreV1.CreateNamespacedPodAsync(pod, "traefik")).Within();
        Assert.Equal(422, podCode);
        Assert.Contains(podStatus["details"]!["causes"]!.AsArray(), c => c!["field"]!.ToString() == "spec.restartPolicy");
    }

    [Fact]
    public async Task LoadBalancerServiceGetsTheConfiguredAddressAndWritesWithoutManagerAreNamedByUserAgent()
    {
        await using var harness = await StartAsync().Within();
        var client = harness.Client();
        await harness.CreateNamespaceAsync(client, "traefik").Within();
        var service = new V1Service
        {
            ApiVersion = "v1",
            Kind = "Service",
            Metadata = new() { Name = "traefik", NamespaceProperty = "traefik" },
            Spec = new() { Type = "LoadBalancer", Selector = new Dictionary<string, string> { ["app"] = "traefik" }, Ports = [new() { Name = "websecure", Port = 443, TargetPort = 8443 }] },
        };
        await client.CoreV1.CreateNamespacedServiceAsync(service, "traefik").Within();
        var read = await client.CoreV1.ReadNamespacedServiceAsync("traefik", "traefik").Within();
        Assert.Equal("203.0.113.10", read.Status.LoadBalancer.Ingress.Single().Ip);
        var creator = Assert.Single(read.Metadata.ManagedFields);
        Assert.Equal(("Update", false), (creator.Operation, creator.Manager is "unknown" or ""));

        harness.Server.LoadBalancerAddress = null;
        service.Metadata.Name = "pending";
        await client.CoreV1.CreateNamespacedServiceAsync(service, "traefik").Within();
        Assert.Null((await client.CoreV1.ReadNamespacedServiceAsync("pending", "traefik").Within()).Status?.LoadBalancer?.Ingress);
    }

    [Fact]
    public async Task DiscoveryListsTheKindsKompoxTouches()
    {
        await using var harness = await StartAsync().Within();
        var client = harness.Client();
        var core = await client.CoreV1.GetAPIResourcesAsync().Within();
        var pods = core.Resources.Single(r => r.Name == "pods");
        Assert.True(pods.Namespaced);
        Assert.Contains("po", pods.ShortNames);
        Assert.Contains(core.Resources, r => r.Name == "pods/log");
        Assert.Contains(core.Resources, r => r.Name == "serviceaccounts/token" && r.Kind == "TokenRequest");
        Assert.False(core.Resources.Single(r => r.Name == "persistentvolumes").Namespaced);
        var groups = (await client.Apis.GetAPIVersionsAsync().Within()).Groups.Select(g => g.Name).ToList();
        Assert.Equal(["apps", "networking.k8s.io", "rbac.authorization.k8s.io", "coordination.k8s.io", "authorization.k8s.io"], groups);
        Assert.Contains((await client.CoordinationV1.GetAPIResourcesAsync().Within()).Resources, r => r.Name == "leases");
        Assert.Equal("v1.32.0", (await client.Version.GetCodeAsync().Within()).GitVersion);
    }
}
