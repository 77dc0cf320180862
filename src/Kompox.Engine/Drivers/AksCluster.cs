using System.Text.Json;
using Azure;
using Azure.Core;
using Azure.Core.Pipeline;
using Kompox.Model;

namespace Kompox.Drivers;

/// <summary>
/// What the disks of an app must fit on its AKS cluster, read from Resource Manager: the cluster's region, the zones of
/// its node pools, whether its identity may use disks in the app's resource group, and its network policy engine. The AKS
/// resource is the cluster's <c>AZURE_AKS_CLUSTER_NAME</c> (by default the Kompox cluster's name) in the cluster's
/// <c>AZURE_RESOURCE_GROUP_NAME</c>.
/// </summary>
internal sealed class AksCluster
{
    private const string ClusterApiVersion = "2024-05-01";
    private const string AuthorizationApiVersion = "2022-04-01";

    /// <summary>What the CSI driver does with a disk in another group, through the cluster's identity.</summary>
    private static readonly string[] DiskActions = ["Microsoft.Compute/disks/read", "Microsoft.Compute/disks/write"];

    private AksCluster(string location, string principalId, string nodeResourceGroup, IReadOnlyList<string> zones, string networkPolicy)
    {
        Location = location;
        PrincipalId = principalId;
        NodeResourceGroup = nodeResourceGroup;
        Zones = zones;
        NetworkPolicy = networkPolicy;
    }

    public string Location { get; }

    /// <summary>The object id of the cluster's identity (<c>identity.principalId</c>).</summary>
    public string PrincipalId { get; }

    public string NodeResourceGroup { get; }

    /// <summary>The zones every zonal node pool has, in order; empty when the nodes are in no zone.</summary>
    public IReadOnlyList<string> Zones { get; }

    /// <summary>
    /// <c>networkProfile.networkPolicy</c>: azure, calico or cilium enforce NetworkPolicy; <c>none</c>, also for a cluster
    /// made without a policy engine (no value), enforces none (learn.microsoft.com/azure/aks/use-network-policies).
    /// </summary>
    public string NetworkPolicy { get; }

    public static async Task<AksCluster> ReadAsync(HttpPipeline arm, Uri endpoint, string subscriptionId, KompoxCluster cluster, CancellationToken cancellationToken)
    {
        var group = cluster.Settings.GetValueOrDefault("AZURE_RESOURCE_GROUP_NAME")
            ?? throw new KompoxException("InvalidSetting", ErrorKind.InvalidArgument, $"cluster {cluster.Id} has no setting AZURE_RESOURCE_GROUP_NAME, the resource group of the AKS cluster") { Target = "AZURE_RESOURCE_GROUP_NAME" };
        var name = NameOf(cluster);
        JsonDocument body;
        try
        {
            body = await GetAsync(arm, endpoint, $"/subscriptions/{subscriptionId}/resourceGroups/{group}/providers/Microsoft.ContainerService/managedClusters/{name}", ClusterApiVersion, null, cancellationToken).ConfigureAwait(false);
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            throw new KompoxException(
                "InvalidSetting",
                ErrorKind.InvalidArgument,
                $"cluster {cluster.Id}: resource group {group} has no AKS cluster {name} ({e.ErrorCode}); set cluster.settings.AZURE_AKS_CLUSTER_NAME to the AKS cluster's name, and AZURE_RESOURCE_GROUP_NAME to its resource group",
                e)
            {
                Target = "AZURE_AKS_CLUSTER_NAME",
            };
        }

        using var disposeBody = body;
        var root = body.RootElement;
        // A system-assigned identity is identity.principalId; a user-assigned one is the single entry of
        // identity.userAssignedIdentities (the managedClusters REST reference: ManagedClusterIdentity).
        string? principal = null;
        if (root.TryGetProperty("identity", out var identity))
        {
            principal = identity.TryGetProperty("principalId", out var id) ? id.GetString() : null;
            if (principal is null && identity.TryGetProperty("userAssignedIdentities", out var assigned) && assigned.ValueKind == JsonValueKind.Object)
            {
                principal = assigned.EnumerateObject().Select(u => u.Value.TryGetProperty("principalId", out var p) ? p.GetString() : null).FirstOrDefault(p => p is not null);
            }
        }

        var properties = root.GetProperty("properties");
        var zonal = properties.TryGetProperty("agentPoolProfiles", out var pools)
            ? pools.EnumerateArray()
                .Select(p => p.TryGetProperty("availabilityZones", out var z) && z.ValueKind == JsonValueKind.Array ? z.EnumerateArray().Select(e => e.GetString()!).ToList() : [])
                .Where(z => z.Count > 0)
                .ToList()
            : [];

        // A disk in a zone attaches only to nodes of that zone: the zones all zonal pools share.
        var zones = zonal.Count == 0 ? [] : zonal.Skip(1).Aggregate((IEnumerable<string>)zonal[0], (all, z) => all.Intersect(z, StringComparer.Ordinal)).Order(StringComparer.Ordinal).ToList();
        return new AksCluster(
            root.GetProperty("location").GetString()!,
            principal ?? string.Empty,
            properties.TryGetProperty("nodeResourceGroup", out var node) ? node.GetString() ?? string.Empty : string.Empty,
            zones,
            properties.TryGetProperty("networkProfile", out var network) && network.TryGetProperty("networkPolicy", out var policy) && policy.GetString() is { Length: > 0 } named ? named : "none");
    }

