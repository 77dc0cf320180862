using System.Reflection;
using k8s.Models;

namespace Kompox.Testing;

/// <summary>apis/core/validation ValidatePersistentVolume and ValidatePersistentVolumeClaim.</summary>
internal static class StorageRules
{
    private static readonly string[] AccessModes = ["ReadWriteOnce", "ReadOnlyMany", "ReadWriteMany", "ReadWriteOncePod"];
    private static readonly string[] ReclaimPolicies = ["Retain", "Delete", "Recycle"];
    private static readonly string[] VolumeModes = ["Block", "Filesystem"];
    private static readonly string[] NodeSelectorOperators = ["In", "NotIn", "Exists", "DoesNotExist", "Gt", "Lt"];
    private const int CsiDriverNameMaxLength = 63;

    private static readonly IReadOnlyList<PropertyInfo> PersistentVolumeSourceProperties =
        PodRules.VolumeSourcesOf(typeof(V1PersistentVolumeSpec));

    public static void ValidatePersistentVolume(FieldErrors errors, V1PersistentVolume volume)
    {
        var spec = volume.Spec;
        if (spec is null)
        {
            errors.Required("spec");
            return;
        }
        ValidateAccessModes(errors, spec.AccessModes, "spec.accessModes", "");
        ValidateCapacity(errors, spec.Capacity);

        // Retain is the default for statically created volumes.
        var reclaimPolicy = string.IsNullOrEmpty(spec.PersistentVolumeReclaimPolicy) ? "Retain" : spec.PersistentVolumeReclaimPolicy;
        if (!ReclaimPolicies.Contains(reclaimPolicy))
        {
            errors.NotSupported("spec.persistentVolumeReclaimPolicy", reclaimPolicy, ReclaimPolicies);
        }
        if (!string.IsNullOrEmpty(spec.StorageClassName))
        {
            errors.InvalidEach("spec.storageClassName", spec.StorageClassName, NameRules.Dns1123Subdomain(spec.StorageClassName));
        }
        if (!string.IsNullOrEmpty(spec.VolumeMode) && !VolumeModes.Contains(spec.VolumeMode))
        {
            errors.NotSupported("spec.volumeMode", spec.VolumeMode, VolumeModes);
        }
        ValidateClaimRef(errors, spec.ClaimRef);
        ValidateSource(errors, spec);
        if (spec.NodeAffinity is not null)
        {
            ValidateNodeAffinity(errors, spec.NodeAffinity);
        }
    }

    private static void ValidateCapacity(FieldErrors errors, IDictionary<string, ResourceQuantity>? capacity)
    {
        if (capacity is null || capacity.Count == 0)
        {
            errors.Required("spec.capacity");
            return;
        }
        if (!capacity.ContainsKey("storage") || capacity.Count > 1)
        {
            errors.NotSupported("spec.capacity", string.Join(",", capacity.Keys), ["storage"]);
        }
        foreach (var (name, value) in capacity)
        {
            ValidatePositive(errors, value, $"spec.capacity[{name}]");
        }
    }

    private static void ValidateClaimRef(FieldErrors errors, V1ObjectReference? claimRef)
    {
        if (claimRef is null)
        {
            return;
        }
        if (string.IsNullOrEmpty(claimRef.Name))
        {
            errors.Required("spec.claimRef.name");
        }
        else
        {
            errors.InvalidEach("spec.claimRef.name", claimRef.Name, NameRules.Dns1123Subdomain(claimRef.Name));
        }
        if (string.IsNullOrEmpty(claimRef.NamespaceProperty))
        {
            errors.Required("spec.claimRef.namespace");
        }
        else
        {
            errors.InvalidEach("spec.claimRef.namespace", claimRef.NamespaceProperty, NameRules.Dns1123Label(claimRef.NamespaceProperty));
        }
        if (!string.IsNullOrEmpty(claimRef.Kind) && claimRef.Kind != "PersistentVolumeClaim")
        {
            errors.NotSupported("spec.claimRef.kind", claimRef.Kind, ["PersistentVolumeClaim"]);
        }
    }

    private static void ValidateSource(FieldErrors errors, V1PersistentVolumeSpec spec)
    {
        var sources = PersistentVolumeSourceProperties.Where(property => property.GetValue(spec) is not null).ToList();
        if (sources.Count == 0)
        {
            errors.Required("spec", "must specify a volume type");
            return;
        }
        foreach (var extra in sources.Skip(1))
        {
            errors.Forbidden($"spec.{PodRules.JsonName(extra)}", "may not specify more than 1 volume type");
        }

        if (spec.Csi is { } csi)
        {
            ValidateCsiDriverName(errors, csi.Driver, "spec.csi.driver");
            if (string.IsNullOrEmpty(csi.VolumeHandle))
            {
                errors.Required("spec.csi.volumeHandle");
            }
        }
        if (spec.Local is { } local)
        {
            if (string.IsNullOrEmpty(local.Path))
            {
                errors.Required("spec.local.path");
            }
            else
            {
                if (!local.Path.StartsWith('/'))
                {
                    errors.Invalid("spec.local.path", local.Path, "must be an absolute path");
                }
                if (local.Path.Split('/').Contains(".."))
                {
                    errors.Invalid("spec.local.path", local.Path, "must not contain '..'");
                }
            }
            if (spec.NodeAffinity is null)
            {
                errors.Required("spec.nodeAffinity", "Local volume requires node affinity");
            }
        }
        if (spec.HostPath is { } hostPath)
        {
            PodRules.ValidateHostPath(errors, hostPath, "spec.hostPath");
        }
        if (spec.Nfs is { } nfs)
        {
            if (string.IsNullOrEmpty(nfs.Server))
            {
                errors.Required("spec.nfs.server");
            }
            if (string.IsNullOrEmpty(nfs.Path))
            {
                errors.Required("spec.nfs.path");
            }
            else if (!nfs.Path.StartsWith('/'))
            {
                errors.Invalid("spec.nfs.path", nfs.Path, "must be an absolute path");
            }
        }
    }

