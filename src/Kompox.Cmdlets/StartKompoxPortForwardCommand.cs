using System.Management.Automation;
using System.Net;
using Kompox.Operations;
using Kompox.PowerShell;

namespace Kompox.Cmdlets;

/// <summary>
/// Forwards a local port to a service's port in an app's Pod until Ctrl+C, for ports with no ingress host (a
/// database, an admin port). Writes where it listens once, then each connection with -Verbose.
/// </summary>
[Cmdlet(VerbsLifecycle.Start, "KompoxPortForward", DefaultParameterSetName = PathSet)]
[OutputType(typeof(KompoxPortForward))]
public sealed class StartKompoxPortForwardCommand : KompoxAppCmdlet
{
    /// <summary>The compose service whose container listens on -Port.</summary>
    [Parameter(Mandatory = true)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(ServiceCompleter))]
    public string Service { get; set; } = null!;

    /// <summary>The port in the Pod.</summary>
    [Parameter(Mandatory = true)]
    [ValidateRange(1, 65535)]
    public int Port { get; set; }

    /// <summary>The local port; the same as -Port when not given, 0 for any free one.</summary>
    [Parameter]
    [ValidateRange(0, 65535)]
    public int LocalPort { get; set; }

    /// <summary>The local address to listen on; 127.0.0.1 when not given, so that only this machine reaches the app.</summary>
    [Parameter]
    public IPAddress LocalAddress { get; set; } = IPAddress.Loopback;

    protected override async Task ProcessRecordAsync(CancellationToken cancellationToken)
    {
        // One app: a forward runs until stopped, so a second app would never be reached.
        var app = InputResources(cancellationToken).FirstOrDefault();
        if (app is null)
        {
            return;
        }

        var options = new AppPortForwardOptions
        {
            Service = Service,
            Port = Port,
            LocalPort = MyInvocation.BoundParameters.ContainsKey(nameof(LocalPort)) ? LocalPort : Port,
            LocalAddress = LocalAddress,
        };
        await TryAsync(
            async token =>
            {
                await foreach (var e in Apps(app).ForwardPortAsync(app.Id, options, new ReporterProgress(Reporter), token))
                {
                    switch (e.Kind)
                    {
                        case AppPortForwardEventKind.Listening:
                            WriteObject(new KompoxPortForward(app, Service, Port, e.Local));
                            break;
                        case AppPortForwardEventKind.Connected:
                            WriteVerbose($"{e.Remote} connected: forwarding to port {e.Port} of Pod {e.Pod}");
                            break;
                        case AppPortForwardEventKind.Closed:
                            WriteVerbose($"{e.Remote} closed");
                            break;
                        case AppPortForwardEventKind.Failed:
                            WriteWarning($"{e.Remote}: {e.Error}");
                            break;
                    }
                }
            },
            cancellationToken);
    }
}
