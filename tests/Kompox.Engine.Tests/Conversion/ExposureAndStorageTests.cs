using k8s.Models;
using Kompox.Compose;
using Kompox.Conversion;
using Kompox.Drivers;
using Xunit;
using static Kompox.Tests.Conversion.AppConverterTests;
using static Kompox.Tests.Conversion.ConversionFixtures;

namespace Kompox.Tests.Conversion;

public class ExposureAndStorageTests
{
    private static AppManifest ConvertWeb(IReadOnlyDictionary<string, string>? ingress = null, params ComposePort[] ports) =>
        ConvertValid(App(ingress: ingress), Project(Service("web") with { Ports = ports }), K3sDisk);

    [Fact]
    public void Port_80_gets_the_app_host_and_other_ports_a_port_suffixed_host()
    {
        var manifest = ConvertWeb(null, Port(3000, 80, 0), Port(8080, 8443, 1));

        var web = Find<V1Ingress>(manifest, "my-app-80");
        Assert.Equal("my-app.lab.ops.example.com", Assert.Single(web.Spec.Rules).Host);
        var other = Find<V1Ingress>(manifest, "my-app-8443");
        Assert.Equal("my-app-8443.lab.ops.example.com", Assert.Single(other.Spec.Rules).Host);
        var backend = other.Spec.Rules[0].Http.Paths[0].Backend.Service;
        Assert.Equal(("my-app-8443", 8443), (backend.Name, backend.Port.Number!.Value));
    }

    [Fact]
    public void Each_exposed_port_has_a_service_targeting_the_container_port()
    {
        var manifest = ConvertWeb(null, Port(3000, 8080));

        var service = Find<V1Service>(manifest, "my-app-8080");
        var port = Assert.Single(service.Spec.Ports);
        Assert.Equal(8080, port.Port);
        Assert.Equal("3000", port.TargetPort.Value);
        Assert.Equal("my-app", service.Spec.Selector["app.kubernetes.io/name"]);
    }

    [Fact]
    public void A_port_without_published_part_is_exposed_as_itself()
    {
        var manifest = ConvertWeb(null, Port(80));

        Assert.Equal("my-app.lab.ops.example.com", Find<V1Ingress>(manifest, "my-app-80").Spec.Rules[0].Host);
    }

    [Fact]
    public void Expose_makes_no_service_and_no_ingress()
    {
        var manifest = ConvertValid(App(), Project(Service("db") with { Expose = new[] { Expose(5432) } }), K3sDisk);

        Assert.Empty(manifest.Objects.OfType<V1Service>());
        Assert.Empty(manifest.Objects.OfType<V1Ingress>());
    }

    [Fact]
    public void Ingresses_use_traefik_websecure_with_tls()
    {
        var ingress = Find<V1Ingress>(ConvertWeb(null, Port(80)), "my-app-80");

        Assert.Equal("traefik", ingress.Spec.IngressClassName);
        Assert.Equal("websecure", ingress.Metadata.Annotations["traefik.ingress.kubernetes.io/router.entrypoints"]);
        Assert.Equal("true", ingress.Metadata.Annotations["traefik.ingress.kubernetes.io/router.tls"]);
        Assert.False(ingress.Metadata.Annotations.ContainsKey("traefik.ingress.kubernetes.io/router.tls.certresolver"));
        var path = ingress.Spec.Rules[0].Http.Paths[0];
        Assert.Equal(("/", "Prefix"), (path.Path, path.PathType));
    }

    [Fact]
    public void A_custom_host_gets_its_own_ingress_with_the_certificate_resolver()
    {
        var manifest = ConvertWeb(new Dictionary<string, string> { ["http_80"] = "www.my-app.org" }, Port(80));

        var custom = Find<V1Ingress>(manifest, "my-app-80-custom");
        Assert.Equal("www.my-app.org", custom.Spec.Rules[0].Host);
        Assert.Equal("letsencrypt", custom.Metadata.Annotations["traefik.ingress.kubernetes.io/router.tls.certresolver"]);
        Assert.Equal("my-app-80", custom.Spec.Rules[0].Http.Paths[0].Backend.Service.Name);
    }

