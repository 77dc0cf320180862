using System.Text;
using System.Text.Json;
using k8s;
using k8s.Models;
using Kompox.Yaml;

namespace Kompox.Conversion;

/// <summary>
/// Writes objects as one multi-document YAML stream that <c>kubectl apply -f</c> accepts and reads back to the same
/// values. The bytes depend only on the objects: documents in the given order, fields in the order the models declare
/// them, maps as the objects hold them (the converter sorts them), '\n' line ends on every platform.
/// </summary>
/// <remarks>
/// The objects go through the client's JSON serializer, which knows the wire form of every field (quantities,
/// int-or-string, base64 bytes, omitted nulls); the YAML is written from that JSON so that no string is left plain
/// where a YAML 1.1 reader would type it.
/// </remarks>
public static class ManifestWriter
{
    private static readonly Lazy<Task> Warming = new(() => Task.Run(() =>
    {
        foreach (var item in Samples())
        {
            KubernetesJson.Serialize(item);
        }
    }));

    /// <summary>
    /// Starts building the JSON serializer's metadata for every kind Kompox writes, on the thread pool, so that a cold
    /// process pays for it while it reads and converts the compose file instead of when it writes the first object.
    /// It changes no output: the serializer's caches are all it touches.
    /// </summary>
    public static void StartWarming() => _ = Warming.Value;

    private static IEnumerable<IKubernetesObject> Samples() =>
    [
        new V1Namespace(), new V1ResourceQuota(), new V1ServiceAccount(), new V1Role(), new V1RoleBinding(), new V1NetworkPolicy(),
        new V1ConfigMap(), new V1Secret(), new V1PersistentVolume(), new V1PersistentVolumeClaim(), new V1Service(), new V1Ingress(),
        new V1Deployment
        {
            Metadata = new V1ObjectMeta { Labels = new Dictionary<string, string>(), Annotations = new Dictionary<string, string>() },
            Spec = new V1DeploymentSpec
            {
                Selector = new V1LabelSelector(),
                Strategy = new V1DeploymentStrategy(),
                Template = new V1PodTemplateSpec
                {
                    Metadata = new V1ObjectMeta(),
                    Spec = new V1PodSpec
                    {
                        Containers = [SampleContainer()],
                        InitContainers = [SampleContainer()],
                        HostAliases = [new V1HostAlias()],
                        DnsConfig = new V1PodDNSConfig { Options = [new V1PodDNSConfigOption()] },
                        SecurityContext = new V1PodSecurityContext { SeccompProfile = new V1SeccompProfile(), Sysctls = [new V1Sysctl()] },
                        Volumes =
                        [
                            new V1Volume
                            {
                                PersistentVolumeClaim = new V1PersistentVolumeClaimVolumeSource(),
                                ConfigMap = new V1ConfigMapVolumeSource { Items = [new V1KeyToPath()] },
                                Secret = new V1SecretVolumeSource(),
                                EmptyDir = new V1EmptyDirVolumeSource { SizeLimit = new ResourceQuantity("1Mi") },
                            },
                        ],
                    },
                },
            },
        },
    ];

    private static V1Container SampleContainer() => new()
    {
        EnvFrom = [new V1EnvFromSource { SecretRef = new V1SecretEnvSource() }],
        Ports = [new V1ContainerPort()],
        ReadinessProbe = new V1Probe { Exec = new V1ExecAction() },
        Resources = new V1ResourceRequirements { Limits = new Dictionary<string, ResourceQuantity> { ["cpu"] = new("1") } },
        SecurityContext = new V1SecurityContext { Capabilities = new V1Capabilities() },
        VolumeMounts = [new V1VolumeMount()],
    };

    public static string Write(IEnumerable<IKubernetesObject> objects)
    {
        var text = new StringBuilder();
        foreach (var item in objects)
        {
            if (string.IsNullOrEmpty(item.ApiVersion) || string.IsNullOrEmpty(item.Kind))
            {
                throw new ArgumentException($"a {item.GetType().Name} without apiVersion or kind cannot be applied", nameof(objects));
            }

            using var json = JsonDocument.Parse(KubernetesJson.Serialize(item));
            text.Append("---\n");
            YamlEmitter.WriteDocument(text, json.RootElement);
        }

        return text.ToString();
    }
}
