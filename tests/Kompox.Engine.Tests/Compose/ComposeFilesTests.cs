using Kompox.Compose;
using Kompox.Model;
using Kompox.Operations;
using Kompox.Tests.Conversion;
using Xunit;
using static Kompox.Tests.Compose.Compose;

namespace Kompox.Tests.Compose;

/// <summary>
/// Which files an app's compose project is made of, and how they merge: as <c>docker compose up</c> reads them
/// (compose-go cli/options.go: WithConfigFileEnv, WithDefaultConfigPath, DefaultOverrideFileNames; compose-spec
/// 13-merge.md and compose-go override/merge.go for the merge; docker/compose docs/reference/compose.md for -f).
/// </summary>
public sealed class ComposeFilesTests
{
    private const string Base = "services:\n  web:\n    image: nginx:1.27\n    environment: { A: base, B: base }\n    ports: [\"8080:80\"]\n";

    private static ComposeProject LoadFile(TempProject project, string name, IReadOnlyDictionary<string, string>? environment = null, IReadOnlyList<ComposeFileText>? overrides = null, string appName = "app") =>
        ComposeLoader.Load(File.ReadAllText(Path.Combine(project.Dir, name)), Path.Combine(project.Dir, name), project.Dir, appName, environment ?? NoEnvironment, overrides: overrides);

    // compose-go WithDefaultConfigPath: with compose.yaml found by its default name, the first of
    // compose.override.yml, compose.override.yaml, docker-compose.override.yml, docker-compose.override.yaml beside it is
    // appended; compose-spec 13-merge.md: mappings merge, environment merges by name, ports add up, scalars are replaced.
    [Fact]
    public void TheOverrideFileBesideTheComposeFileIsMergedOverIt()
    {
        using var project = new TempProject()
            .With("compose.yaml", Base)
            .With("compose.override.yaml", "services:\n  web:\n    image: nginx:1.28\n    environment: { B: override, C: override }\n    ports: [\"8443:443\"]\n  worker:\n    image: busybox\n");
        var loaded = LoadFile(project, "compose.yaml");
        var web = loaded.Services.Single(s => s.Name == "web");
        Assert.Equal("nginx:1.28", web.Image);
        Assert.Equal(new Dictionary<string, string> { ["A"] = "base", ["B"] = "override", ["C"] = "override" }, web.Environment);
        Assert.Equal(new[] { 80, 443 }, web.Ports.Select(p => p.Target));
        Assert.Contains(loaded.Services, s => s.Name == "worker");
    }

    // compose-go DefaultOverrideFileNames is in order of preference: compose.override.yml before compose.override.yaml.
    [Fact]
    public void OnlyTheFirstOverrideFileInDockersOrderIsMerged()
    {
        using var project = new TempProject()
            .With("compose.yaml", Base)
            .With("compose.override.yaml", "services:\n  web: { image: from-yaml }\n")
            .With("compose.override.yml", "services:\n  web: { image: from-yml }\n");
        Assert.Equal("from-yml", LoadFile(project, "compose.yaml").Services[0].Image);
    }

    // A compose file with another name is what `docker compose -f app.yml up` reads: -f gives the files, so no
    // override is looked for (WithDefaultConfigPath returns at once when ConfigPaths is set).
    [Fact]
    public void AFileWithAnotherNameGetsNoOverride()
    {
        using var project = new TempProject()
            .With("app.yml", Base)
            .With("compose.override.yaml", "services:\n  web: { image: overridden }\n");
        Assert.Equal("nginx:1.27", LoadFile(project, "app.yml").Services[0].Image);
    }

    // WithConfigFileEnv: COMPOSE_FILE (from the environment or .env) lists the files, split at COMPOSE_PATH_SEPARATOR
    // (os.PathListSeparator when unset); it replaces the default file and its override.
    [Fact]
    public void ComposeFileFromDotEnvListsTheFilesWithItsSeparator()
    {
        using var project = new TempProject()
            .With("compose.yaml", Base)
            .With("compose.override.yaml", "services:\n  web: { image: not-read }\n")
            .With("prod.yaml", "services:\n  web: { image: nginx:prod }\n")
            .With(".env", "COMPOSE_FILE=compose.yaml,prod.yaml\nCOMPOSE_PATH_SEPARATOR=,\n");
        var web = LoadFile(project, "compose.yaml").Services[0];
        Assert.Equal("nginx:prod", web.Image);
        Assert.Equal("base", web.Environment["A"]);

        var fromEnvironment = LoadFile(project, "compose.yaml", Env($"COMPOSE_FILE=compose.yaml{Path.PathSeparator}compose.override.yaml", "COMPOSE_PATH_SEPARATOR="));
        Assert.Equal("not-read", fromEnvironment.Services[0].Image);
    }

