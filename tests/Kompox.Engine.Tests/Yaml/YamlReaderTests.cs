using Kompox.Yaml;

namespace Kompox.Tests.Yaml;

public class YamlReaderTests
{
    private static KompoxValidationException Fails(string text, YamlLimits? limits = null) =>
        Assert.Throws<KompoxValidationException>(() => YamlReader.Read(text, "f.yml", limits));

    [Fact]
    public void Nodes_know_their_positions()
    {
        var root = Assert.IsType<YMapping>(YamlReader.Read("a:\n  b: [1, two]\n", "f.yml"));
        var b = Assert.IsType<YSequence>(Assert.IsType<YMapping>(root["a"])["b"]);

        Assert.Equal(new SourceMark(2, 6), b.Start);
        Assert.Equal(new SourceMark(2, 10), b.Items[1].Start);
    }

    [Fact]
    public void Scalars_are_typed_the_YAML_1_2_way()
    {
        var root = Assert.IsType<YMapping>(YamlReader.Read("n: ~\nb: true\ni: 0x1F\no: 0o17\ns: '42'\nf: 1.5\nw: yes\n", "f.yml"));
        Assert.True(((YScalar)root["n"]!).IsNull);
        Assert.True(((YScalar)root["b"]!).IsBool);
        Assert.True(((YScalar)root["i"]!).TryGetInt64(out var hex) && hex == 31);
        Assert.True(((YScalar)root["o"]!).TryGetInt64(out var oct) && oct == 15);
        Assert.True(((YScalar)root["s"]!).IsString);
        Assert.True(((YScalar)root["f"]!).IsNumber);
        Assert.True(((YScalar)root["w"]!).IsString);
    }

    [Fact]
    public void Merge_keys_bring_in_keys_the_mapping_does_not_have_earlier_sources_first()
    {
        var root = Assert.IsType<YMapping>(YamlReader.Read("a: &a {x: 1, y: 1}\nb: &b {y: 2, z: 2}\nc:\n  <<: [*a, *b]\n  x: 3\n", "f.yml"));
        var c = Assert.IsType<YMapping>(root["c"]);

        Assert.Equal("3", c["x"]!.ToString());
        Assert.Equal("1", c["y"]!.ToString());
        Assert.Equal("2", c["z"]!.ToString());
        Assert.Equal(new[] { "x", "y", "z" }, c.Entries.Select(e => e.Key.Value));
    }

    [Fact]
    public void A_quoted_merge_key_is_an_ordinary_key()
    {
        var root = Assert.IsType<YMapping>(YamlReader.Read("'<<': {x: 1}\n", "f.yml"));
        Assert.True(root.ContainsKey("<<"));
    }

    [Theory]
    [InlineData("a: 1\na: 2\n", "f.yml:2:1: duplicate key 'a' (first defined at line 1, column 1)")]
    [InlineData("a: *nothing\n", "f.yml:1:4: alias '*nothing' refers to no anchor defined before it")]
    [InlineData("? [a]\n: 1\n", "f.yml:1:3: a mapping key must be a plain value, not a list or mapping")]
    [InlineData("a: 1\n---\nb: 2\n", "f.yml:2:1: the file holds more than one YAML document")]
    [InlineData("a: &x 1\nb:\n  <<: *x\n", "f.yml:3:3: a merge key '<<' takes a mapping or a list of mappings, not the number 1")]
    [InlineData("a: [1, 2\n", "f.yml:2:1: YAML syntax error")]
    [InlineData("a: 'open\n", "f.yml:")]
    public void Malformed_documents_are_refused_with_a_position(string text, string expected)
    {
        var e = Fails(text);
        Assert.Equal("InvalidYaml", e.ErrorId);
        Assert.StartsWith(expected, Assert.Single(e.Problems).ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void An_alias_bomb_is_stopped_without_expanding_it()
    {
        var levels = Enumerable.Range(1, 12).Select(i => $"l{i}: &l{i} [" + string.Join(",", Enumerable.Repeat($"*l{i - 1}", 10)) + "]");
        var text = "l0: &l0 [lol]\n" + string.Join("\n", levels) + "\n";

        var e = Fails(text);

        Assert.Contains("alias bomb", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Deep_nesting_is_refused_instead_of_overflowing_the_stack()
    {
        var e = Fails(new string('[', 10_000) + new string(']', 10_000));
        Assert.Contains("nests deeper than 128 levels", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Limits_are_configurable()
    {
        var e = Fails("[1, 2, 3, 4]", new YamlLimits(MaxNodes: 3));
        Assert.Contains("more than 3 nodes", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_empty_document_has_no_root()
    {
        Assert.Null(YamlReader.Read("# only a comment\n", "f.yml"));
    }

    // YAML 1.2.2 chapter 9 (Document Stream Productions): documents are separated by "---" and may end with "...";
    // a bare document (no "---") may come first; example 9.2 ends one with "..." and starts the next with "---"; an
    // explicit document with no content is an empty node, which the core schema resolves to null (section 10.3.2).
    [Fact]
    public void A_stream_gives_each_document_in_order_with_where_it_begins()
    {
        var documents = YamlReader.ReadStream("a: 1\n---\nb: 2\n...\n---\n# nothing\n...\n--- c\n", "f.yml");

        Assert.Equal(4, documents.Count);
        Assert.Equal("1", Assert.IsType<YMapping>(documents[0].Root)["a"]!.ToString());
        Assert.Equal(1, documents[0].Start.Line);
        Assert.Equal("2", Assert.IsType<YMapping>(documents[1].Root)["b"]!.ToString());
        Assert.Equal(2, documents[1].Start.Line);
        Assert.True(Assert.IsType<YScalar>(documents[2].Root).IsNull);
        Assert.Equal("c", Assert.IsType<YScalar>(documents[3].Root).Value);
        Assert.Equal(8, documents[3].Start.Line);
    }

    // YAML 1.2.2 section 3.2.2.2 (Anchors and Aliases): an alias refers to a node of its own document, so an anchor of
    // one document is unknown in the next.
    [Fact]
    public void An_anchor_holds_within_its_document_only()
    {
        var e = Assert.Throws<KompoxValidationException>(() => YamlReader.ReadStream("a: &x 1\n---\nb: *x\n", "f.yml"));

        Assert.StartsWith("f.yml:3:4: alias '*x' refers to no anchor defined before it", Assert.Single(e.Problems).ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void A_stream_of_comments_only_has_no_document()
    {
        Assert.Empty(YamlReader.ReadStream("# nothing here\n", "f.yml"));
    }
}
