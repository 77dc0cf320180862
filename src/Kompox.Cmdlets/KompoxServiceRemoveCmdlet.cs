using System.Management.Automation;

namespace Kompox.Cmdlets;

/// <summary>
/// Base of the administrators' Remove cmdlets (providers, clusters, users): each named resource is removed from the
/// connected service after ShouldProcess, and with -PassThru written as it was before. What the service refuses (a
/// provider with clusters, a cluster with apps) is a non-terminating error of that name.
/// </summary>
/// <remarks>
/// Not generic over the service's record: PowerShell reads a cmdlet's base types when the module is imported, before the
/// engine's private load context can resolve an engine type named there.
/// </remarks>
public abstract class KompoxServiceRemoveCmdlet : KompoxServiceCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string[] Name { get; set; } = null!;

    /// <summary>Write each resource as it was before it was removed.</summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    /// <summary>What ShouldProcess names: <c>provider x in the Kompox service …</c>.</summary>
    protected abstract string Target(string name);

    protected abstract Task<object> GetAsync(string name, CancellationToken cancellationToken);

    protected abstract Task DeleteAsync(string name, CancellationToken cancellationToken);

    /// <summary>The object -PassThru writes.</summary>
    protected abstract object PassedThrough(object record);

    protected override async Task ProcessRecordAsync(CancellationToken cancellationToken)
    {
        foreach (var name in Name)
        {
            if (!ShouldProcess(Target(name), "Remove"))
            {
                continue;
            }

            var before = PassThru ? await TryAsync(token => GetAsync(name, token), cancellationToken) : null;
            if (await TryAsync(token => DeleteAsync(name, token), cancellationToken) && before is not null)
            {
                WriteObject(PassedThrough(before));
            }
        }
    }
}
