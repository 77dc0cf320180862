using System.Text;
using k8s;
using k8s.Models;
using Kompox.Conversion;
using Kompox.Yaml;

namespace Kompox.Tests.Yaml;

public class YamlEmitterTests
{
    /// <summary>Strings that YAML 1.1 (kubectl) or 1.2 would read as something else, and what the writer makes of them.</summary>
    public static TheoryData<string, string> Quoted() => new()
    {
        { "", "\"\"" },
        { "~", "\"~\"" },
        { "null", "\"null\"" },
        { "NULL", "\"NULL\"" },
        { "nUlL", "\"nUlL\"" },
        { "y", "\"y\"" },
        { "Y", "\"Y\"" },
        { "n", "\"n\"" },
        { "yes", "\"yes\"" },
        { "No", "\"No\"" },
        { "on", "\"on\"" },
        { "OFF", "\"OFF\"" },
        { "True", "\"True\"" },
        { "fAlSe", "\"fAlSe\"" },
        { "0", "\"0\"" },
        { "1", "\"1\"" },
        { "-1", "\"-1\"" },
        { "+1", "\"+1\"" },
        { "017", "\"017\"" },
        { "0o17", "\"0o17\"" },
        { "0O17", "\"0O17\"" },
        { "0x1F", "\"0x1F\"" },
        { "0X1f", "\"0X1f\"" },
        { "-0x1F", "\"-0x1F\"" },
        { "0b101", "\"0b101\"" },
        { "+0b101", "\"+0b101\"" },
        { "1_000", "\"1_000\"" },
        { "1__", "\"1__\"" },
        { "190:20:30", "\"190:20:30\"" },
        { "12:30", "\"12:30\"" },
        { "1:20.5", "\"1:20.5\"" },
        { "1:2", "\"1:2\"" },
        { "-1:30", "\"-1:30\"" },
        { "+1:30", "\"+1:30\"" },
        { "1:2:3", "\"1:2:3\"" },
        { "1_0:2", "\"1_0:2\"" },
        { "190:20:30.15", "\"190:20:30.15\"" },
        { "-1:30.5", "\"-1:30.5\"" },
        { "1:2.", "\"1:2.\"" },
        { "1e3", "\"1e3\"" },
        { "1E+3", "\"1E+3\"" },
        { "1e_3", "\"1e_3\"" },
        { "6.8523015e+5", "\"6.8523015e+5\"" },
        { ".5", "\".5\"" },
        { "1.", "\"1.\"" },
        { ".", "\".\"" },
        { "1.24.5", "\"1.24.5\"" },
        { ".inf", "\".inf\"" },
        { "-.Inf", "\"-.Inf\"" },
        { "+.INF", "\"+.INF\"" },
        { ".nan", "\".nan\"" },
        { ".NaN", "\".NaN\"" },
        { "2001-12-14", "\"2001-12-14\"" },
        { "2001-12-14t21:59:43.10-05:00", "\"2001-12-14t21:59:43.10-05:00\"" },
        { "2002-1-2 3:04:05", "\"2002-1-2 3:04:05\"" },
        { " leading", "\" leading\"" },
        { "trailing ", "\"trailing \"" },
        { "a: b", "\"a: b\"" },
        { "ends:", "\"ends:\"" },
        { "a #comment", "\"a #comment\"" },
        { "-", "\"-\"" },
        { "- item", "\"- item\"" },
        { "?", "\"?\"" },
        { "? key", "\"? key\"" },
        { ":x", "\":x\"" },
        { ",x", "\",x\"" },
        { "[x]", "\"[x]\"" },
        { "]x", "\"]x\"" },
        { "{x}", "\"{x}\"" },
        { "}x", "\"}x\"" },
        { "#x", "\"#x\"" },
        { "&anchor", "\"&anchor\"" },
        { "*alias", "\"*alias\"" },
        { "!tag", "\"!tag\"" },
        { "|x", "\"|x\"" },
        { ">x", "\">x\"" },
        { "'x'", "\"'x'\"" },
        { "\"x\"", "\"\\\"x\\\"\"" },
        { "%x", "\"%x\"" },
        { "@x", "\"@x\"" },
        { "`x`", "\"`x`\"" },
        { "<<", "\"<<\"" },
        { "=", "\"=\"" },
        { "---", "\"---\"" },
        { "...", "\"...\"" },
        { "a\tb", "\"a\\tb\"" },
        { "nul\0", "\"nul\\0\"" },
        { "bell\u0007", "\"bell\\x07\"" },
        { "del\u007F", "\"del\\x7F\"" },
        { "c1\u0080", "\"c1\\x80\"" },
        { "apc\u009F", "\"apc\\x9F\"" },
        { "\\ first", "\"\\\\ first\"" },
        { "nel\u0085", "\"nel\\x85\"" },
        { "\uFEFFbom", "\"\\uFEFFbom\"" },
        { "ls\u2028ps\u2029", "\"ls\\u2028ps\\u2029\"" },
        { "noncharacter\uFFFE", "\"noncharacter\\uFFFE\"" },
        { "café ☕", "\"café ☕\"" },
        { "emoji 😀", "\"emoji 😀\"" },
        { "crlf\r\nline\r\n", "\"crlf\\r\\nline\\r\\n\"" },
        { "cr\r", "\"cr\\r\"" },
        { "trailing space \nline\n", "\"trailing space \\nline\\n\"" },
        { "\tindented by tab\n", "\"\\tindented by tab\\n\"" },
        { "tab\tinside\n", "\"tab\\tinside\\n\"" },
        { "\n", "\"\\n\"" },
        { "\n\n", "\"\\n\\n\"" },
        { "bom in text\n\uFEFF\n", "\"bom in text\\n\\uFEFF\\n\"" },
    };

