using System.Text;
using System.Text.Json.Nodes;

namespace Kompox.Testing.KubeApi;

/// <summary>
/// Field paths as structured-merge-diff names them: "f:spec", "f:replicas" for map fields and
/// "k:{"name":"web"}" for an item of a list merged by key. A path is its segments joined by
/// <see cref="Separator"/>. Lists not in the key table are atomic: the whole list is one leaf, as in
/// Kubernetes' schemas (args, command, rules, subjects, tolerations ...). Maps are granular, each field its own: a
/// PersistentVolume's claimRef too, which k8s.io/api core/v1 types.go marks <c>+structType=granular</c>
/// (PersistentVolumeSpec.ClaimRef), so the uid the volume binder fills in stays when an apply leaves it out.
/// </summary>
internal static class FieldPaths
{
    public const char Separator = '\u001f';

    /// <summary>
    /// The keys of the lists of maps Kubernetes merges by key, for the kinds Kompox writes. Ports are keyed by number and
    /// protocol, as k8s.io/api core/v1 types.go marks them: Container.Ports <c>+listMapKey=containerPort</c>
    /// <c>+listMapKey=protocol</c>, ServiceSpec.Ports <c>+listMapKey=port</c> <c>+listMapKey=protocol</c> (the same
    /// number over TCP and UDP is two items).
    /// </summary>
    public static string[]? ListKeys(string field, bool inContainer) => field switch
    {
        "containers" or "initContainers" or "ephemeralContainers" or "env" or "volumes" or "imagePullSecrets" => ["name"],
        "ports" => inContainer ? ["containerPort", "protocol"] : ["port", "protocol"],
        "volumeMounts" => ["mountPath"],
        "volumeDevices" => ["devicePath"],
        "hostAliases" => ["ip"],
        "conditions" => ["type"],
        "ownerReferences" => ["uid"],
        "readinessGates" => ["conditionType"],
        "topologySpreadConstraints" => ["topologyKey", "whenUnsatisfiable"],
        _ => null,
    };

    /// <summary>Fields no manager owns: identity, server-set metadata and the status of the main resource.</summary>
    public static bool Ignored(string path) =>
        path is "f:apiVersion" or "f:kind" or "f:status"
        || (path.StartsWith("f:metadata" + Separator, StringComparison.Ordinal)
            && path.Split(Separator).Length == 2
            && path[("f:metadata".Length + 1)..] is "f:name" or "f:namespace" or "f:uid" or "f:resourceVersion" or "f:generation"
                or "f:creationTimestamp" or "f:managedFields" or "f:deletionTimestamp" or "f:deletionGracePeriodSeconds" or "f:selfLink" or "f:generateName");

    /// <summary>Every field set in <paramref name="root"/>: leaves, and the items of keyed lists.</summary>
    public static HashSet<string> Collect(JsonObject root)
    {
        var set = new HashSet<string>(StringComparer.Ordinal);
        CollectMap(root, "", false, set);
        return set;
    }

    private static void CollectMap(JsonObject map, string prefix, bool inContainer, HashSet<string> set)
    {
        foreach (var (name, value) in map)
        {
            var path = Join(prefix, "f:" + name);
            if (Ignored(path))
            {
                continue;
            }
            var childInContainer = inContainer || name is "containers" or "initContainers" or "ephemeralContainers";
            if (value is JsonObject child && child.Count > 0)
            {
                CollectMap(child, path, childInContainer, set);
            }
            else if (value is JsonArray list && KeysOf(list, name, inContainer) is { } keys)
            {
                for (var i = 0; i < list.Count; i++)
                {
                    var itemPath = Join(path, keys[i]);
                    set.Add(itemPath);
                    CollectMap((JsonObject)list[i]!, itemPath, childInContainer, set);
                }
            }
            else
            {
                set.Add(path);
            }
        }
    }

    /// <summary>The key segments of a keyed list's items, or null when the list is atomic (not keyed, or an item lacks its key).</summary>
    public static string[]? KeysOf(JsonArray list, string field, bool inContainer)
    {
        var keyFields = ListKeys(field, inContainer);
        if (keyFields is null)
        {
            return null;
        }
        var segments = new string[list.Count];
        for (var i = 0; i < list.Count; i++)
        {
            if (list[i] is not JsonObject item || KeySegment(item, keyFields) is not { } segment)
            {
                return null;
            }
            segments[i] = segment;
        }
        return segments.Distinct(StringComparer.Ordinal).Count() == segments.Length ? segments : null;
    }

    public static string? KeySegment(JsonObject item, string[] keyFields)
    {
        var key = new JsonObject();
        foreach (var field in keyFields)
        {
            if (!item.TryGetPropertyValue(field, out var value) || value is null)
            {
                // A port's protocol is "+default=\"TCP\"" in k8s.io/api core/v1: structured-merge-diff keys an item
                // without it as the defaulted one.
                if (field == "protocol")
                {
                    key[field] = "TCP";
                    continue;
                }
                return null;
            }
            key[field] = value.DeepClone();
        }
        return "k:" + key.ToJsonString();
    }

