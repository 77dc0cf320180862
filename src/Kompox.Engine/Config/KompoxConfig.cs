using Kompox.Drivers;
using Kompox.Model;
using Kompox.Yaml;

namespace Kompox.Config;

/// <summary>The four resources one kompoxops.yml describes, linked to each other, and the warnings found on the way.</summary>
public sealed record ConfigResult(KompoxService Service, KompoxProvider Provider, KompoxCluster Cluster, KompoxApp App, IReadOnlyList<Diagnostic> Warnings);

/// <summary>Reads and validates kompoxops.yml (version 1).</summary>
public static class KompoxConfig
{
    public const long MaxConfigBytes = 1024 * 1024;
    public const long MaxComposeBytes = 4 * 1024 * 1024;
    public const string DefaultFileName = "kompoxops.yml";

    private static readonly string[] TopKeys = { "version", "service", "provider", "cluster", "app" };

    /// <param name="path">Full path of the file.</param>
    /// <param name="shownAs">The file as the user named it, for messages; defaults to <paramref name="path"/>.</param>
    /// <exception cref="KompoxValidationException">Every problem found, each with line, column and key path.</exception>
    /// <exception cref="KompoxException">The file cannot be read at all.</exception>
    public static ConfigResult Load(string path, string? shownAs = null)
    {
        shownAs ??= path;
        var text = TextFile.Read(path, shownAs, MaxConfigBytes);
        var root = YamlReader.Read(text, shownAs);
        var r = new MappingReader(shownAs);
        if (root is not YMapping top)
        {
            r.Error(root?.Start ?? new SourceMark(1, 1), string.Empty, $"expected a mapping with version, service, provider, cluster and app, found {root?.Describe() ?? "nothing"}");
            throw Invalid(shownAs, r);
        }

        r.OnlyKeys(top, string.Empty, TopKeys);
        var version = r.Integer(top, string.Empty, "version", required: true);
        if (version is not null and not 1)
        {
            r.Error(top["version"]!.Start, "version", $"unsupported version {version}; this Kompox reads version 1");
        }

        var service = ReadService(r, top, path);
        var provider = ReadProvider(r, top, service, out var driver);
        var cluster = ReadCluster(r, top, provider, driver);
        var app = ReadApp(r, top, cluster, driver, Path.GetDirectoryName(Path.GetFullPath(path))!);
        if (r.HasErrors || app is null)
        {
            throw Invalid(shownAs, r);
        }

        return new ConfigResult(service!, provider!, cluster!, app, r.Diagnostics.Where(d => d.Severity == Severity.Warning).ToList());
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

    private static KompoxApp? ReadApp(MappingReader r, YMapping top, KompoxCluster? cluster, IProviderDriver? driver, string configDir)
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
