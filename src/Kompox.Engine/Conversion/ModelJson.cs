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
/// <para>
/// Each property is read through a delegate bound to its getter, not <see cref="PropertyInfo.GetValue(object)"/>:
/// reflection compiles an invoke stub for a getter the second time it is called, which for the objects of one app was
/// about 150 methods compiled at run time. The delegates come from generic methods over reference types, whose code is
/// shared and precompiled; only a value-typed property's type (bool?, int?, long?) has its instantiation compiled.
/// </para>
/// </summary>
internal static class ModelJson
{
    private static readonly ConcurrentDictionary<Type, (string Name, Func<object, object?> Get)[]> PropertiesByType = new();

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
        foreach (var (name, get) in PropertiesByType.GetOrAdd(value.GetType(), Properties))
        {
            if (get(value) is { } propertyValue)
            {
                result[name] = ToNode(propertyValue);
            }
        }

        return result;
    }

    private static (string, Func<object, object?>)[] Properties(Type type) => type
        .GetProperties(BindingFlags.Public | BindingFlags.Instance)
        .Where(p => p.GetIndexParameters().Length == 0 && p.GetCustomAttribute<JsonIgnoreAttribute>() is null)
        .Select(p => (p.GetCustomAttribute<JsonPropertyNameAttribute>()?.Name ?? p.Name, Getter(p)))
        .ToArray();

    private static readonly MethodInfo ReferenceGetterMethod = typeof(ModelJson).GetMethod(nameof(ReferenceGetter), BindingFlags.NonPublic | BindingFlags.Static)!;

    private static readonly MethodInfo ValueGetterMethod = typeof(ModelJson).GetMethod(nameof(ValueGetter), BindingFlags.NonPublic | BindingFlags.Static)!;

    /// <summary>The property's getter as a delegate; the factory is itself a delegate, since invoking it by reflection would compile a stub too.</summary>
    private static Func<object, object?> Getter(PropertyInfo property)
    {
        if (property.DeclaringType!.IsValueType)
        {
            return property.GetValue;
        }

        var factory = property.PropertyType.IsValueType
            ? ValueGetterMethod.MakeGenericMethod(property.DeclaringType, property.PropertyType)
            : ReferenceGetterMethod.MakeGenericMethod(property.DeclaringType);
        return factory.CreateDelegate<Func<MethodInfo, Func<object, object?>>>()(property.GetMethod!);
    }

    private static Func<object, object?> ReferenceGetter<TTarget>(MethodInfo getter)
        where TTarget : class
    {
        var get = getter.CreateDelegate<Func<TTarget, object?>>();
        return target => get((TTarget)target);
    }

    private static Func<object, object?> ValueGetter<TTarget, TValue>(MethodInfo getter)
        where TTarget : class
    {
        var get = getter.CreateDelegate<Func<TTarget, TValue>>();
        return target => get((TTarget)target);
    }
}
