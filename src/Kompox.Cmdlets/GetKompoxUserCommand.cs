using System.Management.Automation;
using Kompox.PowerShell;

namespace Kompox.Cmdlets;

/// <summary>The users of the connected Kompox service (administrators): those named, or every one; never their tokens.</summary>
[Cmdlet(VerbsCommon.Get, "KompoxUser")]
[OutputType(typeof(KompoxUser))]
public sealed class GetKompoxUserCommand : KompoxServiceCmdlet
{
    /// <summary>The users to get; every one when not given.</summary>
    [Parameter(Position = 0, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string[]? Name { get; set; }

    protected override async Task ProcessRecordAsync(CancellationToken cancellationToken)
    {
        if (Name is null)
        {
            foreach (var user in await TryAsync(Service.ListUsersAsync, cancellationToken) ?? [])
            {
                WriteObject(new KompoxUser(user));
            }

            return;
        }

        foreach (var name in Name)
        {
            if (await TryAsync(token => Service.GetUserAsync(name, token), cancellationToken) is { } user)
            {
                WriteObject(new KompoxUser(user));
            }
        }
    }
}
