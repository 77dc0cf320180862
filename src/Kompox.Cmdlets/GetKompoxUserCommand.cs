using System.Management.Automation;
using Kompox.PowerShell;

namespace Kompox.Cmdlets;

/// <summary>The users of the connected Kompox service (administrators): those named, or every one; never their tokens.</summary>
[Cmdlet(VerbsCommon.Get, "KompoxUser")]
[OutputType(typeof(KompoxUser))]
public sealed class GetKompoxUserCommand : KompoxServiceGetCmdlet
{
    protected override async Task<IEnumerable<object>> ListAsync(CancellationToken cancellationToken) =>
        (await Service.ListUsersAsync(cancellationToken)).Select(user => new KompoxUser(user));

    protected override async Task<object> GetAsync(string name, CancellationToken cancellationToken) =>
        new KompoxUser(await Service.GetUserAsync(name, cancellationToken));
}
