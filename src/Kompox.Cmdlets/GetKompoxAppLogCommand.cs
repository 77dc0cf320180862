using System.Management.Automation;
using Kompox.Operations;
using Kompox.PowerShell;

namespace Kompox.Cmdlets;

/// <summary>The lines the containers of an app's Pod write, like <c>docker compose logs</c>; with -Follow, until Ctrl+C.</summary>
[Cmdlet(VerbsCommon.Get, "KompoxAppLog", DefaultParameterSetName = PathSet)]
[OutputType(typeof(KompoxAppLogLine))]
public sealed class GetKompoxAppLogCommand : KompoxAppCmdlet
{
    /// <summary>The compose services (containers) to read; every one when not given.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
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
        var options = new AppLogOptions
        {
            Services = Service,
            Tail = MyInvocation.BoundParameters.ContainsKey(nameof(Tail)) ? Tail : null,
            Since = MyInvocation.BoundParameters.ContainsKey(nameof(Since)) ? Since : null,
            Follow = Follow,
            Previous = Previous,
        };
        foreach (var app in InputResources(cancellationToken))
        {
            await TryAsync(
                async token =>
                {
                    // Each line is written as it comes, so -Follow shows lines as the containers write them.
                    await foreach (var line in Apps.ReadLogsAsync(app.Id, options, new ReporterProgress(Reporter), token))
                    {
                        WriteObject(new KompoxAppLogLine(line, app));
                    }
                },
                cancellationToken);
        }
    }
}
