using System.Text;
using Xunit;
using Kompox.Compose;
using static Kompox.Tests.Compose.Compose;

namespace Kompox.Tests.Compose;

/// <summary>The loader reads a compose file as `docker compose up` would; each test names the Docker source it follows.</summary>
public class ComposeFidelityTests
{
    // compose-go: a service with `scale: 0` (or deploy.replicas: 0) gets no container; distinct values of the two
    // are refused (loader/validate.go: "can't set distinct values on 'scale' and 'deploy.replicas'").
    [Fact]
    public void ServicesScaledToZeroAreNotRun()
    {
        var project = Load("""
            services:
              a: { image: x, scale: 0 }
              b: { image: x, deploy: { replicas: 0 } }
              c: { image: x, scale: 3, deploy: { replicas: 3 } }
            """);
        Assert.Equal("c", Assert.Single(project.Services).Name);
        Assert.Contains(project.Warnings, w => w.Key == "services.a.scale" && w.Message.Contains("not run", StringComparison.Ordinal));
        Assert.Contains(project.Warnings, w => w.Key == "services.b.deploy.replicas" && w.Message.Contains("not run", StringComparison.Ordinal));
        Assert.Contains(project.Warnings, w => w.Key == "services.c.scale" && w.Message.Contains("runs one replica", StringComparison.Ordinal));
        Assert.Contains("distinct values", Error("services:\n  a: { image: x, scale: 2, deploy: { replicas: 3 } }\n", "services.a.scale").Message);
        Assert.Contains("scaled to 0", Error("services:\n  a: { image: x, scale: 0 }\n", "services").Message);
    }

    // Docker docs, "Using profiles with Compose": COMPOSE_PROFILES selects profiles when --profile is not given; it
    // may be set in the environment or in .env.
    [Fact]
    public void ComposeProfilesIsHonouredWhenNoProfileIsPassed()
    {
        const string yaml = "services:\n  a: { image: x }\n  debug: { image: x, profiles: [debug] }\n  tools: { image: x, profiles: [tools] }\n";
        Assert.Equal(new[] { "a", "debug", "tools" }, Load(yaml, Env("COMPOSE_PROFILES=debug, tools")).Services.Select(s => s.Name));
        Assert.Equal(new[] { "a", "tools" }, Load(yaml, Env("COMPOSE_PROFILES=debug"), profiles: ["tools"]).Services.Select(s => s.Name));
        using var project = new TempProject().With(".env", "COMPOSE_PROFILES=debug\n");
        Assert.Equal(new[] { "a", "debug" }, Load(yaml, dir: project.Dir).Services.Select(s => s.Name));
    }

    // compose-go loader/validate.go checkConsistency: "service %q depends on undefined service %q"; a service its
    // profiles disable counts as undefined unless the dependency is `required: false`.
    [Fact]
    public void DependenciesMustBeDefinedAndActive()
    {
        Assert.Contains("not defined", Error("services:\n  a: { image: x, depends_on: [ghost] }\n", "services.a.depends_on[0]").Message);
        Assert.Contains("not defined", Error("services:\n  a: { image: x, depends_on: { ghost: { condition: service_started } } }\n", "services.a.depends_on.ghost").Message);
        const string profiled = "services:\n  a:\n    image: x\n    depends_on:\n      db: { condition: service_healthy, required: REQUIRED, restart: true }\n  db: { image: x, profiles: [db] }\n";
        Assert.Contains("profiles leave out", Error(profiled.Replace("REQUIRED", "true", StringComparison.Ordinal), "services.a.depends_on.db").Message);
        Assert.Equal("a", Assert.Single(Load(profiled.Replace("REQUIRED", "false", StringComparison.Ordinal)).Services).Name);
        Assert.Equal(2, Load(profiled.Replace("REQUIRED", "true", StringComparison.Ordinal), profiles: ["db"]).Services.Count);
        Error("services:\n  a: { image: x, depends_on: { b: { condition: service_ready } } }\n  b: { image: x }\n", "services.a.depends_on.b.condition");
        Error("services:\n  a: { image: x, depends_on: { b: { condtion: service_started } } }\n  b: { image: x }\n", "services.a.depends_on.b.condtion");
    }

