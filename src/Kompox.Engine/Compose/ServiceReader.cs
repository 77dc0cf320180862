using System.Globalization;
using Kompox.Yaml;

namespace Kompox.Compose;

/// <summary>What a service reader needs from the project around it.</summary>
internal sealed record ProjectContext(
    ProjectFiles Files,
    IReadOnlyDictionary<string, string> Variables,
    IReadOnlySet<string> ConfigNames,
    IReadOnlySet<string> SecretNames);

/// <summary>Reads one service (extends already applied) into a <see cref="ComposeService"/>.</summary>
internal sealed partial class ServiceReader : NodeReading
{
    // Keys compose knows that mean nothing in one Pod, with the reason shown to the user.
    private static readonly Dictionary<string, string> NoEffect = new(StringComparer.Ordinal)
    {
        ["restart"] = "Kubernetes restarts the containers of the Pod itself",
        ["networks"] = "all services share the Pod's network and reach each other by service name (mapped to 127.0.0.1)",
        ["container_name"] = "the container is named after the service",
        ["labels"] = "container labels have no counterpart on a container in a Pod",
        ["annotations"] = "container annotations have no counterpart on a container in a Pod",
        ["logging"] = "container logs go to the cluster's log collection",
        ["stop_signal"] = "Kubernetes stops the container with its image's STOPSIGNAL (SIGTERM if none)",
        ["domainname"] = "the Pod's DNS settings come from the cluster",
        ["links"] = "all services share the Pod's network",
        ["external_links"] = "all services share the Pod's network",
        ["mac_address"] = "the Pod's network is managed by the cluster",
        ["ulimits"] = "ulimits are set by the cluster's nodes",
        ["cpu_shares"] = "use deploy.resources.reservations.cpus",
        ["cpu_quota"] = "use deploy.resources.limits.cpus",
        ["cpu_period"] = "use deploy.resources.limits.cpus",
        ["cpuset"] = "CPU pinning is not available in a shared cluster",
        ["memswap_limit"] = "Kubernetes containers run without swap limits of their own",
        ["mem_swappiness"] = "Kubernetes containers run without swap limits of their own",
        ["oom_score_adj"] = "the OOM score is set by Kubernetes from the resources",
        ["oom_kill_disable"] = "the OOM killer is managed by Kubernetes",
        ["pids_limit"] = "process limits are set by the cluster's nodes",
        ["group_add"] = "supplementary groups are not mapped",
        ["userns_mode"] = "user namespaces are managed by the cluster",
        ["cgroup_parent"] = "cgroups are managed by Kubernetes",
        ["cgroup"] = "cgroups are managed by Kubernetes",
        ["uts"] = "the Pod's UTS namespace is managed by Kubernetes",
        ["isolation"] = "the cluster's container runtime is used",
        ["attach"] = "Kompox does not attach to container output",
        ["develop"] = "compose watch is a local development feature",
        ["gpus"] = "GPUs are not offered to apps",
        ["device_cgroup_rules"] = "devices are refused by the Pod Security baseline",
        ["blkio_config"] = "block I/O limits are not available in a shared cluster",
        ["storage_opt"] = "container storage is managed by the cluster",
        ["credential_spec"] = "Windows credential specs are not supported",
        ["label_file"] = "container labels have no counterpart on a container in a Pod",
        ["cpu_count"] = "use deploy.resources.limits.cpus",
        ["cpu_percent"] = "use deploy.resources.limits.cpus",
        ["cpu_rt_period"] = "real-time scheduling is not available in a shared cluster",
        ["cpu_rt_runtime"] = "real-time scheduling is not available in a shared cluster",
        ["pull_refresh_after"] = "Kubernetes pulls images by the pull policy alone",
        ["use_api_socket"] = "the Docker API socket is not available in a cluster",
        ["models"] = "AI models are not offered to apps",
        ["provider"] = "provider services are not run by Kompox",
    };

    // The service keys Kompox reads (the rest of the compose-spec schema's service properties are in NoEffect, or build).
    private static readonly string[] ReadKeys =
    [
        "image", "entrypoint", "command", "working_dir", "user", "environment", "env_file", "ports", "expose", "volumes", "configs",
        "secrets", "healthcheck", "deploy", "tmpfs", "privileged", "network_mode", "pid", "ipc", "devices", "cap_add", "cap_drop",
        "read_only", "tty", "stdin_open", "profiles", "extends", "scale", "stop_grace_period", "extra_hosts", "dns", "dns_search",
        "dns_opt", "security_opt", "sysctls", "init", "pull_policy", "shm_size", "cpus", "mem_limit", "mem_reservation", "hostname", "platform", "runtime",
        "depends_on", "volumes_from", "post_start", "pre_stop", "pre_start",
    ];

    private static readonly string[] ServiceKeys = ReadKeys.Concat(NoEffect.Keys).Append("build").ToArray();

    private static readonly string[] MountModes =
        ["ro", "rw", "z", "Z", "nocopy", "consistent", "cached", "delegated", "shared", "slave", "private", "rshared", "rslave", "rprivate", "copy"];

