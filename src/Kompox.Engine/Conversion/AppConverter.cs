using k8s;
using k8s.Models;
using Kompox.Compose;
using Kompox.Drivers;
using Kompox.Model;

namespace Kompox.Conversion;

/// <summary>
/// Turns an app's compose project into the Kubernetes objects that run it as one Pod on one disk (SPEC section 3).
/// The result depends only on the inputs: services are taken in name order wherever order matters, maps are sorted,
/// and the objects come out by kind (in apply order) then name.
/// </summary>
public static class AppConverter
{
    /// <summary>Kinds in the order <c>kubectl apply</c> should meet them: the namespace and its limits before what runs in it.</summary>
    public static readonly IReadOnlyList<string> KindOrder = new[]
    {
        "Namespace", "ResourceQuota", "ServiceAccount", "Role", "RoleBinding", "NetworkPolicy",
        "ConfigMap", "Secret", "PersistentVolume", "PersistentVolumeClaim", "Service", "Deployment", "Ingress",
    };

    /// <summary>
    /// Converts the app offline on <paramref name="diskId"/>, sized as a new disk of the driver would be. Without a disk
    /// the PersistentVolume and its claim are left out (they can only name a real disk) and a warning says so;
    /// everything else is the same.
    /// </summary>
    /// <exception cref="KompoxValidationException"><c>InvalidCompose</c>, with every problem found in the compose file and in the app's settings.</exception>
    /// <exception cref="KompoxException">From the provider driver: the disk id or the node is not usable.</exception>
    public static AppManifest Convert(KompoxApp app, ComposeProject project, string? diskId, AppConversionOptions? options = null) =>
        Convert(app, project, diskId, null, options ?? new AppConversionOptions());

    /// <summary>Converts the app for deploy on <paramref name="disk"/>, a real disk whose size the PersistentVolume states.</summary>
    /// <exception cref="KompoxValidationException"><c>InvalidCompose</c>, with every problem found in the compose file and in the app's settings.</exception>
    /// <exception cref="KompoxException">From the provider driver: the disk id or the node is not usable.</exception>
    public static AppManifest Convert(KompoxApp app, ComposeProject project, DiskInfo disk, AppConversionOptions? options = null) =>
        Convert(app, project, disk.Id, disk.SizeBytes, options ?? new AppConversionOptions(), disk);

    /// <summary>
    /// A manifest converted without a disk for a deploy (<see cref="AppConversionOptions.DiskCreatedAtDeploy"/>) with the
    /// PersistentVolume and claim of <paramref name="disk"/> added: the same objects as converting on the disk, without
    /// reading or converting the compose project again (a deploy converts once, and what it planned is what it applies).
    /// </summary>
    /// <param name="nodeName">The node a driver that pins disks to one uses when the cluster's settings name none.</param>
    /// <exception cref="KompoxException">From the provider driver: the disk id or the node is not usable.</exception>
    public static AppManifest WithDisk(KompoxApp app, AppManifest manifest, DiskInfo disk, string? nodeName)
    {
        var scope = new AppScope(app, manifest.Namespace) { DiskId = disk.Id };
        var volume = PersistentVolume(scope, DriverOf(app).DiskVolume(app, disk, nodeName), KubeNames.PersistentVolume(scope.Namespace, disk.Id));
        var objects = manifest.Objects
            .Where(o => o is not V1PersistentVolume and not V1PersistentVolumeClaim)
            .Select(o => o is V1Deployment deployment ? OnClaim(deployment, scope.ClaimName) : o)
            .Append(volume)
            .Append(Claim(scope, volume.Metadata.Name, volume.Spec.Capacity["storage"]));
        return manifest with { Objects = Sorted(objects) };
    }

    /// <summary>The Deployment with its data volume on <paramref name="claimName"/>: a copy, the manifest it came from stays as it was.</summary>
    private static V1Deployment OnClaim(V1Deployment deployment, string claimName)
    {
        var copy = KubernetesJson.Deserialize<V1Deployment>(KubernetesJson.Serialize(deployment));
        foreach (var volume in copy.Spec.Template.Spec.Volumes ?? new List<V1Volume>())
        {
            if (volume.Name == PodBuilder.DataVolume && volume.PersistentVolumeClaim is { } claim)
            {
                claim.ClaimName = claimName;
            }
        }

        return copy;
    }

    /// <summary>
    /// The app's Namespace exactly as <see cref="Convert(KompoxApp, ComposeProject, DiskInfo, AppConversionOptions?)"/>
    /// makes it, without reading the compose file: for operations that need the namespace before the app is deployed
    /// (the app's Lease lives in it).
    /// </summary>
    /// <exception cref="KompoxException"><c>UnknownDriver</c>.</exception>
    public static V1Namespace AppNamespace(KompoxApp app) => Namespace(new AppScope(app, KubeNames.Namespace(app)), DriverOf(app));

