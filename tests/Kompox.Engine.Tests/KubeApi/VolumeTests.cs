using System.Text.Json.Nodes;
using k8s;
using k8s.Models;
using Kompox.Testing.KubeApi;
using Microsoft.Extensions.Time.Testing;
using static Kompox.Tests.KubeApi.KubeApiHarness;

namespace Kompox.Tests.KubeApi;

/// <summary>
/// Volumes and claims as kube-apiserver and kube-controller-manager keep them: the protection finalizers
/// (plugin/pkg/admission/storage/storageobjectinuseprotection/admission.go adds them; pkg/controller/volume/pvcprotection/
/// pvc_protection_controller.go and pkg/controller/volume/pvprotection/pv_protection_controller.go remove them), the
/// binder (pkg/controller/volume/persistentvolume/pv_controller.go) and the granular claimRef (k8s.io/api core/v1
/// types.go, PersistentVolumeSpec.ClaimRef <c>+structType=granular</c>).
/// </summary>
public sealed class VolumeTests
{
    private static V1PersistentVolume Volume(string? claimUid = null) => new()
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
            // Pre-bound as Kompox writes it: kind, namespace and name, without the uid the binder fills in.
            ClaimRef = new() { ApiVersion = "v1", Kind = "PersistentVolumeClaim", NamespaceProperty = "app", Name = "data", Uid = claimUid },
        },
    };

    private static V1PersistentVolumeClaim Claim() => new()
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

    private static async Task<IKubernetes> BoundAsync(KubeApiHarness harness)
    {
        var client = harness.Client();
        await harness.CreateNamespaceAsync(client, "app").Within();
        await client.CoreV1.PatchPersistentVolumeAsync(Apply(Volume()), "disk-1", fieldManager: "kompox").Within();
        await client.CoreV1.PatchNamespacedPersistentVolumeClaimAsync(Apply(Claim()), "data", "app", fieldManager: "kompox").Within();
        return client;
    }

    private static async Task MountAsync(IKubernetes client)
    {
        var deployment = Deployment("app", "web", ("web", "nginx:1.27"));
        deployment.Spec.Template.Spec.Volumes = [new() { Name = "data", PersistentVolumeClaim = new() { ClaimName = "data" } }];
        await client.AppsV1.PatchNamespacedDeploymentAsync(Apply(deployment), "web", "app", fieldManager: "kompox").Within();
    }

    private static IEnumerable<string> PortKeys(V1ManagedFieldsEntry entry) =>
        ((JsonObject)JsonNode.Parse(KubernetesJson.Serialize(entry.FieldsV1))!["f:spec"]!["f:ports"]!).Select(p => p.Key).Where(k => k.StartsWith("k:", StringComparison.Ordinal));

    private static Task<V1PersistentVolumeClaim?> ClaimOrNull(IKubernetes client) =>
        Kompox.Kube.KubeObjects.ReadOrNullAsync(() => client.CoreV1.ReadNamespacedPersistentVolumeClaimAsync("data", "app"));

    private static Task<V1PersistentVolume?> VolumeOrNull(IKubernetes client) =>
        Kompox.Kube.KubeObjects.ReadOrNullAsync(() => client.CoreV1.ReadPersistentVolumeAsync("disk-1"));

    [Fact]
    public async Task A_new_volume_and_claim_get_their_protection_finalizers_and_bind_with_the_binders_full_claimRef()
    {
        await using var harness = await StartAsync().Within();
        var client = await BoundAsync(harness).Within();

        var claim = (await ClaimOrNull(client).Within())!;
        var volume = (await VolumeOrNull(client).Within())!;
        Assert.Equal(["kubernetes.io/pvc-protection"], claim.Metadata.Finalizers);
        Assert.Equal(["kubernetes.io/pv-protection"], volume.Metadata.Finalizers);
        Assert.Equal(("Bound", "Bound"), (claim.Status.Phase, volume.Status.Phase));
        Assert.Equal("yes", claim.Metadata.Annotations["pv.kubernetes.io/bind-completed"]);
        Assert.Equal(claim.Metadata.Uid, volume.Spec.ClaimRef.Uid);
        Assert.False(string.IsNullOrEmpty(volume.Spec.ClaimRef.ResourceVersion));
    }

    [Fact]
    public async Task An_apply_of_the_claimRef_without_uid_leaves_the_uid_the_binders_update_owns()
    {
        await using var harness = await StartAsync().Within();
        var client = await BoundAsync(harness).Within();
        var uid = (await ClaimOrNull(client).Within())!.Metadata.Uid;

        var applied = await client.CoreV1.PatchPersistentVolumeAsync(Apply(Volume()), "disk-1", fieldManager: "kompox", force: true).Within();

        Assert.Equal(uid, applied.Spec.ClaimRef.Uid);
        Assert.Equal("Bound", (await ClaimOrNull(client).Within())!.Status.Phase);
        var binder = applied.Metadata.ManagedFields.Single(m => m.Manager == "kube-controller-manager");
        Assert.Equal("Update", binder.Operation);
        var owned = KubernetesJson.Serialize(binder.FieldsV1);
        Assert.Contains("\"f:uid\"", owned, StringComparison.Ordinal);
        Assert.Contains("\"f:resourceVersion\"", owned, StringComparison.Ordinal);
        Assert.DoesNotContain("\"f:uid\"", KubernetesJson.Serialize(applied.Metadata.ManagedFields.Single(m => m.Manager == "kompox").FieldsV1), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_claim_a_scheduled_Pod_mounts_stays_terminating_until_the_Pod_is_gone()
    {
        await using var harness = await StartAsync().Within();
        var client = await BoundAsync(harness).Within();
        await MountAsync(client).Within();

        var deleted = await client.CoreV1.DeleteNamespacedPersistentVolumeClaimAsync("data", "app").Within();

        Assert.NotNull(deleted.Metadata.DeletionTimestamp);
        var terminating = (await ClaimOrNull(client).Within())!;
        Assert.NotNull(terminating.Metadata.DeletionTimestamp);
        Assert.Equal(["kubernetes.io/pvc-protection"], terminating.Metadata.Finalizers);

        await client.AppsV1.DeleteNamespacedDeploymentAsync("web", "app").Within();

        Assert.Null(await ClaimOrNull(client).Within());
        // Its volume keeps the gone claim's uid: Released, and with Retain it stays so.
        var volume = (await VolumeOrNull(client).Within())!;
        Assert.Equal("Released", volume.Status.Phase);
        Assert.Equal(terminating.Metadata.Uid, volume.Spec.ClaimRef.Uid);
    }

    [Fact]
    public async Task A_bound_volume_deleted_stays_until_its_claim_is_gone()
    {
        await using var harness = await StartAsync().Within();
        var client = await BoundAsync(harness).Within();

        await client.CoreV1.DeletePersistentVolumeAsync("disk-1").Within();

        var volume = (await VolumeOrNull(client).Within())!;
        Assert.NotNull(volume.Metadata.DeletionTimestamp);
        Assert.Equal("Bound", volume.Status.Phase);
        Assert.Equal(["kubernetes.io/pv-protection"], volume.Metadata.Finalizers);

        await client.CoreV1.DeleteNamespacedPersistentVolumeClaimAsync("data", "app").Within();

        Assert.Null(await ClaimOrNull(client).Within());
        Assert.Null(await VolumeOrNull(client).Within());
    }

    [Fact]
    public async Task A_released_volume_binds_a_new_claim_of_the_same_name_only_once_its_uid_is_removed()
    {
        await using var harness = await StartAsync().Within();
        var client = await BoundAsync(harness).Within();
        var oldUid = (await ClaimOrNull(client).Within())!.Metadata.Uid;
        await client.CoreV1.DeleteNamespacedPersistentVolumeClaimAsync("data", "app").Within();
        Assert.Null(await ClaimOrNull(client).Within());

        await client.CoreV1.PatchPersistentVolumeAsync(Apply(Volume()), "disk-1", fieldManager: "kompox", force: true).Within();
        await client.CoreV1.PatchNamespacedPersistentVolumeClaimAsync(Apply(Claim()), "data", "app", fieldManager: "kompox").Within();

        var pending = (await ClaimOrNull(client).Within())!;
        Assert.Equal("Pending", pending.Status.Phase);
        Assert.Equal(oldUid, (await VolumeOrNull(client).Within())!.Spec.ClaimRef.Uid);
        var events = await client.CoreV1.ListNamespacedEventAsync("app", fieldSelector: "involvedObject.name=data").Within();
        Assert.Contains(events.Items, e => e.Reason == "FailedBinding" && e.Message == "volume \"disk-1\" already bound to a different claim.");

        // What kubectl patch pv does by hand.
        var patch = new V1Patch("""[{"op":"remove","path":"/spec/claimRef/uid"},{"op":"remove","path":"/spec/claimRef/resourceVersion"}]""", V1Patch.PatchType.JsonPatch);
        await client.CoreV1.PatchPersistentVolumeAsync(patch, "disk-1").Within();

        var bound = (await ClaimOrNull(client).Within())!;
        Assert.Equal("Bound", bound.Status.Phase);
        Assert.Equal(bound.Metadata.Uid, (await VolumeOrNull(client).Within())!.Spec.ClaimRef.Uid);
    }

    [Fact]
    public async Task The_protection_finalizers_take_the_latency_the_test_sets_on_the_servers_clock()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2025, 8, 11, 12, 0, 0, TimeSpan.Zero));
        await using var harness = await StartAsync(time).Within();
        harness.Server.ProtectionLatency = TimeSpan.FromSeconds(10);
        var client = await BoundAsync(harness).Within();

        await client.CoreV1.DeleteNamespacedPersistentVolumeClaimAsync("data", "app").Within();
        time.Advance(TimeSpan.FromSeconds(9));
        Assert.NotNull(await ClaimOrNull(client).Within());

        time.Advance(TimeSpan.FromSeconds(1));
        Assert.Null(await ClaimOrNull(client).Within());
    }

    [Fact]
    public async Task The_same_port_number_over_TCP_and_UDP_is_two_items_of_the_port_lists()
    {
        // k8s.io/api core/v1 types.go: ServiceSpec.Ports and Container.Ports are list maps keyed by port (containerPort)
        // and protocol, so two managers may each own one protocol of port 53.
        await using var harness = await StartAsync().Within();
        var client = harness.Client();
        await harness.CreateNamespaceAsync(client, "app").Within();
        V1Service Service(string protocol) => new()
        {
            ApiVersion = "v1",
            Kind = "Service",
            Metadata = new() { Name = "dns", NamespaceProperty = "app" },
            Spec = new() { Selector = new Dictionary<string, string> { ["app"] = "dns" }, Ports = [new() { Name = "dns-" + protocol.ToLowerInvariant(), Port = 53, Protocol = protocol }] },
        };

        await client.CoreV1.PatchNamespacedServiceAsync(Apply(Service("TCP")), "dns", "app", fieldManager: "one").Within();
        var both = await client.CoreV1.PatchNamespacedServiceAsync(Apply(Service("UDP")), "dns", "app", fieldManager: "two").Within();

        Assert.Equal(["TCP", "UDP"], both.Spec.Ports.Select(p => p.Protocol));
        Assert.Equal(["k:{\"port\":53,\"protocol\":\"UDP\"}"], PortKeys(both.Metadata.ManagedFields.Single(m => m.Manager == "two")));

        V1Deployment Pod(string protocol)
        {
            var deployment = Deployment("app", "dns", ("dns", "coredns/coredns:1.11.1"));
            deployment.Spec.Template.Spec.Containers[0].Ports = [new() { Name = "dns-" + protocol.ToLowerInvariant(), ContainerPort = 53, Protocol = protocol }];
            return deployment;
        }

        await client.AppsV1.PatchNamespacedDeploymentAsync(Apply(Pod("TCP")), "dns", "app", fieldManager: "one").Within();
        var pod = await client.AppsV1.PatchNamespacedDeploymentAsync(Apply(Pod("UDP")), "dns", "app", fieldManager: "two", force: true).Within();

        Assert.Equal(["TCP", "UDP"], pod.Spec.Template.Spec.Containers[0].Ports.Select(p => p.Protocol));
    }

    [Fact]
    public async Task A_port_without_protocol_is_stored_and_keyed_as_TCP()
    {
        await using var harness = await StartAsync().Within();
        var client = harness.Client();
        await harness.CreateNamespaceAsync(client, "app").Within();
        var service = new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "Service",
            ["metadata"] = new JsonObject { ["name"] = "web" },
            ["spec"] = new JsonObject { ["ports"] = new JsonArray(new JsonObject { ["port"] = 80 }) },
        };

        var (code, body) = await harness.RawAsync(HttpMethod.Patch, "/api/v1/namespaces/app/services/web?fieldManager=one", harness.Server.AdminToken, "application/apply-patch+yaml", service.ToJsonString()).Within();

        Assert.True(code == 201, body);
        var stored = await client.CoreV1.ReadNamespacedServiceAsync("web", "app").Within();
        Assert.Equal("TCP", stored.Spec.Ports.Single().Protocol);
        Assert.Equal(["k:{\"port\":80,\"protocol\":\"TCP\"}"], PortKeys(stored.Metadata.ManagedFields.Single()));
    }
}