    private readonly string name;
    private readonly YMapping map;
    private readonly ProjectContext context;
    private readonly string root;
    private readonly Dictionary<string, SourceMark> marks = new(StringComparer.Ordinal);
    private readonly List<ComposeTmpfs> tmpfs = new();
    private readonly List<ComposeDeviceRequest> deviceRequests = new();

    public ServiceReader(ComposeProblems problems, string name, YMapping map, SourceMark at, ProjectContext context)
        : base(problems, name)
    {
        this.name = name;
        this.map = map;
        this.context = context;
        At = at;
        root = $"services.{name}";
    }

    private SourceMark At { get; }

    private string Path(string relative) => Join(root, relative);

    public ComposeService Read()
    {
        RecordMarks(map, string.Empty);
        var values = new Dictionary<string, YNode>(StringComparer.Ordinal);
        YNode? snapshotHooks = null;
        foreach (var (key, value) in map.Entries)
        {
            var k = key.Value;
            if (k == ComposeSnapshotHooks.Key)
            {
                snapshotHooks = value;
                continue;
            }

            if (k.StartsWith("x-", StringComparison.Ordinal))
            {
                continue;
            }

            if (NoEffect.TryGetValue(k, out var reason))
            {
                if (!WarnDropped(k, value, key.Start))
                {
                    NoEffectWarning(key.Start, Path(k), $"has no effect in one Pod: {reason}");
                }

                continue;
            }

            if (k == "build")
            {
                if (map.ContainsKey("image"))
                {
                    NoEffectWarning(key.Start, Path(k), "has no effect: Kompox does not build images; the image named by 'image' is used");
                }

                continue;
            }

            if (!ReadKeys.Contains(k, StringComparer.Ordinal))
            {
                Error(key.Start, Path(k), UnknownKey(k, ServiceKeys));
                continue;
            }

            // A key written with no value (`command:`) counts as not written, as in compose.
            if (value is YScalar { IsNull: true } && k != "environment")
            {
                continue;
            }

            values[k] = value;
        }

        string? image = null;
        if (values.TryGetValue("image", out var imageNode))
        {
            image = Text(imageNode, Path("image"));
            // A ${VAR:?} that failed has been reported already; its text is no image reference to judge.
            if (image is not null && !Problems.HasErrorAt(Path("image")) && ImageReference.Problem(image) is { } problem)
            {
                Error(imageNode, Path("image"), problem);
            }
        }
        else
        {
            var message = map.ContainsKey("build")
                ? "has no image: building images is not supported; build and push the image, then name it with 'image'"
                : "has no image: every service must name an image (Kompox cannot build images)";
            Error(At, root, message);
        }

        var environment = ReadEnvironment(values);
        var (limits, reservations) = ReadResources(values);
        var volumes = values.TryGetValue("volumes", out var v) ? ReadVolumes(v) : new List<ComposeMount>();
        if (values.TryGetValue("tmpfs", out var t))
        {
            ReadTmpfs(t);
        }

        return new ComposeService
        {
            Name = name,
            At = At,
            Image = image,
            Entrypoint = values.TryGetValue("entrypoint", out var entrypoint) ? ReadCommand(entrypoint, "entrypoint") : null,
            Command = values.TryGetValue("command", out var command) ? ReadCommand(command, "command") : null,
            WorkingDir = OptionalText(values, "working_dir"),
            Hostname = OptionalText(values, "hostname"),
            Platform = OptionalText(values, "platform"),
            Runtime = OptionalText(values, "runtime"),
            User = OptionalText(values, "user"),
            Environment = environment,
            Ports = values.TryGetValue("ports", out var ports) ? ReadPorts(ports) : new List<ComposePort>(),
            Expose = values.TryGetValue("expose", out var expose) ? ReadExpose(expose) : new List<ComposeExpose>(),
            Volumes = volumes,
            Configs = values.TryGetValue("configs", out var configs) ? ReadFileMounts(configs, "configs") : new List<ComposeFileMount>(),
            Secrets = values.TryGetValue("secrets", out var secrets) ? ReadFileMounts(secrets, "secrets") : new List<ComposeFileMount>(),
            Healthcheck = values.TryGetValue("healthcheck", out var healthcheck) ? ReadHealthcheck(healthcheck) : null,
            Limits = limits,
            Reservations = reservations,
            DeviceRequests = deviceRequests,
            StopGracePeriod = values.TryGetValue("stop_grace_period", out var grace) ? Duration(grace, Path("stop_grace_period")) : null,
            ExtraHosts = values.TryGetValue("extra_hosts", out var hosts) ? ReadExtraHosts(hosts) : Array.Empty<ComposeHostEntry>(),
            Dns = values.TryGetValue("dns", out var dns) ? Strings(dns, Path("dns"), allowSingle: true).Select(d => d.Value).ToList() : Array.Empty<string>(),
            DnsSearch = values.TryGetValue("dns_search", out var search) ? Strings(search, Path("dns_search"), allowSingle: true).Select(d => d.Value).ToList() : Array.Empty<string>(),
            DnsOptions = values.TryGetValue("dns_opt", out var options) ? Strings(options, Path("dns_opt"), allowSingle: false).Select(d => d.Value).ToList() : Array.Empty<string>(),
            NoNewPrivileges = values.TryGetValue("security_opt", out var security) && ReadSecurityOptions(security),
            Sysctls = values.TryGetValue("sysctls", out var sysctls) ? ReadSysctls(sysctls) : new SortedDictionary<string, string>(StringComparer.Ordinal),
            Init = OptionalBool(values, "init"),
            DependsOn = values.TryGetValue("depends_on", out var dependsOn) ? ReadDependsOn(dependsOn) : Array.Empty<ComposeDependency>(),
            VolumesFrom = values.TryGetValue("volumes_from", out var volumesFrom) ? ReadVolumesFrom(volumesFrom) : Array.Empty<ComposeVolumesFrom>(),
            PostStart = values.TryGetValue("post_start", out var postStart) ? ReadHooks(postStart, "post_start", step: false) : Array.Empty<ComposeHook>(),
            PreStop = values.TryGetValue("pre_stop", out var preStop) ? ReadHooks(preStop, "pre_stop", step: false) : Array.Empty<ComposeHook>(),
            PreStart = values.TryGetValue("pre_start", out var preStart) ? ReadHooks(preStart, "pre_start", step: true) : Array.Empty<ComposeHook>(),
            PullPolicy = values.TryGetValue("pull_policy", out var pull) ? ReadPullPolicy(pull) : null,
            ShmSizeBytes = values.TryGetValue("shm_size", out var shm) ? ByteSize(shm, Path("shm_size")) : null,
            Tmpfs = tmpfs,
            Privileged = OptionalBool(values, "privileged"),
            NetworkMode = OptionalText(values, "network_mode"),
            Pid = OptionalText(values, "pid"),
            Ipc = OptionalText(values, "ipc"),
            Devices = values.TryGetValue("devices", out var devices) ? ReadDevices(devices) : new List<string>(),
            CapAdd = ReadCapabilities(values, "cap_add"),
            CapDrop = ReadCapabilities(values, "cap_drop"),
            ReadOnlyRootFilesystem = OptionalBool(values, "read_only"),
            Tty = OptionalBool(values, "tty"),
            StdinOpen = OptionalBool(values, "stdin_open"),
            SnapshotHooks = snapshotHooks is null or YScalar { IsNull: true } ? null : ReadSnapshotHooks(snapshotHooks),
            Marks = new SortedDictionary<string, SourceMark>(marks, StringComparer.Ordinal),
        };
    }

