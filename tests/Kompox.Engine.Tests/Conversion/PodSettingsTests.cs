using k8s.Models;
using Kompox.Compose;
using Kompox.Conversion;
using Xunit;
using static Kompox.Tests.Conversion.AppConverterTests;
using static Kompox.Tests.Conversion.ConversionFixtures;

namespace Kompox.Tests.Conversion;

public class PodSettingsTests
{
    private static AppManifest Convert(params ComposeService[] services) => ConvertValid(App(), Project(services), K3sDisk);

    private static V1PodSpec Pod(params ComposeService[] services) => Find<V1Deployment>(Convert(services), "my-app").Spec.Template.Spec;

    private static IReadOnlyList<Diagnostic> Errors(params ComposeService[] services) =>
        Assert.Throws<KompoxValidationException>(() => AppConverter.Convert(App(), Project(services), K3sDisk)).Problems.Where(p => p.Severity == Severity.Error).ToList();

    // shm_size sets the size of the container's /dev/shm (docs.docker.com/reference/compose-file/services/#shm_size).
    [Fact]
    public void Shm_size_is_a_memory_empty_dir_of_that_size_at_dev_shm()
    {
        var pod = Pod(Service("db") with { ShmSizeBytes = 256L * 1024 * 1024 }, Service("web"));

        var mount = pod.Containers.Single(c => c.Name == "db").VolumeMounts.Single(m => m.MountPath == "/dev/shm");
        var volume = pod.Volumes.Single(v => v.Name == mount.Name).EmptyDir;
        Assert.Equal(("Memory", "256Mi"), (volume.Medium, volume.SizeLimit.ToString()));
        Assert.Null(pod.Containers.Single(c => c.Name == "web").VolumeMounts);
    }

    // Docker waits stop_grace_period, 10s by default (docs.docker.com/reference/cli/docker/container/stop/), per container.
    [Fact]
    public void The_grace_period_is_the_longest_of_the_services_counting_dockers_default()
    {
        Assert.Null(Pod(Service("web")).TerminationGracePeriodSeconds);
        Assert.Equal(10, Pod(Service("web") with { StopGracePeriod = TimeSpan.FromSeconds(3) }, Service("db")).TerminationGracePeriodSeconds);
        Assert.Equal(91, Pod(Service("web"), Service("db") with { StopGracePeriod = TimeSpan.FromSeconds(90.5) }).TerminationGracePeriodSeconds);
    }

    // extra_hosts adds /etc/hosts entries (docs.docker.com/reference/compose-file/services/#extra_hosts); the Pod has one file.
    [Fact]
    public void Extra_hosts_join_the_host_aliases_grouped_by_ip()
    {
        var web = Service("web") with { ExtraHosts = new[] { new ComposeHostEntry("Registry.local", "10.0.0.9", "extra_hosts[0]", At), new ComposeHostEntry("loop", "127.0.0.1", "extra_hosts[1]", At) } };
        var db = Service("db") with { ExtraHosts = new[] { new ComposeHostEntry("backup", "10.0.0.9", "extra_hosts[0]", At), new ComposeHostEntry("v6", "::1", "extra_hosts[1]", At) } };

        var aliases = Pod(web, db).HostAliases.Select(a => (a.Ip, string.Join(",", a.Hostnames))).ToList();

        Assert.Equal(new[] { ("10.0.0.9", "backup,registry.local"), ("127.0.0.1", "db,loop,web"), ("::1", "v6") }, aliases);
    }

    [Fact]
    public void An_extra_host_mapped_two_ways_warns_and_a_bad_address_is_an_error()
    {
        var web = Service("web") with { ExtraHosts = new[] { new ComposeHostEntry("db", "10.0.0.5", "extra_hosts[0]", At) } };
        var warning = Assert.Single(Convert(web, Service("db")).Warnings);
        Assert.Equal("services.web.extra_hosts[0]", warning.Key);
        Assert.Contains("(10.0.0.5) wins", warning.Message);

        var bad = Service("web") with { ExtraHosts = new[] { new ComposeHostEntry("x", "not-an-ip", "extra_hosts[0]", At), new ComposeHostEntry("a_b", "10.0.0.1", "extra_hosts[1]", At) } };
        Assert.Equal(new[] { "services.web.extra_hosts[0]", "services.web.extra_hosts[1]" }, Errors(bad).Select(e => e.Key));
    }

    // dns replaces the name servers in resolv.conf (docs.docker.com/reference/compose-file/services/#dns): dnsPolicy None.
    [Fact]
    public void Dns_replaces_the_name_servers_merged_across_services_with_a_warning()
    {
        var web = Service("web") with { Dns = new[] { "1.1.1.1", "8.8.8.8" }, DnsSearch = new[] { "corp.example" }, DnsOptions = new[] { "ndots:2", "use-vc" } };
        var db = Service("db") with { Dns = new[] { "8.8.8.8", "9.9.9.9" } };
        var manifest = Convert(web, db);
        var pod = Find<V1Deployment>(manifest, "my-app").Spec.Template.Spec;

        Assert.Equal("None", pod.DnsPolicy);
        Assert.Equal(new[] { "8.8.8.8", "9.9.9.9", "1.1.1.1" }, pod.DnsConfig.Nameservers);
        Assert.Equal(new[] { "corp.example" }, pod.DnsConfig.Searches);
        Assert.Equal(new[] { ("ndots", "2"), ("use-vc", "") }, pod.DnsConfig.Options.Select(o => (o.Name, o.Value ?? "")));
        Assert.Equal(new[] { "services.db.dns", "services.web.dns_search", "services.web.dns_opt" }, manifest.Warnings.Select(w => w.Key));
    }

