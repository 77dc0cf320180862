using System.Reflection;
using System.Text.RegularExpressions;
using k8s;
using k8s.Models;
using YamlDotNet.RepresentationModel;

namespace Kompox.Testing;

/// <summary>
/// Rejects the manifests a real kube-apiserver would reject, so that tests (and the fake API server
/// built on this) fail where a cluster would. The rules follow apis/core, apps, networking and rbac
/// validation, with the apiserver's defaulting applied first (an unset protocol is TCP, and so on).
/// </summary>
public static partial class ManifestValidator
{
    private sealed record KindRule(bool Namespaced, Func<string, IReadOnlyList<string>> NameRule, Action<FieldErrors, object> ValidateBody);

    private static readonly Dictionary<Type, KindRule> KindRules = new()
    {
        [typeof(V1Namespace)] = new(false, NameRules.Dns1123Label, (_, _) => { }),
        [typeof(V1Deployment)] = new(true, NameRules.Dns1123Subdomain, (errors, o) => DeploymentRules.Validate(errors, (V1Deployment)o)),
        [typeof(V1PersistentVolume)] = new(false, NameRules.Dns1123Subdomain, (errors, o) => StorageRules.ValidatePersistentVolume(errors, (V1PersistentVolume)o)),
        [typeof(V1PersistentVolumeClaim)] = new(true, NameRules.Dns1123Subdomain, (errors, o) => StorageRules.ValidatePersistentVolumeClaim(errors, (V1PersistentVolumeClaim)o)),
        [typeof(V1Service)] = new(true, NameRules.Dns1035Label, (errors, o) => ServiceRules.Validate(errors, (V1Service)o)),
        [typeof(V1Ingress)] = new(true, NameRules.Dns1123Subdomain, (errors, o) => IngressRules.Validate(errors, (V1Ingress)o)),
        [typeof(V1ConfigMap)] = new(true, NameRules.Dns1123Subdomain, (errors, o) => ConfigRules.ValidateConfigMap(errors, (V1ConfigMap)o)),
        [typeof(V1Secret)] = new(true, NameRules.Dns1123Subdomain, (errors, o) => ConfigRules.ValidateSecret(errors, (V1Secret)o)),
        [typeof(V1NetworkPolicy)] = new(true, NameRules.Dns1123Subdomain, (errors, o) => NetworkPolicyRules.Validate(errors, (V1NetworkPolicy)o)),
        [typeof(V1ResourceQuota)] = new(true, NameRules.Dns1123Subdomain, (errors, o) => ValidateResourceQuota(errors, (V1ResourceQuota)o)),
        [typeof(V1ServiceAccount)] = new(true, NameRules.Dns1123Subdomain, (_, _) => { }),
        [typeof(V1Role)] = new(true, NameRules.PathSegmentName, (errors, o) => RbacRules.ValidateRole(errors, (V1Role)o)),
        [typeof(V1RoleBinding)] = new(true, NameRules.PathSegmentName, (errors, o) => RbacRules.ValidateRoleBinding(errors, (V1RoleBinding)o)),
        [typeof(V1ClusterRole)] = new(false, NameRules.PathSegmentName, (errors, o) => RbacRules.ValidateClusterRole(errors, (V1ClusterRole)o)),
        [typeof(V1ClusterRoleBinding)] = new(false, NameRules.PathSegmentName, (errors, o) => RbacRules.ValidateClusterRoleBinding(errors, (V1ClusterRoleBinding)o)),
        [typeof(V1IngressClass)] = new(false, NameRules.Dns1123Subdomain, (errors, o) => ValidateIngressClass(errors, (V1IngressClass)o)),
        [typeof(V1Lease)] = new(true, NameRules.Dns1123Subdomain, (errors, o) => ValidateLease(errors, (V1Lease)o)),
        [typeof(V1Pod)] = new(true, NameRules.Dns1123Subdomain, (errors, o) => ValidatePod(errors, (V1Pod)o)),
    };

    /// <summary>networking/validation ValidateIngressClass: the controller is a required, domain-prefixed path of at most 250 characters.</summary>
    private static void ValidateIngressClass(FieldErrors errors, V1IngressClass ingressClass)
    {
        var controller = ingressClass.Spec?.Controller;
        if (string.IsNullOrEmpty(controller))
        {
            errors.Required("spec.controller");
            return;
        }
        if (controller.Length > 250)
        {
            errors.TooLong("spec.controller", 250);
        }
        var slash = controller.IndexOf('/', StringComparison.Ordinal);
        if (slash <= 0 || slash == controller.Length - 1)
        {
            errors.Invalid("spec.controller", controller, "must be a domain-prefixed path (such as \"acme.io/foo\")");
        }
        else
        {
            errors.InvalidEach("spec.controller", controller, NameRules.Dns1123Subdomain(controller[..slash]));
        }
    }