    /// <summary><c>x-kompox-snapshot: {pre: [...], post: [...], timeout: 60s, on_error: fail|continue}</c>.</summary>
    private ComposeSnapshotHooks? ReadSnapshotHooks(YNode node)
    {
        var key = Path(ComposeSnapshotHooks.Key);
        if (Mapping(node, key) is not { } hooks)
        {
            return null;
        }

        RejectUnknownKeys(hooks, key, "pre", "post", "timeout", "on_error");
        List<IReadOnlyList<string>> Commands(string phase)
        {
            var commands = new List<IReadOnlyList<string>>();
            if (hooks[phase] is not { } list || list is YScalar { IsNull: true })
            {
                return commands;
            }

            if (list is not YSequence sequence)
            {
                Error(list, Join(key, phase), $"expected a list of commands, found {list.Describe()}");
                return commands;
            }

            for (var i = 0; i < sequence.Items.Count; i++)
            {
                var relative = $"{ComposeSnapshotHooks.Key}.{phase}[{i}]";
                if (ReadCommand(sequence.Items[i], relative) is { Count: > 0 } command)
                {
                    commands.Add(command);
                }
                else if (!Problems.HasErrorAt(Path(relative)))
                {
                    Error(sequence.Items[i], Path(relative), "is an empty command");
                }
            }

            return commands;
        }

        var timeout = Duration(hooks, key, "timeout");
        if (timeout is { } t && t <= TimeSpan.Zero)
        {
            Error(hooks["timeout"]!, Join(key, "timeout"), "must be above zero");
        }

        var onError = hooks["on_error"] is { } onErrorNode ? Text(onErrorNode, Join(key, "on_error")) : null;
        if (onError is not (null or "fail" or "continue"))
        {
            Error(hooks["on_error"]!, Join(key, "on_error"), $"'{onError}' is not fail or continue");
        }

        return new ComposeSnapshotHooks(Commands("pre"), Commands("post"), timeout is { } given && given > TimeSpan.Zero ? given : ComposeSnapshotHooks.DefaultTimeout, onError == "continue", node.Start);
    }

    private void RecordMarks(YNode node, string relative)
    {
        switch (node)
        {
            case YMapping mapping:
                foreach (var (key, value) in mapping.Entries.Where(e => !e.Key.Value.StartsWith("x-", StringComparison.Ordinal)))
                {
                    var keyPath = Join(relative, key.Value);
                    marks.TryAdd(keyPath, key.Start);
                    RecordMarks(value, keyPath);
                }

                break;
            case YSequence sequence:
                for (var i = 0; i < sequence.Items.Count; i++)
                {
                    marks.TryAdd(Item(relative, i), sequence.Items[i].Start);
                    RecordMarks(sequence.Items[i], Item(relative, i));
                }

                break;
        }
    }

