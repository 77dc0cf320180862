using k8s;
using k8s.Models;
using Kompox.Model;

namespace Kompox.Conversion;

/// <summary>
/// The objects of the cluster ingress (SPEC 4): Traefik v3 with its kubernetesIngress provider limited to the
/// IngressClass <c>traefik</c>, entrypoints <c>web</c> (:80, redirected to <c>websecure</c>) and <c>websecure</c> (:443),
/// the Let's Encrypt resolver the converter names (TLS-ALPN-01, <c>acme.json</c> on a PVC), and, when the cluster's
/// <see cref="DefaultCertSecretSetting"/> names a TLS Secret in the ingress namespace, that certificate as the default
/// of Traefik's TLS store <c>default</c>, configured through Traefik's file provider (a ConfigMap with the dynamic
/// configuration and the Secret mounted next to it): no CRD is needed.
/// </summary>
public static class ClusterIngressManifest
{
    /// <summary>The cluster setting naming the Secret (type kubernetes.io/tls, in the ingress namespace) holding the wildcard certificate of <c>*.{cluster}.{domain}</c>.</summary>
    public const string DefaultCertSecretSetting = "INGRESS_DEFAULT_CERT_SECRET";

    /// <summary>The Traefik release Kompox installs, pinned.</summary>
    public const string Image = "traefik:v3.3.4";

    public const string Name = "traefik";
    public const string IngressClassName = "traefik";
    public const string Controller = "traefik.io/ingress-controller";

    /// <summary>The ServiceAccount, ClusterRole and ClusterRoleBinding name; cluster-scoped, so it names the namespace too.</summary>
    public static string RbacName(KompoxCluster cluster) => $"kompox-traefik-{cluster.Ingress.Namespace}";

    private const string DynamicConfigName = "traefik-dynamic";
    private const string AcmeClaimName = "traefik-acme";
    private const string DataPath = "/data";
    private const string DynamicPath = "/etc/traefik/dynamic";
    private const string DefaultCertPath = "/etc/traefik/default-cert";
    private const long NonRootUser = 65532;