    /// <summary>coordination/validation ValidateLease: durations and transitions are not negative, and a duration is positive.</summary>
    private static void ValidateLease(FieldErrors errors, V1Lease lease)
    {
        if (lease.Spec?.LeaseDurationSeconds is <= 0)
        {
            errors.Invalid("spec.leaseDurationSeconds", lease.Spec.LeaseDurationSeconds, "must be greater than 0");
        }
        if (lease.Spec?.LeaseTransitions is < 0)
        {
            errors.Invalid("spec.leaseTransitions", lease.Spec.LeaseTransitions, "must be greater than or equal to 0");
        }
    }

    private static void ValidatePod(FieldErrors errors, V1Pod pod) => PodRules.ValidatePod(errors, pod);

    /// <summary>Validates every object and returns all problems found (empty when the set would be accepted).</summary>
    public static IReadOnlyList<ManifestError> Validate(IEnumerable<IKubernetesObject<V1ObjectMeta>> objects)
    {
        ArgumentNullException.ThrowIfNull(objects);
        var errors = new List<ManifestError>();
        var identities = new HashSet<string>(StringComparer.Ordinal);
        foreach (var item in objects)
        {
            ValidateObject(item, errors, identities);
        }
        return errors;
    }

    /// <summary>Throws with every error listed when any object would be rejected.</summary>
    public static void AssertValid(IEnumerable<IKubernetesObject<V1ObjectMeta>> objects)
    {
        var errors = Validate(objects);
        if (errors.Count > 0)
        {
            throw new ManifestValidationException(errors);
        }
    }

    /// <summary>
    /// Validates multi-document YAML as `kubectl apply -f` reads it. A document that cannot be loaded
    /// (bad YAML, unknown apiVersion/kind, malformed quantity) is reported as an error of kind "YAML".
    /// Each document is also checked as written, before the typed loader drops what it does not know:
    /// fields no schema declares and scalars kubectl types differently from the field are errors.
    /// </summary>
    public static IReadOnlyList<ManifestError> ValidateYaml(string yaml)
    {
        ArgumentNullException.ThrowIfNull(yaml);
        var errors = new List<ManifestError>();
        var identities = new HashSet<string>(StringComparer.Ordinal);
        var documents = DocumentSeparatorRegex().Split(yaml);
        for (var index = 0; index < documents.Length; index++)
        {
            var document = documents[index];
            if (IsEmptyDocument(document))
            {
                continue;
            }
            object loaded;
            YamlNode raw;
            try
            {
                loaded = KubernetesYaml.LoadAllFromString(document).Single();
                var stream = new YamlStream();
                stream.Load(new StringReader(document));
                raw = stream.Documents.Single().RootNode;
            }
            catch (Exception exception)
            {
                // The loaders fail with many exception types (YAML syntax, unknown kind, bad quantity); each is a rejected document.
                errors.Add(new ManifestError("YAML", $"document[{index}]", "", $"cannot be loaded: {InnermostMessage(exception)}"));
                continue;
            }
            if (loaded is IKubernetesObject<V1ObjectMeta> kubernetesObject)
            {
                SchemaRules.Validate(new FieldErrors(KindOf(kubernetesObject), kubernetesObject.Metadata?.Name ?? "", errors), raw, loaded.GetType());
                ValidateObject(kubernetesObject, errors, identities);
            }
            else
            {
                errors.Add(new ManifestError("YAML", $"document[{index}]", "", $"{loaded.GetType().Name} is not an object with metadata"));
            }
        }
        return errors;
    }