    private string? OptionalText(Dictionary<string, YNode> values, string key) =>
        values.TryGetValue(key, out var node) ? Text(node, Path(key)) : null;

    private bool OptionalBool(Dictionary<string, YNode> values, string key) =>
        values.TryGetValue(key, out var node) && Bool(node, Path(key)) == true;

    private List<string>? ReadCommand(YNode node, string key)
    {
        if (node is YScalar scalar)
        {
            try
            {
                return ShellWords.Split(scalar.Value);
            }
            catch (FormatException e)
            {
                Error(node, Path(key), $"cannot be split into words: {e.Message}");
                return null;
            }
        }

        if (node is YSequence)
        {
            return Strings(node, Path(key), allowSingle: false).Select(s => s.Value).ToList();
        }

        Error(node, Path(key), $"expected a string or a list of strings, found {node.Describe()}");
        return null;
    }

    private List<string> ReadDevices(YNode node)
    {
        var result = new List<string>();
        if (Sequence(node, Path("devices")) is not { } sequence)
        {
            return result;
        }

        for (var i = 0; i < sequence.Items.Count; i++)
        {
            var key = Path(Item("devices", i));
            if (sequence.Items[i] is YMapping device)
            {
                if (device["source"] is { } source && Text(source, Join(key, "source")) is { } text)
                {
                    result.Add(text);
                }
                else if (device["source"] is null)
                {
                    Error(device, Join(key, "source"), "is required: the device path on the host");
                }
            }
            else if (Text(sequence.Items[i], key) is { } text)
            {
                result.Add(text);
            }
        }

        return result;
    }

    private List<string> ReadCapabilities(Dictionary<string, YNode> values, string key)
    {
        if (!values.TryGetValue(key, out var node))
        {
            return new List<string>();
        }

        return Strings(node, Path(key), allowSingle: false)
            .Select(s => s.Value.Trim().ToUpperInvariant())
            .Select(c => c.StartsWith("CAP_", StringComparison.Ordinal) ? c[4..] : c)
            .ToList();
    }

    private SortedDictionary<string, string> ReadEnvironment(Dictionary<string, YNode> values)
    {
        var result = new SortedDictionary<string, string>(StringComparer.Ordinal);
        if (values.TryGetValue("env_file", out var envFile))
        {
            ReadEnvFiles(envFile, result);
        }

        if (!values.TryGetValue("environment", out var environment) || environment is YScalar { IsNull: true })
        {
            return result;
        }

        ReadEnvironmentEntries(environment, Path("environment"), result);
        return result;
    }

    // compose-spec list_or_dict: KEY: value, or - KEY=value; a name without a value comes from the environment Kompox runs in.
    private void ReadEnvironmentEntries(YNode environment, string key, SortedDictionary<string, string> result)
    {
        switch (environment)
        {
            case YMapping mapping:
                foreach (var (k, value) in mapping.Entries)
                {
                    if (value is YScalar { IsNull: true })
                    {
                        SetFromProcess(result, k.Value);
                    }
                    else if (value is YScalar scalar)
                    {
                        result[k.Value] = scalar.Value;
                    }
                    else
                    {
                        Error(value, Join(key, k.Value), $"expected a string, number or boolean, found {value.Describe()}");
                    }
                }

                break;
            case YSequence:
                foreach (var (text, node, itemKey) in Strings(environment, key, allowSingle: false))
                {
                    var equals = text.IndexOf('=', StringComparison.Ordinal);
                    if (equals == 0 || text.Length == 0)
                    {
                        Error(node, itemKey, "has no variable name; entries are KEY=value or KEY");
                    }
                    else if (equals < 0)
                    {
                        SetFromProcess(result, text);
                    }
                    else
                    {
                        result[text[..equals]] = text[(equals + 1)..];
                    }
                }

                break;
            default:
                Error(environment, key, $"expected a mapping (KEY: value) or a list (- KEY=value), found {environment.Describe()}");
                break;
        }
    }

    // A variable listed without a value is passed through from the environment Kompox runs in, or left out.
    private void SetFromProcess(SortedDictionary<string, string> result, string variable)
    {
        if (context.Variables.TryGetValue(variable, out var value))
        {
            result[variable] = value;
        }
        else
        {
            result.Remove(variable);
        }
    }

