using System.Text;
using Kompox.Yaml;

namespace Kompox.Compose;

/// <summary>Reads a compose file into a <see cref="ComposeProject"/>, collecting every problem before failing.</summary>
public static class ComposeLoader
{
    /// <summary>The largest config, secret, env file or <c>.env</c> read: a ConfigMap or Secret holds at most 1 MiB.</summary>
    public const long MaxIncludedFileBytes = 1024 * 1024;

    private const string ErrorId = "InvalidCompose";

    // As kompoxops.yml's app.compose allows for the first file (KompoxConfig.MaxComposeBytes).
    private const long MaxComposeFileBytes = 4 * 1024 * 1024;

    private static readonly Dictionary<string, string> TopLevelNoEffect = new(StringComparer.Ordinal)
    {
        ["version"] = "the compose file format no longer has versions; the key is obsolete and ignored",
        ["networks"] = "has no effect in one Pod: all services share the Pod's network",
        ["models"] = "has no effect: AI models are not offered to apps",
    };

    // The compose-spec schema's top-level properties.
    private static readonly string[] TopLevelKeys = ["version", "name", "include", "services", "networks", "volumes", "secrets", "configs", "models"];

    /// <summary>The override files <c>docker compose up</c> merges over a compose file found by its default name, in its order of preference (compose-go cli/options.go DefaultOverrideFileNames).</summary>
    public static readonly IReadOnlyList<string> OverrideFileNames = ["compose.override.yml", "compose.override.yaml", "docker-compose.override.yml", "docker-compose.override.yaml"];

    // compose-go cli/options.go DefaultFileNames: the names `docker compose up` finds a project's compose file by.
    private static readonly string[] DefaultFileNames = ["compose.yaml", "compose.yml", "docker-compose.yml", "docker-compose.yaml"];

    /// <param name="text">The compose YAML.</param>
    /// <param name="file">How to name the file in messages (e.g. <c>compose.yml</c>).</param>
    /// <param name="projectDir">
    /// Directory of the compose file: relative binds, env_file, <c>.env</c>, config and secret files resolve against it,
    /// and no file outside it is read. Null when the compose text has no file: then any file it names is an error.
    /// </param>
    /// <param name="projectName">The app's name: Docker Compose's project name, <c>${COMPOSE_PROJECT_NAME}</c> in the file, unless the environment, <c>.env</c> or the file's <c>name</c> gives one.</param>
    /// <param name="environment">The process environment; it wins over the <c>.env</c> file.</param>
    /// <param name="profiles">Selected profiles; services without profiles are always active. Empty: <c>COMPOSE_PROFILES</c> decides.</param>
    /// <param name="overrides">
    /// Null: the file is read as <c>docker compose up</c> reads its directory (<c>COMPOSE_FILE</c>, else the file and its
    /// <c>compose.override.yaml</c>). Otherwise the files given after it (<c>-f a -f b</c>), merged over it in order, and no other.
    /// </param>
    /// <exception cref="KompoxValidationException">Error id <c>InvalidCompose</c>, with every problem found.</exception>
    public static ComposeProject Load(
        string text, string file, string? projectDir, string projectName, IReadOnlyDictionary<string, string> environment, IReadOnlyCollection<string>? profiles = null,
        IReadOnlyList<Model.ComposeFileText>? overrides = null)
    {
        var problems = new ComposeProblems(file);
        var files = new ProjectFiles(projectDir);
        var variables = Variables(files, environment, problems);
        var sources = Sources(text, file, files, variables, overrides, problems);
        var documents = new List<YMapping>();
        var unreadable = false;
        foreach (var (sourceText, sourceFile, merged) in sources)
        {
            YNode? document;
            try
            {
                document = YamlReader.Read(sourceText, sourceFile, markSource: merged);
            }
            catch (KompoxValidationException e)
            {
                throw new KompoxValidationException(ErrorId, file, e.Problems);
            }

            if (document is YMapping mapping)
            {
                documents.Add(mapping);
            }
            else if (!merged || document is not null)
            {
                // An empty override file changes nothing, as in compose-go; an empty main file is an error.
                unreadable = true;
                problems.Error(document?.Start ?? SourceMark.File, "services", document is null
                    ? "the file is empty; a compose file needs a 'services' mapping"
                    : $"expected a mapping with 'services', found {document.Describe()}", null, sourceFile);
            }
        }

        // Without every document there is nothing to merge; other problems (.env, COMPOSE_FILE) are reported with the rest.
        if (documents.Count == 0 || unreadable)
        {
            throw new KompoxValidationException(ErrorId, file, problems.All);
        }

        variables["COMPOSE_PROJECT_NAME"] = ProjectName(documents, variables, projectName);
        var top = new NodeReading(problems, null);
        var interpolated = documents.Select(d => (YMapping)new TreeInterpolation(problems, variables).Run(d)).ToList();
        var raw = interpolated[0];
        var root = interpolated.Skip(1).Aggregate(raw, ServiceExtends.MergeDocuments);
        foreach (var (key, _) in root.Entries)
        {
            if (key.Value is "name" or "services" or "volumes" or "configs" or "secrets" || key.Value.StartsWith("x-", StringComparison.Ordinal))
            {
                continue;
            }

            if (key.Value == "include")
            {
                top.Error(key.Start, "include", "is not supported: Kompox reads one compose file; put the included services into it");
            }
            else if (TopLevelNoEffect.TryGetValue(key.Value, out var reason))
            {
                top.NoEffectWarning(key.Start, key.Value, reason);
            }
            else
            {
                top.Error(key.Start, key.Value, NodeReading.UnknownKey(key.Value, TopLevelKeys));
            }
        }

        var name = root["name"] is { } nameNode and not YScalar { IsNull: true } ? top.Text(nameNode, "name") : null;
        var volumes = ReadVolumes(root, top);
        var configs = ReadContents(root, "configs", files, variables, top);
        var secrets = ReadContents(root, "secrets", files, variables, top);
        var context = new ProjectContext(files, variables, configs.Names, secrets.Names);
        var selected = profiles is { Count: > 0 } ? profiles : ProfilesFromVariables(variables);
        var services = ReadServices(root, problems, top, context, selected);

        if (problems.HasErrors)
        {
            throw new KompoxValidationException(ErrorId, file, problems.All);
        }

        return new ComposeProject
        {
            Name = name,
            Services = services,
            Volumes = volumes,
            Configs = configs.Contents,
            Secrets = secrets.Contents,
            Warnings = problems.All.Where(p => p.Severity == Severity.Warning).ToList(),
        };
    }

