using Kompox.Drivers;
using Kompox.Model;
using Kompox.Yaml;

namespace Kompox.Config;

/// <summary>
/// The resources one kompoxops.yml describes, linked to each other, and the warnings found on the way: the service,
/// provider and cluster (its own or those of the cluster file it names) and its apps, in the order they are written.
/// </summary>
public sealed record ConfigResult(KompoxService Service, KompoxProvider Provider, KompoxCluster Cluster, IReadOnlyList<KompoxApp> Apps, IReadOnlyList<Diagnostic> Warnings)
{
    /// <summary>The file's one app, for callers that take exactly one (a move's destination, a completer).</summary>
    /// <exception cref="KompoxException"><c>NotOneApp</c> when the file holds none or several.</exception>
    public KompoxApp App => Apps.Count == 1
        ? Apps[0]
        : throw new KompoxException("NotOneApp", ErrorKind.InvalidArgument, $"{Service.ConfigPath ?? "the config"} holds {(Apps.Count == 0 ? "no app" : $"{Apps.Count} apps ({string.Join(", ", Apps.Select(a => a.Name))})")}; name a kompoxops.yml with one app") { Target = Service.ConfigPath };
}

/// <summary>
/// Reads and validates kompoxops.yml (version 1): a YAML stream whose first document holds version, service, provider
/// and cluster (or <c>cluster.file</c>, a shared cluster file to take them from) and optionally an app, and whose
/// following documents hold one <c>app</c> each.
/// </summary>
public static class KompoxConfig
{
    public const long MaxConfigBytes = 1024 * 1024;
    public const long MaxComposeBytes = 4 * 1024 * 1024;
    public const string DefaultFileName = "kompoxops.yml";

    private static readonly string[] TopKeys = { "version", "service", "provider", "cluster", "app" };

    /// <param name="path">Full path of the file.</param>
    /// <param name="shownAs">The file as the user named it, for messages; defaults to <paramref name="path"/>.</param>
    /// <exception cref="KompoxValidationException">Every problem found, each with file, line, column and key path.</exception>
    /// <exception cref="KompoxException">The file cannot be read at all.</exception>
    public static ConfigResult Load(string path, string? shownAs = null)
    {
        shownAs ??= path;
        var text = TextFile.Read(path, shownAs, MaxConfigBytes);
        var documents = YamlReader.ReadStream(text, shownAs);
        var r = new MappingReader(shownAs);
        if (documents.Count == 0 || documents[0].Root is not YMapping top)
        {
            var root = documents.Count == 0 ? null : documents[0].Root;
            r.Error(root?.Start ?? new SourceMark(1, 1), string.Empty, $"expected a mapping with version, service, provider, cluster and app, found {root?.Describe() ?? "nothing"}");
            throw Invalid(shownAs, r);
        }

        var configDir = Path.GetDirectoryName(Path.GetFullPath(path))!;
        var (service, provider, cluster, driver) = ClusterFile(top) is { } fileNode
            ? ReadClusterFile(r, top, fileNode, path, shownAs)
            : ReadOwnCluster(r, top, path);

        var apps = new List<(YMapping Map, KompoxApp? App)>();

        // Filled once every app is read; each app holds the same list.
        var names = new List<string>();

        // A file without an app is a cluster file, unless it takes its cluster from another: then its app is missing.
        if (top.ContainsKey("app") || (ClusterFile(top) is not null && documents.Skip(1).All(d => IsEmpty(d.Root))))
        {
            apps.Add((top, ReadApp(r, top, cluster, driver, configDir, path, names)));
        }

        foreach (var (_, root) in documents.Skip(1))
        {
            if (IsEmpty(root))
            {
                continue;
            }

            if (root is not YMapping doc || !doc.ContainsKey("app"))
            {
                r.Error(root.Start, string.Empty, $"a document after the first holds one app (a mapping with the key 'app'), found {(root is YMapping ? "a mapping without 'app'" : root.Describe())}");
                continue;
            }

            foreach (var (key, _) in doc.Entries.Where(e => e.Key.Value != "app" && !e.Key.Value.StartsWith("x-", StringComparison.Ordinal)))
            {
                r.Error(key.Start, key.Value, $"a document after the first holds only 'app'; {(TopKeys.Contains(key.Value) ? $"'{key.Value}' belongs in the first document (line {documents[0].Start.Line}), which every app of the file shares" : "unknown key")}");
            }

            apps.Add((doc, ReadApp(r, doc, cluster, driver, configDir, path, names)));
        }

        RefuseSameNames(r, apps);
        names.AddRange(apps.Select(a => a.App?.Name).OfType<string>());
        if (r.HasErrors || service is null || provider is null || cluster is null || apps.Any(a => a.App is null))
        {
            throw Invalid(shownAs, r);
        }

        return new ConfigResult(service, provider, cluster, apps.Select(a => a.App!).ToList(), r.Diagnostics.Where(d => d.Severity == Severity.Warning).ToList());
    }

