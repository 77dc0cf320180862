using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Kompox.Testing.KubeApi;

/// <summary>
/// metav1.MicroTime as kube-apiserver decodes it: k8s.io/apimachinery/pkg/apis/meta/v1/micro_time.go
/// <c>UnmarshalJSON</c> is <c>time.Parse(RFC3339Micro, str)</c> with <c>RFC3339Micro = "2006-01-02T15:04:05.000000Z07:00"</c>;
/// Go's <c>stdFracSecond0</c> (time/format.go) takes exactly the six digits the layout names, so "…:05Z" (no fraction)
/// and "…:05.1234567Z" both fail, and JSON null is the zero time. A failed decode is a 400: apiserver
/// endpoints/handlers/rest.go <c>transformDecodeError</c>, "&lt;Kind&gt; in version "v1" cannot be handled as a &lt;Kind&gt;: …".
/// </summary>
internal static partial class MicroTime
{
    private const string Layout = "2006-01-02T15:04:05.000000Z07:00";

    private static readonly string[] Elements = ["2006", "-", "01", "-", "02", "T", "15", ":", "04", ":", "05"];

    /// <summary>The MicroTime fields of the kinds served: coordination/v1 LeaseSpec, core/v1 Event and EventSeries.</summary>
    private static readonly Dictionary<string, string[][]> Fields = new(StringComparer.Ordinal)
    {
        ["leases"] = [["spec", "acquireTime"], ["spec", "renewTime"]],
        ["events"] = [["eventTime"], ["series", "lastObservedTime"]],
    };

    /// <summary>Throws the apiserver's 400 when a MicroTime field of <paramref name="body"/> is not RFC3339Micro.</summary>
    public static void Check(ResourceType resource, JsonObject body)
    {
        if (!Fields.TryGetValue(resource.Plural, out var paths))
        {
            return;
        }

        foreach (var path in paths)
        {
            JsonNode? node = body;
            foreach (var step in path)
            {
                node = (node as JsonObject)?[step];
            }

            if (node is null)
            {
                continue;
            }

            var error = node is JsonValue value && value.TryGetValue<string>(out var text)
                ? Parse(text)
                : $"json: cannot unmarshal {node.GetValueKind().ToString().ToLowerInvariant()} into Go value of type string";
            if (error is not null)
            {
                throw ApiError.BadRequest($"{resource.Kind} in version \"{resource.Version}\" cannot be handled as a {resource.Kind}: {error}");
            }
        }
    }

    /// <returns>Null when <paramref name="text"/> parses; else Go's error text.</returns>
    private static string? Parse(string text)
    {
        // Layout elements in order, as time.Parse walks them: numbers and the literals between them to the second,
        // then the six-digit fraction, then the zone. Go names the rest of the value and the element that failed.
        var rest = text;
        foreach (var element in Elements)
        {
            var ok = char.IsDigit(element[0])
                ? rest.Length >= element.Length && rest[..element.Length].All(char.IsAsciiDigit)
                : rest.StartsWith(element, StringComparison.Ordinal);
            if (!ok)
            {
                return Fail(text, rest, element);
            }

            rest = rest[element.Length..];
        }

        var fraction = Fraction().Match(rest);
        if (!fraction.Success)
        {
            return Fail(text, rest, ".000000");
        }

        var zone = rest[fraction.Length..];
        if (!Zone().IsMatch(zone))
        {
            return Fail(text, zone, "Z07:00");
        }

        return DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.None, out _)
            ? null
            : $"parsing time \"{text}\": day out of range";
    }

    private static string Fail(string text, string value, string element) =>
        $"parsing time \"{text}\" as \"{Layout}\": cannot parse \"{value}\" as \"{element}\"";

    [GeneratedRegex(@"^[.,]\d{6}", RegexOptions.CultureInvariant)]
    private static partial Regex Fraction();

    [GeneratedRegex(@"^(Z|[+-]\d{2}:\d{2})$", RegexOptions.CultureInvariant)]
    private static partial Regex Zone();
}
