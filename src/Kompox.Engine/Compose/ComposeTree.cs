using Kompox.Yaml;

namespace Kompox.Compose;

/// <summary>Interpolates every scalar value of the document, building a new tree with the same positions.</summary>
internal sealed class TreeInterpolation(ComposeProblems problems, IReadOnlyDictionary<string, string> variables)
{
    // Aliased nodes are shared; expanding each once keeps the DAG small and reports each problem once.
    private readonly Dictionary<YNode, YNode> done = new(ReferenceEqualityComparer.Instance);

    public YNode Run(YNode root) => Walk(root, string.Empty, null);

    private YNode Walk(YNode node, string path, string? service)
    {
        if (done.TryGetValue(node, out var seen))
        {
            return seen;
        }

        YNode result;
        switch (node)
        {
            case YScalar scalar when scalar.Value.Contains('$', StringComparison.Ordinal):
                try
                {
                    var unset = new List<string>();
                    var value = Interpolation.Expand(scalar.Value, variables, unset);
                    foreach (var name in unset)
                    {
                        problems.Warning(scalar.Start, path, Interpolation.NotSetWarning(name), service);
                    }

                    // What a variable gives is a string, even "" or "null": as in compose-go, which interpolates
                    // after parsing, `KEY: ${EMPTY}` is the empty string, never a key written with no value.
                    result = new YScalar(scalar.Start, scalar.Tag, value, YScalarStyle.Quoted);
                }
                catch (InterpolationException e)
                {
                    problems.Error(scalar.Start, path, e.Message, service);
                    result = scalar;
                }

                break;
            case YMapping map:
                var newMap = new YMapping(map.Start, map.Tag);
                foreach (var (key, value) in map.Entries)
                {
                    var keyPath = NodeReading.Join(path, key.Value);
                    var keyService = service ?? (path == "services" ? key.Value : null);
                    // Extension sections are ignored, so a variable only they use must not be required.
                    var newValue = key.Value.StartsWith("x-", StringComparison.Ordinal) ? value : Walk(value, keyPath, keyService);
                    newMap.TryAdd(key, newValue);
                }

                result = newMap;
                break;
            case YSequence sequence:
                var newSequence = new YSequence(sequence.Start, sequence.Tag);
                for (var i = 0; i < sequence.Items.Count; i++)
                {
                    newSequence.Add(Walk(sequence.Items[i], NodeReading.Item(path, i), service));
                }

                result = newSequence;
                break;
            default:
                result = node;
                break;
        }

        done[node] = result;
        return result;
    }
}

/// <summary>Resolves <c>extends</c> inside one file: the base service's keys, overridden and extended by the service's own.</summary>
internal sealed class ServiceExtends(ComposeProblems problems, YMapping services)
{
    // Sequences that add up across extends; other sequences (command, entrypoint, ...) are replaced.
    private static readonly HashSet<string> AppendedLists = new(StringComparer.Ordinal)
    {
        "ports", "expose", "volumes", "configs", "secrets", "tmpfs", "cap_add", "cap_drop", "devices",
        "env_file", "dns", "dns_search", "extra_hosts", "external_links", "links", "security_opt", "profiles",
    };

    private static readonly HashSet<string> KeyValueSections = new(StringComparer.Ordinal) { "environment", "labels", "annotations" };

    private readonly Dictionary<string, YMapping> resolved = new(StringComparer.Ordinal);

    /// <summary>The service with its <c>extends</c> applied (and the <c>extends</c> key removed); null if it is not a mapping.</summary>
    public YMapping? Resolve(string name) => Resolve(name, new List<string>());