    // Docker Compose reads COMPOSE_PROFILES, comma-separated, from the environment or .env when no --profile is given.
    private static IReadOnlyCollection<string> ProfilesFromVariables(IReadOnlyDictionary<string, string> variables) =>
        variables.TryGetValue("COMPOSE_PROFILES", out var list)
            ? list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            : Array.Empty<string>();

    // The .env file beside the compose file, overlaid by the process environment (compose-go cli/options.go WithOsEnv, WithDotEnv).
    private static Dictionary<string, string> Variables(ProjectFiles files, IReadOnlyDictionary<string, string> environment, ComposeProblems problems)
    {
        var variables = new Dictionary<string, string>(StringComparer.Ordinal);
        if (files.Root is not null)
        {
            // compose-go reads .env with the process environment as its lookup (dotenv.GetEnvFromFile).
            var entries = ReadEnvFile(files, ".env", optional: true, raw: false, name => environment.GetValueOrDefault(name),
                (line, message) => problems.Error(line is { } l ? new SourceMark(l, 1) : SourceMark.File, string.Empty, message, null, ".env"),
                (line, message) => problems.Warning(new SourceMark(line, 1), string.Empty, message, null, ".env"));
            foreach (var entry in entries)
            {
                if (entry.Value is not null)
                {
                    variables[entry.Key] = entry.Value;
                }
                else if (environment.TryGetValue(entry.Key, out var value))
                {
                    variables[entry.Key] = value;
                }
            }
        }

        foreach (var (key, value) in environment)
        {
            variables[key] = value;
        }

        return variables;
    }

