using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Kompox.Yaml;

/// <summary>
/// Writes a JSON tree as block-style YAML that every reader, YAML 1.1 (kubectl) or 1.2, reads back as the same tree.
/// A string is written plain only when it is made of harmless characters and is none of the forms a reader types
/// (null, bool, int, float, timestamp, merge key); anything else is double-quoted, or a literal block when that
/// reads back byte for byte.
/// </summary>
internal static partial class YamlEmitter
{
    private const int IndentStep = 2;

    public static void WriteDocument(StringBuilder output, JsonElement root)
    {
        if (root.ValueKind != JsonValueKind.Object || IsEmpty(root))
        {
            throw new ArgumentException("a YAML document is written from a non-empty JSON object", nameof(root));
        }
        // Readers and people expect a manifest to open with what it is; the models declare these among the other fields.
        var ordered = root.EnumerateObject().OrderBy(p => Array.IndexOf(LeadingKeys, p.Name) is var rank and >= 0 ? rank : LeadingKeys.Length);
        WriteMapping(output, ordered, 0, startsOnFreshLine: true);
    }

    private static readonly string[] LeadingKeys = ["apiVersion", "kind", "metadata"];

    /// <summary>The text a string becomes: plain, double-quoted, or (for a map value) a literal block header and its lines.</summary>
    internal static string Scalar(string value, int indent = 0, bool inSequence = false)
    {
        var output = new StringBuilder();
        WriteString(output, value, indent, inSequence);
        return output.ToString();
    }

    private static void WriteMapping(StringBuilder output, IEnumerable<JsonProperty> properties, int indent, bool startsOnFreshLine)
    {
        var first = true;
        foreach (var property in properties)
        {
            if (!first || startsOnFreshLine)
            {
                output.Append(' ', indent);
            }
            first = false;
            WriteKey(output, property.Name);
            output.Append(':');
            WriteValue(output, property.Value, indent, inSequence: false);
        }
    }

    private static void WriteSequence(StringBuilder output, JsonElement sequence, int indent)
    {
        foreach (var item in sequence.EnumerateArray())
        {
            output.Append(' ', indent).Append('-');
            if (item.ValueKind == JsonValueKind.Object && !IsEmpty(item))
            {
                output.Append(' ');
                WriteMapping(output, item.EnumerateObject(), indent + IndentStep, startsOnFreshLine: false);
            }
            else
            {
                WriteValue(output, item, indent, inSequence: true);
            }
        }
    }

    /// <summary>Writes what follows a key's colon or an item's dash, up to and including the line end.</summary>
    private static void WriteValue(StringBuilder output, JsonElement value, int indent, bool inSequence)
    {
        switch (value.ValueKind)
        {
            case JsonValueKind.Object when IsEmpty(value):
                output.Append(" {}\n");
                break;
            case JsonValueKind.Array when IsEmpty(value):
                output.Append(" []\n");
                break;
            case JsonValueKind.Object:
                output.Append('\n');
                WriteMapping(output, value.EnumerateObject(), indent + IndentStep, startsOnFreshLine: true);
                break;
            case JsonValueKind.Array:
                output.Append('\n');
                // A list under a key sits at the key's column; a list in a list is indented below its dash.
                WriteSequence(output, value, inSequence ? indent + IndentStep : indent);
                break;
            case JsonValueKind.String:
                output.Append(' ');
                WriteString(output, value.GetString()!, indent, inSequence);
                output.Append('\n');
                break;
            case JsonValueKind.Number:
                output.Append(' ').Append(value.GetRawText()).Append('\n');
                break;
            case JsonValueKind.True:
                output.Append(" true\n");
                break;
            case JsonValueKind.False:
                output.Append(" false\n");
                break;
            case JsonValueKind.Null:
                output.Append(" null\n");
                break;
            default:
                throw new ArgumentException($"JSON value of kind {value.ValueKind} has no YAML form", nameof(value));
        }
    }

    private static bool IsEmpty(JsonElement container) => container.ValueKind == JsonValueKind.Object
        ? !container.EnumerateObject().Any()
        : container.GetArrayLength() == 0;

    private static void WriteKey(StringBuilder output, string key)
    {
        if (IsSafePlain(key))
        {
            output.Append(key);
        }
        else
        {
            WriteDoubleQuoted(output, key);
        }
    }

    private static void WriteString(StringBuilder output, string value, int indent, bool inSequence)
    {
        if (IsSafePlain(value))
        {
            output.Append(value);
        }
        else if (CanBeLiteralBlock(value, inSequence))
        {
            WriteLiteralBlock(output, value, indent);
        }
        else
        {
            WriteDoubleQuoted(output, value);
        }
    }

    private static bool IsSafePlain(string value) =>
        SafePlainRegex().IsMatch(value)
        && !value.Contains(": ", StringComparison.Ordinal)
        && !value.Contains(" #", StringComparison.Ordinal)
        && !value.EndsWith(':')
        && !value.StartsWith("---", StringComparison.Ordinal)
        && !value.StartsWith("...", StringComparison.Ordinal)
        && !IsTypedByReaders(value);

    /// <summary>
    /// The plain forms that YAML 1.1 (yaml.org/type) or the YAML 1.2 core schema resolve to something other than a
    /// string, widened where readers differ: every case of the null and bool words, Go's upper-case base prefixes,
    /// any date-like prefix, and the number a Go reader (kubectl) sees after it drops every underscore.
    /// The merge key "&lt;&lt;" and the value key "=" never get here: a plain scalar cannot start with '&lt;' or '='.
    /// </summary>
    private static bool IsTypedByReaders(string value) =>
        IsTypedAsWritten(value) || (value.Contains('_') && IsTypedAsWritten(value.Replace("_", "", StringComparison.Ordinal)));

