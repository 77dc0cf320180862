using System.Management.Automation;
using Kompox.PowerShell;

namespace Kompox.Cmdlets;

/// <summary>Gives a user of the connected Kompox service a new token (administrators), written once; the old token stops working at once.</summary>
[Cmdlet(VerbsCommon.Set, "KompoxUser", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High)]
[OutputType(typeof(KompoxUser))]
public sealed class SetKompoxUserCommand : KompoxServiceCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string[] Name { get; set; } = null!;

    /// <summary>Make a new token for the user; the one it has stops working.</summary>
    [Parameter(Mandatory = true)]
    public SwitchParameter NewToken { get; set; }

    protected override async Task ProcessRecordAsync(CancellationToken cancellationToken)
    {
        foreach (var name in Name)
        {
            if (NewToken && ShouldProcess($"user {name} in the Kompox service {Service.Uri}", "Replace the user's token (the old one stops working)")
                && await TryAsync(token => Service.NewUserTokenAsync(name, token), cancellationToken) is { } renewed)
            {
                WriteObject(new KompoxUser(renewed));
            }
        }
    }
}