    /// <summary>A document with no content: an explicit one (<c>---</c> and nothing) holds an empty null scalar.</summary>
    private static bool IsEmpty([System.Diagnostics.CodeAnalysis.NotNullWhen(false)] YNode? root) => root is null or YScalar { IsNull: true, Value.Length: 0 };

    /// <summary>The value of <c>cluster.file</c>, when the cluster is a mapping that names one.</summary>
    private static YNode? ClusterFile(YMapping top) => top["cluster"] is YMapping cluster && cluster.ContainsKey("file") ? cluster["file"] : null;

    private static (KompoxService?, KompoxProvider?, KompoxCluster?, IProviderDriver?) ReadOwnCluster(MappingReader r, YMapping top, string path)
    {
        r.OnlyKeys(top, string.Empty, TopKeys);
        ReadVersion(r, top);
        var service = ReadService(r, top, path);
        var provider = ReadProvider(r, top, service, out var driver);
        var cluster = ReadCluster(r, top, provider, driver);
        return (service, provider, cluster, driver);
    }

    private static void ReadVersion(MappingReader r, YMapping top)
    {
        var version = r.Integer(top, string.Empty, "version", required: true);
        if (version is not null and not 1)
        {
            r.Error(top["version"]!.Start, "version", $"unsupported version {version}; this Kompox reads version 1");
        }
    }

    /// <summary>
    /// <c>cluster: {file: ../cluster.yml}</c>: the service, provider and cluster are those of the first document of
    /// that file, so that every app of a cluster shares one definition of it. Its own problems are reported in it.
    /// </summary>
    private static (KompoxService?, KompoxProvider?, KompoxCluster?, IProviderDriver?) ReadClusterFile(MappingReader r, YMapping top, YNode fileNode, string path, string shownAs)
    {
        r.OnlyKeys(top, string.Empty, TopKeys);
        ReadVersion(r, top);
        var clusterMap = (YMapping)top["cluster"]!;
        foreach (var (key, _) in clusterMap.Entries.Where(e => e.Key.Value != "file"))
        {
            r.Error(key.Start, $"cluster.{key.Value}", "cluster.file names the file that defines the cluster: define it there, not beside it");
        }

        foreach (var key in new[] { "service", "provider" }.Where(top.ContainsKey))
        {
            r.Error(top.KeyNode(key)!.Start, key, $"the {key} comes from the cluster file that cluster.file names: define it there, not here");
        }

        var relative = r.Text(fileNode, "cluster.file");
        if (relative is null)
        {
            return (null, null, null, null);
        }

        var expanded = ExpandHome(relative);
        var full = Path.GetFullPath(Path.Combine(Path.GetDirectoryName(Path.GetFullPath(path))!, expanded));
        var clusterShownAs = Path.IsPathRooted(expanded) ? expanded : Path.Combine(Path.GetDirectoryName(shownAs) ?? string.Empty, expanded);
        if (string.Equals(full, Path.GetFullPath(path), StringComparison.Ordinal))
        {
            r.Error(fileNode.Start, "cluster.file", $"'{relative}' is this file; name the file that defines the cluster");
            return (null, null, null, null);
        }

        YMapping clusterTop;
        var c = new MappingReader(clusterShownAs);
        try
        {
            var documents = YamlReader.ReadStream(TextFile.Read(full, clusterShownAs, MaxConfigBytes), clusterShownAs);
            if (documents.Count == 0 || documents[0].Root is not YMapping first)
            {
                r.Error(fileNode.Start, "cluster.file", $"cluster file '{relative}' holds no mapping with version, service, provider and cluster ({full})");
                return (null, null, null, null);
            }

            clusterTop = first;
        }
        catch (KompoxValidationException e)
        {
            r.Add(e.Problems);
            r.Error(fileNode.Start, "cluster.file", $"cluster file '{relative}' cannot be read (see its problems)");
            return (null, null, null, null);
        }
        catch (KompoxException e)
        {
            r.Error(fileNode.Start, "cluster.file", e.ErrorId == "FileNotFound" ? $"cluster file '{relative}' not found (looked for {full})" : e.Message);
            return (null, null, null, null);
        }

        if (ClusterFile(clusterTop) is { } chained)
        {
            c.Error(chained.Start, "cluster.file", $"a cluster file defines the cluster itself; it cannot name another cluster file (named by {shownAs})");
            r.Add(c.Diagnostics);
            return (null, null, null, null);
        }

        // Its apps, if any, are its own: only what the apps share is taken.
        var (service, provider, cluster, driver) = ReadOwnCluster(c, clusterTop, full);
        r.Add(c.Diagnostics);
        return (service, provider, cluster, driver);
    }

