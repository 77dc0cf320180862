using System.Globalization;
using System.Text.Json.Nodes;

namespace Kompox.Testing.KubeApi;

public sealed partial class KubeApiServer
{
    /// <summary>
    /// Server-side printing (Accept: application/json;as=Table;g=meta.k8s.io;v=v1), which `kubectl get` asks for: the
    /// columns kube-apiserver prints for pods, deployments and events, NAME and AGE for the other kinds.
    /// </summary>
    private JsonObject Table(ResourceType resource, JsonObject result)
    {
        var items = result["items"] is JsonArray list ? list.OfType<JsonObject>().ToList() : [result];
        var (columns, cells) = resource.Plural switch
        {
            "pods" => (new[] { "Name", "Ready", "Status", "Restarts", "Age" }, (Func<JsonObject, JsonNode?[]>)PodCells),
            "deployments" => (["Name", "Ready", "Up-to-date", "Available", "Age"], DeploymentCells),
            "events" => (["Last Seen", "Type", "Reason", "Object", "Message"], EventCells),
            _ => (["Name", "Age"], item => [Name(item), Age(item["metadata"]?["creationTimestamp"])]),
        };
        var definitions = new JsonArray();
        foreach (var column in columns)
        {
            definitions.Add(new JsonObject
            {
                ["name"] = column,
                ["type"] = "string",
                ["format"] = column == "Name" ? "name" : "",
                ["description"] = "",
                ["priority"] = 0,
            });
        }
        var rows = new JsonArray();
        foreach (var item in items)
        {
            rows.Add(new JsonObject { ["cells"] = new JsonArray(cells(item)), ["object"] = item.DeepClone() });
        }
        return new JsonObject
        {
            ["kind"] = "Table",
            ["apiVersion"] = "meta.k8s.io/v1",
            ["metadata"] = new JsonObject { ["resourceVersion"] = resourceVersion.ToString(CultureInfo.InvariantCulture) },
            ["columnDefinitions"] = definitions,
            ["rows"] = rows,
        };
    }

    private JsonNode?[] PodCells(JsonObject pod)
    {
        var statuses = pod["status"]?["containerStatuses"]?.AsArray().OfType<JsonObject>().ToList() ?? [];
        var containers = pod["spec"]?["containers"]?.AsArray().Count ?? 0;
        var ready = statuses.Count(s => s["ready"]?.GetValue<bool>() == true);
        var restarts = statuses.Sum(s => s["restartCount"]?.GetValue<int>() ?? 0);
        var reason = statuses.Select(s => s["state"]?["waiting"]?["reason"]?.ToString()).FirstOrDefault(r => r is not null)
            ?? pod["status"]?["phase"]?.ToString() ?? "Unknown";
        return [Name(pod), $"{ready}/{containers}", reason, restarts, Age(pod["metadata"]?["creationTimestamp"])];
    }

    private JsonNode?[] DeploymentCells(JsonObject deployment)
    {
        var status = deployment["status"];
        int Count(string field) => status?[field]?.GetValue<int>() ?? 0;
        var replicas = deployment["spec"]?["replicas"]?.GetValue<int>() ?? 1;
        return [Name(deployment), $"{Count("readyReplicas")}/{replicas}", Count("updatedReplicas"), Count("availableReplicas"), Age(deployment["metadata"]?["creationTimestamp"])];
    }

    private JsonNode?[] EventCells(JsonObject item)
    {
        var involved = item["involvedObject"];
        var kind = involved?["kind"]?.ToString()?.ToLowerInvariant() ?? "";
        return [Age(item["lastTimestamp"]), item["type"]?.ToString(), item["reason"]?.ToString(), $"{kind}/{involved?["name"]}", item["message"]?.ToString()];
    }

    private static JsonNode? Name(JsonObject item) => item["metadata"]?["name"]?.ToString();

    /// <summary>The age as kubectl prints it: 42s, 7m, 5h, 3d.</summary>
    private string Age(JsonNode? timestamp)
    {
        if (!DateTimeOffset.TryParse(timestamp?.ToString(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at))
        {
            return "<unknown>";
        }
        var age = time.GetUtcNow() - at;
        return age.TotalSeconds < 120 ? $"{Math.Max(0, (int)age.TotalSeconds)}s"
            : age.TotalHours < 3 ? $"{(int)age.TotalMinutes}m"
            : age.TotalHours < 48 ? $"{(int)age.TotalHours}h"
            : $"{(int)age.TotalDays}d";
    }
}