    private void ReadEnvFiles(YNode node, SortedDictionary<string, string> result)
    {
        var key = Path("env_file");
        var items = node switch
        {
            YScalar => new List<(YNode Node, string Key)> { (node, key) },
            YSequence sequence => sequence.Items.Select((item, i) => (item, Item(key, i))).ToList(),
            _ => null,
        };
        if (items is null)
        {
            Error(node, key, $"expected a path or a list of paths, found {node.Describe()}");
            return;
        }

        foreach (var (item, itemKey) in items)
        {
            string? path;
            var required = true;
            var raw = false;
            if (item is YMapping entry)
            {
                RejectUnknownKeys(entry, itemKey, "path", "required", "format");
                path = entry["path"] is { } pathNode ? Text(pathNode, Join(itemKey, "path")) : null;
                if (entry["path"] is null)
                {
                    Error(entry, Join(itemKey, "path"), "is required: the env file to read");
                }

                if (entry["required"] is { } requiredNode)
                {
                    required = Bool(requiredNode, Join(itemKey, "required")) ?? true;
                }

                if (entry["format"] is { } formatNode && Text(formatNode, Join(itemKey, "format")) is { } format)
                {
                    // compose-go knows the default dotenv format and "raw" (values kept exactly as written).
                    raw = format == "raw";
                    if (format is not ("raw" or "dotenv"))
                    {
                        Error(formatNode, Join(itemKey, "format"), $"'{format}' is not an env file format; use raw, or leave it out for the dotenv format");
                    }
                }
            }
            else
            {
                path = Text(item, itemKey);
            }

            if (path is not null)
            {
                ReadEnvFile(path, required, raw, item, itemKey, result);
            }
        }
    }

    // compose-go interpolates env_file values with the project's variables (process environment over .env).
    private void ReadEnvFile(string path, bool required, bool raw, YNode item, string key, SortedDictionary<string, string> result)
    {
        var entries = ComposeLoader.ReadEnvFile(context.Files, path, optional: !required, raw, name => context.Variables.GetValueOrDefault(name),
            (line, message) =>
            {
                if (line is { } l)
                {
                    Problems.Error(new SourceMark(l, 1), key, message, Service, path);
                }
                else
                {
                    Error(item, key, $"env file {message}");
                }
            },
            (line, message) => Problems.Warning(new SourceMark(line, 1), key, message, Service, path));
        foreach (var entry in entries)
        {
            if (entry.Value is null)
            {
                SetFromProcess(result, entry.Key);
            }
            else
            {
                result[entry.Key] = entry.Value;
            }
        }
    }

    // The loader has checked the entries (ComposeLoader.CheckDependencies); here they are only typed.
    private List<ComposeDependency> ReadDependsOn(YNode node)
    {
        var path = Path("depends_on");
        if (node is not YMapping map)
        {
            return node is YSequence
                ? Strings(node, path, allowSingle: false).Select(d => new ComposeDependency(d.Value, DependencyCondition.Started, true, Relative(d.Key), d.Node.Start)).ToList()
                : new List<ComposeDependency>();
        }

        var result = new List<ComposeDependency>();
        foreach (var (key, value) in map.Entries)
        {
            var options = value as YMapping;
            var condition = (options?["condition"] as YScalar)?.Value switch
            {
                "service_healthy" => DependencyCondition.Healthy,
                "service_completed_successfully" => DependencyCondition.CompletedSuccessfully,
                _ => DependencyCondition.Started,
            };
            var required = (options?["required"] as YScalar)?.Value is not ("false" or "False" or "FALSE");
            result.Add(new ComposeDependency(key.Value, condition, required, $"depends_on.{key.Value}", key.Start));
        }

        return result;
    }

    private string Relative(string fullKey) => fullKey.StartsWith(root + ".", StringComparison.Ordinal) ? fullKey[(root.Length + 1)..] : fullKey;

    private ComposeHealthcheck? ReadHealthcheck(YNode node)
    {
        var key = Path("healthcheck");
        if (Mapping(node, key) is not { } check)
        {
            return null;
        }

        RejectUnknownKeys(check, key, "test", "interval", "timeout", "retries", "start_period", "start_interval", "disable");
        var interval = Duration(check, key, "interval");
        var timeout = Duration(check, key, "timeout");
        var startPeriod = Duration(check, key, "start_period");
        var startInterval = Duration(check, key, "start_interval");
        int? retries = null;
        if (check["retries"] is { } retriesNode && Integer(retriesNode, Join(key, "retries")) is { } count)
        {
            if (count < 0 || count > int.MaxValue)
            {
                Error(retriesNode, Join(key, "retries"), $"must be zero or more, not {count}");
            }
            else
            {
                retries = (int)count;
            }
        }

        if (check["disable"] is { } disableNode && Bool(disableNode, Join(key, "disable")) == true)
        {
            return null;
        }

        if (check["test"] is not { } test || test is YScalar { IsNull: true })
        {
            Warning(check.Start, Join(key, "test"), "no test is given; the image's own HEALTHCHECK is not used in Kubernetes, so there is no health check");
            return null;
        }

        var testKey = Join(key, "test");
        ComposeHealthcheck Check(HealthcheckKind kind, IReadOnlyList<string> words) =>
            new(kind, words, interval, timeout, retries, startPeriod, check.Start) { StartInterval = startInterval };

        if (test is YScalar shell)
        {
            return Check(HealthcheckKind.Shell, [shell.Value]);
        }

        var words = Strings(test, testKey, allowSingle: false).Select(s => s.Value).ToList();
        if (test is not YSequence)
        {
            return null;
        }

        switch (words.FirstOrDefault())
        {
            case "NONE":
                return null;
            case "CMD" when words.Count > 1:
                return Check(HealthcheckKind.Exec, words.Skip(1).ToList());
            case "CMD-SHELL" when words.Count == 2:
                return Check(HealthcheckKind.Shell, [words[1]]);
            case "CMD-SHELL":
                Error(test, testKey, "[\"CMD-SHELL\", ...] takes exactly one command string after CMD-SHELL");
                return null;
            case "CMD":
                Error(test, testKey, "[\"CMD\", ...] needs the command to run after CMD");
                return null;
            default:
                Error(test, testKey, "a test list starts with \"CMD\", \"CMD-SHELL\" or \"NONE\"");
                return null;
        }
    }