    [Theory]
    [MemberData(nameof(Quoted))]
    public void Strings_a_reader_could_type_are_double_quoted(string value, string written) =>
        Assert.Equal(written, YamlEmitter.Scalar(value));

    public static TheoryData<string> Plain() => new(
        "nginx:1.27",
        "docker.gitea.com/gitea:1.24.5",
        "0.0.0.0:8080",
        "500m",
        "2Gi",
        "-fsS",
        "app.kubernetes.io/name",
        "redis-cli ping | grep PONG",
        "http://localhost:3000/api/healthz",
        "a:b",
        "a#b",
        "yesterday",
        "nullable",
        "0x",
        "1.0.0-rc1",
        "/run/secrets/db",
        ".hidden",
        "_private",
        "back\\slash and \"quote\"",
        "x = {a, b} [c] & *d !e 'f' \"g\" %h @i `j`");

    [Theory]
    [MemberData(nameof(Plain))]
    public void Harmless_strings_stay_plain(string value) => Assert.Equal(value, YamlEmitter.Scalar(value));

    /// <summary>
    /// Base-60 forms a YAML 1.1 reader types as numbers (kubectl's Go reader does not, so its read-back cannot catch them):
    /// the rows above are needed, and nothing the writer leaves plain, here or in the tables above, is typed by such a reader.
    /// </summary>
    [Theory]
    [InlineData("1:2", "int")]
    [InlineData("-1:30", "int")]
    [InlineData("+1:30", "int")]
    [InlineData("1:2:3", "int")]
    [InlineData("1_0:2", "int")]
    [InlineData("12:30", "int")]
    [InlineData("190:20:30", "int")]
    [InlineData("190:20:30.15", "float")]
    [InlineData("-1:30.5", "float")]
    [InlineData("1:2.", "float")]
    [InlineData("1:20.5", "float")]
    public void Base_60_numbers_of_YAML_1_1_are_typed_by_its_reader_when_plain(string value, string tag) =>
        Assert.Equal(tag, Yaml11Resolver.Resolve(value));

    public static TheoryData<string> WrittenPlainOrNot() => new(
        new[] { "1:2", "-1:30", "+1:30", "1:2:3", "1_0:2", "190:20:30.15", "-1:30.5", "1:2.", "0:30", "00:00", "1:60", "1:2:60", "1:2.3.4", "1::2", "1:2a", "a1:2", "1:", ":1", "1:2:", "99:59:59.999" }
            .Concat(Quoted().Select(row => (string)row[0]))
            .Concat(Plain().Cast<object[]>().Select(row => (string)row[0]))
            .Distinct());

    [Theory]
    [MemberData(nameof(WrittenPlainOrNot))]
    public void What_is_written_plain_a_YAML_1_1_reader_reads_as_a_string(string value)
    {
        var written = YamlEmitter.Scalar(value);
        if (written == value)
        {
            Assert.Equal("str", Yaml11Resolver.Resolve(value));
        }
    }

