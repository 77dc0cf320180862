using System.Security.Cryptography;
using System.Text;
using k8s;
using k8s.Models;
using Kompox.Compose;
using Kompox.Model;

namespace Kompox.Conversion;

/// <summary>
/// The app's one Pod (as a Deployment) and the ConfigMaps and Secrets it reads. Runs on a project that
/// <see cref="ComposeRules"/> accepted.
/// </summary>
internal static class PodBuilder
{
    /// <summary>The Pod volume of the app's disk.</summary>
    public const string DataVolume = "data";

    public const string ShmPath = "/dev/shm";

    private static readonly TimeSpan DockerDefaultInterval = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan DockerDefaultTimeout = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan DockerDefaultStartInterval = TimeSpan.FromSeconds(5);
    private const int DockerDefaultRetries = 3;

    public static IEnumerable<IKubernetesObject<V1ObjectMeta>> Build(AppScope scope, ComposeProject project, ResourceBudget budget, PodSettings settings, StartOrder start, AppConversionOptions options)
    {
        var services = project.Services.OrderBy(s => ContainerName(s), StringComparer.Ordinal).ToList();
        var contents = new List<IKubernetesObject<V1ObjectMeta>>();
        contents.AddRange(EnvironmentSecrets(scope, services));
        contents.AddRange(ContentObjects(scope, project, services));
        var dns = DnsSidecar.Needed(project);
        if (dns)
        {
            contents.Add(DnsSidecar.ConfigMap(scope, HostNames(services)));
        }

        var volumes = new SortedDictionary<string, V1Volume>(StringComparer.Ordinal)
        {
            [DataVolume] = new V1Volume { Name = DataVolume, PersistentVolumeClaim = new V1PersistentVolumeClaimVolumeSource { ClaimName = scope.ClaimName } },
        };
        var containers = services.Where(s => start.RoleOf(s) == StartRole.Container).Select(s => Container(scope, s, budget.Containers[s.Name], volumes, start)).ToList();

        // The volume fill comes first: every service, dependencies included, starts on filled volumes.
        var initContainers = VolumeFill.InitContainers(services, options.ToolsImage, budget, volumes) ?? new List<V1Container>();
        if (dns)
        {
            // As a sidecar it answers before any service starts; where the server runs no sidecars, beside them.
            var sidecar = StartOrder.SidecarsRun(options.ServerVersion);
            var server = DnsSidecar.Container(scope, options.DnsImage, sidecar, volumes);
            if (sidecar)
            {
                initContainers.Insert(0, server);
            }
            else
            {
                containers.Add(server);
            }
        }

        // A service's pre_start steps run after what it depends on and right before it; an ordinary container's after every
        // init container, so after its dependencies too.
        foreach (var service in start.InitOrder.Select(name => services.Single(s => s.Name == name)))
        {
            initContainers.AddRange(PreStart(scope, service, budget.Containers[service.Name], volumes));
            initContainers.Add(Container(scope, service, budget.Containers[service.Name], volumes, start));
        }

        initContainers.AddRange(services.Where(s => start.RoleOf(s) == StartRole.Container).SelectMany(s => PreStart(scope, s, budget.Containers[s.Name], volumes)));

        var deployment = new V1Deployment
        {
            ApiVersion = "apps/v1",
            Kind = "Deployment",
            Metadata = scope.Metadata(scope.AppName),
            Spec = new V1DeploymentSpec
            {
                Replicas = 1,

                // One disk (ReadWriteOnce) and one set of ports: the old Pod must be gone before the new one starts.
                Strategy = new V1DeploymentStrategy { Type = "Recreate" },
                Selector = new V1LabelSelector { MatchLabels = new SortedDictionary<string, string>(StringComparer.Ordinal) { [KompoxMetadata.NameLabel] = scope.AppName } },
                Template = new V1PodTemplateSpec
                {
                    Metadata = new V1ObjectMeta
                    {
                        Labels = scope.Labels(),
                        Annotations = new SortedDictionary<string, string>(StringComparer.Ordinal) { [KompoxMetadata.ConfigHashAnnotation] = ContentHash(contents) },
                    },
                    Spec = new V1PodSpec
                    {
                        // Compose apps do not talk to the Kubernetes API; a token in the Pod would only be a risk.
                        AutomountServiceAccountToken = false,

                        // Docker injects no *_SERVICE_HOST/*_PORT variables; some images misread them (e.g. DB_PORT=tcp://...).
                        EnableServiceLinks = false,
                        HostAliases = settings.HostAliases.ToList(),
                        DnsPolicy = settings.DnsPolicy,
                        DnsConfig = settings.DnsConfig,
                        TerminationGracePeriodSeconds = settings.TerminationGracePeriodSeconds,
                        ShareProcessNamespace = settings.ShareProcessNamespace ? true : null,
                        Hostname = settings.Hostname,
                        RuntimeClassName = settings.RuntimeClassName,
                        NodeSelector = settings.NodeSelector is { } selector ? new Dictionary<string, string>(selector) : null,

                        // Docker confines every container with its default seccomp profile; a kubelet runs them unconfined
                        // unless told. At Pod level it covers init containers too.
                        SecurityContext = new V1PodSecurityContext
                        {
                            SeccompProfile = new V1SeccompProfile { Type = "RuntimeDefault" },
                            Sysctls = settings.Sysctls.Count > 0 ? settings.Sysctls.ToList() : null,
                        },
                        InitContainers = initContainers.Count > 0 ? initContainers : null,
                        Containers = containers,
                        Volumes = volumes.Values.ToList(),
                    },
                },
            },
        };

        return contents.Append(deployment);
    }