    /// <summary>The AKS resource's name: <c>AZURE_AKS_CLUSTER_NAME</c>, or the Kompox cluster's name.</summary>
    public static string NameOf(KompoxCluster cluster) =>
        cluster.Settings.TryGetValue("AZURE_AKS_CLUSTER_NAME", out var name) && name.Length > 0 ? name : cluster.Name;

    /// <summary>
    /// Whether the cluster's identity holds a role at or above the group that allows reading and writing disks:
    /// AKS attaches a disk outside its node resource group only with such rights ("Contributor" per the AKS docs,
    /// learn.microsoft.com/azure/aks/azure-disk-csi: bring your own disk). Roles are read from their definitions, so a
    /// custom role with the disk actions counts too.
    /// </summary>
    public async Task<bool> MayUseDisksInAsync(HttpPipeline arm, Uri endpoint, string subscriptionId, string group, CancellationToken cancellationToken)
    {
        if (group.Equals(NodeResourceGroup, StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }

        var scope = $"/subscriptions/{subscriptionId}/resourceGroups/{group}";
        using var assignments = await GetAsync(arm, endpoint, scope + "/providers/Microsoft.Authorization/roleAssignments", AuthorizationApiVersion, $"principalId eq '{PrincipalId}'", cancellationToken).ConfigureAwait(false);
        foreach (var assignment in assignments.RootElement.GetProperty("value").EnumerateArray())
        {
            var properties = assignment.GetProperty("properties");
            var at = properties.GetProperty("scope").GetString() ?? string.Empty;

            // Assignments below the group (on one disk) do not cover new disks.
            if (!scope.Equals(at, StringComparison.OrdinalIgnoreCase) && !scope.StartsWith(at.TrimEnd('/') + "/", StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            using var definition = await GetAsync(arm, endpoint, properties.GetProperty("roleDefinitionId").GetString()!, AuthorizationApiVersion, null, cancellationToken).ConfigureAwait(false);
            foreach (var permission in definition.RootElement.GetProperty("properties").GetProperty("permissions").EnumerateArray())
            {
                var actions = Strings(permission, "actions");
                var notActions = Strings(permission, "notActions");
                if (DiskActions.All(a => actions.Any(p => Matches(p, a)) && !notActions.Any(p => Matches(p, a))))
                {
                    return true;
                }
            }
        }

        return false;
    }

    private static List<string> Strings(JsonElement element, string name) =>
        element.TryGetProperty(name, out var list) ? list.EnumerateArray().Select(e => e.GetString() ?? string.Empty).ToList() : [];

    /// <summary>An Azure RBAC action pattern: '*' stands for any characters; case does not matter.</summary>
    private static bool Matches(string pattern, string action)
    {
        var parts = pattern.Split('*');
        if (parts.Length == 1)
        {
            return pattern.Equals(action, StringComparison.OrdinalIgnoreCase);
        }

        if (!action.StartsWith(parts[0], StringComparison.OrdinalIgnoreCase) || !action.EndsWith(parts[^1], StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        var at = parts[0].Length;
        foreach (var part in parts[1..^1])
        {
            var found = action.IndexOf(part, at, StringComparison.OrdinalIgnoreCase);
            if (found < 0)
            {
                return false;
            }

            at = found + part.Length;
        }

        return at <= action.Length - parts[^1].Length;
    }

    private static async Task<JsonDocument> GetAsync(HttpPipeline arm, Uri endpoint, string path, string apiVersion, string? filter, CancellationToken cancellationToken)
    {
        using var message = arm.CreateMessage();
        message.Request.Method = RequestMethod.Get;
        message.Request.Uri.Reset(endpoint);
        message.Request.Uri.AppendPath(path, escape: false);
        if (filter is not null)
        {
            message.Request.Uri.AppendQuery("$filter", filter);
        }

        message.Request.Uri.AppendQuery("api-version", apiVersion);
        await arm.SendAsync(message, cancellationToken).ConfigureAwait(false);
        if (message.Response.IsError)
        {
            throw new RequestFailedException(message.Response);
        }

        return await JsonDocument.ParseAsync(message.Response.ContentStream!, cancellationToken: cancellationToken).ConfigureAwait(false);
    }
}
