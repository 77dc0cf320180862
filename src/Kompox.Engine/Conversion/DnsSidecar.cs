using System.Text;
using System.Text.RegularExpressions;
using k8s.Models;
using Kompox.Compose;

namespace Kompox.Conversion;

/// <summary>
/// Docker's embedded DNS server: on a compose network every container's resolver is 127.0.0.11, which answers the
/// services' names and forwards the rest (docs.docker.com/engine/network/#dns-services, "containers ... use the embedded DNS
/// server ... 127.0.0.11"). Programs told to ask it directly (nginx <c>resolver 127.0.0.11</c>, HAProxy
/// <c>resolvers</c> with <c>nameserver dns 127.0.0.11:53</c>) find nothing there in a Pod. When the app names that address,
/// a small CoreDNS runs beside it, bound to 127.0.0.11:53 in the Pod's one network namespace: it answers every service name
/// with 127.0.0.1, where the services are in one Pod, and forwards the rest to the Pod's own resolver (/etc/resolv.conf).
/// Linux routes all of 127.0.0.0/8 to the loopback interface, so the address needs no setup.
/// </summary>
internal static partial class DnsSidecar
{
    public const string ContainerName = "kompox-dns";

    public const string Address = "127.0.0.11";

    private const string ConfigDirectory = "/etc/coredns";

    // What CoreDNS needs for a handful of names (its own Deployment in Kubernetes asks 100m and 70Mi for a whole cluster).
    public const long CpuMillis = 50;
    public const long MemoryBytes = 64L * 1024 * 1024;

    [GeneratedRegex(@"(?<![0-9.])127\.0\.0\.11(?![0-9])")]
    private static partial Regex DockerDns();

    /// <summary>Whether a text Kompox reads names Docker's DNS server (environment, command, bound files, configs).</summary>
    public static bool Needed(ComposeProject project) =>
        project.Services.Any(s => PodNetwork.Texts(project, s).Any(t => DockerDns().IsMatch(t.Text)));

    public static string ConfigMapName(AppScope scope) => $"{scope.AppName}-dns";

    /// <summary>The CoreDNS configuration (coredns.io/plugins/bind, /hosts, /forward, /cache).</summary>
    public static string Corefile(IEnumerable<string> hostNames)
    {
        var text = new StringBuilder();
        text.Append(".:53 {\n");
        text.Append($"    bind {Address}\n");
        text.Append("    hosts {\n");
        text.Append($"        127.0.0.1 {string.Join(' ', hostNames)}\n");
        text.Append("        fallthrough\n");
        text.Append("    }\n");
        text.Append("    forward . /etc/resolv.conf\n");
        text.Append("    cache 30\n");
        text.Append("    errors\n");
        text.Append("}\n");
        return text.ToString();
    }

    public static V1ConfigMap ConfigMap(AppScope scope, IEnumerable<string> hostNames) => new()
    {
        ApiVersion = "v1",
        Kind = "ConfigMap",
        Metadata = scope.Metadata(ConfigMapName(scope)),
        Data = new SortedDictionary<string, string>(StringComparer.Ordinal) { ["Corefile"] = Corefile(hostNames) },
    };

    /// <param name="sidecar">Run as a restartable init container, started before every other container (Kubernetes 1.29 or later).</param>
    public static V1Container Container(AppScope scope, string image, bool sidecar, SortedDictionary<string, V1Volume> volumes)
    {
        volumes[ContainerName] = new V1Volume { Name = ContainerName, ConfigMap = new V1ConfigMapVolumeSource { Name = ConfigMapName(scope) } };
        var resources = new SortedDictionary<string, ResourceQuantity>(StringComparer.Ordinal)
        {
            ["cpu"] = new(ResourceBudget.FormatCpu(CpuMillis)),
            ["memory"] = new(ResourceBudget.FormatMemory(MemoryBytes)),
        };
        return new V1Container
        {
            Name = ContainerName,
            Image = image,
            Args = new List<string> { "-conf", $"{ConfigDirectory}/Corefile" },
            RestartPolicy = sidecar ? "Always" : null,
            Resources = new V1ResourceRequirements { Limits = resources, Requests = new SortedDictionary<string, ResourceQuantity>(resources, StringComparer.Ordinal) },

            // The image runs as a non-root user and binds port 53 through the file capability NET_BIND_SERVICE on its binary
            // (coredns/coredns Dockerfile: setcap cap_net_bind_service=+ep). no_new_privs would void that capability, so
            // privilege escalation stays allowed; only NET_BIND_SERVICE, which Pod Security baseline allows, is kept.
            SecurityContext = new V1SecurityContext
            {
                Capabilities = new V1Capabilities { Drop = new List<string> { "ALL" }, Add = new List<string> { "NET_BIND_SERVICE" } },
                ReadOnlyRootFilesystem = true,
            },
            VolumeMounts = new List<V1VolumeMount> { new() { Name = ContainerName, MountPath = ConfigDirectory, ReadOnlyProperty = true } },
        };
    }
}
