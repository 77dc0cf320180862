using k8s;
using k8s.Models;
using Kompox.Kube;

namespace Kompox.Operations;

/// <summary>
/// The node a cluster's disks live on, for a driver whose disks are directories Kompox makes on the machine it runs on
/// (<see cref="Drivers.IProviderDriver.DisksOnNode"/>). Found before any disk is touched: a disk made elsewhere is a
/// directory the Pod never finds ("path does not exist") and a disk list that differs per machine.
/// </summary>
internal static class DiskNode
{
    /// <summary>The label the kubelet sets to its host name (kubernetes/kubernetes pkg/kubelet/kubelet_node_status.go, initialNode).</summary>
    public const string HostnameLabel = "kubernetes.io/hostname";

    /// <summary>
    /// The node's <c>kubernetes.io/hostname</c> label, which a PersistentVolume's nodeAffinity matches; null for a driver
    /// whose disks any node reaches.
    /// </summary>
    /// <exception cref="KompoxException">
    /// <c>NodeNotFound</c> when the setting names no node of the cluster; <c>NodeNameRequired</c> when it names none and the
    /// cluster has several nodes (or none); <c>NotOnDiskNode</c> when this machine is not the node.
    /// </exception>
    public static async Task<string?> FindAsync(OperationScope scope, CancellationToken cancellationToken)
    {
        var driver = scope.Driver;
        if (!driver.DisksOnNode)
        {
            return null;
        }

        var cluster = scope.Cluster;
        var nodes = (await scope.Kube.CoreV1.ListNodeAsync(cancellationToken: cancellationToken).ConfigureAwait(false)).Items;
        var names = string.Join(", ", nodes.Select(n => n.Metadata.Name).OrderBy(n => n, StringComparer.Ordinal));
        V1Node node;
        if (driver.DiskNodeName(cluster) is { } named)
        {
            node = nodes.FirstOrDefault(n => n.Metadata.Name == named)
                ?? throw new KompoxException(
                    "NodeNotFound",
                    ErrorKind.InvalidArgument,
                    $"cluster '{cluster.Name}' sets K3S_NODE_NAME to '{named}', which is no node of the cluster (it has {(nodes.Count == 0 ? "no nodes" : names)}); set cluster.settings.K3S_NODE_NAME to the node holding the app disks")
                { Target = cluster.Id };
        }
        else if (nodes.Count == 1)
        {
            node = nodes[0];
        }
        else
        {
            // Which node holds the disks is the user's knowledge, not Kompox's: guessing would put the data on the wrong node.
            throw new KompoxException(
                "NodeNameRequired",
                ErrorKind.InvalidArgument,
                $"cluster '{cluster.Name}' has {(nodes.Count == 0 ? "no nodes" : $"{nodes.Count} nodes ({names})")} and does not set K3S_NODE_NAME; set cluster.settings.K3S_NODE_NAME to the node holding the app disks")
            { Target = cluster.Id };
        }

        var hostname = node.Metadata.Labels is { } labels && labels.TryGetValue(HostnameLabel, out var label) ? label : node.Metadata.Name;
        var machineId = node.Status?.NodeInfo?.MachineID;
        var here = scope.Context.Machine;
        if (!IsThisMachine(hostname, machineId, here))
        {
            throw new KompoxException(
                "NotOnDiskNode",
                ErrorKind.Conflict,
                $"cluster '{cluster.Name}' keeps the app disks in directories on node '{node.Metadata.Name}' (host name '{hostname}'{(string.IsNullOrEmpty(machineId) ? string.Empty : $", machine id {machineId}")}), and Kompox runs on {here}: a disk made or read here is not the node's. Run Kompox on node '{node.Metadata.Name}', or use the Kompox service that runs there")
            {
                Target = cluster.Id,
                Remedy = Remedy.RunOnNode(node.Metadata.Name),
            };
        }

        return hostname;
    }

    /// <summary>
    /// Machine ids decide when both are known (a node's host name may be set with --node-name or --hostname-override, and
    /// two machines may share a host name); otherwise the host name, which the kubelet lowercases (k8s.io/component-helpers
    /// node/util GetHostname).
    /// </summary>
    private static bool IsThisMachine(string hostname, string? machineId, MachineIdentity here) =>
        !string.IsNullOrEmpty(machineId) && here.MachineId is { } mine
            ? string.Equals(machineId, mine, StringComparison.OrdinalIgnoreCase)
            : string.Equals(hostname, here.HostName, StringComparison.OrdinalIgnoreCase);
}
