using Kompox.Config;
using Kompox.Conversion;
using Kompox.Yaml;
using static Kompox.Tests.Conversion.ConversionFixtures;

namespace Kompox.Tests.Rules;

/// <summary>
/// An app reaches the conversion either from kompoxops.yml (read by the config reader) or built in memory, as the REST
/// service will build it. Both paths apply the same rule and report it with the same key path and message; only the
/// config reader knows the line and column.
/// </summary>
public class OneRuleBookTests
{
    private const string Config = """
        version: 1
        service:
          name: ops
        provider:
          name: k3s1
          driver: k3s
        cluster:
          name: lab
          auth:
            type: kubectl
          domain: ops.example.com
        app:
          name: my-app
          compose: compose.yml
        """;

    public static TheoryData<string, string, string> Cases() => new()
    {
        { "ingress", "http_80", "www.lab.ops.example.com" },
        { "ingress", "http_80", "Www.example.org" },
        { "ingress", "web", "www.example.org" },
        { "resources", "memory", "512m" },
        { "resources", "memory", "1gb" },
        { "resources", "cpu", "0.5cpu" },
        { "resources", "cpu", "500M" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void The_config_reader_and_the_conversion_report_a_broken_rule_alike(string section, string key, string value)
    {
        using var temp = new TempDir();
        temp.Write("compose.yml", "services:\n  web:\n    image: nginx:1.27\n    ports: ['80']\n");
        var text = $"{Config}\n  {section}:\n    {key}: '{value}'\n";
        var fromFile = Assert.IsType<KompoxValidationException>(Assert.ThrowsAny<KompoxException>(() => KompoxConfig.Load(temp.Write("kompoxops.yml", text), "kompoxops.yml")));

        var values = new Dictionary<string, string> { [key] = value };
        var app = section == "ingress" ? App(ingress: values) : App(resources: values);
        var project = Project(Service("web") with { Ports = new[] { Port(80) } });
        var inMemory = Assert.Throws<KompoxValidationException>(() => AppConverter.Convert(app, project, K3sDisk));

        var read = Assert.Single(fromFile.Problems);
        var converted = Assert.Single(inMemory.Problems);
        Assert.Equal($"app.{section}.{key}", read.Key);
        Assert.Equal((read.Key, read.Message), (converted.Key, converted.Message));
        Assert.Equal((16, key.Length + 7), (read.Line, read.Column));
    }

    [Theory]
    [InlineData("app.resources.memory", 3, 13)]
    [InlineData("app.resources", 2, 3)]
    [InlineData("app.settings.K3S_NODE_NAME", 4, 3)]
    [InlineData("app.nothing.here", 1, 1)]
    [InlineData("cluster", 1, 1)]
    public void A_key_path_leads_to_its_value_or_to_the_key_a_missing_entry_belongs_under(string keyPath, int line, int column)
    {
        var root = (YMapping)YamlReader.Read("app:\n  resources:\n    memory: 1Gi\n  settings:\n    OTHER: x\n", "kompoxops.yml")!;

        var at = MappingReader.Locate(root, keyPath);

        Assert.Equal((line, column), (at.Line, at.Column));
    }
}
