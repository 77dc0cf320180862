using Kompox.Model;
using Kompox.Yaml;

namespace Kompox.Config;

/// <summary>Reads typed values out of YAML mappings, recording every problem with its key path instead of stopping at the first.</summary>
internal sealed class MappingReader(string file)
{
    private readonly List<Diagnostic> diagnostics = new();

    public IReadOnlyList<Diagnostic> Diagnostics => diagnostics;

    public bool HasErrors => diagnostics.Any(d => d.Severity == Severity.Error);

    public void Error(SourceMark at, string key, string message) => diagnostics.Add(Diagnostic.Error(file, at, key, message));

    /// <summary>Records problems found in another file (a cluster file), each naming its own file.</summary>
    public void Add(IEnumerable<Diagnostic> found) => diagnostics.AddRange(found);

    public void Warning(SourceMark at, string key, string message) => diagnostics.Add(Diagnostic.Warning(file, at, key, message));

    /// <summary>Records a rule's problem where its key path leads in the file.</summary>
    public void Report(YMapping root, KeyProblem problem)
    {
        var at = Locate(root, problem.Key);
        if (problem.Severity == Severity.Error)
        {
            Error(at, problem.Key, problem.Message);
        }
        else
        {
            Warning(at, problem.Key, problem.Message);
        }
    }

    /// <summary>
    /// The value at a dotted key path; when the path ends in a key that is not there (a missing required setting),
    /// the key of the deepest mapping on the way, where the missing entry belongs.
    /// </summary>
    public static SourceMark Locate(YMapping root, string keyPath)
    {
        YNode node = root;
        SourceMark at = root.Start;
        foreach (var key in keyPath.Split('.'))
        {
            if (node is not YMapping map || map.KeyNode(key) is not { } keyNode)
            {
                break;
            }

            node = map[key]!;

            // A mapping starts at its first entry, and an empty value has no place of its own: point at their key.
            at = node is YScalar { IsNull: false } or YSequence ? node.Start : keyNode.Start;
        }

        return at;
    }

    public static string Join(string path, string key) => path.Length == 0 ? key : $"{path}.{key}";

    /// <summary>The mapping under <paramref name="key"/>; null (with an error if required) when missing or of another kind.</summary>
    public YMapping? Mapping(YMapping parent, string path, string key, bool required)
    {
        var node = Node(parent, path, key, required);
        if (node is null)
        {
            return null;
        }

        if (node is YMapping map)
        {
            return map;
        }

        Error(node.Start, Join(path, key), $"expected a mapping, found {node.Describe()}");
        return null;
    }

    /// <summary>A scalar as text (numbers and booleans as written); null when missing or not a scalar.</summary>
    public string? Text(YMapping parent, string path, string key, bool required)
    {
        var node = Node(parent, path, key, required);
        return node is null ? null : Text(node, Join(path, key));
    }

    public string? Text(YNode node, string keyPath)
    {
        if (node is YScalar { IsNull: false } scalar)
        {
            return scalar.Value;
        }

        Error(node.Start, keyPath, $"expected a value, found {node.Describe()}");
        return null;
    }

    /// <summary>A string value that must be text, not a number or boolean YAML would otherwise make of it.</summary>
    public string? String(YMapping parent, string path, string key, bool required)
    {
        var node = Node(parent, path, key, required);
        if (node is null)
        {
            return null;
        }

        if (node is YScalar { IsString: true } scalar)
        {
            return scalar.Value;
        }

        Error(node.Start, Join(path, key), $"expected a string, found {node.Describe()}");
        return null;
    }

    public long? Integer(YMapping parent, string path, string key, bool required)
    {
        var node = Node(parent, path, key, required);
        if (node is null)
        {
            return null;
        }

        if (node is YScalar scalar && scalar.TryGetInt64(out var value))
        {
            return value;
        }

        Error(node.Start, Join(path, key), $"expected a whole number, found {node.Describe()}");
        return null;
    }

    /// <summary>A mapping of scalar values, as strings, sorted by key so output is deterministic; <see cref="Locate"/> finds each again.</summary>
    public SortedDictionary<string, string> StringMap(YMapping parent, string path, string key)
    {
        var result = new SortedDictionary<string, string>(StringComparer.Ordinal);
        var map = Mapping(parent, path, key, required: false);
        if (map is null)
        {
            return result;
        }

        foreach (var (k, v) in map.Entries)
        {
            if (Text(v, Join(Join(path, key), k.Value)) is { } text)
            {
                result[k.Value] = text;
            }
        }

        return result;
    }

    /// <summary>Reports keys not in <paramref name="allowed"/>; <c>x-</c> extension keys are always allowed.</summary>
    public void OnlyKeys(YMapping map, string path, params string[] allowed)
    {
        foreach (var (k, _) in map.Entries)
        {
            if (!allowed.Contains(k.Value, StringComparer.Ordinal) && !k.Value.StartsWith("x-", StringComparison.Ordinal))
            {
                var hint = allowed.FirstOrDefault(a => string.Equals(a, k.Value, StringComparison.OrdinalIgnoreCase));
                var expected = hint is not null ? $"did you mean '{hint}'?" : $"expected one of: {string.Join(", ", allowed)}";
                Error(k.Start, Join(path, k.Value), $"unknown key; {expected}");
            }
        }
    }

    private YNode? Node(YMapping parent, string path, string key, bool required)
    {
        if (parent.TryGetValue(key, out var node) && node is not YScalar { IsNull: true })
        {
            return node;
        }

        if (required)
        {
            Error(node?.Start ?? parent.Start, Join(path, key), node is null ? "is required but missing" : "is required but empty");
        }

        return null;
    }
}
