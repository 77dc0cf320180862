using k8s;
using k8s.Models;
using static Kompox.Tests.KubeApi.KubeApiHarness;

namespace Kompox.Tests.KubeApi;

public sealed class CrudTests
{
    [Fact]
    public async Task CreateTwiceIsAlreadyExistsAndStaleUpdateIsConflict()
    {
        await using var harness = await StartAsync().Within();
        var client = harness.Client();
        await harness.CreateNamespaceAsync(client, "app").Within();
        var created = await client.CoreV1.CreateNamespacedConfigMapAsync(ConfigMap("app", "conf", new Dictionary<string, string> { ["a"] = "1" }), "app").Within();

        var (exists, existsStatus) = await FailureAsync(() => client.CoreV1.CreateNamespacedConfigMapAsync(ConfigMap("app", "conf", new Dictionary<string, string>()), "app")).Within();
        Assert.Equal(409, exists);
        Assert.Equal("AlreadyExists", existsStatus["reason"]!.ToString());

        created.Data["a"] = "2";
        var updated = await client.CoreV1.ReplaceNamespacedConfigMapAsync(created, "conf", "app").Within();
        Assert.NotEqual(created.Metadata.ResourceVersion, updated.Metadata.ResourceVersion);

        created.Data["a"] = "3";
        var (stale, staleStatus) = await FailureAsync(() => client.CoreV1.ReplaceNamespacedConfigMapAsync(created, "conf", "app")).Within();
        Assert.Equal(409, stale);
        Assert.Equal("Conflict", staleStatus["reason"]!.ToString());
        Assert.Contains("the object has been modified", staleStatus["message"]!.ToString(), StringComparison.Ordinal);
        Assert.Equal("2", (await client.CoreV1.ReadNamespacedConfigMapAsync("conf", "app").Within()).Data["a"]);
    }

    /// <summary>
    /// A lost race (KubeApiServer.Races.cs): the winner's writes land before the chosen request, which the server then
    /// answers by its own rules, as kube-apiserver's generic registry does (staging/src/k8s.io/apiserver/pkg/registry/
    /// generic/registry/store.go): a stale PUT is 409 Conflict, a create of a name now taken 409 AlreadyExists, each with
    /// a Status body; other requests, and the winner's own, are served as usual, and the race is run once.
    /// </summary>
    [Fact]
    public async Task AWriteThatLosesARaceIsAnsweredAsTheRegistryAnswersTheLoser()
    {
        await using var harness = await StartAsync().Within();
        var client = harness.Client();
        await harness.CreateNamespaceAsync(client, "app").Within();
        var read = await client.CoreV1.CreateNamespacedConfigMapAsync(ConfigMap("app", "conf", new Dictionary<string, string> { ["a"] = "1" }), "app").Within();
        var winnerRan = 0;
        harness.Server.LoseRace("update", "configmaps", "conf", async token =>
        {
            winnerRan++;
            var current = await client.CoreV1.ReadNamespacedConfigMapAsync("conf", "app", cancellationToken: token).Within();
            current.Data["a"] = "winner";
            await client.CoreV1.ReplaceNamespacedConfigMapAsync(current, "conf", "app", cancellationToken: token).Within();
        });
        harness.Server.LoseRace("create", "configmaps", "second", token => client.CoreV1.CreateNamespacedConfigMapAsync(ConfigMap("app", "second", new Dictionary<string, string> { ["by"] = "winner" }), "app", cancellationToken: token));

        await client.CoreV1.CreateNamespacedConfigMapAsync(ConfigMap("app", "other", new Dictionary<string, string>()), "app").Within();
        read.Data["a"] = "loser";
        var (stale, staleStatus) = await FailureAsync(() => client.CoreV1.ReplaceNamespacedConfigMapAsync(read, "conf", "app")).Within();
        var (exists, existsStatus) = await FailureAsync(() => client.CoreV1.CreateNamespacedConfigMapAsync(ConfigMap("app", "second", new Dictionary<string, string> { ["by"] = "loser" }), "app")).Within();

        Assert.Equal((409, "Conflict", "Status"), (stale, staleStatus["reason"]!.ToString(), staleStatus["kind"]!.ToString()));
        Assert.Equal("Operation cannot be fulfilled on configmaps \"conf\": the object has been modified; please apply your changes to the latest version and try again", staleStatus["message"]!.ToString());
        Assert.Equal((409, "AlreadyExists"), (exists, existsStatus["reason"]!.ToString()));
        Assert.Equal("winner", (await client.CoreV1.ReadNamespacedConfigMapAsync("conf", "app").Within()).Data["a"]);
        Assert.Equal("winner", (await client.CoreV1.ReadNamespacedConfigMapAsync("second", "app").Within()).Data["by"]);

        // Once: the next stale-free write goes through, and the winner did not run again.
        var current = await client.CoreV1.ReadNamespacedConfigMapAsync("conf", "app").Within();
        current.Data["a"] = "loser";
        await client.CoreV1.ReplaceNamespacedConfigMapAsync(current, "conf", "app").Within();
        Assert.Equal(1, winnerRan);
        Assert.Equal(
            ["create 201", "create 201", "get 200", "update 200", "update 409", "create 201", "create 409", "get 200", "get 200", "get 200", "update 200"],
            harness.Server.Requests.Where(r => r.Path.Contains("/configmaps", StringComparison.Ordinal)).Select(r => $"{r.Verb} {r.StatusCode}"));
    }