    [Fact]
    public void Network_policy_admits_only_the_app_namespace_and_the_ingress_namespace()
    {
        var manifest = ConvertWeb(null, Port(80));
        var policy = Find<V1NetworkPolicy>(manifest, "my-app");

        Assert.Empty(policy.Spec.PodSelector.MatchLabels ?? new Dictionary<string, string>());
        Assert.Equal(new[] { "Ingress" }, policy.Spec.PolicyTypes);
        var peers = Assert.Single(policy.Spec.Ingress).FromProperty;
        Assert.Equal(
            new[] { manifest.Namespace, "traefik" },
            peers.Select(p => p.NamespaceSelector.MatchLabels["kubernetes.io/metadata.name"]));
    }

    [Fact]
    public void K3s_disk_is_a_local_volume_pinned_to_the_node_and_retained()
    {
        var app = App(clusterSettings: new Dictionary<string, string> { ["K3S_NODE_NAME"] = "node1", ["K3S_DATA_ROOT"] = "/srv/kompox/" });
        var manifest = ConvertValid(app, Gitea(), K3sDisk);

        var pvName = $"{manifest.Namespace}-{KubeNames.Base36Hash(K3sDisk)}";
        var pv = Find<V1PersistentVolume>(manifest, pvName);
        Assert.Equal("/srv/kompox/disks/" + K3sDisk, pv.Spec.Local.Path);
        var requirement = pv.Spec.NodeAffinity.Required.NodeSelectorTerms.Single().MatchExpressions.Single();
        Assert.Equal(("kubernetes.io/hostname", "In", "node1"), (requirement.Key, requirement.OperatorProperty, requirement.Values.Single()));
        Assert.Equal("Retain", pv.Spec.PersistentVolumeReclaimPolicy);
        Assert.Equal(new[] { "ReadWriteOnce" }, pv.Spec.AccessModes);
        Assert.Equal("", pv.Spec.StorageClassName);
        Assert.Equal((manifest.Namespace, "my-app-data-1wmhoo", "PersistentVolumeClaim"), (pv.Spec.ClaimRef.NamespaceProperty, pv.Spec.ClaimRef.Name, pv.Spec.ClaimRef.Kind));
        Assert.Equal(K3sDriver.NominalDiskSize, pv.Spec.Capacity["storage"].ToString());

        var claim = Find<V1PersistentVolumeClaim>(manifest, "my-app-data-1wmhoo");
        Assert.Equal(pvName, claim.Spec.VolumeName);
        Assert.Equal("", claim.Spec.StorageClassName);
        Assert.Equal(new[] { "ReadWriteOnce" }, claim.Spec.AccessModes);
        Assert.Equal(K3sDriver.NominalDiskSize, claim.Spec.Resources.Requests["storage"].ToString());
    }

    [Fact]
    public void Aks_disk_is_a_csi_volume_with_the_disk_resource_id_and_the_configured_size()
    {
        var app = App(driver: "aks", appSettings: new Dictionary<string, string> { ["AZURE_DISK_SIZE"] = "64" });
        var manifest = ConvertValid(app, Gitea(), AksDisk);

        var pv = manifest.Objects.OfType<V1PersistentVolume>().Single();
        Assert.Equal(("disk.csi.azure.com", AksDisk, "ext4"), (pv.Spec.Csi.Driver, pv.Spec.Csi.VolumeHandle, pv.Spec.Csi.FsType));
        Assert.Null(pv.Spec.NodeAffinity);
        Assert.Equal("64Gi", pv.Spec.Capacity["storage"].ToString());
        Assert.Equal("64Gi", Find<V1PersistentVolumeClaim>(manifest, KubeNames.Claim("my-app", AksDisk)).Spec.Resources.Requests["storage"].ToString());
        Assert.Equal("aks", Find<V1Namespace>(manifest, manifest.Namespace).Metadata.Annotations["kompox.dev/provider"]);
    }

    [Fact]
    public void Aks_disk_size_defaults_to_32_GiB()
    {
        var spec = new AksDriver().DiskVolume(App(driver: "aks"), AksDisk, null);

        Assert.Equal("32Gi", spec.Capacity["storage"].ToString());
    }

    [Fact]
    public void Switching_disks_makes_a_new_persistent_volume_in_the_same_namespace()
    {
        var first = ConvertValid(App(), Gitea(), "disk-1");
        var second = ConvertValid(App(), Gitea(), "disk-2");

        Assert.Equal(first.Namespace, second.Namespace);
        Assert.NotEqual(first.Objects.OfType<V1PersistentVolume>().Single().Metadata.Name, second.Objects.OfType<V1PersistentVolume>().Single().Metadata.Name);
    }

