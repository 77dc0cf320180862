using Kompox.Compose;
using Kompox.Conversion;
using Xunit;
using static Kompox.Tests.Conversion.ConversionFixtures;

namespace Kompox.Tests.Conversion;

public class ComposeRulesTests
{
    private static Diagnostic SingleProblem(ComposeProject project, IReadOnlyDictionary<string, string>? ingress = null)
    {
        var error = Assert.Throws<KompoxValidationException>(() => AppConverter.Convert(App(ingress: ingress), project, K3sDisk));
        Assert.Equal("InvalidCompose", error.ErrorId);
        Assert.Equal("/home/me/compose.yml", error.Target);
        return Assert.Single(error.Problems);
    }

    private static void AssertRejected(ComposeService service, string key, string? messagePart = null, IEnumerable<string>? volumes = null)
    {
        var problem = SingleProblem(Project(new[] { service }, volumes: volumes));
        Assert.Equal(Severity.Error, problem.Severity);
        Assert.Equal(key, problem.Key);
        Assert.Equal(service.Name, problem.Service);
        Assert.Equal("/home/me/compose.yml", problem.File);
        if (messagePart is not null)
        {
            Assert.Contains(messagePart, problem.Message);
        }
    }

    [Fact]
    public void Privileged() => AssertRejected(Service("web") with { Privileged = true }, "services.web.privileged");

    [Fact]
    public void Host_network() => AssertRejected(Service("web") with { NetworkMode = "host" }, "services.web.network_mode");

    [Fact]
    public void Host_pid() => AssertRejected(Service("web") with { Pid = "host" }, "services.web.pid");

    [Fact]
    public void Host_ipc() => AssertRejected(Service("web") with { Ipc = "host" }, "services.web.ipc");

    [Fact]
    public void Devices() => AssertRejected(Service("web") with { Devices = new[] { "/dev/fuse" } }, "services.web.devices[0]", "/dev/fuse");

    [Fact]
    public void Capabilities_beyond_baseline() =>
        AssertRejected(Service("web") with { CapAdd = new[] { "CHOWN", "SYS_ADMIN" } }, "services.web.cap_add[1]", "SYS_ADMIN");

    // A secret's Pod volume is named secret-<name>-<mode in octal> (one volume per mode), a DNS label of at most 63
    // characters; the longest mode a file may have is 0777, three octal digits.
    [Theory]
    [InlineData(52, true)]
    [InlineData(53, false)]
    public void A_secret_name_is_as_long_as_its_volume_name_allows_at_the_longest_mode(int length, bool accepted)
    {
        var name = new string('s', length);
        var mode = Convert.ToInt32("777", 8);
        var web = Service("web") with { Secrets = new[] { new ComposeFileMount(name, "/run/secrets/s", mode, "secrets[0]", At) } };
        var project = Project(new[] { web }, secrets: new Dictionary<string, string> { [name] = "x" });
        if (accepted)
        {
            var volume = AppConverter.Convert(App(), project, K3sDisk).Objects.OfType<k8s.Models.V1Deployment>().Single().Spec.Template.Spec.Volumes.Single(v => v.Secret is not null);
            Assert.Equal(63, volume.Name.Length);
        }
        else
        {
            var problem = SingleProblem(project);
            Assert.Equal($"secrets.{name}", problem.Key);
            Assert.Contains("cannot become a Kubernetes name", problem.Message);
        }
    }

