using System.Globalization;
using System.Text.RegularExpressions;
using k8s.Models;
using Kompox.Model;

namespace Kompox.Drivers;

/// <summary>Azure Kubernetes Service with Azure managed disks.</summary>
public sealed partial class AksDriver : IProviderDriver
{
    public const string DefaultDiskType = "Standard_LRS";
    public const int DefaultDiskSizeGiB = 32;

    private static readonly string[] DiskTypes =
    {
        "Premium_LRS", "Premium_ZRS", "PremiumV2_LRS", "StandardSSD_LRS", "StandardSSD_ZRS", "Standard_LRS", "UltraSSD_LRS",
    };

    // The values Azure.Identity's DefaultAzureCredential accepts for AZURE_TOKEN_CREDENTIALS.
    private static readonly string[] TokenCredentials =
    {
        "dev", "prod", "AzureCliCredential", "AzureDeveloperCliCredential", "AzurePowerShellCredential",
        "EnvironmentCredential", "ManagedIdentityCredential", "VisualStudioCredential", "WorkloadIdentityCredential",
    };

    public string Name => "aks";

    public IReadOnlyList<SettingSpec> Settings { get; } = new SettingSpec[]
    {
        new("AZURE_SUBSCRIPTION_ID", SettingScope.Provider, true, "Azure subscription holding the cluster and disks", Guid),
        new("AZURE_TENANT_ID", SettingScope.Provider, false, "Entra ID tenant to sign in to", Guid),
        new("AZURE_LOCATION", SettingScope.Provider, true, "Azure region for disks and snapshots, e.g. japaneast", Location),
        new("AZURE_TOKEN_CREDENTIALS", SettingScope.Provider, false, "which credentials DefaultAzureCredential tries (dev, prod or one credential name)", TokenCredential),
        new(AzureConnector.EndpointSetting, SettingScope.Provider, false, "Azure Resource Manager endpoint of the provider's cloud: https://management.chinacloudapi.cn/ (Azure China), https://management.usgovcloudapi.net/ (Azure US Government), or an Azure Stack Hub's (default: https://management.azure.com/)", HttpsUrl),
        new(AzureConnector.AuthorityHostSetting, SettingScope.Provider, false, "Entra ID authority the credentials sign in at (default: the known cloud's for the endpoint, else the AZURE_AUTHORITY_HOST environment variable, else https://login.microsoftonline.com/)", HttpsUrl),
        new(AzureConnector.CaSetting, SettingScope.Provider, false, "CA certificates trusted besides the system's for Azure's TLS endpoints (Resource Manager, sign-in, disk downloads), in base64 of PEM as a kubeconfig's certificate-authority-data: an Azure Stack Hub's own CA or a TLS-inspecting proxy's", ApiServerSettings.CheckCa),
        new("AZURE_RESOURCE_GROUP_NAME", SettingScope.Cluster, true, "resource group of the AKS cluster", ResourceGroup),
        new("AZURE_AKS_CLUSTER_NAME", SettingScope.Cluster, false, "name of the AKS cluster resource (default: the cluster's name)", AksClusterName),
        new(Conversion.ClusterIngressManifest.DefaultCertSecretSetting, SettingScope.Cluster, false, "TLS Secret in the ingress namespace holding the wildcard certificate of *.{cluster}.{domain}, served by default", Names.CheckDnsSubdomain),
        new(SeedImageSetting, SettingScope.Cluster, false, $"image of the Pod that copies an app's bound directories onto its disk; it must have GNU tar and sleep (default {DefaultSeedImage})", SeedImageCheck),
        new("AZURE_RESOURCE_GROUP_NAME", SettingScope.App, true, "resource group holding the app's disks and snapshots", ResourceGroup),
        new("AZURE_LOCATION", SettingScope.App, false, "region of the app's disks when it differs from the provider's", Location),
        new("AZURE_DISK_SIZE", SettingScope.App, false, $"size of a new disk in GiB (default {DefaultDiskSizeGiB})", DiskSize),
        new("AZURE_DISK_TYPE", SettingScope.App, false, $"managed disk SKU (default {DefaultDiskType})", DiskType),
        new(AccessUsersSetting, SettingScope.App, false, "Entra ID users (user principal names, e.g. ann@contoso.com) and service principals or managed identities (object ids), comma-separated, given the app's access Role", AccessUsers),
        new(AccessGroupsSetting, SettingScope.App, false, "Entra ID groups (object ids), comma-separated, given the app's access Role", AccessGroups),
    }.Concat(ApiServerSettings.Specs).Concat(RuntimeClassSettings.Specs).Concat(SnapshotPolicySettings.Specs).ToList();

    /// <summary>Cluster setting: the seed Pod's image (<see cref="AksRuntime.SeedImage"/>).</summary>
    public const string SeedImageSetting = "KOMPOX_SEED_IMAGE";

    /// <summary>Debian 12's GNU tar 1.34 reads the disk archive's format (pax, GNU sparse 1.0, SCHILY.xattr), which busybox tar does not all.</summary>
    public const string DefaultSeedImage = "debian:12.12-slim";