    [Fact]
    public void AFileComposeFileNamesThatIsMissingIsAnError()
    {
        using var project = new TempProject().With("compose.yaml", Base);
        var e = Assert.Throws<KompoxValidationException>(() => LoadFile(project, "compose.yaml", Env("COMPOSE_FILE=compose.yaml:prod.yaml", "COMPOSE_PATH_SEPARATOR=:")));
        var error = Assert.Single(e.Problems, p => p.Key == "COMPOSE_FILE");
        Assert.Contains("'prod.yaml' is not found", error.Message);
    }

    // app.compose as a list is `docker compose -f a -f b`: those files, in order, and no override besides.
    [Fact]
    public void GivenFilesAreMergedInOrderAndNothingElse()
    {
        using var project = new TempProject()
            .With("compose.yaml", Base)
            .With("compose.override.yaml", "services:\n  web: { image: not-read }\n")
            .With("a.yaml", "services:\n  web: { image: from-a, environment: [A=a] }\n")
            .With("b.yaml", "services:\n  web: { image: from-b }\n");
        var overrides = new[] { "a.yaml", "b.yaml" }.Select(f => new ComposeFileText(Path.Combine(project.Dir, f), File.ReadAllText(Path.Combine(project.Dir, f)))).ToList();
        var web = LoadFile(project, "compose.yaml", overrides: overrides).Services[0];
        Assert.Equal("from-b", web.Image);
        Assert.Equal("a", web.Environment["A"]);
    }

    // A problem written in an override file is located in that file, not in the main one.
    [Fact]
    public void AProblemInTheOverrideFileNamesThatFile()
    {
        using var project = new TempProject()
            .With("compose.yaml", Base)
            .With("compose.override.yaml", "services:\n  web:\n    ports: [\"not-a-port\"]\n");
        var e = Assert.Throws<KompoxValidationException>(() => LoadFile(project, "compose.yaml"));
        var error = Assert.Single(e.Problems, p => p.Severity == Severity.Error);
        Assert.Equal(Path.Combine(project.Dir, "compose.override.yaml"), error.File);
        Assert.Equal(3, error.Line);
    }

    // compose-go cli/options.go withNamePrecedenceLoad and loader projectName: COMPOSE_PROJECT_NAME from the environment
    // (which .env joins), else the files' `name` (interpolated, normalized), else the directory's name, here the app's.
    [Fact]
    public void ComposeProjectNameFollowsDockersOrder()
    {
        const string yaml = "services:\n  a:\n    image: x\n    environment: { P: \"${COMPOSE_PROJECT_NAME}\" }\n";
        using var project = new TempProject().With("compose.yaml", yaml);
        Assert.Equal("shop", LoadFile(project, "compose.yaml", appName: "shop").Services[0].Environment["P"]);
        Assert.Equal("other", LoadFile(project, "compose.yaml", Env("COMPOSE_PROJECT_NAME=other"), appName: "shop").Services[0].Environment["P"]);

        project.With("compose.yaml", "name: My_${STAGE}\n" + yaml);
        Assert.Equal("my_prod", LoadFile(project, "compose.yaml", Env("STAGE=Prod"), appName: "shop").Services[0].Environment["P"]);

        project.With(".env", "COMPOSE_PROJECT_NAME=fromdotenv\n");
        Assert.Equal("fromdotenv", LoadFile(project, "compose.yaml", appName: "shop").Services[0].Environment["P"]);
        Assert.Equal("env", LoadFile(project, "compose.yaml", Env("COMPOSE_PROJECT_NAME=env"), appName: "shop").Services[0].Environment["P"]);
    }

    // Through the engine's validate path: the app's manifest carries what the override says, as kubectl reads it.
    [Fact]
    public void TheAppsManifestIsMadeOfTheMergedFiles()
    {
        using var project = new TempProject()
            .With("compose.yaml", Base)
            .With("compose.override.yaml", "services:\n  web:\n    image: nginx:1.28\n");
        var app = ConversionFixtures.App();
        app = new KompoxApp
        {
            Name = app.Name, Cluster = app.Cluster, Ingress = app.Ingress, Resources = app.Resources, Settings = app.Settings,
            Compose = Base, ComposePath = Path.Combine(project.Dir, "compose.yaml"),
        };
        var validation = AppValidator.Validate(app, new AppValidationOptions { DiskId = ConversionFixtures.K3sDisk });
        Assert.True(validation.IsValid, string.Join("\n", validation.Errors));
        var differences = Testing.KubectlReadBack.Differences(validation.Yaml);
        Assert.Empty(differences);
        var pod = k8s.KubernetesYaml.LoadAllFromString(validation.Yaml).OfType<k8s.Models.V1Deployment>().Single().Spec.Template.Spec;
        Assert.Equal("nginx:1.28", pod.Containers.Single(c => c.Name == "web").Image);
    }
}
