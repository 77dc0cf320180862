using System.Globalization;
using System.Text.RegularExpressions;
using Kompox.Compose;
using Kompox.Model;

namespace Kompox.Conversion;

/// <summary>
/// What a compose file may not do on a shared, Pod Security "baseline" cluster, and what cannot be expressed in one Pod.
/// Each rule reports the service and the key; all of them run so that the user sees every problem at once.
/// </summary>
internal static partial class ComposeRules
{
    /// <summary>The capabilities Pod Security "baseline" allows a container to add.</summary>
    public static readonly IReadOnlySet<string> BaselineCapabilities = new SortedSet<string>(StringComparer.Ordinal)
    {
        "AUDIT_WRITE", "CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "MKNOD", "NET_BIND_SERVICE",
        "SETFCAP", "SETGID", "SETPCAP", "SETUID", "SYS_CHROOT",
    };

    // The keys a Secret may hold; an environment variable becomes one.
    [GeneratedRegex("^[-._a-zA-Z0-9]+$")]
    private static partial Regex SecretKey();

    public const string PrivilegedMessage = "privileged containers are not allowed on a shared cluster (Pod Security baseline)";

    /// <summary>Whether an environment variable's name can be a Secret's key, which carries it.</summary>
    public static bool IsSecretKey(string name) => SecretKey().IsMatch(name);

    public static void Check(ComposeProject project, ConversionDiagnostics diagnostics)
    {
        var serviceByContainer = new Dictionary<string, string>(StringComparer.Ordinal);
        var serviceByExposedPort = new Dictionary<int, string>();

        foreach (var service in project.Services.OrderBy(s => s.Name, StringComparer.Ordinal))
        {
            CheckName(service, serviceByContainer, diagnostics);
            CheckIsolation(service, diagnostics);
            CheckUser(service, diagnostics);
            CheckEnvironment(service, diagnostics);
            CheckPorts(service, serviceByExposedPort, diagnostics);
            CheckMounts(project, service, diagnostics);
        }

        var containerNames = project.Services.Select(s => KubeNames.ToDnsLabel(s.Name)).OfType<string>().ToHashSet(StringComparer.Ordinal);
        foreach (var service in project.Services.OrderBy(s => s.Name, StringComparer.Ordinal))
        {
            PreStartSteps.Check(service, containerNames, diagnostics);
        }

        PodNetwork.Check(project, diagnostics);

        // Only what a service mounts becomes an object, so an unused oddly named config is no error.
        var configs = project.Services.SelectMany(s => s.Configs).Select(c => c.Source).Where(project.Configs.ContainsKey).Distinct();
        var secrets = project.Services.SelectMany(s => s.Secrets).Select(c => c.Source).Where(project.Secrets.ContainsKey).Distinct();
        CheckContentNames("configs", configs, diagnostics, project.Configs.ToDictionary(c => c.Key, c => c.Value.At));
        CheckContentNames("secrets", secrets, diagnostics, project.Secrets.ToDictionary(c => c.Key, c => c.Value.At));
    }

    /// <summary>Parses a numeric <c>user</c> (<c>uid</c> or <c>uid:gid</c>); false for names, which Kubernetes cannot resolve.</summary>
    public static bool TryParseUser(string user, out long uid, out long? gid)
    {
        uid = 0;
        gid = null;
        var parts = user.Split(':');
        if (parts.Length > 2 || !TryParseId(parts[0], out uid))
        {
            return false;
        }

        if (parts.Length == 2)
        {
            if (!TryParseId(parts[1], out var group))
            {
                return false;
            }

            gid = group;
        }

        return true;
    }

