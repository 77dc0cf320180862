using k8s;
using Kompox.Model;

namespace Kompox.Kube;

/// <summary>Makes the Kubernetes client of a cluster; tests give one that talks to a fake API server.</summary>
public interface IKubeClientFactory
{
    /// <param name="handlers">Handlers every request of the client passes through, outermost first (e.g. the one that reports requests as progress).</param>
    /// <exception cref="KompoxException"><c>KubeconfigNotFound</c>, <c>InvalidKubeconfig</c>.</exception>
    IKubernetes Create(KompoxCluster cluster, params DelegatingHandler[] handlers);

    /// <summary>
    /// Which clusters share one client: equal keys reach the same API server with the same credentials. By default the
    /// cluster's id; a factory that reads kubeconfigs keys by the file, its last write time and the context, so that an
    /// edited kubeconfig gets a new client.
    /// </summary>
    /// <exception cref="KompoxException"><c>KubeconfigNotFound</c>.</exception>
    string ClientKey(KompoxCluster cluster) => cluster.Id;

    /// <summary>
    /// How a client reaches the cluster's API server, for writing other kubeconfigs for it (user credentials). By default
    /// as the cluster's kubeconfig says, which is where every factory that reaches a real cluster takes it from.
    /// </summary>
    /// <exception cref="KompoxException"><c>KubeconfigNotFound</c>, <c>InvalidKubeconfig</c>.</exception>
    KubeEndpoint Endpoint(KompoxCluster cluster) => KubeconfigClientFactory.Endpoint(cluster);
}

/// <summary>The cluster part of a kubeconfig: where the API server is and how its certificate is checked.</summary>
/// <param name="Server">The API server's URL, as the kubeconfig names it.</param>
/// <param name="CertificateAuthorityData">The CA bundle in base64 as <c>certificate-authority-data</c> holds it (read from the <c>certificate-authority</c> file when the kubeconfig names a file); null for the system's trust store.</param>
/// <param name="TlsServerName">The name the server's certificate is checked against, when it differs from the URL's host.</param>
/// <param name="InsecureSkipTlsVerify">The kubeconfig turns certificate checks off.</param>
/// <param name="InCluster">The address is the in-cluster one (the API server's Service), which only Pods reach.</param>
public sealed record KubeEndpoint(string Server, string? CertificateAuthorityData, string? TlsServerName, bool InsecureSkipTlsVerify, bool InCluster = false);

/// <summary>
/// Clients from the cluster's <c>auth</c>: its kubeconfig and context, else the default kubeconfig (<c>KUBECONFIG</c>,
/// <c>~/.kube/config</c>), else the service account of the Pod Kompox runs in (the REST service in a cluster).
/// </summary>
public sealed class KubeconfigClientFactory : IKubeClientFactory
{
    public IKubernetes Create(KompoxCluster cluster, params DelegatingHandler[] handlers) => new Kubernetes(Configuration(cluster), handlers);

    public string ClientKey(KompoxCluster cluster) =>
        KubeconfigPath(cluster) is { } path
            ? $"{Path.GetFullPath(path)}|{File.GetLastWriteTimeUtc(path).Ticks}|{cluster.Auth.Context}"
            : "in-cluster";

    /// <exception cref="KompoxException"><c>KubeconfigNotFound</c>, <c>InvalidKubeconfig</c>.</exception>
    public static KubernetesClientConfiguration Configuration(KompoxCluster cluster)
    {
        var path = KubeconfigPath(cluster);
        if (path is null)
        {
            return KubernetesClientConfiguration.InClusterConfig();
        }

        // Checked first, client certificate files included, which the client itself reads only when it is built.
        return Kubeconfig.Load(path, cluster.Auth.Context, Owner(cluster)).ClientConfiguration();
    }

    /// <inheritdoc cref="IKubeClientFactory.Endpoint"/>
    public static KubeEndpoint Endpoint(KompoxCluster cluster)
    {
        var path = KubeconfigPath(cluster);
        if (path is null)
        {
            // In a Pod: the API server's Service address and the cluster CA mounted with the ServiceAccount token.
            var inCluster = KubernetesClientConfiguration.InClusterConfig();
            var ca = File.ReadAllBytes(InClusterCaPath);
            return new KubeEndpoint(inCluster.Host, Convert.ToBase64String(ca), null, false, InCluster: true);
        }

        // The same checks as for a client: a kubeconfig written for users from a broken one would be broken too.
        var kubeconfig = Kubeconfig.Load(path, cluster.Auth.Context, Owner(cluster));
        var endpoint = kubeconfig.Endpoint;
        return new KubeEndpoint(
            endpoint.Server,
            kubeconfig.CertificateAuthorityData,
            string.IsNullOrEmpty(endpoint.TlsServerName) ? null : endpoint.TlsServerName,
            endpoint.SkipTlsVerify);
    }

    private static string Owner(KompoxCluster cluster) => $"cluster '{cluster.Name}'";

    // Where Kubernetes mounts the cluster CA into every Pod with a ServiceAccount token.
    private const string InClusterCaPath = "/var/run/secrets/kubernetes.io/serviceaccount/ca.crt";

    /// <summary>The kubeconfig the cluster's auth names (or the default one); null when Kompox runs in a cluster and there is none.</summary>
    private static string? KubeconfigPath(KompoxCluster cluster)
    {
        var path = cluster.Auth.Kubeconfig is { } configured ? ExpandHome(configured) : DefaultKubeconfig();
        if (path is null)
        {
            if (KubernetesClientConfiguration.IsInCluster())
            {
                return null;
            }

            throw new KompoxException("KubeconfigNotFound", ErrorKind.NotFound, $"cluster '{cluster.Name}' names no kubeconfig, there is none at KUBECONFIG or ~/.kube/config, and Kompox does not run in a cluster") { Target = cluster.Id };
        }

        if (!File.Exists(path))
        {
            throw new KompoxException("KubeconfigNotFound", ErrorKind.NotFound, $"cluster '{cluster.Name}': kubeconfig {path} not found") { Target = path };
        }

        return path;
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
