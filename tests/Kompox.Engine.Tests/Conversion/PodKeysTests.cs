using Kompox.Compose;
using Kompox.Model;
using Kompox.Operations;
using Xunit;
using static Kompox.Tests.Conversion.ConversionFixtures;

namespace Kompox.Tests.Conversion;

/// <summary>
/// Compose keys with a Kubernetes form (issue 17, item 4), from the compose file through the engine to the manifest, read
/// back by kubectl. compose-spec 05-services.md states what Docker does with each.
/// </summary>
public sealed class PodKeysTests
{
    private static (AppValidation Result, k8s.Models.V1PodSpec? Pod) Convert(string yaml, IReadOnlyDictionary<string, string>? clusterSettings = null)
    {
        var app = App(clusterSettings: clusterSettings);
        app = new KompoxApp { Name = app.Name, Cluster = app.Cluster, Ingress = app.Ingress, Resources = app.Resources, Settings = app.Settings, Compose = yaml };
        var result = AppValidator.Validate(app, new AppValidationOptions { DiskId = K3sDisk });
        if (!result.IsValid)
        {
            return (result, null);
        }

        Assert.Empty(Testing.ManifestValidator.ValidateYaml(result.Yaml));
        Assert.Empty(Testing.KubectlReadBack.Differences(result.Yaml));
        return (result, k8s.KubernetesYaml.LoadAllFromString(result.Yaml).OfType<k8s.Models.V1Deployment>().Single().Spec.Template.Spec);
    }

    // compose-spec 05-services.md hostname: "declares a custom host name to use for the service container"; one Pod has
    // one (PodSpec.hostname, shared by its containers: pkg/kubelet/kubelet_pods.go GeneratePodHostNameAndDomain).
    [Fact]
    public void Hostname_becomes_the_Pods_and_two_different_ones_are_an_error_naming_both()
    {
        var (_, pod) = Convert("services:\n  web:\n    image: nginx:1.27\n    hostname: front\n  db:\n    image: postgres:16\n    hostname: front\n");
        Assert.Equal("front", pod!.Hostname);

        var (clash, _) = Convert("services:\n  web:\n    image: nginx:1.27\n    hostname: front\n  db:\n    image: postgres:16\n    hostname: database\n");
        var error = Assert.Single(clash.Errors);
        Assert.Equal("services.web.hostname", error.Key);
        Assert.Contains("is 'front' but service 'db' asks for 'database'", error.Message);

        var (invalid, _) = Convert("services:\n  web:\n    image: nginx:1.27\n    hostname: web.example.com\n");
        Assert.Contains("is not a host name a Pod can take", Assert.Single(invalid.Errors).Message);
    }

    // compose-spec 05-services.md pid: "service:{name}" shares that service's PID namespace; a Pod shares one among all
    // its containers (PodSpec.shareProcessNamespace).
    [Fact]
    public void Pid_service_shares_the_Pods_process_namespace()
    {
        var (result, pod) = Convert("services:\n  app:\n    image: nginx:1.27\n  debug:\n    image: busybox:1.37\n    pid: service:app\n");
        Assert.True(pod!.ShareProcessNamespace);
        Assert.Contains(result.Warnings, w => w.Key == "services.debug.pid" && w.Message.Contains("shares the process namespace of 'app'", StringComparison.Ordinal));

        var (alone, plain) = Convert("services:\n  app:\n    image: nginx:1.27\n");
        Assert.Null(plain!.ShareProcessNamespace);

        var (missing, _) = Convert("services:\n  debug:\n    image: busybox:1.37\n    pid: service:ghost\n");
        Assert.Contains("names service 'ghost'", Assert.Single(missing.Errors).Message);
        Assert.True(alone.IsValid);
    }

