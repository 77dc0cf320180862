using System.Text;
using Xunit;
using Kompox.Compose;
using static Kompox.Tests.Compose.Compose;

namespace Kompox.Tests.Compose;

/// <summary>What the loader may read: only files inside the project directory, and never their text in a message.</summary>
public class FileSafetyTests
{
    private const string Marker = "MARKER_7f3a";

    // Docker Compose (compose-go loader) interpolates after parsing YAML, so `KEY: ${UNSET}` is the string "",
    // while `- KEY`, `KEY:` and `KEY: null` are variables written with no value, taken from the environment
    // (compose-spec 05-services.md, "environment": "a variable with no value ... is resolved from the environment").
    [Fact]
    public void AValueThatInterpolatesToNothingIsTheEmptyString()
    {
        var service = Service("""
            services:
              a:
                image: x
                environment:
                  PATH: ${UNSET}
                  DEBUG: ${EMPTY}
                  NULL_TEXT: ${AS_NULL}
                  TOKEN:
                  FROM_NULL: null
            """, Env("PATH=/usr/bin", "EMPTY=", "AS_NULL=null", "TOKEN=t", "FROM_NULL=n"));
        Assert.Equal(
            new[] { "DEBUG=", "FROM_NULL=n", "NULL_TEXT=null", "PATH=", "TOKEN=t" },
            service.Environment.Select(e => $"{e.Key}={e.Value}"));

        var list = Service("services:\n  a:\n    image: x\n    environment: [\"PATH=${UNSET}\", TOKEN]\n", Env("PATH=/usr/bin", "TOKEN=t"));
        Assert.Equal(new[] { "PATH=", "TOKEN=t" }, list.Environment.Select(e => $"{e.Key}={e.Value}"));
    }

    [Fact]
    public void AnInterpolatedEmptyCommandIsWrittenNotLeftOut()
    {
        var service = Service("services:\n  a:\n    image: x\n    entrypoint: ${NO_ENTRYPOINT-}\n");
        Assert.Empty(Assert.IsAssignableFrom<IReadOnlyList<string>>(service.Entrypoint));
    }

    [Fact]
    public void AnAbsoluteEnvFileIsRefusedUnread()
    {
        using var outside = new TempProject().With("host.env", $"{Marker}=1\n");
        using var project = new TempProject();
        var error = Error($"services:\n  a:\n    image: x\n    env_file: {Path.Combine(outside.Dir, "host.env")}\n", "services.a.env_file", dir: project.Dir);
        Assert.Contains("absolute path", error.Message);
        Assert.DoesNotContain(Marker, error.Message);
        Assert.Contains("absolute path", Error("services:\n  a:\n    image: x\n    env_file: /etc/os-release\n", "services.a.env_file", dir: project.Dir).Message);
    }

    [Fact]
    public void AnEnvFileOrConfigAboveTheProjectIsRefused()
    {
        using var parent = new TempProject().With("x.env", $"{Marker}=1\n").With("project/compose.yml", "unused");
        var dir = Path.Combine(parent.Dir, "project");
        var errors = Errors("""
            services:
              a:
                image: x
                env_file: [{ path: ../x.env, required: false }]
            configs:
              c: { file: ../x.env }
            secrets:
              s: { file: ./sub/../../x.env }
            """, dir: dir);
        Assert.Equal(new[] { "configs.c.file", "secrets.s.file", "services.a.env_file[0]" }, errors.Select(e => e.Key).Order(StringComparer.Ordinal));
        Assert.All(errors, e => Assert.Contains("outside the compose file's directory", e.Message));
        Assert.All(errors, e => Assert.DoesNotContain(Marker, e.Message));
    }

    [Fact]
    public void SymbolicLinksThatLeadOutsideAreRefused()
    {
        using var outside = new TempProject().With("secret.txt", $"{Marker}=1\n").With("dir/file.conf", Marker);
        using var project = new TempProject()
            .WithLink("conf.txt", Path.Combine(outside.Dir, "secret.txt"))
            .WithLink("vars.env", Path.Combine(outside.Dir, "secret.txt"))
            .WithLink("linked", outside.Dir)
            .WithLink("relative.txt", Path.Combine("..", Path.GetFileName(outside.Dir), "secret.txt"));
        var problems = Problems("""
            services:
              a:
                image: x
                env_file: vars.env
                volumes: ["./linked/dir/file.conf:/etc/app.conf", "./linked:/data"]
            configs:
              c: { file: conf.txt }
            secrets:
              s: { file: relative.txt }
            """, dir: project.Dir);
        var errors = problems.Where(p => p.Severity == Severity.Error).ToList();
        Assert.Equal(
            new[] { "configs.c.file", "secrets.s.file", "services.a.env_file", "services.a.volumes[0]", "services.a.volumes[1]" },
            errors.Select(e => e.Key).Order(StringComparer.Ordinal));
        Assert.All(errors, e => Assert.Contains("through a symbolic link", e.Message));
        Assert.All(problems, p => Assert.DoesNotContain(Marker, p.Message));
    }

