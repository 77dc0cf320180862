using System.Management.Automation;

namespace Kompox.Cmdlets;

/// <summary>
/// Base of the administrators' Get cmdlets (providers, users): the named resources of the connected service, each name
/// not found a non-terminating error of its own, or every one when no name is given.
/// </summary>
/// <remarks>
/// Not generic over the service's record: PowerShell reads a cmdlet's base types when the module is imported, before the
/// engine's private load context can resolve an engine type named there.
/// </remarks>
public abstract class KompoxServiceGetCmdlet : KompoxServiceCmdlet
{
    /// <summary>The resources to get; every one when not given.</summary>
    [Parameter(Position = 0, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string[]? Name { get; set; }

    /// <summary>Every resource, as the objects the cmdlet writes.</summary>
    protected abstract Task<IEnumerable<object>> ListAsync(CancellationToken cancellationToken);

    /// <summary>One resource, as the object the cmdlet writes.</summary>
    protected abstract Task<object> GetAsync(string name, CancellationToken cancellationToken);

    protected override async Task ProcessRecordAsync(CancellationToken cancellationToken)
    {
        if (Name is null)
        {
            foreach (var shown in await TryAsync(ListAsync, cancellationToken) ?? [])
            {
                WriteObject(shown);
            }

            return;
        }

        foreach (var name in Name)
        {
            if (await TryAsync(token => GetAsync(name, token), cancellationToken) is { } shown)
            {
                WriteObject(shown);
            }
        }
    }
}