    private static bool IsTypedAsWritten(string value) =>
        NullOrBoolRegex().IsMatch(value)
        || IntegerRegex().IsMatch(value)
        || SexagesimalRegex().IsMatch(value)
        || Float11Regex().IsMatch(value)
        || Float12Regex().IsMatch(value)
        || InfinityOrNanRegex().IsMatch(value)
        || TimestampPrefixRegex().IsMatch(value);

    /// <summary>
    /// A literal block keeps every character of its lines, so it is used only for text made of printable lines
    /// without trailing spaces (a reader could trim them), tabs or carriage returns. In a list, only when the first
    /// line needs no indentation indicator, whose base differs between readers for compact list items.
    /// </summary>
    private static bool CanBeLiteralBlock(string value, bool inSequence)
    {
        if (!value.Contains('\n') || value.Trim('\n').Length == 0)
        {
            return false;
        }
        foreach (var character in value)
        {
            if (character != '\n' && NeedsEscape(character))
            {
                return false;
            }
        }
        return !value.Split('\n').Any(line => line.EndsWith(' ')) && !(inSequence && NeedsIndentationIndicator(value));
    }

    private static bool NeedsIndentationIndicator(string value) => value.TrimStart('\n').StartsWith(' ');

    private static void WriteLiteralBlock(StringBuilder output, string value, int indent)
    {
        var content = value.TrimEnd('\n');
        var trailingBreaks = value.Length - content.Length;
        var contentIndent = indent + IndentStep;
        output.Append('|');
        if (NeedsIndentationIndicator(value))
        {
            output.Append(IndentStep.ToString(CultureInfo.InvariantCulture));
        }
        output.Append(trailingBreaks switch { 0 => "-", 1 => "", _ => "+" });
        foreach (var line in content.Split('\n'))
        {
            output.Append('\n');
            if (line.Length > 0)
            {
                output.Append(' ', contentIndent).Append(line);
            }
        }
        // Keep chomping writes the extra line breaks as empty lines; the caller ends the last one.
        output.Append('\n', Math.Max(0, trailingBreaks - 1));
    }

    private static void WriteDoubleQuoted(StringBuilder output, string value)
    {
        output.Append('"');
        foreach (var character in value)
        {
            switch (character)
            {
                case '"':
                    output.Append("\\\"");
                    break;
                case '\\':
                    output.Append("\\\\");
                    break;
                case '\0':
                    output.Append("\\0");
                    break;
                case '\t':
                    output.Append("\\t");
                    break;
                case '\n':
                    output.Append("\\n");
                    break;
                case '\r':
                    output.Append("\\r");
                    break;
                case < '\u0100' when NeedsEscape(character):
                    output.Append("\\x").Append(((int)character).ToString("X2", CultureInfo.InvariantCulture));
                    break;
                default:
                    if (NeedsEscape(character))
                    {
                        output.Append("\\u").Append(((int)character).ToString("X4", CultureInfo.InvariantCulture));
                    }
                    else
                    {
                        output.Append(character);
                    }
                    break;
            }
        }
        output.Append('"');
    }

    /// <summary>
    /// Characters outside YAML's printable set, plus the ones YAML 1.1 reads as line breaks (NEL, LS, PS) and the
    /// byte order mark, which a reader may drop. Surrogates pass: System.Text.Json only yields them as valid pairs.
    /// </summary>
    private static bool NeedsEscape(char character) =>
        character < ' ' || character is >= '\u007F' and <= '\u009F' or '\u2028' or '\u2029' or '\uFEFF' or '\uFFFE' or '\uFFFF';

    // Plain only with a letter, digit or one of / . _ first (or '-' before a non-blank), then printable ASCII, no trailing blank.
    [GeneratedRegex(@"^(?:[A-Za-z0-9/._]|-(?=[!-~]))(?:[ -~]*[!-~])?\z")]
    private static partial Regex SafePlainRegex();

    [GeneratedRegex(@"^(?:~|null|y|n|yes|no|true|false|on|off)\z", RegexOptions.IgnoreCase)]
    private static partial Regex NullOrBoolRegex();

    // 1.1: 0b101, 017, 0x1F, 1_000 with a sign; 1.2: 0o17; Go's parser (kubectl): upper-case prefixes too.
    [GeneratedRegex(@"^[-+]?(?:0[bB][0-1_]+|0[oO]?[0-7_]+|0[xX][0-9a-fA-F_]+|[0-9][0-9_]*)\z")]
    private static partial Regex IntegerRegex();

    // Base 60 integers and floats of YAML 1.1: 190:20:30, 1:20.5.
    [GeneratedRegex(@"^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?\z")]
    private static partial Regex SexagesimalRegex();

    [GeneratedRegex(@"^[-+]?(?:[0-9][0-9_]*)?\.[0-9._]*(?:[eE][-+]?[0-9]+)?\z")]
    private static partial Regex Float11Regex();

    [GeneratedRegex(@"^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?\z")]
    private static partial Regex Float12Regex();

    [GeneratedRegex(@"^[-+]?\.(?:inf|nan)\z", RegexOptions.IgnoreCase)]
    private static partial Regex InfinityOrNanRegex();

    [GeneratedRegex(@"^[0-9]{4}-[0-9]")]
    private static partial Regex TimestampPrefixRegex();
}
