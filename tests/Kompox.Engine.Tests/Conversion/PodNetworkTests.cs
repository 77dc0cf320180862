using k8s.Models;
using Kompox.Compose;
using Kompox.Conversion;
using Xunit;
using static Kompox.Tests.Conversion.AppConverterTests;
using static Kompox.Tests.Conversion.ConversionFixtures;

namespace Kompox.Tests.Conversion;

// Docker: every service of a compose network is its own container with its own network namespace and IP
// (docs.docker.com/engine/network/ "Container networking"; docs.docker.com/compose/how-tos/networking/: "each container
// for a service joins the default network and is ... discoverable by the service's name"), so two services may both
// listen on port 80. Kubernetes: "Every container in a Pod shares the network namespace, including the IP address and
// network ports" (kubernetes.io/docs/concepts/workloads/pods/#pod-networking): the second bind fails.
public class PodNetworkTests
{
    private static Diagnostic Refused(ComposeProject project)
    {
        var error = Assert.Throws<KompoxValidationException>(() => AppConverter.Convert(App(), project, K3sDisk));
        return Assert.Single(error.Problems, p => p.Severity == Severity.Error);
    }

    private static ComposeService Worker(string name, string image = "example/worker:1") => Service(name, image);

    [Fact]
    public void Two_services_declaring_one_container_port_are_refused_naming_both_and_the_fix()
    {
        var error = Refused(Project(Service("a") with { Expose = new[] { Expose(80) } }, Service("b") with { Ports = new[] { Port(80, 8080) } }));

        Assert.Equal("services.b.ports[0]", error.Key);
        Assert.Contains("container port 80/tcp is also used by service 'a' (expose[0])", error.Message);
        Assert.Contains("make 'b' (or 'a') listen on another port", error.Message);
    }

    // The images' Dockerfiles: docker-library/postgres EXPOSE 5432; both would bind 5432 in one Pod.
    [Fact]
    public void Two_services_of_a_well_known_image_declaring_no_port_are_refused()
    {
        var error = Refused(Project(Worker("db", "postgres:16"), Worker("replica", "docker.io/library/postgres:16-alpine")));

        Assert.Equal("services.replica.image", error.Key);
        Assert.Contains("port 5432/tcp is also used by service 'db' (image 'postgres:16' listens on 5432 (PostgreSQL) by default)", error.Message);
    }

    // Declaring where it listens (with the command flag that moves it) is the fix the message proposes, and it holds.
    [Fact]
    public void A_well_known_image_moved_to_another_port_converts()
    {
        var moved = Worker("replica", "postgres:16") with { Command = new[] { "postgres", "-p", "5433" }, Expose = new[] { Expose(5433) } };

        ConvertValid(App(), Project(Worker("db", "postgres:16"), moved), K3sDisk);
    }

    // An address service:port says where that service listens (nginx-golang's proxy_pass http://backend:80).
    [Theory]
    [InlineData("environment")]
    [InlineData("command")]
    [InlineData("file")]
    public void An_address_naming_another_service_on_a_port_one_listens_on_is_refused(string where)
    {
        var api = Worker("api");
        var web = Service("web", "example/web:1") with { Ports = new[] { Port(8000) } };
        web = where switch
        {
            "environment" => web with { Environment = new SortedDictionary<string, string>(StringComparer.Ordinal) { ["API_URL"] = "http://api:8000/v1" } },
            "command" => web with { Command = new[] { "web", "--upstream=api:8000" } },
            _ => web with { Volumes = new[] { File("./web.conf", "/etc/web.conf", "upstream api:8000;\n"u8.ToArray()) } },
        };

        var error = Refused(Project(api, web));

        Assert.Contains("is also used by service 'api' ('api:8000' in ", error.Message);
        Assert.Contains("service 'web' listens there too (ports[0])", error.Message);
    }

    // The fix the refusal of awesome-compose nginx-golang (tests/data/bad-compose/nginx-golang) proposes: its backend's
    // main.go listens on :80 and cannot move without a rebuild, so nginx moves (listen 8080, published as 80).
    [Fact]
    public void Nginx_golang_with_its_fix_converts()
    {
        using var project = new Kompox.Tests.Compose.TempProject()
            .With("proxy/nginx.conf", "server {\n  listen 8080;\n  location / {\n    proxy_pass http://backend:80;\n  }\n}")
            .With("compose.yml", "services:\n  proxy:\n    image: nginx\n    volumes: ['./proxy/nginx.conf:/etc/nginx/conf.d/default.conf:ro']\n    ports: ['80:8080']\n    depends_on: [backend]\n  backend:\n    image: example/nginx-golang-backend:1.0\n");
        var compose = Kompox.Tests.Compose.Compose.Load(System.IO.File.ReadAllText(Path.Combine(project.Dir, "compose.yml")), dir: project.Dir);

        var manifest = ConvertValid(App(), compose, K3sDisk);

        Assert.Equal("8080", Find<V1Service>(manifest, "my-app-80").Spec.Ports.Single().TargetPort.Value);
    }

    // Addresses of other hosts (db.example.com:5432), of the service itself, or on ports no one else listens on are no clash.
    [Fact]
    public void Addresses_that_share_nothing_convert()
    {
        var db = Worker("db", "postgres:16");
        var app = Service("app", "example/app:1") with
        {
            Ports = new[] { Port(8080) },
            Environment = new SortedDictionary<string, string>(StringComparer.Ordinal)
            {
                ["DATABASE_URL"] = "postgres://app:secret@db:5432/app",
                ["MIRROR"] = "mirror.db:8080",
                ["SELF"] = "http://app:8080/",
            },
        };

        var manifest = ConvertValid(App(), Project(app, db), K3sDisk);

        KubectlReadBack.AssertSame(manifest.Objects);
        Assert.Equal(2, Find<V1Deployment>(manifest, "my-app").Spec.Template.Spec.Containers.Count);
    }

    // The one table serves the ingress warning as well: every non-HTTP image port is a non-HTTP port there.
    [Fact]
    public void The_image_table_and_the_ingress_warning_share_one_table()
    {
        Assert.Equal(5432, WellKnownPorts.OfImage("postgres@sha256:" + new string('a', 64))!.Port);
        Assert.Null(WellKnownPorts.OfImage("example/postgres"));
        Assert.All(WellKnownPorts.All.Where(p => !p.Http), p => Assert.Equal(p.Protocol, Exposure.NonHttpPorts[p.Port]));
    }
}