    [Fact]
    public void Namespace_does_not_depend_on_the_cluster()
    {
        var app = App();
        var moved = new Kompox.Model.KompoxApp
        {
            Name = app.Name,
            Cluster = new Kompox.Model.KompoxCluster
            {
                Name = "other",
                Provider = app.Cluster.Provider,
                Auth = app.Cluster.Auth,
                Ingress = app.Cluster.Ingress,
                Domain = app.Cluster.Domain,
                Settings = app.Cluster.Settings,
            },
            Compose = app.Compose,
            Ingress = app.Ingress,
            Resources = app.Resources,
            Settings = app.Settings,
        };

        Assert.Equal(KubeNames.Namespace(app), KubeNames.Namespace(moved));
    }

    [Fact]
    public void K3s_without_node_setting_uses_the_node_the_caller_found()
    {
        var app = App(clusterSettings: new Dictionary<string, string>());
        var driver = new K3sDriver();

        Assert.True(driver.DisksOnNode);
        Assert.Null(driver.DiskNodeName(app.Cluster));
        var manifest = ConvertValid(app, Gitea(), K3sDisk, new AppConversionOptions { NodeName = "found-node" });
        var pv = manifest.Objects.OfType<V1PersistentVolume>().Single();
        Assert.Equal("found-node", pv.Spec.NodeAffinity.Required.NodeSelectorTerms[0].MatchExpressions[0].Values[0]);
        Assert.Equal(K3sDriver.DefaultDataRoot + "/disks/" + K3sDisk, pv.Spec.Local.Path);
    }

    [Fact]
    public void K3s_without_any_node_name_is_a_clear_error()
    {
        var app = App(clusterSettings: new Dictionary<string, string>());

        var error = Assert.Throws<KompoxException>(() => AppConverter.Convert(app, Gitea(), K3sDisk));
        Assert.Equal("NodeNameRequired", error.ErrorId);
        Assert.Contains("K3S_NODE_NAME", error.Message);
    }

    [Theory]
    [InlineData("k3s", "../etc")]
    [InlineData("k3s", "a/b")]
    [InlineData("k3s", "")]
    [InlineData("aks", "my-disk")]
    [InlineData("aks", "/subscriptions/x/resourceGroups/rg/providers/Microsoft.Compute/snapshots/s")]
    public void Disk_ids_the_provider_cannot_have_are_rejected(string driver, string diskId)
    {
        var error = Assert.Throws<KompoxException>(() => AppConverter.Convert(App(driver: driver), Gitea(), diskId));

        Assert.Equal("InvalidDiskId", error.ErrorId);
    }

    [Fact]
    public void Access_role_reads_and_opens_streams_but_changes_nothing()
    {
        var manifest = ConvertValid(App(), Gitea(), K3sDisk);

        var role = Find<V1Role>(manifest, "my-app-access");
        var grants = role.Rules.SelectMany(r => r.Resources.SelectMany(res => r.Verbs.Select(v => $"{res}:{v}"))).ToHashSet();
        foreach (var expected in new[] { "pods:get", "pods:list", "pods/log:get", "deployments:list", "services:get", "events:list", "pods/exec:create", "pods/attach:create", "pods/portforward:create" })
        {
            Assert.Contains(expected, grants);
        }

        Assert.DoesNotContain(role.Rules.SelectMany(r => r.Verbs), v => v is "update" or "patch" or "delete" or "deletecollection");
        Assert.All(role.Rules.Where(r => r.Verbs.Contains("create")), r => Assert.All(r.Resources, res => Assert.StartsWith("pods/", res)));

        var binding = Find<V1RoleBinding>(manifest, "my-app-access");
        Assert.Equal(("Role", "my-app-access"), (binding.RoleRef.Kind, binding.RoleRef.Name));
        // On k3s only the app's ServiceAccount; AKS adds the Entra ID principals of the app's settings (AppCredentialTests).
        Assert.Equal(new[] { "ServiceAccount/my-app-access" }, binding.Subjects.Select(s => $"{s.Kind}/{s.Name}"));
        Assert.NotNull(Find<V1ServiceAccount>(manifest, "my-app-access"));
    }
}