    // compose-go dotenv (parser.go, godotenv.go): .env values may use earlier .env lines and the process
    // environment; env_file values are interpolated with the project's variables; single quotes are literal.
    [Fact]
    public void EnvFilesAreInterpolatedAsComposeDoes()
    {
        using var project = new TempProject()
            .With(".env", "DB_HOST=db\nDB_URL=postgres://${DB_HOST}:${DB_PORT:-5432}\nFROM_SHELL=${SHELL_VALUE}\n")
            .With("app.env", "URL=${DB_URL}/app\nLITERAL='${DB_HOST}'\nSELF=x\nAGAIN=${SELF}y\nSHELL=$SHELL_VALUE\n")
            .With("raw.env", "RAW=\"${DB_HOST}\" # kept\n");
        var service = Service("""
            services:
              a:
                image: x
                env_file: [app.env, { path: raw.env, format: raw }]
                environment: { FROM_DOTENV: "${FROM_SHELL}" }
            """, Env("SHELL_VALUE=sh"), project.Dir);
        Assert.Equal(
            new[] { "AGAIN=xy", "FROM_DOTENV=sh", "LITERAL=${DB_HOST}", "RAW=\"${DB_HOST}\" # kept", "SELF=x", "SHELL=sh", "URL=postgres://db:5432/app" },
            service.Environment.Select(e => $"{e.Key}={e.Value}"));
        Error("services:\n  a:\n    image: x\n    env_file: [{ path: app.env, format: yaml }]\n", "services.a.env_file[0].format", dir: project.Dir);
    }

    // compose-go template.Substitute logs `The "FOO" variable is not set. Defaulting to a blank string.`;
    // a default (:- or -) or an alternative (:+) makes no warning.
    [Fact]
    public void AnUnsetVariableIsWarnedAboutWhereItIsUsed()
    {
        var project = Load("""
            services:
              a:
                image: "x:${TAG:-1}"
                environment:
                  A: ${FOO}
                  B: ${BAR-x}${BAZ:+y}
                  C: $QUX
            """);
        Assert.Equal(
            new[] { ("services.a.environment.A", "The \"FOO\" variable is not set. Defaulting to a blank string."), ("services.a.environment.C", "The \"QUX\" variable is not set. Defaulting to a blank string.") },
            project.Warnings.Select(w => (w.Key, w.Message)));
        Assert.Equal((5, "a"), (project.Warnings[0].Line, project.Warnings[0].Service));
    }

    // compose-spec schema (compose-spec.json): every mapping has "additionalProperties": false with "^x-" allowed, so
    // docker compose refuses `enviroment` ("additional properties 'enviroment' not allowed").
    [Theory]
    [InlineData("    enviroment: { A: 1 }\n", "services.a.enviroment", "did you mean environment?")]
    [InlineData("    POSTGRES_PASSWORD: secret\n", "services.a.POSTGRES_PASSWORD", "indentation")]
    [InlineData("    ports: [{ target: 80, publised: 8080 }]\n", "services.a.ports[0].publised", "did you mean published?")]
    [InlineData("    volumes: [{ type: volume, source: v, target: /v, volume: { no_copy: true } }]\n", "services.a.volumes[0].volume.no_copy", "did you mean nocopy?")]
    [InlineData("    volumes: [{ type: bind, source: ./v, target: /v, bind: { propagaton: rshared } }]\n", "services.a.volumes[0].bind.propagaton", "did you mean propagation?")]
    [InlineData("    healthcheck: { test: [CMD, x], intervall: 5s }\n", "services.a.healthcheck.intervall", "did you mean interval?")]
    [InlineData("    deploy: { replica: 1 }\n", "services.a.deploy.replica", "did you mean replicas?")]
    [InlineData("    deploy: { resources: { limit: { cpus: 1 } } }\n", "services.a.deploy.resources.limit", "did you mean limits?")]
    [InlineData("    deploy: { resources: { limits: { memroy: 1g } } }\n", "services.a.deploy.resources.limits.memroy", "did you mean memory?")]
    [InlineData("    env_file: [{ path: a.env, requred: false }]\n", "services.a.env_file[0].requred", "did you mean required?")]
    [InlineData("    configs: [{ source: s, traget: /s }]\n", "services.a.configs[0].traget", "did you mean target?")]
    [InlineData("    extends: { service: b, fiel: x }\n", "services.a.extends.fiel", "did you mean file?")]
    [InlineData("servics: {}\n", "servics", "did you mean services?")]
    [InlineData("volumes:\n  v: { drivr: local }\n", "volumes.v.drivr", "did you mean driver?")]
    [InlineData("secrets:\n  s: { fiel: x }\n", "secrets.s.fiel", "did you mean file?")]
    public void UnknownKeysAreErrorsWithASuggestion(string yaml, string key, string message)
    {
        var text = yaml.StartsWith("    ", StringComparison.Ordinal) ? "services:\n  a:\n    image: x\n" + yaml + "  b: { image: x }\nconfigs:\n  s: { content: x }\n" : "services:\n  a: { image: x }\n" + yaml;
        Assert.Contains(message, Error(text, key).Message);
    }

