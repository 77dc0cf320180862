using System.Text.RegularExpressions;
using Kompox.Drivers;
using Kompox.Model;

namespace Kompox.Config;

/// <summary>What a new kompoxops.yml says about the app it is written for; null keeps the template's value.</summary>
public sealed record ConfigTemplateOptions
{
    /// <summary>The app's name (a DNS-1035 label of at most 40 characters).</summary>
    public string? AppName { get; init; }

    /// <summary>The compose file, relative to the directory of the kompoxops.yml.</summary>
    public string? ComposePath { get; init; }

    /// <summary>The cluster's DNS domain; apps get host names under <c>{cluster}.{domain}</c>.</summary>
    public string? Domain { get; init; }
}

/// <summary>The commented kompoxops.yml a new user starts from (draft command <c>kompoxops init</c>).</summary>
public static partial class ConfigTemplate
{
    /// <summary>The compose files Docker Compose looks for in a project directory, in its order of preference.</summary>
    public static readonly IReadOnlyList<string> ComposeFileNames = new[] { "compose.yaml", "compose.yml", "docker-compose.yaml", "docker-compose.yml" };

    [GeneratedRegex("^  name: my-app$", RegexOptions.Multiline)]
    private static partial Regex AppNameLine();

    [GeneratedRegex("^  compose: compose.yml$", RegexOptions.Multiline)]
    private static partial Regex ComposeLine();

    [GeneratedRegex("^  domain: .*$", RegexOptions.Multiline)]
    private static partial Regex DomainLine();

    [GeneratedRegex("^[A-Za-z0-9_][A-Za-z0-9_./-]*$")]
    private static partial Regex PlainScalar();

    /// <summary>The template for <paramref name="driver"/> (any case: <c>AKS</c> is <c>aks</c>), with the app's values from <paramref name="options"/>.</summary>
    public static string For(string driver, ConfigTemplateOptions? options = null)
    {
        var found = ProviderDrivers.FindIgnoringCase(driver)
            ?? throw new KompoxException("UnknownDriver", ErrorKind.InvalidArgument, $"unknown driver '{driver}'; use one of: {string.Join(", ", ProviderDrivers.All.Select(d => d.Name))}") { Target = driver };

        string text;
        using (var stream = typeof(ConfigTemplate).Assembly.GetManifestResourceStream($"Kompox.Config.Templates.{found.Name}.yml")
            ?? throw new InvalidOperationException($"the template for driver '{found.Name}' is missing from the engine assembly"))
        using (var reader = new StreamReader(stream))
        {
            text = reader.ReadToEnd();
        }

        if (options?.AppName is { } name)
        {
            if (Names.CheckAppName(name) is { } bad)
            {
                throw new KompoxException("InvalidAppName", ErrorKind.InvalidArgument, $"app name {bad}") { Target = name };
            }

            text = Replace(text, AppNameLine(), $"  name: {name}");
        }

        if (options?.ComposePath is { } compose)
        {
            if (compose.Length == 0 || Path.IsPathRooted(compose) || compose.Split('/', '\\').Contains(".."))
            {
                throw new KompoxException("InvalidComposePath", ErrorKind.InvalidArgument, $"'{compose}' must be a path relative to the directory of the kompoxops.yml, inside it") { Target = compose };
            }

            text = Replace(text, ComposeLine(), $"  compose: {YamlString(compose.Replace('\\', '/'))}");
        }

        if (options?.Domain is { } domain)
        {
            if (Names.CheckDnsSubdomain(domain) is { } bad)
            {
                throw new KompoxException("InvalidDomain", ErrorKind.InvalidArgument, $"domain {bad}") { Target = domain };
            }

            text = Replace(text, DomainLine(), $"  domain: {domain}");
        }

        return text;
    }