    [Fact]
    public async Task MissingObjectsAndNamespacesAreNotFound()
    {
        await using var harness = await StartAsync().Within();
        var client = harness.Client();
        var (missing, status) = await FailureAsync(() => client.CoreV1.ReadNamespacedConfigMapAsync("conf", "default")).Within();
        Assert.Equal(404, missing);
        Assert.Equal("NotFound", status["reason"]!.ToString());
        Assert.Equal("configmaps \"conf\" not found", status["message"]!.ToString());

        var (noNamespace, nsStatus) = await FailureAsync(() => client.CoreV1.CreateNamespacedConfigMapAsync(ConfigMap("nowhere", "conf", new Dictionary<string, string>()), "nowhere")).Within();
        Assert.Equal(404, noNamespace);
        Assert.Equal("namespaces \"nowhere\" not found", nsStatus["message"]!.ToString());

        var (applyMissing, _) = await FailureAsync(() => client.CoreV1.PatchNamespacedConfigMapAsync(Apply(ConfigMap("nowhere", "conf", new Dictionary<string, string>())), "conf", "nowhere", fieldManager: "kompox")).Within();
        Assert.Equal(404, applyMissing);
    }

    [Fact]
    public async Task ValidatorRejectionIsInvalidNamingTheField()
    {
        await using var harness = await StartAsync().Within();
        var client = harness.Client();
        await harness.CreateNamespaceAsync(client, "app").Within();
        var (code, status) = await FailureAsync(() => client.CoreV1.CreateNamespacedConfigMapAsync(ConfigMap("app", "Bad_Name", new Dictionary<string, string>()), "app")).Within();
        Assert.Equal(422, code);
        Assert.Equal("Invalid", status["reason"]!.ToString());
        Assert.StartsWith("ConfigMap \"Bad_Name\" is invalid: metadata.name: Invalid value: \"Bad_Name\"", status["message"]!.ToString(), StringComparison.Ordinal);
        Assert.Contains(status["details"]!["causes"]!.AsArray(), c => c!["field"]!.ToString() == "metadata.name" && c["reason"]!.ToString() == "FieldValueInvalid");

        var deployment = Deployment("app", "web", ("web", "nginx:1.27"));
        deployment.Spec.Template.Spec.Containers[0].SecurityContext = new() { Privileged = true };
        var (privileged, privilegedStatus) = await FailureAsync(() => client.AppsV1.PatchNamespacedDeploymentAsync(Apply(deployment), "web", "app", fieldManager: "kompox")).Within();
        Assert.Equal(422, privileged);
        Assert.Contains(privilegedStatus["details"]!["causes"]!.AsArray(), c => c!["field"]!.ToString().Contains("privileged", StringComparison.Ordinal));
        Assert.Empty(harness.Server.PeekAll("deployments", "app"));
    }

