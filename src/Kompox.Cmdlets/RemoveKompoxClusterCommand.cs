using System.Management.Automation;
using Kompox.PowerShell;

namespace Kompox.Cmdlets;

/// <summary>Removes clusters from the connected Kompox service (administrators); the service refuses one that still has apps. Nothing on the cluster is touched.</summary>
[Cmdlet(VerbsCommon.Remove, "KompoxCluster", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High)]
[OutputType(typeof(KompoxCluster))]
public sealed class RemoveKompoxClusterCommand : KompoxServiceCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string[] Name { get; set; } = null!;

    /// <summary>Write each cluster as it was before it was removed.</summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override async Task ProcessRecordAsync(CancellationToken cancellationToken)
    {
        foreach (var name in Name)
        {
            if (!ShouldProcess($"cluster {name} in the Kompox service {Service.Uri} (its registration only)", "Remove"))
            {
                continue;
            }

            var before = PassThru ? await TryAsync(token => Service.GetClusterAsync(name, token), cancellationToken) : null;
            if (await TryAsync(token => Service.DeleteClusterAsync(name, token), cancellationToken) && before is not null)
            {
                WriteObject(Shown(before, null));
            }
        }
    }
}
