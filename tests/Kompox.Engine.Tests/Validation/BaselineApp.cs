using k8s;
using k8s.Models;

namespace Kompox.Tests.Validation;

/// <summary>
/// A realistic, valid set of objects for one app, shaped like what Kompox deploys (SPEC section 3):
/// namespace, two-container Deployment, CSI PV + PVC, Service + Ingress for one exposed port, config,
/// secret, network policy, quota and user access. Each test builds a fresh one and breaks one thing.
/// </summary>
internal sealed class BaselineApp
{
    public const string AppName = "my-app";
    public const string NamespaceName = "k4x-my-app-a1b2c3";
    public const string Host = "my-app-8080.my-aks.ops.kompox.dev";

    private static readonly Dictionary<string, string> PodLabels = new()
    {
        ["app.kubernetes.io/name"] = AppName,
        ["app.kubernetes.io/managed-by"] = "kompox",
    };

    public V1Namespace Namespace { get; } = new()
    {
        ApiVersion = "v1",
        Kind = "Namespace",
        Metadata = new V1ObjectMeta
        {
            Name = NamespaceName,
            Labels = new Dictionary<string, string>(PodLabels) { ["pod-security.kubernetes.io/enforce"] = "baseline" },
            Annotations = new Dictionary<string, string>
            {
                ["kompox.dev/app"] = "ops/aks1/my-aks/my-app",
                ["kompox.dev/provider"] = "aks",
                ["kompox.dev/disk-current-id"] = "/subscriptions/0000/resourceGroups/rg/providers/Microsoft.Compute/disks/my-app-disk-1",
            },
        },
    };

    public V1Deployment Deployment { get; } = new()
    {
        ApiVersion = "apps/v1",
        Kind = "Deployment",
        Metadata = Meta(AppName),
        Spec = new V1DeploymentSpec
        {
            Replicas = 1,
            Selector = new V1LabelSelector { MatchLabels = new Dictionary<string, string>(PodLabels) },
            Strategy = new V1DeploymentStrategy { Type = "Recreate" },
            Template = new V1PodTemplateSpec
            {
                Metadata = new V1ObjectMeta
                {
                    Labels = new Dictionary<string, string>(PodLabels),
                    Annotations = new Dictionary<string, string> { ["kompox.dev/config-hash"] = "3f2a9c" },
                },
                Spec = new V1PodSpec
                {
                    ServiceAccountName = "my-app-user",
                    SecurityContext = new V1PodSecurityContext { FsGroup = 1000 },
                    HostAliases =
                    [
                        new V1HostAlias { Ip = "127.0.0.1", Hostnames = ["web", "db"] },
                    ],
                    InitContainers =
                    [
                        new V1Container
                        {
                            Name = "init-perms",
                            Image = "busybox:1.36",
                            Command = ["/bin/sh", "-c", "chown -R 1000 /data"],
                            VolumeMounts = [new V1VolumeMount { Name = "data", MountPath = "/data", SubPath = "db" }],
                            Resources = Limits("100m", "64Mi"),
                        },
                    ],
                    Containers =
                    [
                        new V1Container
                        {
                            Name = "web",
                            Image = "nginx:1.27",
                            Ports = [new V1ContainerPort { Name = "http", ContainerPort = 80, Protocol = "TCP" }],
                            EnvFrom = [new V1EnvFromSource { SecretRef = new V1SecretEnvSource { Name = "my-app-web-env" } }],
                            Env =
                            [
                                new V1EnvVar { Name = "DB_HOST", Value = "db" },
                                new V1EnvVar
                                {
                                    Name = "POD_NAME",
                                    ValueFrom = new V1EnvVarSource { FieldRef = new V1ObjectFieldSelector { FieldPath = "metadata.name" } },
                                },
                            ],
                            VolumeMounts =
                            [
                                new V1VolumeMount { Name = "data", MountPath = "/usr/share/nginx/html", SubPath = "html", ReadOnlyProperty = true },
                                new V1VolumeMount { Name = "config", MountPath = "/etc/nginx/nginx.conf", SubPath = "nginx.conf", ReadOnlyProperty = true },
                                new V1VolumeMount { Name = "tmp", MountPath = "/tmp" },
                            ],
                            LivenessProbe = new V1Probe
                            {
                                Exec = new V1ExecAction { Command = ["/bin/sh", "-c", "wget -qO- http://localhost/ || exit 1"] },
                                InitialDelaySeconds = 5,
                                PeriodSeconds = 30,
                                TimeoutSeconds = 10,
                                FailureThreshold = 3,
                            },
                            ReadinessProbe = new V1Probe
                            {
                                HttpGet = new V1HTTPGetAction { Path = "/", Port = "http" },
                            },
                            Resources = new V1ResourceRequirements
                            {
                                Requests = new Dictionary<string, ResourceQuantity> { ["cpu"] = new("250m"), ["memory"] = new("256Mi") },
                                Limits = new Dictionary<string, ResourceQuantity> { ["cpu"] = new("1"), ["memory"] = new("1Gi") },
                            },
                            SecurityContext = new V1SecurityContext { RunAsUser = 1000, RunAsGroup = 1000, AllowPrivilegeEscalation = false },
                        },
                        new V1Container
                        {
                            Name = "db",
                            Image = "postgres:17",
                            Ports = [new V1ContainerPort { Name = "postgres", ContainerPort = 5432 }],
                            Env =
                            [
                                new V1EnvVar
                                {
                                    Name = "POSTGRES_PASSWORD",
                                    ValueFrom = new V1EnvVarSource
                                    {
                                        SecretKeyRef = new V1SecretKeySelector { Name = "my-app-db-env", Key = "POSTGRES_PASSWORD" },
                                    },
                                },
                            ],
                            VolumeMounts =
                            [
                                new V1VolumeMount { Name = "data", MountPath = "/var/lib/postgresql/data", SubPath = "db" },
                                new V1VolumeMount { Name = "secrets", MountPath = "/run/secrets/api-key", SubPath = "api-key", ReadOnlyProperty = true },
                            ],
                            LivenessProbe = new V1Probe
                            {
                                TcpSocket = new V1TCPSocketAction { Port = 5432 },
                            },
                            Resources = Limits("500m", "512Mi"),
                        },
                    ],
                    Volumes =
                    [
                        new V1Volume { Name = "data", PersistentVolumeClaim = new V1PersistentVolumeClaimVolumeSource { ClaimName = "my-app-data" } },
                        new V1Volume { Name = "config", ConfigMap = new V1ConfigMapVolumeSource { Name = "my-app-config" } },
                        new V1Volume { Name = "secrets", Secret = new V1SecretVolumeSource { SecretName = "my-app-files" } },
                        new V1Volume { Name = "tmp", EmptyDir = new V1EmptyDirVolumeSource { Medium = "Memory", SizeLimit = new ResourceQuantity("64Mi") } },
                    ],
                },
            },
        },
    };