    private static void RefuseSameNames(MappingReader r, List<(YMapping Map, KompoxApp? App)> apps)
    {
        var seen = new Dictionary<string, SourceMark>(StringComparer.Ordinal);
        foreach (var (map, app) in apps)
        {
            if (app is null)
            {
                continue;
            }

            var at = MappingReader.Locate(map, "app.name");
            if (!seen.TryAdd(app.Name, at))
            {
                r.Error(at, "app.name", $"app '{app.Name}' is already defined at line {seen[app.Name].Line}; each app of a file needs its own name");
            }
        }
    }

    private static KompoxValidationException Invalid(string shownAs, MappingReader r) =>
        new("InvalidConfig", shownAs, r.Diagnostics.OrderBy(d => d.Line).ThenBy(d => d.Column).ToList());

    private static KompoxService? ReadService(MappingReader r, YMapping top, string path)
    {
        var map = r.Mapping(top, string.Empty, "service", required: true);
        if (map is null)
        {
            return null;
        }

        r.OnlyKeys(map, "service", "name");
        var name = Name(r, map, "service", n => Names.CheckDnsLabel(n));
        return name is null ? null : new KompoxService { Name = name, ConfigPath = Path.GetFullPath(path) };
    }

    private static KompoxProvider? ReadProvider(MappingReader r, YMapping top, KompoxService? service, out IProviderDriver? driver)
    {
        driver = null;
        var map = r.Mapping(top, string.Empty, "provider", required: true);
        if (map is null)
        {
            return null;
        }

        r.OnlyKeys(map, "provider", "name", "driver", "settings");
        var name = Name(r, map, "provider", n => Names.CheckDnsLabel(n));
        var driverName = r.String(map, "provider", "driver", required: true);
        if (driverName is not null)
        {
            driver = ProviderDrivers.Find(driverName);
            if (driver is null)
            {
                var known = string.Join(", ", ProviderDrivers.All.Select(d => d.Name));
                var why = ProviderDrivers.Planned.Contains(driverName)
                    ? $"driver '{driverName}' is planned but not available yet; use one of: {known}"
                    : $"unknown driver '{driverName}'; use one of: {known}";
                r.Error(map["driver"]!.Start, "provider.driver", why);
            }
        }

        var settings = Settings(r, top, map, driver, SettingScope.Provider);
        if (name is null || driverName is null || service is null)
        {
            return null;
        }

        return new KompoxProvider { Name = name, Driver = driverName, Settings = settings, Service = service };
    }

    private static KompoxCluster? ReadCluster(MappingReader r, YMapping top, KompoxProvider? provider, IProviderDriver? driver)
    {
        var map = r.Mapping(top, string.Empty, "cluster", required: true);
        if (map is null)
        {
            return null;
        }

        r.OnlyKeys(map, "cluster", "name", "auth", "ingress", "domain", "settings");
        var name = Name(r, map, "cluster", n => Names.CheckDnsLabel(n));
        var auth = ReadAuth(r, map);
        var ingress = ReadIngress(r, map);
        var domain = r.String(map, "cluster", "domain", required: true);
        if (domain is not null && Names.CheckDnsSubdomain(domain) is { } badDomain)
        {
            r.Error(map["domain"]!.Start, "cluster.domain", badDomain);
            domain = null;
        }

        if (name is not null && domain is not null && Names.CheckDnsSubdomain($"{name}.{domain}") is { } badAppDomain)
        {
            r.Error(map["domain"]!.Start, "cluster.domain", $"the app domain {badAppDomain}");
        }

        var settings = Settings(r, top, map, driver, SettingScope.Cluster);
        if (name is null || domain is null || provider is null || auth is null || ingress is null)
        {
            return null;
        }

        return new KompoxCluster { Name = name, Provider = provider, Auth = auth, Ingress = ingress, Domain = domain, Settings = settings };
    }

