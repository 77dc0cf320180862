using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Kompox.Testing.FakeArm;

/// <summary>
/// Microsoft.ContainerService managed clusters, read-only, as the AKS REST API answers "Managed Clusters - List By
/// Resource Group" (learn.microsoft.com/rest/api/aks/managed-clusters/list-by-resource-group): <c>{"value": [...]}</c>,
/// each cluster with <c>properties.fqdn</c> (the API server's host name) and <c>properties.networkProfile.networkPolicy</c>
/// (azure, calico, cilium, or none; absent when the cluster was made without a policy engine, which then enforces none:
/// learn.microsoft.com/azure/aks/use-network-policies).
/// </summary>
public sealed partial class FakeArm
{
    public const string ContainerServiceApiVersion = "2024-09-01";

    private readonly List<JsonObject> managedClusters = [];

    /// <summary>An AKS cluster in <paramref name="resourceGroup"/> (which is added); <paramref name="networkPolicy"/> null leaves the field out.</summary>
    public void AddManagedCluster(string subscription, string resourceGroup, string name, string fqdn, string? networkPolicy)
    {
        var networkProfile = new JsonObject { ["networkPlugin"] = "azure" };
        if (networkPolicy is not null)
        {
            networkProfile["networkPolicy"] = networkPolicy;
        }

        lock (resources)
        {
            ResourceGroups.Add(resourceGroup);
            managedClusters.Add(new JsonObject
            {
                ["id"] = $"/subscriptions/{subscription}/resourcegroups/{resourceGroup}/providers/Microsoft.ContainerService/managedClusters/{name}",
                ["name"] = name,
                ["type"] = "Microsoft.ContainerService/ManagedClusters",
                ["location"] = "japaneast",
                ["properties"] = new JsonObject
                {
                    ["provisioningState"] = "Succeeded",
                    ["fqdn"] = fqdn,
                    ["networkProfile"] = networkProfile,
                },
            });
        }
    }

    /// <summary>The answer to a managed-clusters request, or null when the path is not one.</summary>
    private FakeResponse? ManagedClusters(FakeRequest request)
    {
        var match = ManagedClustersPath().Match(request.Path);
        if (!match.Success)
        {
            return null;
        }

        if (request.Query.GetValueOrDefault("api-version") != ContainerServiceApiVersion)
        {
            return Error(400, "InvalidApiVersionParameter", $"The api-version '{request.Query.GetValueOrDefault("api-version")}' is invalid for Microsoft.ContainerService here; use '{ContainerServiceApiVersion}'.");
        }

        if (request.Method != "GET")
        {
            return Error(405, "MethodNotAllowed", $"{request.Method} is not supported on '{request.Path}'.");
        }

        var (subscription, group) = (match.Groups["sub"].Value, match.Groups["rg"].Value);
        lock (resources)
        {
            if (!ResourceGroups.Contains(group))
            {
                return Error(404, "ResourceGroupNotFound", $"Resource group '{group}' could not be found.");
            }

            var prefix = $"/subscriptions/{subscription}/resourcegroups/{group}/";
            var value = new JsonArray(managedClusters.Where(c => c["id"]!.GetValue<string>().StartsWith(prefix, StringComparison.OrdinalIgnoreCase)).Select(c => c.DeepClone()).ToArray());
            return FakeResponse.Json(200, new JsonObject { ["value"] = value }.ToJsonString());
        }
    }

    [GeneratedRegex("^/subscriptions/(?<sub>[^/]+)/resourceGroups/(?<rg>[^/]+)/providers/Microsoft\\.ContainerService/managedClusters$", RegexOptions.IgnoreCase)]
    private static partial Regex ManagedClustersPath();
}
