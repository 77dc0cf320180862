using Kompox.Compose;

namespace Kompox.Conversion;

/// <summary>How a service runs in the Pod so that <c>depends_on</c> keeps its meaning.</summary>
internal enum StartRole
{
    /// <summary>An ordinary container: started with the others once every init container is done.</summary>
    Container,

    /// <summary>A restartable init container (sidecar), started before what depends on it and kept running.</summary>
    Sidecar,

    /// <summary>A plain init container: runs to completion (exit 0) before what depends on it starts.</summary>
    Init,
}

/// <summary>
/// compose-spec 05-services.md depends_on: Compose starts a dependency before its dependents and, with a condition, waits
/// until it has started (<c>service_started</c>), is healthy (<c>service_healthy</c>) or has exited 0
/// (<c>service_completed_successfully</c>). Kubernetes starts init containers one after the other in order, and a
/// restartable init container (a sidecar, <c>restartPolicy: Always</c>; KEP-753, beta and on by default from 1.29) counts
/// as started once its startupProbe succeeds, before the next one and the ordinary containers start
/// (kubernetes.io/docs/concepts/workloads/pods/sidecar-containers/). So a dependency runs as a sidecar (its healthcheck as
/// startupProbe when someone waits for it to be healthy) or, waited for to complete, as a plain init container; init
/// containers are ordered so that every dependency comes before its dependents.
/// </summary>
internal sealed record StartOrder(IReadOnlyDictionary<string, StartRole> Roles, IReadOnlySet<string> WaitedHealthy, IReadOnlyList<string> InitOrder)
{
    /// <summary>The first version whose kubelet runs sidecars by default (SidecarContainers beta, KEP-753).</summary>
    public static readonly Version SidecarsSince = new(1, 29);

    /// <summary>Whether the cluster runs sidecars; an unknown version is taken as the newest.</summary>
    public static bool SidecarsRun(Version? serverVersion) => serverVersion is null || serverVersion >= SidecarsSince;

    public StartRole RoleOf(ComposeService service) => Roles.GetValueOrDefault(service.Name, StartRole.Container);

    public static StartOrder Plan(IReadOnlyList<ComposeService> services, ConversionDiagnostics diagnostics, Version? serverVersion)
    {
        var byName = services.ToDictionary(s => s.Name, StringComparer.Ordinal);

        // A dependency that profiles left out (required: false) is not waited for, as Compose does not wait for it.
        var edges = services.SelectMany(s => s.DependsOn.Where(d => byName.ContainsKey(d.Service)).Select(d => (Dependent: s, Dependency: d))).ToList();
        var empty = new StartOrder(new Dictionary<string, StartRole>(), new HashSet<string>(), Array.Empty<string>());
        if (edges.Count == 0)
        {
            return empty;
        }

        foreach (var (dependent, dependency) in edges.Where(e => e.Dependency.Condition == DependencyCondition.Healthy && byName[e.Dependency.Service].Healthcheck is null))
        {
            // docker compose up: "dependency failed to start: container ... has no healthcheck configured".
            diagnostics.ServiceError(dependent, dependency.KeyPath, $"waits for service '{dependency.Service}' to be healthy (service_healthy), but '{dependency.Service}' has no healthcheck; Docker Compose refuses this too: give '{dependency.Service}' a healthcheck, or wait with condition service_started", dependency.At);
        }

        var order = TopologicalOrder(services, byName, diagnostics);
        if (order is null)
        {
            return empty;
        }

        if (!SidecarsRun(serverVersion))
        {
            foreach (var (dependent, dependency) in edges)
            {
                diagnostics.ServiceWarning(
                    dependent,
                    dependency.KeyPath,
                    $"'{dependent.Name}' does not wait for '{dependency.Service}' ({Describe(dependency.Condition)}): the cluster runs Kubernetes {serverVersion}, older than {SidecarsSince}, which runs sidecar containers, so all services start together; let '{dependent.Name}' retry until '{dependency.Service}' answers",
                    dependency.At);
            }

            return empty;
        }

        var roles = new Dictionary<string, StartRole>(StringComparer.Ordinal);
        foreach (var group in edges.GroupBy(e => e.Dependency.Service))
        {
            // Waited for to complete by anyone, it must run to its end before them; a service started or healthy before
            // that is started or healthy all the more.
            roles[group.Key] = group.Any(e => e.Dependency.Condition == DependencyCondition.CompletedSuccessfully) ? StartRole.Init : StartRole.Sidecar;
        }

        var healthy = edges.Where(e => e.Dependency.Condition == DependencyCondition.Healthy && roles[e.Dependency.Service] == StartRole.Sidecar)
            .Select(e => e.Dependency.Service).ToHashSet(StringComparer.Ordinal);
        return new StartOrder(roles, healthy, order.Where(roles.ContainsKey).ToList());
    }

    private static string Describe(DependencyCondition condition) => condition switch
    {
        DependencyCondition.Healthy => "service_healthy",
        DependencyCondition.CompletedSuccessfully => "service_completed_successfully",
        _ => "service_started",
    };

    // Dependencies first, ties by name; null (with an error) on a cycle, which Compose refuses too (compose-go graph.go:
    // "dependency cycle detected").
    private static List<string>? TopologicalOrder(IReadOnlyList<ComposeService> services, Dictionary<string, ComposeService> byName, ConversionDiagnostics diagnostics)
    {
        var order = new List<string>();
        var state = new Dictionary<string, bool>(StringComparer.Ordinal); // false: on the path; true: done
        bool Visit(ComposeService service, List<string> path)
        {
            if (state.TryGetValue(service.Name, out var done))
            {
                if (!done)
                {
                    var cycle = path.SkipWhile(p => p != service.Name).Append(service.Name);
                    diagnostics.ServiceError(service, "depends_on", $"dependency cycle: {string.Join(" -> ", cycle)}; Docker Compose refuses it too");
                }

                return done;
            }

            state[service.Name] = false;
            path.Add(service.Name);
            foreach (var dependency in service.DependsOn.Select(d => d.Service).Where(byName.ContainsKey).Order(StringComparer.Ordinal))
            {
                if (!Visit(byName[dependency], path))
                {
                    return false;
                }
            }

            path.RemoveAt(path.Count - 1);
            state[service.Name] = true;
            order.Add(service.Name);
            return true;
        }

        foreach (var service in services.OrderBy(s => s.Name, StringComparer.Ordinal))
        {
            if (!Visit(service, new List<string>()))
            {
                return null;
            }
        }

        return order;
    }
}
