using k8s.Models;
using Kompox.Compose;
using Kompox.Conversion;
using Xunit;
using static Kompox.Tests.Conversion.AppConverterTests;
using static Kompox.Tests.Conversion.ConversionFixtures;

namespace Kompox.Tests.Conversion;

// Docker: "containers that use a custom network use Docker's embedded DNS server ... at 127.0.0.11", which resolves the
// other services' names and forwards the rest (docs.docker.com/engine/network/#dns-services). nginx's `resolver
// 127.0.0.11` (the awesome-compose and nginx docs idiom for re-resolving upstreams) and HAProxy's `resolvers` then ask it
// directly. In a Pod nothing listens there unless Kompox puts a DNS server there. The manifest is held to the simulator's
// Pod Security baseline checks (kubernetes/pod-security-admission policy: capabilities, restartPolicy of init containers).
public class DnsSidecarTests
{
    private static readonly byte[] NginxConf = "server {\n  listen 80;\n  resolver 127.0.0.11 valid=10s;\n  set $up http://api:8000;\n  location / { proxy_pass $up; }\n}\n"u8.ToArray();

    private static ComposeProject NginxWithResolver() => Project(
        Service("proxy", "nginx:1.27") with { Ports = new[] { Port(80) }, Volumes = new[] { File("./nginx.conf", "/etc/nginx/conf.d/default.conf", NginxConf) } },
        Service("api") with { Expose = new[] { Expose(8000) } });

    private static V1PodSpec Pod(AppManifest manifest) => Find<V1Deployment>(manifest, "my-app").Spec.Template.Spec;

    [Fact]
    public void A_config_naming_127_0_0_11_gets_a_dns_server_there_answering_the_service_names()
    {
        var manifest = ConvertValid(App(), NginxWithResolver(), K3sDisk);

        var dns = Pod(manifest).InitContainers[0];
        Assert.Equal(("kompox-dns", "Always"), (dns.Name, dns.RestartPolicy));
        Assert.Matches(@"^registry\.k8s\.io/coredns/coredns:v\d+\.\d+\.\d+$", dns.Image);
        var corefile = Find<V1ConfigMap>(manifest, "my-app-dns").Data["Corefile"];
        Assert.Contains("bind 127.0.0.11", corefile);
        Assert.Contains("127.0.0.1 api proxy", corefile);
        Assert.Contains("forward . /etc/resolv.conf", corefile);

        // Kompox's own server (50m, 64Mi) comes on top of the app's budget (the fixture app: 1 CPU, 2Gi).
        var quota = Find<V1ResourceQuota>(manifest, "my-app").Spec.Hard;
        Assert.Equal(("1050m", "2112Mi"), (quota["limits.cpu"].ToString(), quota["limits.memory"].ToString()));
    }

    [Theory]
    [InlineData("environment")]
    [InlineData("command")]
    public void An_environment_value_or_command_naming_it_counts_too(string where)
    {
        var haproxy = Service("lb", "haproxy:3.0") with { Ports = new[] { Port(80) } };
        haproxy = where == "environment"
            ? haproxy with { Environment = new SortedDictionary<string, string>(StringComparer.Ordinal) { ["DNS"] = "127.0.0.11:53" } }
            : haproxy with { Command = new[] { "haproxy", "-f", "/cfg", "--resolver=127.0.0.11" } };

        var manifest = ConvertValid(App(), Project(haproxy), K3sDisk);

        Assert.Contains(Pod(manifest).InitContainers, c => c.Name == "kompox-dns");
    }

    [Fact]
    public void No_dns_server_when_nothing_names_the_address()
    {
        var manifest = ConvertValid(App(), Project(Service("web") with { Environment = new SortedDictionary<string, string>(StringComparer.Ordinal) { ["X"] = "127.0.0.110" } }), K3sDisk);

        Assert.DoesNotContain(manifest.Objects, o => o.Metadata.Name == "my-app-dns");
        Assert.Null(Pod(manifest).InitContainers);
    }

    // Without sidecars (before Kubernetes 1.29) it runs beside the services.
    [Fact]
    public void On_an_older_server_it_is_an_ordinary_container()
    {
        var manifest = ConvertValid(App(), NginxWithResolver(), K3sDisk, new AppConversionOptions { ServerVersion = new Version(1, 28) });

        var dns = Assert.Single(Pod(manifest).Containers, c => c.Name == "kompox-dns");
        Assert.Null(dns.RestartPolicy);
    }
}