    // The files `docker compose up` reads (compose-go cli/options.go): the ones given (-f) when there are; else those
    // COMPOSE_FILE lists, from the environment or .env, split at COMPOSE_PATH_SEPARATOR (the system's path list
    // separator by default); else the compose file found by its default name and the first override file beside it.
    private static List<(string Text, string File, bool Merged)> Sources(
        string text, string file, ProjectFiles files, IReadOnlyDictionary<string, string> variables, IReadOnlyList<Model.ComposeFileText>? overrides, ComposeProblems problems)
    {
        var sources = new List<(string Text, string File, bool Merged)> { (text, file, false) };
        if (overrides is not null)
        {
            sources.AddRange(overrides.Select(o => (o.Text, o.Path, true)));
            return sources;
        }

        if (files.Root is null)
        {
            return sources;
        }

        if (variables.TryGetValue("COMPOSE_FILE", out var list) && list.Length > 0)
        {
            var separator = variables.TryGetValue("COMPOSE_PATH_SEPARATOR", out var s) && s.Length > 0 ? s : Path.PathSeparator.ToString();
            sources.Clear();
            foreach (var written in list.Split(separator))
            {
                var real = files.Resolve(written, out var problem);
                if (real is not null && string.Equals(real, files.Resolve(Path.GetFileName(file), out _), StringComparison.Ordinal))
                {
                    sources.Add((text, file, sources.Count > 0));
                }
                else if (ReadComposeFile(real, written, ref problem) is { } other)
                {
                    sources.Add((other, Path.Combine(files.Root, written), sources.Count > 0));
                }
                else
                {
                    problems.Error(SourceMark.File, "COMPOSE_FILE", $"names {problem}; docker compose reads the files COMPOSE_FILE lists instead of {Path.GetFileName(file)}", null);
                }
            }

            return sources;
        }

        if (DefaultFileNames.Contains(Path.GetFileName(file), StringComparer.Ordinal)
            && OverrideFileNames.FirstOrDefault(name => File.Exists(Path.Combine(files.Root, name))) is { } overrideName)
        {
            var real = files.Resolve(overrideName, out var problem);
            if (ReadComposeFile(real, overrideName, ref problem) is { } overrideText)
            {
                sources.Add((overrideText, Path.Combine(files.Root, overrideName), true));
            }
            else
            {
                problems.Error(SourceMark.File, string.Empty, $"the override file {problem}; docker compose up merges it over {Path.GetFileName(file)}", null, overrideName);
            }
        }

        return sources;
    }

    private static string? ReadComposeFile(string? real, string written, ref string? problem)
    {
        var bytes = real is null ? null : ProjectFiles.ReadBytes(real, written, MaxComposeFileBytes, out problem);
        if (bytes is null)
        {
            return null;
        }

        try
        {
            return TextFile.Decode(bytes, written);
        }
        catch (KompoxException e)
        {
            problem = $"'{written}', which {NodeReading.Describe(e)}";
            return null;
        }
    }

    // COMPOSE_PROJECT_NAME, as interpolation sees it, is the project's name (compose-go loader projectName and
    // cli/options.go withNamePrecedenceLoad): the variable from the environment or .env, else the `name` of the
    // files (the last that sets one, interpolated and normalized), else the app's name where Docker takes the directory's.
    private static string ProjectName(IReadOnlyList<YMapping> documents, IReadOnlyDictionary<string, string> variables, string appName)
    {
        if (variables.TryGetValue("COMPOSE_PROJECT_NAME", out var set) && set.Length > 0)
        {
            return set;
        }

        foreach (var document in documents.Reverse())
        {
            if (document["name"] is YScalar { IsNull: false } name)
            {
                string expanded;
                try
                {
                    expanded = Interpolation.Expand(name.Value, variables, new List<string>());
                }
                catch (InterpolationException)
                {
                    continue; // reported where the whole file is interpolated
                }

                var normalized = NormalizeProjectName(expanded);
                if (normalized.Length > 0)
                {
                    return normalized;
                }
            }
        }

        return appName;
    }

    // compose-go loader.NormalizeProjectName: lower case, only [a-z0-9_-], no leading '_' or '-'.
    private static string NormalizeProjectName(string name) =>
        new string(name.ToLowerInvariant().Where(c => c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '_' or '-').ToArray()).TrimStart('_', '-');

