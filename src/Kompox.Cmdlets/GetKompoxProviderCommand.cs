using System.Management.Automation;
using Kompox.PowerShell;

namespace Kompox.Cmdlets;

/// <summary>The providers of the connected Kompox service (administrators): those named, or every one.</summary>
[Cmdlet(VerbsCommon.Get, "KompoxProvider")]
[OutputType(typeof(KompoxProvider))]
public sealed class GetKompoxProviderCommand : KompoxServiceCmdlet
{
    /// <summary>The providers to get; every one when not given.</summary>
    [Parameter(Position = 0, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string[]? Name { get; set; }

    protected override async Task ProcessRecordAsync(CancellationToken cancellationToken)
    {
        if (Name is null)
        {
            foreach (var provider in await TryAsync(Service.ListProvidersAsync, cancellationToken) ?? [])
            {
                WriteObject(Shown(provider));
            }

            return;
        }

        foreach (var name in Name)
        {
            if (await TryAsync(token => Service.GetProviderAsync(name, token), cancellationToken) is { } provider)
            {
                WriteObject(Shown(provider));
            }
        }
    }
}