    [Fact]
    public async Task ImmutableFieldsAreRejectedOnUpdate()
    {
        await using var harness = await StartAsync().Within();
        var client = harness.Client();
        await harness.CreateNamespaceAsync(client, "app").Within();

        var volume = new V1PersistentVolume
        {
            ApiVersion = "v1",
            Kind = "PersistentVolume",
            Metadata = new() { Name = "disk-1" },
            Spec = new()
            {
                Capacity = new Dictionary<string, ResourceQuantity> { ["storage"] = new("10Gi") },
                AccessModes = ["ReadWriteOnce"],
                PersistentVolumeReclaimPolicy = "Retain",
                StorageClassName = "",
                Csi = new() { Driver = "disk.csi.azure.com", VolumeHandle = "/subscriptions/s/disk-1" },
            },
        };
        await client.CoreV1.PatchPersistentVolumeAsync(Apply(volume), "disk-1", fieldManager: "kompox").Within();
        volume.Spec.Csi.VolumeHandle = "/subscriptions/s/disk-2";
        var (pv, pvStatus) = await FailureAsync(() => client.CoreV1.PatchPersistentVolumeAsync(Apply(volume), "disk-1", fieldManager: "kompox")).Within();
        Assert.Equal(422, pv);
        Assert.Contains("persistentvolumesource is immutable", pvStatus["message"]!.ToString(), StringComparison.Ordinal);

        var claim = new V1PersistentVolumeClaim
        {
            ApiVersion = "v1",
            Kind = "PersistentVolumeClaim",
            Metadata = new() { Name = "data", NamespaceProperty = "app" },
            Spec = new()
            {
                AccessModes = ["ReadWriteOnce"],
                StorageClassName = "",
                VolumeName = "disk-1",
                Resources = new() { Requests = new Dictionary<string, ResourceQuantity> { ["storage"] = new("10Gi") } },
            },
        };
        await client.CoreV1.PatchNamespacedPersistentVolumeClaimAsync(Apply(claim), "data", "app", fieldManager: "kompox").Within();
        Assert.Equal("Bound", (await client.CoreV1.ReadNamespacedPersistentVolumeClaimAsync("data", "app").Within()).Status.Phase);
        Assert.Equal("data", (await client.CoreV1.ReadPersistentVolumeAsync("disk-1").Within()).Spec.ClaimRef.Name);
        claim.Spec.VolumeName = "disk-2";
        var (rebind, _) = await FailureAsync(() => client.CoreV1.PatchNamespacedPersistentVolumeClaimAsync(Apply(claim), "data", "app", fieldManager: "kompox")).Within();
        Assert.Equal(422, rebind);
        claim.Spec.VolumeName = "disk-1";
        claim.Spec.AccessModes = ["ReadWriteMany"];
        Assert.Equal(422, (await FailureAsync(() => client.CoreV1.PatchNamespacedPersistentVolumeClaimAsync(Apply(claim), "data", "app", fieldManager: "kompox")).Within()).Code);
        claim.Spec.AccessModes = ["ReadWriteOnce"];
        // Growing a bound claim passes validation but not the PersistentVolumeClaimResize admission plugin
        // (plugin/pkg/admission/storage/persistentvolume/resize/admission.go): a static claim (storageClassName "") never grows.
        claim.Spec.Resources.Requests["storage"] = new ResourceQuantity("20Gi");
        var (grow, growStatus) = await FailureAsync(() => client.CoreV1.PatchNamespacedPersistentVolumeClaimAsync(Apply(claim), "data", "app", fieldManager: "kompox")).Within();
        Assert.Equal((403, "Forbidden"), (grow, growStatus["reason"]!.ToString()));
        Assert.Equal("persistentvolumeclaims \"data\" is forbidden: only dynamically provisioned pvc can be resized and the storageclass that provisions the pvc must support resize", growStatus["message"]!.ToString());
        Assert.Equal("10Gi", (await client.CoreV1.ReadNamespacedPersistentVolumeClaimAsync("data", "app").Within()).Spec.Resources.Requests["storage"].ToString());
        claim.Spec.Resources.Requests["storage"] = new ResourceQuantity("5Gi");
        var (shrink, shrinkStatus) = await FailureAsync(() => client.CoreV1.PatchNamespacedPersistentVolumeClaimAsync(Apply(claim), "data", "app", fieldManager: "kompox")).Within();
        Assert.Equal(422, shrink);
        Assert.Contains("spec.resources.requests.storage", shrinkStatus["message"]!.ToString(), StringComparison.Ordinal);

        var deployment = Deployment("app", "web", ("web", "nginx:1.27"));
        await client.AppsV1.PatchNamespacedDeploymentAsync(Apply(deployment), "web", "app", fieldManager: "kompox").Within();
        deployment.Spec.Selector.MatchLabels["tier"] = "front";
        deployment.Spec.Template.Metadata.Labels["tier"] = "front";
        var (selector, selectorStatus) = await FailureAsync(() => client.AppsV1.PatchNamespacedDeploymentAsync(Apply(deployment), "web", "app", fieldManager: "kompox")).Within();
        Assert.Equal(422, selector);
        Assert.Contains("spec.selector", selectorStatus["message"]!.ToString(), StringComparison.Ordinal);

        var service = new V1Service
        {
            ApiVersion = "v1",
            Kind = "Service",
            Metadata = new() { Name = "web", NamespaceProperty = "app" },
            Spec = new() { Selector = new Dictionary<string, string> { ["app"] = "web" }, Ports = [new() { Name = "http", Port = 80, TargetPort = 8080 }] },
        };
        var createdService = await client.CoreV1.PatchNamespacedServiceAsync(Apply(service), "web", "app", fieldManager: "kompox").Within();
        Assert.StartsWith("10.96.0.", createdService.Spec.ClusterIP, StringComparison.Ordinal);
        createdService.Spec.ClusterIP = "10.96.9.9";
        createdService.Spec.ClusterIPs = ["10.96.9.9"];
        var (clusterIp, _) = await FailureAsync(() => client.CoreV1.ReplaceNamespacedServiceAsync(createdService, "web", "app")).Within();
        Assert.Equal(422, clusterIp);

        var frozen = ConfigMap("app", "frozen", new Dictionary<string, string> { ["a"] = "1" });
        frozen.Immutable = true;
        await client.CoreV1.CreateNamespacedConfigMapAsync(frozen, "app").Within();
        var (data, dataStatus) = await FailureAsync(() => client.CoreV1.PatchNamespacedConfigMapAsync(new V1Patch("""{"data":{"a":"2"}}""", V1Patch.PatchType.MergePatch), "frozen", "app")).Within();
        Assert.Equal(422, data);
        Assert.Contains("field is immutable when `immutable` is set", dataStatus["message"]!.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ListFiltersByLabelAndFieldSelectors()
    {
        await using var harness = await StartAsync().Within();
        var client = harness.Client();
        await harness.CreateNamespaceAsync(client, "app").Within();
        await client.CoreV1.CreateNamespacedConfigMapAsync(ConfigMap("app", "a", new Dictionary<string, string>(), new Dictionary<string, string> { ["app"] = "a", ["tier"] = "front" }), "app").Within();
        await client.CoreV1.CreateNamespacedConfigMapAsync(ConfigMap("app", "b", new Dictionary<string, string>(), new Dictionary<string, string> { ["app"] = "b" }), "app").Within();
        await client.CoreV1.CreateNamespacedConfigMapAsync(ConfigMap("app", "c", new Dictionary<string, string>(), new Dictionary<string, string> { ["app"] = "c", ["tier"] = "back" }), "app").Within();

        async Task<string> Names(string? labels, string? fields = null) =>
            string.Join(",", (await client.CoreV1.ListNamespacedConfigMapAsync("app", labelSelector: labels, fieldSelector: fields).Within()).Items.Select(i => i.Metadata.Name));

        // kube-root-ca.crt is the root CA publisher's, in every namespace, with no labels: a selector on a missing
        // label's absence (!=, !) matches it, as apimachinery's labels.Selector does.
        Assert.Equal("a,b,c,kube-root-ca.crt", await Names(null).Within());
        Assert.Equal("a", await Names("app=a").Within());
        Assert.Equal("b,c,kube-root-ca.crt", await Names("app!=a").Within());
        Assert.Equal("a,b", await Names("app in (a, b)").Within());
        Assert.Equal("c,kube-root-ca.crt", await Names("app notin (a,b)").Within());
        Assert.Equal("a,c", await Names("tier").Within());
        Assert.Equal("b,kube-root-ca.crt", await Names("!tier").Within());
        Assert.Equal("c", await Names("tier,app!=a").Within());
        Assert.Equal("b", await Names(null, "metadata.name=b").Within());
        var (bad, _) = await FailureAsync(() => client.CoreV1.ListNamespacedConfigMapAsync("app", labelSelector: "app in a")).Within();
        Assert.Equal(400, bad);
    }

    [Fact]
    public async Task DeletingANamespaceDeletesWhatIsInIt()
    {
        await using var harness = await StartAsync().Within();
        var client = harness.Client();
        await harness.CreateNamespaceAsync(client, "app").Within();
        await harness.CreateNamespaceAsync(client, "other").Within();
        await client.CoreV1.CreateNamespacedConfigMapAsync(ConfigMap("app", "conf", new Dictionary<string, string>()), "app").Within();
        await client.CoreV1.CreateNamespacedConfigMapAsync(ConfigMap("other", "conf", new Dictionary<string, string>()), "other").Within();
        await client.AppsV1.PatchNamespacedDeploymentAsync(Apply(Deployment("app", "web", ("web", "nginx:1.27"))), "web", "app", fieldManager: "kompox").Within();
        Assert.Single(harness.Server.PeekAll("pods", "app"));

        var deleted = await client.CoreV1.DeleteNamespaceAsync("app").Within();
        Assert.NotNull(deleted);
        var (code, _) = await FailureAsync(() => client.CoreV1.ReadNamespacedConfigMapAsync("conf", "app")).Within();
        Assert.Equal(404, code);
        Assert.Empty(harness.Server.PeekAll("pods", "app"));
        Assert.Empty(harness.Server.PeekAll("replicasets", "app"));
        Assert.NotNull(await client.CoreV1.ReadNamespacedConfigMapAsync("conf", "other").Within());
    }

    [Fact]
    public async Task DeletingADeploymentCollectsItsReplicaSetsAndPods()
    {
        await using var harness = await StartAsync().Within();
        var client = harness.Client();
        await harness.CreateNamespaceAsync(client, "app").Within();
        await client.AppsV1.PatchNamespacedDeploymentAsync(Apply(Deployment("app", "web", ("web", "nginx:1.27"))), "web", "app", fieldManager: "kompox").Within();
        await client.AppsV1.DeleteNamespacedDeploymentAsync("web", "app").Within();
        Assert.Empty((await client.AppsV1.ListNamespacedReplicaSetAsync("app").Within()).Items);
        Assert.Empty((await client.CoreV1.ListNamespacedPodAsync("app").Within()).Items);
    }

    [Fact]
    public async Task JsonPatchAppliesItsOperationsOrNoneOfThem()
    {
        await using var harness = await StartAsync().Within();
        var client = harness.Client();
        await harness.CreateNamespaceAsync(client, "app").Within();
        await client.AppsV1.PatchNamespacedDeploymentAsync(Apply(Deployment("app", "web", ("web", "nginx:1.27"))), "web", "app", fieldManager: "kompox").Within();
        var patched = await client.AppsV1.PatchNamespacedDeploymentAsync(new V1Patch("""
            [{"op":"test","path":"/spec/template/spec/containers/0/name","value":"web"},
             {"op":"replace","path":"/spec/template/spec/containers/0/image","value":"nginx:1.28"},
             {"op":"add","path":"/metadata/labels","value":{"tier":"front"}}]
            """, V1Patch.PatchType.JsonPatch), "web", "app").Within();
        Assert.Equal("nginx:1.28", patched.Spec.Template.Spec.Containers[0].Image);
        Assert.Equal("front", patched.Metadata.Labels["tier"]);

        var (code, _) = await FailureAsync(() => client.AppsV1.PatchNamespacedDeploymentAsync(new V1Patch("""
            [{"op":"replace","path":"/spec/template/spec/containers/0/image","value":"nginx:1.29"},
             {"op":"test","path":"/spec/replicas","value":3}]
            """, V1Patch.PatchType.JsonPatch), "web", "app")).Within();
        Assert.Equal(422, code);
        Assert.Equal("nginx:1.28", (await client.AppsV1.ReadNamespacedDeploymentAsync("web", "app").Within()).Spec.Template.Spec.Containers[0].Image);
        Assert.Equal(404, (await FailureAsync(() => client.AppsV1.PatchNamespacedDeploymentAsync(new V1Patch("""[{"op":"remove","path":"/x"}]""", V1Patch.PatchType.JsonPatch), "nope", "app")).Within()).Code);
    }

    [Fact]
    public async Task MergeAndStrategicPatchesChangeOnlyWhatTheyName()
    {
        await using var harness = await StartAsync().Within();
        var client = harness.Client();
        await harness.CreateNamespaceAsync(client, "app").Within();
        var ns = await client.CoreV1.PatchNamespaceAsync(new V1Patch("""{"metadata":{"annotations":{"kompox.dev/disk-current-id":"d1"}}}""", V1Patch.PatchType.MergePatch), "app", fieldManager: "kompox").Within();
        Assert.Equal("d1", ns.Metadata.Annotations["kompox.dev/disk-current-id"]);
        ns = await client.CoreV1.PatchNamespaceAsync(new V1Patch("""{"metadata":{"annotations":{"kompox.dev/disk-current-id":null,"kompox.dev/disk-previous-id":"d1"}}}""", V1Patch.PatchType.MergePatch), "app").Within();
        Assert.Equal(["kompox.dev/disk-previous-id"], ns.Metadata.Annotations.Keys);

        await client.AppsV1.PatchNamespacedDeploymentAsync(Apply(Deployment("app", "web", ("web", "nginx:1.27"), ("db", "postgres:17"))), "web", "app", fieldManager: "kompox").Within();
        var patched = await client.AppsV1.PatchNamespacedDeploymentAsync(
            new V1Patch("""{"spec":{"template":{"spec":{"containers":[{"name":"db","image":"postgres:18"}]}}}}""", V1Patch.PatchType.StrategicMergePatch), "web", "app").Within();
        Assert.Equal(["nginx:1.27", "postgres:18"], patched.Spec.Template.Spec.Containers.Select(c => c.Image));
        var restarted = await client.AppsV1.PatchNamespacedDeploymentAsync(
            new V1Patch("""{"spec":{"replicas":0}}""", V1Patch.PatchType.MergePatch), "web", "app").Within();
        Assert.Equal(0, restarted.Spec.Replicas);
        Assert.Empty((await client.CoreV1.ListNamespacedPodAsync("app").Within()).Items);
    }
}
