using System.Text;
using Kompox.Yaml;

namespace Kompox.Compose;

/// <summary>Reads a compose file into a <see cref="ComposeProject"/>, collecting every problem before failing.</summary>
public static class ComposeLoader
{
    /// <summary>The largest config, secret, env file or <c>.env</c> read: a ConfigMap or Secret holds at most 1 MiB.</summary>
    public const long MaxIncludedFileBytes = 1024 * 1024;

    private const string ErrorId = "InvalidCompose";

    private static readonly Dictionary<string, string> TopLevelNoEffect = new(StringComparer.Ordinal)
    {
        ["version"] = "the compose file format no longer has versions; the key is obsolete and ignored",
        ["networks"] = "has no effect in one Pod: all services share the Pod's network",
    };

    /// <param name="text">The compose YAML.</param>
    /// <param name="file">How to name the file in messages (e.g. <c>compose.yml</c>).</param>
    /// <param name="projectDir">Directory of the compose file: relative binds, env_file, <c>.env</c>, config and secret files resolve against it.</param>
    /// <param name="environment">The process environment; it wins over the <c>.env</c> file.</param>
    /// <param name="profiles">Selected profiles; services without profiles are always active.</param>
    /// <exception cref="KompoxValidationException">Error id <c>InvalidCompose</c>, with every problem found.</exception>
    public static ComposeProject Load(string text, string file, string projectDir, IReadOnlyDictionary<string, string> environment, IReadOnlyCollection<string>? profiles = null)
    {
        var problems = new ComposeProblems(file);
        YNode? document;
        try
        {
            document = YamlReader.Read(text, file);
        }
        catch (KompoxValidationException e)
        {
            throw new KompoxValidationException(ErrorId, file, e.Problems);
        }

        var fullProjectDir = Path.GetFullPath(projectDir);
        var variables = Variables(fullProjectDir, environment, problems);
        var top = new NodeReading(problems, null);
        if (document is not YMapping raw)
        {
            problems.Error(document?.Start ?? SourceMark.File, "services", document is null
                ? "the file is empty; a compose file needs a 'services' mapping"
                : $"expected a mapping with 'services', found {document.Describe()}", null);
            throw new KompoxValidationException(ErrorId, file, problems.All);
        }

        var root = (YMapping)new TreeInterpolation(problems, variables).Run(raw);
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
            else
            {
                top.Warning(key.Start, key.Value, TopLevelNoEffect.GetValueOrDefault(key.Value) ?? "unknown key, ignored");
            }
        }

        var name = root["name"] is { } nameNode and not YScalar { IsNull: true } ? top.Text(nameNode, "name") : null;
        var volumes = ReadVolumes(root, top);
        var configs = ReadContents(root, "configs", fullProjectDir, variables, top);
        var secrets = ReadContents(root, "secrets", fullProjectDir, variables, top);
        var context = new ProjectContext(fullProjectDir, variables, configs.Names, secrets.Names);
        var services = ReadServices(root, problems, top, context, profiles ?? Array.Empty<string>());

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

    // The .env file beside the compose file, overlaid by the process environment.
    private static Dictionary<string, string> Variables(string projectDir, IReadOnlyDictionary<string, string> environment, ComposeProblems problems)
    {
        var variables = new Dictionary<string, string>(StringComparer.Ordinal);
        var dotEnvPath = Path.Combine(projectDir, ".env");
        if (File.Exists(dotEnvPath))
        {
            try
            {
                var (entries, errors) = DotEnv.Parse(TextFile.Read(dotEnvPath, ".env", MaxIncludedFileBytes));
                foreach (var error in errors)
                {
                    problems.Error(new SourceMark(error.Line, 1), string.Empty, error.Message, null, ".env");
                }

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
            catch (KompoxException e) when (e.ErrorId == "FileEmpty")
            {
                // An empty .env defines nothing.
            }
            catch (KompoxException e)
            {
                problems.Error(SourceMark.File, string.Empty, NodeReading.Describe(e), null, ".env");
            }
        }

        foreach (var (key, value) in environment)
        {
            variables[key] = value;
        }

        return variables;
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
        var anyActive = false;
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

            if (!IsActive(service, name, reading, profiles))
            {
                continue;
            }

            anyActive = true;
            result.Add(new ServiceReader(problems, name, service, key.Start, context).Read());
        }

        if (!anyActive && !problems.HasErrors)
        {
            top.Error(services.Start, "services", profiles.Count == 0
                ? "no service is active: every service has profiles and none is selected"
                : $"no service is active for the profiles {string.Join(", ", profiles)}");
        }

        return result;
    }

    private static bool IsActive(YMapping service, string name, NodeReading reading, IReadOnlyCollection<string> selected)
    {
        if (service["profiles"] is not { } profilesNode || profilesNode is YScalar { IsNull: true })
        {
            return true;
        }

        var own = reading.Strings(profilesNode, $"services.{name}.profiles", allowSingle: false);
        return own.Count == 0 || own.Any(p => selected.Contains(p.Value, StringComparer.Ordinal));
    }

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
            if (value is YMapping options)
            {
                foreach (var (option, _) in options.Entries.Where(e => !e.Key.Value.StartsWith("x-", StringComparison.Ordinal)))
                {
                    var known = option.Value is "driver" or "driver_opts" or "external" or "labels" or "name";
                    top.Warning(option.Start, NodeReading.Join(path, option.Value), known
                        ? "has no effect: every named volume is a directory on the app's one disk"
                        : "unknown key, ignored");
                }
            }
            else if (value is not YScalar { IsNull: true })
            {
                top.Error(value.Start, path, $"expected a mapping or nothing, found {value.Describe()}");
                continue;
            }

            result[key.Value] = new ComposeVolume(key.Value, key.Start);
        }

        return result;
    }

    private static (SortedDictionary<string, ComposeContent> Contents, HashSet<string> Names) ReadContents(
        YMapping root, string kind, string projectDir, IReadOnlyDictionary<string, string> variables, NodeReading top)
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

            foreach (var (option, _) in entry.Entries)
            {
                if (option.Value is "name" or "labels" or "template_driver" or "driver" or "driver_opts")
                {
                    top.Warning(option.Start, NodeReading.Join(path, option.Value), $"has no effect: the {singular} becomes a Kubernetes object named by Kompox");
                }
                else if (option.Value is not ("file" or "content" or "environment" or "external") && !option.Value.StartsWith("x-", StringComparison.Ordinal))
                {
                    top.Warning(option.Start, NodeReading.Join(path, option.Value), "unknown key, ignored");
                }
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
                "file" => ReadContentFile(sourceText, projectDir, sourceNode, sourcePath, top),
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

    private static byte[]? ReadContentFile(string file, string projectDir, YNode node, string path, NodeReading top)
    {
        var full = Path.GetFullPath(Path.Combine(projectDir, file));
        var comparison = OperatingSystem.IsWindows() ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal;
        var inside = Path.TrimEndingDirectorySeparator(projectDir) + Path.DirectorySeparatorChar;
        if (!full.StartsWith(inside, comparison))
        {
            return Missing(node, path, $"'{file}' is outside the compose file's directory ({projectDir}); keep config and secret files beside the compose file", top);
        }

        try
        {
            return Encoding.UTF8.GetBytes(TextFile.Read(full, file, MaxIncludedFileBytes));
        }
        catch (KompoxException e)
        {
            return Missing(node, path, NodeReading.Describe(e), top);
        }
    }
}
