using System.Management.Automation;
using Kompox.Operations.Remote;
using Kompox.PowerShell;

namespace Kompox.Cmdlets;

/// <summary>Makes a user of the connected Kompox service (administrators) and writes the user's token, the only time it is shown.</summary>
[Cmdlet(VerbsCommon.New, "KompoxUser", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(KompoxUser))]
public sealed class NewKompoxUserCommand : KompoxServiceCmdlet
{
    [Parameter(Mandatory = true, Position = 0)]
    [ValidateNotNullOrEmpty]
    public string Name { get; set; } = null!;

    /// <summary>user (owns and manages its own apps) or admin (manages the service).</summary>
    [Parameter]
    [ValidateSet("user", "admin")]
    public string Role { get; set; } = "user";

    /// <summary>The user's Entra ID object id, so that an Entra ID token with that <c>oid</c> signs in as the user.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? EntraObjectId { get; set; }

    protected override async Task ProcessRecordAsync(CancellationToken cancellationToken)
    {
        if (!ShouldProcess($"user {Name} in the Kompox service {Service.Uri}", $"Make with role {Role}"))
        {
            return;
        }

        if (await TryAsync(token => Service.CreateUserAsync(new ServiceUser { Name = Name, Role = Role, EntraObjectId = EntraObjectId }, token), cancellationToken) is { } made)
        {
            WriteObject(new KompoxUser(made));
        }
    }
}
