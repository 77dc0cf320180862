using System.Management.Automation;
using Kompox.Operations.Remote;
using Kompox.PowerShell;

namespace Kompox.Cmdlets;

/// <summary>Removes clusters from the connected Kompox service (administrators); the service refuses one that still has apps. Nothing on the cluster is touched.</summary>
[Cmdlet(VerbsCommon.Remove, "KompoxCluster", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High)]
[OutputType(typeof(KompoxCluster))]
public sealed class RemoveKompoxClusterCommand : KompoxServiceRemoveCmdlet
{
    protected override string Target(string name) => $"cluster {name} in the Kompox service {Service.Uri} (its registration only)";

    protected override async Task<object> GetAsync(string name, CancellationToken cancellationToken) => await Service.GetClusterAsync(name, cancellationToken);

    protected override Task DeleteAsync(string name, CancellationToken cancellationToken) => Service.DeleteClusterAsync(name, cancellationToken);

    protected override object PassedThrough(object record) => Shown((ServiceCluster)record, null);
}
