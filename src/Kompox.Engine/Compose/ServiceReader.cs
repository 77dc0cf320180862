using System.Globalization;
using Kompox.Yaml;

namespace Kompox.Compose;

/// <summary>What a service reader needs from the project around it.</summary>
internal sealed record ProjectContext(
    string ProjectDir,
    IReadOnlyDictionary<string, string> Variables,
    IReadOnlySet<string> ConfigNames,
    IReadOnlySet<string> SecretNames);

/// <summary>Reads one service (extends already applied) into a <see cref="ComposeService"/>.</summary>
internal sealed partial class ServiceReader : NodeReading
{
    internal const long MaxEnvFileBytes = 1024 * 1024;

    // Keys compose knows that mean nothing in one Pod, with the reason shown to the user.
    private static readonly Dictionary<string, string> NoEffect = new(StringComparer.Ordinal)
    {
        ["restart"] = "Kubernetes restarts the containers of the Pod itself",
        ["depends_on"] = "all containers of the one Pod start together; let a service retry until what it needs answers",
        ["networks"] = "all services share the Pod's network and reach each other by service name (mapped to 127.0.0.1)",
        ["container_name"] = "the container is named after the service",
        ["labels"] = "container labels have no counterpart on a container in a Pod",
        ["annotations"] = "container annotations have no counterpart on a container in a Pod",
        ["logging"] = "container logs go to the cluster's log collection",
        ["stop_grace_period"] = "the Pod's termination grace period applies to all its containers",
        ["stop_signal"] = "Kubernetes stops containers with SIGTERM",
        ["hostname"] = "all containers of the Pod share its host name; other services reach this one by its service name",
        ["domainname"] = "the Pod's DNS settings come from the cluster",
        ["dns"] = "the Pod's DNS settings come from the cluster",
        ["dns_search"] = "the Pod's DNS settings come from the cluster",
        ["dns_opt"] = "the Pod's DNS settings come from the cluster",
        ["extra_hosts"] = "the Pod's host names are set by Kompox (service names map to 127.0.0.1)",
        ["links"] = "all services share the Pod's network",
        ["external_links"] = "all services share the Pod's network",
        ["mac_address"] = "the Pod's network is managed by the cluster",
        ["ulimits"] = "ulimits are set by the cluster's nodes",
        ["sysctls"] = "sysctls are refused by the Pod Security baseline",
        ["security_opt"] = "security options are set by the Pod Security baseline",
        ["shm_size"] = "the Pod's /dev/shm is set by the cluster",
        ["init"] = "Kubernetes does not inject an init process",
        ["platform"] = "the node's platform is used",
        ["pull_policy"] = "Kubernetes pulls images by its own policy",
        ["scale"] = "an app runs as one Pod with one replica",
        ["cpus"] = "use deploy.resources.limits.cpus",
        ["cpu_shares"] = "use deploy.resources.reservations.cpus",
        ["cpu_quota"] = "use deploy.resources.limits.cpus",
        ["cpu_period"] = "use deploy.resources.limits.cpus",
        ["cpuset"] = "CPU pinning is not available in a shared cluster",
        ["mem_limit"] = "use deploy.resources.limits.memory",
        ["mem_reservation"] = "use deploy.resources.reservations.memory",
        ["memswap_limit"] = "Kubernetes containers run without swap limits of their own",
        ["mem_swappiness"] = "Kubernetes containers run without swap limits of their own",
        ["oom_score_adj"] = "the OOM score is set by Kubernetes from the resources",
        ["oom_kill_disable"] = "the OOM killer is managed by Kubernetes",
        ["pids_limit"] = "process limits are set by the cluster's nodes",
        ["group_add"] = "supplementary groups are not mapped",
        ["runtime"] = "the cluster's container runtime is used",
        ["userns_mode"] = "user namespaces are managed by the cluster",
        ["cgroup_parent"] = "cgroups are managed by Kubernetes",
        ["cgroup"] = "cgroups are managed by Kubernetes",
        ["uts"] = "the Pod's UTS namespace is managed by Kubernetes",
        ["isolation"] = "the cluster's container runtime is used",
        ["volumes_from"] = "share data through a named volume on the app's disk instead",
        ["attach"] = "Kompox does not attach to container output",
        ["develop"] = "compose watch is a local development feature",
        ["gpus"] = "GPUs are not offered to apps",
        ["device_cgroup_rules"] = "devices are refused by the Pod Security baseline",
        ["blkio_config"] = "block I/O limits are not available in a shared cluster",
        ["storage_opt"] = "container storage is managed by the cluster",
        ["credential_spec"] = "Windows credential specs are not supported",
        ["post_start"] = "lifecycle hooks are not mapped",
        ["pre_stop"] = "lifecycle hooks are not mapped",
        ["label_file"] = "container labels have no counterpart on a container in a Pod",
    };

