using k8s.Models;
using Kompox.Compose;
using Xunit;
using static Kompox.Tests.Conversion.AppConverterTests;
using static Kompox.Tests.Conversion.ConversionFixtures;

namespace Kompox.Tests.Conversion;

// Docker's health monitor (moby daemon/health.go) marks a container unhealthy and never restarts it, and Compose has no
// policy that does (docs.docker.com/reference/dockerfile/#healthcheck): the Kubernetes equivalent is a readiness probe.
public class HealthcheckTests
{
    private static V1Container Container(ComposeProject project, string name) =>
        Find<V1Deployment>(ConvertValid(App(), project, K3sDisk), "my-app").Spec.Template.Spec.Containers.Single(c => c.Name == name);

    private static V1Probe Probe(ComposeHealthcheck healthcheck) => Container(Project(Service("web") with { Ports = new[] { Port(80) }, Healthcheck = healthcheck }), "web").ReadinessProbe;

    // Docker docs, HEALTHCHECK: an unhealthy container is only marked so, never restarted by the engine, so the check
    // gates readiness (traffic) and never restarts the container as a liveness probe would.
    [Fact]
    public void A_healthcheck_is_a_readiness_probe_never_a_liveness_probe()
    {
        var server = Container(Gitea(), "server");

        Assert.Null(server.LivenessProbe);
        Assert.Null(server.StartupProbe);
        Assert.Equal(new[] { "curl", "-fsS", "http://localhost:3000/api/healthz" }, server.ReadinessProbe.Exec.Command);
        Assert.Equal((30, 5, 3), (server.ReadinessProbe.PeriodSeconds, server.ReadinessProbe.TimeoutSeconds, server.ReadinessProbe.FailureThreshold));

        var db = Probe(Gitea().Services.Single(s => s.Name == "db").Healthcheck!);
        Assert.Equal(new[] { "/bin/sh", "-c", "pg_isready -U gitea" }, db.Exec.Command);
        Assert.Equal((10, 5, 5), (db.PeriodSeconds, db.TimeoutSeconds, db.FailureThreshold)); // 4.5s rounds up
    }

    // Docker never withholds traffic because of a healthcheck (docs.docker.com/reference/dockerfile/#healthcheck: the
    // status is only reported). Readiness gates the whole Pod's Services, so a failing check of a service that publishes
    // no port would take every host of the app offline: such a service gets no readiness probe.
    [Fact]
    public void A_service_that_publishes_no_port_never_makes_the_pod_unready()
    {
        var check = new ComposeHealthcheck(HealthcheckKind.Shell, new[] { "false" }, null, null, null, null, At);
        var project = Project(
            Service("web") with { Ports = new[] { Port(80) }, Healthcheck = check },
            Service("worker") with { Healthcheck = check },
            Service("local") with { Ports = new[] { Port(81) with { HostIp = "127.0.0.1" } }, Healthcheck = check });

        Assert.NotNull(Container(project, "web").ReadinessProbe);
        Assert.Null(Container(project, "worker").ReadinessProbe);
        Assert.Null(Container(project, "local").ReadinessProbe);
    }

    // Docker's defaults: interval 30s, timeout 30s, retries 3 (docs.docker.com/reference/dockerfile/#healthcheck); 0 means the
    // default too (compose-spec 05-services.md healthcheck; moby timeoutWithDefault).
    [Fact]
    public void Unset_or_zero_timings_take_dockers_defaults()
    {
        var unset = Probe(new ComposeHealthcheck(HealthcheckKind.Shell, new[] { "true" }, null, null, null, null, At));
        var zero = Probe(new ComposeHealthcheck(HealthcheckKind.Shell, new[] { "true" }, TimeSpan.Zero, TimeSpan.Zero, 0, TimeSpan.Zero, At) { StartInterval = TimeSpan.Zero });

        foreach (var probe in new[] { unset, zero })
        {
            Assert.Equal((30, 30, 3, 30), (probe.PeriodSeconds, probe.TimeoutSeconds, probe.FailureThreshold, probe.InitialDelaySeconds));
        }
    }

    // Docker's first check comes one interval after the start; inside a start_period it comes after start_interval (5s by default).
    [Theory]
    [InlineData(null, null, 10)]
    [InlineData(60, null, 5)]
    [InlineData(60, 2, 2)]
    public void The_first_check_comes_when_dockers_would(int? startPeriod, int? startInterval, int initialDelay)
    {
        var probe = Probe(new ComposeHealthcheck(
            HealthcheckKind.Exec,
            new[] { "true" },
            TimeSpan.FromSeconds(10),
            null,
            null,
            startPeriod is { } p ? TimeSpan.FromSeconds(p) : null,
            At) { StartInterval = startInterval is { } i ? TimeSpan.FromSeconds(i) : null });

        Assert.Equal(initialDelay, probe.InitialDelaySeconds);
        Assert.Equal(10, probe.PeriodSeconds);
    }

    [Fact]
    public void Sub_second_timings_round_up_to_one_second()
    {
        var probe = Probe(new ComposeHealthcheck(HealthcheckKind.Shell, new[] { "true" }, TimeSpan.FromMilliseconds(200), TimeSpan.FromMilliseconds(10), null, null, At));

        Assert.Equal((1, 1, 1), (probe.PeriodSeconds, probe.TimeoutSeconds, probe.InitialDelaySeconds));
    }
}