    // "root" is uid and gid 0 in every image, so it needs no lookup in the image's /etc/passwd as other names would.
    private static bool TryParseId(string text, out long id)
    {
        id = 0;
        return text == "root" || (long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out id) && id <= int.MaxValue);
    }

    private static void CheckName(ComposeService service, Dictionary<string, string> serviceByContainer, ConversionDiagnostics diagnostics)
    {
        var container = KubeNames.ToDnsLabel(service.Name);
        if (container is null)
        {
            diagnostics.ServiceError(service, "", $"service name '{service.Name}' cannot become a container name (a DNS label of at most 63 lowercase letters, digits and '-')", service.At);
            return;
        }

        if (VolumeFill.IsReserved(container) || container == DnsSidecar.ContainerName || PreStartSteps.IsReserved(container))
        {
            diagnostics.ServiceError(service, "", $"service name '{service.Name}' would become container '{container}', a name Kompox keeps for its own containers (volume fill, DNS, pre_start steps); rename the service", service.At);
            return;
        }

        if (serviceByContainer.TryGetValue(container, out var other))
        {
            diagnostics.ServiceError(service, "", $"services '{other}' and '{service.Name}' both become container '{container}'; rename one", service.At);
            return;
        }

        serviceByContainer.Add(container, service.Name);
        if (Names.CheckDnsSubdomain(service.Name.ToLowerInvariant()) is not null)
        {
            // Kubernetes accepts only DNS names as host aliases (and so does DNS), so the name cannot be made to resolve.
            diagnostics.ServiceWarning(
                service,
                "",
                $"service '{service.Name}' runs as container '{container}' and the other services reach it as '{container}' (or localhost), not as '{service.Name}', which is not a valid host name in Kubernetes; use '{container}' where the app names this service",
                service.At);
        }
        if (string.IsNullOrEmpty(service.Image))
        {
            diagnostics.ServiceError(service, "image", "has no image; Kompox runs published images and does not build them", service.At);
        }

        if (ContainerCommand.Problem(service) is var (key, message))
        {
            diagnostics.ServiceError(service, key, message);
        }
    }

    // 'host' reaches into the node, which the Pod Security baseline forbids; any other mode (bridge, none,
    // service:x, container:x, shareable) describes sharing that one Pod already decides for its containers.
    private static void CheckNamespaceMode(ComposeService service, string key, string? mode, string effect, ConversionDiagnostics diagnostics)
    {
        if (mode == "host")
        {
            diagnostics.ServiceError(service, key, $"{key}: host is not allowed on a shared cluster (Pod Security baseline)");
        }
        else if (mode is not null)
        {
            diagnostics.ServiceWarning(service, key, $"'{mode}' has no effect in one Pod: {effect}");
        }
    }

    private static void CheckIsolation(ComposeService service, ConversionDiagnostics diagnostics)
    {
        if (service.Privileged)
        {
            diagnostics.ServiceError(service, "privileged", PrivilegedMessage);
        }

        CheckNamespaceMode(service, "network_mode", service.NetworkMode, "the containers of one Pod share its network, whatever the mode", diagnostics);
        if (service.Pid?.StartsWith("service:", StringComparison.Ordinal) != true)
        {
            // pid: service:x is the Pod's shareProcessNamespace (PodSettings).
            CheckNamespaceMode(service, "pid", service.Pid, "each container of the Pod keeps its own process namespace", diagnostics);
        }
        CheckNamespaceMode(service, "ipc", service.Ipc, "the containers of one Pod share its IPC namespace", diagnostics);

        for (var i = 0; i < service.Devices.Count; i++)
        {
            diagnostics.ServiceError(service, $"devices[{i}]", $"device '{service.Devices[i]}' cannot be passed to a container on a shared cluster");
        }

        for (var i = 0; i < service.CapAdd.Count; i++)
        {
            if (!BaselineCapabilities.Contains(service.CapAdd[i]))
            {
                diagnostics.ServiceError(
                    service,
                    $"cap_add[{i}]",
                    $"capability {service.CapAdd[i]} is beyond the Pod Security baseline set ({string.Join(", ", BaselineCapabilities)})");
            }
        }
    }

    private static void CheckUser(ComposeService service, ConversionDiagnostics diagnostics)
    {
        // A user name is resolved by the container runtime from the image's /etc/passwd, which Kubernetes cannot do:
        // dropping it would silently run as the image's default user and write the disk with other owners.
        if (service.User is { } user && !TryParseUser(user, out _, out _))
        {
            diagnostics.ServiceError(service, "user", $"user '{user}' is not numeric; Kubernetes needs a uid or uid:gid (root is 0; look it up with 'docker run --rm --entrypoint id <image> {user}')");
        }
    }

    private static void CheckEnvironment(ComposeService service, ConversionDiagnostics diagnostics)
    {
        foreach (var name in service.Environment.Keys.Order(StringComparer.Ordinal))
        {
            if (!SecretKey().IsMatch(name))
            {
                diagnostics.ServiceError(service, $"environment.{name}", $"variable name '{name}' cannot be carried in a Secret (letters, digits, '-', '_' and '.' only)");
            }
        }
    }

    private static void CheckPorts(
        ComposeService service,
        Dictionary<int, string> serviceByExposedPort,
        ConversionDiagnostics diagnostics)
    {
        foreach (var port in service.Ports)
        {
            CheckListening(service, port.Target, port.KeyPath, port.At, diagnostics);
            if (Exposure.IsLoopback(port.HostIp))
            {
                diagnostics.ServiceWarning(
                    service,
                    port.KeyPath,
                    $"published on loopback address {port.HostIp}, which only the VM itself reaches under Docker: container port {port.Target} stays internal (no Service, no Ingress); use kubectl port-forward to reach it",
                    port.At);
                continue;
            }

            if (port.PublishedText is { } text)
            {
                diagnostics.ServiceError(service, port.KeyPath, $"exposed port '{text}' is not a number; each exposed port gets its own host name", port.At);
                continue;
            }

            if (port.Protocol == PortProtocol.Udp)
            {
                diagnostics.ServiceError(service, port.KeyPath, $"port {port.Exposed}/udp cannot be exposed: the ingress carries HTTP only (use expose for internal UDP)", port.At);
                continue;
            }

            if (port.Exposed is < 1 or > 65535)
            {
                diagnostics.ServiceError(service, port.KeyPath, $"exposed port {port.Exposed} is not between 1 and 65535", port.At);
                continue;
            }

            if (serviceByExposedPort.TryGetValue(port.Exposed, out var other))
            {
                diagnostics.ServiceError(service, port.KeyPath, $"exposed port {port.Exposed} is already published by service '{other}'", port.At);
                continue;
            }

            serviceByExposedPort.Add(port.Exposed, service.Name);
            if (port.HostIp is { } hostIp)
            {
                diagnostics.ServiceWarning(service, port.KeyPath, $"host IP {hostIp} is ignored: the port is reachable through the cluster ingress", port.At);
            }

            // The container port says what is spoken there ("2222:22" is SSH); the published one is the next best guess.
            var wellKnown = Exposure.NonHttpPorts.TryGetValue(port.Target, out var targetProtocol) ? (port.Target, targetProtocol)
                : Exposure.NonHttpPorts.TryGetValue(port.Exposed, out var exposedProtocol) ? (port.Exposed, exposedProtocol)
                : ((int, string)?)null;
            if (wellKnown is var (knownPort, protocolName))
            {
                diagnostics.ServiceWarning(
                    service,
                    port.KeyPath,
                    $"port {knownPort} is {protocolName}'s, but the ingress carries HTTP(S) only: {protocolName} clients cannot reach exposed port {port.Exposed}; use expose for services the app's other containers use, or kubectl port-forward",
                    port.At);
            }
        }

        foreach (var expose in service.Expose)
        {
            CheckListening(service, expose.Port, expose.KeyPath, expose.At, diagnostics);
        }
    }

    // Whether two services listen on one port is PodNetwork's rule.
    private static void CheckListening(ComposeService service, int port, string keyPath, SourceMark at, ConversionDiagnostics diagnostics)
    {
        if (port is < 1 or > 65535)
        {
            diagnostics.ServiceError(service, keyPath, $"container port {port} is not between 1 and 65535", at);
        }
    }

    private static void CheckMounts(ComposeProject project, ComposeService service, ConversionDiagnostics diagnostics)
    {
        var keyByTarget = new Dictionary<string, string>(StringComparer.Ordinal);
        void CheckTarget(string target, string keyPath, SourceMark at)
        {
            if (!target.StartsWith('/'))
            {
                diagnostics.ServiceError(service, keyPath, $"mount target '{target}' is not an absolute path in the container", at);
            }
            else if (!keyByTarget.TryAdd(target.TrimEnd('/'), keyPath))
            {
                diagnostics.ServiceError(service, keyPath, $"'{target}' is already mounted by {DiagnosticsKey(service, keyByTarget[target.TrimEnd('/')])}", at);
            }
        }

        foreach (var mount in service.Volumes)
        {
            CheckTarget(mount.Target, mount.KeyPath, mount.At);
            if (mount.FromService is not null)
            {
                // Taken through volumes_from: what is wrong with it is reported where its service declares it.
                continue;
            }

            string? problem = null;
            switch (mount.Kind)
            {
                case MountKind.Volume when mount.Source is null || !project.Volumes.ContainsKey(mount.Source):
                    problem = $"named volume '{mount.Source}' is not defined under the top-level volumes key";
                    break;
                case MountKind.Volume:
                    MountPaths.Volume(mount.Source, mount.SubPath, out problem);
                    break;
                case MountKind.Bind:
                    MountPaths.Bind(mount.Source ?? string.Empty, out problem);
                    break;
                case MountKind.File:
                    problem = FileBindProblem(service, mount, diagnostics);
                    break;
                case MountKind.Anonymous when KubeNames.ToDnsLabel(service.Name) is { } container:
                    MountPaths.Anonymous(container, mount.Target, out problem);
                    break;
            }

            if (problem is not null)
            {
                diagnostics.ServiceError(service, mount.KeyPath, problem, mount.At);
            }
        }

        foreach (var tmpfs in service.Tmpfs)
        {
            CheckTarget(tmpfs.Target, tmpfs.KeyPath, tmpfs.At);
        }

        if (service.ShmSizeBytes is not null)
        {
            CheckTarget(PodBuilder.ShmPath, "shm_size", service.Marks.GetValueOrDefault("shm_size", service.At));
        }

        foreach (var config in service.Configs)
        {
            CheckTarget(config.Target, config.KeyPath, config.At);
            if (!project.Configs.ContainsKey(config.Source))
            {
                diagnostics.ServiceError(service, config.KeyPath, $"config '{config.Source}' is not defined under the top-level configs key", config.At);
            }
        }

        foreach (var secret in service.Secrets)
        {
            CheckTarget(secret.Target, secret.KeyPath, secret.At);
            if (!project.Secrets.ContainsKey(secret.Source))
            {
                diagnostics.ServiceError(service, secret.KeyPath, $"secret '{secret.Source}' is not defined under the top-level secrets key", secret.At);
            }
        }
    }

    // A single file is carried in a ConfigMap (FileBinds), which kube-apiserver limits to 1 MiB and the kubelet mounts read-only.
    private static string? FileBindProblem(ComposeService service, ComposeMount mount, ConversionDiagnostics diagnostics)
    {
        MountPaths.Bind(mount.Source ?? string.Empty, out var problem);
        if (problem is null && mount.FileContent!.Length > FileBinds.MaxBytes)
        {
            problem = $"file '{mount.Source}' has {mount.FileContent.Length} bytes; a bound file is carried in a ConfigMap, which holds at most 1 MiB: put it in a directory and bind that";
        }

        if (problem is null && !mount.ReadOnly)
        {
            diagnostics.ServiceWarning(service, mount.KeyPath, $"file '{mount.Source}' is mounted read-only from a ConfigMap: the container cannot change it as it could a bound file under Docker", mount.At);
        }

        return problem;
    }

    private static string DiagnosticsKey(ComposeService service, string keyPath) => ConversionDiagnostics.ServiceKey(service, keyPath);

    // A mounted file's mode is at most 0777 (the reader refuses setuid, setgid and sticky bits), so its octal suffix in
    // a volume name is at most three digits. (A C# literal 0777 would be decimal 777, octal 1411: one digit too many.)
    private static readonly int LongestFileMode = Convert.ToInt32("777", 8);

    private static void CheckContentNames(string section, IEnumerable<string> names, ConversionDiagnostics diagnostics, IReadOnlyDictionary<string, SourceMark> marks)
    {
        var nameByLabel = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var name in names.Order(StringComparer.Ordinal))
        {
            var label = KubeNames.ToDnsLabel(name);
            var volume = label is null ? null : ContentNames.VolumeName(section, label, mode: LongestFileMode);
            if (label is null || Names.CheckDnsLabel(volume!) is not null)
            {
                diagnostics.ComposeError($"{section}.{name}", marks[name], $"'{name}' cannot become a Kubernetes name; use a shorter name of letters, digits, '-', '_' or '.'");
            }
            else if (!nameByLabel.TryAdd(label, name))
            {
                diagnostics.ComposeError($"{section}.{name}", marks[name], $"'{nameByLabel[label]}' and '{name}' both become Kubernetes name '{label}'; rename one");
            }
        }
    }
}

/// <summary>The names of the objects and Pod volumes that carry compose configs and secrets.</summary>
internal static class ContentNames
{
    /// <summary>The ConfigMap key (or Secret key) holding the file; each config or secret is one file.</summary>
    public const string ContentKey = "content";

    /// <summary><c>&lt;app&gt;-config-&lt;label&gt;</c> or <c>&lt;app&gt;-secret-&lt;label&gt;</c>.</summary>
    public static string ObjectName(string appName, string section, string composeName) =>
        $"{appName}-{Singular(section)}-{KubeNames.ToDnsLabel(composeName)}";

    /// <summary>A file mode is set per volume item, so each (content, mode) pair is its own Pod volume.</summary>
    public static string VolumeName(string section, string label, int? mode) =>
        mode is { } m ? $"{Singular(section)}-{label}-{Convert.ToString(m, 8)}" : $"{Singular(section)}-{label}";

    private static string Singular(string section) => section == "configs" ? "config" : "secret";
}