    private static void ValidateObject(IKubernetesObject<V1ObjectMeta>? item, List<ManifestError> sink, HashSet<string> identities)
    {
        if (item is null)
        {
            sink.Add(new ManifestError("", "", "", "Required value: object is null"));
            return;
        }
        var type = item.GetType();
        var (expectedApiVersion, expectedKind) = ExpectedTypeMeta(type);
        var kind = KindOf(item);
        var name = item.Metadata?.Name ?? "";
        var errors = new FieldErrors(kind, name, sink);

        ValidateTypeMeta(errors, item, expectedApiVersion, expectedKind);
        if (KindRules.TryGetValue(type, out var rule))
        {
            MetadataRules.ValidateObjectMeta(errors, item.Metadata, rule.Namespaced, rule.NameRule);
            rule.ValidateBody(errors, item);
        }
        else
        {
            // Kinds without their own rules still get the metadata checks every kind shares; their scope is unknown here.
            ValidateSharedMetadata(errors, item.Metadata);
        }

        if (name.Length > 0)
        {
            var identity = $"{item.ApiVersion}/{kind}/{item.Metadata?.NamespaceProperty}/{name}";
            if (!identities.Add(identity))
            {
                errors.Duplicate("metadata.name", name);
            }
        }
    }

    private static string KindOf(IKubernetesObject item) =>
        string.IsNullOrEmpty(item.Kind) ? ExpectedTypeMeta(item.GetType()).Kind ?? item.GetType().Name : item.Kind;

    private static void ValidateTypeMeta(FieldErrors errors, IKubernetesObject item, string? expectedApiVersion, string? expectedKind)
    {
        if (string.IsNullOrEmpty(item.ApiVersion))
        {
            errors.Required("apiVersion");
        }
        else if (expectedApiVersion is not null && item.ApiVersion != expectedApiVersion)
        {
            errors.NotSupported("apiVersion", item.ApiVersion, [expectedApiVersion]);
        }
        if (string.IsNullOrEmpty(item.Kind))
        {
            errors.Required("kind");
        }
        else if (expectedKind is not null && item.Kind != expectedKind)
        {
            errors.NotSupported("kind", item.Kind, [expectedKind]);
        }
    }

    private static void ValidateSharedMetadata(FieldErrors errors, V1ObjectMeta? metadata)
    {
        if (string.IsNullOrEmpty(metadata?.Name))
        {
            errors.Required("metadata.name", "name or generateName is required");
            return;
        }
        errors.InvalidEach("metadata.name", metadata.Name, NameRules.Dns1123Subdomain(metadata.Name));
        MetadataRules.ValidateLabels(errors, metadata.Labels, "metadata.labels");
        MetadataRules.ValidateAnnotations(errors, metadata.Annotations, "metadata.annotations");
    }

    private static void ValidateResourceQuota(FieldErrors errors, V1ResourceQuota quota)
    {
        if (quota.Spec is null)
        {
            return;
        }
        ResourceRules.ValidateQuotaHard(errors, quota.Spec.Hard, "spec.hard");
        string[] scopes = ["Terminating", "NotTerminating", "BestEffort", "NotBestEffort", "PriorityClass", "CrossNamespacePodAffinity", "VolumeAttributesClass"];
        var quotaScopes = quota.Spec.Scopes ?? [];
        for (var i = 0; i < quotaScopes.Count; i++)
        {
            if (!scopes.Contains(quotaScopes[i]))
            {
                errors.NotSupported($"spec.scopes[{i}]", quotaScopes[i], scopes);
            }
        }
    }

    /// <summary>The apiVersion and kind the model type stands for, from the constants the generated models carry.</summary>
    private static (string? ApiVersion, string? Kind) ExpectedTypeMeta(Type type)
    {
        var version = ConstantOf(type, "KubeApiVersion");
        var kind = ConstantOf(type, "KubeKind");
        if (version is null || kind is null)
        {
            return (null, null);
        }
        var group = ConstantOf(type, "KubeGroup");
        return (string.IsNullOrEmpty(group) ? version : $"{group}/{version}", kind);
    }

    private static string? ConstantOf(Type type, string name) =>
        type.GetField(name, BindingFlags.Public | BindingFlags.Static)?.GetRawConstantValue() as string;

    private static bool IsEmptyDocument(string document) =>
        document.Split('\n').All(line => line.Trim().Length == 0 || line.TrimStart().StartsWith('#') || line.Trim() == "...");

    private static string InnermostMessage(Exception exception)
    {
        var messages = new List<string>();
        for (var current = exception; current is not null; current = current.InnerException)
        {
            messages.Add(current.Message);
        }
        return string.Join(" -> ", messages.Distinct());
    }

    // "---" at the start of a line, followed by a blank or the line end, starts a new YAML document;
    // whatever follows it on that line belongs to the new document.
    [GeneratedRegex(@"^---(?=[ \t]|\r?$)", RegexOptions.Multiline)]
    private static partial Regex DocumentSeparatorRegex();
}