    /// <summary>The objects in the order they are applied (the namespace first, the workload last).</summary>
    public static IReadOnlyList<IKubernetesObject<V1ObjectMeta>> Objects(KompoxCluster cluster, AppConversionOptions? conversion = null)
    {
        var ns = cluster.Ingress.Namespace;
        var resolver = (conversion ?? new AppConversionOptions()).CertResolver;
        var certSecret = cluster.Settings.TryGetValue(DefaultCertSecretSetting, out var secret) && secret.Length > 0 ? secret : null;
        var labels = Labels();

        var objects = new List<IKubernetesObject<V1ObjectMeta>>
        {
            new V1Namespace
            {
                ApiVersion = "v1",
                Kind = "Namespace",
                Metadata = new()
                {
                    Name = ns,
                    Labels = new Dictionary<string, string>(labels) { [KompoxMetadata.PodSecurityEnforceLabel] = KompoxMetadata.PodSecurityLevel },
                },
            },
            new V1ServiceAccount { ApiVersion = "v1", Kind = "ServiceAccount", Metadata = Meta(RbacName(cluster), ns) },
            new V1ClusterRole
            {
                ApiVersion = "rbac.authorization.k8s.io/v1",
                Kind = "ClusterRole",
                Metadata = Meta(RbacName(cluster), null),
                Rules = new List<V1PolicyRule>
                {
                    Rule(new[] { "" }, new[] { "services", "secrets", "nodes" }, "get", "list", "watch"),
                    Rule(new[] { "discovery.k8s.io" }, new[] { "endpointslices" }, "list", "watch"),
                    Rule(new[] { "networking.k8s.io" }, new[] { "ingresses", "ingressclasses" }, "get", "list", "watch"),
                    Rule(new[] { "networking.k8s.io" }, new[] { "ingresses/status" }, "update"),
                },
            },
            new V1ClusterRoleBinding
            {
                ApiVersion = "rbac.authorization.k8s.io/v1",
                Kind = "ClusterRoleBinding",
                Metadata = Meta(RbacName(cluster), null),
                RoleRef = new V1RoleRef { ApiGroup = "rbac.authorization.k8s.io", Kind = "ClusterRole", Name = RbacName(cluster) },
                Subjects = new List<Rbacv1Subject> { new() { Kind = "ServiceAccount", Name = RbacName(cluster), NamespaceProperty = ns } },
            },
            new V1IngressClass
            {
                ApiVersion = "networking.k8s.io/v1",
                Kind = "IngressClass",
                Metadata = Meta(IngressClassName, null),
                Spec = new V1IngressClassSpec { Controller = Controller },
            },
            new V1PersistentVolumeClaim
            {
                ApiVersion = "v1",
                Kind = "PersistentVolumeClaim",
                Metadata = Meta(AcmeClaimName, ns),
                Spec = new V1PersistentVolumeClaimSpec
                {
                    AccessModes = new List<string> { "ReadWriteOnce" },
                    Resources = new V1VolumeResourceRequirements { Requests = new Dictionary<string, ResourceQuantity> { ["storage"] = new("128Mi") } },
                },
            },
        };

        if (certSecret is not null)
        {
            objects.Add(new V1ConfigMap
            {
                ApiVersion = "v1",
                Kind = "ConfigMap",
                Metadata = Meta(DynamicConfigName, ns),
                Data = new Dictionary<string, string>
                {
                    // Traefik's dynamic configuration: the default certificate of the TLS store "default", which serves any host no other certificate matches.
                    ["default-cert.yml"] = $"""
                        # The wildcard certificate of *.{cluster.AppDomain}, from Secret {certSecret}.
                        tls:
                          stores:
                            default:
                              defaultCertificate:
                                certFile: {DefaultCertPath}/tls.crt
                                keyFile: {DefaultCertPath}/tls.key

                        """,
                },
            });
        }

        objects.Add(Deployment(cluster, resolver, certSecret));
        objects.Add(new V1Service
        {
            ApiVersion = "v1",
            Kind = "Service",
            Metadata = Meta(Name, ns),
            Spec = new V1ServiceSpec
            {
                Type = "LoadBalancer",
                Selector = new Dictionary<string, string> { [KompoxMetadata.NameLabel] = Name },
                Ports = new List<V1ServicePort>
                {
                    new() { Name = "web", Port = 80, TargetPort = "web", Protocol = "TCP" },
                    new() { Name = "websecure", Port = 443, TargetPort = "websecure", Protocol = "TCP" },
                },
            },
        });
        return objects;
    }

    /// <summary>Traefik's static configuration, one CLI flag each (doc.traefik.io/traefik/reference/static-configuration/cli).</summary>
    public static IReadOnlyList<string> Arguments(KompoxCluster cluster, string resolver, bool defaultCertificate)
    {
        var args = new List<string>
        {
            "--global.checknewversion=false",
            "--global.sendanonymoususage=false",
            "--log.level=INFO",
            "--ping=true",
            "--entryPoints.web.address=:80",
            "--entryPoints.web.http.redirections.entryPoint.to=websecure",
            "--entryPoints.web.http.redirections.entryPoint.scheme=https",
            "--entryPoints.websecure.address=:443",
            "--entryPoints.websecure.http.tls=true",
            "--providers.kubernetesingress=true",
            $"--providers.kubernetesingress.ingressclass={IngressClassName}",
            $"--providers.kubernetesingress.ingressendpoint.publishedservice={cluster.Ingress.Namespace}/{Name}",
            $"--certificatesresolvers.{resolver}.acme.storage={DataPath}/acme.json",
            $"--certificatesresolvers.{resolver}.acme.tlschallenge=true",
        };
        if (defaultCertificate)
        {
            args.Add($"--providers.file.directory={DynamicPath}");
            args.Add("--providers.file.watch=true");
        }

        return args;
    }

