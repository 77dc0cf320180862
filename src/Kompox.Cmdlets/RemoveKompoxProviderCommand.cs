using System.Management.Automation;
using Kompox.Operations.Remote;
using Kompox.PowerShell;

namespace Kompox.Cmdlets;

/// <summary>Removes providers from the connected Kompox service (administrators); the service refuses one that still has clusters.</summary>
[Cmdlet(VerbsCommon.Remove, "KompoxProvider", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High)]
[OutputType(typeof(KompoxProvider))]
public sealed class RemoveKompoxProviderCommand : KompoxServiceRemoveCmdlet
{
    protected override string Target(string name) => $"provider {name} in the Kompox service {Service.Uri}";

    protected override async Task<object> GetAsync(string name, CancellationToken cancellationToken) => await Service.GetProviderAsync(name, cancellationToken);

    protected override Task DeleteAsync(string name, CancellationToken cancellationToken) => Service.DeleteProviderAsync(name, cancellationToken);

    protected override object PassedThrough(object record) => Shown((ServiceProvider)record);
}