    [Fact]
    public void ADotEnvThatIsASymbolicLinkOutsideIsRefused()
    {
        using var outside = new TempProject().With("host.env", $"{Marker}=leaked\n");
        using var project = new TempProject().WithLink(".env", Path.Combine(outside.Dir, "host.env"));
        var problems = Problems("services:\n  a:\n    image: x\n    environment: { V: \"${" + Marker + "}\" }\n", dir: project.Dir);
        var error = Assert.Single(problems, p => p.Severity == Severity.Error);
        Assert.Equal(".env", error.File);
        Assert.Contains("through a symbolic link", error.Message);
        Assert.DoesNotContain("leaked", string.Join("\n", problems.Select(p => p.Message)));
    }

    [Fact]
    public void SymbolicLinksThatStayInsideAreFollowed()
    {
        using var project = new TempProject().With("real/app.conf", "inside").WithLink("app.conf", Path.Combine("real", "app.conf")).WithLink("alias", "real");
        var loaded = Load("services:\n  a:\n    image: x\nconfigs:\n  c: { file: app.conf }\n  d: { file: alias/app.conf }\n", dir: project.Dir);
        Assert.Equal("inside", Encoding.UTF8.GetString(loaded.Configs["c"].Content));
        Assert.Equal("inside", Encoding.UTF8.GetString(loaded.Configs["d"].Content));
    }

    [Fact]
    public void ALoopOfSymbolicLinksIsRefused()
    {
        using var project = new TempProject().WithLink("a", "b").WithLink("b", "a");
        Assert.Contains("symbolic link", Error("services:\n  a:\n    image: x\nconfigs:\n  c: { file: a }\n", "configs.c.file", dir: project.Dir).Message);
    }

    [Fact]
    public void WithoutAProjectDirectoryNoFileCanBeNamed()
    {
        var errors = Assert.Throws<KompoxValidationException>(() => ComposeLoader.Load("""
            services:
              a:
                image: x
                env_file: app.env
                volumes: ["./data:/data", "db:/db"]
            configs:
              c: { file: c.txt }
            volumes:
              db:
            """, "compose.yml", null, "app", NoEnvironment)).Problems;
        Assert.Equal(new[] { "configs.c.file", "services.a.env_file", "services.a.volumes[0]" }, errors.Select(e => e.Key).Order(StringComparer.Ordinal));
        Assert.All(errors, e => Assert.Contains("the compose file has no directory", e.Message));
        Assert.Single(ComposeLoader.Load("services:\n  a: { image: x }\n", "compose.yml", null, "app", NoEnvironment).Services);
    }

    [Fact]
    public void EnvFileErrorsSayTheLineButNotItsText()
    {
        using var project = new TempProject().With("app.env", $"GOOD=1\n{Marker} is not a line\nB=\"{Marker}\n").With(".env", $"{Marker}:{Marker}\n");
        var errors = Errors("services:\n  a:\n    image: x\n    env_file: app.env\n", dir: project.Dir);
        Assert.Equal(new[] { (".env", 1), ("app.env", 2), ("app.env", 3) }, errors.Select(e => (e.File, e.Line)).Order());
        Assert.All(errors, e => Assert.DoesNotContain(Marker, e.Message));
        Assert.Contains("line 2", errors.Single(e => e.File == "app.env" && e.Line == 2).Message);
    }

    [Fact]
    public void ABinaryEnvFileIsRefusedWithoutItsBytes()
    {
        using var project = new TempProject().WithBytes("app.env", [0x41, 0x3D, 0x00, 0x42]);
        Assert.Contains("binary", Error("services:\n  a:\n    image: x\n    env_file: app.env\n", "services.a.env_file", dir: project.Dir).Message);
    }

