using System.Collections;
using System.Management.Automation;
using System.Management.Automation.Language;
using Kompox.Compose;
using Kompox.Config;
using Kompox.Conversion;
using Kompox.PowerShell;
using Engine = Kompox.Model;

namespace Kompox.Cmdlets;

/// <summary>
/// Tab completion of -Service: the services of the app's compose file, read offline as a deploy reads them (every
/// profile, since a deploy may have enabled any), named as their containers are. The app is the -App given, else
/// the files of -Path or -LiteralPath, else kompoxops.yml in the current location. Nothing is completed when
/// they cannot be read.
/// </summary>
internal sealed class ServiceCompleter : IArgumentCompleter
{

    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete, CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        // A completer that throws shows the user an error in the middle of typing; a file that cannot be read is
        // no reason for that, and the cmdlet itself reports it when run.
        try
        {
            var prefix = wordToComplete.Trim('\'', '"');
            return Services(fakeBoundParameters)
                .Where(s => s.Name.StartsWith(prefix, StringComparison.OrdinalIgnoreCase))
                .DistinctBy(s => s.Name)
                .OrderBy(s => s.Name, StringComparer.Ordinal)
                .Select(s => new CompletionResult(s.Name, s.Name, CompletionResultType.ParameterValue, s.Image is null ? s.Name : $"{s.Name}: {s.Image}"))
                .ToList();
        }
        catch (Exception)
        {
            return Array.Empty<CompletionResult>();
        }
    }

    private static IEnumerable<(string Name, string? Image)> Services(IDictionary bound)
    {
        foreach (var project in AppFiles.Projects(bound))
        {
            foreach (var service in project.Services)
            {
                // A container is named after its service as a DNS label; that name is what -Service takes.
                if (KubeNames.ToDnsLabel(service.Name) is { } container)
                {
                    yield return (container, service.Image);
                }
            }
        }
    }
}

/// <summary>
/// Tab completion of -Profile: the profiles the services of the app's compose file name (the same apps as
/// <see cref="ServiceCompleter"/> reads), each with the services it enables.
/// </summary>
internal sealed class ProfileCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete, CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        try
        {
            var prefix = wordToComplete.Trim('\'', '"');
            return AppFiles.Projects(fakeBoundParameters)
                .SelectMany(p => p.Services)
                .SelectMany(s => s.Profiles.Select(profile => (Profile: profile, Service: s.Name)))
                .Where(p => p.Profile.StartsWith(prefix, StringComparison.OrdinalIgnoreCase))
                .GroupBy(p => p.Profile, StringComparer.Ordinal)
                .OrderBy(g => g.Key, StringComparer.Ordinal)
                .Select(g => new CompletionResult(g.Key, g.Key, CompletionResultType.ParameterValue, $"{g.Key}: {string.Join(", ", g.Select(p => p.Service).Distinct(StringComparer.Ordinal))}"))
                .ToList();
        }
        catch (Exception)
        {
            return Array.Empty<CompletionResult>();
        }
    }
}

/// <summary>The apps a completer reads: the -App given, else the files of -Path or -LiteralPath, else kompoxops.yml here.</summary>
internal static class AppFiles
{
    private static readonly string[] EveryProfile = { "*" };

    /// <summary>At most this many kompoxops.yml of a -Path pattern are read, so that Tab stays quick.</summary>
    private const int MaxApps = 8;

    /// <summary>The compose projects of the apps, read offline with every profile enabled; one that cannot be read is passed over.</summary>
    internal static IEnumerable<ComposeProject> Projects(IDictionary bound)
    {
        foreach (var app in Apps(bound).Take(MaxApps))
        {
            ComposeProject project;
            try
            {
                var projectDir = app.ComposePath is null ? null : System.IO.Path.GetDirectoryName(app.ComposePath);
                project = ComposeLoader.Load(app.Compose, app.ComposePath ?? "compose.yml", projectDir, app.Name, KompoxAppCmdlet.ProcessEnvironment(), EveryProfile, app.ComposeOverrides);
            }
            catch (KompoxException)
            {
                continue;
            }

            yield return project;
        }
    }

    internal static IEnumerable<Engine.KompoxApp> Apps(IDictionary bound)
    {
        if ((bound["App"] is PSObject wrapped ? wrapped.BaseObject : bound["App"]) is KompoxApp given)
        {
            yield return given.Model;
            yield break;
        }

        var literal = bound.Contains("LiteralPath");
        foreach (var file in FileSystemPaths(Strings(literal ? bound["LiteralPath"] : bound["Path"]).DefaultIfEmpty(KompoxConfig.DefaultFileName), literal))
        {
            ConfigResult config;
            try
            {
                config = KompoxConfig.Load(file);
            }
            catch (KompoxException)
            {
                continue;
            }

            yield return config.App;
        }
    }

    /// <summary>
    /// The files the paths name, resolved against the current location as the cmdlet would resolve them. A completer
    /// runs inside the TabExpansion2 pipeline, where the runspace's SessionStateProxy refuses calls; a nested
    /// pipeline on the same runspace may run Convert-Path. A path that names nothing is passed over, and its error is
    /// ignored rather than left in the user's $Error.
    /// </summary>
    private static List<string> FileSystemPaths(IEnumerable<string> paths, bool literal)
    {
        using var shell = System.Management.Automation.PowerShell.Create(RunspaceMode.CurrentRunspace);
        foreach (var path in paths)
        {
            shell.AddCommand(@"Microsoft.PowerShell.Management\Convert-Path").AddParameter(literal ? "LiteralPath" : "Path", path)
                .AddParameter("ErrorAction", ActionPreference.Ignore).AddStatement();
        }

        return shell.Invoke<string>().Where(p => p is not null).ToList();
    }

    /// <summary>The text values of a bound parameter: one string, an array, or nothing.</summary>
    private static IEnumerable<string> Strings(object? value) => (value is PSObject wrapped ? wrapped.BaseObject : value) switch
    {
        string text => new[] { text },
        IEnumerable items => items.Cast<object?>().Select(i => i is PSObject p ? p.BaseObject : i).OfType<string>(),
        _ => Array.Empty<string>(),
    };
}