    private static readonly string[] MountModes =
        ["ro", "rw", "z", "Z", "nocopy", "consistent", "cached", "delegated", "shared", "slave", "private", "rshared", "rslave", "rprivate", "copy"];

    private readonly string name;
    private readonly YMapping map;
    private readonly ProjectContext context;
    private readonly string root;
    private readonly Dictionary<string, SourceMark> marks = new(StringComparer.Ordinal);
    private readonly List<ComposeTmpfs> tmpfs = new();

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
        foreach (var (key, value) in map.Entries)
        {
            var k = key.Value;
            if (k.StartsWith("x-", StringComparison.Ordinal))
            {
                continue;
            }

            if (NoEffect.TryGetValue(k, out var reason))
            {
                Warning(key.Start, Path(k), $"has no effect in one Pod: {reason}");
                continue;
            }

            if (k == "build")
            {
                if (map.ContainsKey("image"))
                {
                    Warning(key.Start, Path(k), "has no effect: Kompox does not build images; the image named by 'image' is used");
                }

                continue;
            }

            if (!IsKnown(k))
            {
                Warning(key.Start, Path(k), "unknown key, ignored");
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
        }
        else
        {
            var message = map.ContainsKey("build")
                ? "has no image: building images is not supported; build and push the image, then name it with 'image'"
                : "has no image: every service must name an image (Kompox cannot build images)";
            Error(At, root, message);
        }

        var environment = ReadEnvironment(values);
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
            User = OptionalText(values, "user"),
            Environment = environment,
            Ports = values.TryGetValue("ports", out var ports) ? ReadPorts(ports) : new List<ComposePort>(),
            Expose = values.TryGetValue("expose", out var expose) ? ReadExpose(expose) : new List<ComposeExpose>(),
            Volumes = volumes,
            Configs = values.TryGetValue("configs", out var configs) ? ReadFileMounts(configs, "configs") : new List<ComposeFileMount>(),
            Secrets = values.TryGetValue("secrets", out var secrets) ? ReadFileMounts(secrets, "secrets") : new List<ComposeFileMount>(),
            Healthcheck = values.TryGetValue("healthcheck", out var healthcheck) ? ReadHealthcheck(healthcheck) : null,
            Limits = ReadResources(values, "limits"),
            Reservations = ReadResources(values, "reservations"),
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
            Marks = new SortedDictionary<string, SourceMark>(marks, StringComparer.Ordinal),
        };
    }

    private static bool IsKnown(string key) => key is "image" or "entrypoint" or "command" or "working_dir" or "user"
        or "environment" or "env_file" or "ports" or "expose" or "volumes" or "configs" or "secrets" or "healthcheck" or "deploy"
        or "tmpfs" or "privileged" or "network_mode" or "pid" or "ipc" or "devices" or "cap_add" or "cap_drop" or "read_only"
        or "tty" or "stdin_open" or "profiles" or "extends";

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

        var key = Path("environment");
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
                    if (equals == 0)
                    {
                        Error(node, itemKey, $"'{text}' has no variable name before '='");
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

        return result;
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
            if (item is YMapping entry)
            {
                WarnUnknownKeys(entry, itemKey, "path", "required", "format");
                path = entry["path"] is { } pathNode ? Text(pathNode, Join(itemKey, "path")) : null;
                if (entry["path"] is null)
                {
                    Error(entry, Join(itemKey, "path"), "is required: the env file to read");
                }

                if (entry["required"] is { } requiredNode)
                {
                    required = Bool(requiredNode, Join(itemKey, "required")) ?? true;
                }
            }
            else
            {
                path = Text(item, itemKey);
            }

            if (path is not null)
            {
                ReadEnvFile(path, required, item, itemKey, result);
            }
        }
    }

    private void ReadEnvFile(string path, bool required, YNode item, string key, SortedDictionary<string, string> result)
    {
        var full = System.IO.Path.GetFullPath(System.IO.Path.Combine(context.ProjectDir, path));
        if (!File.Exists(full))
        {
            if (required)
            {
                Error(item, key, $"env file '{path}' not found (looked for {full}); create it, or mark it 'required: false'");
            }

            return;
        }

        string text;
        try
        {
            text = TextFile.Read(full, path, MaxEnvFileBytes);
        }
        catch (KompoxException e) when (e.ErrorId == "FileEmpty")
        {
            return;
        }
        catch (KompoxException e)
        {
            Error(item, key, $"env file '{path}': {Describe(e)}");
            return;
        }

        var (entries, errors) = DotEnv.Parse(text);
        foreach (var error in errors)
        {
            Problems.Error(new SourceMark(error.Line, 1), key, error.Message, name, path);
        }

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

    private ComposeHealthcheck? ReadHealthcheck(YNode node)
    {
        var key = Path("healthcheck");
        if (Mapping(node, key) is not { } check)
        {
            return null;
        }

        WarnUnknownKeys(check, key, "test", "interval", "timeout", "retries", "start_period", "start_interval", "disable");
        if (check["start_interval"] is not null)
        {
            Warning(check.KeyNode("start_interval")!.Start, Join(key, "start_interval"), "has no effect: Kubernetes probes have one period (interval)");
        }

        var interval = Duration(check, key, "interval");
        var timeout = Duration(check, key, "timeout");
        var startPeriod = Duration(check, key, "start_period");
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
        if (test is YScalar shell)
        {
            return new ComposeHealthcheck(HealthcheckKind.Shell, [shell.Value], interval, timeout, retries, startPeriod, check.Start);
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
                return new ComposeHealthcheck(HealthcheckKind.Exec, words.Skip(1).ToList(), interval, timeout, retries, startPeriod, check.Start);
            case "CMD-SHELL" when words.Count == 2:
                return new ComposeHealthcheck(HealthcheckKind.Shell, [words[1]], interval, timeout, retries, startPeriod, check.Start);
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

    private TimeSpan? Duration(YMapping parent, string path, string key)
    {
        if (parent[key] is not { } node || node is YScalar { IsNull: true })
        {
            return null;
        }

        if (Text(node, Join(path, key)) is not { } text)
        {
            return null;
        }

        if (Units.TryParseDuration(text, out var duration))
        {
            return duration;
        }

        Error(node, Join(path, key), $"'{text}' is not a duration; write it like 30s, 1m30s, 1h or 500ms");
        return null;
    }

    private ComposeResources? ReadResources(Dictionary<string, YNode> values, string which)
    {
        if (!values.TryGetValue("deploy", out var deployNode))
        {
            return null;
        }

        var deployKey = Path("deploy");
        if (deployNode is not YMapping deploy)
        {
            // Reported once, for limits.
            if (which == "limits")
            {
                Mapping(deployNode, deployKey);
            }

            return null;
        }

        if (which == "limits")
        {
            foreach (var (k, _) in deploy.Entries.Where(e => e.Key.Value is not "resources" && !e.Key.Value.StartsWith("x-", StringComparison.Ordinal)))
            {
                var known = k.Value is "replicas" or "mode" or "restart_policy" or "update_config" or "rollback_config" or "placement" or "labels" or "endpoint_mode";
                Warning(k.Start, Join(deployKey, k.Value), known
                    ? "has no effect in one Pod: an app runs as one Pod with one replica, deployed with the Recreate strategy"
                    : "unknown key, ignored");
            }
        }

        if (deploy["resources"] is not { } resourcesNode || resourcesNode is YScalar { IsNull: true })
        {
            return null;
        }

        var resourcesKey = Join(deployKey, "resources");
        if (resourcesNode is not YMapping resources)
        {
            if (which == "limits")
            {
                Mapping(resourcesNode, resourcesKey);
            }

            return null;
        }

        if (which == "limits")
        {
            WarnUnknownKeys(resources, resourcesKey, "limits", "reservations");
        }

        if (resources[which] is not { } node || node is YScalar { IsNull: true })
        {
            return null;
        }

        var key = Join(resourcesKey, which);
        if (Mapping(node, key) is not { } section)
        {
            return null;
        }

        foreach (var (k, _) in section.Entries.Where(e => e.Key.Value is not ("cpus" or "memory") && !e.Key.Value.StartsWith("x-", StringComparison.Ordinal)))
        {
            var known = k.Value is "pids" or "devices" or "generic_resources";
            Warning(k.Start, Join(key, k.Value), known ? "has no effect: only cpus and memory are mapped to Kubernetes resources" : "unknown key, ignored");
        }

        string? cpus = null;
        if (section["cpus"] is { } cpusNode && Text(cpusNode, Join(key, "cpus")) is { } cpusText)
        {
            if (double.TryParse(cpusText, NumberStyles.Float, CultureInfo.InvariantCulture, out var count) && count > 0 && double.IsFinite(count))
            {
                cpus = cpusText.Trim();
            }
            else
            {
                Error(cpusNode, Join(key, "cpus"), $"'{cpusText}' is not a positive number of CPUs (e.g. 0.5 or 2)");
            }
        }

        long? memory = null;
        if (section["memory"] is { } memoryNode)
        {
            memory = ByteSize(memoryNode, Join(key, "memory"));
        }

        return cpus is null && memory is null ? null : new ComposeResources(cpus, memory, section.Start);
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

    private string RelativeKey(string fullKey) => fullKey[(root.Length + 1)..];
}
