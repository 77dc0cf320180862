using System.Management.Automation;
using Kompox.PowerShell;

namespace Kompox.Cmdlets;

/// <summary>The providers of the connected Kompox service (administrators): those named, or every one.</summary>
[Cmdlet(VerbsCommon.Get, "KompoxProvider")]
[OutputType(typeof(KompoxProvider))]
public sealed class GetKompoxProviderCommand : KompoxServiceGetCmdlet
{
    protected override async Task<IEnumerable<object>> ListAsync(CancellationToken cancellationToken) =>
        (await Service.ListProvidersAsync(cancellationToken)).Select(Shown);

    protected override async Task<object> GetAsync(string name, CancellationToken cancellationToken) =>
        Shown(await Service.GetProviderAsync(name, cancellationToken));
}