    /// <summary>
    /// Reads an env file inside the project (<c>.env</c> or an <c>env_file</c>), reporting each problem by line.
    /// An <paramref name="optional"/> file that does not exist gives nothing. Problems of the file as a whole have no line.
    /// </summary>
    internal static IReadOnlyList<DotEnvEntry> ReadEnvFile(
        ProjectFiles files, string written, bool optional, bool raw, Func<string, string?> lookup, Action<int?, string> error, Action<int, string> warning)
    {
        var real = files.Resolve(written, out var problem);
        if (real is null)
        {
            error(null, problem!);
            return Array.Empty<DotEnvEntry>();
        }

        if (optional && !File.Exists(real) && !Directory.Exists(real))
        {
            return Array.Empty<DotEnvEntry>();
        }

        var bytes = ProjectFiles.ReadBytes(real, written, MaxIncludedFileBytes, out problem);
        if (bytes is null)
        {
            error(null, problem!);
            return Array.Empty<DotEnvEntry>();
        }

        string text;
        try
        {
            text = bytes.Length == 0 ? string.Empty : TextFile.Decode(bytes, written);
        }
        catch (KompoxException e) when (e.ErrorId == "FileEmpty")
        {
            return Array.Empty<DotEnvEntry>();
        }
        catch (KompoxException e)
        {
            error(null, NodeReading.Describe(e));
            return Array.Empty<DotEnvEntry>();
        }

        var result = DotEnv.Parse(text, lookup, raw);
        foreach (var e in result.Errors)
        {
            error(e.Line, $"line {e.Line}: {e.Message}");
        }

        foreach (var w in result.Warnings)
        {
            warning(w.Line, $"line {w.Line}: {w.Message}");
        }

        return result.Entries;
    }

    private static IReadOnlyList<ComposeService> ReadServices(YMapping root, ComposeProblems problems, NodeReading top, ProjectContext context, IReadOnlyCollection<string> profiles)
    {
        var result = new List<ComposeService>();
        if (root["services"] is not { } servicesNode || servicesNode is YScalar { IsNull: true })
        {
            top.Error(root.KeyNode("services")?.Start ?? root.Start, "services", "is required: a compose file needs at least one service");
            return result;
        }

        if (top.Mapping(servicesNode, "services") is not { } services)
        {
            return result;
        }

        if (services.Count == 0)
        {
            top.Error(servicesNode.Start, "services", "is empty: a compose file needs at least one service");
            return result;
        }

        var extends = new ServiceExtends(problems, services);
        var enabled = new List<(string Name, YMapping Service, SourceMark At, NodeReading Reading, IReadOnlyList<string> Profiles)>();
        var disabled = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (key, node) in services.Entries.OrderBy(e => e.Key.Value, StringComparer.Ordinal))
        {
            var name = key.Value;
            var reading = new NodeReading(problems, name);
            if (name.StartsWith("x-", StringComparison.Ordinal))
            {
                continue;
            }

            if (node is not YMapping)
            {
                reading.Error(node.Start, $"services.{name}", $"expected a mapping describing the service, found {node.Describe()}");
                continue;
            }

            if (extends.Resolve(name) is not { } service)
            {
                continue;
            }

            if (IsActive(service, name, reading, profiles, out var own))
            {
                enabled.Add((name, service, key.Start, reading, own));
            }
            else
            {
                disabled.Add(name);
            }
        }

        foreach (var (name, service, at, reading, own) in enabled)
        {
            CheckDependencies(service, name, reading, services, disabled);
            if (Replicas(service, name, reading) != 0)
            {
                result.Add(new ServiceReader(problems, name, service, at, context).Read() with { Profiles = own });
            }
        }

        var defined = services.Entries.Select(e => e.Key.Value).ToHashSet(StringComparer.Ordinal);
        result = VolumesFrom.Resolve(result, problems, defined, disabled);
        if (result.Count == 0 && !problems.HasErrors)
        {
            top.Error(services.Start, "services", enabled.Count > 0
                ? "no service is run: every active service is scaled to 0"
                : profiles.Count == 0
                    ? "no service is active: every service has profiles and none is selected"
                    : $"no service is active for the profiles {string.Join(", ", profiles)}");
        }