    [Fact]
    public void Dns_search_alone_keeps_the_cluster_resolver()
    {
        var pod = Pod(Service("web") with { DnsSearch = new[] { "corp.example" } });

        Assert.Null(pod.DnsPolicy);
        Assert.Null(pod.DnsConfig.Nameservers);
        Assert.Equal(new[] { "corp.example" }, pod.DnsConfig.Searches);
    }

    [Fact]
    public void More_than_three_name_servers_is_an_error()
    {
        var web = Service("web") with { Dns = new[] { "10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.4" } };

        Assert.Equal("services.web.dns[3]", Assert.Single(Errors(web)).Key);
    }

    // Docker passes any namespaced sysctl; Kubernetes allows the safe set on a shared cluster
    // (kubernetes.io/docs/tasks/administer-cluster/sysctl-cluster/#safe-and-unsafe-sysctls).
    [Fact]
    public void Safe_sysctls_become_pod_sysctls()
    {
        var web = Service("web") with { Sysctls = new SortedDictionary<string, string> { ["net.ipv4.tcp_keepalive_time"] = "600", ["net.ipv4.ip_unprivileged_port_start"] = "0" } };
        var db = Service("db") with { Sysctls = new SortedDictionary<string, string> { ["net.ipv4.tcp_keepalive_time"] = "600" } };

        var sysctls = Pod(web, db).SecurityContext.Sysctls.Select(s => (s.Name, s.Value));

        Assert.Equal(new[] { ("net.ipv4.ip_unprivileged_port_start", "0"), ("net.ipv4.tcp_keepalive_time", "600") }, sysctls);
    }

    [Fact]
    public void Unsafe_sysctls_and_two_values_for_one_sysctl_are_errors()
    {
        var web = Service("web") with { Sysctls = new SortedDictionary<string, string> { ["net.core.somaxconn"] = "1024", ["net.ipv4.tcp_fin_timeout"] = "30" } };
        var db = Service("db") with { Sysctls = new SortedDictionary<string, string> { ["net.ipv4.tcp_fin_timeout"] = "15" } };

        var errors = Errors(web, db);

        Assert.Equal(new[] { "services.web.sysctls.net.core.somaxconn", "services.web.sysctls.net.ipv4.tcp_fin_timeout" }, errors.Select(e => e.Key));
        Assert.Contains("'15'", errors[1].Message);
    }

    // init: true runs an init as PID 1 that reaps zombies (docs.docker.com/reference/compose-file/services/#init); in a Pod
    // with a shared process namespace the pause container is PID 1 and reaps them
    // (kubernetes.io/docs/tasks/configure-pod-container/share-process-namespace/).
    [Fact]
    public void Init_shares_the_process_namespace_with_a_warning()
    {
        var manifest = Convert(Service("web") with { Init = true }, Service("db"));

        Assert.True(Find<V1Deployment>(manifest, "my-app").Spec.Template.Spec.ShareProcessNamespace);
        Assert.Equal("services.web.init", Assert.Single(manifest.Warnings).Key);
        Assert.Null(Pod(Service("web")).ShareProcessNamespace);
    }

    // pull_policy (docs.docker.com/reference/compose-file/services/#pull_policy): missing pulls only when absent.
    [Theory]
    [InlineData(ComposePullPolicy.Missing, "IfNotPresent")]
    [InlineData(ComposePullPolicy.Always, "Always")]
    [InlineData(ComposePullPolicy.Never, "Never")]
    [InlineData(null, null)]
    public void Pull_policy_maps_to_image_pull_policy(ComposePullPolicy? policy, string? expected)
    {
        var web = Service("web") with { PullPolicy = policy, Volumes = new[] { Anonymous("/cache") } };

        var pod = Pod(web);

        Assert.Equal(expected, pod.Containers[0].ImagePullPolicy);
        Assert.Equal(expected, pod.InitContainers.Single(c => c.Name.StartsWith("kompox-fill-", StringComparison.Ordinal)).ImagePullPolicy);
    }

    // A compose network resolves "my_db"; Kubernetes allows only DNS names as host aliases, so the container is "my-db".
    [Fact]
    public void A_service_name_that_is_no_host_name_warns_how_to_reach_it()
    {
        var manifest = Convert(Service("my_db"), Service("web"));

        var warning = Assert.Single(manifest.Warnings);
        Assert.Equal("services.my_db", warning.Key);
        Assert.Contains("'my-db'", warning.Message);
        Assert.Contains("not as 'my_db'", warning.Message);
        Assert.Contains("my-db", Find<V1Deployment>(manifest, "my-app").Spec.Template.Spec.HostAliases.Single().Hostnames);
    }
}
