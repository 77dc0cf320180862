namespace Kompox.Compose;

// The compose file after loading: interpolated, merged (anchors, << and extends), profiles applied,
// short syntax expanded to long syntax, and typed. Everything Kompox converts is here; what it only
// warns about (restart, depends_on, networks, ...) is reported by the loader and dropped.
// Collections are ordered deterministically: services, volumes, configs and secrets by name (ordinal),
// list-valued keys in file order.

/// <summary>A loaded compose project.</summary>
public sealed record ComposeProject
{
    /// <summary>Top-level <c>name</c>, or null.</summary>
    public string? Name { get; init; }

    /// <summary>Active services (no profile, or a selected one; not scaled to 0), sorted by name.</summary>
    public required IReadOnlyList<ComposeService> Services { get; init; }

    /// <summary>Top-level named volumes, by name.</summary>
    public required IReadOnlyDictionary<string, ComposeVolume> Volumes { get; init; }

    /// <summary>Top-level configs, by name, with their content read.</summary>
    public required IReadOnlyDictionary<string, ComposeContent> Configs { get; init; }

    /// <summary>Top-level secrets, by name, with their content read.</summary>
    public required IReadOnlyDictionary<string, ComposeContent> Secrets { get; init; }

    /// <summary>Warnings found while loading (keys with no effect in one Pod, variables not set, local files not carried).</summary>
    public required IReadOnlyList<Diagnostic> Warnings { get; init; }
}

/// <summary>A top-level named volume. Every named volume becomes a sub-directory of the app's one disk.</summary>
public sealed record ComposeVolume(string Name, SourceMark At)
{
    /// <summary><c>external: true</c>: Docker does not create the volume and refuses to start when it does not exist.</summary>
    public bool External { get; init; }
}

/// <summary>A top-level config or secret: its content (byte for byte for a file), from <c>file</c>, <c>content</c> or <c>environment</c>.</summary>
public sealed record ComposeContent(string Name, byte[] Content, SourceMark At);

public sealed record ComposeService
{
    /// <summary>The key under <c>services</c>.</summary>
    public required string Name { get; init; }

    public required SourceMark At { get; init; }

    public string? Image { get; init; }

    /// <summary><c>profiles</c>: the profiles that enable the service; empty for a service always enabled.</summary>
    public IReadOnlyList<string> Profiles { get; init; } = [];

    /// <summary>Exec form; a string in the file is split with shell word rules. Null when not set.</summary>
    public IReadOnlyList<string>? Entrypoint { get; init; }

    /// <summary>Exec form; a string in the file is split with shell word rules. Null when not set.</summary>
    public IReadOnlyList<string>? Command { get; init; }

    public string? WorkingDir { get; init; }

    /// <summary><c>hostname</c>: the container's host name, or null (Docker's is the container id; a Pod's its name).</summary>
    public string? Hostname { get; init; }

    /// <summary><c>platform</c> as written: <c>os[/arch[/variant]]</c>, such as <c>linux/arm64</c>.</summary>
    public string? Platform { get; init; }

    /// <summary><c>runtime</c>: the Docker runtime (<c>runc</c> by default, <c>nvidia</c>, <c>runsc</c>...).</summary>
    public string? Runtime { get; init; }

    /// <summary><c>stop_grace_period</c>, or null (Docker waits 10 seconds).</summary>
    public TimeSpan? StopGracePeriod { get; init; }

    /// <summary><c>extra_hosts</c>, in file order; <c>host-gateway</c> entries are left out by the loader with a warning.</summary>
    public IReadOnlyList<ComposeHostEntry> ExtraHosts { get; init; } = Array.Empty<ComposeHostEntry>();

    /// <summary><c>dns</c> name server addresses, in file order.</summary>
    public IReadOnlyList<string> Dns { get; init; } = Array.Empty<string>();

    /// <summary><c>dns_search</c> domains, in file order.</summary>
    public IReadOnlyList<string> DnsSearch { get; init; } = Array.Empty<string>();

    /// <summary><c>dns_opt</c> resolver options (<c>ndots:2</c>, <c>use-vc</c>), in file order.</summary>
    public IReadOnlyList<string> DnsOptions { get; init; } = Array.Empty<string>();

    /// <summary><c>security_opt: [no-new-privileges]</c> (or <c>no-new-privileges:true</c>).</summary>
    public bool NoNewPrivileges { get; init; }

