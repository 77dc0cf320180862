using System.Management.Automation;
using Kompox.Operations.Remote;
using Kompox.PowerShell;

namespace Kompox.Cmdlets;

/// <summary>
/// Stops a Kompox service process gracefully: SIGTERM, then a wait for it to finish its requests and close its store;
/// killed only after -Timeout. A process that does not run Kompox.Service.dll is left alone.
/// </summary>
[Cmdlet(VerbsLifecycle.Stop, "KompoxService", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(KompoxServiceStopped))]
public sealed class StopKompoxServiceCommand : KompoxAsyncCmdlet
{
    /// <summary>The service's process id; what Start-KompoxService writes binds by property name.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [ValidateRange(1, int.MaxValue)]
    public int ProcessId { get; set; }

    /// <summary>Seconds to wait for the service to end by itself before it is killed.</summary>
    [Parameter]
    [ValidateRange(1, 3600)]
    public int Timeout { get; set; } = 30;

    /// <summary>Write how the service ended.</summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override async Task ProcessRecordAsync(CancellationToken cancellationToken)
    {
        if (!ShouldProcess($"Kompox service process {ProcessId}", "Stop"))
        {
            return;
        }

        try
        {
            var graceful = await ServiceProcess.StopAsync(ProcessId, TimeSpan.FromSeconds(Timeout), cancellationToken);
            if (!graceful)
            {
                WriteWarning($"the Kompox service process {ProcessId} did not end within {Timeout} seconds of SIGTERM: it was killed");
            }

            if (PassThru)
            {
                WriteObject(new KompoxServiceStopped(ProcessId, graceful));
            }
        }
        catch (KompoxException e) when (!cancellationToken.IsCancellationRequested)
        {
            WriteError(ToErrorRecord(e));
        }
    }
}
