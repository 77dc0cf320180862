using System.Text.Json.Nodes;

namespace Kompox.Testing.KubeApi;

/// <summary>
/// What a default k3s server adds to a cluster that plain kube-apiserver does not have: the CRDs of its helm-controller
/// (k3s-io/helm-controller pkg/crds: HelmChart and HelmChartConfig in helm.cattle.io/v1, namespaced) and the bundled
/// Traefik it deploys from k3s-io/k3s manifests/traefik.yaml (pkg/deploy writes it to server/manifests unless
/// --disable=traefik): HelmChart kube-system/traefik-crd and kube-system/traefik, which helm-controller installs as the
/// traefik chart's objects in kube-system, labelled by Helm (app.kubernetes.io/managed-by=Helm, meta.helm.sh release
/// annotations): Deployment traefik, Service traefik of type LoadBalancer (served by ServiceLB on ports 80 and 443), and
/// the default IngressClass traefik.
/// </summary>
public sealed partial class KubeApiServer
{
    private readonly List<ResourceType> customResources = [];

    /// <summary>The resource as this server serves it: the built-in kinds, and the CRDs seeded (as a k3s server has them).</summary>
    private ResourceType? Served(string group, string version, string plural) =>
        ResourceCatalog.Find(group, version, plural) ?? customResources.FirstOrDefault(r => r.Group == group && r.Version == version && r.Plural == plural);

    /// <summary>Seeds what a default k3s install (without --disable=traefik) runs of its bundled Traefik, and serves helm.cattle.io/v1.</summary>
    public void SeedK3sBundledTraefik()
    {
        lock (gate)
        {
            var helmCharts = new ResourceType("helm.cattle.io", "v1", "helmcharts", "HelmChart", true, null, [], true);
            customResources.Add(helmCharts);
            customResources.Add(new ResourceType("helm.cattle.io", "v1", "helmchartconfigs", "HelmChartConfig", true, null, [], false));
            foreach (var (name, chart) in new[] { ("traefik-crd", "traefik-crd-34.2.1+up34.2.0.tgz"), ("traefik", "traefik-34.2.1+up34.2.0.tgz") })
            {
                Insert(helmCharts, new JsonObject
                {
                    ["apiVersion"] = "helm.cattle.io/v1",
                    ["kind"] = "HelmChart",
                    ["metadata"] = new JsonObject { ["name"] = name, ["namespace"] = "kube-system" },
                    ["spec"] = new JsonObject { ["chart"] = $"https://%{{KUBERNETES_API}}%/static/charts/{chart}" },
                });
            }

            var labels = new JsonObject
            {
                ["app.kubernetes.io/instance"] = "traefik-kube-system",
                ["app.kubernetes.io/managed-by"] = "Helm",
                ["app.kubernetes.io/name"] = "traefik",
                ["helm.sh/chart"] = "traefik-34.2.1_up34.2.0",
            };
            var annotations = new JsonObject { ["meta.helm.sh/release-name"] = "traefik", ["meta.helm.sh/release-namespace"] = "kube-system" };
            var selector = new JsonObject { ["app.kubernetes.io/instance"] = "traefik-kube-system", ["app.kubernetes.io/name"] = "traefik" };
            Insert(Resource("deployments"), new JsonObject
            {
                ["apiVersion"] = "apps/v1",
                ["kind"] = "Deployment",
                ["metadata"] = new JsonObject { ["name"] = "traefik", ["namespace"] = "kube-system", ["labels"] = labels.DeepClone(), ["annotations"] = annotations.DeepClone() },
                ["spec"] = new JsonObject
                {
                    ["replicas"] = 1,
                    ["selector"] = new JsonObject { ["matchLabels"] = selector.DeepClone() },
                    ["template"] = new JsonObject
                    {
                        ["metadata"] = new JsonObject { ["labels"] = labels.DeepClone() },
                        ["spec"] = new JsonObject
                        {
                            ["containers"] = new JsonArray(new JsonObject { ["name"] = "traefik", ["image"] = "rancher/mirrored-library-traefik:3.3.2" }),
                        },
                    },
                },
                ["status"] = new JsonObject { ["replicas"] = 1, ["readyReplicas"] = 1, ["availableReplicas"] = 1, ["updatedReplicas"] = 1 },
            });
            Insert(Resource("services"), new JsonObject
            {
                ["apiVersion"] = "v1",
                ["kind"] = "Service",
                ["metadata"] = new JsonObject { ["name"] = "traefik", ["namespace"] = "kube-system", ["labels"] = labels.DeepClone(), ["annotations"] = annotations.DeepClone() },
                ["spec"] = new JsonObject
                {
                    ["type"] = "LoadBalancer",
                    ["selector"] = selector.DeepClone(),
                    ["ports"] = new JsonArray(
                        new JsonObject { ["name"] = "web", ["port"] = 80, ["protocol"] = "TCP", ["targetPort"] = "web" },
                        new JsonObject { ["name"] = "websecure", ["port"] = 443, ["protocol"] = "TCP", ["targetPort"] = "websecure" }),
                },
            });
            Insert(Resource("ingressclasses"), new JsonObject
            {
                ["apiVersion"] = "networking.k8s.io/v1",
                ["kind"] = "IngressClass",
                ["metadata"] = new JsonObject
                {
                    ["name"] = "traefik",
                    ["labels"] = labels.DeepClone(),
                    ["annotations"] = new JsonObject
                    {
                        ["ingressclass.kubernetes.io/is-default-class"] = "true",
                        ["meta.helm.sh/release-name"] = "traefik",
                        ["meta.helm.sh/release-namespace"] = "kube-system",
                    },
                },
                ["spec"] = new JsonObject { ["controller"] = "traefik.io/ingress-controller" },
            });
        }
    }
}
