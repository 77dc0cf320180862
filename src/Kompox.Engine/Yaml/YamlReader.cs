using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace Kompox.Yaml;

/// <summary>Limits that keep a hostile document from exhausting memory, stack or time.</summary>
public sealed record YamlLimits(long MaxNodes = 250_000, int MaxDepth = 128)
{
    public static readonly YamlLimits Default = new();
}

/// <summary>
/// Reads one YAML document, or a stream of them, into <see cref="YNode"/>s with positions: anchors and aliases,
/// <c>&lt;&lt;</c> merge keys, and errors for duplicate keys, complex keys, several documents where one is expected
/// and alias expansion past <see cref="YamlLimits.MaxNodes"/>.
/// </summary>
public static class YamlReader
{
    /// <summary>Returns the root node, or null for a document with no content.</summary>
    /// <param name="markSource">Whether every node's <see cref="SourceMark.Source"/> names <paramref name="file"/>, for documents merged into another.</param>
    /// <exception cref="KompoxValidationException">The text is not a YAML document Kompox accepts.</exception>
    public static YNode? Read(string text, string file, YamlLimits? limits = null, bool markSource = false) =>
        Run(text, file, new Builder(limits ?? YamlLimits.Default, markSource ? file : null, stream: false)).Root;

    /// <summary>
    /// Every document of a YAML stream (YAML 1.2 chapter 9: documents separated by <c>---</c>, optionally ended by
    /// <c>...</c>), in order; a document with no content is null. Anchors hold within their document only, as the
    /// spec says (an alias names a node of its own document), and <see cref="YamlLimits"/> apply to each document.
    /// </summary>
    /// <returns>The documents with where each begins (its <c>---</c>, or its first node when it has none); an empty list for a stream of comments only.</returns>
    /// <exception cref="KompoxValidationException">The text is not a YAML stream Kompox accepts.</exception>
    public static IReadOnlyList<(SourceMark Start, YNode? Root)> ReadStream(string text, string file, YamlLimits? limits = null) =>
        Run(text, file, new Builder(limits ?? YamlLimits.Default, null, stream: true)).Documents;

    private static Builder Run(string text, string file, Builder builder)
    {
        try
        {
            builder.Run(new Parser(new StringReader(text)));
        }
        catch (InvalidYamlException e)
        {
            throw Fail(file, e.At, e.Message);
        }
        catch (YamlException e)
        {
            throw Fail(file, Locate(text, Mark(e.Start), builder.LastMark, e.Message), Clean(e.Message));
        }
        catch (InvalidOperationException)
        {
            // YamlDotNet's scanner throws this instead of a syntax error on some unterminated flow collections.
            throw Fail(file, builder.LastMark, "YAML syntax error: unterminated flow collection or quoted value after this point");
        }

        return builder;
    }

    internal static SourceMark Mark(YamlDotNet.Core.Mark mark) => new((int)mark.Line, (int)mark.Column);

    // Some scanner errors (tab indentation) come with the start of the stream as their position; point at the
    // first offending line after the last event that parsed instead.
    private static SourceMark Locate(string text, SourceMark reported, SourceMark last, string message)
    {
        if (reported.Line > 1 || last.Line <= 1)
        {
            return reported;
        }

        if (message.Contains("tab", StringComparison.OrdinalIgnoreCase))
        {
            var lines = text.Split('\n');
            for (var i = last.Line - 1; i < lines.Length; i++)
            {
                var indent = lines[i].Length - lines[i].TrimStart(' ', '\t').Length;
                if (lines[i].AsSpan(0, indent).Contains('\t'))
                {
                    return new SourceMark(i + 1, lines[i].IndexOf('\t') + 1);
                }
            }
        }

        return last;
    }

    private static KompoxValidationException Fail(string file, SourceMark at, string message) =>
        new("InvalidYaml", file, new[] { Diagnostic.Error(file, at, string.Empty, message) });

    // YamlDotNet prefixes messages with "(Line: 3, Col: 5, Idx: 20) - (Line: ...): "; the diagnostic already says where.
    private static string Clean(string message)
    {
        var text = message;
        while (text.StartsWith("(Line:", StringComparison.Ordinal))
        {
            var close = text.IndexOf("): ", StringComparison.Ordinal);
            if (close < 0)
            {
                break;
            }

            text = text[(close + 3)..];
        }

        return "YAML syntax error: " + text.TrimEnd('.').Trim();
    }

    private sealed class InvalidYamlException(SourceMark at, string message) : Exception(message)
    {
        public SourceMark At { get; } = at;
    }

    private sealed class Frame(YNode node, string? anchor)
    {
        public YNode Node { get; } = node;

        public string? Anchor { get; } = anchor;

        public YScalar? PendingKey { get; set; }

        public List<(SourceMark At, YNode Source)> Merges { get; } = new();
    }

    private sealed class Builder(YamlLimits limits, string? source, bool stream)
    {
        private readonly Dictionary<string, YNode> anchors = new(StringComparer.Ordinal);
        private readonly Stack<Frame> stack = new();
        private readonly List<(SourceMark Start, YNode? Root)> documents = new();
        private SourceMark documentStart = new(1, 1);
        private int started;

        public YNode? Root { get; private set; }

        public IReadOnlyList<(SourceMark Start, YNode? Root)> Documents => documents;

