using Xunit;
using System.Text;
using Kompox.Compose;
using static Kompox.Tests.Compose.Compose;

namespace Kompox.Tests.Compose;

public class ComposeLoaderTests
{
    [Fact]
    public void ReadsAFullService()
    {
        var project = Load("""
            name: shop
            services:
              web:
                image: nginx:1.27
                entrypoint: ["/docker-entrypoint.sh"]
                command: nginx -g 'daemon off;'
                working_dir: /srv
                user: "1000:1000"
                hostname: front
                privileged: false
                read_only: true
                tty: true
                stdin_open: true
                network_mode: bridge
                pid: container:x
                ipc: shareable
                devices: ["/dev/fuse"]
                cap_add: [net_bind_service, CAP_chown]
                cap_drop: [ALL]
              db:
                image: postgres
            """);
        Assert.Equal("shop", project.Name);
        Assert.Equal(new[] { "db", "web" }, project.Services.Select(s => s.Name));
        var web = project.Services[1];
        Assert.Equal("nginx:1.27", web.Image);
        Assert.Equal(new[] { "/docker-entrypoint.sh" }, web.Entrypoint);
        Assert.Equal(new[] { "nginx", "-g", "daemon off;" }, web.Command);
        Assert.Equal("/srv", web.WorkingDir);
        Assert.Equal("1000:1000", web.User);
        Assert.Equal("front", web.Hostname);
        Assert.False(web.Privileged);
        Assert.True(web.ReadOnlyRootFilesystem);
        Assert.True(web.Tty);
        Assert.True(web.StdinOpen);
        Assert.Equal("bridge", web.NetworkMode);
        Assert.Equal("container:x", web.Pid);
        Assert.Equal("shareable", web.Ipc);
        Assert.Equal(new[] { "/dev/fuse" }, web.Devices);
        Assert.Equal(new[] { "NET_BIND_SERVICE", "CHOWN" }, web.CapAdd);
        Assert.Equal(new[] { "ALL" }, web.CapDrop);
        Assert.Equal(new SourceMark(4, 5), web.Marks["image"]);
        Assert.Equal(new SourceMark(3, 3), web.At);
        Assert.Null(project.Services[0].Command);
    }

    [Fact]
    public void InterpolatesFromEnvironmentOverDotEnvBeforeTyping()
    {
        using var dir = new TempProject().With(".env", "PORT=8080\nTAG=from-dotenv\nexport MODE=\"debug\"\n");
        var service = Service("""
            services:
              app:
                image: "app:${TAG}"
                ports: ["${PORT}:80"]
                privileged: ${PRIV:-false}
                environment:
                  MODE: $MODE
                  LITERAL: "$$HOME"
            x-unused:
              needs: ${NOT_SET:?never evaluated}
            """, Env("TAG=from-env"), dir.Dir);
        Assert.Equal("app:from-env", service.Image);
        Assert.Equal(8080, Assert.Single(service.Ports).Published);
        Assert.False(service.Privileged);
        Assert.Equal("debug", service.Environment["MODE"]);
        Assert.Equal("$HOME", service.Environment["LITERAL"]);
    }

    [Fact]
    public void MissingRequiredVariableNamesKeyVariableAndMessage()
    {
        var error = Error("""
            services:
              db:
                image: postgres
                environment:
                  POSTGRES_PASSWORD: ${DB_PASSWORD:?set DB_PASSWORD in .env}
            """, "services.db.environment.POSTGRES_PASSWORD");
        Assert.Contains("DB_PASSWORD", error.Message);
        Assert.Contains("set DB_PASSWORD in .env", error.Message);
        Assert.Equal("db", error.Service);
        Assert.Equal(5, error.Line);
    }

    [Fact]
    public void ExtendsMergesRecursively()
    {
        var project = Load("""
            services:
              base:
                image: app:1
                environment: [A=1, B=2]
                ports: ["80", "9000:9000"]
                volumes: ["data:/data", "logs:/logs"]
                command: base
                deploy: { resources: { limits: { cpus: "1", memory: 1g } } }
              middle:
                extends: base
                environment: { B: 3 }
                ports: ["8080:80"]
              web:
                extends: { service: middle }
                volumes: ["other:/data"]
                command: [own]
                deploy: { resources: { limits: { memory: 2g } } }
            volumes: { data: {}, logs: {}, other: {} }
            """);
        var web = project.Services.Single(s => s.Name == "web");
        Assert.Equal("app:1", web.Image);
        Assert.Equal("1", web.Environment["A"]);
        Assert.Equal("3", web.Environment["B"]);
        Assert.Equal(new[] { (9000, 9000), (80, 8080) }, web.Ports.Select(p => (p.Target, p.Exposed)));
        Assert.Equal(new[] { "logs:/logs", "other:/data" }, web.Volumes.Select(v => $"{v.Source}:{v.Target}"));
        Assert.Equal(new[] { "own" }, web.Command);
        Assert.Equal("1", web.Limits!.Cpus);
        Assert.Equal(2L << 30, web.Limits.MemoryBytes);
    }

