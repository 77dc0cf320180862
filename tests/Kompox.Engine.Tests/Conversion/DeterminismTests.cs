using System.Security.Cryptography;
using System.Text;
using k8s;
using k8s.Models;
using Kompox.Compose;
using Kompox.Conversion;
using Xunit;
using static Kompox.Tests.Conversion.ConversionFixtures;

namespace Kompox.Tests.Conversion;

public class DeterminismTests
{
    // Computed outside .NET: int.from_bytes(sha256(text), 'big') written in base 36 with 0-9a-z.
    [Theory]
    [InlineData("ops/aks1/my-app", "23431u")]
    [InlineData("ops/k3s1/my-app", "1w9itl")]
    [InlineData("", "5oaq0b")]
    [InlineData("abc", "4nb7oo")]
    public void Base36_hash_known_answers(string text, string expected) => Assert.Equal(expected, KubeNames.Base36Hash(text));

    [Fact]
    public void Base36_hash_matches_schoolbook_long_division_of_the_digest()
    {
        foreach (var text in new[] { "ops/aks1/gitea", "svc/p/x", "日本語/app" })
        {
            Assert.Equal(LongDivisionBase36(SHA256.HashData(Encoding.UTF8.GetBytes(text)))[..6], KubeNames.Base36Hash(text));
        }
    }

    // Divides the big-endian digest by 36 byte by byte, collecting remainders: no BigInteger, so an independent check.
    private static string LongDivisionBase36(byte[] number)
    {
        const string digits = "0123456789abcdefghijklmnopqrstuvwxyz";
        var value = (byte[])number.Clone();
        var result = new StringBuilder();
        while (value.Any(b => b != 0))
        {
            var remainder = 0;
            for (var i = 0; i < value.Length; i++)
            {
                var current = (remainder << 8) | value[i];
                value[i] = (byte)(current / 36);
                remainder = current % 36;
            }

            result.Insert(0, digits[remainder]);
        }

        return result.ToString();
    }

    [Fact]
    public void Namespace_uses_the_documented_hash_input()
    {
        Assert.Equal("k4x-my-app-23431u", ConvertValid(App(driver: "aks"), Gitea(), AksDisk).Namespace);
        Assert.Equal("k4x-my-app-1w9itl", ConvertValid(App(), Gitea(), K3sDisk).Namespace);
    }

    private static ComposeProject Rich()
    {
        var web = Service("web") with
        {
            Environment = new Dictionary<string, string> { ["Z"] = "1", ["A"] = "2", ["M"] = "3" },
            Ports = new[] { Port(8080, 80, 0), Port(9090, 9090, 1) },
            Volumes = new[] { Volume("content", "/srv"), Bind("./conf", "/etc/app", 1, readOnly: true), Anonymous("/cache", 2) },
            Tmpfs = new[] { new ComposeTmpfs("/tmp", 1024 * 1024, "tmpfs[0]", At) },
            Configs = new[] { new ComposeFileMount("app", "/app.conf", null, "configs[0]", At) },
            Secrets = new[] { new ComposeFileMount("key", "/run/secrets/key", null, "secrets[0]", At) },
        };
        var db = Service("db") with { Environment = new Dictionary<string, string> { ["PASSWORD"] = "x" }, Volumes = new[] { Volume("db", "/var/lib/db") }, Expose = new[] { Expose(5432) } };
        var cache = Service("cache") with { Expose = new[] { Expose(6379) } };
        return Project(
            new[] { web, db, cache },
            volumes: new[] { "db", "content" },
            configs: new Dictionary<string, string> { ["app"] = "a=1\n" },
            secrets: new Dictionary<string, string> { ["key"] = "k" });
    }

    private static byte[] Yaml(ComposeProject project) =>
        System.Text.Encoding.UTF8.GetBytes(ManifestWriter.Write(ConvertValid(App(ingress: new Dictionary<string, string> { ["http_9090"] = "metrics.example.org" }), project, K3sDisk).Objects));

    [Fact]
    public void Converting_twice_gives_identical_bytes()
    {
        Assert.Equal(Yaml(Rich()), Yaml(Rich()));
    }

    [Fact]
    public void Service_order_in_the_file_changes_nothing()
    {
        var project = Rich();
        var baseline = Yaml(project);

        foreach (var order in new[] { new[] { 2, 1, 0 }, new[] { 1, 0, 2 }, new[] { 0, 2, 1 } })
        {
            var shuffled = project with { Services = order.Select(i => project.Services[i]).ToList() };
            Assert.Equal(Encoding.UTF8.GetString(baseline), Encoding.UTF8.GetString(Yaml(shuffled)));
        }
    }

    [Fact]
    public void Conflicts_are_reported_on_the_same_service_whatever_the_order()
    {
        var a = Service("a") with { Ports = new[] { Port(80, 8080) } };
        var b = Service("b") with { Ports = new[] { Port(81, 8080) } };

        var first = Assert.Throws<KompoxValidationException>(() => AppConverter.Convert(App(), Project(a, b), K3sDisk));
        var second = Assert.Throws<KompoxValidationException>(() => AppConverter.Convert(App(), Project(b, a), K3sDisk));
        Assert.Equal(first.Message, second.Message);
    }

    [Fact]
    public void Manifest_is_a_yaml_stream_kubernetes_reads_back_object_for_object()
    {
        var manifest = ConvertValid(App(), Rich(), K3sDisk);
        var text = ManifestWriter.Write(manifest.Objects);

        Assert.StartsWith("---\napiVersion: ", text);
        Assert.DoesNotContain("\r", text);
        Assert.EndsWith("\n", text);
        var documents = text.Split("---\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(manifest.Objects.Count, documents.Length);
        Assert.All(documents, d => Assert.Matches("^apiVersion: [a-z0-9./]+\nkind: [A-Za-z]+\n", d));

        var read = KubernetesYaml.LoadAllFromString(text);
        Assert.Equal(manifest.Objects.Select(o => o.GetType()), read.Select(o => o.GetType()));
        Assert.Equal(text, ManifestWriter.Write(read.Cast<IKubernetesObject>()));
    }

    [Fact]
    public void String_values_that_look_like_other_types_stay_strings()
    {
        var text = ManifestWriter.Write(ConvertValid(App(), Project(Service("web") with { Ports = new[] { Port(80) } }), K3sDisk).Objects);

        Assert.Contains("traefik.ingress.kubernetes.io/router.tls: \"true\"", text);
        Assert.Contains("storageClassName: \"\"", text);
    }

    [Fact]
    public void Writer_refuses_an_object_without_kind()
    {
        Assert.Throws<ArgumentException>(() => ManifestWriter.Write(new[] { new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "x" } } }));
    }
}
