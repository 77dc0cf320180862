using System.Collections;
using System.Collections.Concurrent;
using System.Globalization;
using System.Reflection;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using k8s;
using k8s.Models;

namespace Kompox.Conversion;

/// <summary>
/// The JSON the client's serializer writes for a Kubernetes model object — property names from their
/// <c>JsonPropertyName</c>, in declaration order, nulls left out, quantities and int-or-string in their wire form,
/// bytes as base64 — built by plain reflection. The client's serializer generates and compiles an accessor for every
/// property of every type on first use, which is most of a cold start's cost of writing a manifest; reading the same
/// properties through reflection needs none of that. Values of any other type are left to the client's serializer.
/// </summary>
internal static class ModelJson
{
    private static readonly ConcurrentDictionary<Type, (string Name, PropertyInfo Property)[]> PropertiesByType = new();

    public static JsonNode? ToNode(object? value) => value switch
    {
        null => null,
        string text => JsonValue.Create(text),
        bool flag => JsonValue.Create(flag),
        int number => JsonValue.Create(number),
        long number => JsonValue.Create(number),
        double number => JsonValue.Create(number),
        byte[] bytes => JsonValue.Create(Convert.ToBase64String(bytes)),
        ResourceQuantity quantity => JsonValue.Create(quantity.ToString()),
        IntOrString intOrString => int.TryParse(intOrString.Value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var port)
            ? JsonValue.Create(port)
            : JsonValue.Create(intOrString.Value),
        IDictionary map => Mapping(map),
        IEnumerable items => Sequence(items),
        _ when value.GetType().Namespace == typeof(V1Pod).Namespace => Model(value),
        _ => JsonNode.Parse(KubernetesJson.Serialize(value)),
    };

    private static JsonObject Mapping(IDictionary map)
    {
        var result = new JsonObject();
        foreach (DictionaryEntry entry in map)
        {
            result[(string)entry.Key] = ToNode(entry.Value);
        }

        return result;
    }

    private static JsonArray Sequence(IEnumerable items)
    {
        var result = new JsonArray();
        foreach (var item in items)
        {
            result.Add(ToNode(item));
        }

        return result;
    }

    private static JsonObject Model(object value)
    {
        var result = new JsonObject();
        foreach (var (name, property) in PropertiesByType.GetOrAdd(value.GetType(), Properties))
        {
            if (property.GetValue(value) is { } propertyValue)
            {
                result[name] = ToNode(propertyValue);
            }
        }

        return result;
    }

    private static (string, PropertyInfo)[] Properties(Type type) => type
        .GetProperties(BindingFlags.Public | BindingFlags.Instance)
        .Where(p => p.GetIndexParameters().Length == 0 && p.GetCustomAttribute<JsonIgnoreAttribute>() is null)
        .Select(p => (p.GetCustomAttribute<JsonPropertyNameAttribute>()?.Name ?? p.Name, p))
        .ToArray();
}
