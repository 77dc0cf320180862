using System.Net;
using k8s.Models;
using Kompox.Compose;
using Kompox.Model;

namespace Kompox.Conversion;

/// <summary>
/// Compose keys that Docker applies per container but Kubernetes only per Pod: stop grace period, extra hosts, DNS,
/// sysctls and init. Services are merged in name order; where they disagree the Pod can only do one thing, which a warning
/// (or, when no choice would be sound, an error) names.
/// </summary>
internal sealed record PodSettings(
    long? TerminationGracePeriodSeconds,
    IReadOnlyList<V1HostAlias> HostAliases,
    string? DnsPolicy,
    V1PodDNSConfig? DnsConfig,
    IReadOnlyList<V1Sysctl> Sysctls,
    bool ShareProcessNamespace,
    string? Hostname,
    IReadOnlyDictionary<string, string>? NodeSelector,
    string? RuntimeClassName)
{
    /// <summary>Docker's stop timeout when a service sets none (docs.docker.com/reference/cli/docker/container/stop/).</summary>
    private static readonly TimeSpan DockerDefaultGracePeriod = TimeSpan.FromSeconds(10);

    /// <summary>
    /// The sysctls Kubernetes deems safe: namespaced, isolated between Pods, and allowed by every kubelet and by Pod Security
    /// "baseline" (kubernetes.io/docs/tasks/administer-cluster/sysctl-cluster/#safe-and-unsafe-sysctls). Any other would need
    /// the node's administrator to allow it, which a shared cluster does not.
    /// </summary>
    public static readonly IReadOnlySet<string> SafeSysctls = new SortedSet<string>(StringComparer.Ordinal)
    {
        "kernel.shm_rmid_forced", "net.ipv4.ip_local_port_range", "net.ipv4.ip_unprivileged_port_start",
        "net.ipv4.tcp_syncookies", "net.ipv4.ping_group_range", "net.ipv4.ip_local_reserved_ports",
        "net.ipv4.tcp_keepalive_time", "net.ipv4.tcp_fin_timeout", "net.ipv4.tcp_keepalive_intvl", "net.ipv4.tcp_keepalive_probes",
    };

    /// <summary>
    /// The safe sysctls that only newer Kubernetes knows as safe, with the version from which it does: its kubelet's
    /// allowlist (pkg/kubelet/sysctl/safe_sysctls.go) and Pod Security baseline (pod-security-admission
    /// policy/check_sysctls.go sysctlsAllowedV1Dot27, V1Dot29). An older cluster refuses the Pod that sets one.
    /// </summary>
    public static readonly IReadOnlyDictionary<string, Version> SafeSince = new Dictionary<string, Version>(StringComparer.Ordinal)
    {
        ["net.ipv4.ip_local_reserved_ports"] = new(1, 27),
        ["net.ipv4.tcp_keepalive_time"] = new(1, 29),
        ["net.ipv4.tcp_fin_timeout"] = new(1, 29),
        ["net.ipv4.tcp_keepalive_intvl"] = new(1, 29),
        ["net.ipv4.tcp_keepalive_probes"] = new(1, 29),
    };

    // Kubernetes' limits on dnsConfig (pkg/apis/core/validation: MaxDNSNameservers, MaxDNSSearchPaths).
    private const int MaxNameservers = 3;
    private const int MaxSearchDomains = 32;

    /// <param name="serverVersion">The cluster's Kubernetes version (major.minor); null when it is not known, as offline.</param>
    /// <param name="runtimeClasses">The cluster's <c>RUNTIME_CLASSES</c> setting, or null.</param>
    public static PodSettings Plan(IReadOnlyList<ComposeService> services, IEnumerable<string> serviceHostNames, ConversionDiagnostics diagnostics, Version? serverVersion = null, string? runtimeClasses = null)
    {
        var ordered = services.OrderBy(s => s.Name, StringComparer.Ordinal).ToList();
        return new PodSettings(
            LongestGracePeriod(ordered),
            MergedHostAliases(ordered, serviceHostNames, diagnostics),
            ordered.Any(s => s.Dns.Count > 0) ? "None" : null,
            MergedDnsConfig(ordered, diagnostics),
            SafeSysctlsOf(ordered, diagnostics, serverVersion),
            NeedsZombieReaping(ordered, diagnostics) | SharesProcesses(ordered, diagnostics),
            OneHostname(ordered, diagnostics),
            PlatformSelector(ordered, diagnostics),
            RuntimeClass(ordered, runtimeClasses, diagnostics));
    }

    // Kubernetes waits one grace period for the whole Pod; the longest any service asked for lets each stop as under Docker.
    private static long? LongestGracePeriod(IReadOnlyList<ComposeService> services) =>
        services.Any(s => s.StopGracePeriod is not null)
            ? services.Max(s => (long)Math.Ceiling((s.StopGracePeriod ?? DockerDefaultGracePeriod).TotalSeconds))
            : null;

    // Docker writes extra_hosts into each container's /etc/hosts; the Pod has one, so every entry reaches every container.
    private static List<V1HostAlias> MergedHostAliases(IReadOnlyList<ComposeService> services, IEnumerable<string> serviceHostNames, ConversionDiagnostics diagnostics)
    {
        const string Loopback = "127.0.0.1";
        var hostsByIp = new SortedDictionary<string, SortedSet<string>>(StringComparer.Ordinal) { [Loopback] = new(serviceHostNames, StringComparer.Ordinal) };
        var ipByHost = hostsByIp[Loopback].ToDictionary(h => h, _ => (Ip: Loopback, Origin: "a service name"), StringComparer.Ordinal);
        foreach (var service in services)
        {
            foreach (var entry in service.ExtraHosts)
            {
                var host = entry.Host.ToLowerInvariant();
                if (!IPAddress.TryParse(entry.Ip, out var address))
                {
                    diagnostics.ServiceError(service, entry.KeyPath, $"'{entry.Ip}' is not an IP address", entry.At);
                    continue;
                }

                if (Names.CheckDnsSubdomain(host) is { } problem)
                {
                    diagnostics.ServiceError(service, entry.KeyPath, $"host '{entry.Host}' cannot be a Kubernetes host alias: {problem}", entry.At);
                    continue;
                }

                var ip = address.ToString();
                var origin = $"services.{service.Name}.{entry.KeyPath}";
                if (ipByHost.TryGetValue(host, out var earlier) && earlier.Ip != ip)
                {
                    diagnostics.ServiceWarning(
                        service,
                        entry.KeyPath,
                        $"host '{entry.Host}' is {ip} here but {earlier.Ip} by {earlier.Origin}; the Pod's containers share one /etc/hosts, where the entry listed first ({(string.CompareOrdinal(ip, earlier.Ip) < 0 ? ip : earlier.Ip)}) wins",
                        entry.At);
                }

                ipByHost.TryAdd(host, (ip, origin));
                if (!hostsByIp.TryGetValue(ip, out var hosts))
                {
                    hostsByIp[ip] = hosts = new SortedSet<string>(StringComparer.Ordinal);
                }

                hosts.Add(host);
            }
        }

        return hostsByIp.Select(e => new V1HostAlias { Ip = e.Key, Hostnames = e.Value.ToList() }).ToList();
    }

    // Docker's dns replaces the container's name servers (docs.docker.com/reference/compose-file/services/#dns): dnsPolicy None
    // with those servers does the same, and service names still resolve through hostAliases. dns_search and dns_opt alone
    // extend the cluster's resolver configuration, as dnsConfig does under ClusterFirst.
    private static V1PodDNSConfig? MergedDnsConfig(IReadOnlyList<ComposeService> services, ConversionDiagnostics diagnostics)
    {
        var nameservers = Merge(services, "dns", s => s.Dns, v => v, MaxNameservers, v => IPAddress.TryParse(v, out _) ? null : $"'{v}' is not an IP address", diagnostics);
        var searches = Merge(services, "dns_search", s => s.DnsSearch, v => v, MaxSearchDomains, v => Names.CheckDnsSubdomain(v.TrimEnd('.').ToLowerInvariant()), diagnostics);
        var options = Merge(services, "dns_opt", s => s.DnsOptions, v => v.Split(':', 2)[0], int.MaxValue, v => v.Split(':', 2)[0].Length == 0 ? $"'{v}' has no option name" : null, diagnostics);
        if (nameservers.Count == 0 && searches.Count == 0 && options.Count == 0)
        {
            return null;
        }

        return new V1PodDNSConfig
        {
            Nameservers = nameservers.Count > 0 ? nameservers : null,
            Searches = searches.Count > 0 ? searches.Select(s => s.ToLowerInvariant()).ToList() : null,
            Options = options.Count > 0
                ? options.Select(o => o.Split(':', 2)).Select(p => new V1PodDNSConfigOption { Name = p[0], Value = p.Length > 1 ? p[1] : null }).ToList()
                : null,
        };
    }

    // One list for the Pod: each service's values in file order, services by name, the first value per identity kept.
    private static List<string> Merge(
        IReadOnlyList<ComposeService> services,
        string key,
        Func<ComposeService, IReadOnlyList<string>> values,
        Func<string, string> identity,
        int limit,
        Func<string, string?> problem,
        ConversionDiagnostics diagnostics)
    {
        var merged = new List<string>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var service in services)
        {
            var own = values(service);
            for (var i = 0; i < own.Count; i++)
            {
                if (problem(own[i]) is { } reason)
                {
                    diagnostics.ServiceError(service, $"{key}[{i}]", reason);
                }
                else if (seen.Add(identity(own[i])))
                {
                    merged.Add(own[i]);
                    if (merged.Count == limit + 1)
                    {
                        diagnostics.ServiceError(service, $"{key}[{i}]", $"the Pod can have at most {limit} {key} entries, which all its services share; this is one more");
                    }
                }
            }
        }

        var setters = services.Where(s => values(s).Count > 0).ToList();
        if (setters.Count > 0 && services.Any(s => !values(s).SequenceEqual(merged)))
        {
            var each = string.Join("; ", services.Select(s => $"{s.Name}: {(values(s).Count > 0 ? string.Join(", ", values(s)) : "none")}"));
            diagnostics.ServiceWarning(setters[0], key, $"{key} applies to every container of the one Pod, and its services differ ({each}); all of them use {string.Join(", ", merged)}");
        }

        return merged;
    }

    private static List<V1Sysctl> SafeSysctlsOf(IReadOnlyList<ComposeService> services, ConversionDiagnostics diagnostics, Version? serverVersion)
    {
        var values = new SortedDictionary<string, (string Value, string Service)>(StringComparer.Ordinal);
        foreach (var service in services)
        {
            foreach (var (name, value) in service.Sysctls.OrderBy(s => s.Key, StringComparer.Ordinal))
            {
                var key = $"sysctls.{name}";
                if (!SafeSysctls.Contains(name))
                {
                    diagnostics.ServiceError(service, key, $"sysctl {name} is not allowed on a shared cluster; Kubernetes' safe sysctls are {string.Join(", ", SafeSysctls)}");
                }
                else if (serverVersion is not null && SafeSince.TryGetValue(name, out var since) && serverVersion < since)
                {
                    diagnostics.ServiceError(service, key, $"sysctl {name} is safe only from Kubernetes {since} on, and the cluster runs {serverVersion}: its Pod Security admission and kubelet refuse the Pod; leave the sysctl out or upgrade the cluster");
                }
                else if (values.TryGetValue(name, out var other) && other.Value != value)
                {
                    diagnostics.ServiceError(service, key, $"sysctl {name} is '{value}' here but '{other.Value}' in service '{other.Service}'; the Pod's containers share one network namespace and can have only one value");
                }
                else
                {
                    values.TryAdd(name, (value, service.Name));
                }
            }
        }

        return values.Select(e => new V1Sysctl { Name = e.Key, Value = e.Value.Value }).ToList();
    }

    // Docker's init runs as PID 1 of the container, reaps zombies and forwards signals. With a shared process namespace the
    // Pod's pause container is PID 1 and reaps zombies, and the kubelet signals each main process itself
    // (kubernetes.io/docs/tasks/configure-pod-container/share-process-namespace/).
    private static bool NeedsZombieReaping(IReadOnlyList<ComposeService> services, ConversionDiagnostics diagnostics)
    {
        foreach (var service in services.Where(s => s.Init))
        {
            diagnostics.ServiceWarning(
                service,
                "init",
                "the Pod shares one process namespace so that its pause process, as PID 1, reaps zombies as Docker's init does; every service of the app can then see the others' processes");
        }

        return services.Any(s => s.Init);
    }

    // compose-spec 05-services.md `pid: "service:name"`: the container joins that service's process namespace. A Pod shares
    // one among all its containers or none (shareProcessNamespace), so every service then sees the others' processes.
    private static bool SharesProcesses(IReadOnlyList<ComposeService> services, ConversionDiagnostics diagnostics)
    {
        var sharing = services.Where(s => s.Pid?.StartsWith("service:", StringComparison.Ordinal) == true).ToList();
        foreach (var service in sharing)
        {
            var other = service.Pid!["service:".Length..];
            if (!services.Any(s => s.Name == other))
            {
                diagnostics.ServiceError(service, "pid", $"'{service.Pid}' names service '{other}', which the app does not run");
            }
            else
            {
                diagnostics.ServiceWarning(service, "pid", $"shares the process namespace of '{other}' as the Pod's shareProcessNamespace: every service of the app can then see the others' processes, and PID 1 is the Pod's pause process");
            }
        }

        return sharing.Count > 0;
    }

    // compose-spec 05-services.md `hostname`: "a custom host name to use for the service container", an RFC 1123 name. The
    // Pod has one host name (PodSpec.hostname, a DNS-1123 label: pkg/apis/core/validation ValidatePodSpec), so the
    // services that set one must agree, and it must be a label.
    private static string? OneHostname(IReadOnlyList<ComposeService> services, ConversionDiagnostics diagnostics)
    {
        var named = services.Where(s => s.Hostname is not null).ToList();
        if (named.Count == 0)
        {
            return null;
        }

        var first = named[0];
        foreach (var other in named.Skip(1).Where(s => s.Hostname != first.Hostname))
        {
            diagnostics.ServiceError(other, "hostname", $"is '{other.Hostname}' but service '{first.Name}' asks for '{first.Hostname}': the services of one Pod share its one host name; give them the same hostname, or leave it out of one");
        }

        if (Names.CheckDnsLabel(first.Hostname!) is not null)
        {
            diagnostics.ServiceError(first, "hostname", $"'{first.Hostname}' is not a host name a Pod can take: one DNS label, at most 63 lower-case letters, digits and '-' (a domain belongs in domainname)");
            return null;
        }

        return first.Hostname;
    }

    /// <summary>The node label kubelets set to their Go architecture (k8s.io/api core/v1 well_known_labels.go LabelArchStable).</summary>
    public const string ArchLabel = "kubernetes.io/arch";

    // The names containerd gives architectures (containerd/platforms database.go normalizeArch), as GOARCH, the node label's value.
    private static readonly Dictionary<string, string> ArchAliases = new(StringComparer.Ordinal)
    {
        ["x86_64"] = "amd64", ["x86-64"] = "amd64", ["amd64"] = "amd64", ["aarch64"] = "arm64", ["arm64"] = "arm64",
        ["armhf"] = "arm", ["armel"] = "arm", ["arm"] = "arm", ["i386"] = "386", ["386"] = "386",
        ["ppc64le"] = "ppc64le", ["s390x"] = "s390x", ["riscv64"] = "riscv64",
    };

    // compose-spec 05-services.md platform: "defines the target platform the containers for the service run on", written
    // os[/arch[/variant]]; Docker pulls that image variant and runs it (emulated if need be). A Pod runs on one node, so it
    // is the node's architecture label (kubelet_node_status.go initialNode sets kubernetes.io/os and kubernetes.io/arch).
    private static SortedDictionary<string, string>? PlatformSelector(IReadOnlyList<ComposeService> services, ConversionDiagnostics diagnostics)
    {
        string? arch = null;
        ComposeService? first = null;
        foreach (var service in services.Where(s => s.Platform is not null))
        {
            var parts = service.Platform!.ToLowerInvariant().Split('/');
            if (parts[0] != "linux")
            {
                diagnostics.ServiceError(service, "platform", $"'{service.Platform}' is not a Linux platform; an app's Pod runs Linux containers");
                continue;
            }

            if (parts.Length < 2)
            {
                continue;
            }

            if (!ArchAliases.TryGetValue(parts[1], out var own))
            {
                diagnostics.ServiceError(service, "platform", $"'{parts[1]}' is not an architecture Kubernetes nodes report (amd64, arm64, arm, 386, ppc64le, s390x, riscv64)");
                continue;
            }

            if (parts.Length > 2)
            {
                diagnostics.ServiceWarning(service, "platform", $"the variant '{parts[2]}' is not selected: nodes are chosen by architecture ({own}) alone, and the runtime pulls the variant the node runs");
            }

            if (arch is null)
            {
                (arch, first) = (own, service);
            }
            else if (arch != own)
            {
                diagnostics.ServiceError(service, "platform", $"asks for {own} but service '{first!.Name}' for {arch}: the services of one Pod run on one node; Docker would emulate the other architecture, Kubernetes does not");
            }
        }

        return arch is null ? null : new SortedDictionary<string, string>(StringComparer.Ordinal) { [ArchLabel] = arch };
    }

    // Docker's default runtime (docs.docker.com/engine/daemon/alternative-runtimes): a service naming it changes nothing.
    private const string DockerDefaultRuntime = "runc";

    // compose-spec 05-services.md runtime: "specifies which runtime to use for the service's containers" (dockerd
    // --add-runtime names, such as nvidia or runsc). A Pod picks its runtime handler with one RuntimeClass
    // (PodSpec.runtimeClassName), which the cluster setting maps each Docker runtime to.
    private static string? RuntimeClass(IReadOnlyList<ComposeService> services, string? setting, ConversionDiagnostics diagnostics)
    {
        var map = setting is null ? new Dictionary<string, string>() : Drivers.RuntimeClassSettings.Parse(setting, out _) ?? new Dictionary<string, string>();
        string? chosen = null;
        ComposeService? first = null;
        foreach (var service in services.Where(s => s.Runtime is not null && s.Runtime != DockerDefaultRuntime))
        {
            if (!map.TryGetValue(service.Runtime!, out var runtimeClass))
            {
                diagnostics.ServiceError(service, "runtime", $"runtime '{service.Runtime}' has no RuntimeClass on this cluster: the cluster setting {Drivers.RuntimeClassSettings.Name} maps Docker runtimes to RuntimeClasses (e.g. {service.Runtime}=<class>)");
                continue;
            }

            if (chosen is null)
            {
                (chosen, first) = (runtimeClass, service);
                diagnostics.ServiceWarning(service, "runtime", $"runs as the Pod's RuntimeClass '{runtimeClass}', which applies to every service of the app, not to this one alone as in Docker");
            }
            else if (chosen != runtimeClass)
            {
                diagnostics.ServiceError(service, "runtime", $"asks for RuntimeClass '{runtimeClass}' but service '{first!.Name}' for '{chosen}': the services of one Pod run with one runtime");
            }
        }

        return chosen;
    }
}
