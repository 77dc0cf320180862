using k8s.Models;

namespace Kompox.Testing;

/// <summary>ObjectMeta, labels, annotations and label selectors (apimachinery's ValidateObjectMeta and friends).</summary>
internal static class MetadataRules
{
    public const int TotalAnnotationSizeLimitBytes = 256 * 1024;

    private static readonly string[] LabelSelectorOperators = ["In", "NotIn", "Exists", "DoesNotExist"];

    public static void ValidateObjectMeta(
        FieldErrors errors,
        V1ObjectMeta? metadata,
        bool namespaced,
        Func<string, IReadOnlyList<string>> nameRule,
        string path = "metadata")
    {
        if (metadata is null)
        {
            errors.Required($"{path}.name", "name or generateName is required");
            if (namespaced)
            {
                errors.Required($"{path}.namespace");
            }
            return;
        }

        if (string.IsNullOrEmpty(metadata.Name))
        {
            // generateName is not accepted here: tests compare manifests by name, and apply needs one.
            errors.Required($"{path}.name", "name or generateName is required");
        }
        else
        {
            errors.InvalidEach($"{path}.name", metadata.Name, nameRule(metadata.Name));
        }

        if (namespaced)
        {
            if (string.IsNullOrEmpty(metadata.NamespaceProperty))
            {
                errors.Required($"{path}.namespace");
            }
            else
            {
                errors.InvalidEach($"{path}.namespace", metadata.NamespaceProperty, NameRules.Dns1123Label(metadata.NamespaceProperty));
            }
        }
        else if (!string.IsNullOrEmpty(metadata.NamespaceProperty))
        {
            errors.Forbidden($"{path}.namespace", "not allowed on this type");
        }

        ValidateLabels(errors, metadata.Labels, $"{path}.labels");
        ValidateAnnotations(errors, metadata.Annotations, $"{path}.annotations");
    }

    /// <summary>Labels of a pod template: no name or namespace of their own, but the same label and annotation rules.</summary>
    public static void ValidateTemplateMeta(FieldErrors errors, V1ObjectMeta? metadata, string path)
    {
        if (metadata is null)
        {
            return;
        }
        ValidateLabels(errors, metadata.Labels, $"{path}.labels");
        ValidateAnnotations(errors, metadata.Annotations, $"{path}.annotations");
    }

    public static void ValidateLabels(FieldErrors errors, IDictionary<string, string>? labels, string path)
    {
        if (labels is null)
        {
            return;
        }
        foreach (var (key, value) in labels)
        {
            errors.InvalidEach(path, key, NameRules.QualifiedName(key));
            errors.InvalidEach(path, value, NameRules.LabelValue(value ?? ""));
        }
    }

    public static void ValidateAnnotations(FieldErrors errors, IDictionary<string, string>? annotations, string path)
    {
        if (annotations is null)
        {
            return;
        }
        long totalSize = 0;
        foreach (var (key, value) in annotations)
        {
            // The apiserver lower-cases annotation keys before checking them, so upper case is accepted.
            errors.InvalidEach(path, key, NameRules.QualifiedName(key.ToLowerInvariant()));
            totalSize += System.Text.Encoding.UTF8.GetByteCount(key) + System.Text.Encoding.UTF8.GetByteCount(value ?? "");
        }
        if (totalSize > TotalAnnotationSizeLimitBytes)
        {
            errors.TooLong(path, TotalAnnotationSizeLimitBytes);
        }
    }

    public static void ValidateLabelSelector(FieldErrors errors, V1LabelSelector? selector, string path)
    {
        if (selector is null)
        {
            return;
        }
        ValidateLabels(errors, selector.MatchLabels, $"{path}.matchLabels");
        if (selector.MatchExpressions is null)
        {
            return;
        }
        for (var i = 0; i < selector.MatchExpressions.Count; i++)
        {
            var requirement = selector.MatchExpressions[i];
            var requirementPath = $"{path}.matchExpressions[{i}]";
            if (requirement is null)
            {
                errors.Required(requirementPath);
                continue;
            }
            var valueCount = requirement.Values?.Count ?? 0;
            switch (requirement.OperatorProperty)
            {
                case "In" or "NotIn":
                    if (valueCount == 0)
                    {
                        errors.Required($"{requirementPath}.values", "must be specified when `operator` is 'In' or 'NotIn'");
                    }
                    break;
                case "Exists" or "DoesNotExist":
                    if (valueCount > 0)
                    {
                        errors.Forbidden($"{requirementPath}.values", "may not be specified when `operator` is 'Exists' or 'DoesNotExist'");
                    }
                    break;
                default:
                    errors.NotSupported($"{requirementPath}.operator", requirement.OperatorProperty, LabelSelectorOperators);
                    break;
            }
            if (string.IsNullOrEmpty(requirement.Key))
            {
                errors.Required($"{requirementPath}.key");
            }
            else
            {
                errors.InvalidEach($"{requirementPath}.key", requirement.Key, NameRules.QualifiedName(requirement.Key));
            }
            if (requirement.Values is not null)
            {
                for (var v = 0; v < requirement.Values.Count; v++)
                {
                    errors.InvalidEach($"{requirementPath}.values[{v}]", requirement.Values[v], NameRules.LabelValue(requirement.Values[v] ?? ""));
                }
            }
        }
    }

    /// <summary>Whether a selector picks an object with these labels (the Deployment selector/template check).</summary>
    public static bool SelectorMatches(V1LabelSelector selector, IDictionary<string, string>? labels)
    {
        labels ??= new Dictionary<string, string>();
        if (selector.MatchLabels is not null)
        {
            foreach (var (key, value) in selector.MatchLabels)
            {
                if (!labels.TryGetValue(key, out var actual) || actual != value)
                {
                    return false;
                }
            }
        }
        if (selector.MatchExpressions is null)
        {
            return true;
        }
        foreach (var requirement in selector.MatchExpressions)
        {
            var present = labels.TryGetValue(requirement.Key ?? "", out var actual);
            var values = requirement.Values ?? [];
            var satisfied = requirement.OperatorProperty switch
            {
                "In" => present && values.Contains(actual),
                "NotIn" => !present || !values.Contains(actual),
                "Exists" => present,
                "DoesNotExist" => !present,
                _ => false,
            };
            if (!satisfied)
            {
                return false;
            }
        }
        return true;
    }
}