    private static IProviderDriver DriverOf(KompoxApp app) =>
        ProviderDrivers.Find(app.Cluster.Provider.Driver)
            ?? throw new KompoxException("UnknownDriver", ErrorKind.InvalidArgument, $"provider '{app.Cluster.Provider.Name}' uses driver '{app.Cluster.Provider.Driver}', which this version does not have");

    private static AppManifest Convert(KompoxApp app, ComposeProject project, string? diskId, long? diskSizeBytes, AppConversionOptions options, DiskInfo? disk = null)
    {
        var driver = DriverOf(app);

        var diagnostics = new ConversionDiagnostics(app.ComposePath ?? "compose.yml", app.Cluster.Provider.Service.ConfigPath ?? "kompoxops.yml");
        if (Names.CheckAppName(app.Name) is { } nameProblem)
        {
            diagnostics.AppError("app.name", nameProblem);
        }

        ComposeRules.Check(project, diagnostics);
        var ports = Exposure.Plan(app, project, diagnostics);
        var budget = ResourceBudget.Compute(app.Resources, project.Services, diagnostics);
        var podSettings = PodSettings.Plan(project.Services, PodBuilder.HostNames(project.Services), diagnostics, options.ServerVersion, app.Cluster.Settings.GetValueOrDefault(Drivers.RuntimeClassSettings.Name));
        var start = StartOrder.Plan(project.Services, diagnostics, options.ServerVersion);
        foreach (var service in project.Services)
        {
            LifecycleHooks.Check(service, start.RoleOf(service), diagnostics);
        }

        if (diagnostics.HasErrors || budget is null)
        {
            throw new KompoxValidationException("InvalidCompose", diagnostics.ComposeFile, diagnostics.Items);
        }

        var scope = new AppScope(app, KubeNames.Namespace(app)) { DiskId = diskId };
        var objects = new List<IKubernetesObject<V1ObjectMeta>>
        {
            Namespace(scope, driver),
            Quota(scope, budget, DnsSidecar.Needed(project)),
            NetworkPolicy(scope),
        };
        if (diskId is null)
        {
            if (!options.DiskCreatedAtDeploy)
            {
                diagnostics.Add(Diagnostic.Warning(diagnostics.ConfigFile, SourceMark.File, string.Empty, $"no disk was given: the PersistentVolume and PersistentVolumeClaim '{scope.ClaimName}' are left out, so the Pod waits for the claim until the app is deployed on a disk") with { Routine = true });
            }
        }
        else
        {
            var spec = disk is null ? driver.DiskVolume(app, diskId, options.NodeName, diskSizeBytes) : driver.DiskVolume(app, disk, options.NodeName);
            var volume = PersistentVolume(scope, spec, KubeNames.PersistentVolume(scope.Namespace, diskId));
            objects.Add(volume);
            objects.Add(Claim(scope, volume.Metadata.Name, volume.Spec.Capacity["storage"]));
        }

        objects.AddRange(Access.Build(scope, driver.AccessSubjects(app)));
        objects.AddRange(PodBuilder.Build(scope, project, budget, podSettings, start, options));
        objects.AddRange(Exposure.Build(scope, ports, options.CertResolver));

        var warnings = project.Warnings.Concat(diagnostics.Items.Where(d => d.Severity == Severity.Warning)).ToList();
        return new AppManifest(scope.Namespace, Sorted(objects), warnings)
        {
            ExternalVolumes = project.Volumes.Values.Where(v => v.External && VolumeUsed(project, v.Name)).Select(v => v.Name).ToList(),
            Binds = MountPaths.Seeds(project),
        };
    }

    private static List<IKubernetesObject<V1ObjectMeta>> Sorted(IEnumerable<IKubernetesObject<V1ObjectMeta>> objects) => objects
        .OrderBy(o => KindRank(o.Kind))
        .ThenBy(o => o.Metadata.Name, StringComparer.Ordinal)
        .ToList();

    private static int KindRank(string kind)
    {
        var rank = KindOrder.ToList().IndexOf(kind);
        return rank < 0 ? KindOrder.Count : rank;
    }

    // The disk annotations are not here: see KompoxMetadata.DiskCurrentAnnotation.
    private static V1Namespace Namespace(AppScope scope, IProviderDriver driver)
    {
        var labels = scope.Labels();
        labels[KompoxMetadata.PodSecurityEnforceLabel] = KompoxMetadata.PodSecurityLevel;
        var annotations = new SortedDictionary<string, string>(StringComparer.Ordinal)
        {
            [KompoxMetadata.AppAnnotation] = scope.App.Id,
            [KompoxMetadata.ProviderAnnotation] = driver.Name,
        };
        return new V1Namespace { ApiVersion = "v1", Kind = "Namespace", Metadata = scope.ClusterMetadata(scope.Namespace, labels, annotations) };
    }

