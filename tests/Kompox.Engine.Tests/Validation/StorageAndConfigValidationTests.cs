using k8s.Models;
using Xunit;
using static Kompox.Tests.Validation.ValidationAssert;

namespace Kompox.Tests.Validation;

public class PersistentVolumeValidationTests
{
    [Fact]
    public void Capacity_is_required()
    {
        var app = new BaselineApp();
        app.PersistentVolume.Spec.Capacity.Clear();
        Rejected(app, "PersistentVolume", "spec.capacity", "Required value");
    }

    [Fact]
    public void Capacity_must_be_storage_only()
    {
        var app = new BaselineApp();
        app.PersistentVolume.Spec.Capacity.Remove("storage");
        app.PersistentVolume.Spec.Capacity["memory"] = new ResourceQuantity("1Gi");
        Rejected(app, "PersistentVolume", "spec.capacity", "supported values: \"storage\"");
    }

    [Fact]
    public void Capacity_must_be_positive()
    {
        var app = new BaselineApp();
        app.PersistentVolume.Spec.Capacity["storage"] = new ResourceQuantity("0");
        Rejected(app, "PersistentVolume", "spec.capacity[storage]", "must be greater than zero");
    }

    [Fact]
    public void Access_modes_are_required()
    {
        var app = new BaselineApp();
        app.PersistentVolume.Spec.AccessModes.Clear();
        Rejected(app, "PersistentVolume", "spec.accessModes", "Required value");
    }

    [Fact]
    public void Access_mode_must_be_supported()
    {
        var app = new BaselineApp();
        app.PersistentVolume.Spec.AccessModes[0] = "RWO";
        Rejected(app, "PersistentVolume", "spec.accessModes", "Unsupported value: \"RWO\"");
    }

    [Fact]
    public void Volume_source_is_required()
    {
        var app = new BaselineApp();
        app.PersistentVolume.Spec.Csi = null;
        Rejected(app, "PersistentVolume", "spec", "must specify a volume type");
    }

    [Fact]
    public void Only_one_volume_source_is_allowed()
    {
        var app = new BaselineApp();
        app.PersistentVolume.Spec.HostPath = new V1HostPathVolumeSource { Path = "/var/lib/kompox/my-app" };
        Rejected(app, "PersistentVolume", "spec.hostPath", "may not specify more than 1 volume type");
    }

    [Fact]
    public void Csi_driver_is_required()
    {
        var app = new BaselineApp();
        app.PersistentVolume.Spec.Csi.Driver = "";
        Rejected(app, "PersistentVolume", "spec.csi.driver", "Required value");
    }

    [Fact]
    public void Csi_driver_must_be_a_dns_subdomain()
    {
        var app = new BaselineApp();
        app.PersistentVolume.Spec.Csi.Driver = "disk_csi_azure";
        Rejected(app, "PersistentVolume", "spec.csi.driver", "RFC 1123 subdomain");
    }

    [Fact]
    public void Csi_volume_handle_is_required()
    {
        var app = new BaselineApp();
        app.PersistentVolume.Spec.Csi.VolumeHandle = null;
        Rejected(app, "PersistentVolume", "spec.csi.volumeHandle", "Required value");
    }

    [Fact]
    public void Local_volume_with_node_affinity_is_valid()
    {
        var app = new BaselineApp();
        UseLocalVolume(app.PersistentVolume, "/var/lib/kompox/disks/my-app-1");
        Accepted(app);
    }

    [Fact]
    public void Local_volume_path_must_be_absolute()
    {
        var app = new BaselineApp();
        UseLocalVolume(app.PersistentVolume, "var/lib/kompox");
        Rejected(app, "PersistentVolume", "spec.local.path", "must be an absolute path");
    }

    [Fact]
    public void Local_volume_requires_node_affinity()
    {
        var app = new BaselineApp();
        UseLocalVolume(app.PersistentVolume, "/var/lib/kompox/disks/my-app-1");
        app.PersistentVolume.Spec.NodeAffinity = null;
        Rejected(app, "PersistentVolume", "spec.nodeAffinity", "Local volume requires node affinity");
    }

    [Fact]
    public void Node_affinity_needs_a_selector_term()
    {
        var app = new BaselineApp();
        UseLocalVolume(app.PersistentVolume, "/var/lib/kompox/disks/my-app-1");
        app.PersistentVolume.Spec.NodeAffinity.Required.NodeSelectorTerms.Clear();
        Rejected(app, "PersistentVolume", "spec.nodeAffinity.required.nodeSelectorTerms", "must have at least one node selector term");
    }

    [Fact]
    public void Reclaim_policy_must_be_supported()
    {
        var app = new BaselineApp();
        app.PersistentVolume.Spec.PersistentVolumeReclaimPolicy = "Keep";
        Rejected(app, "PersistentVolume", "spec.persistentVolumeReclaimPolicy", "Unsupported value: \"Keep\"");
    }

    [Fact]
    public void Claim_ref_needs_a_namespace()
    {
        var app = new BaselineApp();
        app.PersistentVolume.Spec.ClaimRef.NamespaceProperty = null;
        Rejected(app, "PersistentVolume", "spec.claimRef.namespace", "Required value");
    }

