using System.Globalization;
using System.Text.Json.Nodes;

namespace Kompox.Testing.KubeApi;

/// <summary>RFC 6902 JSON Patch (application/json-patch+json): add, remove, replace, move, copy, test; a failed operation fails the whole patch.</summary>
internal static class JsonPatch
{
    public static void Apply(JsonObject target, JsonArray operations)
    {
        foreach (var operation in operations)
        {
            var op = operation?["op"]?.ToString();
            var path = operation?["path"]?.ToString() ?? throw Invalid("missing path");
            switch (op)
            {
                case "add":
                    Add(target, path, Value(operation));
                    break;
                case "remove":
                    Remove(target, path);
                    break;
                case "replace":
                    Remove(target, path);
                    Add(target, path, Value(operation));
                    break;
                case "move":
                    var moved = Get(target, From(operation));
                    Remove(target, From(operation));
                    Add(target, path, moved);
                    break;
                case "copy":
                    Add(target, path, Get(target, From(operation))?.DeepClone());
                    break;
                case "test":
                    if (!JsonNode.DeepEquals(Get(target, path), operation!["value"]))
                    {
                        throw Invalid($"testing value {path} failed");
                    }
                    break;
                default:
                    throw Invalid($"Unexpected kind: {op}");
            }
        }
    }

    private static JsonNode? Value(JsonNode? operation) =>
        operation is JsonObject map && map.TryGetPropertyValue("value", out var value) ? value?.DeepClone() : throw Invalid("missing value");

    private static string From(JsonNode? operation) => operation?["from"]?.ToString() ?? throw Invalid("missing from");

    private static ApiError Invalid(string message) => new(422, "Invalid", $"the server rejected our request due to an error in our request: {message}");

    private static string[] Tokens(string pointer) =>
        pointer.Length == 0 ? [] : pointer[1..].Split('/').Select(t => t.Replace("~1", "/", StringComparison.Ordinal).Replace("~0", "~", StringComparison.Ordinal)).ToArray();

    private static JsonNode? Get(JsonNode? node, string pointer)
    {
        foreach (var token in Tokens(pointer))
        {
            node = Step(node, token, pointer);
        }
        return node;
    }

    private static JsonNode? Step(JsonNode? node, string token, string pointer) => node switch
    {
        JsonObject map when map.TryGetPropertyValue(token, out var child) => child,
        JsonArray list when int.TryParse(token, NumberStyles.None, CultureInfo.InvariantCulture, out var index) && index < list.Count => list[index],
        _ => throw Invalid($"doc is missing path: {pointer}"),
    };

    private static (JsonNode? Parent, string Last) Parent(JsonObject root, string pointer)
    {
        var tokens = Tokens(pointer);
        if (tokens.Length == 0)
        {
            throw Invalid("the root cannot be replaced by a patch");
        }
        JsonNode? parent = root;
        foreach (var token in tokens[..^1])
        {
            parent = Step(parent, token, pointer);
        }
        return (parent, tokens[^1]);
    }

    private static void Add(JsonObject root, string pointer, JsonNode? value)
    {
        var (parent, last) = Parent(root, pointer);
        switch (parent)
        {
            case JsonObject map:
                map[last] = value;
                break;
            case JsonArray list when last == "-":
                list.Add(value);
                break;
            case JsonArray list when int.TryParse(last, NumberStyles.None, CultureInfo.InvariantCulture, out var index) && index <= list.Count:
                list.Insert(index, value);
                break;
            default:
                throw Invalid($"doc is missing path: {pointer}");
        }
    }

    private static void Remove(JsonObject root, string pointer)
    {
        var (parent, last) = Parent(root, pointer);
        var removed = parent switch
        {
            JsonObject map => map.Remove(last),
            JsonArray list when int.TryParse(last, NumberStyles.None, CultureInfo.InvariantCulture, out var index) && index < list.Count => RemoveAt(list, index),
            _ => false,
        };
        if (!removed)
        {
            throw Invalid($"doc is missing path: {pointer}");
        }
    }

    private static bool RemoveAt(JsonArray list, int index)
    {
        list.RemoveAt(index);
        return true;
    }
}