    private TimeSpan? Duration(YMapping parent, string path, string key) =>
        parent[key] is { } node and not YScalar { IsNull: true } ? Duration(node, Join(path, key)) : null;

    private TimeSpan? Duration(YNode node, string key)
    {
        if (Text(node, key) is not { } text)
        {
            return null;
        }

        if (Units.TryParseDuration(text, out var duration))
        {
            return duration;
        }

        Error(node, key, $"'{text}' is not a duration; write it like 30s, 1m30s, 1h or 500ms");
        return null;
    }

    private static readonly string[] DeployKeys =
        ["mode", "replicas", "labels", "update_config", "rollback_config", "resources", "restart_policy", "placement", "endpoint_mode"];

    // deploy.resources merged with the service-level cpus, mem_limit and mem_reservation. compose-go refuses a
    // service-level value that differs from its deploy.resources counterpart (loader/validate.go, "can't set
    // distinct values on 'cpus' and 'deploy.resources.limits.cpus'"); the same value twice is fine.
    private (ComposeResources? Limits, ComposeResources? Reservations) ReadResources(Dictionary<string, YNode> values)
    {
        YMapping? limitsSection = null;
        YMapping? reservationsSection = null;
        var deployKey = Path("deploy");
        if (values.TryGetValue("deploy", out var deployNode) && Mapping(deployNode, deployKey) is { } deploy)
        {
            RejectUnknownKeys(deploy, deployKey, DeployKeys);
            foreach (var (k, _) in deploy.Entries.Where(e => e.Key.Value is not ("resources" or "replicas") && DeployKeys.Contains(e.Key.Value, StringComparer.Ordinal)))
            {
                NoEffectWarning(k.Start, Join(deployKey, k.Value), "has no effect in one Pod: an app runs as one Pod with one replica, deployed with the Recreate strategy");
            }

            var resourcesKey = Join(deployKey, "resources");
            if (deploy["resources"] is { } resourcesNode and not YScalar { IsNull: true } && Mapping(resourcesNode, resourcesKey) is { } resources)
            {
                RejectUnknownKeys(resources, resourcesKey, "limits", "reservations");
                limitsSection = Section(resources, resourcesKey, "limits", "cpus", "memory", "pids");
                reservationsSection = Section(resources, resourcesKey, "reservations", "cpus", "memory", "generic_resources", "devices");
            }
        }

        if (reservationsSection?["devices"] is { } devicesNode and not YScalar { IsNull: true })
        {
            ReadDeviceRequests(devicesNode, Join(deployKey, "resources.reservations.devices"));
        }

        var limits = Resources(limitsSection, Join(deployKey, "resources.limits"), values, "cpus", "mem_limit");
        var reservations = Resources(reservationsSection, Join(deployKey, "resources.reservations"), values, null, "mem_reservation");
        return (limits, reservations);
    }

    // compose-spec deploy.md devices: capabilities (required), driver, count (an integer or all; all when left out),
    // device_ids (exclusive with count), options.
    private void ReadDeviceRequests(YNode node, string key)
    {
        if (Sequence(node, key) is not { } list)
        {
            return;
        }

        for (var i = 0; i < list.Items.Count; i++)
        {
            var itemKey = Item(key, i);
            if (Mapping(list.Items[i], itemKey) is not { } device)
            {
                continue;
            }

            RejectUnknownKeys(device, itemKey, "capabilities", "driver", "count", "device_ids", "options");
            if (device["capabilities"] is not { } capabilitiesNode)
            {
                Error(device.Start, Join(itemKey, "capabilities"), "is required: the capabilities the device must have, such as [gpu]");
                continue;
            }

            var capabilities = Strings(capabilitiesNode, Join(itemKey, "capabilities"), allowSingle: false).Select(c => c.Value).ToList();
            var driver = device["driver"] is { } driverNode ? Text(driverNode, Join(itemKey, "driver")) : null;
            var ids = device["device_ids"] is { } idsNode ? Strings(idsNode, Join(itemKey, "device_ids"), allowSingle: false).Select(d => d.Value).ToList() : new List<string>();
            long? count = null;
            if (device["count"] is YScalar { IsNull: false } countNode)
            {
                if (ids.Count > 0)
                {
                    Error(countNode, Join(itemKey, "count"), "and device_ids are exclusive; Docker Compose refuses both");
                    continue;
                }

                count = countNode.Value == "all" ? null : Integer(countNode, Join(itemKey, "count"));
            }
            else if (ids.Count > 0)
            {
                count = ids.Count;
            }

            deviceRequests.Add(new ComposeDeviceRequest(capabilities, driver, count, ids, itemKey, list.Items[i].Start));
        }
    }