    private YMapping? Resolve(string name, List<string> chain)
    {
        if (resolved.TryGetValue(name, out var known))
        {
            return known;
        }

        if (services[name] is not YMapping own)
        {
            return null;
        }

        var path = $"services.{name}.extends";
        var reading = new NodeReading(problems, name);
        if (!own.TryGetValue("extends", out var extends))
        {
            resolved[name] = own;
            return own;
        }

        var baseName = BaseName(extends, path, reading);
        YMapping result;
        if (baseName is null)
        {
            result = Without(own, "extends");
        }
        else if (chain.Contains(name, StringComparer.Ordinal) || baseName == name)
        {
            var cycle = string.Join(" -> ", chain.SkipWhile(c => c != name).Append(name).Append(baseName).Distinct().Append(name));
            reading.Error(extends, path, $"extends forms a cycle ({cycle}); a service cannot extend itself, directly or through others");
            result = Without(own, "extends");
        }
        else if (!services.ContainsKey(baseName))
        {
            reading.Error(extends, path, $"extends service '{baseName}', which is not defined under services in this file");
            result = Without(own, "extends");
        }
        else
        {
            chain.Add(name);
            var baseService = Resolve(baseName, chain);
            chain.RemoveAt(chain.Count - 1);
            if (resolved.TryGetValue(name, out var doneWhileResolvingBase))
            {
                return doneWhileResolvingBase;
            }

            result = baseService is null ? Without(own, "extends") : MergeService(baseService, own);
        }

        resolved[name] = result;
        return result;
    }

    private static string? BaseName(YNode extends, string path, NodeReading reading)
    {
        switch (extends)
        {
            case YScalar { IsNull: false } scalar:
                return scalar.Value;
            case YMapping map:
                if (map.TryGetValue("file", out var file))
                {
                    reading.Error(file, NodeReading.Join(path, "file"), "extends from another file is not supported: Kompox reads one compose file; copy the base service into this file");
                    return null;
                }

                reading.RejectUnknownKeys(map, path, "service", "file");
                if (map["service"] is not { } service)
                {
                    reading.Error(extends, NodeReading.Join(path, "service"), "is required: the name of the service to extend");
                    return null;
                }

                return reading.Text(service, NodeReading.Join(path, "service"));
            default:
                reading.Error(extends, path, $"expected a service name or a mapping with 'service', found {extends.Describe()}");
                return null;
        }
    }

    private static YMapping Without(YMapping map, string key)
    {
        var copy = new YMapping(map.Start, map.Tag);
        foreach (var (k, v) in map.Entries.Where(e => e.Key.Value != key))
        {
            copy.TryAdd(k, v);
        }

        return copy;
    }

    /// <summary>
    /// An override file merged over the files before it (compose-spec 13-merge.md, compose-go override/merge.go):
    /// mappings merge key by key, a service as <c>extends</c> merges it (its lists add up, one entry per target or
    /// port), any other value is replaced by the override's.
    /// </summary>
    public static YMapping MergeDocuments(YMapping baseDocument, YMapping overrideDocument)
    {
        var merged = new YMapping(baseDocument.Start, baseDocument.Tag);
        foreach (var (key, baseValue) in baseDocument.Entries)
        {
            merged.TryAdd(key, overrideDocument.TryGetValue(key.Value, out var value)
                ? key.Value == "services" && baseValue is YMapping baseServices && value is YMapping services ? MergeServices(baseServices, services) : MergeValues(baseValue, value)
                : baseValue);
        }

        foreach (var (key, value) in overrideDocument.Entries)
        {
            merged.TryAdd(key, value);
        }

        return merged;
    }

    private static YMapping MergeServices(YMapping baseServices, YMapping services)
    {
        var merged = new YMapping(baseServices.Start, baseServices.Tag);
        foreach (var (key, baseService) in baseServices.Entries)
        {
            merged.TryAdd(key, services.TryGetValue(key.Value, out var service) && baseService is YMapping b && service is YMapping o
                ? MergeService(b, o, keepExtends: true)
                : service ?? baseService);
        }

        foreach (var (key, value) in services.Entries)
        {
            merged.TryAdd(key, value);
        }

        return merged;
    }

    private static YMapping MergeService(YMapping baseService, YMapping own, bool keepExtends = false)
    {
        var merged = new YMapping(own.Start, own.Tag);
        foreach (var (key, baseValue) in baseService.Entries)
        {
            if (own.TryGetValue(key.Value, out var ownValue))
            {
                merged.TryAdd(own.KeyNode(key.Value)!, MergeServiceKey(key.Value, baseValue, ownValue));
            }
            else
            {
                merged.TryAdd(key, baseValue);
            }
        }

        foreach (var (key, value) in own.Entries.Where(e => keepExtends || e.Key.Value != "extends"))
        {
            merged.TryAdd(key, value);
        }

        return merged;
    }

