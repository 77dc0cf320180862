using Kompox.Yaml;

namespace Kompox.Compose;

/// <summary>Every problem found while loading, in the order found; errors do not stop the loading.</summary>
internal sealed class ComposeProblems(string file)
{
    private readonly List<Diagnostic> all = new();

    public string File { get; } = file;

    public IReadOnlyList<Diagnostic> All => all;

    public bool HasErrors => all.Any(d => d.Severity == Severity.Error);

    public bool HasErrorAt(string key) => all.Any(d => d.Severity == Severity.Error && d.Key == key);

    public void Error(SourceMark at, string key, string message, string? service, string? inFile = null) =>
        all.Add(Diagnostic.Error(inFile ?? at.Source ?? File, at, key, message) with { Service = service });

    public void Warning(SourceMark at, string key, string message, string? service, string? inFile = null) =>
        all.Add(Diagnostic.Warning(inFile ?? at.Source ?? File, at, key, message) with { Service = service });

    /// <summary>A key that has no effect in one Pod: a warning front ends may summarise (<see cref="Diagnostic.NoEffect"/>).</summary>
    public void NoEffectWarning(SourceMark at, string key, string message, string? service) =>
        all.Add(Diagnostic.NoEffectWarning(at.Source ?? File, at, key, message) with { Service = service });
}

/// <summary>Typed reading of YAML nodes for one part of the file (a service, or the top level), reporting wrong types with their key path.</summary>
internal class NodeReading(ComposeProblems problems, string? service)
{
    protected ComposeProblems Problems { get; } = problems;

    protected string? Service { get; } = service;

    public static string Join(string path, string key) => path.Length == 0 ? key : $"{path}.{key}";

    public static string Item(string path, int index) => $"{path}[{index}]";

    public void Error(YNode node, string key, string message) => Problems.Error(node.Start, key, message, Service);

    public void Error(SourceMark at, string key, string message) => Problems.Error(at, key, message, Service);

    public void Warning(SourceMark at, string key, string message) => Problems.Warning(at, key, message, Service);

    public void NoEffectWarning(SourceMark at, string key, string message) => Problems.NoEffectWarning(at, key, message, Service);

    /// <summary>A scalar as text: numbers and booleans as written, so <c>5432</c> and <c>true</c> become strings.</summary>
    public string? Text(YNode node, string key)
    {
        if (node is YScalar { IsNull: false } scalar)
        {
            return scalar.Value;
        }

        Error(node, key, $"expected a string, found {node.Describe()}");
        return null;
    }

    public bool? Bool(YNode node, string key)
    {
        if (node is YScalar scalar)
        {
            if (scalar.TryGetBool(out var value))
            {
                return value;
            }

            // Interpolated or quoted "true"/"false" still mean a boolean, as compose reads them.
            if (scalar.Value.Equals("true", StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }

            if (scalar.Value.Equals("false", StringComparison.OrdinalIgnoreCase))
            {
                return false;
            }
        }

        Error(node, key, $"expected true or false, found {node.Describe()}");
        return null;
    }

    public long? Integer(YNode node, string key)
    {
        if (node is YScalar scalar && (scalar.TryGetInt64(out var value) || long.TryParse(scalar.Value, out value)))
        {
            return value;
        }

        Error(node, key, $"expected a whole number, found {node.Describe()}");
        return null;
    }

    public YMapping? Mapping(YNode node, string key)
    {
        if (node is YMapping map)
        {
            return map;
        }

        Error(node, key, $"expected a mapping, found {node.Describe()}");
        return null;
    }

    public YSequence? Sequence(YNode node, string key)
    {
        if (node is YSequence sequence)
        {
            return sequence;
        }

        Error(node, key, $"expected a list, found {node.Describe()}");
        return null;
    }

    /// <summary>A list of strings; a single string is accepted where compose accepts one (<paramref name="allowSingle"/>).</summary>
    public List<(string Value, YNode Node, string Key)> Strings(YNode node, string key, bool allowSingle)
    {
        var result = new List<(string, YNode, string)>();
        if (allowSingle && node is YScalar { IsNull: false } single)
        {
            result.Add((single.Value, single, key));
            return result;
        }

        if (Sequence(node, key) is not { } sequence)
        {
            return result;
        }

        for (var i = 0; i < sequence.Items.Count; i++)
        {
            var itemKey = Item(key, i);
            if (Text(sequence.Items[i], itemKey) is { } text)
            {
                result.Add((text, sequence.Items[i], itemKey));
            }
        }

        return result;
    }

    /// <summary>
    /// Refuses keys not in <paramref name="known"/>, as the compose-spec schema does (additionalProperties: false);
    /// <c>x-</c> keys are extensions and pass. A misspelt or mis-indented key would otherwise lose its value in silence.
    /// </summary>
    public void RejectUnknownKeys(YMapping map, string path, params string[] known)
    {
        foreach (var (k, _) in map.Entries)
        {
            if (!known.Contains(k.Value, StringComparer.Ordinal) && !k.Value.StartsWith("x-", StringComparison.Ordinal))
            {
                Error(k.Start, Join(path, k.Value), UnknownKey(k.Value, known));
            }
        }
    }

    /// <summary>The message for a key the schema does not have, with the nearest known key when one is close.</summary>
    public static string UnknownKey(string key, IEnumerable<string> known)
    {
        var nearest = known
            .Select(k => (Key: k, Distance: EditDistance(key.ToLowerInvariant(), k)))
            .Where(c => c.Distance <= Math.Max(1, c.Key.Length / 3))
            .OrderBy(c => c.Distance)
            .ThenBy(c => c.Key, StringComparer.Ordinal)
            .Select(c => c.Key)
            .FirstOrDefault();
        return nearest is null
            ? "is not a compose key here (check its spelling and its indentation)"
            : $"is not a compose key here; did you mean {nearest}?";
    }

    // Optimal string alignment distance: a swap of two neighbouring letters ("fiel") costs one edit, like a typo.
    private static int EditDistance(string a, string b)
    {
        var d = new int[a.Length + 1, b.Length + 1];
        for (var i = 0; i <= a.Length; i++)
        {
            d[i, 0] = i;
        }

        for (var j = 0; j <= b.Length; j++)
        {
            d[0, j] = j;
        }

        for (var i = 1; i <= a.Length; i++)
        {
            for (var j = 1; j <= b.Length; j++)
            {
                d[i, j] = Math.Min(Math.Min(d[i - 1, j], d[i, j - 1]) + 1, d[i - 1, j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
                if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                {
                    d[i, j] = Math.Min(d[i, j], d[i - 2, j - 2] + 1);
                }
            }
        }

        return d[a.Length, b.Length];
    }

    public static string Describe(KompoxException e) =>
        e is KompoxValidationException { Problems.Count: > 0 } v ? v.Problems[0].Message : e.Message;
}
