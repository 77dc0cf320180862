using System.Text.Json.Nodes;

namespace Kompox.Testing.KubeApi;

public sealed partial class KubeApiServer
{
    /// <summary>Adds a Ready node besides <see cref="NodeName"/> (Pods are still scheduled on that one), for multi-node clusters.</summary>
    public void AddNode(string name)
    {
        lock (gate)
        {
            Insert(Resource("nodes"), new JsonObject
            {
                ["apiVersion"] = "v1",
                ["kind"] = "Node",
                ["metadata"] = new JsonObject { ["name"] = name, ["labels"] = new JsonObject { ["kubernetes.io/hostname"] = name, ["kubernetes.io/os"] = "linux" } },
                ["status"] = new JsonObject
                {
                    ["conditions"] = new JsonArray(new JsonObject { ["type"] = "Ready", ["status"] = "True", ["reason"] = "KubeletReady", ["message"] = "kubelet is posting ready status" }),
                },
            });
        }
    }
}