    private static string? SeedImageCheck(string value) =>
        value.Length == 0 || value.Any(char.IsWhiteSpace) ? "an image reference (registry/name:tag or name@sha256:digest) without spaces" : null;

    /// <summary>App setting: Entra ID users and service principals bound to the app's access Role.</summary>
    public const string AccessUsersSetting = "AZURE_ACCESS_USERS";

    /// <summary>App setting: Entra ID groups bound to the app's access Role.</summary>
    public const string AccessGroupsSetting = "AZURE_ACCESS_GROUPS";

    /// <summary>The application id of the AKS-managed Entra ID server application, the audience of every AKS user token.</summary>
    public const string AksServerId = "6dae42f8-4368-4678-94ff-3960e28e3630";

    /// <summary>The AKS AAD client, the public client kubelogin signs users in with (devicecode, interactive), as
    /// <c>az aks get-credentials</c> writes it (Azure/kubelogin docs/book/src/concepts/aks.md).</summary>
    public const string AksClientId = "80faf920-1908-4b52-b5ef-a8e7bedfc67a";

    public bool SupportsKubelogin => true;

    /// <summary>
    /// AKS with Entra ID authenticates a user as its user principal name and a service principal or managed identity as
    /// its object id, and puts the object ids of the caller's groups in its groups; RoleBindings name them so.
    /// </summary>
    public IReadOnlyList<Rbacv1Subject> AccessSubjects(KompoxApp app)
    {
        var subjects = new List<Rbacv1Subject>();
        foreach (var (setting, kind, check) in new (string, string, Func<string, string?>)[] { (AccessUsersSetting, "User", AccessUsers), (AccessGroupsSetting, "Group", AccessGroups) })
        {
            if (!app.Settings.TryGetValue(setting, out var text))
            {
                continue;
            }

            if (check(text) is { } problem)
            {
                throw new KompoxException("InvalidSetting", ErrorKind.InvalidArgument, $"app.settings.{setting}: {problem}") { Target = setting };
            }

            subjects.AddRange(ListItems(text).Distinct(StringComparer.OrdinalIgnoreCase).Select(name => new Rbacv1Subject { Kind = kind, ApiGroup = "rbac.authorization.k8s.io", Name = name }));
        }

        return subjects;
    }

    public const string DiskCsiDriver = "disk.csi.azure.com";

    public V1PersistentVolumeSpec DiskVolume(KompoxApp app, string diskId, string? knownNodeName, long? sizeBytes = null)
    {
        if (!DiskIdPattern().IsMatch(diskId))
        {
            throw new KompoxException(
                "InvalidDiskId",
                ErrorKind.InvalidArgument,
                $"'{diskId}' is not an Azure managed disk resource id (/subscriptions/<id>/resourceGroups/<group>/providers/Microsoft.Compute/disks/<name>)")
            {
                Target = diskId,
            };
        }

        var csi = new V1CSIPersistentVolumeSource { Driver = DiskCsiDriver, VolumeHandle = diskId, FsType = "ext4" };
        if (IsZonalOnly(DiskTypeOf(app)))
        {
            // azuredisk-csi-driver docs/driver-parameters.md: a static PV's volumeAttributes.cachingMode defaults to
            // ReadOnly; its README: "PremiumV2_LRS only supports None caching mode", as Ultra disks (Azure disks-types).
            csi.VolumeAttributes = new Dictionary<string, string> { ["cachingMode"] = "None" };
        }

        return new V1PersistentVolumeSpec
        {
            Capacity = new Dictionary<string, ResourceQuantity> { ["storage"] = new(sizeBytes is { } size ? DiskInfo.Quantity(size) : $"{DiskSizeGiB(app)}Gi") },
            Csi = csi,
            VolumeMode = "Filesystem",
        };
    }

    /// <summary>
    /// A zonal disk's volume is pinned to its zone, as the CSI driver pins the volumes it provisions: the nodes carry
    /// <c>topology.disk.csi.azure.com/zone</c> = <c>&lt;region&gt;-&lt;zone&gt;</c>, e.g. eastus2-1 (azuredisk-csi-driver
    /// docs/topology.md), and a zonal disk attaches only to a VM in its zone.
    /// </summary>
    public V1PersistentVolumeSpec DiskVolume(KompoxApp app, DiskInfo disk, string? knownNodeName)
    {
        var spec = DiskVolume(app, disk.Id, knownNodeName, disk.SizeBytes);
        if (disk.Zone is { } zone)
        {
            spec.NodeAffinity = new V1VolumeNodeAffinity
            {
                Required = new V1NodeSelector
                {
                    NodeSelectorTerms = [new V1NodeSelectorTerm { MatchExpressions = [new V1NodeSelectorRequirement { Key = ZoneLabel, OperatorProperty = "In", Values = [zone] }] }],
                },
            };
        }

        return spec;
    }

    /// <summary>The node label the Azure disk CSI driver reports its zone under.</summary>
    public const string ZoneLabel = "topology.disk.csi.azure.com/zone";

    /// <summary>Premium SSD v2 and Ultra disks exist only in an availability zone.</summary>
    internal static bool IsZonalOnly(string sku) => sku is "PremiumV2_LRS" or "UltraSSD_LRS";

