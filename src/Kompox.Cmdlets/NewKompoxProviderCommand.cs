using System.Collections;
using System.Management.Automation;
using Kompox.Operations.Remote;
using Kompox.PowerShell;

namespace Kompox.Cmdlets;

/// <summary>Registers a provider in the connected Kompox service (administrators); secret settings are stored encrypted and shown as <c>***</c>.</summary>
[Cmdlet(VerbsCommon.New, "KompoxProvider", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(KompoxProvider))]
public sealed class NewKompoxProviderCommand : KompoxServiceCmdlet
{
    [Parameter(Mandatory = true, Position = 0)]
    [ValidateNotNullOrEmpty]
    public string Name { get; set; } = null!;

    /// <summary>The provider's driver: aks or k3s.</summary>
    [Parameter(Mandatory = true)]
    [ValidateNotNullOrEmpty]
    public string Driver { get; set; } = null!;

    /// <summary>The driver's provider settings (e.g. AZURE_SUBSCRIPTION_ID, K3S_DATA_ROOT), checked by the service against the driver.</summary>
    [Parameter]
    public Hashtable? Settings { get; set; }

    protected override async Task ProcessRecordAsync(CancellationToken cancellationToken)
    {
        if (!ShouldProcess($"provider {Name} in the Kompox service {Service.Uri}", $"Register with driver {Driver}"))
        {
            return;
        }

        var made = await TryAsync(token => Service.CreateProviderAsync(new ServiceProvider { Name = Name, Driver = Driver, Settings = SettingsOf(Settings) }, token), cancellationToken);
        if (made is not null)
        {
            WriteObject(Shown(made));
        }
    }
}