    private static V1Deployment Deployment(KompoxCluster cluster, string resolver, string? certSecret)
    {
        var ns = cluster.Ingress.Namespace;
        var podLabels = new Dictionary<string, string>(Labels());
        var mounts = new List<V1VolumeMount> { new() { Name = "acme", MountPath = DataPath } };
        var volumes = new List<V1Volume> { new() { Name = "acme", PersistentVolumeClaim = new() { ClaimName = AcmeClaimName } } };
        if (certSecret is not null)
        {
            mounts.Add(new() { Name = "dynamic", MountPath = DynamicPath, ReadOnlyProperty = true });
            mounts.Add(new() { Name = "default-cert", MountPath = DefaultCertPath, ReadOnlyProperty = true });
            volumes.Add(new() { Name = "dynamic", ConfigMap = new() { Name = DynamicConfigName } });
            volumes.Add(new() { Name = "default-cert", Secret = new() { SecretName = certSecret } });
        }

        return new V1Deployment
        {
            ApiVersion = "apps/v1",
            Kind = "Deployment",
            Metadata = Meta(Name, ns),
            Spec = new V1DeploymentSpec
            {
                Replicas = 1,

                // One Pod owns the ReadWriteOnce ACME volume at a time.
                Strategy = new V1DeploymentStrategy { Type = "Recreate" },
                Selector = new V1LabelSelector { MatchLabels = new Dictionary<string, string> { [KompoxMetadata.NameLabel] = Name } },
                Template = new V1PodTemplateSpec
                {
                    Metadata = new V1ObjectMeta { Labels = podLabels },
                    Spec = new V1PodSpec
                    {
                        ServiceAccountName = RbacName(cluster),
                        SecurityContext = new V1PodSecurityContext
                        {
                            RunAsNonRoot = true,
                            RunAsUser = NonRootUser,
                            RunAsGroup = NonRootUser,
                            FsGroup = NonRootUser,
                            SeccompProfile = new V1SeccompProfile { Type = "RuntimeDefault" },

                            // A safe sysctl of the Pod's network namespace: lets the non-root process bind :80 and :443
                            // (added capabilities are not ambient, so NET_BIND_SERVICE alone does not for a non-root user).
                            Sysctls = new List<V1Sysctl> { new() { Name = "net.ipv4.ip_unprivileged_port_start", Value = "0" } },
                        },
                        Containers = new List<V1Container>
                        {
                            new()
                            {
                                Name = Name,
                                Image = Image,
                                Args = Arguments(cluster, resolver, certSecret is not null).ToList(),
                                Ports = new List<V1ContainerPort>
                                {
                                    new() { Name = "web", ContainerPort = 80, Protocol = "TCP" },
                                    new() { Name = "websecure", ContainerPort = 443, Protocol = "TCP" },
                                    new() { Name = "traefik", ContainerPort = 8080, Protocol = "TCP" },
                                },
                                ReadinessProbe = new V1Probe { HttpGet = new V1HTTPGetAction { Path = "/ping", Port = "traefik" }, PeriodSeconds = 10 },
                                LivenessProbe = new V1Probe { HttpGet = new V1HTTPGetAction { Path = "/ping", Port = "traefik" }, PeriodSeconds = 10, FailureThreshold = 3 },
                                Resources = new V1ResourceRequirements
                                {
                                    Requests = new Dictionary<string, ResourceQuantity> { ["cpu"] = new("100m"), ["memory"] = new("128Mi") },
                                    Limits = new Dictionary<string, ResourceQuantity> { ["cpu"] = new("1"), ["memory"] = new("256Mi") },
                                },
                                SecurityContext = new V1SecurityContext
                                {
                                    AllowPrivilegeEscalation = false,
                                    ReadOnlyRootFilesystem = true,
                                    Capabilities = new V1Capabilities { Drop = new List<string> { "ALL" }, Add = new List<string> { "NET_BIND_SERVICE" } },
                                },
                                VolumeMounts = mounts,
                            },
                        },
                        Volumes = volumes,
                    },
                },
            },
        };
    }

    private static Dictionary<string, string> Labels() => new()
    {
        [KompoxMetadata.NameLabel] = Name,
        [KompoxMetadata.ManagedByLabel] = KompoxMetadata.ManagedByValue,
    };

    private static V1ObjectMeta Meta(string name, string? ns) => new() { Name = name, NamespaceProperty = ns, Labels = Labels() };

    private static V1PolicyRule Rule(string[] groups, string[] resources, params string[] verbs) =>
        new() { ApiGroups = groups.ToList(), Resources = resources.ToList(), Verbs = verbs.ToList() };
}
