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
                    await foreach (var line in Apps(app).ReadLogsAsync(app.Id, Options(), new ReporterProgress(Reporter), token))
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
                    await foreach (var line in Apps(app).ReadLogsAsync(app.Id, Options(), new ReporterProgress(Reporter), cancellationToken))
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
}