    [Fact]
    public void ExtendsCycleIsOneError()
    {
        var errors = Errors("""
            services:
              a: { image: x, extends: b }
              b: { image: x, extends: { service: c } }
              c: { image: x, extends: a }
            """);
        var error = Assert.Single(errors);
        Assert.Contains("cycle", error.Message);
        Assert.Contains("a -> b -> c -> a", error.Message);
    }

    [Fact]
    public void ExtendsItselfIsACycle() =>
        Assert.Contains("cycle", Error("services:\n  a: { image: x, extends: a }\n", "services.a.extends").Message);

    [Fact]
    public void ExtendsFromAnotherFileIsNotSupported() =>
        Assert.Contains("not supported", Error("services:\n  a:\n    image: x\n    extends: { file: common.yml, service: base }\n", "services.a.extends.file").Message);

    [Fact]
    public void ExtendsAnUndefinedService() =>
        Assert.Contains("'ghost'", Error("services:\n  a: { image: x, extends: ghost }\n", "services.a.extends").Message);

    [Fact]
    public void ProfilesSelectServices()
    {
        const string yaml = """
            services:
              app: { image: app }
              debug: { image: busybox, profiles: [dev, test] }
              tools: { image: tools, profiles: [ops] }
            """;
        Assert.Equal(new[] { "app" }, Load(yaml).Services.Select(s => s.Name));
        Assert.Equal(new[] { "app", "debug" }, Load(yaml, profiles: new[] { "test" }).Services.Select(s => s.Name));
    }

    [Fact]
    public void NoActiveServiceIsAnError() =>
        Assert.Contains("no service is active", Error("services:\n  a: { image: x, profiles: [dev] }\n", "services").Message);

    [Fact]
    public void PortsShortAndLongSyntax()
    {
        var ports = Service("""
            services:
              app:
                image: x
                ports:
                  - "80"
                  - "8080:80"
                  - "127.0.0.1:8081:81"
                  - "8000-8002:90-92"
                  - "53:53/udp"
                  - "[::1]:8443:443"
                  - 3000
                  - "abc:82"
                  - "7000-7010:83"
                  - "100-101"
                  - { target: 84, published: "8084", protocol: udp, host_ip: 0.0.0.0, name: web, mode: host, app_protocol: http }
                  - { target: 85, published: 9000-9001 }
            """).Ports;
        Assert.Equal(
            new[] { "80>-", "80>8080", "81>8081", "90>8000", "91>8001", "92>8002", "53>53", "443>8443", "3000>-", "82>-", "83>-", "100>-", "101>-", "84>8084", "85>-" },
            ports.Select(p => $"{p.Target}>{p.Published?.ToString() ?? "-"}"));
        Assert.Equal("127.0.0.1", ports[2].HostIp);
        Assert.Equal(PortProtocol.Udp, ports[6].Protocol);
        Assert.Equal("::1", ports[7].HostIp);
        Assert.Equal("abc", ports[9].PublishedText);
        Assert.Equal("7000-7010", ports[10].PublishedText);
        Assert.Equal("web", ports[13].Name);
        Assert.Equal(PortProtocol.Udp, ports[13].Protocol);
        Assert.Equal("9000-9001", ports[14].PublishedText);
        Assert.Equal("ports[3]", ports[4].KeyPath);
        Assert.Equal(80, ports[0].Exposed);
    }

    [Theory]
    [InlineData("\"8000-8002:80-81\"", "same length")]
    [InlineData("\"8080:http\"", "container port")]
    [InlineData("\"80/sctp\"", "sctp")]
    [InlineData("\"70000:80\"", "published port")]
    [InlineData("\"90-80\"", "ends before it starts")]
    [InlineData("{ published: 80 }", "container port")]
    public void BadPortsAreErrors(string port, string message) =>
        Assert.Contains(message, Error($"services:\n  app:\n    image: x\n    ports:\n      - {port}\n", port.StartsWith('{') ? "services.app.ports[0].target" : "services.app.ports[0]").Message);