    // A link below a real directory is followed as much as one at the top: containment is checked link by link.
    [Fact]
    public void ASymbolicLinkBelowARealDirectoryThatLeadsOutsideIsRefused()
    {
        using var outside = new TempProject().With("secret.txt", Marker);
        using var project = new TempProject().With("sub/real.txt", "inside").WithLink("sub/out", outside.Dir).WithLink("sub/deeper/out", outside.Dir);
        var errors = Errors("services:\n  a:\n    image: x\nconfigs:\n  c: { file: sub/out/secret.txt }\n  d: { file: ./sub/deeper/out/secret.txt }\n", dir: project.Dir);
        Assert.Equal(new[] { "configs.c.file", "configs.d.file" }, errors.Select(e => e.Key).Order(StringComparer.Ordinal));
        Assert.All(errors, e => Assert.Contains("through a symbolic link", e.Message));
    }

    // Linux paths differ by case: ../APP is not the project directory app, whatever Windows would say.
    [Fact]
    public void ALinkToADirectoryNamedLikeTheProjectInAnotherCaseIsOutside()
    {
        using var parent = new TempProject().With("APP/secret.txt", Marker).With("app/compose.yml", "unused");
        File.CreateSymbolicLink(Path.Combine(parent.Dir, "app", "c.txt"), Path.Combine(parent.Dir, "APP", "secret.txt"));
        var error = Error("services:\n  a:\n    image: x\nconfigs:\n  c: { file: c.txt }\n", "configs.c.file", dir: Path.Combine(parent.Dir, "app"));
        Assert.Contains("through a symbolic link", error.Message);
    }

    [Fact]
    public void AnEmptyPathADirectoryAndAFileThatCannotBeReadAreRefusedEachWithItsReason()
    {
        using var project = new TempProject().With("dir/x.txt", "x");
        using var socket = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.Unix, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Unspecified);
        socket.Bind(new System.Net.Sockets.UnixDomainSocketEndPoint(Path.Combine(project.Dir, "app.sock")));
        var errors = Errors("services:\n  a:\n    image: x\nconfigs:\n  e: { file: \"\" }\n  d: { file: dir }\n  s: { file: app.sock }\n", dir: project.Dir);
        Assert.Equal(
            new[] { ("configs.d.file", "'dir' is a directory, not a file"), ("configs.e.file", "the path is empty"), ("configs.s.file", "'app.sock' cannot be read: IOException") },
            errors.Select(e => (e.Key, e.Message)).Order());
    }

    [Fact]
    public void AFileOfTheLargestSizeIsReadAndOneByteMoreIsRefused()
    {
        using var project = new TempProject()
            .WithBytes("fits.bin", new byte[ComposeLoader.MaxIncludedFileBytes])
            .WithBytes("over.bin", new byte[ComposeLoader.MaxIncludedFileBytes + 1]);
        var errors = Errors("services:\n  a:\n    image: x\nconfigs:\n  fits: { file: fits.bin }\n  over: { file: over.bin }\n", dir: project.Dir);
        Assert.Equal("configs.over.file", Assert.Single(errors).Key);
        Assert.Contains("at most 1,048,576 bytes", errors[0].Message);
    }

    // Linux follows 40 links in a path and refuses the 41st (ELOOP, MAXSYMLINKS in include/linux/namei.h); so does the loader.
    [Theory]
    [InlineData(40, true)]
    [InlineData(41, false)]
    public void A_chain_of_forty_links_is_followed_and_one_more_is_refused(int links, bool followed)
    {
        using var project = new TempProject().With("target.txt", "end");
        for (var i = 1; i <= links; i++)
        {
            project.WithLink($"l{i}", i == links ? "target.txt" : $"l{i + 1}");
        }

        var files = new ProjectFiles(project.Dir);
        var real = files.Resolve("l1", out var problem);

        Assert.Equal(followed ? Path.Combine(files.Root!, "target.txt") : null, real);
        Assert.Equal(followed, problem is null);
    }

    // The real path, not one of its spellings: no "." left where a path names the directory itself.
    [Theory]
    [InlineData(".", "")]
    [InlineData("self/x.txt", "x.txt")]
    [InlineData("self/self/x.txt", "x.txt")]
    public void A_path_resolves_to_its_canonical_real_path(string written, string expected)
    {
        using var project = new TempProject().With("x.txt", "x").WithLink("self", ".");
        var files = new ProjectFiles(project.Dir);

        Assert.Equal(Path.TrimEndingDirectorySeparator(Path.Combine(files.Root!, expected)), files.Resolve(written, out var problem));
        Assert.Null(problem);
    }
}
