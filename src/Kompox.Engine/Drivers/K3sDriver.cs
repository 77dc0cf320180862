using System.Text.RegularExpressions;
using k8s.Models;
using Kompox.Model;

namespace Kompox.Drivers;

/// <summary>A single-node K3s on a VM, with disks as directories under a data root on that node.</summary>
public sealed partial class K3sDriver : IProviderDriver
{
    public const string DefaultDataRoot = "/var/lib/kompox";

    public string Name => "k3s";

    public IReadOnlyList<SettingSpec> Settings { get; } = new SettingSpec[]
    {
        new("K3S_DATA_ROOT", SettingScope.Cluster, false, $"directory on the node holding disks and snapshots (default {DefaultDataRoot})", DataRoot),
        new(NodeNameSetting, SettingScope.Cluster, false, "node the app disks live on, the machine Kompox runs on (default: the cluster's only node)", NodeName),
        new(Conversion.ClusterIngressManifest.DefaultCertSecretSetting, SettingScope.Cluster, false, "TLS Secret in the ingress namespace holding the wildcard certificate of *.{cluster}.{domain}, served by default", Names.CheckDnsSubdomain),
    }.Concat(ApiServerSettings.Specs).Concat(RuntimeClassSettings.Specs).Concat(SnapshotPolicySettings.Specs).ToList();

    /// <summary>
    /// The capacity written on a K3s PersistentVolume. A local volume is a directory, so nothing enforces it;
    /// Kubernetes only needs the claim's request to fit in it.
    /// </summary>
    public const string NominalDiskSize = "10Gi";

    public const string NodeNameSetting = "K3S_NODE_NAME";

    public bool DisksOnNode => true;

    public string? DiskNodeName(KompoxCluster cluster) => cluster.Settings.GetValueOrDefault(NodeNameSetting);

    public V1PersistentVolumeSpec DiskVolume(KompoxApp app, string diskId, string? knownNodeName, long? sizeBytes = null)
    {
        if (!DiskIdPattern().IsMatch(diskId))
        {
            throw new KompoxException(
                "InvalidDiskId",
                ErrorKind.InvalidArgument,
                $"'{diskId}' is not a K3s disk id: it names a directory under the data root, so it must be letters, digits, '.', '_' or '-', starting with a letter or digit")
            {
                Target = diskId,
            };
        }

        // The node found in the cluster is named by its hostname label, which nodeAffinity matches (it differs from the
        // node's name where the kubelet's --hostname-override or a cloud provider names the node); offline, the setting.
        var nodeName = knownNodeName ?? DiskNodeName(app.Cluster);
        if (string.IsNullOrEmpty(nodeName))
        {
            throw new KompoxException(
                "NodeNameRequired",
                ErrorKind.InvalidArgument,
                $"cluster '{app.Cluster.Name}' does not set K3S_NODE_NAME and no node name was found; set cluster.settings.K3S_NODE_NAME to the node holding {DataRootOf(app.Cluster)}")
            {
                Target = app.Cluster.Name,
            };
        }

        return new V1PersistentVolumeSpec
        {
            Capacity = new Dictionary<string, ResourceQuantity> { ["storage"] = new(sizeBytes is { } size ? DiskInfo.Quantity(size) : NominalDiskSize) },
            Local = new V1LocalVolumeSource { Path = $"{DataRootOf(app.Cluster).TrimEnd('/')}/disks/{diskId}" },
            NodeAffinity = new V1VolumeNodeAffinity
            {
                Required = new V1NodeSelector
                {
                    NodeSelectorTerms = new List<V1NodeSelectorTerm>
                    {
                        new()
                        {
                            MatchExpressions = new List<V1NodeSelectorRequirement>
                            {
                                new() { Key = "kubernetes.io/hostname", OperatorProperty = "In", Values = new List<string> { nodeName } },
                            },
                        },
                    },
                },
            },
            VolumeMode = "Filesystem",
        };
    }

    internal static string DataRootOf(KompoxCluster cluster) =>
        cluster.Settings.TryGetValue("K3S_DATA_ROOT", out var root) ? root : DefaultDataRoot;

    // One path segment that cannot climb out of the disks directory ('.' and '..' fail the first character).
    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._-]*$")]
    internal static partial Regex DiskIdPattern();

    private static string? DataRoot(string value) =>
        value.StartsWith('/') && !value.Split('/').Contains("..")
            ? null
            : $"'{value}' is not an absolute path on the node (it must start with '/' and contain no '..')";

    private static string? NodeName(string value) => Names.CheckDnsSubdomain(value);
}