    public static string Join(string prefix, string segment) => prefix.Length == 0 ? segment : prefix + Separator + segment;

    public static string[] Segments(string path) => path.Split(Separator);

    public static bool IsPrefixOf(string prefix, string path) =>
        path.Length > prefix.Length && path.StartsWith(prefix, StringComparison.Ordinal) && path[prefix.Length] == Separator;

    /// <summary>The value at a path, or null when a segment is missing.</summary>
    public static JsonNode? ValueAt(JsonObject root, string path)
    {
        JsonNode? current = root;
        var segments = Segments(path);
        var inContainer = false;
        string? lastField = null;
        foreach (var segment in segments)
        {
            current = Step(current, segment, lastField, inContainer);
            if (current is null)
            {
                return null;
            }
            if (segment.StartsWith("f:", StringComparison.Ordinal))
            {
                lastField = segment[2..];
                inContainer |= lastField is "containers" or "initContainers" or "ephemeralContainers";
            }
        }
        return current;
    }

    private static JsonNode? Step(JsonNode? current, string segment, string? lastField, bool inContainer)
    {
        if (segment.StartsWith("f:", StringComparison.Ordinal))
        {
            return current is JsonObject map && map.TryGetPropertyValue(segment[2..], out var value) ? value : null;
        }
        if (current is JsonArray list && lastField is not null && ListKeys(lastField, inContainer) is { } keyFields)
        {
            return list.OfType<JsonObject>().FirstOrDefault(item => KeySegment(item, keyFields) == segment);
        }
        return null;
    }

    /// <summary>Removes the field or list item at a path; missing parents are fine.</summary>
    public static void RemoveAt(JsonObject root, string path)
    {
        var segments = Segments(path);
        JsonNode? parent = root;
        var inContainer = false;
        string? lastField = null;
        for (var i = 0; i < segments.Length - 1; i++)
        {
            parent = Step(parent, segments[i], lastField, inContainer);
            if (parent is null)
            {
                return;
            }
            if (segments[i].StartsWith("f:", StringComparison.Ordinal))
            {
                lastField = segments[i][2..];
                inContainer |= lastField is "containers" or "initContainers" or "ephemeralContainers";
            }
        }
        var last = segments[^1];
        if (last.StartsWith("f:", StringComparison.Ordinal))
        {
            (parent as JsonObject)?.Remove(last[2..]);
        }
        else if (parent is JsonArray list && Step(list, last, lastField, inContainer) is { } item)
        {
            list.Remove(item);
        }
    }

    /// <summary>Merges an applied configuration into an object: maps field by field, keyed lists item by item, everything else replaced.</summary>
    public static void Merge(JsonObject target, JsonObject source, bool inContainer = false)
    {
        foreach (var (name, value) in source)
        {
            var childInContainer = inContainer || name is "containers" or "initContainers" or "ephemeralContainers";
            if (value is JsonObject sourceMap && target[name] is JsonObject targetMap)
            {
                Merge(targetMap, sourceMap, childInContainer);
            }
            else if (value is JsonArray sourceList && target[name] is JsonArray targetList
                && KeysOf(sourceList, name, inContainer) is { } sourceKeys && KeysOf(targetList, name, inContainer) is { } targetKeys)
            {
                for (var i = 0; i < sourceList.Count; i++)
                {
                    var index = Array.IndexOf(targetKeys, sourceKeys[i]);
                    if (index >= 0)
                    {
                        Merge((JsonObject)targetList[index]!, (JsonObject)sourceList[i]!, childInContainer);
                    }
                    else
                    {
                        targetList.Add(sourceList[i]!.DeepClone());
                    }
                }
            }
            else
            {
                target[name] = value?.DeepClone();
            }
        }
    }

    /// <summary>"spec.template.spec.containers[name=\"web\"].image": the path as kube-apiserver prints it in conflicts.</summary>
    public static string Display(string path)
    {
        var builder = new StringBuilder();
        foreach (var segment in Segments(path))
        {
            if (segment.StartsWith("f:", StringComparison.Ordinal))
            {
                builder.Append('.').Append(segment[2..]);
            }
            else
            {
                var key = (JsonObject)JsonNode.Parse(segment[2..])!;
                builder.Append('[').Append(string.Join(",", key.Select(p => $"{p.Key}={p.Value!.ToJsonString()}"))).Append(']');
            }
        }
        return builder.ToString();
    }

    /// <summary>The fieldsV1 tree of a set of paths, as metadata.managedFields carries it.</summary>
    public static JsonObject ToFieldsV1(IEnumerable<string> paths)
    {
        var root = new JsonObject();
        foreach (var path in paths.OrderBy(p => p, StringComparer.Ordinal))
        {
            var node = root;
            foreach (var segment in Segments(path))
            {
                if (node[segment] is not JsonObject child)
                {
                    child = new JsonObject();
                    node[segment] = child;
                }
                node = child;
            }
            if (path.Split(Separator)[^1].StartsWith("k:", StringComparison.Ordinal))
            {
                node["."] = new JsonObject();
            }
        }
        return root;
    }
}
