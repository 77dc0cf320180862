using k8s;
using k8s.Models;

namespace Kompox.Conversion;

/// <summary>The labels and annotations Kompox writes and reads back.</summary>
public static class KompoxMetadata
{
    public const string ManagedByLabel = "app.kubernetes.io/managed-by";
    public const string ManagedByValue = "kompox";
    public const string NameLabel = "app.kubernetes.io/name";
    public const string PodSecurityEnforceLabel = "pod-security.kubernetes.io/enforce";
    public const string PodSecurityLevel = "baseline";
    public const string NamespaceNameLabel = "kubernetes.io/metadata.name";

    /// <summary>On every object of an app: the <c>hash6</c> of its namespace, unique per app (the name label is not).</summary>
    public const string AppIdLabel = "kompox.dev/app-id";

    public const string AppAnnotation = "kompox.dev/app";
    public const string ProviderAnnotation = "kompox.dev/provider";

    /// <summary>
    /// On the Namespace, written by each deploy: the full path of the kompoxops.yml it read, and the host name of the
    /// machine that file is on. They tell the apps of a cluster apart by where they come from (the rename of an app in
    /// its file makes a new app, which the deploy warns of), and say where an app's config is when it is not at hand.
    /// </summary>
    public const string ConfigPathAnnotation = "kompox.dev/config-path";
    public const string ConfigHostAnnotation = "kompox.dev/config-host";

    /// <summary>
    /// On the Namespace, written only by their own server-side apply (field manager <see cref="DiskStateFieldManager"/>), never
    /// by the conversion: applying the app's objects then leaves them as they are.
    /// </summary>
    public const string DiskCurrentAnnotation = "kompox.dev/disk-current-id";
    public const string DiskPreviousAnnotation = "kompox.dev/disk-previous-id";
    public const string DiskStateFieldManager = "kompox-disk-state";

    /// <summary>On the PersistentVolume, which stands for the disk: the version of the disk layout its directories follow (about_Kompox_DiskLayout).</summary>
    public const string DiskLayoutAnnotation = "kompox.dev/disk-layout";

    /// <summary>On the pod template: a digest of every ConfigMap and Secret, so that changing one rolls the Pod.</summary>
    public const string ConfigHashAnnotation = "kompox.dev/config-hash";
}

/// <summary>What the conversion needs beyond the app, its compose file and its disk.</summary>
public sealed record AppConversionOptions
{
    /// <summary>The node a driver that pins disks to a node should use when the cluster's settings name none (see <c>IProviderDriver.NeedsNodeName</c>).</summary>
    public string? NodeName { get; init; }

    /// <summary>The Traefik certificate resolver (Let's Encrypt, TLS-ALPN-01) that the cluster ingress defines for custom hosts.</summary>
    public string CertResolver { get; init; } = "letsencrypt";

    /// <summary>
    /// The image whose statically linked <c>/bin/busybox</c> fills new volumes from the services' images (which may have no
    /// shell). Pinned, so that every conversion runs the same tools.
    /// </summary>
    public string ToolsImage { get; init; } = "busybox:1.37.0-musl";

    /// <summary>
    /// The DNS server that stands in for Docker's embedded one at 127.0.0.11 when the app names that address (CoreDNS, the
    /// image Kubernetes itself runs for cluster DNS). Pinned, as <see cref="ToolsImage"/> is.
    /// </summary>
    public string DnsImage { get; init; } = "registry.k8s.io/coredns/coredns:v1.12.0";

    /// <summary>
    /// The conversion has no disk because the deploy it plans creates the app's first one: leaving the PersistentVolume
    /// and its claim out is then expected, not worth a warning.
    /// </summary>
    public bool DiskCreatedAtDeploy { get; init; }

    /// <summary>
    /// The Kubernetes version (major.minor) of the cluster the app goes to, when known: what only a newer version allows
    /// (a sysctl safe from a later version on) is then an error. Null checks against the newest version.
    /// </summary>
    public Version? ServerVersion { get; init; }
}

/// <summary>The Kubernetes objects of one app, in apply order (by kind, then name), and what the conversion warns about.</summary>
public sealed record AppManifest(string Namespace, IReadOnlyList<IKubernetesObject<V1ObjectMeta>> Objects, IReadOnlyList<Diagnostic> Warnings)
{
    /// <summary>The <c>external: true</c> volumes a service mounts: they must already be on the app's disk, which a new disk cannot be.</summary>
    public IReadOnlyList<string> ExternalVolumes { get; init; } = Array.Empty<string>();

    /// <summary>The relative binds of directories: a deploy copies them onto a disk that was never seeded.</summary>
    public IReadOnlyList<Drivers.SeedSource> Binds { get; init; } = Array.Empty<Drivers.SeedSource>();
}
