using k8s.Models;
using Kompox.Conversion;
using Xunit;
using static Kompox.Tests.Conversion.AppConverterTests;
using static Kompox.Tests.Conversion.ConversionFixtures;
using ComposeFile = Kompox.Tests.Compose.Compose;

namespace Kompox.Tests.Conversion;

// compose-spec 05-services.md depends_on: "Compose creates services in dependency order"; with the long syntax a
// dependent waits for service_started, service_healthy ("healthy ... as indicated by healthcheck") or
// service_completed_successfully ("completed successfully before starting a dependent service").
// Kubernetes (kubernetes.io/docs/concepts/workloads/pods/sidecar-containers/, KEP-753, beta and on by default in 1.29):
// init containers run in order; a restartable one (restartPolicy: Always) keeps running, and the kubelet starts the next
// container only once its startupProbe has passed; ordinary containers start after every init container. The simulator
// checks the probe rules of kubernetes/kubernetes pkg/apis/core/validation (validateInitContainers).
public class StartOrderTests
{
    private const string App3 = """
        services:
          web:
            image: example/web:1
            ports: ["8080"]
            depends_on:
              migrate: { condition: service_completed_successfully }
              db: { condition: service_healthy }
              cache: { condition: service_started }
          migrate:
            image: example/web:1
            command: ["migrate"]
            depends_on:
              db: { condition: service_healthy }
          db:
            image: postgres:16
            volumes: [db:/var/lib/postgresql/data]
            healthcheck:
              test: ["CMD", "pg_isready"]
              interval: 10s
              retries: 5
          cache:
            image: redis:7
            healthcheck: { test: ["CMD", "redis-cli", "ping"] }
        volumes:
          db:
        """;

    private static V1PodSpec Pod(AppManifest manifest) => Find<V1Deployment>(manifest, "my-app").Spec.Template.Spec;

    [Fact]
    public void Dependencies_start_first_as_sidecars_or_init_containers_in_dependency_order()
    {
        var manifest = ConvertValid(App(), ComposeFile.Load(App3), K3sDisk);
        var pod = Pod(manifest);

        Assert.Equal(new[] { "web" }, pod.Containers.Select(c => c.Name));

        // The volume fill first, then every dependency before its dependents (cache and db have none; ties by name).
        var order = pod.InitContainers.Select(c => c.Name).Where(n => !n.StartsWith("kompox-", StringComparison.Ordinal)).ToList();
        Assert.Equal(new[] { "cache", "db", "migrate" }, order);
        var names = pod.InitContainers.Select(c => c.Name).ToList();
        Assert.True(names.IndexOf("cache") > names.FindLastIndex(n => n.StartsWith("kompox-", StringComparison.Ordinal)));

        // service_healthy: a sidecar whose healthcheck is its startupProbe; it publishes nothing, so no readiness probe.
        var db = pod.InitContainers.Single(c => c.Name == "db");
        Assert.Equal("Always", db.RestartPolicy);
        Assert.Equal(new[] { "pg_isready" }, db.StartupProbe.Exec.Command);
        Assert.Equal((10, 5), (db.StartupProbe.PeriodSeconds, db.StartupProbe.FailureThreshold));
        Assert.Null(db.ReadinessProbe);

        // service_started: a sidecar without a probe: started is all anyone waits for.
        var cache = pod.InitContainers.Single(c => c.Name == "cache");
        Assert.Equal(("Always", null, null), (cache.RestartPolicy, cache.StartupProbe, cache.ReadinessProbe));

        // service_completed_successfully: a plain init container, which must exit 0 before the next starts.
        var migrate = pod.InitContainers.Single(c => c.Name == "migrate");
        Assert.Equal((null, null), (migrate.RestartPolicy, migrate.StartupProbe));
        Assert.DoesNotContain(manifest.Warnings, w => w.Key.Contains("depends_on", StringComparison.Ordinal));
    }

    // A cluster older than 1.29 has no sidecars (SidecarContainers is alpha and off in 1.28): the services start together,
    // and each condition lost gets a warning of its own where it is written.
    [Fact]
    public void An_older_server_starts_everything_together_and_says_so_for_each_dependency()
    {
        var manifest = ConvertValid(App(), ComposeFile.Load(App3), K3sDisk, new AppConversionOptions { ServerVersion = new Version(1, 28) });

        Assert.Equal(new[] { "cache", "db", "migrate", "web" }, Pod(manifest).Containers.Select(c => c.Name));
        Assert.All(Pod(manifest).InitContainers ?? new List<V1Container>(), c => Assert.StartsWith("kompox-", c.Name));
        var warnings = manifest.Warnings.Where(w => w.Key.Contains(".depends_on.", StringComparison.Ordinal)).ToList();
        Assert.Equal(
            new[] { "services.migrate.depends_on.db", "services.web.depends_on.cache", "services.web.depends_on.db", "services.web.depends_on.migrate" },
            warnings.Select(w => w.Key).Order(StringComparer.Ordinal));
        Assert.Contains("'web' does not wait for 'db' (service_healthy): the cluster runs Kubernetes 1.28, older than 1.29", warnings.Single(w => w.Key == "services.web.depends_on.db").Message);
    }

    // docker compose up refuses it: "dependency failed to start: container db has no healthcheck configured".
    [Fact]
    public void Waiting_for_a_service_without_healthcheck_to_be_healthy_is_refused()
    {
        var project = ComposeFile.Load("""
            services:
              web: { image: example/web:1, depends_on: { db: { condition: service_healthy } } }
              db: { image: postgres:16 }
            """);

        var error = Assert.Single(Assert.Throws<KompoxValidationException>(() => AppConverter.Convert(App(), project, K3sDisk)).Problems, p => p.Severity == Severity.Error);
        Assert.Equal("services.web.depends_on.db", error.Key);
        Assert.Contains("'db' has no healthcheck", error.Message);
    }

    // compose-go graph.go: "dependency cycle detected".
    [Fact]
    public void A_dependency_cycle_is_refused()
    {
        var project = ComposeFile.Load("""
            services:
              a: { image: example/a:1, depends_on: [b] }
              b: { image: example/b:1, depends_on: [a] }
            """);

        var error = Assert.Single(Assert.Throws<KompoxValidationException>(() => AppConverter.Convert(App(), project, K3sDisk)).Problems, p => p.Severity == Severity.Error);
        Assert.Contains("dependency cycle: a -> b -> a", error.Message);
    }
}
