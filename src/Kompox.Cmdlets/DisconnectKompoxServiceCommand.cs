using System.Management.Automation;
using Kompox.PowerShell;

namespace Kompox.Cmdlets;

/// <summary>Disconnects the session from its Kompox service: the cmdlets given no app act on kompoxops.yml again.</summary>
[Cmdlet(VerbsCommunications.Disconnect, "KompoxService", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low)]
[OutputType(typeof(KompoxServiceConnection))]
public sealed class DisconnectKompoxServiceCommand : KompoxCmdlet
{
    /// <summary>Write the connection that was ended.</summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override void EndProcessing()
    {
        if (ServiceSession.Shown is not { } current)
        {
            WriteVerbose("the session is not connected to a Kompox service");
            return;
        }

        if (ShouldProcess(current.Uri.ToString(), "Disconnect the session from the Kompox service"))
        {
            // The client is not disposed: apps the service gave earlier still carry it and may still be used.
            ServiceSession.Disconnect();
            if (PassThru)
            {
                WriteObject(current);
            }
        }
    }
}
