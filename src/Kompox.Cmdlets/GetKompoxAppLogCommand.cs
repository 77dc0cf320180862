using System.Collections;
using System.Management.Automation;
using System.Management.Automation.Language;
using System.Threading.Channels;
using Kompox.Compose;
using Kompox.Config;
using Kompox.Conversion;
using Kompox.Operations;
using Kompox.PowerShell;
using Engine = Kompox.Model;

namespace Kompox.Cmdlets;

/// <summary>The lines the containers of an app's Pod write, like <c>docker compose logs</c>; with -Follow, until Ctrl+C.</summary>
[Cmdlet(VerbsCommon.Get, "KompoxAppLog", DefaultParameterSetName = PathSet)]
[OutputType(typeof(KompoxAppLogLine))]
public sealed class GetKompoxAppLogCommand : KompoxAppCmdlet
{
    /// <summary>
    /// The type name that selects the view showing <c>app/service | message</c>. Each line stays a plain
    /// <see cref="KompoxAppLogLine"/>; only its display changes, so scripts see the same object either way.
    /// </summary>
    private const string SeveralAppsTypeName = "Kompox.PowerShell.KompoxAppLogLine#SeveralApps";

    private readonly List<KompoxApp> following = new();
    private bool severalApps;

    /// <summary>The compose services (containers) to read; every one when not given.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(ServiceCompleter))]
    public string[]? Service { get; set; }

    [Parameter]
    [ValidateRange(0, int.MaxValue)]
    public int Tail { get; set; }

    [Parameter]
    public TimeSpan Since { get; set; }

    [Parameter]
    public SwitchParameter Follow { get; set; }

    [Parameter]
    public SwitchParameter Previous { get; set; }

    protected override async Task ProcessRecordAsync(CancellationToken cancellationToken)
    {
        // Lines say which app they are from whenever more than one app may be read: apps that come down the pipeline
        // (the first one's lines are written before the next app arrives, so their number is never known in time) or
        // several files named at once. The apps are resolved first so that their number is known before any line.
        var apps = InputResources(cancellationToken).ToList();
        severalApps |= MyInvocation.ExpectingInput || apps.Count > 1;
        if (Follow)
        {
            // A followed app never ends by itself: every app is followed at once, from the end of the input.
            following.AddRange(apps);
            return;
        }

        foreach (var app in apps)
        {
            await TryAsync(
                async token =>
                {
                    await foreach (var line in Apps.ReadLogsAsync(app.Id, Options(), new ReporterProgress(Reporter), token))
                    {
                        WriteObject(Shown(new KompoxAppLogLine(line, app)));
                    }
                },
                cancellationToken);
        }
    }

    /// <summary>Follows every app of the input together, writing each line as it comes, until Ctrl+C.</summary>
    protected override async Task EndProcessingAsync(CancellationToken cancellationToken)
    {
        if (following.Count == 0)
        {
            return;
        }

        // The streams run on the thread pool; lines and each app's failure come back here, to the pipeline thread.
        var arrived = Channel.CreateUnbounded<object>(new UnboundedChannelOptions { SingleReader = true });
        var readers = following.Select(app => Task.Run(
            async () =>
            {
                try
                {
                    await foreach (var line in Apps.ReadLogsAsync(app.Id, Options(), new ReporterProgress(Reporter), cancellationToken))
                    {
                        await arrived.Writer.WriteAsync(new KompoxAppLogLine(line, app), cancellationToken);
                    }
                }
                catch (KompoxException e) when (!cancellationToken.IsCancellationRequested)
                {
                    arrived.Writer.TryWrite(e);
                }
            },
            CancellationToken.None)).ToList();
        _ = Task.WhenAll(readers).ContinueWith(_ => arrived.Writer.TryComplete(), TaskScheduler.Default);

        await foreach (var item in arrived.Reader.ReadAllAsync(cancellationToken))
        {
            if (item is KompoxException failed)
            {
                InputFailed(ToErrorRecord(failed));
            }
            else
            {
                WriteObject(Shown((KompoxAppLogLine)item));
            }
        }
    }

    private AppLogOptions Options() => new()
    {
        Services = Service,
        Tail = MyInvocation.BoundParameters.ContainsKey(nameof(Tail)) ? Tail : null,
        Since = MyInvocation.BoundParameters.ContainsKey(nameof(Since)) ? Since : null,
        Follow = Follow,
        Previous = Previous,
    };

    private object Shown(KompoxAppLogLine line)
    {
        if (!severalApps)
        {
            return line;
        }

        var shown = PSObject.AsPSObject(line);
        shown.TypeNames.Insert(0, SeveralAppsTypeName);
        return shown;
    }

    /// <summary>
    /// Tab completion of -Service: the services of the app's compose file, read offline as a deploy reads them (every
    /// profile, since a deploy may have enabled any), named as their containers are. The app is the -App given, else
    /// the files of -Path or -LiteralPath, else kompoxops.yml in the current location. Nothing is completed when
    /// they cannot be read.
    /// </summary>
    private sealed class ServiceCompleter : IArgumentCompleter
    {
        private static readonly string[] EveryProfile = { "*" };

        /// <summary>At most this many kompoxops.yml of a -Path pattern are read, so that Tab stays quick.</summary>
        private const int MaxApps = 8;

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
            foreach (var app in Apps(bound).Take(MaxApps))
            {
                ComposeProject project;
                try
                {
                    var projectDir = app.ComposePath is null ? null : System.IO.Path.GetDirectoryName(app.ComposePath);
                    project = ComposeLoader.Load(app.Compose, app.ComposePath ?? "compose.yml", projectDir, app.Name, ProcessEnvironment(), EveryProfile, app.ComposeOverrides);
                }
                catch (KompoxException)
                {
                    continue;
                }

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

        private static IEnumerable<Engine.KompoxApp> Apps(IDictionary bound)
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
}
