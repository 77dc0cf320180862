using System.Collections;
using System.Management.Automation;
using Kompox.Operations.Remote;
using Kompox.PowerShell;

namespace Kompox.Cmdlets;

/// <summary>
/// Changes a cluster of the connected Kompox service (administrators): its provider, domain, settings key by key, or its
/// credential; what is not given is kept, the stored credential included.
/// </summary>
[Cmdlet(VerbsCommon.Set, "KompoxCluster", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(KompoxCluster))]
public sealed class SetKompoxClusterCommand : KompoxServiceCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string Name { get; set; } = null!;

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Provider { get; set; }

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Domain { get; set; }

    /// <summary>Settings to change: each key given replaces its value, a key given as $null is removed, the others are kept.</summary>
    [Parameter]
    public Hashtable? Settings { get; set; }

    /// <summary>A new kubeconfig file whose content replaces the stored one.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? KubeconfigPath { get; set; }

    /// <summary>Another context of the kubeconfig.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Context { get; set; }

    /// <summary>Use the service's in-cluster identity from now on.</summary>
    [Parameter]
    public SwitchParameter InCluster { get; set; }

    protected override async Task ProcessRecordAsync(CancellationToken cancellationToken)
    {
        var credential = ClusterCredential.From(this, KubeconfigPath, Context, InCluster);
        if (await TryAsync(token => Service.GetClusterAsync(Name, token), cancellationToken) is not { } existing
            || !ShouldProcess($"cluster {Name} in the Kompox service {Service.Uri}", "Change"))
        {
            return;
        }

        // A new body, not the cluster read: what the service returns of a credential (its type) is no field it takes.
        var changed = new ServiceCluster
        {
            Name = Name,
            Provider = Provider ?? existing.Provider,
            Domain = Domain ?? existing.Domain,
            Settings = SettingsOf(Settings, existing.Settings),
            Ingress = existing.Ingress,
            Credential = credential,
        };
        if (await TryAsync(token => Service.UpdateClusterAsync(changed, token), cancellationToken) is { } updated)
        {
            WriteObject(Shown(updated, await ClusterCredential.ProviderAsync(Service, updated.Provider, cancellationToken)));
        }
    }
}