    // compose-spec deploy.md devices: "If count is set to all or not specified, Compose reserves all devices that satisfy
    // the requested capabilities. Otherwise, Compose reserves at least the number of devices specified"; a GPU is a
    // device with capabilities [gpu] (docs.docker.com compose/how-tos/gpu-support). Kubernetes schedules whole GPUs as the
    // NVIDIA device plugin's nvidia.com/gpu limit (kubernetes.io/docs/tasks/manage-gpus/scheduling-gpus).
    [Fact]
    public void A_GPU_reservation_becomes_the_nvidia_gpu_limit_and_all_GPUs_are_refused()
    {
        const string service = "services:\n  ml:\n    image: nvidia/cuda:12.9.0-base-ubuntu22.04\n    deploy:\n      resources:\n        reservations:\n          devices:\n";
        var (result, pod) = Convert(service + "            - { driver: nvidia, count: 2, capabilities: [gpu] }\n");
        Assert.Equal("2", pod!.Containers.Single().Resources.Limits["nvidia.com/gpu"].ToString());
        Assert.DoesNotContain(result.Warnings, w => w.Key.Contains("devices", StringComparison.Ordinal));

        var (ids, idsPod) = Convert(service + "            - { device_ids: [\"0\", \"3\"], capabilities: [gpu] }\n");
        Assert.Equal("2", idsPod!.Containers.Single().Resources.Limits["nvidia.com/gpu"].ToString());
        Assert.Contains(ids.Warnings, w => w.Message.Contains("Kubernetes picks the GPUs", StringComparison.Ordinal));

        foreach (var all in new[] { "{ count: all, capabilities: [gpu] }", "{ capabilities: [gpu] }" })
        {
            var (refused, _) = Convert(service + $"            - {all}\n");
            var error = Assert.Single(refused.Errors);
            Assert.Equal("services.ml.deploy.resources.reservations.devices[0]", error.Key);
            Assert.Contains("reserves all the host's GPUs", error.Message);
        }

        var (none, nonePod) = Convert("services:\n  ml:\n    image: nvidia/cuda:12.9.0-base-ubuntu22.04\n");
        Assert.False(nonePod!.Containers.Single().Resources.Limits.ContainsKey("nvidia.com/gpu"));
        Assert.True(none.IsValid);
    }

    // compose-spec 05-services.md platform: "the target platform the containers for the service run on", os[/arch[/variant]];
    // the node's architecture is its kubernetes.io/arch label (kubelet_node_status.go initialNode), which a nodeSelector picks.
    [Fact]
    public void Platform_becomes_the_architecture_node_selector_and_one_Pod_has_one()
    {
        var (_, pod) = Convert("services:\n  web:\n    image: nginx:1.27\n    platform: linux/aarch64\n  db:\n    image: postgres:16\n    platform: linux/arm64/v8\n");
        Assert.Equal(new Dictionary<string, string> { ["kubernetes.io/arch"] = "arm64" }, pod!.NodeSelector);

        var (clash, _) = Convert("services:\n  web:\n    image: nginx:1.27\n    platform: linux/amd64\n  db:\n    image: postgres:16\n    platform: linux/arm64\n");
        var error = Assert.Single(clash.Errors);
        Assert.Equal("services.web.platform", error.Key);
        Assert.Contains("asks for amd64 but service 'db' for arm64", error.Message);

        var (windows, _) = Convert("services:\n  web:\n    image: nginx:1.27\n    platform: windows/amd64\n");
        Assert.Contains("is not a Linux platform", Assert.Single(windows.Errors).Message);

        var (_, plain) = Convert("services:\n  web:\n    image: nginx:1.27\n");
        Assert.Null(plain!.NodeSelector);
    }

    // compose-spec 05-services.md runtime: "specifies which runtime to use for the service's containers"; runc is Docker's
    // default (docs.docker.com/engine/daemon/alternative-runtimes). A Pod names its handler with one RuntimeClass.
    [Fact]
    public void Runtime_becomes_the_RuntimeClass_the_cluster_setting_maps_it_to_else_it_is_refused()
    {
        var settings = new Dictionary<string, string> { ["K3S_NODE_NAME"] = "node1", ["RUNTIME_CLASSES"] = "nvidia=nvidia, runsc=gvisor" };
        const string yaml = "services:\n  web:\n    image: nginx:1.27\n    runtime: RUNTIME\n  db:\n    image: postgres:16\n";
        var (result, pod) = Convert(yaml.Replace("RUNTIME", "runsc", StringComparison.Ordinal), settings);
        Assert.Equal("gvisor", pod!.RuntimeClassName);
        Assert.Contains(result.Warnings, w => w.Key == "services.web.runtime" && w.Message.Contains("applies to every service", StringComparison.Ordinal));

        var (_, runc) = Convert(yaml.Replace("RUNTIME", "runc", StringComparison.Ordinal));
        Assert.Null(runc!.RuntimeClassName);

        var (unmapped, _) = Convert(yaml.Replace("RUNTIME", "kata", StringComparison.Ordinal), settings);
        var error = Assert.Single(unmapped.Errors);
        Assert.Equal("services.web.runtime", error.Key);
        Assert.Contains("runtime 'kata' has no RuntimeClass on this cluster", error.Message);
        Assert.Contains("RUNTIME_CLASSES", error.Message);

        var (clash, _) = Convert("services:\n  a:\n    image: nginx:1.27\n    runtime: nvidia\n  b:\n    image: example/worker:1.0\n    runtime: runsc\n", settings);
        Assert.Contains("asks for RuntimeClass 'gvisor' but service 'a' for 'nvidia'", Assert.Single(clash.Errors).Message);
    }
}
