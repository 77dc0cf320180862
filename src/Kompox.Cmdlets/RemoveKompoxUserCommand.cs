using System.Management.Automation;
using Kompox.Operations.Remote;
using Kompox.PowerShell;

namespace Kompox.Cmdlets;

/// <summary>Removes users from the connected Kompox service (administrators); their tokens stop working.</summary>
[Cmdlet(VerbsCommon.Remove, "KompoxUser", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High)]
[OutputType(typeof(KompoxUser))]
public sealed class RemoveKompoxUserCommand : KompoxServiceRemoveCmdlet
{
    protected override string Target(string name) => $"user {name} in the Kompox service {Service.Uri}";

    protected override async Task<object> GetAsync(string name, CancellationToken cancellationToken) => await Service.GetUserAsync(name, cancellationToken);

    protected override Task DeleteAsync(string name, CancellationToken cancellationToken) => Service.DeleteUserAsync(name, cancellationToken);

    protected override object PassedThrough(object record) => new KompoxUser((ServiceUser)record);
}