    [Fact]
    public void ExposeExpandsRanges()
    {
        var expose = Service("services:\n  a:\n    image: x\n    expose: [\"5432\", \"5000-5002\", \"53/udp\", 6379]\n").Expose;
        Assert.Equal(new[] { 5432, 5000, 5001, 5002, 53, 6379 }, expose.Select(e => e.Port));
        Assert.Equal(PortProtocol.Udp, expose[4].Protocol);
    }

    [Fact]
    public void VolumesShortAndLongSyntax()
    {
        using var dir = new TempProject();
        var service = Service("""
            services:
              app:
                image: x
                volumes:
                  - data:/var/lib/data
                  - ./conf:/etc/conf:ro
                  - /srv/abs:/abs:rw,z
                  - /anonymous
                  - ~/cache:/cache
                  - ../up:/up
                  - { type: volume, source: data, target: /sub, read_only: true, volume: { subpath: part } }
                  - { type: bind, source: ./site, target: /site }
                  - { type: tmpfs, target: /scratch, tmpfs: { size: 64m } }
                  - { type: volume, target: /anon2 }
                tmpfs: ["/run", "/tmp:size=1g,mode=1777"]
            volumes:
              data:
            """, Env("HOME=/home/me"), dir.Dir);
        var v = service.Volumes;
        Assert.Equal(new[] { MountKind.Volume, MountKind.Bind, MountKind.Bind, MountKind.Anonymous, MountKind.Bind, MountKind.Bind, MountKind.Volume, MountKind.Bind, MountKind.Anonymous }, v.Select(m => m.Kind));
        Assert.True(v[1].ReadOnly);
        Assert.Equal(Path.Combine(dir.Dir, "conf"), v[1].SourceFullPath);
        Assert.False(v[2].ReadOnly);
        Assert.Equal("/home/me/cache", v[4].SourceFullPath);
        Assert.Equal(Path.GetFullPath(Path.Combine(dir.Dir, "..", "up")), v[5].SourceFullPath);
        Assert.Equal("part", v[6].SubPath);
        Assert.True(v[6].ReadOnly);
        Assert.Equal("volumes[7]", v[7].KeyPath);
        Assert.Equal(new[] { ("/scratch", (long?)(64 << 20)), ("/run", null), ("/tmp", 1L << 30) }, service.Tmpfs.Select(t => (t.Target, t.SizeBytes)));
    }

    [Fact]
    public void RelativeBindWithLocalFilesWarns()
    {
        using var dir = new TempProject().With("conf/app.ini", "x=1");
        var project = Load("services:\n  app:\n    image: x\n    volumes: [\"./conf:/etc/app\", \"./empty:/e\"]\n", dir: dir.Dir);
        var warning = Assert.Single(project.Warnings, w => w.Key.StartsWith("services.app.volumes", StringComparison.Ordinal));
        Assert.Equal("services.app.volumes[0]", warning.Key);
        Assert.Contains("copied there on the disk's first deploy", warning.Message);
        Assert.Contains("never over a file the disk has", warning.Message);
        Assert.Equal("app", warning.Service);
    }

    [Theory]
    [InlineData("\"data:/x:rx\"", "not a volume mode")]
    [InlineData("\"data:relative\"", "absolute path")]
    [InlineData("\"a:b:c:d\"", "not a volume")]
    [InlineData("{ type: npipe, source: x, target: /x }", "not supported")]
    [InlineData("{ type: bind, target: /x }", "required")]
    public void BadVolumesAreErrors(string volume, string message) =>
        Assert.Contains(message, Assert.Single(Errors($"services:\n  app:\n    image: x\n    volumes:\n      - {volume}\n")).Message);