    internal static int DiskSizeGiB(KompoxApp app)
    {
        if (!app.Settings.TryGetValue("AZURE_DISK_SIZE", out var text))
        {
            return DefaultDiskSizeGiB;
        }

        if (DiskSize(text) is { } problem)
        {
            throw new KompoxException("InvalidSetting", ErrorKind.InvalidArgument, $"app.settings.AZURE_DISK_SIZE: {problem}") { Target = "AZURE_DISK_SIZE" };
        }

        return int.Parse(text, NumberStyles.None, CultureInfo.InvariantCulture);
    }

    /// <summary>The app's managed disk SKU: <c>AZURE_DISK_TYPE</c>, else <see cref="DefaultDiskType"/>.</summary>
    internal static string DiskTypeOf(KompoxApp app)
    {
        var type = app.Settings.GetValueOrDefault("AZURE_DISK_TYPE") ?? DefaultDiskType;
        return DiskType(type) is { } problem
            ? throw new KompoxException("InvalidSetting", ErrorKind.InvalidArgument, $"app.settings.AZURE_DISK_TYPE: {problem}") { Target = "AZURE_DISK_TYPE" }
            : type;
    }

    [GeneratedRegex("^/subscriptions/[^/]+/resourceGroups/[^/]+/providers/Microsoft\\.Compute/disks/[^/]+$", RegexOptions.IgnoreCase)]
    private static partial Regex DiskIdPattern();

    [GeneratedRegex("^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")]
    private static partial Regex GuidPattern();

    [GeneratedRegex("^[a-z][a-z0-9]*$")]
    private static partial Regex LocationPattern();

    [GeneratedRegex(@"^[-\w._()]{1,90}$")]
    private static partial Regex ResourceGroupPattern();

    // Azure's naming rules for Microsoft.ContainerService/managedClusters: 1-63 letters, digits, '_' and '-', beginning
    // and ending with a letter or digit.
    [GeneratedRegex("^[a-zA-Z0-9](?:[a-zA-Z0-9_-]{0,61}[a-zA-Z0-9])?$")]
    private static partial Regex AksClusterNamePattern();

    private static string? AksClusterName(string value) =>
        AksClusterNamePattern().IsMatch(value) ? null : $"'{value}' is not an AKS cluster name (1-63 letters, digits, '_' or '-', beginning and ending with a letter or digit)";

    private static string? HttpsUrl(string value) =>
        Uri.TryCreate(value, UriKind.Absolute, out var uri) && uri.Scheme == Uri.UriSchemeHttps && uri.Host.Length > 0 && uri.Query.Length == 0 && uri.Fragment.Length == 0 && uri.UserInfo.Length == 0
            ? null
            : $"'{value}' is not an https URL (https://host[:port]/[path], no query or user)";

    private static string? Guid(string value) =>
        GuidPattern().IsMatch(value) ? null : $"'{value}' is not a GUID (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)";

    private static string? Location(string value) =>
        LocationPattern().IsMatch(value) ? null : $"'{value}' is not an Azure region name (lowercase, no spaces, e.g. japaneast)";

    private static string? ResourceGroup(string value) =>
        ResourceGroupPattern().IsMatch(value) && !value.EndsWith('.')
            ? null
            : $"'{value}' is not a resource group name (1-90 letters, digits, '-', '_', '.', '(' or ')', not ending in '.')";

    private static string? DiskSize(string value) =>
        int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var gib) && gib is >= 1 and <= 32767
            ? null
            : $"'{value}' is not a disk size: a whole number of GiB from 1 to 32767";

    private static string? DiskType(string value) =>
        DiskTypes.Contains(value, StringComparer.Ordinal) ? null : $"'{value}' is not a managed disk type; use one of {string.Join(", ", DiskTypes)}";

    private static IEnumerable<string> ListItems(string value) =>
        value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    private static string? AccessUsers(string value)
    {
        var items = ListItems(value).ToList();
        if (items.Count == 0)
        {
            return "names no principal: give user principal names or object ids, comma-separated";
        }

        var bad = items.FirstOrDefault(i => !GuidPattern().IsMatch(i) && !UserPrincipalNamePattern().IsMatch(i));
        return bad is null ? null : $"'{bad}' is neither a user principal name (name@domain) nor an object id (a GUID)";
    }

    private static string? AccessGroups(string value)
    {
        var items = ListItems(value).ToList();
        if (items.Count == 0)
        {
            return "names no group: give group object ids, comma-separated";
        }

        var bad = items.FirstOrDefault(i => !GuidPattern().IsMatch(i));
        return bad is null ? null : $"'{bad}' is not a group object id (a GUID); Entra ID group names are not unique, so RoleBindings name groups by object id";
    }

    [GeneratedRegex(@"^[^@\s,]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}$")]
    private static partial Regex UserPrincipalNamePattern();

    private static string? TokenCredential(string value) =>
        TokenCredentials.Contains(value, StringComparer.OrdinalIgnoreCase) ? null : $"'{value}' is not understood by DefaultAzureCredential; use one of {string.Join(", ", TokenCredentials)}";
}
