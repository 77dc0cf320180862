using Kompox.Model;

namespace Kompox.Drivers;

/// <summary>A single-node K3s on a VM, with disks as directories under a data root on that node.</summary>
public sealed class K3sDriver : IProviderDriver
{
    public const string DefaultDataRoot = "/var/lib/kompox";

    public string Name => "k3s";

    public IReadOnlyList<SettingSpec> Settings { get; } = new SettingSpec[]
    {
        new("K3S_DATA_ROOT", SettingScope.Cluster, false, $"directory on the node holding disks and snapshots (default {DefaultDataRoot})", DataRoot),
        new("K3S_NODE_NAME", SettingScope.Cluster, false, "node the app volumes are pinned to (default: the cluster's only node)", NodeName),
    };

    private static string? DataRoot(string value) =>
        value.StartsWith('/') && !value.Split('/').Contains("..")
            ? null
            : $"'{value}' is not an absolute path on the node (it must start with '/' and contain no '..')";

    private static string? NodeName(string value) => Names.CheckDnsSubdomain(value);
}