    // compose-spec 11-extension: x- keys are ignored anywhere; keys valid in the schema are not errors, only without effect.
    [Fact]
    public void ExtensionKeysAndValidKeysWithNoEffectAreNotErrors()
    {
        var project = Load("x-top: 1\nservices:\n  a:\n    image: x\n    x-note: 1\n    restart: always\n    ports: [{ target: 80, x-why: y }]\n    healthcheck: { test: [CMD, x], x-h: 1 }\n");
        Assert.Equal(new[] { "services.a.restart" }, project.Warnings.Select(w => w.Key));
    }

    // distribution/reference regexp.go: lowercase path components, optional domain[:port], tag, digest.
    [Theory]
    [InlineData("nginx")]
    [InlineData("nginx:1.27-alpine")]
    [InlineData("library/nginx:latest")]
    [InlineData("ghcr.io/owner/app:v1.2.3")]
    [InlineData("localhost:5000/my_app__x/a-b--c.d:Tag_1")]
    [InlineData("Registry.Example.com/team/app")]
    [InlineData("[::1]:5000/app")]
    [InlineData("nginx@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef")]
    [InlineData("nginx:1@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef")]
    public void ValidImageReferencesAreAccepted(string image) => Assert.Equal(image, Service($"services:\n  a:\n    image: \"{image}\"\n").Image);

    // distribution/reference regexp.go, which compose-go parses image with: lowercase path components, a tag of
    // [\w][\w.-]{0,127}, so `Nginx:Latest!` and `nginx:` (an unset tag) are refused by docker compose too.
    [Theory]
    [InlineData("Nginx:Latest!", "lowercase")]
    [InlineData("nginx:${TAG}", "tag after ':' is empty")]
    [InlineData("${IMAGE}", "is empty")]
    [InlineData("owner/App", "lowercase")]
    [InlineData("nginx:-bad", "not a valid image reference")]
    [InlineData("nginx@sha256:abc", "not a valid image reference")]
    [InlineData("a//b", "not a valid image reference")]
    [InlineData("nginx:with space", "not a valid image reference")]
    public void InvalidImageReferencesAreErrors(string image, string message) =>
        Assert.Contains(message, Error($"services:\n  a:\n    image: \"{image}\"\n", "services.a.image").Message);

    // Kubernetes validates a projected file mode as 0 to 0777 (validation.go: "must be a number between 0 and 0777"),
    // so a setuid mode compose would pass to the engine cannot be carried: refused at the key.
    [Fact]
    public void ASetuidModeIsRefused()
    {
        using var project = new TempProject().With("token.txt", "t");
        Assert.Contains("setuid", Error("services:\n  a:\n    image: x\n    secrets: [{ source: s, mode: 04755 }]\nsecrets:\n  s: { file: token.txt }\n", "services.a.secrets[0].mode", dir: project.Dir).Message);
        Assert.Equal(0x1FF, Service("services:\n  a:\n    image: x\n    configs: [{ source: c, mode: 0777 }]\nconfigs:\n  c: { content: x }\n").Configs[0].Mode);
    }