    public static string ContainerName(ComposeService service) => KubeNames.ToDnsLabel(service.Name)!;

    /// <summary>
    /// The Pod's containers that are the app's services, in the Pod's order: the init containers that run a service (a
    /// depends_on dependency, StartOrder) and then the ordinary ones; Kompox's own (volume fill, DNS) and pre_start steps are left out.
    /// </summary>
    public static IEnumerable<string> ServiceContainers(V1PodSpec spec) =>
        (spec.InitContainers ?? new List<V1Container>()).Select(c => c.Name).Where(n => !VolumeFill.IsReserved(n) && n != DnsSidecar.ContainerName && !PreStartSteps.IsReserved(n))
            .Concat(spec.Containers.Select(c => c.Name).Where(n => n != DnsSidecar.ContainerName));

    /// <summary>Compose's <c>pull_policy</c>; unset when not written, so that Kubernetes' default for the tag applies as Docker's does.</summary>
    public static string? ImagePullPolicy(ComposeService service) => service.PullPolicy switch
    {
        ComposePullPolicy.Missing => "IfNotPresent",
        ComposePullPolicy.Always => "Always",
        ComposePullPolicy.Never => "Never",
        _ => null,
    };

    public static string EnvironmentSecretName(AppScope scope, ComposeService service) => $"{scope.AppName}-env-{ContainerName(service)}";

    /// <summary>Services reach each other by name, as on a compose network; in one Pod they are all on localhost.</summary>
    public static List<string> HostNames(IEnumerable<ComposeService> services)
    {
        var names = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var service in services)
        {
            if (KubeNames.ToDnsLabel(service.Name) is { } label)
            {
                names.Add(label);
            }

            var lower = service.Name.ToLowerInvariant();
            if (Names.CheckDnsSubdomain(lower) is null)
            {
                names.Add(lower);
            }
        }

