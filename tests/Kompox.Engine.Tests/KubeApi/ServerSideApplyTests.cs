using k8s;
using k8s.Models;
using static Kompox.Tests.KubeApi.KubeApiHarness;

namespace Kompox.Tests.KubeApi;

public sealed class ServerSideApplyTests
{
    private static Dictionary<string, string> Data(params (string Key, string Value)[] pairs) => pairs.ToDictionary(p => p.Key, p => p.Value);

    [Fact]
    public async Task ApplyCreatesThenRepeatsAsNoOpThenChangesAndRemovesFields()
    {
        await using var harness = await StartAsync().Within();
        var client = harness.Client();
        await harness.CreateNamespaceAsync(client, "app").Within();

        var created = await client.CoreV1.PatchNamespacedConfigMapAsync(Apply(ConfigMap("app", "conf", Data(("a", "1"), ("b", "2")))), "conf", "app", fieldManager: "kompox", force: true).Within();
        Assert.Equal(Data(("a", "1"), ("b", "2")), created.Data);
        var managed = Assert.Single(created.Metadata.ManagedFields);
        Assert.Equal(("kompox", "Apply"), (managed.Manager, managed.Operation));

        var again = await client.CoreV1.PatchNamespacedConfigMapAsync(Apply(ConfigMap("app", "conf", Data(("a", "1"), ("b", "2")))), "conf", "app", fieldManager: "kompox", force: true).Within();
        Assert.Equal(created.Metadata.ResourceVersion, again.Metadata.ResourceVersion);

        var changed = await client.CoreV1.PatchNamespacedConfigMapAsync(Apply(ConfigMap("app", "conf", Data(("a", "1"), ("b", "3")))), "conf", "app", fieldManager: "kompox", force: true).Within();
        Assert.NotEqual(created.Metadata.ResourceVersion, changed.Metadata.ResourceVersion);
        Assert.Equal("3", changed.Data["b"]);

        var removed = await client.CoreV1.PatchNamespacedConfigMapAsync(Apply(ConfigMap("app", "conf", Data(("a", "1")))), "conf", "app", fieldManager: "kompox", force: true).Within();
        Assert.Equal(Data(("a", "1")), removed.Data);
        Assert.Equal(Data(("a", "1")), (await client.CoreV1.ReadNamespacedConfigMapAsync("conf", "app").Within()).Data);
    }

    [Fact]
    public async Task AnotherManagersDifferentValueConflictsUnlessForced()
    {
        await using var harness = await StartAsync().Within();
        var client = harness.Client();
        await harness.CreateNamespaceAsync(client, "app").Within();
        await client.CoreV1.PatchNamespacedConfigMapAsync(Apply(ConfigMap("app", "conf", Data(("a", "1"), ("b", "2")))), "conf", "app", fieldManager: "kompox").Within();

        var (code, status) = await FailureAsync(() => client.CoreV1.PatchNamespacedConfigMapAsync(Apply(ConfigMap("app", "conf", Data(("a", "9")))), "conf", "app", fieldManager: "other", force: false)).Within();
        Assert.Equal(409, code);
        Assert.Equal("Conflict", status["reason"]!.ToString());
        var cause = Assert.Single(status["details"]!["causes"]!.AsArray());
        Assert.Equal("FieldManagerConflict", cause!["reason"]!.ToString());
        Assert.Equal(".data.a", cause["field"]!.ToString());
        Assert.Contains("\"kompox\"", cause["message"]!.ToString(), StringComparison.Ordinal);
        Assert.Equal("1", (await client.CoreV1.ReadNamespacedConfigMapAsync("conf", "app").Within()).Data["a"]);

        var forced = await client.CoreV1.PatchNamespacedConfigMapAsync(Apply(ConfigMap("app", "conf", Data(("a", "9")))), "conf", "app", fieldManager: "other", force: true).Within();
        Assert.Equal("9", forced.Data["a"]);
        Assert.Equal("2", forced.Data["b"]);
        var owners = forced.Metadata.ManagedFields.ToDictionary(m => m.Manager, m => m.FieldsV1.ToString() ?? "");
        Assert.Contains("f:a", KubernetesJson.Serialize(forced.Metadata.ManagedFields.Single(m => m.Manager == "other").FieldsV1), StringComparison.Ordinal);
        Assert.DoesNotContain("f:a", KubernetesJson.Serialize(forced.Metadata.ManagedFields.Single(m => m.Manager == "kompox").FieldsV1), StringComparison.Ordinal);
        Assert.Equal(2, owners.Count);

        // Now kompox is the one that conflicts: the field moved to "other".
        var (back, _) = await FailureAsync(() => client.CoreV1.PatchNamespacedConfigMapAsync(Apply(ConfigMap("app", "conf", Data(("a", "1"), ("b", "2")))), "conf", "app", fieldManager: "kompox")).Within();
        Assert.Equal(409, back);
    }

