using System.Collections;
using System.Management.Automation;
using Kompox.Operations.Remote;
using Kompox.PowerShell;

namespace Kompox.Cmdlets;

/// <summary>
/// Registers a cluster in the connected Kompox service (administrators) with its credential: the content of a kubeconfig
/// (-KubeconfigPath, -Context), which the service stores encrypted and never returns, or the service's own in-cluster
/// identity (-InCluster).
/// </summary>
[Cmdlet(VerbsCommon.New, "KompoxCluster", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(KompoxCluster))]
public sealed class NewKompoxClusterCommand : KompoxServiceCmdlet
{
    [Parameter(Mandatory = true, Position = 0)]
    [ValidateNotNullOrEmpty]
    public string Name { get; set; } = null!;

    /// <summary>The service's provider the cluster belongs to.</summary>
    [Parameter(Mandatory = true)]
    [ValidateNotNullOrEmpty]
    public string Provider { get; set; } = null!;

    /// <summary>The DNS domain; the apps' hosts are <c>&lt;app&gt;.&lt;cluster&gt;.&lt;domain&gt;</c>.</summary>
    [Parameter(Mandatory = true)]
    [ValidateNotNullOrEmpty]
    public string Domain { get; set; } = null!;

    /// <summary>The driver's cluster settings, checked by the service against the provider's driver.</summary>
    [Parameter]
    public Hashtable? Settings { get; set; }

    /// <summary>A kubeconfig file on this machine; its content is sent to the service, which keeps it encrypted.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? KubeconfigPath { get; set; }

    /// <summary>The kubeconfig's context to use; its current context when not given.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Context { get; set; }

    /// <summary>The service reaches the cluster with its own identity inside it (its ServiceAccount) instead of a kubeconfig.</summary>
    [Parameter]
    public SwitchParameter InCluster { get; set; }

    protected override async Task ProcessRecordAsync(CancellationToken cancellationToken)
    {
        var credential = ClusterCredential.From(this, KubeconfigPath, Context, InCluster);
        if (!ShouldProcess($"cluster {Name} in the Kompox service {Service.Uri}", $"Register on provider {Provider} with {(InCluster ? "the service's in-cluster identity" : $"the kubeconfig {KubeconfigPath}")}"))
        {
            return;
        }

        var cluster = new ServiceCluster { Name = Name, Provider = Provider, Domain = Domain, Settings = SettingsOf(Settings), Credential = credential };
        if (await TryAsync(token => Service.CreateClusterAsync(cluster, token), cancellationToken) is { } made)
        {
            WriteObject(Shown(made, await ClusterCredential.ProviderAsync(Service, made.Provider, cancellationToken)));
        }
    }
}
