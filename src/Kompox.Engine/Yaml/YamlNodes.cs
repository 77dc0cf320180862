using System.Globalization;

namespace Kompox.Yaml;

/// <summary>
/// A YAML node that remembers where it came from. Aliases resolve to the anchored node itself,
/// so a document is a DAG; <see cref="Size"/> counts it as the tree a consumer would walk.
/// </summary>
public abstract class YNode
{
    protected YNode(SourceMark start, string? tag)
    {
        Start = start;
        Tag = tag;
    }

    public SourceMark Start { get; }

    /// <summary>The explicit tag (e.g. <c>tag:yaml.org,2002:str</c> or <c>!reset</c>), or null.</summary>
    public string? Tag { get; }

    /// <summary>Number of nodes when aliases are expanded.</summary>
    public long Size { get; internal set; } = 1;

    /// <summary>How the node reads in an error message: "a mapping", "a list", "the string 'x'".</summary>
    public abstract string Describe();
}

public enum YScalarStyle
{
    Plain,
    Quoted,
    Block,
}

public sealed class YScalar : YNode
{
    private const string NullTag = "tag:yaml.org,2002:null";
    private const string StrTag = "tag:yaml.org,2002:str";

    public YScalar(SourceMark start, string? tag, string value, YScalarStyle style)
        : base(start, tag)
    {
        Value = value;
        Style = style;
    }

    public string Value { get; }

    public YScalarStyle Style { get; }

    /// <summary>Plain scalars are the ones YAML resolves to null, bool or number; quoted ones are always strings.</summary>
    public bool IsPlain => Style == YScalarStyle.Plain && Tag is null;

    public bool IsNull =>
        Tag == NullTag || (IsPlain && Value is "" or "~" or "null" or "Null" or "NULL");

    public bool IsString => Tag == StrTag || !IsPlain || (!IsNull && !IsBool && !IsNumber);

    public bool IsBool => IsPlain && TryGetBool(out _);

    public bool IsNumber => IsPlain && (TryGetInt64(out _) || double.TryParse(Value, NumberStyles.Float, CultureInfo.InvariantCulture, out _));

    public bool TryGetBool(out bool value)
    {
        switch (Value)
        {
            case "true" or "True" or "TRUE":
                value = true;
                return Style == YScalarStyle.Plain;
            case "false" or "False" or "FALSE":
                value = false;
                return Style == YScalarStyle.Plain;
            default:
                value = false;
                return false;
        }
    }

    public bool TryGetInt64(out long value)
    {
        value = 0;
        if (Style != YScalarStyle.Plain)
        {
            return false;
        }

        var text = Value.Replace("_", string.Empty, StringComparison.Ordinal);
        if (text.StartsWith("0x", StringComparison.Ordinal))
        {
            return long.TryParse(text.AsSpan(2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out value);
        }

        if (text.StartsWith("0o", StringComparison.Ordinal))
        {
            try
            {
                value = Convert.ToInt64(text[2..], 8);
                return true;
            }
            catch (Exception e) when (e is FormatException or OverflowException or ArgumentException)
            {
                return false;
            }
        }

        return long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out value);
    }

    public override string Describe()
    {
        if (IsNull)
        {
            return "null";
        }

        var shown = Value.Length > 60 ? Value[..57] + "..." : Value;
        if (IsBool)
        {
            return $"the boolean {shown}";
        }

        return IsNumber && IsPlain ? $"the number {shown}" : $"the string '{shown}'";
    }

    public override string ToString() => Value;
}

public sealed class YSequence : YNode
{
    private readonly List<YNode> items = new();

    public YSequence(SourceMark start, string? tag)
        : base(start, tag)
    {
    }

    public IReadOnlyList<YNode> Items => items;

    internal void Add(YNode node) => items.Add(node);

    public override string Describe() => "a list";
}

public sealed class YMapping : YNode
{
    private readonly List<KeyValuePair<YScalar, YNode>> entries = new();
    private readonly Dictionary<string, int> index = new(StringComparer.Ordinal);

    public YMapping(SourceMark start, string? tag)
        : base(start, tag)
    {
    }

    /// <summary>Entries in document order; keys brought in by a <c>&lt;&lt;</c> merge come after the mapping's own.</summary>
    public IReadOnlyList<KeyValuePair<YScalar, YNode>> Entries => entries;

    public int Count => entries.Count;

    public bool ContainsKey(string key) => index.ContainsKey(key);

    public YNode? this[string key] => index.TryGetValue(key, out var i) ? entries[i].Value : null;

    public YScalar? KeyNode(string key) => index.TryGetValue(key, out var i) ? entries[i].Key : null;

    public bool TryGetValue(string key, out YNode value)
    {
        if (index.TryGetValue(key, out var i))
        {
            value = entries[i].Value;
            return true;
        }

        value = null!;
        return false;
    }

    internal bool TryAdd(YScalar key, YNode value)
    {
        if (!index.TryAdd(key.Value, entries.Count))
        {
            return false;
        }

        entries.Add(new(key, value));
        return true;
    }

    public override string Describe() => "a mapping";
}
