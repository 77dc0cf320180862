using System.Collections;
using System.Management.Automation;
using Kompox.Operations.Remote;
using Kompox.PowerShell;

namespace Kompox.Cmdlets;

/// <summary>Changes a provider of the connected Kompox service (administrators): its driver, or its settings key by key.</summary>
[Cmdlet(VerbsCommon.Set, "KompoxProvider", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(KompoxProvider))]
public sealed class SetKompoxProviderCommand : KompoxServiceCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string Name { get; set; } = null!;

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Driver { get; set; }

    /// <summary>Settings to change: each key given replaces its value, a key given as $null is removed, the others are kept.</summary>
    [Parameter]
    public Hashtable? Settings { get; set; }

    protected override async Task ProcessRecordAsync(CancellationToken cancellationToken)
    {
        if (await TryAsync(token => Service.GetProviderAsync(Name, token), cancellationToken) is not { } existing
            || !ShouldProcess($"provider {Name} in the Kompox service {Service.Uri}", "Change"))
        {
            return;
        }

        var changed = existing with { Driver = Driver ?? existing.Driver, Settings = SettingsOf(Settings, existing.Settings) };
        if (await TryAsync(token => Service.UpdateProviderAsync(changed, token), cancellationToken) is { } updated)
        {
            WriteObject(Shown(updated));
        }
    }
}