    // Docker mounts config and secret files as they are: BOM, CRLF, binary bytes and empty files included.
    [Fact]
    public void ConfigAndSecretFilesAreReadByteForByte()
    {
        byte[] text = [0xEF, 0xBB, 0xBF, (byte)'a', 0x0D, 0x0A];
        byte[] binary = [0x00, 0xFF, 0x10, 0x80];
        using var project = new TempProject().WithBytes("bom.txt", text).WithBytes("key.bin", binary).WithBytes("empty.conf", [])
            .WithBytes("huge.bin", new byte[ComposeLoader.MaxIncludedFileBytes + 1]);
        const string yaml = "services:\n  a: { image: x }\nconfigs:\n  bom: { file: bom.txt }\n  empty: { file: empty.conf }\nsecrets:\n  key: { file: key.bin }\n";
        var loaded = Load(yaml, dir: project.Dir);
        Assert.Equal(text, loaded.Configs["bom"].Content);
        Assert.Empty(loaded.Configs["empty"].Content);
        Assert.Equal(binary, loaded.Secrets["key"].Content);
        Assert.Contains("at most 1,048,576 bytes", Error(yaml + "  huge: { file: huge.bin }\n", "secrets.huge.file", dir: project.Dir).Message);
    }

    // Docker's own rules (compose-go loader/validate.go): a service-level value and its deploy.resources
    // counterpart may both be written only if they agree.
    [Fact]
    public void ServiceLevelResourcesAreReadAndMustAgreeWithDeploy()
    {
        var service = Service("services:\n  a:\n    image: x\n    cpus: 1.5\n    mem_limit: 1g\n    mem_reservation: 256m\n");
        Assert.Equal(("1.5", (long?)(1L << 30)), (service.Limits!.Cpus, service.Limits.MemoryBytes));
        Assert.Equal((null, (long?)(256L << 20)), (service.Reservations!.Cpus, service.Reservations.MemoryBytes));
        var same = Service("services:\n  a:\n    image: x\n    cpus: \"0.50\"\n    deploy: { resources: { limits: { cpus: 0.5, memory: 512m } } }\n    mem_limit: 512m\n");
        Assert.Equal(("0.5", (long?)(512L << 20)), (same.Limits!.Cpus, same.Limits.MemoryBytes));
        var errors = Errors("services:\n  a:\n    image: x\n    cpus: 2\n    mem_limit: 1g\n    mem_reservation: 1g\n    deploy: { resources: { limits: { cpus: 1, memory: 2g }, reservations: { memory: 512m } } }\n");
        Assert.Equal(new[] { "services.a.cpus", "services.a.mem_limit", "services.a.mem_reservation" }, errors.Select(e => e.Key).Order(StringComparer.Ordinal));
        Assert.All(errors, e => Assert.Contains("distinct values", e.Message));
    }