        return names.ToList();
    }

    private static IEnumerable<V1Secret> EnvironmentSecrets(AppScope scope, IEnumerable<ComposeService> services)
    {
        V1Secret Secret(string name, IReadOnlyDictionary<string, string> environment) => new()
        {
            ApiVersion = "v1",
            Kind = "Secret",
            Metadata = scope.Metadata(name),
            Type = "Opaque",
            Data = new SortedDictionary<string, byte[]>(
                environment.ToDictionary(e => e.Key, e => Encoding.UTF8.GetBytes(e.Value), StringComparer.Ordinal),
                StringComparer.Ordinal),
        };

        foreach (var service in services)
        {
            if (service.Environment.Count > 0)
            {
                yield return Secret(EnvironmentSecretName(scope, service), service.Environment);
            }

            // A pre_start step's own environment, laid over the service's by envFrom.
            for (var i = 0; i < service.PreStart.Count; i++)
            {
                if (service.PreStart[i].Environment.Count > 0)
                {
                    yield return Secret(StepSecretName(scope, ContainerName(service), i), service.PreStart[i].Environment);
                }
            }
        }
    }

    private static IEnumerable<IKubernetesObject<V1ObjectMeta>> ContentObjects(AppScope scope, ComposeProject project, IReadOnlyList<ComposeService> services)
    {
        foreach (var name in services.SelectMany(s => s.Configs).Select(c => c.Source).Distinct().Order(StringComparer.Ordinal))
        {
            yield return ConfigMap(scope, ContentNames.ObjectName(scope.AppName, "configs", name), project.Configs[name].Content);
        }

        var fileBinds = services.SelectMany(s => s.Volumes).Where(m => m.Kind == MountKind.File)
            .DistinctBy(m => FileBinds.ConfigMapName(scope, m))
            .OrderBy(m => FileBinds.ConfigMapName(scope, m), StringComparer.Ordinal);
        foreach (var file in fileBinds)
        {
            yield return ConfigMap(scope, FileBinds.ConfigMapName(scope, file), file.FileContent!);
        }

        foreach (var name in services.SelectMany(s => s.Secrets).Select(c => c.Source).Distinct().Order(StringComparer.Ordinal))
        {
            yield return new V1Secret
            {
                ApiVersion = "v1",
                Kind = "Secret",
                Metadata = scope.Metadata(ContentNames.ObjectName(scope.AppName, "secrets", name)),
                Type = "Opaque",
                Data = new SortedDictionary<string, byte[]>(StringComparer.Ordinal) { [ContentNames.ContentKey] = project.Secrets[name].Content },
            };
        }
    }

    // Text as data, so that it reads in the manifest; anything else byte for byte as binaryData.
    private static V1ConfigMap ConfigMap(AppScope scope, string name, byte[] content)
    {
        var configMap = new V1ConfigMap { ApiVersion = "v1", Kind = "ConfigMap", Metadata = scope.Metadata(name) };
        if (TryDecodeUtf8(content) is { } text)
        {
            configMap.Data = new SortedDictionary<string, string>(StringComparer.Ordinal) { [ContentNames.ContentKey] = text };
        }
        else
        {
            configMap.BinaryData = new SortedDictionary<string, byte[]>(StringComparer.Ordinal) { [ContentNames.ContentKey] = content };
        }

        return configMap;
    }

    private static string? TryDecodeUtf8(byte[] bytes)
    {
        try
        {
            return new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(bytes);
        }
        catch (DecoderFallbackException)
        {
            return null;
        }
    }

    /// <summary>
    /// SHA-256 (hex) over every ConfigMap and Secret the Pod reads: kind, name, then each key and its bytes, each
    /// length-prefixed so that no two different contents hash alike. A Pod reads env and subPath files only at start,
    /// so a changed digest in the template is what restarts it.
    /// </summary>
    private static string ContentHash(IEnumerable<IKubernetesObject<V1ObjectMeta>> contents)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        void Add(byte[] bytes)
        {
            hash.AppendData(BitConverter.GetBytes(bytes.Length));
            hash.AppendData(bytes);
        }

        foreach (var item in contents.OrderBy(c => c.Kind, StringComparer.Ordinal).ThenBy(c => c.Metadata.Name, StringComparer.Ordinal))
        {
            Add(Encoding.UTF8.GetBytes(item.Kind));
            Add(Encoding.UTF8.GetBytes(item.Metadata.Name));
            var entries = item switch
            {
                V1Secret secret => secret.Data?.Select(e => (e.Key, e.Value)),
                V1ConfigMap map => (map.Data?.Select(e => (e.Key, Encoding.UTF8.GetBytes(e.Value))) ?? Enumerable.Empty<(string, byte[])>())
                    .Concat(map.BinaryData?.Select(e => (e.Key, e.Value)) ?? Enumerable.Empty<(string, byte[])>()),
                _ => null,
            };
            foreach (var (key, value) in (entries ?? Enumerable.Empty<(string, byte[])>()).OrderBy(e => e.Item1, StringComparer.Ordinal))
            {
                Add(Encoding.UTF8.GetBytes(key));
                Add(value);
            }
        }

        return Convert.ToHexString(hash.GetHashAndReset()).ToLowerInvariant();
    }

    private static V1Container Container(AppScope scope, ComposeService service, V1ResourceRequirements resources, SortedDictionary<string, V1Volume> volumes, StartOrder start)
    {
        var name = ContainerName(service);
        var (command, args) = ContainerCommand.Map(service);
        var role = start.RoleOf(service);
        return new V1Container
        {
            Name = name,
            Image = service.Image,
            ImagePullPolicy = ImagePullPolicy(service),
            Command = command,
            Args = args,
            WorkingDir = service.WorkingDir,
            EnvFrom = service.Environment.Count > 0
                ? new List<V1EnvFromSource> { new() { SecretRef = new V1SecretEnvSource { Name = EnvironmentSecretName(scope, service) } } }
                : null,
            Ports = ContainerPorts(service),
            // Docker never withholds traffic for a healthcheck; readiness only gates the ingress, so only a service that
            // publishes a port may make the Pod unready (a failing worker must not take the app's hosts offline). A plain
            // init container runs to its end and has nothing to probe.
            ReadinessProbe = role != StartRole.Init && Publishes(service) ? ReadinessProbe(service.Healthcheck) : null,
            StartupProbe = role == StartRole.Sidecar && start.WaitedHealthy.Contains(service.Name) ? StartupProbe(service.Healthcheck!) : null,
            RestartPolicy = role == StartRole.Sidecar ? "Always" : null,
            Resources = resources,
            SecurityContext = SecurityContext(service),
            VolumeMounts = Mounts(scope, service, name, volumes),
            Tty = service.Tty ? true : null,
            Stdin = service.StdinOpen ? true : null,
            Lifecycle = LifecycleHooks.Build(service),
        };
    }

    /// <summary>
    /// A service's pre_start steps as init containers: each with the service's mounts (the same Pod volumes, so what a step
    /// writes the service sees), its environment overlaid by the step's, the step's image, command and user, and the
    /// service's resources.
    /// </summary>
    private static IEnumerable<V1Container> PreStart(AppScope scope, ComposeService service, V1ResourceRequirements resources, SortedDictionary<string, V1Volume> volumes)
    {
        var containerName = ContainerName(service);
        for (var i = 0; i < service.PreStart.Count; i++)
        {
            var step = service.PreStart[i];
            var environment = new List<V1EnvFromSource>();
            if (service.Environment.Count > 0)
            {
                environment.Add(new() { SecretRef = new V1SecretEnvSource { Name = EnvironmentSecretName(scope, service) } });
            }

            // Of two envFrom sources holding one key, the last wins (kubernetes.io/docs/tasks/inject-data-application/distribute-credentials-secure).
            if (step.Environment.Count > 0)
            {
                environment.Add(new() { SecretRef = new V1SecretEnvSource { Name = StepSecretName(scope, containerName, i) } });
            }

            yield return new V1Container
            {
                Name = PreStartSteps.ContainerName(containerName, i),
                Image = step.Image ?? service.Image,
                ImagePullPolicy = step.Image is null ? ImagePullPolicy(service) : null,

                // command replaces the image's CMD and keeps its ENTRYPOINT, as args do; the kubelet's $(VAR) expansion is escaped.
                Args = step.Command is { Count: > 0 } command ? ContainerCommand.Escape(command) : null,
                WorkingDir = step.WorkingDir ?? service.WorkingDir,
                EnvFrom = environment.Count > 0 ? environment : null,
                Resources = resources,
                SecurityContext = SecurityContext(service, PreStartSteps.User(service, step)),
                VolumeMounts = Mounts(scope, service, containerName, volumes),
            };
        }
    }

    private static string StepSecretName(AppScope scope, string containerName, int index) => $"{scope.AppName}-env-{PreStartSteps.ContainerName(containerName, index)}";

    private static List<V1ContainerPort>? ContainerPorts(ComposeService service)
    {
        var ports = service.Ports.Select(p => (p.Target, p.Protocol))
            .Concat(service.Expose.Select(e => (Target: e.Port, e.Protocol)))
            .Distinct()
            .OrderBy(p => p.Target)
            .ThenBy(p => p.Protocol)
            .Select(p =>
            {
                var protocol = p.Protocol == PortProtocol.Udp ? "UDP" : "TCP";
                return new V1ContainerPort { Name = $"{protocol.ToLowerInvariant()}-{p.Target}", ContainerPort = p.Target, Protocol = protocol };
            })
            .ToList();
        return ports.Count > 0 ? ports : null;
    }

    /// <summary>
    /// Compose's healthcheck as a readiness probe: Docker marks a failing container unhealthy and never restarts it, which is
    /// what readiness does (a liveness probe would restart it). Timings follow Docker's health monitor (moby
    /// daemon/health.go): unset or 0 means Docker's default (interval 30s, timeout 30s, 3 retries, start_interval 5s); the
    /// first check comes one interval after the start, or one start_interval when a start_period is set, so that is the
    /// initial delay. After that Kubernetes has one period, the interval; Docker checks every start_interval until the end of
    /// the start period, so a container that is slow to start may become ready up to one interval later than Docker would
    /// call it healthy. A failing check before the first success keeps the Pod unready, as Docker's "starting" state does,
    /// so the start period needs nothing more.
    /// </summary>
    public static V1Probe? ReadinessProbe(ComposeHealthcheck? healthcheck)
    {
        if (healthcheck is null || healthcheck.Test.Count == 0)
        {
            return null;
        }

        var command = ContainerCommand.Escape(healthcheck.Kind == HealthcheckKind.Exec
            ? healthcheck.Test
            : new[] { "/bin/sh", "-c", string.Join(' ', healthcheck.Test) });
        var interval = OrDefault(healthcheck.Interval, DockerDefaultInterval);
        var firstCheck = healthcheck.StartPeriod > TimeSpan.Zero ? OrDefault(healthcheck.StartInterval, DockerDefaultStartInterval) : interval;
        return new V1Probe
        {
            Exec = new V1ExecAction { Command = command },
            InitialDelaySeconds = WholeSeconds(firstCheck),
            PeriodSeconds = WholeSeconds(interval),
            TimeoutSeconds = WholeSeconds(OrDefault(healthcheck.Timeout, DockerDefaultTimeout)),
            FailureThreshold = healthcheck.Retries is > 0 and var retries ? retries : DockerDefaultRetries,
        };
    }

    /// <summary>
    /// The healthcheck as the startupProbe of a sidecar others wait for (service_healthy): the next containers start once it
    /// passes, as Compose starts dependents once the dependency is healthy. Checks come every start_interval during the
    /// start period and every interval after it, and Docker counts no failure inside the start period; the probe has one
    /// period, so failures allowed are the retries plus the checks that fit in the start period.
    /// </summary>
    private static V1Probe StartupProbe(ComposeHealthcheck healthcheck)
    {
        var probe = ReadinessProbe(healthcheck)!;
        if (healthcheck.StartPeriod > TimeSpan.Zero)
        {
            var startInterval = OrDefault(healthcheck.StartInterval, DockerDefaultStartInterval);
            probe.PeriodSeconds = WholeSeconds(startInterval);
            probe.FailureThreshold += (int)Math.Ceiling(healthcheck.StartPeriod.Value.TotalSeconds / probe.PeriodSeconds.Value);
        }

        return probe;
    }

    /// <summary>A port reaches the ingress (loopback-published ones stay in the Pod).</summary>
    private static bool Publishes(ComposeService service) => service.Ports.Any(p => !Exposure.IsLoopback(p.HostIp));

    private static TimeSpan OrDefault(TimeSpan? span, TimeSpan fallback) => span > TimeSpan.Zero ? span.Value : fallback;

    // Kubernetes probes count whole seconds and reject 0; rounding up never probes sooner than compose would.
    private static int WholeSeconds(TimeSpan span) => Math.Max(1, (int)Math.Ceiling(span.TotalSeconds));

    private static V1SecurityContext? SecurityContext(ComposeService service) => SecurityContext(service, service.User);

    private static V1SecurityContext? SecurityContext(ComposeService service, string? runAs)
    {
        long? uid = null;
        long? gid = null;
        if (runAs is { } user && ComposeRules.TryParseUser(user, out var parsedUid, out var parsedGid))
        {
            uid = parsedUid;
            gid = parsedGid;
        }

        var capabilities = service.CapAdd.Count > 0 || service.CapDrop.Count > 0
            ? new V1Capabilities { Add = service.CapAdd.Count > 0 ? service.CapAdd.ToList() : null, Drop = service.CapDrop.Count > 0 ? service.CapDrop.ToList() : null }
            : null;
        if (uid is null && capabilities is null && !service.ReadOnlyRootFilesystem && !service.NoNewPrivileges)
        {
            return null;
        }

        return new V1SecurityContext
        {
            RunAsUser = uid,
            RunAsGroup = gid,
            Capabilities = capabilities,
            ReadOnlyRootFilesystem = service.ReadOnlyRootFilesystem ? true : null,

            // security_opt no-new-privileges sets the kernel's no_new_privs bit, which is what this field controls.
            AllowPrivilegeEscalation = service.NoNewPrivileges ? false : null,
        };
    }

    private static List<V1VolumeMount>? Mounts(AppScope scope, ComposeService service, string containerName, SortedDictionary<string, V1Volume> volumes)
    {
        var mounts = new List<V1VolumeMount>();
        foreach (var mount in service.Volumes)
        {
            if (mount.Kind == MountKind.File)
            {
                var volumeName = FileBinds.VolumeName(mount);
                volumes[volumeName] = new V1Volume
                {
                    Name = volumeName,
                    ConfigMap = new V1ConfigMapVolumeSource { Name = FileBinds.ConfigMapName(scope, mount), DefaultMode = mount.FileExecutable ? FileBinds.ExecutableMode : null },
                };
                mounts.Add(new V1VolumeMount { Name = volumeName, MountPath = mount.Target, SubPath = ContentNames.ContentKey, ReadOnlyProperty = true });
                continue;
            }

            var subPath = mount.Kind switch
            {
                MountKind.Volume => MountPaths.Volume(mount.Source!, mount.SubPath, out _),
                MountKind.Bind => MountPaths.Bind(mount.Source!, out _),
                // An anonymous volume taken through volumes_from is the same volume: its service's directory.
                _ => MountPaths.Anonymous(mount.FromService is { } owner ? KubeNames.ToDnsLabel(owner)! : containerName, mount.Target, out _),
            };
            mounts.Add(new V1VolumeMount { Name = DataVolume, MountPath = mount.Target, SubPath = subPath, ReadOnlyProperty = mount.ReadOnly ? true : null });
        }

        foreach (var tmpfs in service.Tmpfs)
        {
            var volumeName = $"tmpfs-{KubeNames.Base36Hash($"{containerName}:{tmpfs.Target}")}";
            volumes[volumeName] = new V1Volume
            {
                Name = volumeName,
                EmptyDir = new V1EmptyDirVolumeSource
                {
                    Medium = "Memory",
                    SizeLimit = tmpfs.SizeBytes is { } size ? new ResourceQuantity(ResourceBudget.FormatMemory(size)) : null,
                },
            };
            mounts.Add(new V1VolumeMount { Name = volumeName, MountPath = tmpfs.Target });
        }

        // Docker sizes the container's own /dev/shm; a memory emptyDir of that size there is the same.
        if (service.ShmSizeBytes is { } shmSize)
        {
            var volumeName = $"shm-{KubeNames.Base36Hash(containerName)}";
            volumes[volumeName] = new V1Volume
            {
                Name = volumeName,
                EmptyDir = new V1EmptyDirVolumeSource { Medium = "Memory", SizeLimit = new ResourceQuantity(ResourceBudget.FormatMemory(shmSize)) },
            };
            mounts.Add(new V1VolumeMount { Name = volumeName, MountPath = ShmPath });
        }

        // Configs become ConfigMaps and secrets Secrets; both mount the one content key read-only at the target.
        void MountContent(string section, ComposeFileMount file, Func<string, List<V1KeyToPath>, V1Volume> volume)
        {
            var volumeName = ContentNames.VolumeName(section, KubeNames.ToDnsLabel(file.Source)!, file.Mode);
            volumes[volumeName] = volume(ContentNames.ObjectName(scope.AppName, section, file.Source), ContentItems(file.Mode));
            volumes[volumeName].Name = volumeName;
            mounts.Add(new V1VolumeMount { Name = volumeName, MountPath = file.Target, SubPath = ContentNames.ContentKey, ReadOnlyProperty = true });
        }

        foreach (var config in service.Configs)
        {
            MountContent("configs", config, (name, items) => new V1Volume { ConfigMap = new V1ConfigMapVolumeSource { Name = name, Items = items } });
        }

        foreach (var secret in service.Secrets)
        {
            MountContent("secrets", secret, (name, items) => new V1Volume { Secret = new V1SecretVolumeSource { SecretName = name, Items = items } });
        }

        // Sorted by path, a parent directory is mounted before what is mounted inside it.
        return mounts.Count > 0 ? mounts.OrderBy(m => m.MountPath, StringComparer.Ordinal).ToList() : null;
    }

    private static List<V1KeyToPath> ContentItems(int? mode) =>
        new() { new V1KeyToPath { Key = ContentNames.ContentKey, Path = ContentNames.ContentKey, Mode = mode } };
}