        /// <summary>Where the last event that parsed began: the best position for errors the parser cannot place.</summary>
        public SourceMark LastMark { get; private set; } = new(1, 1);

        public void Run(IParser parser)
        {
            while (parser.MoveNext())
            {
                var e = parser.Current!;
                var at = Mark(e.Start) with { Source = source };
                LastMark = at;
                switch (e)
                {
                    case DocumentStart:
                        if (!stream && ++started > 1)
                        {
                            throw new InvalidYamlException(at, "the file holds more than one YAML document ('---'); put everything in one document");
                        }

                        documentStart = at;
                        break;
                    case DocumentEnd:
                        if (stream)
                        {
                            // YAML 1.2 section 6.9.2: an alias refers to the most recent anchor of its own document.
                            documents.Add((documentStart, Root));
                            anchors.Clear();
                            Root = null;
                        }

                        break;
                    case Scalar s:
                        Complete(new YScalar(at, TagOf(s.Tag), s.Value, StyleOf(s.Style)), AnchorOf(s.Anchor), at);
                        break;
                    case AnchorAlias alias:
                        if (!anchors.TryGetValue(alias.Value.Value, out var target))
                        {
                            throw new InvalidYamlException(at, $"alias '*{alias.Value.Value}' refers to no anchor defined before it");
                        }

                        Add(target, at);
                        break;
                    case MappingStart m:
                        Push(new YMapping(at, TagOf(m.Tag)), AnchorOf(m.Anchor), at);
                        break;
                    case SequenceStart q:
                        Push(new YSequence(at, TagOf(q.Tag)), AnchorOf(q.Anchor), at);
                        break;
                    case MappingEnd or SequenceEnd:
                        var frame = stack.Pop();
                        if (frame.Node is YMapping map)
                        {
                            ApplyMerges(map, frame);
                        }

                        Complete(frame.Node, frame.Anchor, frame.Node.Start);
                        break;
                }
            }
        }

        private static string? TagOf(TagName tag) => tag.IsEmpty || tag.IsNonSpecific ? null : tag.Value;

        private static string? AnchorOf(AnchorName anchor) => anchor.IsEmpty ? null : anchor.Value;

        private static YScalarStyle StyleOf(ScalarStyle style) => style switch
        {
            ScalarStyle.SingleQuoted or ScalarStyle.DoubleQuoted => YScalarStyle.Quoted,
            ScalarStyle.Literal or ScalarStyle.Folded => YScalarStyle.Block,
            _ => YScalarStyle.Plain,
        };

        private void Push(YNode node, string? anchor, SourceMark at)
        {
            if (stack.Count >= limits.MaxDepth)
            {
                throw new InvalidYamlException(at, $"the document nests deeper than {limits.MaxDepth} levels");
            }

            stack.Push(new Frame(node, anchor));
        }

        private void Complete(YNode node, string? anchor, SourceMark at)
        {
            if (anchor is not null)
            {
                anchors[anchor] = node;
            }

            Add(node, at);
        }

        private void Add(YNode node, SourceMark at)
        {
            if (node.Size > limits.MaxNodes)
            {
                throw TooLarge(at);
            }

            if (stack.Count == 0)
            {
                Root = node;
                return;
            }

            var parent = stack.Peek();
            parent.Node.Size += node.Size;
            if (parent.Node.Size > limits.MaxNodes)
            {
                throw TooLarge(at);
            }

            switch (parent.Node)
            {
                case YSequence seq:
                    seq.Add(node);
                    break;
                case YMapping map when parent.PendingKey is null:
                    if (node is not YScalar key)
                    {
                        throw new InvalidYamlException(at, "a mapping key must be a plain value, not a list or mapping");
                    }

                    parent.PendingKey = key;
                    break;
                case YMapping map:
                    var pending = parent.PendingKey!;
                    parent.PendingKey = null;
                    if (pending.Value == "<<" && pending.Style == YScalarStyle.Plain)
                    {
                        parent.Merges.Add((pending.Start, node));
                    }
                    else if (!map.TryAdd(pending, node))
                    {
                        var first = map.KeyNode(pending.Value)!.Start;
                        throw new InvalidYamlException(pending.Start, $"duplicate key '{pending.Value}' (first defined at line {first.Line}, column {first.Column})");
                    }

                    break;
            }
        }

        private InvalidYamlException TooLarge(SourceMark at) =>
            new(at, $"the document expands to more than {limits.MaxNodes} nodes through anchors and aliases; this looks like an alias bomb");

        private static void ApplyMerges(YMapping map, Frame frame)
        {
            foreach (var (at, source) in frame.Merges)
            {
                var sources = source switch
                {
                    YMapping m => new List<YNode> { m },
                    YSequence s => s.Items.ToList(),
                    _ => throw new InvalidYamlException(at, $"a merge key '<<' takes a mapping or a list of mappings, not {source.Describe()}"),
                };
                foreach (var item in sources)
                {
                    if (item is not YMapping from)
                    {
                        throw new InvalidYamlException(at, $"a merge key '<<' takes a mapping or a list of mappings, not a list holding {item.Describe()}");
                    }

                    foreach (var entry in from.Entries)
                    {
                        map.TryAdd(entry.Key, entry.Value);
                    }
                }
            }
        }
    }
}
