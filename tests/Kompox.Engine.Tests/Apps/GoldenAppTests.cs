using Kompox.Testing;

namespace Kompox.Tests.Apps;

/// <summary>
/// Realistic apps and the exact manifests they convert to. After an intended change of the conversion, run the
/// tests with KOMPOX_UPDATE_GOLDEN=1 to rewrite expected.yaml and expected-warnings.txt (those tests then fail, since
/// they compared nothing), review the diff, and run them again without it.
/// </summary>
public class GoldenAppTests
{
    private static readonly bool Update = Environment.GetEnvironmentVariable("KOMPOX_UPDATE_GOLDEN") == "1";

    public static TheoryData<string> Apps() => AppCorpus.Folders("apps");

    [Fact]
    public void The_corpus_has_at_least_ten_apps() => Assert.True(Apps().Count >= 10);

    [Theory]
    [MemberData(nameof(Apps))]
    public void Converts_to_the_expected_manifest(string name)
    {
        var config = AppCorpus.Load("apps", name);
        var result = AppCorpus.Validate(config, AppCorpus.DiskId(config));

        Assert.True(result.IsValid, string.Join(Environment.NewLine, result.Errors.Select(AppCorpus.Show)));
        var warnings = string.Concat(result.Warnings.Select(w => AppCorpus.Show(w) + "\n"));
        var expectedYaml = RepoPaths.Data("apps", name, "expected.yaml");
        var expectedWarnings = RepoPaths.Data("apps", name, "expected-warnings.txt");
        if (Update)
        {
            // Writing the expected files and comparing with them would always pass: an update run fails, so it is
            // never mistaken for a green run, and the next run without the switch compares.
            File.WriteAllText(expectedYaml, result.Yaml);
            File.WriteAllText(expectedWarnings, warnings);
            Assert.Fail($"KOMPOX_UPDATE_GOLDEN=1: wrote {expectedYaml} and {expectedWarnings} instead of comparing; review the diff and run the tests again without it");
        }

        Assert.Equal(File.ReadAllText(expectedYaml), result.Yaml);
        Assert.Equal(File.ReadAllText(expectedWarnings), warnings);
    }

    [Theory]
    [MemberData(nameof(Apps))]
    public void The_manifest_passes_the_API_server_rules(string name)
    {
        var config = AppCorpus.Load("apps", name);
        var result = AppCorpus.Validate(config, AppCorpus.DiskId(config));

        Assert.Empty(ManifestValidator.ValidateYaml(result.Yaml));
    }

    [Theory]
    [MemberData(nameof(Apps))]
    public void Kubectl_reads_the_manifest_back_as_the_converted_objects(string name)
    {
        var config = AppCorpus.Load("apps", name);
        var diskId = AppCorpus.DiskId(config);

        KubectlReadBack.AssertSame(AppCorpus.Validate(config, diskId).Yaml, AppCorpus.Convert(config, diskId).Objects);
    }

    [Theory]
    [MemberData(nameof(Apps))]
    public void Converting_twice_gives_the_same_bytes(string name)
    {
        var config = AppCorpus.Load("apps", name);
        Assert.Equal(AppCorpus.Validate(config, AppCorpus.DiskId(config)).Yaml, AppCorpus.Validate(AppCorpus.Load("apps", name), AppCorpus.DiskId(config)).Yaml);
    }

    [Fact]
    public void The_order_of_services_in_the_file_changes_nothing()
    {
        const string Db = "  db:\n    image: postgres:17\n    environment:\n      POSTGRES_PASSWORD: pw\n    volumes: [data:/var/lib/postgresql/data]\n";
        const string Web = "  web:\n    image: nginx:1.27\n    ports: ['8080:80']\n    configs: [site]\n";
        const string Rest = "volumes:\n  data:\nconfigs:\n  site:\n    content: hello\n";
        string Convert(string services)
        {
            using var temp = new TempDir();
            File.Copy(RepoPaths.Data("apps", "pgadmin-postgres", "kompoxops.yml"), Path.Combine(temp.Path, "kompoxops.yml"));
            temp.Write("compose.yml", "services:\n" + services + Rest);
            var config = Kompox.Config.KompoxConfig.Load(Path.Combine(temp.Path, "kompoxops.yml"));
            var result = AppCorpus.Validate(config, AppCorpus.DiskId(config));
            Assert.True(result.IsValid, string.Join("\n", result.Errors));
            return result.Yaml;
        }

        Assert.Equal(Convert(Db + Web), Convert(Web + Db));
    }

    [Fact]
    public void Without_a_disk_the_volume_and_claim_are_left_out_with_a_warning()
    {
        var config = AppCorpus.Load("apps", "nginx-single");
        var result = AppCorpus.Validate(config, diskId: null);

        Assert.True(result.IsValid);
        Assert.DoesNotContain(result.Documents, d => d.Kind is "PersistentVolume" or "PersistentVolumeClaim");
        Assert.Contains(result.Warnings, w => w.Message.Contains("no disk", StringComparison.OrdinalIgnoreCase));
        Assert.Empty(ManifestValidator.ValidateYaml(result.Yaml));
        KubectlReadBack.AssertSame(result.Yaml, AppCorpus.Convert(config, diskId: null).Objects);
    }
}
