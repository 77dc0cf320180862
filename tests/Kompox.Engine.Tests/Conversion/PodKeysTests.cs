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
    private static (AppValidation Result, k8s.Models.V1PodSpec? Pod) Convert(string yaml)
    {
        var app = App();
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
}