    public V1PersistentVolume PersistentVolume { get; } = new()
    {
        ApiVersion = "v1",
        Kind = "PersistentVolume",
        Metadata = new V1ObjectMeta { Name = $"{NamespaceName}-disk-1", Labels = new Dictionary<string, string>(PodLabels) },
        Spec = new V1PersistentVolumeSpec
        {
            Capacity = new Dictionary<string, ResourceQuantity> { ["storage"] = new("32Gi") },
            AccessModes = ["ReadWriteOnce"],
            PersistentVolumeReclaimPolicy = "Retain",
            StorageClassName = "",
            Csi = new V1CSIPersistentVolumeSource
            {
                Driver = "disk.csi.azure.com",
                VolumeHandle = "/subscriptions/0000/resourceGroups/rg/providers/Microsoft.Compute/disks/my-app-disk-1",
                FsType = "ext4",
            },
            ClaimRef = new V1ObjectReference { Kind = "PersistentVolumeClaim", Name = "my-app-data", NamespaceProperty = NamespaceName },
        },
    };

    public V1PersistentVolumeClaim PersistentVolumeClaim { get; } = new()
    {
        ApiVersion = "v1",
        Kind = "PersistentVolumeClaim",
        Metadata = Meta("my-app-data"),
        Spec = new V1PersistentVolumeClaimSpec
        {
            AccessModes = ["ReadWriteOnce"],
            StorageClassName = "",
            VolumeName = $"{NamespaceName}-disk-1",
            Resources = new V1VolumeResourceRequirements
            {
                Requests = new Dictionary<string, ResourceQuantity> { ["storage"] = new("32Gi") },
            },
        },
    };

    public V1Service Service { get; } = new()
    {
        ApiVersion = "v1",
        Kind = "Service",
        Metadata = Meta("my-app-8080"),
        Spec = new V1ServiceSpec
        {
            Type = "ClusterIP",
            Selector = new Dictionary<string, string>(PodLabels),
            Ports = [new V1ServicePort { Name = "http", Port = 8080, TargetPort = 80, Protocol = "TCP" }],
        },
    };

    public V1Ingress Ingress { get; } = new()
    {
        ApiVersion = "networking.k8s.io/v1",
        Kind = "Ingress",
        Metadata = new V1ObjectMeta
        {
            Name = "my-app-8080",
            NamespaceProperty = NamespaceName,
            Labels = new Dictionary<string, string>(PodLabels),
            Annotations = new Dictionary<string, string>
            {
                ["traefik.ingress.kubernetes.io/router.entrypoints"] = "websecure",
                ["traefik.ingress.kubernetes.io/router.tls"] = "true",
            },
        },
        Spec = new V1IngressSpec
        {
            IngressClassName = "traefik",
            Rules =
            [
                new V1IngressRule
                {
                    Host = Host,
                    Http = new V1HTTPIngressRuleValue
                    {
                        Paths =
                        [
                            new V1HTTPIngressPath
                            {
                                Path = "/",
                                PathType = "Prefix",
                                Backend = new V1IngressBackend
                                {
                                    Service = new V1IngressServiceBackend { Name = "my-app-8080", Port = new V1ServiceBackendPort { Number = 8080 } },
                                },
                            },
                        ],
                    },
                },
            ],
            Tls = [new V1IngressTLS { Hosts = [Host] }],
        },
    };

