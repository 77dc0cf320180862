using System.Management.Automation;
using Kompox.Operations.Remote;
using Kompox.PowerShell;

namespace Kompox.Cmdlets;

/// <summary>
/// Starts the Kompox service (the module's <c>service/Kompox.Service.dll</c>) as a process of its own, on 127.0.0.1 unless
/// told another address, and waits until it is ready. On the first start of a new store it makes the administrator's token and writes it once.
/// </summary>
[Cmdlet(VerbsLifecycle.Start, "KompoxService", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(KompoxServiceInstance))]
public sealed class StartKompoxServiceCommand : KompoxAsyncCmdlet
{
    /// <summary>The TCP port; 0 (the default) for a free one.</summary>
    [Parameter(Position = 0)]
    [ValidateRange(0, 65535)]
    public int Port { get; set; }

    /// <summary>The address to listen on: 127.0.0.1 (the default), one of the machine's addresses, or 0.0.0.0 / :: for all; plain HTTP, so other machines need a TLS proxy in front.</summary>
    [Parameter]
    [ValidateNotNull]
    public System.Net.IPAddress ListenAddress { get; set; } = System.Net.IPAddress.Loopback;

    /// <summary>The directory of the service's store; by default the service's own (<c>&lt;LocalApplicationData&gt;/kompox/service</c>).</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? DataPath { get; set; }

    /// <summary>Seconds the service may take to be ready; then it is stopped and the error shows the end of its output.</summary>
    [Parameter]
    [ValidateRange(1, 3600)]
    public int Timeout { get; set; } = 60;

    protected override async Task EndProcessingAsync(CancellationToken cancellationToken)
    {
        var dataPath = DataPath is null
            ? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData, Environment.SpecialFolderOption.DoNotVerify), "kompox", "service")
            : FileSystemPath(DataPath);
        var program = Path.Combine(Path.GetDirectoryName(typeof(StartKompoxServiceCommand).Assembly.Location)!, "service", "Kompox.Service.dll");
        if (!ShouldProcess($"Kompox service on {(ListenAddress.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? $"[{ListenAddress}]" : ListenAddress)}:{(Port == 0 ? "<a free port>" : Port)} with the store in {dataPath}", "Start"))
        {
            return;
        }

        var options = new ServiceStartOptions { ProgramPath = program, DataPath = dataPath, Port = Port, ListenAddress = ListenAddress, ReadyTimeout = TimeSpan.FromSeconds(Timeout) };
        try
        {
            var started = await ServiceProcess.StartAsync(options, new ReporterProgress(Reporter), cancellationToken);
            WriteObject(new KompoxServiceInstance(started));
        }
        catch (KompoxException e) when (!cancellationToken.IsCancellationRequested)
        {
            Fail(e);
        }
    }
}
