using System.Management.Automation;
using Kompox.PowerShell;

namespace Kompox.Cmdlets;

/// <summary>Removes users from the connected Kompox service (administrators); their tokens stop working.</summary>
[Cmdlet(VerbsCommon.Remove, "KompoxUser", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High)]
[OutputType(typeof(KompoxUser))]
public sealed class RemoveKompoxUserCommand : KompoxServiceCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string[] Name { get; set; } = null!;

    /// <summary>Write each user as it was before it was removed.</summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override async Task ProcessRecordAsync(CancellationToken cancellationToken)
    {
        foreach (var name in Name)
        {
            if (!ShouldProcess($"user {name} in the Kompox service {Service.Uri}", "Remove"))
            {
                continue;
            }

            var before = PassThru ? await TryAsync(token => Service.GetUserAsync(name, token), cancellationToken) : null;
            if (await TryAsync(token => Service.DeleteUserAsync(name, token), cancellationToken) && before is not null)
            {
                WriteObject(new KompoxUser(before));
            }
        }
    }
}
