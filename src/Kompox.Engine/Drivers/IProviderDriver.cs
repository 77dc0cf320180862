using k8s.Models;
using Kompox.Model;

namespace Kompox.Drivers;

/// <summary>
/// What Kompox needs from a cloud or cluster flavour. A driver is stateless: whatever it must remember
/// lives in provider tags and namespace annotations.
/// </summary>
public interface IProviderDriver
{
    /// <summary>The value of <c>provider.driver</c>.</summary>
    string Name { get; }

    /// <summary>The settings the driver reads, at every scope.</summary>
    IReadOnlyList<SettingSpec> Settings { get; }

    /// <summary>
    /// Whether the driver's disks are directories on one node that Kompox makes on the machine it runs on (k3s). The caller
    /// then finds that node (<see cref="DiskNodeName"/>, else the cluster's only node), refuses to touch a disk unless this
    /// machine is that node, and passes the node's <c>kubernetes.io/hostname</c> label to <see cref="DiskVolume"/>.
    /// </summary>
    bool DisksOnNode => false;

    /// <summary>The node the cluster's settings name for its disks, when <see cref="DisksOnNode"/>; null when they name none.</summary>
    string? DiskNodeName(KompoxCluster cluster) => null;

    /// <summary>
    /// The provider's part of the PersistentVolume that reaches one of the app's disks: the volume source, the capacity
    /// and, for a disk that lives on one node, the node affinity. The caller adds access modes, reclaim policy,
    /// storage class and claimRef. The same app, disk id and size always give an equal spec.
    /// </summary>
    /// <param name="diskId">The provider's id of the disk, as kept in <c>kompox.dev/disk-current-id</c>.</param>
    /// <param name="knownNodeName">The <c>kubernetes.io/hostname</c> label of the node the caller found in the cluster when <see cref="DisksOnNode"/>; null offline, where the node the settings name stands in. Ignored by other drivers.</param>
    /// <param name="sizeBytes">The real disk's size (<see cref="DiskInfo.SizeBytes"/>); null when converting offline, where the size a new disk would get stands in.</param>
    /// <exception cref="KompoxException"><c>InvalidDiskId</c> when the id cannot name a disk of this provider; <c>NodeNameRequired</c> when the node is needed and unknown.</exception>
    V1PersistentVolumeSpec DiskVolume(KompoxApp app, string diskId, string? knownNodeName, long? sizeBytes = null);

    /// <summary>
    /// The volume of a real disk, as <see cref="DiskVolume(KompoxApp, string, string?, long?)"/> with its size, and pinned
    /// to the disk's zone (<see cref="DiskInfo.Zone"/>) by a driver whose disks attach only there.
    /// </summary>
    V1PersistentVolumeSpec DiskVolume(KompoxApp app, DiskInfo disk, string? knownNodeName) => DiskVolume(app, disk.Id, knownNodeName, disk.SizeBytes);

    /// <summary>
    /// Principals of the cloud's identity provider that the app's settings name, bound to the app's access Role besides
    /// its ServiceAccount (SPEC 6), as RoleBinding subjects in the form the cluster's authenticator names them.
    /// None for a driver whose clusters have no such identities.
    /// </summary>
    /// <exception cref="KompoxException"><c>InvalidSetting</c> when a setting naming them is malformed.</exception>
    IReadOnlyList<Rbacv1Subject> AccessSubjects(KompoxApp app) => Array.Empty<Rbacv1Subject>();

    /// <summary>Whether the driver's clusters authenticate users through <c>kubelogin</c> (an exec plugin) besides ServiceAccount tokens.</summary>
    bool SupportsKubelogin => false;
}

public static class ProviderDrivers
{
    public static IReadOnlyList<IProviderDriver> All { get; } = new IProviderDriver[] { new AksDriver(), new K3sDriver() };

    /// <summary>Drivers the spec plans but this version does not have.</summary>
    public static IReadOnlyList<string> Planned { get; } = new[] { "eks", "gke", "oke" };

    public static IProviderDriver? Find(string name) => All.FirstOrDefault(d => d.Name == name);

    /// <summary>For what a person types (New-KompoxConfig -Driver AKS); kompoxops.yml names drivers exactly (<see cref="Find"/>).</summary>
    public static IProviderDriver? FindIgnoringCase(string name) => All.FirstOrDefault(d => string.Equals(d.Name, name, StringComparison.OrdinalIgnoreCase));
}
