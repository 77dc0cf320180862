using System.Management.Automation;
using Kompox.Operations.Remote;

namespace Kompox.Cmdlets;

/// <summary>What New-KompoxCluster and Set-KompoxCluster send as a cluster's credential, and the provider they show it with.</summary>
internal static class ClusterCredential
{
    /// <summary>A kubeconfig is one small YAML file; the service's JSON bodies take at most 4 MiB.</summary>
    private const long MaxKubeconfigBytes = 4 * 1024 * 1024;

    /// <summary>
    /// The credential to send: the kubeconfig's content read here (the service never sees this machine's files), the
    /// in-cluster identity, or only another context; null to keep the stored one. Whether the combination makes sense is
    /// the service's to say.
    /// </summary>
    public static ServiceClusterCredential? From(KompoxCmdlet cmdlet, string? kubeconfigPath, string? context, bool inCluster)
    {
        if (kubeconfigPath is null && context is null && !inCluster)
        {
            return null;
        }

        string? content = null;
        if (kubeconfigPath is not null)
        {
            var path = cmdlet.SessionState.Path.GetUnresolvedProviderPathFromPSPath(kubeconfigPath);
            try
            {
                content = Yaml.TextFile.Read(path, kubeconfigPath, MaxKubeconfigBytes);
            }
            catch (KompoxException e)
            {
                cmdlet.ThrowTerminatingError(new ErrorRecord(e, e.ErrorId, ErrorCategory.ReadError, kubeconfigPath));
            }
        }

        return new ServiceClusterCredential { Kubeconfig = content, Context = context, InCluster = inCluster ? true : null };
    }

    /// <summary>The cluster's provider when the caller may read it (administrators), so that its driver shows; else null.</summary>
    public static async Task<ServiceProvider?> ProviderAsync(ServiceClient service, string name, CancellationToken cancellationToken)
    {
        try
        {
            return await service.GetProviderAsync(name, cancellationToken);
        }
        catch (KompoxException e) when (!cancellationToken.IsCancellationRequested && e.Kind is ErrorKind.PermissionDenied or ErrorKind.NotFound)
        {
            return null;
        }
    }
}