    [Theory]
    [InlineData("a\nb\n", "|\n  a\n  b")]
    [InlineData("a\nb", "|-\n  a\n  b")]
    [InlineData("a\nb\n\n\n", "|+\n  a\n  b\n\n")]
    [InlineData("a\n\nb\n", "|\n  a\n\n  b")]
    [InlineData("  indented\nx\n", "|2\n    indented\n  x")]
    [InlineData("\n  indented after a blank line\n", "|2\n\n    indented after a blank line")]
    [InlineData("key: value # not a comment\n- not a list\n", "|\n  key: value # not a comment\n  - not a list")]
    [InlineData("unicode ✓ é\n", "|\n  unicode ✓ é")]
    public void Multi_line_text_is_a_literal_block(string value, string written) =>
        Assert.Equal(written, YamlEmitter.Scalar(value));

    [Fact]
    public void A_literal_block_is_indented_below_its_key() =>
        Assert.Equal("|\n      a\n      b", YamlEmitter.Scalar("a\nb\n", indent: 4));

    [Fact]
    public void In_a_list_text_needing_an_indentation_indicator_is_double_quoted() =>
        Assert.Equal("\"  indented\\nx\\n\"", YamlEmitter.Scalar("  indented\nx\n", inSequence: true));

    [Theory]
    [InlineData("""["a"]""")]
    [InlineData("""{}""")]
    [InlineData("\"text\"")]
    public void A_document_is_written_only_from_a_non_empty_object(string json)
    {
        using var document = System.Text.Json.JsonDocument.Parse(json);

        Assert.Throws<ArgumentException>(() => YamlEmitter.WriteDocument(new StringBuilder(), document.RootElement));
    }

    // Lists in lists sit below their dash; in a list, text that needs an indentation indicator is double-quoted, since
    // readers differ on where that indicator counts from for a compact list item.
    [Fact]
    public void Lists_in_lists_booleans_and_nulls_are_written_as_their_yaml_forms()
    {
        using var document = System.Text.Json.JsonDocument.Parse("""{"kind":"X","grid":[[1,2],["  indented\nx\n"]],"on":true,"off":false,"none":null}""");
        var output = new StringBuilder();

        YamlEmitter.WriteDocument(output, document.RootElement);

        Assert.Equal("kind: X\ngrid:\n-\n  - 1\n  - 2\n-\n  - \"  indented\\nx\\n\"\n\"on\": true\n\"off\": false\nnone: null\n", output.ToString());
    }

    [Fact]
    public void Documents_open_with_api_version_kind_and_metadata_and_inline_empty_collections()
    {
        var map = new V1ConfigMap
        {
            ApiVersion = "v1",
            Kind = "ConfigMap",
            Metadata = new V1ObjectMeta { Name = "x", Labels = new Dictionary<string, string>() },
            Data = new Dictionary<string, string> { ["yes"] = "on", ["key"] = "value" },
        };
        var policy = new V1NetworkPolicy
        {
            ApiVersion = "networking.k8s.io/v1",
            Kind = "NetworkPolicy",
            Metadata = new V1ObjectMeta { Name = "p" },
            Spec = new V1NetworkPolicySpec { PodSelector = new V1LabelSelector(), PolicyTypes = new List<string>(), Ingress = new List<V1NetworkPolicyIngressRule> { new() { FromProperty = new List<V1NetworkPolicyPeer> { new() { NamespaceSelector = new V1LabelSelector { MatchLabels = new Dictionary<string, string> { ["a"] = "b" } } } } } } },
        };

        Assert.Equal(
            "---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  labels: {}\n  name: x\ndata:\n  \"yes\": \"on\"\n  key: value\n"
            + "---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: p\nspec:\n  ingress:\n  - from:\n    - namespaceSelector:\n        matchLabels:\n          a: b\n  podSelector: {}\n  policyTypes: []\n",
            ManifestWriter.Write(new IKubernetesObject[] { map, policy }));
    }