    /// <summary>
    /// A kompoxops.yml for one more app of an existing cluster: <c>cluster.file</c> names the file that defines it, and the
    /// app section is the template's for the cluster's driver, with the app's values from <paramref name="options"/>.
    /// </summary>
    /// <param name="driver">The cluster's provider driver, whose app settings the app section shows.</param>
    /// <param name="clusterFile">The cluster's file, relative to the directory of the new kompoxops.yml.</param>
    public static string ForCluster(string driver, string clusterFile, ConfigTemplateOptions? options = null)
    {
        if (options?.Domain is not null)
        {
            throw new KompoxException("InvalidDomain", ErrorKind.InvalidArgument, "the domain is the cluster's, defined in its file; an app of an existing cluster takes none") { Target = options.Domain };
        }

        var text = For(driver, options);
        var app = AppSection().Match(text);
        if (!app.Success)
        {
            throw new InvalidOperationException($"the template for driver '{driver}' has no app section");
        }

        var file = clusterFile.Replace('\\', '/');
        return $"""
            # kompoxops.yml: one Kompox app on the cluster that {file} defines, shared with the cluster's other apps.
            # Read it with:  Import-KompoxConfig -Path ./kompoxops.yml
            # Reference:     Get-Help about_Kompox
            version: 1

            cluster:
              # The file that defines the service, provider and cluster, relative to this one: every app of the cluster
              # names it, so that the cluster is defined once.
              file: {(UpwardPath().IsMatch(file) ? file : YamlString(file))}


            """ + app.Value;
    }

    /// <summary>Writes <see cref="ForCluster"/>'s text to <paramref name="path"/>, as <see cref="Write"/> does.</summary>
    public static FileInfo WriteForCluster(string path, string driver, string clusterFile, bool overwrite, ConfigTemplateOptions? options = null)
    {
        var text = ForCluster(driver, clusterFile, options);
        return AtomicFile.Write(EnsureWritable(path, overwrite), text, overwrite);
    }

    // A plain scalar may start with '.': only .inf and .nan (any case) would read as numbers, and these start with "../".
    [GeneratedRegex("^(\\.\\./)+[A-Za-z0-9_][A-Za-z0-9_./-]*$")]
    private static partial Regex UpwardPath();

    [GeneratedRegex("^app:.*", RegexOptions.Multiline | RegexOptions.Singleline)]
    private static partial Regex AppSection();

    /// <summary>The first compose file Docker Compose would pick in <paramref name="directory"/>, or null when it holds none.</summary>
    public static string? FindComposeFile(string directory) =>
        ComposeFileNames.FirstOrDefault(name => File.Exists(Path.Combine(directory, name)));

    /// <summary>Writes the template to <paramref name="path"/>, whole or not at all, and never over an existing file unless <paramref name="overwrite"/>.</summary>
    public static FileInfo Write(string path, string driver, bool overwrite, ConfigTemplateOptions? options = null)
    {
        var text = For(driver, options);
        return AtomicFile.Write(EnsureWritable(path, overwrite), text, overwrite);
    }

    /// <summary>Fails the way <see cref="Write"/> would before anything is written; returns the full path.</summary>
    public static string EnsureWritable(string path, bool overwrite)
    {
        var full = Path.GetFullPath(path);
        if (Directory.Exists(full))
        {
            throw new KompoxException("PathIsDirectory", ErrorKind.InvalidArgument, $"{path} is a directory; give the path of the file to write, e.g. {Path.Combine(path, KompoxConfig.DefaultFileName)}") { Target = path };
        }

        if (File.Exists(full) && !overwrite)
        {
            throw new KompoxException("ConfigFileExists", ErrorKind.AlreadyExists, $"{path} already exists") { Target = path, Remedy = Remedy.Overwrite };
        }

        return AtomicFile.InExistingDirectory(full);
    }

    private static string Replace(string text, Regex line, string with)
    {
        var replaced = line.Replace(text, with.Replace("$", "$$"), 1);
        return replaced != text || text.Contains(with, StringComparison.Ordinal)
            ? replaced
            : throw new InvalidOperationException($"the template has no line matching {line}");
    }

    private static string YamlString(string value) =>
        PlainScalar().IsMatch(value) && !value.EndsWith(':') ? value : $"'{value.Replace("'", "''")}'";
}