    /// <summary><c>sysctls</c>, by name; whether Kubernetes allows each one is the converter's rule.</summary>
    public IReadOnlyDictionary<string, string> Sysctls { get; init; } = new SortedDictionary<string, string>(StringComparer.Ordinal);

    /// <summary><c>init: true</c>: an init process reaps zombies and forwards signals.</summary>
    public bool Init { get; init; }

    /// <summary><c>pull_policy</c>, or null when not written.</summary>
    public ComposePullPolicy? PullPolicy { get; init; }

    /// <summary><c>shm_size</c> in bytes, or null (the runtime's 64 MiB).</summary>
    public long? ShmSizeBytes { get; init; }

    /// <summary><c>user</c> as written: <c>1000</c>, <c>1000:1000</c>, or a name such as <c>postgres</c>.</summary>
    public string? User { get; init; }

    /// <summary><c>env_file</c> entries overlaid by <c>environment</c>, sorted by name. A value that interpolates to nothing is <c>""</c>; only a variable listed without any value (<c>- KEY</c>, <c>KEY:</c>) takes it from the environment, or is left out.</summary>
    public required IReadOnlyDictionary<string, string> Environment { get; init; }

    /// <summary>Published ports, ranges expanded to one entry per port, in file order.</summary>
    public required IReadOnlyList<ComposePort> Ports { get; init; }

    /// <summary><c>expose</c> entries (internal only), ranges expanded.</summary>
    public required IReadOnlyList<ComposeExpose> Expose { get; init; }

    public required IReadOnlyList<ComposeMount> Volumes { get; init; }

    public required IReadOnlyList<ComposeFileMount> Configs { get; init; }

    public required IReadOnlyList<ComposeFileMount> Secrets { get; init; }

    /// <summary>Null when there is none or it is disabled.</summary>
    public ComposeHealthcheck? Healthcheck { get; init; }

    /// <summary><c>deploy.resources.limits</c>, with <c>cpus</c> and <c>mem_limit</c> merged in.</summary>
    public ComposeResources? Limits { get; init; }

    /// <summary><c>deploy.resources.reservations</c>, with <c>mem_reservation</c> merged in.</summary>
    public ComposeResources? Reservations { get; init; }

    /// <summary><c>deploy.resources.reservations.devices</c> entries, in file order.</summary>
    public IReadOnlyList<ComposeDeviceRequest> DeviceRequests { get; init; } = Array.Empty<ComposeDeviceRequest>();

    /// <summary><c>tmpfs</c> and <c>volumes</c> entries of type tmpfs.</summary>
    public required IReadOnlyList<ComposeTmpfs> Tmpfs { get; init; }

    public bool Privileged { get; init; }

    public string? NetworkMode { get; init; }

    public string? Pid { get; init; }

    public string? Ipc { get; init; }

    public required IReadOnlyList<string> Devices { get; init; }

    /// <summary>Capability names upper-cased, without the <c>CAP_</c> prefix.</summary>
    public required IReadOnlyList<string> CapAdd { get; init; }

    public required IReadOnlyList<string> CapDrop { get; init; }

    public bool ReadOnlyRootFilesystem { get; init; }

    public bool Tty { get; init; }

    public bool StdinOpen { get; init; }

    /// <summary><c>depends_on</c>, in file order; a list entry waits for <see cref="DependencyCondition.Started"/>.</summary>
    public IReadOnlyList<ComposeDependency> DependsOn { get; init; } = Array.Empty<ComposeDependency>();

    /// <summary><c>volumes_from</c> entries as written; the mounts they bring are already in <see cref="Volumes"/> (<see cref="ComposeMount.FromService"/>).</summary>
    public IReadOnlyList<ComposeVolumesFrom> VolumesFrom { get; init; } = Array.Empty<ComposeVolumesFrom>();

    /// <summary><c>post_start</c> hooks, in file order: run in the container once it has started.</summary>
    public IReadOnlyList<ComposeHook> PostStart { get; init; } = Array.Empty<ComposeHook>();

    /// <summary><c>pre_stop</c> hooks, in file order: run in the container before it is stopped.</summary>
    public IReadOnlyList<ComposeHook> PreStop { get; init; } = Array.Empty<ComposeHook>();

