using System.Security.Cryptography;
using System.Text.Json.Nodes;

namespace Kompox.Testing.KubeApi;

/// <summary>
/// Nodes as the kubelet registers them (kubernetes/kubernetes pkg/kubelet/kubelet_node_status.go, initialNode): the name,
/// the label <c>kubernetes.io/hostname</c> set to the kubelet's host name (its --hostname-override, which k3s sets to its
/// --node-name, else the machine's host name lowercased: k8s.io/component-helpers node/util GetHostname), and
/// <c>status.nodeInfo.machineID</c> from cAdvisor's MachineInfo (pkg/kubelet/nodestatus/setters.go MachineInfo; cAdvisor
/// reads /etc/machine-id, then /var/lib/dbus/machine-id). Name and host name differ where a cloud provider names the node.
/// </summary>
public sealed partial class KubeApiServer
{
    /// <summary>Adds a Ready node besides <see cref="NodeName"/> (Pods are still scheduled on that one), for multi-node clusters.</summary>
    /// <param name="hostname">Its <c>kubernetes.io/hostname</c> label; the name by default, as a kubelet without override registers.</param>
    /// <param name="machineId">Its <c>nodeInfo.machineID</c>; a new one (another machine) by default.</param>
    /// <param name="arch">Its Go architecture: the <c>kubernetes.io/arch</c> label and <c>nodeInfo.architecture</c>.</param>
    public void AddNode(string name, string? hostname = null, string? machineId = null, string arch = "amd64")
    {
        lock (gate)
        {
            Insert(Resource("nodes"), Node(name, hostname ?? name, machineId ?? NewMachineId(), false, arch));
        }
    }

    /// <summary>
    /// Makes a node (<see cref="NodeName"/> by default) the one a kubelet on the given machine registered: its hostname
    /// label and machine id. Fixtures present the node as the machine the tests run on, where Kompox makes k3s disks.
    /// </summary>
    public void PresentNodeAs(string hostname, string? machineId, string? nodeName = null)
    {
        lock (gate)
        {
            var stored = Get(Resource("nodes"), null, nodeName ?? NodeName);
            var body = (JsonObject)stored.Body.DeepClone();
            body["metadata"]!["labels"]!["kubernetes.io/hostname"] = hostname.ToLowerInvariant();
            var info = body["status"]!["nodeInfo"] ??= new JsonObject();
            if (machineId is null)
            {
                ((JsonObject)info).Remove("machineID");
            }
            else
            {
                info["machineID"] = machineId;
            }

            Replace(stored, body);
        }
    }

    /// <summary>Presents <see cref="NodeName"/> as the node of the machine the tests run on, as a single-node k3s Kompox runs on.</summary>
    public void PresentNodeAsThisMachine() => PresentNodeAs(ThisMachine.HostName, ThisMachine.MachineId);

    // kubelet_node_status.go initialNode labels the node with kubernetes.io/os and kubernetes.io/arch, runtime.GOOS and
    // runtime.GOARCH; nodeInfo.architecture is the same GOARCH (pkg/kubelet/nodestatus/setters.go MachineInfo).
    private JsonObject Node(string name, string hostname, string machineId, bool withCapacity, string arch = "amd64")
    {
        var status = new JsonObject
        {
            ["conditions"] = new JsonArray(new JsonObject { ["type"] = "Ready", ["status"] = "True", ["reason"] = "KubeletReady", ["message"] = "kubelet is posting ready status" }),
            ["nodeInfo"] = new JsonObject { ["machineID"] = machineId, ["kubeletVersion"] = GitVersion, ["operatingSystem"] = "linux", ["architecture"] = arch },
        };
        if (withCapacity)
        {
            status["capacity"] = new JsonObject { ["cpu"] = "4", ["memory"] = "16Gi", ["pods"] = "110" };
            status["allocatable"] = new JsonObject { ["cpu"] = "4", ["memory"] = "16Gi", ["pods"] = "110" };
        }

        return new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "Node",
            ["metadata"] = new JsonObject { ["name"] = name, ["labels"] = new JsonObject { ["kubernetes.io/hostname"] = hostname, ["kubernetes.io/os"] = "linux", ["kubernetes.io/arch"] = arch } },
            ["status"] = status,
        };
    }

    /// <summary>A machine id as systemd writes it (machine-id(5)): 32 lowercase hexadecimal characters.</summary>
    private static string NewMachineId() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
}

/// <summary>
/// The machine the tests run on, read as the kubelet's sources read it, independently of the engine: the host name
/// (os.Hostname, lowercased) and the machine id of machine-id(5), /etc/machine-id or else /var/lib/dbus/machine-id.
/// </summary>
public static class ThisMachine
{
    public static string HostName { get; } = System.Net.Dns.GetHostName().ToLowerInvariant();

    public static string? MachineId { get; } = new[] { "/etc/machine-id", "/var/lib/dbus/machine-id" }
        .Where(File.Exists)
        .Select(p => File.ReadAllText(p).Trim())
        .FirstOrDefault(id => id.Length > 0);
}