    [Fact]
    public async Task FieldsChangedByAnUpdateBelongToItsManager()
    {
        await using var harness = await StartAsync().Within();
        var client = harness.Client();
        await harness.CreateNamespaceAsync(client, "app").Within();
        await client.CoreV1.PatchNamespacedConfigMapAsync(Apply(ConfigMap("app", "conf", Data(("a", "1"), ("b", "2")))), "conf", "app", fieldManager: "kompox").Within();
        await client.CoreV1.PatchNamespacedConfigMapAsync(new V1Patch("""{"data":{"a":"5","c":"3"}}""", V1Patch.PatchType.MergePatch), "conf", "app", fieldManager: "kubectl-edit").Within();

        var (code, status) = await FailureAsync(() => client.CoreV1.PatchNamespacedConfigMapAsync(Apply(ConfigMap("app", "conf", Data(("a", "1"), ("b", "2")))), "conf", "app", fieldManager: "kompox")).Within();
        Assert.Equal(409, code);
        Assert.StartsWith("conflict with \"kubectl-edit\" using v1 at 20", status["details"]!["causes"]![0]!["message"]!.ToString(), StringComparison.Ordinal);

        // Forced, the applier takes "a" back; "c" belongs to the editor and stays although the applier never set it.
        var forced = await client.CoreV1.PatchNamespacedConfigMapAsync(Apply(ConfigMap("app", "conf", Data(("a", "1"), ("b", "2")))), "conf", "app", fieldManager: "kompox", force: true).Within();
        Assert.Equal(Data(("a", "1"), ("b", "2"), ("c", "3")), forced.Data);
        var editor = forced.Metadata.ManagedFields.Single(m => m.Manager == "kubectl-edit");
        Assert.Equal("Update", editor.Operation);
        Assert.DoesNotContain("f:a", KubernetesJson.Serialize(editor.FieldsV1), StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnUpdateByTheApplierIsAnotherManager()
    {
        await using var harness = await StartAsync().Within();
        var client = harness.Client();
        await harness.CreateNamespaceAsync(client, "app").Within();
        await client.CoreV1.PatchNamespacedConfigMapAsync(Apply(ConfigMap("app", "conf", Data(("a", "1")))), "conf", "app", fieldManager: "kompox").Within();
        await client.CoreV1.PatchNamespacedConfigMapAsync(new V1Patch("""{"data":{"a":"2"}}""", V1Patch.PatchType.MergePatch), "conf", "app", fieldManager: "kompox").Within();
        var (code, _) = await FailureAsync(() => client.CoreV1.PatchNamespacedConfigMapAsync(Apply(ConfigMap("app", "conf", Data(("a", "3")))), "conf", "app", fieldManager: "kompox")).Within();
        Assert.Equal(409, code);
    }

    [Fact]
    public async Task FieldDroppedByOneManagerStaysWhileAnotherOwnsIt()
    {
        await using var harness = await StartAsync().Within();
        var client = harness.Client();
        await harness.CreateNamespaceAsync(client, "app").Within();
        await client.CoreV1.PatchNamespacedConfigMapAsync(Apply(ConfigMap("app", "conf", Data(("a", "1"), ("b", "2")))), "conf", "app", fieldManager: "kompox").Within();
        // The same value applied by a second manager is shared ownership, not a conflict.
        await client.CoreV1.PatchNamespacedConfigMapAsync(Apply(ConfigMap("app", "conf", Data(("b", "2")))), "conf", "app", fieldManager: "other").Within();

        var result = await client.CoreV1.PatchNamespacedConfigMapAsync(Apply(ConfigMap("app", "conf", Data(("a", "1")))), "conf", "app", fieldManager: "kompox").Within();
        Assert.Equal(Data(("a", "1"), ("b", "2")), result.Data);
    }

    [Fact]
    public async Task ContainersMergeByNameAndNoOpKeepsGeneration()
    {
        await using var harness = await StartAsync().Within();
        var client = harness.Client();
        await harness.CreateNamespaceAsync(client, "app").Within();
        var deployment = Deployment("app", "web", ("web", "nginx:1.27"));
        var first = await client.AppsV1.PatchNamespacedDeploymentAsync(Apply(deployment), "web", "app", fieldManager: "kompox").Within();
        Assert.Equal(1, first.Metadata.Generation);

        var sidecar = new V1Deployment
        {
            ApiVersion = "apps/v1",
            Kind = "Deployment",
            Metadata = new() { Name = "web", NamespaceProperty = "app" },
            Spec = new() { Template = new() { Spec = new() { Containers = [new() { Name = "sidecar", Image = "busybox:1.37", Resources = new() { Limits = new Dictionary<string, ResourceQuantity> { ["cpu"] = new("100m"), ["memory"] = new("64Mi") } } }] } } },
        };
        var merged = await client.AppsV1.PatchNamespacedDeploymentAsync(Apply(sidecar), "web", "app", fieldManager: "injector").Within();
        Assert.Equal(["web", "sidecar"], merged.Spec.Template.Spec.Containers.Select(c => c.Name));
        Assert.Equal(2, merged.Metadata.Generation);

        var reapplied = await client.AppsV1.PatchNamespacedDeploymentAsync(Apply(deployment), "web", "app", fieldManager: "kompox").Within();
        Assert.Equal(merged.Metadata.ResourceVersion, reapplied.Metadata.ResourceVersion);
        Assert.Equal(2, reapplied.Metadata.Generation);
        Assert.Equal(["web", "sidecar"], reapplied.Spec.Template.Spec.Containers.Select(c => c.Name));

        deployment.Spec.Template.Spec.Containers[0].Image = "nginx:1.28";
        var updated = await client.AppsV1.PatchNamespacedDeploymentAsync(Apply(deployment), "web", "app", fieldManager: "kompox").Within();
        Assert.Equal(3, updated.Metadata.Generation);
        Assert.Equal("nginx:1.28", updated.Spec.Template.Spec.Containers.Single(c => c.Name == "web").Image);
        Assert.Equal("busybox:1.37", updated.Spec.Template.Spec.Containers.Single(c => c.Name == "sidecar").Image);
    }

    [Fact]
    public async Task ApplyWithoutFieldManagerOrWithUnknownFieldIsRejected()
    {
        await using var harness = await StartAsync().Within();
        var client = harness.Client();
        await harness.CreateNamespaceAsync(client, "app").Within();

        var (code, _) = await FailureAsync(() => client.CoreV1.PatchNamespacedConfigMapAsync(Apply(ConfigMap("app", "conf", Data(("a", "1")))), "conf", "app")).Within();
        Assert.Equal(400, code);

        var (unknown, status) = await FailureAsync(() => client.CoreV1.PatchNamespacedConfigMapAsync(
            new V1Patch("""{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"conf"},"spec":{"x":1}}""", V1Patch.PatchType.ApplyPatch), "conf", "app", fieldManager: "kompox")).Within();
        Assert.Equal(422, unknown);
        Assert.Contains("spec", status["message"]!.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task YamlApplyBodyIsReadLikeJson()
    {
        await using var harness = await StartAsync().Within();
        var client = harness.Client();
        await harness.CreateNamespaceAsync(client, "app").Within();
        const string yaml = """
            apiVersion: v1
            kind: ConfigMap
            metadata:
              name: conf
              labels: {app.kubernetes.io/name: web}
            data:
              port: "8080"
              enabled: "true"
            """;
        var (code, body) = await harness.RawAsync(HttpMethod.Patch, "/api/v1/namespaces/app/configmaps/conf?fieldManager=kompox", harness.Server.AdminToken, "application/apply-patch+yaml", yaml).Within();
        Assert.True(code == 201, body);
        var result = await client.CoreV1.ReadNamespacedConfigMapAsync("conf", "app").Within();
        Assert.Equal(Data(("port", "8080"), ("enabled", "true")), result.Data);
        Assert.Equal("web", result.Metadata.Labels["app.kubernetes.io/name"]);
    }
}