        return result;
    }

    private static bool IsActive(YMapping service, string name, NodeReading reading, IReadOnlyCollection<string> selected, out IReadOnlyList<string> profiles)
    {
        profiles = [];
        if (service["profiles"] is not { } profilesNode || profilesNode is YScalar { IsNull: true })
        {
            return true;
        }

        var own = reading.Strings(profilesNode, $"services.{name}.profiles", allowSingle: false);
        profiles = own.Select(p => p.Value).ToList();
        return own.Count == 0 || own.Any(p => selected.Contains(p.Value, StringComparer.Ordinal) || selected.Contains("*", StringComparer.Ordinal));
    }

    // `scale` and `deploy.replicas`: Docker Compose refuses two distinct values (compose-go loader/validate.go),
    // creates no container for 0, and as many as asked otherwise; an app runs each service once.
    private static long? Replicas(YMapping service, string name, NodeReading reading)
    {
        var path = $"services.{name}";
        var scaleNode = service["scale"] is { } s and not YScalar { IsNull: true } ? s : null;
        var replicasNode = service["deploy"] is YMapping deploy && deploy["replicas"] is { } r and not YScalar { IsNull: true } ? r : null;
        var scale = scaleNode is null ? null : Count(scaleNode, NodeReading.Join(path, "scale"), reading);
        var replicas = replicasNode is null ? null : Count(replicasNode, NodeReading.Join(path, "deploy.replicas"), reading);
        if (scale is not null && replicas is not null && scale != replicas)
        {
            reading.Error(scaleNode!, NodeReading.Join(path, "scale"), $"is {scale} but deploy.replicas is {replicas}; Docker Compose refuses distinct values on 'scale' and 'deploy.replicas'");
            return null;
        }

        var (count, node, key) = scale is not null ? (scale, scaleNode!, "scale") : (replicas, replicasNode, "deploy.replicas");
        if (count == 0)
        {
            reading.Warning(node!.Start, NodeReading.Join(path, key), "is 0: the service is not run, as docker compose up creates no container for it");
        }
        else if (count > 1)
        {
            reading.Warning(node!.Start, NodeReading.Join(path, key), $"is {count}, but an app runs each service once, in its one Pod: the service runs one replica");
        }

        return count;
    }

    private static long? Count(YNode node, string key, NodeReading reading)
    {
        var count = reading.Integer(node, key);
        if (count < 0)
        {
            reading.Error(node, key, $"must be zero or more, not {count}");
            return null;
        }

        return count;
    }

    // compose-go refuses a dependency on a service that is not defined, or that profiles leave out unless the
    // dependency says `required: false` (loader/validate.go checkConsistency; `docker compose up` reports
    // "service "app" depends on undefined service "db": invalid compose project").
    private static void CheckDependencies(YMapping service, string name, NodeReading reading, YMapping services, IReadOnlySet<string> disabled)
    {
        if (service["depends_on"] is not { } node || node is YScalar { IsNull: true })
        {
            return;
        }

        var path = $"services.{name}.depends_on";
        var dependencies = new List<(string Name, YNode Node, string Key, bool Required)>();
        switch (node)
        {
            case YSequence:
                dependencies.AddRange(reading.Strings(node, path, allowSingle: false).Select(d => (d.Value, d.Node, d.Key, true)));
                break;
            case YMapping map:
                foreach (var (key, value) in map.Entries)
                {
                    var keyPath = NodeReading.Join(path, key.Value);
                    var required = true;
                    if (value is YMapping options)
                    {
                        reading.RejectUnknownKeys(options, keyPath, "condition", "required", "restart");
                        if (options["condition"] is { } conditionNode && reading.Text(conditionNode, NodeReading.Join(keyPath, "condition")) is { } condition
                            && condition is not ("service_started" or "service_healthy" or "service_completed_successfully"))
                        {
                            reading.Error(conditionNode, NodeReading.Join(keyPath, "condition"), $"'{condition}' is not a condition; use service_started, service_healthy or service_completed_successfully");
                        }

                        required = options["required"] is not { } requiredNode || reading.Bool(requiredNode, NodeReading.Join(keyPath, "required")) != false;
                        if (options["restart"] is { } restartNode)
                        {
                            reading.Bool(restartNode, NodeReading.Join(keyPath, "restart"));
                        }
                    }
                    else if (value is not YScalar { IsNull: true })
                    {
                        reading.Error(value, keyPath, $"expected a mapping with condition, required or restart, found {value.Describe()}");
                    }

                    dependencies.Add((key.Value, key, keyPath, required));
                }

                break;
            default:
                reading.Error(node, path, $"expected a list of services or a mapping of services, found {node.Describe()}");
                return;
        }

        foreach (var (dependency, at, key, required) in dependencies)
        {
            if (!services.ContainsKey(dependency) || dependency.StartsWith("x-", StringComparison.Ordinal))
            {
                reading.Error(at, key, $"depends on service '{dependency}', which is not defined under services");
            }
            else if (disabled.Contains(dependency) && required)
            {
                reading.Error(at, key, $"depends on service '{dependency}', which its profiles leave out; select one of its profiles, or mark the dependency 'required: false' (Docker Compose refuses it the same way)");
            }
        }
    }

    private static readonly string[] VolumeKeys = ["driver", "driver_opts", "external", "labels", "name"];

    private static SortedDictionary<string, ComposeVolume> ReadVolumes(YMapping root, NodeReading top)
    {
        var result = new SortedDictionary<string, ComposeVolume>(StringComparer.Ordinal);
        if (root["volumes"] is not { } node || node is YScalar { IsNull: true } || top.Mapping(node, "volumes") is not { } volumes)
        {
            return result;
        }

        foreach (var (key, value) in volumes.Entries.Where(e => !e.Key.Value.StartsWith("x-", StringComparison.Ordinal)))
        {
            var path = $"volumes.{key.Value}";
            var external = false;
            if (value is YMapping options)
            {
                top.RejectUnknownKeys(options, path, VolumeKeys);
                external = External(options, path, key.Value, top);
                foreach (var (option, _) in options.Entries.Where(e => e.Key.Value is "labels" or "name"))
                {
                    top.NoEffectWarning(option.Start, NodeReading.Join(path, option.Value), "has no effect: every named volume is a directory on the app's one disk");
                }

                // Docker's own driver, local, is what a directory of the disk stands for; another driver's volume is not made.
                if (options.KeyNode("driver") is { } driverKey && top.Text(options["driver"]!, NodeReading.Join(path, "driver")) is { } driver)
                {
                    if (driver == "local")
                    {
                        top.NoEffectWarning(driverKey.Start, NodeReading.Join(path, "driver"), "has no effect: every named volume is a directory on the app's one disk");
                    }
                    else
                    {
                        top.Warning(driverKey.Start, NodeReading.Join(path, "driver"), $"'{driver}' is not used: the volume is a directory on the app's one disk, not a volume of the {driver} driver");
                    }
                }

                DriverOptions(options, path, top);
            }
            else if (value is not YScalar { IsNull: true })
            {
                top.Error(value.Start, path, $"expected a mapping or nothing, found {value.Describe()}");
                continue;
            }

            result[key.Value] = new ComposeVolume(key.Value, key.Start) { External = external };
        }

        return result;
    }

    // compose-spec 07-volumes.md: "If set to true, external specifies that this volume already exists on the platform and
    // its lifecycle is managed outside of that of the application. Compose then doesn't create the volume and returns an
    // error if the volume doesn't exist." (docker/compose pkg/compose/create.go: "external volume %q not found").
    private static bool External(YMapping options, string path, string name, NodeReading top)
    {
        if (options["external"] is not { } node || node is YScalar { IsNull: true })
        {
            return false;
        }

        var key = NodeReading.Join(path, "external");
        // The legacy form `external: { name: x }` is external too (compose-go types.External).
        var external = node is YMapping || top.Bool(node, key) == true;
        if (external)
        {
            top.Warning(node.Start, key, $"the volume is external: docker compose does not create it and refuses to start without it; Kompox uses the directory volumes/{name} on the app's disk, so a deploy that would create the app's first disk is refused; bring the volume's data onto the app's disk first (about_Kompox_DiskLayout)");
        }

        return external;
    }

    // The local driver's options are mount(8)'s (moby volume/local/local_unix.go: type, o, device): `o: bind` with a device
    // binds a host directory, type nfs or cifs mounts a remote share (addr= in o). Neither can live on the app's disk.
    private static void DriverOptions(YMapping options, string path, NodeReading top)
    {
        if (options["driver_opts"] is not { } node || node is YScalar { IsNull: true })
        {
            return;
        }

        var key = NodeReading.Join(path, "driver_opts");
        if (top.Mapping(node, key) is not { } opts)
        {
            return;
        }

        string? Option(string name) => opts[name] is YScalar { IsNull: false } scalar ? scalar.Value : null;
        var type = Option("type")?.ToLowerInvariant();
        var o = Option("o") ?? string.Empty;
        var device = Option("device");
        var flags = o.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        if (type is "nfs" or "nfs4" or "cifs" or "smb" or "smb3")
        {
            var address = flags.FirstOrDefault(f => f.StartsWith("addr=", StringComparison.Ordinal))?[5..];
            var remote = type.StartsWith("nfs", StringComparison.Ordinal) ? $"{address}{device}" : device ?? address;
            top.Error(node.Start, key, $"mounts the {type.ToUpperInvariant()} share {remote ?? "(no device)"} of a remote server; an app's volumes live on its one disk: copy the share's data onto the app's disk, or have the service mount the share itself");
        }
        else if (flags.Any(f => f is "bind" or "rbind"))
        {
            top.Error(node.Start, key, $"binds the host path '{device}' (o: {o}): an absolute bind mount, refused as those are; only paths inside the project directory (./...) can live on the app's disk");
        }
        else
        {
            top.Warning(node.Start, key, $"{(type is null ? "are" : $"(type {type}) are")} not used: the volume is a directory on the app's one disk, not a mount with these options");
        }
    }

    private static (SortedDictionary<string, ComposeContent> Contents, HashSet<string> Names) ReadContents(
        YMapping root, string kind, ProjectFiles files, IReadOnlyDictionary<string, string> variables, NodeReading top)
    {
        var contents = new SortedDictionary<string, ComposeContent>(StringComparer.Ordinal);
        var names = new HashSet<string>(StringComparer.Ordinal);
        if (root[kind] is not { } node || node is YScalar { IsNull: true } || top.Mapping(node, kind) is not { } entries)
        {
            return (contents, names);
        }

        var singular = kind == "configs" ? "config" : "secret";
        foreach (var (key, value) in entries.Entries.Where(e => !e.Key.Value.StartsWith("x-", StringComparison.Ordinal)))
        {
            var path = $"{kind}.{key.Value}";
            names.Add(key.Value);
            if (top.Mapping(value, path) is not { } entry)
            {
                continue;
            }

            // The compose-spec schema gives only configs inline content; `content` on a secret gets its own message.
            top.RejectUnknownKeys(entry, path, kind == "configs" ? ["file", "environment", "content", "external", "labels", "name", "template_driver"]
                : ["file", "environment", "content", "external", "labels", "name", "driver", "driver_opts", "template_driver"]);
            if (kind == "secrets" && entry.KeyNode("content") is { } contentKey)
            {
                top.Error(contentKey.Start, NodeReading.Join(path, "content"), "is not a compose key for secrets: only configs have inline content; put the secret in a file, or name a variable with 'environment'");
                continue;
            }

            foreach (var (option, _) in entry.Entries.Where(e => e.Key.Value is "name" or "labels" or "template_driver" or "driver" or "driver_opts"))
            {
                top.NoEffectWarning(option.Start, NodeReading.Join(path, option.Value), $"has no effect: the {singular} becomes a Kubernetes object named by Kompox");
            }

            if (entry["external"] is { } externalNode && top.Bool(externalNode, NodeReading.Join(path, "external")) == true)
            {
                top.Error(externalNode.Start, NodeReading.Join(path, "external"),
                    $"external {kind} are not available in Kubernetes; give the {singular} a file, content or environment source");
                continue;
            }

            var sources = new[] { "file", "content", "environment" }.Where(entry.ContainsKey).ToList();
            if (sources.Count != 1)
            {
                top.Error(key.Start, path, sources.Count == 0
                    ? $"a {singular} needs one of file, content or environment"
                    : $"a {singular} takes only one of {string.Join(", ", sources)}");
                continue;
            }

            var sourceNode = entry[sources[0]]!;
            var sourcePath = NodeReading.Join(path, sources[0]);
            var sourceText = sources[0] == "content" && sourceNode is YScalar { IsNull: true } ? string.Empty : top.Text(sourceNode, sourcePath);
            if (sourceText is null)
            {
                continue;
            }

            byte[]? bytes = sources[0] switch
            {
                "file" => ReadContentFile(sourceText, files, sourceNode, sourcePath, top),
                "environment" when variables.TryGetValue(sourceText, out var variable) => Encoding.UTF8.GetBytes(variable),
                "environment" => Missing(sourceNode, sourcePath, $"the variable {sourceText} is not set in the environment or in .env", top),
                _ => Encoding.UTF8.GetBytes(sourceText),
            };
            if (bytes is not null)
            {
                contents[key.Value] = new ComposeContent(key.Value, bytes, key.Start);
            }
        }

        return (contents, names);
    }

    private static byte[]? Missing(YNode node, string path, string message, NodeReading top)
    {
        top.Error(node.Start, path, message);
        return null;
    }

    // Byte for byte: a secret may be binary, a config empty; BOM and line ends are the file's own.
    private static byte[]? ReadContentFile(string file, ProjectFiles files, YNode node, string path, NodeReading top)
    {
        var real = files.Resolve(file, out var problem);
        var bytes = real is null ? null : ProjectFiles.ReadBytes(real, file, MaxIncludedFileBytes, out problem);
        return bytes ?? Missing(node, path, problem!, top);
    }
}