    [Fact]
    public void ConfigsAndSecretsFromFileContentAndEnvironment()
    {
        using var dir = new TempProject().With("nginx.conf", "server {}\n").With("secrets/key.txt", "s3cret");
        var project = Load("""
            services:
              app:
                image: x
                configs: [nginx, { source: inline, target: /etc/inline.conf, mode: 0440 }]
                secrets: [key, { source: token, target: token.txt }]
            configs:
              nginx: { file: ./nginx.conf }
              inline: { content: "user=${USER_NAME}" }
            secrets:
              key: { file: secrets/key.txt }
              token: { environment: API_TOKEN }
            """, Env("USER_NAME=bob", "API_TOKEN=t0k"), dir.Dir);
        Assert.Equal("server {}\n", Encoding.UTF8.GetString(project.Configs["nginx"].Content));
        Assert.Equal("user=bob", Encoding.UTF8.GetString(project.Configs["inline"].Content));
        Assert.Equal("s3cret", Encoding.UTF8.GetString(project.Secrets["key"].Content));
        Assert.Equal("t0k", Encoding.UTF8.GetString(project.Secrets["token"].Content));
        var app = Assert.Single(project.Services);
        Assert.Equal(new[] { ("/nginx", (int?)null), ("/etc/inline.conf", 288) }, app.Configs.Select(c => (c.Target, c.Mode)));
        Assert.Equal(new[] { "/run/secrets/key", "/run/secrets/token.txt" }, app.Secrets.Select(s => s.Target));
    }

    [Fact]
    public void ConfigAndSecretProblemsAreAllReported()
    {
        using var dir = new TempProject();
        var errors = Errors("""
            services:
              app:
                image: x
                configs: [ghost]
                secrets: [{ source: phantom }]
            configs:
              outside: { file: ../../etc/passwd }
              ext: { external: true }
              missing: { file: nope.txt }
              both: { file: a, content: b }
            secrets:
              fromenv: { environment: NOT_SET }
            """, dir: dir.Dir);
        Assert.Equal(
            new[] { "configs.outside.file", "configs.ext.external", "configs.missing.file", "configs.both", "secrets.fromenv.environment", "services.app.configs[0]", "services.app.secrets[0]" },
            errors.Select(e => e.Key));
        Assert.Contains("outside", errors[0].Message);
        Assert.Contains("not available in Kubernetes", errors[1].Message);
        Assert.Equal("app", errors[5].Service);
        Assert.Null(errors[0].Service);
    }

    [Fact]
    public void EnvironmentFormsAndEnvFiles()
    {
        using var dir = new TempProject().With("app.env", "FROM_FILE=1\nOVERRIDDEN=file\n").With("more.env", "MORE=yes\n").With("empty.env", "\n");
        var service = Service("""
            services:
              a:
                image: x
                env_file: [app.env, { path: more.env, required: true }, { path: absent.env, required: false }, empty.env]
                environment:
                  OVERRIDDEN: env
                  NUMBER: 5432
                  FLAG: true
                  PASSED:
                  DROPPED:
            """, Env("PASSED=through"), dir.Dir);
        Assert.Equal(
            new[] { "FLAG=true", "FROM_FILE=1", "MORE=yes", "NUMBER=5432", "OVERRIDDEN=env", "PASSED=through" },
            service.Environment.Select(e => $"{e.Key}={e.Value}"));

        var list = Service("services:\n  a:\n    image: x\n    env_file: app.env\n    environment: [A=1, \"B=x=y\", PASSED, DROPPED]\n", Env("PASSED=p"), dir.Dir);
        Assert.Equal(new[] { "A=1", "B=x=y", "FROM_FILE=1", "OVERRIDDEN=file", "PASSED=p" }, list.Environment.Select(e => $"{e.Key}={e.Value}"));
    }

    [Fact]
    public void MissingRequiredEnvFileIsAnError()
    {
        using var dir = new TempProject();
        Assert.Contains("not found", Error("services:\n  a:\n    image: x\n    env_file: [missing.env]\n", "services.a.env_file[0]", dir: dir.Dir).Message);
    }

    [Fact]
    public void HealthcheckForms()
    {
        const string template = "services:\n  a:\n    image: x\n    healthcheck:\n{0}";
        var exec = Service(string.Format(template, "      test: [\"CMD\", \"pg_isready\", \"-U\", \"pg\"]\n      interval: 1m30s\n      timeout: 10s\n      retries: 3\n      start_period: 500ms\n")).Healthcheck!;
        Assert.Equal(HealthcheckKind.Exec, exec.Kind);
        Assert.Equal(new[] { "pg_isready", "-U", "pg" }, exec.Test);
        Assert.Equal(TimeSpan.FromSeconds(90), exec.Interval);
        Assert.Equal(TimeSpan.FromSeconds(10), exec.Timeout);
        Assert.Equal(3, exec.Retries);
        Assert.Equal(TimeSpan.FromMilliseconds(500), exec.StartPeriod);

        var shell = Service(string.Format(template, "      test: [\"CMD-SHELL\", \"curl -f http://localhost || exit 1\"]\n")).Healthcheck!;
        Assert.Equal((HealthcheckKind.Shell, "curl -f http://localhost || exit 1"), (shell.Kind, Assert.Single(shell.Test)));
        var text = Service(string.Format(template, "      test: curl -f http://localhost\n")).Healthcheck!;
        Assert.Equal(HealthcheckKind.Shell, text.Kind);
        Assert.Null(Service(string.Format(template, "      test: [\"NONE\"]\n")).Healthcheck);
        Assert.Null(Service(string.Format(template, "      test: [\"CMD\", \"true\"]\n      disable: true\n")).Healthcheck);
    }