    private static ClusterAuth? ReadAuth(MappingReader r, YMapping cluster)
    {
        var map = r.Mapping(cluster, "cluster", "auth", required: true);
        if (map is null)
        {
            return null;
        }

        r.OnlyKeys(map, "cluster.auth", "type", "kubeconfig", "context");
        var type = r.String(map, "cluster.auth", "type", required: true);
        if (type is not null and not "kubectl")
        {
            r.Error(map["type"]!.Start, "cluster.auth.type", $"unknown auth type '{type}'; use 'kubectl'");
            return null;
        }

        var kubeconfig = r.String(map, "cluster.auth", "kubeconfig", required: false);
        var context = r.String(map, "cluster.auth", "context", required: false);
        return type is null ? null : new ClusterAuth { Type = type, Kubeconfig = kubeconfig is null ? null : ExpandHome(kubeconfig), Context = context };
    }

    private static ClusterIngress? ReadIngress(MappingReader r, YMapping cluster)
    {
        var map = r.Mapping(cluster, "cluster", "ingress", required: false);
        if (map is null)
        {
            return cluster.ContainsKey("ingress") && cluster["ingress"] is not YScalar { IsNull: true } ? null : new ClusterIngress();
        }

        r.OnlyKeys(map, "cluster.ingress", "controller", "namespace");
        var ok = true;
        var controller = r.String(map, "cluster.ingress", "controller", required: false) ?? "traefik";
        if (controller != "traefik")
        {
            r.Error(map["controller"]!.Start, "cluster.ingress.controller", $"unknown ingress controller '{controller}'; Kompox installs and uses 'traefik'");
            ok = false;
        }

        var ns = r.String(map, "cluster.ingress", "namespace", required: false) ?? "traefik";
        if (Names.CheckDnsLabel(ns) is { } badNs)
        {
            r.Error(map["namespace"]!.Start, "cluster.ingress.namespace", badNs);
            ok = false;
        }

        return ok ? new ClusterIngress { Controller = controller, Namespace = ns } : null;
    }

    private static KompoxApp? ReadApp(MappingReader r, YMapping top, KompoxCluster? cluster, IProviderDriver? driver, string configDir, string path, IReadOnlyList<string> names)
    {
        var map = r.Mapping(top, string.Empty, "app", required: true);
        if (map is null)
        {
            return null;
        }

        r.OnlyKeys(map, "app", "name", "compose", "ingress", "resources", "settings");
        var name = Name(r, map, "app", Names.CheckAppName);
        var compose = ReadComposeFiles(r, map, configDir);
        var ingress = ReadAppIngress(r, top, map, cluster);
        var resources = ReadResources(r, top, map);
        var settings = Settings(r, top, map, driver, SettingScope.App);
        if (name is null || compose is null || cluster is null)
        {
            return null;
        }

        return new KompoxApp
        {
            Name = name,
            Cluster = cluster,
            Compose = compose[0].Text,
            ComposePath = compose[0].Path,
            ComposeOverrides = map["compose"] is YSequence ? compose.Skip(1).ToList() : null,
            Ingress = ingress,
            Resources = resources,
            Settings = settings,
            ConfigPath = Path.GetFullPath(path),
            ConfigAppNames = names,
        };
    }

    // app.compose: one file, read as `docker compose up` reads its directory, or a list, read as `docker compose -f a -f b`.
    private static List<ComposeFileText>? ReadComposeFiles(MappingReader r, YMapping app, string configDir)
    {
        if (app["compose"] is not YSequence list)
        {
            var relative = r.String(app, "app", "compose", required: true);
            return relative is not null && ReadCompose(r, relative, app["compose"]!.Start, "app.compose", configDir) is { } one ? [one] : null;
        }

        if (list.Items.Count == 0)
        {
            r.Error(list.Start, "app.compose", "is an empty list; name the compose file, or the files to merge in order");
            return null;
        }

        var files = new List<ComposeFileText>();
        for (var i = 0; i < list.Items.Count; i++)
        {
            var key = $"app.compose[{i}]";
            if (r.Text(list.Items[i], key) is { } relative && ReadCompose(r, relative, list.Items[i].Start, key, configDir) is { } file)
            {
                files.Add(file);
            }
        }

        return files.Count == list.Items.Count ? files : null;
    }