    // compose-spec 05-services: mem_limit, mem_reservation, cpus, shm_size, stop_grace_period, extra_hosts, dns,
    // dns_search, dns_opt, sysctls, init and pull_policy, in the forms the specification lists.
    [Fact]
    public void RuntimeKeysAreReadIntoTheModel()
    {
        var service = Service("""
            services:
              a:
                image: x
                shm_size: 256m
                stop_grace_period: 1m30s
                dns: 10.0.0.2
                dns_search: [example.com, corp.example]
                dns_opt: ["ndots:2", use-vc]
                security_opt: ["no-new-privileges:true", "label:type:svirt"]
                sysctls: ["net.core.somaxconn=1024", "net.ipv4.tcp_syncookies=0"]
                init: true
                pull_policy: if_not_present
                healthcheck: { test: [CMD, x], start_interval: 2s }
            """);
        Assert.Equal(256L << 20, service.ShmSizeBytes);
        Assert.Equal(TimeSpan.FromSeconds(90), service.StopGracePeriod);
        Assert.Equal(new[] { "10.0.0.2" }, service.Dns);
        Assert.Equal(new[] { "example.com", "corp.example" }, service.DnsSearch);
        Assert.Equal(new[] { "ndots:2", "use-vc" }, service.DnsOptions);
        Assert.True(service.NoNewPrivileges);
        Assert.Equal(new[] { "net.core.somaxconn=1024", "net.ipv4.tcp_syncookies=0" }, service.Sysctls.Select(s => $"{s.Key}={s.Value}"));
        Assert.True(service.Init);
        Assert.Equal(ComposePullPolicy.Missing, service.PullPolicy);
        Assert.Equal(TimeSpan.FromSeconds(2), service.Healthcheck!.StartInterval);

        var mapping = Service("services:\n  a:\n    image: x\n    sysctls: { net.core.somaxconn: 512 }\n    dns: [1.1.1.1, 8.8.8.8]\n    security_opt: [no-new-privileges]\n");
        Assert.Equal("512", mapping.Sysctls["net.core.somaxconn"]);
        Assert.Equal(new[] { "1.1.1.1", "8.8.8.8" }, mapping.Dns);
        Assert.True(mapping.NoNewPrivileges);
        Assert.True(Service("services:\n  a:\n    image: x\n    security_opt: [\"no-new-privileges=true\"]\n").NoNewPrivileges);
    }

    // The keys compose-spec 05-services defines and Kompox now maps are not reported as having no effect.
    [Fact]
    public void KeysNowReadAreNoLongerSaidToHaveNoEffect()
    {
        var project = Load("""
            services:
              a:
                image: x
                scale: 1
                cpus: 1
                mem_limit: 1g
                mem_reservation: 1g
                shm_size: 1g
                stop_grace_period: 5s
                extra_hosts: ["h:10.0.0.1"]
                dns: 1.1.1.1
                dns_search: x
                dns_opt: [a]
                security_opt: [no-new-privileges]
                sysctls: [a=b]
                init: true
                pull_policy: always
            """);
        Assert.Empty(project.Warnings);
    }

    // compose-go splits `host:ip` at the first '=' if any, else at the first ':', so IPv6 addresses keep their
    // colons; `host-gateway` is the Docker host, which a Pod has no equivalent of.
    [Fact]
    public void ExtraHostsListAndMappingForms()
    {
        var project = Load("""
            services:
              a:
                image: x
                extra_hosts: ["db:10.0.0.5", "v6=::1", "old:::2", "br=[fe80::1]", "host.docker.internal:host-gateway"]
              b:
                image: x
                extra_hosts: { cache: 10.0.0.6, multi: [10.0.0.7, "::3"] }
            """);
        var a = project.Services[0];
        Assert.Equal(new[] { "db=10.0.0.5", "v6=::1", "old=::2", "br=fe80::1" }, a.ExtraHosts.Select(h => $"{h.Host}={h.Ip}"));
        Assert.Equal("extra_hosts[1]", a.ExtraHosts[1].KeyPath);
        Assert.Contains(project.Warnings, w => w.Key == "services.a.extra_hosts[4]" && w.Message.Contains("host-gateway", StringComparison.Ordinal));
        Assert.Equal(new[] { "cache=10.0.0.6", "multi=10.0.0.7", "multi=::3" }, project.Services[1].ExtraHosts.Select(h => $"{h.Host}={h.Ip}"));
        Assert.Contains("not an IP address", Error("services:\n  a:\n    image: x\n    extra_hosts: [\"db:somewhere\"]\n", "services.a.extra_hosts[0]").Message);
    }

    // Docker run reference, --security-opt: seccomp=unconfined, apparmor=unconfined and label=disable lift the
    // confinement Pod Security "baseline" requires, so they are refused rather than silently dropped.
    [Theory]
    [InlineData("seccomp:unconfined")]
    [InlineData("seccomp=unconfined")]
    [InlineData("apparmor:unconfined")]
    [InlineData("apparmor=unconfined")]
    [InlineData("label:disable")]
    [InlineData("label=disable")]
    public void SecurityOptionsTheBaselineForbidsAreErrors(string option) =>
        Assert.Contains("Pod Security baseline", Error($"services:\n  a:\n    image: x\n    security_opt: [\"{option}\"]\n", "services.a.security_opt[0]").Message);