    private static void UseLocalVolume(V1PersistentVolume volume, string path)
    {
        volume.Spec.Csi = null;
        volume.Spec.Local = new V1LocalVolumeSource { Path = path };
        volume.Spec.NodeAffinity = new V1VolumeNodeAffinity
        {
            Required = new V1NodeSelector
            {
                NodeSelectorTerms =
                [
                    new V1NodeSelectorTerm
                    {
                        MatchExpressions =
                        [
                            new V1NodeSelectorRequirement { Key = "kubernetes.io/hostname", OperatorProperty = "In", Values = ["k3s-node-1"] },
                        ],
                    },
                ],
            },
        };
    }
}

public class PersistentVolumeClaimValidationTests
{
    [Fact]
    public void Access_modes_are_required()
    {
        var app = new BaselineApp();
        app.PersistentVolumeClaim.Spec.AccessModes = null;
        Rejected(app, "PersistentVolumeClaim", "spec.accessModes", "at least 1 access mode is required");
    }

    [Fact]
    public void Storage_request_is_required()
    {
        var app = new BaselineApp();
        app.PersistentVolumeClaim.Spec.Resources.Requests.Clear();
        Rejected(app, "PersistentVolumeClaim", "spec.resources[storage]", "Required value");
    }

    [Fact]
    public void Storage_request_must_be_positive()
    {
        var app = new BaselineApp();
        app.PersistentVolumeClaim.Spec.Resources.Requests["storage"] = new ResourceQuantity("0");
        Rejected(app, "PersistentVolumeClaim", "spec.resources[storage]", "must be greater than zero");
    }

    [Fact]
    public void Volume_name_must_be_a_dns_subdomain()
    {
        var app = new BaselineApp();
        app.PersistentVolumeClaim.Spec.VolumeName = "Disk_1";
        Rejected(app, "PersistentVolumeClaim", "spec.volumeName", "RFC 1123 subdomain");
    }
}

public class ConfigMapAndSecretValidationTests
{
    [Fact]
    public void ConfigMap_key_may_not_contain_spaces()
    {
        var app = new BaselineApp();
        app.ConfigMap.Data["nginx conf"] = "x";
        Rejected(app, "ConfigMap", "data[nginx conf]", "a valid config key must consist of");
    }

    [Fact]
    public void ConfigMap_key_may_not_be_dot_dot()
    {
        var app = new BaselineApp();
        app.ConfigMap.Data[".."] = "x";
        Rejected(app, "ConfigMap", "data[..]", "must not be '..'");
    }

    [Fact]
    public void ConfigMap_key_longer_than_253_is_rejected()
    {
        var app = new BaselineApp();
        var key = new string('k', 254);
        app.ConfigMap.Data[key] = "x";
        Rejected(app, "ConfigMap", $"data[{key}]", "must be no more than 253 characters");
    }

    [Fact]
    public void ConfigMap_key_may_not_be_in_both_data_and_binary_data()
    {
        var app = new BaselineApp();
        app.ConfigMap.BinaryData["nginx.conf"] = [1, 2, 3];
        Rejected(app, "ConfigMap", "binaryData[nginx.conf]", "duplicate of key present in data");
    }

    [Fact]
    public void ConfigMap_larger_than_1_MiB_is_rejected()
    {
        var app = new BaselineApp();
        app.ConfigMap.BinaryData["big.bin"] = new byte[1024 * 1024];
        Rejected(app, "ConfigMap", "data", "Too long: may not be more than 1048576 bytes");
    }

    [Fact]
    public void Secret_key_must_be_a_config_key()
    {
        var app = new BaselineApp();
        app.Secret.StringData["db/password"] = "x";
        Rejected(app, "Secret", "data[db/password]", "a valid config key must consist of");
    }

    [Fact]
    public void Secret_larger_than_1_MiB_is_rejected()
    {
        var app = new BaselineApp();
        app.Secret.Data = new Dictionary<string, byte[]> { ["blob"] = new byte[1024 * 1024] };
        Rejected(app, "Secret", "data", "Too long: may not be more than 1048576 bytes");
    }

    [Fact]
    public void Tls_secret_needs_its_key()
    {
        var app = new BaselineApp();
        app.Secret.Type = "kubernetes.io/tls";
        app.Secret.StringData = new Dictionary<string, string> { ["tls.crt"] = "-----BEGIN CERTIFICATE-----" };
        Rejected(app, "Secret", "data[tls.key]", "Required value");
    }

    [Fact]
    public void Docker_config_secret_must_hold_json()
    {
        var app = new BaselineApp();
        app.Secret.Type = "kubernetes.io/dockerconfigjson";
        app.Secret.StringData = new Dictionary<string, string> { [".dockerconfigjson"] = "{not json" };
        Rejected(app, "Secret", "data[.dockerconfigjson]", "Invalid value: \"<secret contents redacted>\"");
    }

    [Fact]
    public void Custom_secret_type_is_accepted_as_the_apiserver_does()
    {
        var app = new BaselineApp();
        app.Secret.Type = "kompox.dev/app-env";
        Accepted(app);
    }
}