    /// <summary><c>pre_start</c> steps, in file order: each runs to completion in a container of its own before the service starts.</summary>
    public IReadOnlyList<ComposeHook> PreStart { get; init; } = Array.Empty<ComposeHook>();

    /// <summary><c>x-kompox-snapshot</c>: commands run in the service's container around a snapshot of the app's disk; null when none.</summary>
    public ComposeSnapshotHooks? SnapshotHooks { get; init; }

    /// <summary>Where each key of the service was written, by key path below the service (e.g. <c>ports[1]</c>), for errors.</summary>
    public required IReadOnlyDictionary<string, SourceMark> Marks { get; init; }
}

/// <summary>An <c>extra_hosts</c> entry: <paramref name="Host"/> resolves to <paramref name="Ip"/>.</summary>
public sealed record ComposeHostEntry(string Host, string Ip, string KeyPath, SourceMark At);

/// <summary>Compose's <c>pull_policy</c>: <c>missing</c> (also <c>if_not_present</c>), <c>always</c>, <c>never</c>; <c>daily</c>, <c>weekly</c> and <c>every_*</c> read as <c>always</c>.</summary>
public enum ComposePullPolicy
{
    Missing,
    Always,
    Never,
}

public enum PortProtocol
{
    Tcp,
    Udp,
}

/// <summary>A published port: <c>Published</c> is the exposed port (Service, Ingress host), <c>Target</c> the container port.</summary>
/// <param name="Published">Null for <c>"80"</c> short syntax with no host port: then the exposed port is <paramref name="Target"/>.</param>
/// <param name="PublishedText">The published part as written, when it is not a plain number (so that the converter can reject it).</param>
/// <param name="HostIp">The host IP of <c>"127.0.0.1:8080:80"</c>, or null.</param>
public sealed record ComposePort(int Target, int? Published, string? PublishedText, PortProtocol Protocol, string? HostIp, string? Name, string KeyPath, SourceMark At)
{
    public int Exposed => Published ?? Target;
}

public sealed record ComposeExpose(int Port, PortProtocol Protocol, string KeyPath, SourceMark At);

public enum MountKind
{
    /// <summary>A named volume: <c>db:/var/lib/x</c>.</summary>
    Volume,

    /// <summary>A bind mount: <c>./conf:/etc/x</c>; <see cref="ComposeMount.Source"/> as written.</summary>
    Bind,

    /// <summary>No source: an anonymous volume <c>/var/lib/x</c>.</summary>
    Anonymous,

    /// <summary>A relative bind of one existing file (<c>./nginx.conf:/etc/nginx/nginx.conf</c>); its bytes are in <see cref="ComposeMount.FileContent"/>.</summary>
    File,
}

/// <param name="Source">Volume name, or bind path as written (relative paths start with <c>.</c>); null for anonymous.</param>
/// <param name="SourceFullPath">For binds and files: the path resolved against the project directory.</param>
public sealed record ComposeMount(MountKind Kind, string? Source, string? SourceFullPath, string Target, bool ReadOnly, string? SubPath, string KeyPath, SourceMark At)
{
    /// <summary><c>volume.nocopy</c> (or the short syntax mode <c>nocopy</c>): a new volume is not filled from the image.</summary>
    public bool NoCopy { get; init; }

    /// <summary>For <see cref="MountKind.File"/>: the file's bytes, exactly as on disk.</summary>
    public byte[]? FileContent { get; init; }

    /// <summary>For <see cref="MountKind.File"/>: the file has an execute bit (a bound script stays runnable).</summary>
    public bool FileExecutable { get; init; }

    /// <summary>
    /// The service that declared the mount when this service has it through <c>volumes_from</c> (then <see cref="KeyPath"/>
    /// and <see cref="At"/> are the <c>volumes_from</c> entry's); null for the service's own. An anonymous volume is that
    /// service's storage, and Docker fills nothing it mounts this way.
    /// </summary>
    public string? FromService { get; init; }
}

/// <summary>A <c>volumes_from</c> entry: every mount of <paramref name="Service"/>, read-only when <paramref name="ReadOnly"/> (<c>:ro</c>).</summary>
public sealed record ComposeVolumesFrom(string Service, bool ReadOnly, string KeyPath, SourceMark At);