    public V1ConfigMap ConfigMap { get; } = new()
    {
        ApiVersion = "v1",
        Kind = "ConfigMap",
        Metadata = Meta("my-app-config"),
        Data = new Dictionary<string, string> { ["nginx.conf"] = "events {}\nhttp { server { listen 80; } }\n" },
        BinaryData = new Dictionary<string, byte[]> { ["favicon.ico"] = [0, 0, 1, 0] },
    };

    public V1Secret Secret { get; } = new()
    {
        ApiVersion = "v1",
        Kind = "Secret",
        Metadata = Meta("my-app-web-env"),
        Type = "Opaque",
        StringData = new Dictionary<string, string> { ["API_URL"] = "http://localhost:8080", ["SESSION_SECRET"] = "s3cr3t" },
    };

    public V1NetworkPolicy NetworkPolicy { get; } = new()
    {
        ApiVersion = "networking.k8s.io/v1",
        Kind = "NetworkPolicy",
        Metadata = Meta(AppName),
        Spec = new V1NetworkPolicySpec
        {
            PodSelector = new V1LabelSelector(),
            PolicyTypes = ["Ingress"],
            Ingress =
            [
                new V1NetworkPolicyIngressRule
                {
                    FromProperty =
                    [
                        new V1NetworkPolicyPeer { PodSelector = new V1LabelSelector() },
                        new V1NetworkPolicyPeer
                        {
                            NamespaceSelector = new V1LabelSelector
                            {
                                MatchLabels = new Dictionary<string, string> { ["kubernetes.io/metadata.name"] = "traefik" },
                            },
                        },
                    ],
                    Ports = [new V1NetworkPolicyPort { Protocol = "TCP", Port = 80 }],
                },
            ],
        },
    };

    public V1ResourceQuota ResourceQuota { get; } = new()
    {
        ApiVersion = "v1",
        Kind = "ResourceQuota",
        Metadata = Meta(AppName),
        Spec = new V1ResourceQuotaSpec
        {
            Hard = new Dictionary<string, ResourceQuantity>
            {
                ["limits.cpu"] = new("2"),
                ["limits.memory"] = new("4Gi"),
                ["requests.storage"] = new("64Gi"),
                ["pods"] = new("2"),
            },
        },
    };

    public V1ServiceAccount ServiceAccount { get; } = new()
    {
        ApiVersion = "v1",
        Kind = "ServiceAccount",
        Metadata = Meta("my-app-user"),
    };

    public V1Role Role { get; } = new()
    {
        ApiVersion = "rbac.authorization.k8s.io/v1",
        Kind = "Role",
        Metadata = Meta("my-app-user"),
        Rules =
        [
            new V1PolicyRule { ApiGroups = [""], Resources = ["pods", "pods/log"], Verbs = ["get", "list", "watch"] },
            new V1PolicyRule { ApiGroups = [""], Resources = ["pods/exec"], Verbs = ["create"] },
        ],
    };

    public V1RoleBinding RoleBinding { get; } = new()
    {
        ApiVersion = "rbac.authorization.k8s.io/v1",
        Kind = "RoleBinding",
        Metadata = Meta("my-app-user"),
        RoleRef = new V1RoleRef { ApiGroup = "rbac.authorization.k8s.io", Kind = "Role", Name = "my-app-user" },
        Subjects = [new Rbacv1Subject { Kind = "ServiceAccount", Name = "my-app-user", NamespaceProperty = NamespaceName }],
    };

    public V1PodSpec PodSpec => Deployment.Spec.Template.Spec;

    public V1Container Web => PodSpec.Containers[0];

    public V1Container Db => PodSpec.Containers[1];

    public IEnumerable<IKubernetesObject<V1ObjectMeta>> Objects =>
    [
        Namespace, Deployment, PersistentVolume, PersistentVolumeClaim, Service, Ingress,
        ConfigMap, Secret, NetworkPolicy, ResourceQuota, ServiceAccount, Role, RoleBinding,
    ];

    private static V1ObjectMeta Meta(string name) => new()
    {
        Name = name,
        NamespaceProperty = NamespaceName,
        Labels = new Dictionary<string, string>(PodLabels),
    };

    private static V1ResourceRequirements Limits(string cpu, string memory) => new()
    {
        Limits = new Dictionary<string, ResourceQuantity> { ["cpu"] = new(cpu), ["memory"] = new(memory) },
    };
}
