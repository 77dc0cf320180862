using k8s.Models;

namespace Kompox.Testing;

/// <summary>Resource names and quantities in container resources, PV capacity, PVC requests and quota.</summary>
internal static class ResourceRules
{
    private static readonly HashSet<string> StandardContainerResources = new(StringComparer.Ordinal)
    {
        "cpu", "memory", "ephemeral-storage",
    };

    private static readonly HashSet<string> StandardQuotaResources = new(StringComparer.Ordinal)
    {
        "pods", "services", "replicationcontrollers", "resourcequotas", "secrets", "configmaps",
        "persistentvolumeclaims", "services.nodeports", "services.loadbalancers",
        "cpu", "memory", "ephemeral-storage",
        "requests.cpu", "requests.memory", "requests.storage", "requests.ephemeral-storage",
        "limits.cpu", "limits.memory", "limits.ephemeral-storage",
    };

    // Object counts cannot be fractional; the apiserver checks these names for whole numbers.
    private static readonly HashSet<string> IntegerQuotaResources = new(StringComparer.Ordinal)
    {
        "pods", "services", "replicationcontrollers", "resourcequotas", "secrets", "configmaps",
        "persistentvolumeclaims", "services.nodeports", "services.loadbalancers",
    };

    /// <summary>
    /// Checks that a quantity is well-formed and not negative, and returns it for further comparison.
    /// The model keeps quantities parsed, so its canonical text (what gets serialized to the cluster) is checked.
    /// </summary>
    public static Quantity? ValidateQuantity(FieldErrors errors, ResourceQuantity? value, string path)
    {
        if (value is null)
        {
            errors.Required(path);
            return null;
        }
        string text;
        try
        {
            text = value.ToString();
        }
        catch (Exception exception) when (exception is ArgumentException or FormatException or OverflowException)
        {
            errors.Invalid(path, "", $"quantities must match the regular expression: {exception.Message}");
            return null;
        }
        if (!Quantity.TryParse(text, out var quantity))
        {
            errors.Invalid(path, text, "quantities " + Quantity.SyntaxMessage);
            return null;
        }
        if (quantity.Sign < 0)
        {
            errors.Invalid(path, text, "must be greater than or equal to 0");
        }
        return quantity;
    }

    public static void ValidateContainerResources(FieldErrors errors, V1ResourceRequirements? resources, string path)
    {
        if (resources is null)
        {
            return;
        }
        var limits = new Dictionary<string, (Quantity Value, string Text)>(StringComparer.Ordinal);
        if (resources.Limits is not null)
        {
            foreach (var (name, value) in resources.Limits)
            {
                var entryPath = $"{path}.limits[{name}]";
                ValidateContainerResourceName(errors, name, entryPath);
                var quantity = ValidateQuantity(errors, value, entryPath);
                if (quantity is not null)
                {
                    limits[name] = (quantity, value.ToString());
                }
            }
        }
        if (resources.Requests is null)
        {
            return;
        }
        foreach (var (name, value) in resources.Requests)
        {
            var entryPath = $"{path}.requests[{name}]";
            ValidateContainerResourceName(errors, name, entryPath);
            var quantity = ValidateQuantity(errors, value, entryPath);
            if (quantity is not null && limits.TryGetValue(name, out var limit) && quantity.CompareTo(limit.Value) > 0)
            {
                errors.Invalid(entryPath, value.ToString(), $"must be less than or equal to {name} limit of {limit.Text}");
            }
        }
    }

    public static void ValidateQuotaHard(FieldErrors errors, IDictionary<string, ResourceQuantity>? hard, string path)
    {
        if (hard is null)
        {
            return;
        }
        foreach (var (name, value) in hard)
        {
            var entryPath = $"{path}[{name}]";
            if (!ValidateQualifiedResourceName(errors, name, entryPath))
            {
                continue;
            }
            if (!name.Contains('/', StringComparison.Ordinal) && !IsStandardQuotaResource(name))
            {
                errors.Invalid(entryPath, name, "must be a standard resource for quota");
            }
            var quantity = ValidateQuantity(errors, value, entryPath);
            if (quantity is not null && IsIntegerQuotaResource(name) && !quantity.IsInteger)
            {
                errors.Invalid(entryPath, value.ToString(), "must be an integer");
            }
        }
    }

    private static void ValidateContainerResourceName(FieldErrors errors, string name, string path)
    {
        if (!ValidateQualifiedResourceName(errors, name, path))
        {
            return;
        }
        if (!name.Contains('/', StringComparison.Ordinal)
            && !StandardContainerResources.Contains(name)
            && !name.StartsWith("hugepages-", StringComparison.Ordinal))
        {
            errors.Invalid(path, name, "must be a standard resource for containers");
        }
    }

    private static bool ValidateQualifiedResourceName(FieldErrors errors, string name, string path)
    {
        var problems = NameRules.QualifiedName(name);
        errors.InvalidEach(path, name, problems);
        return problems.Count == 0;
    }

    private static bool IsStandardQuotaResource(string name) =>
        StandardQuotaResources.Contains(name)
        || name.StartsWith("hugepages-", StringComparison.Ordinal)
        || name.StartsWith("requests.hugepages-", StringComparison.Ordinal)
        || name.StartsWith("limits.hugepages-", StringComparison.Ordinal);

    private static bool IsIntegerQuotaResource(string name) =>
        IntegerQuotaResources.Contains(name) || name.StartsWith("count/", StringComparison.Ordinal);
}
