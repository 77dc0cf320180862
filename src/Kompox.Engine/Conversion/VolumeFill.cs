using k8s.Models;
using Kompox.Compose;

namespace Kompox.Conversion;

/// <summary>
/// Docker fills a new named or anonymous volume from the image: when the volume is empty, the content of the image at the
/// mount target is copied into it with owners, modes and timestamps, and the volume's root takes the owner and mode of the
/// image's directory (moby container/container_unix.go CopyImagePathContent, copyOwnership), unless <c>nocopy</c>; never
/// for a <c>subpath</c> mount. Kubernetes mounts the disk over the image's directory instead, so init containers do the
/// copy before the app starts: <c>kompox-tools</c> puts a static busybox into an emptyDir, then one init container per
/// volume mount, from the service's own image, runs that busybox as root over the image's directory and the disk's.
/// </summary>
internal static class VolumeFill
{
    public const string ToolsContainer = "kompox-tools";
    public const string FillContainerPrefix = "kompox-fill-";

    private const string ToolsDirectory = "/kompox-tools";
    private const string Busybox = ToolsDirectory + "/busybox";
    private const string DiskDirectory = "/kompox-volume";

    // $1: the directory in the image; $2: the volume's directory on the disk. Paths come as arguments, never inside the
    // script, so that no target can inject shell text. Every applet is called through busybox: the image may have no shell
    // and no coreutils. stat -L: a target that is a symlink gives its directory's owner and mode, as Docker's copy does.
    private const string Script =
        "set -eu\n" +
        "bb=" + Busybox + "\n" +
        "[ -d \"$1\" ] || exit 0\n" +
        "[ -z \"$(\"$bb\" ls -A \"$2\")\" ] || exit 0\n" +
        "\"$bb\" cp -a \"$1/.\" \"$2/\"\n" +
        "\"$bb\" chown \"$(\"$bb\" stat -L -c %u:%g \"$1\")\" \"$2\"\n" +
        "\"$bb\" chmod \"$(\"$bb\" stat -L -c %a \"$1\")\" \"$2\"\n";

    /// <summary>The mounts Docker would fill, by service name then target; never one taken through volumes_from (moby sets CopyData false for those).</summary>
    public static IEnumerable<(ComposeService Service, ComposeMount Mount)> Mounts(IEnumerable<ComposeService> services) =>
        services.OrderBy(s => s.Name, StringComparer.Ordinal)
            .SelectMany(s => s.Volumes
                .Where(m => !m.NoCopy && m.FromService is null && (m.Kind == MountKind.Anonymous || (m.Kind == MountKind.Volume && string.IsNullOrEmpty(m.SubPath))))
                .OrderBy(m => m.Target, StringComparer.Ordinal)
                .Select(m => (s, m)));

    /// <summary>Whether a container name is one of Kompox's init containers, which a service may not take.</summary>
    public static bool IsReserved(string containerName) =>
        containerName == ToolsContainer || containerName.StartsWith(FillContainerPrefix, StringComparison.Ordinal);

    /// <summary>The init containers, with the emptyDir they share added to <paramref name="volumes"/>; null when nothing is filled.</summary>
    public static List<V1Container>? InitContainers(IEnumerable<ComposeService> services, string toolsImage, ResourceBudget budget, SortedDictionary<string, V1Volume> volumes)
    {
        var fills = Mounts(services).ToList();
        if (fills.Count == 0)
        {
            return null;
        }

        volumes[ToolsContainer] = new V1Volume
        {
            Name = ToolsContainer,
            EmptyDir = new V1EmptyDirVolumeSource { SizeLimit = new ResourceQuantity("16Mi") },
        };
        var containers = new List<V1Container>
        {
            new()
            {
                Name = ToolsContainer,
                Image = toolsImage,
                Command = new List<string> { "/bin/busybox", "cp", "/bin/busybox", Busybox },
                Resources = Resources(budget),
                SecurityContext = new V1SecurityContext { AllowPrivilegeEscalation = false },
                VolumeMounts = new List<V1VolumeMount> { new() { Name = ToolsContainer, MountPath = ToolsDirectory } },
            },
        };

        foreach (var group in fills.GroupBy(f => f.Service.Name, StringComparer.Ordinal))
        {
            var containerName = PodBuilder.ContainerName(group.First().Service);
            var index = 0;
            foreach (var (service, mount) in group)
            {
                var diskPath = mount.Kind == MountKind.Volume
                    ? MountPaths.Volume(mount.Source!, null, out _)
                    : MountPaths.Anonymous(containerName, mount.Target, out _);
                containers.Add(new V1Container
                {
                    Name = FillContainerName(containerName, index++),
                    Image = service.Image,
                    ImagePullPolicy = PodBuilder.ImagePullPolicy(service),
                    Command = ContainerCommand.Escape(new[] { Busybox, "sh", "-c", Script, "kompox-fill", mount.Target, DiskDirectory }),
                    Resources = Resources(budget),

                    // Root keeps the image's owners, as Docker's copy (made by the daemon) does.
                    SecurityContext = new V1SecurityContext { RunAsUser = 0, RunAsGroup = 0, AllowPrivilegeEscalation = false },
                    VolumeMounts = new List<V1VolumeMount>
                    {
                        new() { Name = PodBuilder.DataVolume, MountPath = DiskDirectory, SubPath = diskPath },
                        new() { Name = ToolsContainer, MountPath = ToolsDirectory, ReadOnlyProperty = true },
                    },
                });
            }
        }

        return containers;
    }

    private static string FillContainerName(string containerName, int index)
    {
        var name = $"{FillContainerPrefix}{containerName}-{index}";
        return name.Length <= 63 ? name : $"{FillContainerPrefix}{KubeNames.Base36Hash(containerName)}-{index}";
    }

    // Quota admission counts a Pod as the larger of its biggest init container and the sum of its app containers
    // (kubernetes.io/docs/concepts/workloads/pods/init-containers/#resource-sharing-within-containers), so an init
    // container may use the app's whole budget while it runs; small requests keep the Pod's scheduling request that of
    // its app containers.
    private static V1ResourceRequirements Resources(ResourceBudget budget)
    {
        var cpuRequest = Math.Min(budget.CpuMillis, 100);
        var memoryRequest = Math.Min(budget.MemoryBytes, 64L * 1024 * 1024);
        return new V1ResourceRequirements
        {
            Limits = new SortedDictionary<string, ResourceQuantity>(StringComparer.Ordinal)
            {
                ["cpu"] = new(ResourceBudget.FormatCpu(budget.CpuMillis)),
                ["memory"] = new(ResourceBudget.FormatMemory(budget.MemoryBytes)),
            },
            Requests = new SortedDictionary<string, ResourceQuantity>(StringComparer.Ordinal)
            {
                ["cpu"] = new(ResourceBudget.FormatCpu(cpuRequest)),
                ["memory"] = new(ResourceBudget.FormatMemory(memoryRequest)),
            },
        };
    }
}
