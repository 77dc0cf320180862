using k8s;
using k8s.Exceptions;
using Kompox.Model;

namespace Kompox.Operations;

/// <summary>Makes the Kubernetes client of a cluster; tests give one that talks to a fake API server.</summary>
public interface IKubeClientFactory
{
    /// <param name="handlers">Handlers every request of the client passes through, outermost first (e.g. the one that reports requests as progress).</param>
    /// <exception cref="KompoxException"><c>KubeconfigNotFound</c>, <c>InvalidKubeconfig</c>.</exception>
    IKubernetes Create(KompoxCluster cluster, params DelegatingHandler[] handlers);
}

/// <summary>
/// Clients from the cluster's <c>auth</c>: its kubeconfig and context, else the default kubeconfig (<c>KUBECONFIG</c>,
/// <c>~/.kube/config</c>), else the service account of the Pod Kompox runs in (the REST service in a cluster).
/// </summary>
public sealed class KubeconfigClientFactory : IKubeClientFactory
{
    public IKubernetes Create(KompoxCluster cluster, params DelegatingHandler[] handlers) => new Kubernetes(Configuration(cluster), handlers);

    public static KubernetesClientConfiguration Configuration(KompoxCluster cluster)
    {
        var path = cluster.Auth.Kubeconfig is { } configured ? ExpandHome(configured) : DefaultKubeconfig();
        if (path is null)
        {
            if (KubernetesClientConfiguration.IsInCluster())
            {
                return KubernetesClientConfiguration.InClusterConfig();
            }

            throw new KompoxException("KubeconfigNotFound", ErrorKind.NotFound, $"cluster '{cluster.Name}' names no kubeconfig, there is none at KUBECONFIG or ~/.kube/config, and Kompox does not run in a cluster") { Target = cluster.Id };
        }

        if (!File.Exists(path))
        {
            throw new KompoxException("KubeconfigNotFound", ErrorKind.NotFound, $"cluster '{cluster.Name}': kubeconfig {path} not found") { Target = path };
        }

        try
        {
            return KubernetesClientConfiguration.BuildConfigFromConfigFile(path, cluster.Auth.Context);
        }
        catch (KubeConfigException e)
        {
            // The library's message names the missing context or user; it is English and culture-free.
            throw new KompoxException("InvalidKubeconfig", ErrorKind.InvalidData, $"cluster '{cluster.Name}': kubeconfig {path} is not usable: {e.Message}", e) { Target = path };
        }
    }

    private static string? DefaultKubeconfig()
    {
        var fromEnvironment = Environment.GetEnvironmentVariable("KUBECONFIG");
        if (!string.IsNullOrEmpty(fromEnvironment))
        {
            // kubectl merges a list; Kompox takes the first file, which holds the current context in the usual setups.
            return ExpandHome(fromEnvironment.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)[0]);
        }

        var home = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".kube", "config");
        return File.Exists(home) ? home : null;
    }

    private static string ExpandHome(string path) =>
        path == "~" || path.StartsWith("~/", StringComparison.Ordinal)
            ? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), path.TrimStart('~').TrimStart('/'))
            : path;
}

/// <summary>Reports every request a Kubernetes client sends, e.g. "GET /api/v1/namespaces/x", as a verbose message.</summary>
internal sealed class RequestReporter : DelegatingHandler
{
    private readonly string activity;
    private readonly IProgress<OperationProgress> progress;

    public RequestReporter(string activity, IProgress<OperationProgress> progress)
    {
        this.activity = activity;
        this.progress = progress;
    }

    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        progress.Report(OperationProgress.Detail(activity, $"{request.Method} {request.RequestUri?.PathAndQuery}"));
        return base.SendAsync(request, cancellationToken);
    }
}
