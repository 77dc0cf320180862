using System.Collections.Concurrent;
using System.Reflection;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;
using k8s.Models;
using YamlDotNet.RepresentationModel;

namespace Kompox.Testing;

/// <summary>
/// Checks a raw YAML document against the schema the client's model types declare, as kube-apiserver's strict field
/// validation does: a key no field declares is an error (the typed loader would drop it in silence), and so is a
/// scalar whose type, as kubectl's YAML 1.1 reader resolves it, the field cannot take (a plain <c>0x1F</c> where a
/// string is required reaches the apiserver as the number 31).
/// </summary>
internal static partial class SchemaRules
{
    private enum ScalarKind { Null, Bool, Integer, Float, String }

    private static readonly ConcurrentDictionary<Type, Dictionary<string, Type>?> FieldsByType = new();

    public static void Validate(FieldErrors errors, YamlNode document, Type modelType) => Walk(errors, document, modelType, "");

    private static void Walk(FieldErrors errors, YamlNode node, Type type, string path)
    {
        type = Nullable.GetUnderlyingType(type) ?? type;
        if (type == typeof(object))
        {
            return;
        }
        switch (node)
        {
            case YamlScalarNode scalar:
                WalkScalar(errors, scalar, type, path);
                break;
            case YamlMappingNode mapping when DictionaryValueType(type) is { } valueType:
                foreach (var (key, value) in mapping.Children)
                {
                    Walk(errors, value, valueType, $"{path}[{KeyText(key)}]");
                }
                break;
            case YamlMappingNode mapping when Fields(type) is { } fields:
                foreach (var (key, value) in mapping.Children)
                {
                    var name = KeyText(key);
                    var fieldPath = path.Length == 0 ? name : $"{path}.{name}";
                    if (fields.TryGetValue(name, out var fieldType))
                    {
                        Walk(errors, value, fieldType, fieldPath);
                    }
                    else
                    {
                        errors.UnknownField(fieldPath);
                    }
                }
                break;
            case YamlSequenceNode sequence when ListElementType(type) is { } elementType:
                for (var i = 0; i < sequence.Children.Count; i++)
                {
                    Walk(errors, sequence.Children[i], elementType, $"{path}[{i}]");
                }
                break;
            default:
                errors.Invalid(path, node is YamlMappingNode ? "a mapping" : "a list", $"must be {Describe(type)}");
                break;
        }
    }

    private static void WalkScalar(FieldErrors errors, YamlScalarNode scalar, Type type, string path)
    {
        var kind = Resolve(scalar);
        if (kind == ScalarKind.Null)
        {
            return;
        }
        var accepted = type == typeof(string) || type == typeof(byte[]) || type == typeof(DateTime) || type == typeof(DateTimeOffset) ? kind == ScalarKind.String
            : type == typeof(bool) ? kind == ScalarKind.Bool
            : type == typeof(int) || type == typeof(long) ? kind == ScalarKind.Integer
            : type == typeof(double) ? kind is ScalarKind.Integer or ScalarKind.Float
            : type == typeof(IntOrString) ? kind is ScalarKind.Integer or ScalarKind.String
            : type == typeof(ResourceQuantity) ? kind is ScalarKind.Integer or ScalarKind.Float or ScalarKind.String
            : false;
        if (!accepted)
        {
            errors.Invalid(path, scalar.Value, $"must be {Describe(type)}; kubectl reads this YAML scalar as {Describe(kind)}");
        }
    }

    private static string KeyText(YamlNode key) => key is YamlScalarNode scalar ? scalar.Value ?? "" : key.ToString();

    /// <summary>How kubectl's YAML 1.1 reader (go-yaml v2) types a scalar: only plain ones are resolved, after dropping underscores for numbers.</summary>
    private static ScalarKind Resolve(YamlScalarNode scalar)
    {
        if (scalar.Style != YamlDotNet.Core.ScalarStyle.Plain)
        {
            return ScalarKind.String;
        }
        var text = scalar.Value ?? "";
        if (text is "" or "~" or "null" or "Null" or "NULL")
        {
            return ScalarKind.Null;
        }
        if (BoolRegex().IsMatch(text))
        {
            return ScalarKind.Bool;
        }
        var digits = text.Replace("_", "", StringComparison.Ordinal);
        if (IntegerRegex().IsMatch(digits))
        {
            return ScalarKind.Integer;
        }
        return FloatRegex().IsMatch(digits) || SpecialFloatRegex().IsMatch(text) ? ScalarKind.Float : ScalarKind.String;
    }

    private static Type? DictionaryValueType(Type type) =>
        ImplementedGeneric(type, typeof(IDictionary<,>)) is { } arguments && arguments[0] == typeof(string) ? arguments[1] : null;

    private static Type? ListElementType(Type type) =>
        type == typeof(string) || type == typeof(byte[]) ? null : ImplementedGeneric(type, typeof(IList<>))?[0];

    private static Type[]? ImplementedGeneric(Type type, Type definition) =>
        (type.IsGenericType && type.GetGenericTypeDefinition() == definition ? type : type.GetInterfaces().FirstOrDefault(i => i.IsGenericType && i.GetGenericTypeDefinition() == definition))
            ?.GetGenericArguments();

    /// <summary>The JSON fields of a model type, or null for a type that is not an object of the API.</summary>
    private static Dictionary<string, Type>? Fields(Type type) => FieldsByType.GetOrAdd(type, t =>
    {
        if (t == typeof(IntOrString) || t == typeof(ResourceQuantity))
        {
            return null;
        }
        var fields = t.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.GetCustomAttribute<JsonPropertyNameAttribute>() is not null)
            .ToDictionary(p => p.GetCustomAttribute<JsonPropertyNameAttribute>()!.Name, p => p.PropertyType, StringComparer.Ordinal);
        return fields.Count == 0 ? null : fields;
    });

    private static string Describe(Type type) =>
        type == typeof(string) || type == typeof(byte[]) || type == typeof(DateTime) || type == typeof(DateTimeOffset) ? "a string"
        : type == typeof(bool) ? "a boolean"
        : type == typeof(int) || type == typeof(long) ? "an integer"
        : type == typeof(double) ? "a number"
        : type == typeof(IntOrString) ? "an integer or a string"
        : type == typeof(ResourceQuantity) ? "a quantity"
        : DictionaryValueType(type) is not null || Fields(type) is not null ? "a mapping"
        : ListElementType(type) is not null ? "a list"
        : type.Name;

    private static string Describe(ScalarKind kind) => kind switch
    {
        ScalarKind.Bool => "a boolean",
        ScalarKind.Integer => "an integer",
        ScalarKind.Float => "a floating-point number",
        _ => "a string",
    };

    [GeneratedRegex(@"^(?:y|Y|yes|Yes|YES|n|N|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF)\z")]
    private static partial Regex BoolRegex();

    // Go's strconv.ParseInt with base 0, which go-yaml v2 calls: 0b, 0o, 0x prefixes, and a leading 0 for octal.
    [GeneratedRegex(@"^[-+]?(?:0[bB][01]+|0[oO][0-7]+|0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)\z")]
    private static partial Regex IntegerRegex();

    // go-yaml v2's yamlStyleFloat.
    [GeneratedRegex(@"^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?\z")]
    private static partial Regex FloatRegex();

    [GeneratedRegex(@"^(?:[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))\z")]
    private static partial Regex SpecialFloatRegex();
}
