using Xunit;
using static Kompox.Tests.Compose.Compose;

namespace Kompox.Tests.Compose;

/// <summary>Broken and hostile compose files: each must fail with InvalidCompose, naming where.</summary>
public class RejectedFilesTests
{
    public static TheoryData<string, string, string> Cases => new()
    {
        { "services:\n  a:\n    image: x\n    ports: { http: 80 }\n", "services.a.ports", "expected a list" },
        { "services:\n  a:\n    image: x\n    environment: 5\n", "services.a.environment", "expected a mapping" },
        { "services:\n  a:\n    image: x\n    environment: { A: [1, 2] }\n", "services.a.environment.A", "found a list" },
        { "services:\n  a:\n    image: [x]\n", "services.a.image", "expected a string" },
        { "services:\n  a:\n    image: x\n    privileged: maybe\n", "services.a.privileged", "true or false" },
        { "services:\n  a:\n    image: x\n    command: { run: x }\n", "services.a.command", "a string or a list" },
        { "services:\n  a:\n    image: x\n    command: \"echo 'open\"\n", "services.a.command", "never closed" },
        { "services:\n  a:\n    image: ${IMAGE:?name the image}\n", "services.a.image", "IMAGE" },
        { "services:\n  a:\n    image: \"price $5\"\n", "services.a.image", "$$" },
        { "services:\n  a:\n    image: x\n    extends: { file: other.yml, service: b }\n", "services.a.extends.file", "not supported" },
        { "services:\n  a: { image: x, extends: b }\n  b: { image: x, extends: a }\n", "services.a.extends", "cycle" },
        { "services:\n  a:\n    image: x\n    configs: [c]\nconfigs:\n  c: { external: true }\n", "configs.c.external", "not available in Kubernetes" },
        { "services:\n  a:\n    image: x\nsecrets:\n  s: { file: /etc/shadow }\n", "secrets.s.file", "outside" },
        { "services:\n  a:\n    image: x\n    env_file: nowhere.env\n", "services.a.env_file", "not found" },
        { "services:\n  a:\n    image: x\n    ports: [\"8000-8003:80-81\"]\n", "services.a.ports[0]", "same length" },
        { "services:\n  a:\n    image: x\n    healthcheck: { test: [CMD, x], interval: 5 minutes }\n", "services.a.healthcheck.interval", "not a duration" },
        { "services:\n  a:\n    image: x\n    deploy: { resources: { reservations: { memory: 1z } } }\n", "services.a.deploy.resources.reservations.memory", "not a size" },
        { "services:\n  a:\n    restart: always\n", "services.a", "no image" },
        { "name: x\n", "services", "required" },
        { "services: {}\n", "services", "empty" },
        { "services: [a, b]\n", "services", "expected a mapping" },
        { "services:\n  a:\n", "services.a", "expected a mapping" },
        { "- just\n- a list\n", "services", "expected a mapping" },
        { "services:\n  a:\n    image: x\n    tmpfs: [\"relative\"]\n", "services.a.tmpfs[0]", "absolute" },
        { "services:\n  a:\n    image: x\n    configs: [{ source: c, mode: rwx }]\nconfigs:\n  c: { content: x }\n", "services.a.configs[0].mode", "file mode" },
        { "services:\n  a:\n    image: x\nsecrets:\n  s: { content: x }\n", "secrets.s.content", "only configs have inline content" },
        { "include: [other.yml]\nservices:\n  a: { image: x }\n", "include", "not supported" },
        { "services:\n  a: { image: x }\nconfigs:\n  c: {}\n", "configs.c", "one of file, content or environment" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void IsRejectedWithKeyAndMessage(string yaml, string key, string message)
    {
        using var dir = new TempProject();
        var errors = Errors(yaml, dir: dir.Dir);
        var error = Assert.Single(errors, e => e.Key == key);
        Assert.Contains(message, error.Message);
        Assert.Equal("compose.yml", error.File);
        Assert.True(error.Line > 0, $"{error} should have a line");
        if (key.StartsWith("services.a", StringComparison.Ordinal))
        {
            Assert.Equal("a", error.Service);
        }
    }

    [Theory]
    [InlineData("services:\n  a: { image: x }\n  a: { image: y }\n", "duplicate key")]
    [InlineData("services:\n  a: { image: x\n", "YAML syntax error")]
    [InlineData("services: *nowhere\n", "refers to no anchor")]
    [InlineData("", "empty")]
    public void BrokenYamlIsRejected(string yaml, string message)
    {
        var e = Assert.Throws<KompoxValidationException>(() => Load(yaml));
        Assert.Equal("InvalidCompose", e.ErrorId);
        Assert.Contains(message, Assert.Single(e.Problems).Message);
    }

    [Fact]
    public void AliasBombIsRejected()
    {
        var yaml = "x-a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n";
        var previous = "a";
        for (var level = 'b'; level <= 'j'; level++)
        {
            yaml += $"x-{level}: &{level} [*{previous}, *{previous}, *{previous}, *{previous}, *{previous}, *{previous}, *{previous}, *{previous}, *{previous}, *{previous}]\n";
            previous = level.ToString();
        }

        yaml += "services:\n  a: { image: x, command: *j }\n";
        var e = Assert.Throws<KompoxValidationException>(() => Load(yaml));
        Assert.Equal("InvalidCompose", e.ErrorId);
    }

    [Fact]
    public void EveryErrorIsReportedAtOnce()
    {
        var errors = Errors("""
            services:
              a:
                ports: ["8000-8003:80-81"]
                environment: 5
              b:
                image: x
                cap_add: 7
                healthcheck: { test: [CMD, x], timeout: never }
            """);
        Assert.Equal(
            new[] { "services.a", "services.a.environment", "services.a.ports[0]", "services.b.cap_add", "services.b.healthcheck.timeout" },
            errors.Select(e => e.Key).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void DotEnvErrorsNameTheDotEnvFile()
    {
        using var dir = new TempProject().With(".env", "GOOD=1\nnot a line\n");
        var error = Assert.Single(Errors("services:\n  a: { image: x }\n", dir: dir.Dir));
        Assert.Equal((".env", 2), (error.File, error.Line));
    }
}