    private static void ValidateCsiDriverName(FieldErrors errors, string? driver, string path)
    {
        if (string.IsNullOrEmpty(driver))
        {
            errors.Required(path);
            return;
        }
        if (driver.Length > CsiDriverNameMaxLength)
        {
            errors.TooLong(path, CsiDriverNameMaxLength);
        }
        // CSI driver names may carry upper case; the apiserver checks their lower-cased form.
        errors.InvalidEach(path, driver, NameRules.Dns1123Subdomain(driver.ToLowerInvariant()));
    }

    private static void ValidateNodeAffinity(FieldErrors errors, V1VolumeNodeAffinity affinity)
    {
        if (affinity.Required is null)
        {
            errors.Required("spec.nodeAffinity.required", "must specify required node constraints");
            return;
        }
        var terms = affinity.Required.NodeSelectorTerms ?? [];
        if (terms.Count == 0)
        {
            errors.Required("spec.nodeAffinity.required.nodeSelectorTerms", "must have at least one node selector term");
        }
        for (var t = 0; t < terms.Count; t++)
        {
            var termPath = $"spec.nodeAffinity.required.nodeSelectorTerms[{t}]";
            var expressions = terms[t].MatchExpressions ?? [];
            for (var e = 0; e < expressions.Count; e++)
            {
                var expression = expressions[e];
                var expressionPath = $"{termPath}.matchExpressions[{e}]";
                if (string.IsNullOrEmpty(expression.Key))
                {
                    errors.Required($"{expressionPath}.key");
                }
                else
                {
                    errors.InvalidEach($"{expressionPath}.key", expression.Key, NameRules.QualifiedName(expression.Key));
                }
                var valueCount = expression.Values?.Count ?? 0;
                switch (expression.OperatorProperty)
                {
                    case "In" or "NotIn" when valueCount == 0:
                        errors.Required($"{expressionPath}.values", "must be specified when `operator` is 'In' or 'NotIn'");
                        break;
                    case "Exists" or "DoesNotExist" when valueCount > 0:
                        errors.Forbidden($"{expressionPath}.values", "may not be specified when `operator` is 'Exists' or 'DoesNotExist'");
                        break;
                    case "Gt" or "Lt" when valueCount != 1:
                        errors.Required($"{expressionPath}.values", "must be specified single value when `operator` is 'Lt' or 'Gt'");
                        break;
                    case "In" or "NotIn" or "Exists" or "DoesNotExist" or "Gt" or "Lt":
                        break;
                    default:
                        errors.NotSupported($"{expressionPath}.operator", expression.OperatorProperty, NodeSelectorOperators);
                        break;
                }
            }
        }
    }

    public static void ValidatePersistentVolumeClaim(FieldErrors errors, V1PersistentVolumeClaim claim)
    {
        var spec = claim.Spec;
        if (spec is null)
        {
            errors.Required("spec");
            return;
        }
        ValidateAccessModes(errors, spec.AccessModes, "spec.accessModes", "at least 1 access mode is required");
        MetadataRules.ValidateLabelSelector(errors, spec.Selector, "spec.selector");

        // The apiserver reports the missing request at spec.resources[storage], not under requests.
        if (spec.Resources?.Requests is not { } requests || !requests.TryGetValue("storage", out var storage))
        {
            errors.Required("spec.resources[storage]");
        }
        else
        {
            ValidatePositive(errors, storage, "spec.resources[storage]");
        }
        if (!string.IsNullOrEmpty(spec.VolumeName))
        {
            errors.InvalidEach("spec.volumeName", spec.VolumeName, NameRules.Dns1123Subdomain(spec.VolumeName));
        }
        if (!string.IsNullOrEmpty(spec.StorageClassName))
        {
            errors.InvalidEach("spec.storageClassName", spec.StorageClassName, NameRules.Dns1123Subdomain(spec.StorageClassName));
        }
        if (!string.IsNullOrEmpty(spec.VolumeMode) && !VolumeModes.Contains(spec.VolumeMode))
        {
            errors.NotSupported("spec.volumeMode", spec.VolumeMode, VolumeModes);
        }
    }

    private static void ValidateAccessModes(FieldErrors errors, IList<string>? modes, string path, string requiredDetail)
    {
        if (modes is null || modes.Count == 0)
        {
            errors.Required(path, requiredDetail);
            return;
        }
        foreach (var mode in modes.Where(mode => !AccessModes.Contains(mode)))
        {
            errors.NotSupported(path, mode, AccessModes);
        }
        if (modes.Contains("ReadWriteOncePod") && modes.Count > 1)
        {
            errors.Forbidden(path, "may not use ReadWriteOncePod with other access modes");
        }
    }

    private static void ValidatePositive(FieldErrors errors, ResourceQuantity value, string path)
    {
        var quantity = ResourceRules.ValidateQuantity(errors, value, path);
        if (quantity is { Sign: 0 })
        {
            errors.Invalid(path, value.ToString(), "must be greater than zero");
        }
    }
}
