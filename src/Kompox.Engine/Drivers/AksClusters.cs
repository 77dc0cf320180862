using System.Text.Json.Nodes;
using Azure;
using Azure.Core;
using Azure.Core.Pipeline;
using Kompox.Model;

namespace Kompox.Drivers;

/// <summary>AKS managed clusters as Resource Manager describes them (Microsoft.ContainerService/managedClusters).</summary>
internal static class AksClusters
{
    public const string ApiVersion = "2024-09-01";

    /// <summary>
    /// The networkProfile.networkPolicy of the managed cluster in the cluster's resource group whose API server host name
    /// (properties.fqdn, or privateFQDN) is <paramref name="serverHost"/>: azure, calico or cilium enforce NetworkPolicy;
    /// none, or no value (a cluster made without a policy engine), enforce none. Null when no cluster there has that host.
    /// </summary>
    public static async Task<string?> NetworkPolicyAsync(HttpPipeline pipeline, Uri endpoint, KompoxCluster cluster, string serverHost, CancellationToken cancellationToken)
    {
        var subscription = cluster.Provider.Settings.GetValueOrDefault("AZURE_SUBSCRIPTION_ID");
        var group = cluster.Settings.GetValueOrDefault("AZURE_RESOURCE_GROUP_NAME");
        if (subscription is null || group is null)
        {
            return null;
        }

        using var message = pipeline.CreateMessage();
        message.Request.Method = RequestMethod.Get;
        message.Request.Uri.Reset(new Uri(endpoint, $"/subscriptions/{Uri.EscapeDataString(subscription)}/resourceGroups/{Uri.EscapeDataString(group)}/providers/Microsoft.ContainerService/managedClusters?api-version={ApiVersion}"));
        await pipeline.SendAsync(message, cancellationToken).ConfigureAwait(false);
        var response = message.Response;
        if (response.IsError)
        {
            throw new RequestFailedException(response);
        }

        var clusters = JsonNode.Parse(response.Content.ToString())?["value"]?.AsArray() ?? new JsonArray();
        foreach (var managed in clusters)
        {
            var properties = managed?["properties"];
            var hosts = new[] { "fqdn", "privateFQDN" }.Select(k => properties?[k]?.GetValue<string>()).Where(h => h is not null);
            if (hosts.Contains(serverHost, StringComparer.OrdinalIgnoreCase))
            {
                return properties?["networkProfile"]?["networkPolicy"]?.GetValue<string>() is { Length: > 0 } policy ? policy : "none";
            }
        }

        return null;
    }
}