    // compose-spec 05-services pull_policy: always, never, missing (if_not_present), build, daily, weekly, every_<duration>.
    [Theory]
    [InlineData("always", ComposePullPolicy.Always)]
    [InlineData("never", ComposePullPolicy.Never)]
    [InlineData("missing", ComposePullPolicy.Missing)]
    [InlineData("if_not_present", ComposePullPolicy.Missing)]
    [InlineData("daily", ComposePullPolicy.Always)]
    [InlineData("weekly", ComposePullPolicy.Always)]
    [InlineData("every_12h", ComposePullPolicy.Always)]
    public void PullPolicies(string policy, ComposePullPolicy expected) =>
        Assert.Equal(expected, Service($"services:\n  a:\n    image: x\n    pull_policy: {policy}\n").PullPolicy);

    [Theory]
    [InlineData("build", "does not build")]
    [InlineData("sometimes", "not a pull policy")]
    [InlineData("every_soon", "not a pull policy")]
    public void BadPullPoliciesAreErrors(string policy, string message) =>
        Assert.Contains(message, Error($"services:\n  a:\n    image: x\n    pull_policy: {policy}\n", "services.a.pull_policy").Message);

    // Docker's bind keeps the file's mode; of it, only the execute bit is as git checks it out everywhere.
    [Fact]
    public void ABoundFileRecordsWhetherItIsExecutable()
    {
        if (OperatingSystem.IsWindows())
        {
            return; // Windows files have no execute bit.
        }

        using var project = new TempProject().With("start.sh", "#!/bin/sh\n").With("app.ini", "a=1\n");
        File.SetUnixFileMode(Path.Combine(project.Dir, "start.sh"), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var service = Service("services:\n  a:\n    image: x\n    volumes: [\"./start.sh:/start.sh\", \"./app.ini:/app.ini\"]\n", dir: project.Dir);
        Assert.Equal(new[] { true, false }, service.Volumes.Select(v => v.FileExecutable));
    }

    // Docker mounts a single file when the bind source is one; a source that does not exist becomes a directory.
    [Fact]
    public void ARelativeBindOfOneFileCarriesItsBytes()
    {
        byte[] bytes = [0xEF, 0xBB, 0xBF, (byte)'x', 0x0D, 0x0A, 0x00];
        using var project = new TempProject().WithBytes("nginx.conf", bytes).With("conf/site.conf", "s").WithBytes("big.bin", new byte[ComposeLoader.MaxIncludedFileBytes + 1]);
        var service = Service("services:\n  a:\n    image: x\n    volumes: [\"./nginx.conf:/etc/nginx/nginx.conf:ro\", \"./conf:/etc/conf\", \"./absent:/absent\"]\n", dir: project.Dir);
        Assert.Equal(new[] { MountKind.File, MountKind.Bind, MountKind.Bind }, service.Volumes.Select(v => v.Kind));
        Assert.Equal(bytes, service.Volumes[0].FileContent);
        Assert.True(service.Volumes[0].ReadOnly);
        Assert.Null(service.Volumes[2].FileContent);
        Assert.Contains("at most", Error("services:\n  a:\n    image: x\n    volumes: [\"./big.bin:/big\"]\n", "services.a.volumes[0]", dir: project.Dir).Message);
    }

    // compose-spec 05-services volumes: long syntax volume.nocopy; short syntax mode nocopy, as `docker run -v` takes it.
    [Fact]
    public void NoCopyIsReadFromShortAndLongSyntax()
    {
        var service = Service("""
            services:
              a:
                image: x
                volumes:
                  - data:/data:nocopy
                  - { type: volume, source: logs, target: /logs, volume: { nocopy: true } }
                  - cache:/cache
            volumes:
              data:
              logs:
              cache:
            """);
        Assert.Equal(new[] { true, true, false }, service.Volumes.Select(v => v.NoCopy));
    }
}