    private static ComposeFileText? ReadCompose(MappingReader r, string relative, SourceMark at, string key, string configDir)
    {
        if (Path.IsPathRooted(relative) || relative.StartsWith('~'))
        {
            r.Error(at, key, $"'{relative}' must be a path relative to the directory of the config file");
            return null;
        }

        var full = Path.GetFullPath(Path.Combine(configDir, relative));
        if (!IsInside(full, configDir) || ResolvesOutside(full, configDir))
        {
            r.Error(at, key, $"'{relative}' points outside the directory of the config file ({configDir})");
            return null;
        }

        try
        {
            return new ComposeFileText(full, TextFile.Read(full, relative, MaxComposeBytes));
        }
        catch (KompoxValidationException e)
        {
            r.Error(at, key, e.Problems[0].Message + $" ('{relative}')");
        }
        catch (KompoxException e)
        {
            r.Error(at, key, e.ErrorId == "FileNotFound" ? $"compose file '{relative}' not found (looked for {full})" : e.Message);
        }

        return null;
    }

    private static bool IsInside(string full, string dir)
    {
        var prefix = dir.EndsWith(Path.DirectorySeparatorChar) ? dir : dir + Path.DirectorySeparatorChar;
        return full.StartsWith(prefix, OperatingSystem.IsWindows() ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal);
    }

    // A symbolic link inside the directory can still lead out of it.
    private static bool ResolvesOutside(string full, string dir)
    {
        try
        {
            var target = File.ResolveLinkTarget(full, returnFinalTarget: true);
            if (target is null)
            {
                return false;
            }

            var realDir = Directory.ResolveLinkTarget(dir, returnFinalTarget: true)?.FullName ?? dir;
            return !IsInside(target.FullName, dir) && !IsInside(target.FullName, realDir);
        }
        catch (IOException)
        {
            return false;
        }
    }

    private static IReadOnlyDictionary<string, string> ReadAppIngress(MappingReader r, YMapping top, YMapping app, KompoxCluster? cluster)
    {
        var hosts = r.StringMap(app, "app", "ingress");
        var problems = new List<KeyProblem>();
        Names.CustomHosts(hosts, cluster?.AppDomain, problems);
        return Accepted(r, top, "app.ingress", hosts, problems);
    }

    private static IReadOnlyDictionary<string, string> ReadResources(MappingReader r, YMapping top, YMapping app)
    {
        if (r.Mapping(app, "app", "resources", required: false) is { } map)
        {
            r.OnlyKeys(map, "app.resources", Quantities.CpuKey, Quantities.MemoryKey);
        }

        var values = r.StringMap(app, "app", "resources");
        foreach (var key in values.Keys.Where(k => k is not (Quantities.CpuKey or Quantities.MemoryKey)).ToList())
        {
            values.Remove(key);
        }

        return Accepted(r, top, "app.resources", values, Quantities.Check(values).ToList());
    }

    private static IReadOnlyDictionary<string, string> Settings(MappingReader r, YMapping top, YMapping parent, IProviderDriver? driver, SettingScope scope)
    {
        var values = r.StringMap(parent, scope.ToString().ToLowerInvariant(), "settings");
        foreach (var problem in driver is null ? Enumerable.Empty<KeyProblem>() : SettingSpec.CheckAll(driver, scope, values))
        {
            r.Report(top, problem);
        }

        return values;
    }

    // The entries no error names; each problem is reported where its key is.
    private static SortedDictionary<string, string> Accepted(MappingReader r, YMapping top, string section, SortedDictionary<string, string> values, IReadOnlyList<KeyProblem> problems)
    {
        foreach (var problem in problems)
        {
            r.Report(top, problem);
            if (problem.Severity == Severity.Error)
            {
                values.Remove(problem.Key[(section.Length + 1)..]);
            }
        }

        return values;
    }

    private static string? Name(MappingReader r, YMapping map, string path, Func<string, string?> check)
    {
        var name = r.String(map, path, "name", required: true);
        if (name is not null && check(name) is { } bad)
        {
            r.Error(map["name"]!.Start, $"{path}.name", bad);
            return null;
        }

        return name;
    }

    private static string ExpandHome(string path) =>
        path == "~" || path.StartsWith("~/", StringComparison.Ordinal)
            ? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), path.Length > 2 ? path[2..] : string.Empty)
            : path;
}