    [Theory]
    [InlineData("network_mode", "service:vpn")]
    [InlineData("network_mode", "none")]
    [InlineData("pid", "container:x")]
    [InlineData("ipc", "shareable")]
    public void Namespace_modes_other_than_host_are_warnings(string key, string mode)
    {
        var web = key switch
        {
            "network_mode" => Service("web") with { NetworkMode = mode },
            "pid" => Service("web") with { Pid = mode },
            _ => Service("web") with { Ipc = mode },
        };

        var warning = Assert.Single(ConvertValid(App(), Project(web), K3sDisk).Warnings, w => w.Key == $"services.web.{key}");

        Assert.Equal(Severity.Warning, warning.Severity);
        Assert.StartsWith($"'{mode}' has no effect in one Pod", warning.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Every_baseline_capability_is_accepted()
    {
        var web = Service("web") with { CapAdd = ComposeRules.BaselineCapabilities.ToList() };

        ConvertValid(App(), Project(web), K3sDisk);
    }

    [Theory]
    [InlineData("/srv/data", "absolute")]
    [InlineData("~/data", "absolute")]
    [InlineData("../data", "..")]
    [InlineData("./a/../../data", "..")]
    [InlineData(".", "project directory itself")]
    public void Binds_outside_the_project(string source, string messagePart) =>
        AssertRejected(Service("web") with { Volumes = new[] { Bind(source, "/data") } }, "services.web.volumes[0]", messagePart);

    [Fact]
    public void Undefined_named_volume() =>
        AssertRejected(Service("web") with { Volumes = new[] { Volume("db", "/data") } }, "services.web.volumes[0]", "'db'");

    [Fact]
    public void Volume_subpath_climbing_out() =>
        AssertRejected(Service("web") with { Volumes = new[] { Volume("db", "/data", subPath: "../other") } }, "services.web.volumes[0]", volumes: new[] { "db" });

    [Fact]
    public void Non_numeric_user() => AssertRejected(Service("db") with { User = "postgres" }, "services.db.user", "postgres");

    [Theory]
    [InlineData("1000:2000:3000")]
    [InlineData("4294967296")]
    [InlineData("-1")]
    [InlineData("1000:")]
    public void User_that_is_no_uid_or_uid_gid(string user) => AssertRejected(Service("db") with { User = user }, "services.db.user", user);

    [Fact]
    public void Exposed_port_not_a_number() =>
        AssertRejected(Service("web") with { Ports = new[] { Port(80, null, 0, publishedText: "${WEB_PORT}") } }, "services.web.ports[0]", "not a number");

    [Fact]
    public void Udp_published_port() =>
        AssertRejected(Service("dns") with { Ports = new[] { Port(53, 53, 0, PortProtocol.Udp) } }, "services.dns.ports[0]", "udp");

    [Fact]
    public void Same_exposed_port_twice_in_one_service() =>
        AssertRejected(Service("web") with { Ports = new[] { Port(80, 8080, 0), Port(81, 8080, 1) } }, "services.web.ports[1]", "8080");

    [Fact]
    public void Same_exposed_port_in_two_services()
    {
        var problem = SingleProblem(Project(Service("web") with { Ports = new[] { Port(80, 8080) } }, Service("api") with { Ports = new[] { Port(81, 8080) } }));

        Assert.Equal(("services.web.ports[0]", "web"), (problem.Key, problem.Service));
        Assert.Contains("'api'", problem.Message);
    }

    [Fact]
    public void Two_services_listening_on_the_same_container_port()
    {
        var problem = SingleProblem(Project(Service("web") with { Ports = new[] { Port(80, 8080) } }, Service("api") with { Expose = new[] { Expose(80) } }));

        Assert.Equal(("services.web.ports[0]", "web"), (problem.Key, problem.Service));
        Assert.Contains("'api'", problem.Message);
    }

    [Fact]
    public void One_container_port_behind_two_exposed_ports_is_fine()
    {
        var manifest = ConvertValid(App(), Project(Service("web") with { Ports = new[] { Port(80, 80, 0), Port(80, 8080, 1) } }), K3sDisk);

        Assert.Equal(2, manifest.Objects.OfType<k8s.Models.V1Service>().Count());
    }

    [Theory]
    [InlineData("-")]
    [InlineData("a-very-long-service-name-that-cannot-possibly-fit-into-a-dns-label-of-63")]
    public void Service_name_that_cannot_be_a_container_name(string name) => AssertRejected(Service(name), $"services.{name}");

    [Fact]
    public void Two_services_becoming_the_same_container()
    {
        var problem = SingleProblem(Project(Service("web_1"), Service("web.1")));

        Assert.Equal("services.web_1", problem.Key);
        Assert.Contains("'web.1'", problem.Message);
    }

    [Fact]
    public void Environment_names_a_secret_cannot_hold() =>
        AssertRejected(Service("web") with { Environment = new Dictionary<string, string> { ["BAD NAME"] = "x" } }, "services.web.environment.BAD NAME");

    [Fact]
    public void Undefined_config() =>
        AssertRejected(Service("web") with { Configs = new[] { new ComposeFileMount("missing", "/missing", null, "configs[0]", At) } }, "services.web.configs[0]", "missing");

    [Fact]
    public void Two_mounts_on_one_target() =>
        AssertRejected(Service("web") with { Volumes = new[] { Anonymous("/data", 0), Anonymous("/data/", 1) } }, "services.web.volumes[1]", "services.web.volumes[0]");

    [Fact]
    public void No_image() => AssertRejected(Service("web") with { Image = null }, "services.web.image");

    [Fact]
    public void Custom_host_for_a_port_that_is_not_exposed()
    {
        var problem = SingleProblem(Project(Service("web") with { Ports = new[] { Port(80) } }), new Dictionary<string, string> { ["http_8080"] = "www.example.org" });

        Assert.Equal(("app.ingress.http_8080", "/home/me/kompoxops.yml"), (problem.Key, problem.File));
        Assert.Contains("8080", problem.Message);
    }

    [Theory]
    [InlineData("https_80", "www.example.org")]
    [InlineData("http_80", "Not_A_Host")]
    [InlineData("http_80", "www.lab.ops.example.com")]
    public void Custom_hosts_that_cannot_be_used(string key, string host)
    {
        var problem = SingleProblem(Project(Service("web") with { Ports = new[] { Port(80) } }), new Dictionary<string, string> { [key] = host });

        Assert.Equal($"app.ingress.{key}", problem.Key);
    }

    [Fact]
    public void One_custom_host_for_two_ports()
    {
        var ingress = new Dictionary<string, string> { ["http_80"] = "www.example.org", ["http_8080"] = "www.example.org" };

        var problem = SingleProblem(Project(Service("web") with { Ports = new[] { Port(80, 80, 0), Port(81, 8080, 1) } }), ingress);
        Assert.Equal("app.ingress.http_8080", problem.Key);
    }

    [Fact]
    public void Every_problem_is_reported_at_once_with_its_line()
    {
        var web = Service("web") with
        {
            Privileged = true,
            NetworkMode = "host",
            Marks = new Dictionary<string, SourceMark> { ["privileged"] = new(7, 5) },
        };
        var db = Service("db") with { Devices = new[] { "/dev/sda" } };

        var error = Assert.Throws<KompoxValidationException>(() => AppConverter.Convert(App(), Project(web, db), K3sDisk));
        Assert.Equal(
            new[] { "services.db.devices[0]", "services.web.privileged", "services.web.network_mode" },
            error.Problems.Select(p => p.Key));
        var privileged = error.Problems.Single(p => p.Key == "services.web.privileged");
        Assert.Equal((7, 5), (privileged.Line, privileged.Column));
        Assert.Contains("3 errors", error.Message);
    }

    [Fact]
    public void A_published_host_ip_other_than_loopback_is_a_warning()
    {
        var port = Port(80, 8080) with { HostIp = "10.0.0.5" };
        var manifest = ConvertValid(App(), Project(Service("web") with { Ports = new[] { port } }), K3sDisk);

        var warning = Assert.Single(manifest.Warnings);
        Assert.Equal((Severity.Warning, "services.web.ports[0]", "web"), (warning.Severity, warning.Key, warning.Service));
        Assert.Contains("10.0.0.5 is ignored", warning.Message);
        Assert.Single(manifest.Objects.OfType<k8s.Models.V1Ingress>());
    }
}