/// <summary>
/// A <c>post_start</c>/<c>pre_stop</c> hook (compose-spec schema <c>service_hook</c>) or a <c>pre_start</c> step, which may
/// also name its <paramref name="Image"/>. <paramref name="Command"/> is the exec form (a string is split into shell words);
/// null when not written (a pre_start step then runs its image's own command). <paramref name="Environment"/> holds what the
/// hook adds to the service's environment.
/// </summary>
public sealed record ComposeHook(
    IReadOnlyList<string>? Command,
    string? User,
    bool Privileged,
    string? WorkingDir,
    IReadOnlyDictionary<string, string> Environment,
    string KeyPath,
    SourceMark At)
{
    /// <summary>A pre_start step's own image; null: the service's.</summary>
    public string? Image { get; init; }
}

/// <summary>A config or secret reference of a service, long syntax.</summary>
/// <param name="Target">Absolute path in the container (secrets default to <c>/run/secrets/&lt;source&gt;</c>, configs to <c>/&lt;source&gt;</c>).</param>
/// <param name="Mode">File mode (octal in the file), or null.</param>
public sealed record ComposeFileMount(string Source, string Target, int? Mode, string KeyPath, SourceMark At);

public enum HealthcheckKind
{
    /// <summary><c>["CMD", ...]</c>: the argv after CMD.</summary>
    Exec,

    /// <summary><c>["CMD-SHELL", "..."]</c> or a plain string: run with <c>/bin/sh -c</c>.</summary>
    Shell,
}

public sealed record ComposeHealthcheck(
    HealthcheckKind Kind,
    IReadOnlyList<string> Test,
    TimeSpan? Interval,
    TimeSpan? Timeout,
    int? Retries,
    TimeSpan? StartPeriod,
    SourceMark At)
{
    /// <summary><c>start_interval</c>: how often Docker checks during the start period (default 5s).</summary>
    public TimeSpan? StartInterval { get; init; }
}

/// <param name="Cpus">CPU count as written (<c>0.5</c>, <c>2</c>), or null.</param>
/// <param name="MemoryBytes">Memory in bytes, or null.</param>
public sealed record ComposeResources(string? Cpus, long? MemoryBytes, SourceMark At);

/// <param name="SizeBytes">The tmpfs size, or null for no limit.</param>
public sealed record ComposeTmpfs(string Target, long? SizeBytes, string KeyPath, SourceMark At);

/// <summary>compose-spec 05-services.md depends_on: what the dependent waits for before it starts.</summary>
public enum DependencyCondition
{
    /// <summary><c>service_started</c>: the dependency's container has started.</summary>
    Started,

    /// <summary><c>service_healthy</c>: the dependency's healthcheck has passed.</summary>
    Healthy,

    /// <summary><c>service_completed_successfully</c>: the dependency has run to completion with exit code 0.</summary>
    CompletedSuccessfully,
}

/// <summary>One <c>depends_on</c> entry. <paramref name="Required"/> false: a dependency that profiles leave out is ignored.</summary>
public sealed record ComposeDependency(string Service, DependencyCondition Condition, bool Required, string KeyPath, SourceMark At);

/// <summary>
/// A <c>deploy.resources.reservations.devices</c> entry. <paramref name="Count"/> is null for <c>count: all</c> or no count
/// (Docker then reserves every matching device); with <c>device_ids</c> it is their number.
/// </summary>
public sealed record ComposeDeviceRequest(IReadOnlyList<string> Capabilities, string? Driver, long? Count, IReadOnlyList<string> DeviceIds, string KeyPath, SourceMark At);

/// <summary>
/// A service's <c>x-kompox-snapshot</c>, as Velero's backup hooks (pre and post exec hooks per container, a timeout, on
/// error Fail or Continue): <paramref name="Pre"/> runs in order in the service's container before a snapshot of the app's
/// disk, <paramref name="Post"/> after it, also when it failed. Each command is an argv (a string is split by shell word
/// rules, as compose's <c>command</c>).
/// </summary>
/// <param name="Timeout">How long each command may run (<c>timeout</c>, default 60s).</param>
/// <param name="ContinueOnError"><c>on_error: continue</c>: a failing pre command is a warning and the snapshot is taken; <c>fail</c> (the default) takes none.</param>
public sealed record ComposeSnapshotHooks(IReadOnlyList<IReadOnlyList<string>> Pre, IReadOnlyList<IReadOnlyList<string>> Post, TimeSpan Timeout, bool ContinueOnError, SourceMark At)
{
    public const string Key = "x-kompox-snapshot";

    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(60);
}