    private static YNode MergeServiceKey(string key, YNode baseValue, YNode ownValue)
    {
        if (KeyValueSections.Contains(key))
        {
            baseValue = AsKeyValueMapping(baseValue);
            ownValue = AsKeyValueMapping(ownValue);
        }

        if (baseValue is YSequence baseList && ownValue is YSequence ownList && AppendedLists.Contains(key))
        {
            return Append(key, baseList, ownList);
        }

        return MergeValues(baseValue, ownValue);
    }

    // Nested mappings (deploy, healthcheck, ...) merge key by key; anything else is overridden.
    private static YNode MergeValues(YNode baseValue, YNode ownValue)
    {
        if (baseValue is not YMapping baseMap || ownValue is not YMapping ownMap)
        {
            return ownValue;
        }

        var merged = new YMapping(ownMap.Start, ownMap.Tag);
        foreach (var (key, value) in baseMap.Entries)
        {
            merged.TryAdd(ownMap.KeyNode(key.Value) ?? key, ownMap.TryGetValue(key.Value, out var ownChild) ? MergeValues(value, ownChild) : value);
        }

        foreach (var (key, value) in ownMap.Entries)
        {
            merged.TryAdd(key, value);
        }

        return merged;
    }

    private static YSequence Append(string key, YSequence baseList, YSequence ownList)
    {
        var identity = key switch
        {
            "ports" => (Func<YNode, string?>)PortIdentity,
            "volumes" => VolumeIdentity,
            "configs" or "secrets" => FileMountIdentity,
            _ => item => item is YScalar scalar ? scalar.Value : null,
        };
        var ownIdentities = ownList.Items.Select(identity).Where(i => i is not null).ToHashSet(StringComparer.Ordinal);
        var merged = new YSequence(ownList.Start, ownList.Tag);
        foreach (var item in baseList.Items.Where(item => identity(item) is not { } id || !ownIdentities.Contains(id)))
        {
            merged.Add(item);
        }

        foreach (var item in ownList.Items)
        {
            merged.Add(item);
        }

        return merged;
    }

    // A port is identified by its container port and protocol: "8080:80" in the service replaces "80" from its base.
    private static string? PortIdentity(YNode item)
    {
        switch (item)
        {
            case YScalar scalar:
                var text = scalar.Value;
                var slash = text.LastIndexOf('/');
                var protocol = slash < 0 ? "tcp" : text[(slash + 1)..].ToLowerInvariant();
                var spec = slash < 0 ? text : text[..slash];
                return spec[(spec.LastIndexOf(':') + 1)..] + "/" + protocol;
            case YMapping map:
                return map["target"] is YScalar target
                    ? target.Value + "/" + ((map["protocol"] as YScalar)?.Value.ToLowerInvariant() ?? "tcp")
                    : null;
            default:
                return null;
        }
    }

    private static string? VolumeIdentity(YNode item) => item switch
    {
        YScalar scalar => scalar.Value.Split(':') is var parts && parts.Length > 1 ? parts[1] : parts[0],
        YMapping map => (map["target"] as YScalar)?.Value,
        _ => null,
    };

    private static string? FileMountIdentity(YNode item) => item switch
    {
        YScalar scalar => scalar.Value,
        YMapping map => (map["source"] as YScalar)?.Value,
        _ => null,
    };

    // environment: [A=1, B] and environment: {A: 1, B: } merge the same way, so lists become mappings first.
    private static YNode AsKeyValueMapping(YNode node)
    {
        if (node is not YSequence sequence || sequence.Items.Any(i => i is not YScalar))
        {
            return node;
        }

        var map = new YMapping(sequence.Start, sequence.Tag);
        foreach (var item in sequence.Items.Cast<YScalar>())
        {
            var equals = item.Value.IndexOf('=', StringComparison.Ordinal);
            var key = new YScalar(item.Start, null, equals < 0 ? item.Value : item.Value[..equals], YScalarStyle.Quoted);
            var value = equals < 0
                ? new YScalar(item.Start, null, string.Empty, YScalarStyle.Plain)
                : new YScalar(item.Start, null, item.Value[(equals + 1)..], YScalarStyle.Quoted);
            map.TryAdd(key, value);
        }

        return map;
    }
}