    private YMapping? Section(YMapping resources, string resourcesKey, string which, params string[] known)
    {
        if (resources[which] is not { } node || node is YScalar { IsNull: true })
        {
            return null;
        }

        var key = Join(resourcesKey, which);
        if (Mapping(node, key) is not { } section)
        {
            return null;
        }

        RejectUnknownKeys(section, key, known);
        foreach (var (k, _) in section.Entries.Where(e => e.Key.Value is not ("cpus" or "memory" or "devices") && known.Contains(e.Key.Value, StringComparer.Ordinal)))
        {
            NoEffectWarning(k.Start, Join(key, k.Value), "has no effect: only cpus and memory are mapped to Kubernetes resources");
        }

        return section;
    }

    private ComposeResources? Resources(YMapping? section, string key, Dictionary<string, YNode> values, string? cpusKey, string memoryKey)
    {
        var cpus = section?["cpus"] is { } sectionCpus ? Cpus(sectionCpus, Join(key, "cpus")) : null;
        if (cpusKey is not null && values.TryGetValue(cpusKey, out var serviceCpusNode) && Cpus(serviceCpusNode, Path(cpusKey)) is { } serviceCpus)
        {
            if (cpus is not null && cpus.Value.Count != serviceCpus.Count)
            {
                Error(serviceCpusNode, Path(cpusKey), $"is {serviceCpus.Text} but {Join(key, "cpus")} is {cpus.Value.Text}; Docker Compose refuses distinct values");
            }

            cpus ??= serviceCpus;
        }

        var memory = section?["memory"] is { } sectionMemory ? ByteSize(sectionMemory, Join(key, "memory")) : null;
        if (values.TryGetValue(memoryKey, out var serviceMemoryNode) && ByteSize(serviceMemoryNode, Path(memoryKey)) is { } serviceMemory)
        {
            if (memory is not null && memory != serviceMemory)
            {
                Error(serviceMemoryNode, Path(memoryKey), $"is {serviceMemory:N0} bytes but {Join(key, "memory")} is {memory:N0} bytes; Docker Compose refuses distinct values");
            }

            memory ??= serviceMemory;
        }

        if (cpus is null && memory is null)
        {
            return null;
        }

        var at = section?.Start ?? (cpusKey is not null && values.TryGetValue(cpusKey, out var c) ? c.Start : values[memoryKey].Start);
        return new ComposeResources(cpus?.Text, memory, at);
    }

