using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Kompox.Testing.KubeApi;

/// <summary>labelSelector and fieldSelector of list requests, as k8s.io/apimachinery parses them.</summary>
internal static partial class Selectors
{
    private sealed record Requirement(string Key, string Operator, string[] Values);

    /// <summary>Parses "a=b,c!=d,e in (x,y),f notin (z),g,!h"; null with a message when the selector is malformed.</summary>
    public static Func<IDictionary<string, string>, bool>? ParseLabels(string? selector, out string? error)
    {
        error = null;
        var requirements = new List<Requirement>();
        foreach (var part in SplitTopLevel(selector ?? ""))
        {
            var text = part.Trim();
            if (text.Length == 0)
            {
                continue;
            }
            Match match;
            if ((match = SetRegex().Match(text)).Success)
            {
                var values = match.Groups["values"].Value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
                requirements.Add(new(match.Groups["key"].Value, match.Groups["op"].Value, values));
            }
            else if ((match = CompareRegex().Match(text)).Success)
            {
                var op = match.Groups["op"].Value == "!=" ? "!=" : "=";
                requirements.Add(new(match.Groups["key"].Value, op, [match.Groups["value"].Value]));
            }
            else if ((match = ExistsRegex().Match(text)).Success)
            {
                requirements.Add(new(match.Groups["key"].Value, match.Groups["not"].Success && match.Groups["not"].Value == "!" ? "!" : "exists", []));
            }
            else
            {
                error = $"unable to parse requirement: <nil>: Invalid value: \"{text}\": found unexpected token";
                return null;
            }
        }
        return labels => requirements.All(r => Matches(r, labels));
    }

    private static bool Matches(Requirement requirement, IDictionary<string, string> labels)
    {
        var has = labels.TryGetValue(requirement.Key, out var value);
        return requirement.Operator switch
        {
            "=" => has && value == requirement.Values[0],
            "!=" => !has || value != requirement.Values[0],
            "in" => has && requirement.Values.Contains(value),
            "notin" => !has || !requirement.Values.Contains(value),
            "exists" => has,
            _ => !has,
        };
    }

    /// <summary>A fieldSelector ("metadata.name=x,status.phase!=Running") over the object's dotted paths.</summary>
    public static Func<JsonObject, bool>? ParseFields(string? selector, out string? error)
    {
        error = null;
        var terms = new List<(string Path, bool Equal, string Value)>();
        foreach (var part in (selector ?? "").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var match = CompareRegex().Match(part);
            if (!match.Success)
            {
                error = $"invalid selector: '{part}'; can't understand '{part}'";
                return null;
            }
            terms.Add((match.Groups["key"].Value, match.Groups["op"].Value != "!=", match.Groups["value"].Value));
        }
        return item => terms.All(term => (StringAt(item, term.Path) == term.Value) == term.Equal);
    }

    private static string StringAt(JsonObject item, string dotted)
    {
        JsonNode? node = item;
        foreach (var part in dotted.Split('.'))
        {
            node = node is JsonObject map && map.TryGetPropertyValue(part, out var value) ? value : null;
        }
        return node is JsonValue scalar ? scalar.ToString() : "";
    }

    private static IEnumerable<string> SplitTopLevel(string selector)
    {
        var depth = 0;
        var start = 0;
        for (var i = 0; i < selector.Length; i++)
        {
            if (selector[i] == '(')
            {
                depth++;
            }
            else if (selector[i] == ')')
            {
                depth--;
            }
            else if (selector[i] == ',' && depth == 0)
            {
                yield return selector[start..i];
                start = i + 1;
            }
        }
        yield return selector[start..];
    }

    public static IDictionary<string, string> LabelsOf(JsonObject item) =>
        item["metadata"]?["labels"] is JsonObject labels
            ? labels.ToDictionary(p => p.Key, p => p.Value?.ToString() ?? "", StringComparer.Ordinal)
            : new Dictionary<string, string>(StringComparer.Ordinal);

    [GeneratedRegex(@"^(?<key>[A-Za-z0-9./_-]+)\s+(?<op>in|notin)\s*\((?<values>[^)]*)\)$")]
    private static partial Regex SetRegex();

    [GeneratedRegex(@"^(?<key>[A-Za-z0-9./_-]+)\s*(?<op>==|!=|=)\s*(?<value>[A-Za-z0-9._-]*)$")]
    private static partial Regex CompareRegex();

    [GeneratedRegex(@"^(?<not>!)?\s*(?<key>[A-Za-z0-9./_-]+)$")]
    private static partial Regex ExistsRegex();
}

/// <summary>Request bodies as JSON nodes: JSON as is, YAML (apply-patch+yaml) through the YAML 1.2 core schema.</summary>
internal static class Bodies
{
    public static JsonNode? Parse(string text)
    {
        var trimmed = text.TrimStart();
        if (trimmed.StartsWith('{') || trimmed.StartsWith('['))
        {
            return JsonNode.Parse(text);
        }
        var stream = new YamlStream();
        stream.Load(new StringReader(text));
        return stream.Documents.Count == 0 ? null : Convert(stream.Documents[0].RootNode);
    }

    private static JsonNode? Convert(YamlNode node) => node switch
    {
        YamlMappingNode map => new JsonObject(map.Children.Select(p => KeyValuePair.Create(((YamlScalarNode)p.Key).Value ?? "", Convert(p.Value)))),
        YamlSequenceNode list => new JsonArray(list.Children.Select(Convert).ToArray()),
        YamlScalarNode scalar => Scalar(scalar),
        _ => null,
    };

    private static JsonNode? Scalar(YamlScalarNode scalar)
    {
        var value = scalar.Value ?? "";
        if (scalar.Style is not ScalarStyle.Plain)
        {
            return JsonValue.Create(value);
        }
        switch (value)
        {
            case "" or "~" or "null" or "Null" or "NULL":
                return null;
            case "true" or "True" or "TRUE":
                return JsonValue.Create(true);
            case "false" or "False" or "FALSE":
                return JsonValue.Create(false);
        }
        if (long.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var integer))
        {
            return JsonValue.Create(integer);
        }
        if (double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var number) && value.Any(char.IsDigit))
        {
            return JsonValue.Create(number);
        }
        return JsonValue.Create(value);
    }
}
