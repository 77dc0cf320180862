using System.Management.Automation;
using Kompox.PowerShell;

namespace Kompox.Cmdlets;

/// <summary>Removes providers from the connected Kompox service (administrators); the service refuses one that still has clusters.</summary>
[Cmdlet(VerbsCommon.Remove, "KompoxProvider", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High)]
[OutputType(typeof(KompoxProvider))]
public sealed class RemoveKompoxProviderCommand : KompoxServiceCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string[] Name { get; set; } = null!;

    /// <summary>Write each provider as it was before it was removed.</summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override async Task ProcessRecordAsync(CancellationToken cancellationToken)
    {
        foreach (var name in Name)
        {
            if (!ShouldProcess($"provider {name} in the Kompox service {Service.Uri}", "Remove"))
            {
                continue;
            }

            var before = PassThru ? await TryAsync(token => Service.GetProviderAsync(name, token), cancellationToken) : null;
            if (await TryAsync(token => Service.DeleteProviderAsync(name, token), cancellationToken) && before is not null)
            {
                WriteObject(Shown(before));
            }
        }
    }
}