    private (string Text, double Count)? Cpus(YNode node, string key)
    {
        if (Text(node, key) is not { } text)
        {
            return null;
        }

        if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var count) && count > 0 && double.IsFinite(count))
        {
            return (text.Trim(), count);
        }

        Error(node, key, $"'{text}' is not a positive number of CPUs (e.g. 0.5 or 2)");
        return null;
    }

    private long? ByteSize(YNode node, string key)
    {
        if (Text(node, key) is not { } text)
        {
            return null;
        }

        if (Units.TryParseByteSize(text, out var bytes) && bytes > 0)
        {
            return bytes;
        }

        Error(node, key, $"'{text}' is not a size; write it like 512m, 1g, 1024k or a number of bytes");
        return null;
    }

    private void ReadTmpfs(YNode node)
    {
        foreach (var (text, item, itemKey) in Strings(node, Path("tmpfs"), allowSingle: true))
        {
            var colon = text.IndexOf(':', StringComparison.Ordinal);
            var target = colon < 0 ? text : text[..colon];
            long? size = null;
            if (colon >= 0)
            {
                foreach (var option in text[(colon + 1)..].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
                {
                    if (option.StartsWith("size=", StringComparison.Ordinal))
                    {
                        if (Units.TryParseByteSize(option[5..], out var bytes) && bytes > 0)
                        {
                            size = bytes;
                        }
                        else
                        {
                            Error(item, itemKey, $"'{option[5..]}' is not a size; write it like 64m or 1g");
                        }
                    }
                }
            }

            if (!target.StartsWith('/'))
            {
                Error(item, itemKey, $"'{target}' is not an absolute path in the container");
                continue;
            }

            tmpfs.Add(new ComposeTmpfs(target, size, RelativeKey(itemKey), item.Start));
        }
    }

    // `host:ip`, `host=ip` (compose-go splits at the first '=', else the first ':', so IPv6 addresses keep their
    // colons), or a mapping of host to address; `[::1]` brackets are dropped, as compose-go does.
    private List<ComposeHostEntry> ReadExtraHosts(YNode node)
    {
        var result = new List<ComposeHostEntry>();
        var key = Path("extra_hosts");
        var entries = new List<(string Host, string Ip, YNode Node, string Key)>();
        switch (node)
        {
            case YSequence:
                foreach (var (text, item, itemKey) in Strings(node, key, allowSingle: false))
                {
                    var separator = text.IndexOf('=', StringComparison.Ordinal) is var equals and >= 0 ? equals : text.IndexOf(':', StringComparison.Ordinal);
                    if (separator <= 0)
                    {
                        Error(item, itemKey, $"'{text}' is not a host entry; write it like myhost:10.0.0.5 or myhost=10.0.0.5");
                        continue;
                    }

                    entries.Add((text[..separator].Trim(), text[(separator + 1)..].Trim(), item, itemKey));
                }

                break;
            case YMapping map:
                foreach (var (host, value) in map.Entries)
                {
                    var hostKey = Join(key, host.Value);
                    foreach (var (ip, item, _) in Strings(value, hostKey, allowSingle: true))
                    {
                        entries.Add((host.Value, ip.Trim(), item, hostKey));
                    }
                }

                break;
            default:
                Error(node, key, $"expected a list (host:ip) or a mapping (host: ip), found {node.Describe()}");
                return result;
        }

        foreach (var (host, written, item, itemKey) in entries)
        {
            var ip = written.StartsWith('[') && written.EndsWith(']') ? written[1..^1] : written;
            if (ip == "host-gateway")
            {
                Warning(item.Start, itemKey, $"{host} is left out: host-gateway (the Docker host's address) has no equivalent for a Pod in a cluster");
            }
            else if (!System.Net.IPAddress.TryParse(ip, out _) || ip.Contains('%', StringComparison.Ordinal))
            {
                Error(item, itemKey, $"'{written}' is not an IP address; extra_hosts maps a host name to an IPv4 or IPv6 address");
            }
            else
            {
                result.Add(new ComposeHostEntry(host, ip, RelativeKey(itemKey), item.Start));
            }
        }

        return result;
    }

    // Entries are `name`, `name:value` or `name=value`. The Pod Security baseline forbids running without seccomp,
    // without AppArmor or without SELinux labels, so those are errors; no-new-privileges is read.
    private bool ReadSecurityOptions(YNode node)
    {
        var noNewPrivileges = false;
        foreach (var (text, item, itemKey) in Strings(node, Path("security_opt"), allowSingle: false))
        {
            var separator = text.IndexOfAny([':', '=']);
            var (option, value) = separator < 0 ? (text.Trim(), "true") : (text[..separator].Trim(), text[(separator + 1)..].Trim());
            switch (option)
            {
                case "no-new-privileges" when value is "true" or "false":
                    noNewPrivileges = value == "true";
                    break;
                case "seccomp" when value == "unconfined":
                case "apparmor" when value == "unconfined":
                case "label" when value == "disable":
                    Error(item, itemKey, $"'{text}' turns off a protection that the Pod Security baseline requires of every container; remove it");
                    break;
                default:
                    NoEffectWarning(item.Start, itemKey, $"'{text}' has no effect in one Pod: containers run with the cluster's RuntimeDefault seccomp profile and its own AppArmor and SELinux settings");
                    break;
            }
        }

        return noNewPrivileges;
    }

    private SortedDictionary<string, string> ReadSysctls(YNode node)
    {
        var result = new SortedDictionary<string, string>(StringComparer.Ordinal);
        var key = Path("sysctls");
        switch (node)
        {
            case YSequence:
                foreach (var (text, item, itemKey) in Strings(node, key, allowSingle: false))
                {
                    var equals = text.IndexOf('=', StringComparison.Ordinal);
                    if (equals <= 0)
                    {
                        Error(item, itemKey, $"'{text}' is not a sysctl; write it like net.core.somaxconn=1024");
                        continue;
                    }

                    result[text[..equals].Trim()] = text[(equals + 1)..].Trim();
                }

                break;
            case YMapping map:
                foreach (var (name, value) in map.Entries)
                {
                    if (Text(value, Join(key, name.Value)) is { } text)
                    {
                        result[name.Value] = text;
                    }
                }

                break;
            default:
                Error(node, key, $"expected a list (name=value) or a mapping (name: value), found {node.Describe()}");
                break;
        }

        return result;
    }

    private ComposePullPolicy? ReadPullPolicy(YNode node)
    {
        var key = Path("pull_policy");
        switch (Text(node, key))
        {
            case null:
                return null;
            case "always" or "daily" or "weekly":
                return ComposePullPolicy.Always;
            case "never":
                return ComposePullPolicy.Never;
            case "missing" or "if_not_present":
                return ComposePullPolicy.Missing;
            case "build":
                Error(node, key, "is build, but Kompox does not build images; build and push the image, then use always, missing or never");
                return null;
            case var every when every.StartsWith("every_", StringComparison.Ordinal) && Units.TryParseDuration(every[6..], out _):
                return ComposePullPolicy.Always;
            case var other:
                Error(node, key, $"'{other}' is not a pull policy; use always, never, missing, if_not_present, daily, weekly or every_<duration>");
                return null;
        }
    }

    private string RelativeKey(string fullKey) => fullKey[(root.Length + 1)..];
}