    [Theory]
    [InlineData("      test: [\"CMD\"]\n", "services.a.healthcheck.test")]
    [InlineData("      test: [\"RUN\", \"x\"]\n", "services.a.healthcheck.test")]
    [InlineData("      test: [\"CMD\", \"x\"]\n      interval: 10\n", "services.a.healthcheck.interval")]
    [InlineData("      test: [\"CMD\", \"x\"]\n      timeout: soon\n", "services.a.healthcheck.timeout")]
    [InlineData("      test: [\"CMD\", \"x\"]\n      retries: many\n", "services.a.healthcheck.retries")]
    public void BadHealthchecksAreErrors(string body, string key) => Error("services:\n  a:\n    image: x\n    healthcheck:\n" + body, key);

    [Fact]
    public void DeployResources()
    {
        var service = Service("""
            services:
              a:
                image: x
                deploy:
                  replicas: 3
                  resources:
                    limits: { cpus: 0.5, memory: 512m }
                    reservations: { cpus: "0.25", memory: 300M }
            """);
        Assert.Equal(("0.5", (long?)(512L << 20)), (service.Limits!.Cpus, service.Limits.MemoryBytes));
        Assert.Equal(("0.25", (long?)(300L << 20)), (service.Reservations!.Cpus, service.Reservations.MemoryBytes));
    }

    [Theory]
    [InlineData("cpus: -1", "services.a.deploy.resources.limits.cpus")]
    [InlineData("cpus: lots", "services.a.deploy.resources.limits.cpus")]
    [InlineData("memory: 12parsecs", "services.a.deploy.resources.limits.memory")]
    public void BadResourcesAreErrors(string limit, string key) =>
        Error($"services:\n  a:\n    image: x\n    deploy:\n      resources:\n        limits: {{ {limit} }}\n", key);

    [Fact]
    public void WarningsForKeysWithNoEffectButNotExtensions()
    {
        var project = Load("""
            version: "3.9"
            x-common: &common { restart: always }
            services:
              a:
                <<: *common
                image: x
                depends_on: [b]
                networks: [front]
                container_name: my-a
                build: .
                labels: { a: b }
                logging: { driver: json-file }
                x-note: ignored
                deploy: { replicas: 2 }
              b: { image: y }
            networks:
              front:
            """);
        Assert.Equal(
            new[] { "version", "networks", "services.a.deploy.replicas", "services.a.networks", "services.a.container_name", "services.a.build", "services.a.labels", "services.a.logging", "services.a.restart" },
            project.Warnings.Select(w => w.Key));
        Assert.Contains("runs one replica", project.Warnings[2].Message);
        Assert.Contains("no effect in one Pod", project.Warnings[3].Message);
        Assert.All(project.Warnings.Skip(2), w => Assert.Equal("a", w.Service));
    }

    [Fact]
    public void ServiceWithBuildButNoImageSaysBuildingIsNotSupported()
    {
        var error = Error("services:\n  app:\n    build: .\n", "services.app");
        Assert.Contains("building images is not supported", error.Message);
        Assert.Equal("app", error.Service);
    }

    [Fact]
    public void MarksHoldPositionsOfServiceKeys()
    {
        var service = Service("services:\n  a:\n    image: x\n    ports:\n      - \"80\"\n      - \"81\"\n");
        Assert.Equal(new SourceMark(3, 5), service.Marks["image"]);
        Assert.Equal(new SourceMark(6, 9), service.Marks["ports[1]"]);
    }

    [Fact]
    public void TopLevelVolumesSortedByName()
    {
        var project = Load("services:\n  a: { image: x }\nvolumes:\n  zeta:\n  alpha: { driver: local }\n");
        Assert.Equal(new[] { "alpha", "zeta" }, project.Volumes.Keys);
        Assert.Contains(project.Warnings, w => w.Key == "volumes.alpha.driver");
    }
}
