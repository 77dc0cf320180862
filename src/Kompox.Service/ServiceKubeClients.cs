using k8s;
using Kompox.Kube;
using Kompox.Model;

namespace Kompox.Service;

/// <summary>
/// The clusters' clients: a cluster with a stored kubeconfig through the engine's own factory, on the private file the
/// store wrote (<see cref="Store.KubeconfigFiles"/>); a cluster with the in-cluster credential through the ServiceAccount
/// of the Pod the service runs in, never a kubeconfig that happens to be on the machine.
/// </summary>
public sealed class ServiceKubeClients : IKubeClientFactory
{
    private readonly KubeconfigClientFactory kubeconfigs = new();

    public IKubernetes Create(KompoxCluster cluster, params DelegatingHandler[] handlers) =>
        cluster.Auth.Kubeconfig is null ? new Kubernetes(InCluster(cluster), handlers) : kubeconfigs.Create(cluster, handlers);

    public string ClientKey(KompoxCluster cluster) => cluster.Auth.Kubeconfig is null ? "in-cluster" : kubeconfigs.ClientKey(cluster);

    public KubeEndpoint Endpoint(KompoxCluster cluster) => KubeconfigClientFactory.Endpoint(cluster);

    private static KubernetesClientConfiguration InCluster(KompoxCluster cluster)
    {
        if (!KubernetesClientConfiguration.IsInCluster())
        {
            throw new KompoxException("KubeconfigNotFound", ErrorKind.NotFound, $"cluster '{cluster.Name}' uses the service's in-cluster identity, but the service does not run in a Kubernetes Pod") { Target = cluster.Name };
        }

        return KubernetesClientConfiguration.InClusterConfig();
    }
}
