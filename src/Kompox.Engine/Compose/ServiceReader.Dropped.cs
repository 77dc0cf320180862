using Kompox.Yaml;

namespace Kompox.Compose;

/// <summary>
/// Keys Kompox cannot carry into a Pod whose loss changes what the app does: each gets a warning of its own, where it is
/// written, instead of a place in the "no effect" summary, which is for keys that truly change nothing in one Pod.
/// </summary>
internal sealed partial class ServiceReader
{
    /// <summary>True when <paramref name="key"/>, as written here, changes behaviour and has been warned about.</summary>
    private bool WarnDropped(string key, YNode value, SourceMark at)
    {
        var message = key switch
        {
            // Kubernetes has no per-container stop signal (the ContainerStopSignals field is alpha from 1.33): the CRI
            // runtime sends the image's STOPSIGNAL, or SIGTERM (containerd internal/cri/server/container_stop.go).
            "stop_signal" when value is YScalar { IsNull: false } signal =>
                $"'{signal.Value}' is not sent: Kubernetes stops the container with its image's STOPSIGNAL (SIGTERM if the image sets none); make the program stop cleanly on that signal, or set STOPSIGNAL in the image",

            // Docker leaves a container that exits alone under "no" and after a clean exit under "on-failure"
            // (docs.docker.com/engine/containers/start-containers-automatically/); a Deployment's Pod has restartPolicy
            // Always, the only one it allows (pkg/apis/apps/validation).
            "restart" when value is YScalar { Value: var policy } && (policy == "no" || policy.StartsWith("on-failure", StringComparison.Ordinal)) =>
                $"'{policy}' cannot be kept: Kubernetes restarts every container of the app's Pod whenever it exits, so a service that should run once runs again; make it a dependency with condition service_completed_successfully of the services that need it (it then runs once, before them)",

            // compose-spec ulimits: the container's resource limits (nofile, nproc, memlock ...). A Pod has no field for
            // them; the container gets the node runtime's defaults.
            "ulimits" when value is YMapping { Entries.Count: > 0 } limits =>
                $"{string.Join(", ", limits.Entries.Select(e => e.Key.Value))} cannot be set in a Pod: the container runs with the node's default limits, which may be lower (a server that needs many open files may fail)",

            // compose-spec group_add: supplementary groups of the container's user. Kompox does not set the Pod's
            // supplementalGroups, which would apply to every service.
            "group_add" when value is YSequence { Items.Count: > 0 } groups =>
                $"groups {string.Join(", ", groups.Items.OfType<YScalar>().Select(g => g.Value))} are not added to the container's user: files and devices only those groups may use stay out of reach",

            // compose-spec links "SERVICE:ALIAS": the alias resolves to the service. Kubernetes host aliases hold the
            // service names only.
            "links" when value is YSequence links && Aliases(links) is { Count: > 0 } aliases =>
                $"the alias{(aliases.Count == 1 ? "" : "es")} {string.Join(", ", aliases.Select(a => $"'{a}'"))} do{(aliases.Count == 1 ? "es" : "")} not resolve in the Pod: the other services are reached by their service names; use those",

            // compose-spec networks.<name>.aliases: more names of the service on that network.
            "networks" when value is YMapping networks && NetworkAliases(networks) is { Count: > 0 } aliases =>
                $"the alias{(aliases.Count == 1 ? "" : "es")} {string.Join(", ", aliases.Select(a => $"'{a}'"))} do{(aliases.Count == 1 ? "es" : "")} not resolve in the Pod: all services share its network and are reached by their service names; use those",
            _ => null,
        };
        if (message is null)
        {
            return false;
        }

        Warning(at, Path(key), message);
        return true;
    }

    private static List<string> Aliases(YSequence links) =>
        links.Items.OfType<YScalar>().Select(l => l.Value.Split(':')).Where(p => p.Length == 2 && p[1].Length > 0 && p[1] != p[0]).Select(p => p[1]).ToList();

    private static List<string> NetworkAliases(YMapping networks) =>
        networks.Entries.Select(e => e.Value).OfType<YMapping>().Select(n => n["aliases"]).OfType<YSequence>()
            .SelectMany(a => a.Items.OfType<YScalar>().Select(s => s.Value)).Distinct(StringComparer.Ordinal).ToList();
}