    // The whole Pod's budget; the containers' limits (ResourceBudget) add up to no more than this.
    // The DNS server that stands in for Docker's (DnsSidecar) is Kompox's, not the app's: it comes on top of the budget.
    private static V1ResourceQuota Quota(AppScope scope, ResourceBudget budget, bool dns)
    {
        var cpu = ResourceBudget.FormatCpu(budget.CpuMillis + (dns ? DnsSidecar.CpuMillis : 0));
        var memory = ResourceBudget.FormatMemory(budget.MemoryBytes + (dns ? DnsSidecar.MemoryBytes : 0));
        return new V1ResourceQuota
        {
            ApiVersion = "v1",
            Kind = "ResourceQuota",
            Metadata = scope.Metadata(scope.AppName),
            Spec = new V1ResourceQuotaSpec
            {
                Hard = new SortedDictionary<string, ResourceQuantity>(StringComparer.Ordinal)
                {
                    ["limits.cpu"] = new(cpu),
                    ["limits.memory"] = new(memory),
                    ["requests.cpu"] = new(cpu),
                    ["requests.memory"] = new(memory),
                },
            },
        };
    }

    // Other apps' namespaces are other tenants: only the app itself and the ingress controller may connect.
    private static V1NetworkPolicy NetworkPolicy(AppScope scope)
    {
        V1NetworkPolicyPeer FromNamespace(string name) => new()
        {
            NamespaceSelector = new V1LabelSelector
            {
                MatchLabels = new SortedDictionary<string, string>(StringComparer.Ordinal) { [KompoxMetadata.NamespaceNameLabel] = name },
            },
        };

        return new V1NetworkPolicy
        {
            ApiVersion = "networking.k8s.io/v1",
            Kind = "NetworkPolicy",
            Metadata = scope.Metadata(scope.AppName),
            Spec = new V1NetworkPolicySpec
            {
                PodSelector = new V1LabelSelector(),
                PolicyTypes = new List<string> { "Ingress" },
                Ingress = new List<V1NetworkPolicyIngressRule>
                {
                    new()
                    {
                        FromProperty = new List<V1NetworkPolicyPeer> { FromNamespace(scope.Namespace), FromNamespace(scope.App.Cluster.Ingress.Namespace) },
                    },
                },
            },
        };
    }

    private static V1PersistentVolume PersistentVolume(AppScope scope, V1PersistentVolumeSpec providerSpec, string name)
    {
        providerSpec.AccessModes = new List<string> { "ReadWriteOnce" };

        // Data safety first: deleting the claim (or the namespace) must never delete the disk.
        providerSpec.PersistentVolumeReclaimPolicy = "Retain";

        // Empty, not unset: an unset class would let the default StorageClass provision a new disk instead.
        providerSpec.StorageClassName = "";
        providerSpec.ClaimRef = new V1ObjectReference
        {
            ApiVersion = "v1",
            Kind = "PersistentVolumeClaim",
            NamespaceProperty = scope.Namespace,
            Name = scope.ClaimName,
        };
        var annotations = new SortedDictionary<string, string>(StringComparer.Ordinal) { [KompoxMetadata.DiskLayoutAnnotation] = MountPaths.LayoutVersion };
        return new V1PersistentVolume { ApiVersion = "v1", Kind = "PersistentVolume", Metadata = scope.ClusterMetadata(name, annotations: annotations), Spec = providerSpec };
    }

    private static V1PersistentVolumeClaim Claim(AppScope scope, string persistentVolumeName, ResourceQuantity size) => new()
    {
        ApiVersion = "v1",
        Kind = "PersistentVolumeClaim",
        Metadata = scope.Metadata(scope.ClaimName),
        Spec = new V1PersistentVolumeClaimSpec
        {
            AccessModes = new List<string> { "ReadWriteOnce" },
            StorageClassName = "",
            VolumeName = persistentVolumeName,
            VolumeMode = "Filesystem",
            Resources = new V1VolumeResourceRequirements
            {
                Requests = new SortedDictionary<string, ResourceQuantity>(StringComparer.Ordinal) { ["storage"] = new(size.ToString()) },
            },
        },
    };

    // Docker looks an external volume up only for a service that mounts it (docker/compose pkg/compose/create.go ensureVolume runs per volume of the project, which keeps only the volumes its services use).
    private static bool VolumeUsed(ComposeProject project, string name) =>
        project.Services.Any(s => s.Volumes.Any(m => m.Kind == MountKind.Volume && m.Source == name));
}