    /// <summary>Every tricky string above, and more, in the places a manifest carries strings, read back by the real kubectl.</summary>
    [Fact]
    public void Kubectl_reads_every_tricky_value_back_unchanged()
    {
        var tricky = Quoted().Select(row => (string)row[0])
            .Concat(new[]
            {
                "a\nb\n", "a\nb", "a\nb\n\n\n", "  indented\nx\n", "\n  indented after a blank line\n", "tab\tinside\nlines\n",
                "#!/bin/sh\nset -eu\necho \"$HOME\" | tr a-z A-Z\n", "unicode ✓ é 中文\n", "\uFEFFbom first\nline\n",
                new string('x', 5000), string.Join(' ', Enumerable.Repeat("word", 2000)), "a\u0085b\u2028c\u2029d\n",
            })
            .ToList();
        var data = tricky.Select((value, i) => (Key: $"k{i:D3}", value)).ToDictionary(p => p.Key, p => p.value);
        var config = new V1ConfigMap
        {
            ApiVersion = "v1",
            Kind = "ConfigMap",
            Metadata = new V1ObjectMeta
            {
                Name = "tricky",
                NamespaceProperty = "ns",
                Labels = new Dictionary<string, string> { ["on"] = "1_000", ["app"] = "0x1F" },
                Annotations = new Dictionary<string, string> { ["yes"] = "no", ["multi"] = "line one\nline two\n", ["0o17"] = "~" },
            },
            Data = data,
        };
        var secret = new V1Secret
        {
            ApiVersion = "v1",
            Kind = "Secret",
            Metadata = new V1ObjectMeta { Name = "binary", NamespaceProperty = "ns" },
            Data = new Dictionary<string, byte[]> { ["blob"] = Enumerable.Range(0, 256).Select(i => (byte)i).ToArray(), ["utf8"] = Encoding.UTF8.GetBytes("héllo\r\n") },
            StringData = new Dictionary<string, string> { ["null"] = "null", ["date"] = "2001-12-14" },
            Type = "Opaque",
        };
        string[] envValues = ["0x1F", "+1", "1_000", "yes", "on", "~", ".inf", "2001-12-14", "", "null", "1e3", "017", "12:30", "- x", "a: b", "multi\nline\n"];
        var deployment = new V1Deployment
        {
            ApiVersion = "apps/v1",
            Kind = "Deployment",
            Metadata = new V1ObjectMeta { Name = "web", NamespaceProperty = "ns" },
            Spec = new V1DeploymentSpec
            {
                Replicas = 1,
                Selector = new V1LabelSelector { MatchLabels = new Dictionary<string, string> { ["app"] = "web" } },
                Template = new V1PodTemplateSpec
                {
                    Metadata = new V1ObjectMeta { Labels = new Dictionary<string, string> { ["app"] = "web" } },
                    Spec = new V1PodSpec
                    {
                        Containers = new List<V1Container>
                        {
                            new()
                            {
                                Name = "web",
                                Image = "nginx:1.27",
                                Command = new List<string> { "/bin/sh", "-c", "  echo indented\nexit 0\n", "true" },
                                Env = envValues.Select((value, i) => new V1EnvVar { Name = $"V{i}", Value = value }).ToList(),
                                Ports = new List<V1ContainerPort> { new() { ContainerPort = 80, Name = "http" } },
                                Resources = new V1ResourceRequirements { Limits = new Dictionary<string, ResourceQuantity> { ["cpu"] = new("1"), ["memory"] = new("512Mi") } },
                                ReadinessProbe = new V1Probe { HttpGet = new V1HTTPGetAction { Port = "http", Path = "/" }, PeriodSeconds = 10 },
                                LivenessProbe = new V1Probe { TcpSocket = new V1TCPSocketAction { Port = 80 } },
                            },
                        },
                    },
                },
            },
        };

        KubectlReadBack.AssertSame(new IKubernetesObject[] { config, secret, deployment });
    }

    [Fact]
    public void The_read_back_names_the_object_and_field_that_changed()
    {
        var map = new V1ConfigMap { ApiVersion = "v1", Kind = "ConfigMap", Metadata = new V1ObjectMeta { Name = "x" }, Data = new Dictionary<string, string> { ["port"] = "0x1F" } };
        var yaml = "---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n  port: 0x1F\n";

        var failure = Assert.ThrowsAny<Xunit.Sdk.XunitException>(() => KubectlReadBack.AssertSame(yaml, new[] { map }));

        Assert.Contains("ConfigMap/x", failure.Message);
        Assert.Contains("data.port: wrote \"0x1F\", kubectl read 31", failure.Message);
    }

    // The module's tests have only the YAML a cmdlet wrote: the schema-typed reading stands in for the objects.
    [Fact]
    public void Without_the_source_objects_the_read_back_compares_with_the_schema_typed_reading()
    {
        var plain = "---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n  port: 0x1F\n";
        var quoted = plain.Replace("0x1F", "\"0x1F\"", StringComparison.Ordinal);

        Assert.Contains("data.port: wrote \"0x1F\", kubectl read 31", Assert.Single(Testing.KubectlReadBack.Differences(plain)));
        Assert.Empty(Testing.KubectlReadBack.Differences(quoted));
        Assert.Empty(Testing.KubectlReadBack.Differences("---\napiVersion: v1\nkind: Secret\nmetadata:\n  name: x\ndata:\n  EMPTY: \"\"\n"));
    }
}
