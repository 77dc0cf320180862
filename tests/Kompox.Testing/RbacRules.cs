using k8s.Models;

namespace Kompox.Testing;

/// <summary>apis/rbac/validation ValidateRole and ValidateRoleBinding (namespaced forms).</summary>
internal static class RbacRules
{
    public const string RbacGroup = "rbac.authorization.k8s.io";
    private static readonly string[] RoleRefKinds = ["Role", "ClusterRole"];
    private static readonly string[] SubjectKinds = ["ServiceAccount", "User", "Group"];

    public static void ValidateRole(FieldErrors errors, V1Role role)
    {
        var rules = role.Rules ?? [];
        for (var i = 0; i < rules.Count; i++)
        {
            ValidatePolicyRule(errors, rules[i], $"rules[{i}]");
        }
    }

    /// <summary>ClusterRole: like a Role's rules, except that a rule may name non-resource URLs (then no resources).</summary>
    public static void ValidateClusterRole(FieldErrors errors, V1ClusterRole role)
    {
        var rules = role.Rules ?? [];
        for (var i = 0; i < rules.Count; i++)
        {
            var rule = rules[i];
            var path = $"rules[{i}]";
            if (rule.NonResourceURLs is not { Count: > 0 })
            {
                ValidatePolicyRule(errors, rule, path);
                continue;
            }
            if (rule.Verbs is null || rule.Verbs.Count == 0)
            {
                errors.Required($"{path}.verbs", "verbs must contain at least one value");
            }
            if (rule.Resources is { Count: > 0 } || rule.ApiGroups is { Count: > 0 })
            {
                errors.Invalid($"{path}.nonResourceURLs", string.Join(",", rule.NonResourceURLs), "rules cannot apply to both regular resources and non-resource URLs");
            }
        }
    }

    /// <summary>ClusterRoleBinding: it may only refer to a ClusterRole, and its ServiceAccount subjects must name their namespace.</summary>
    public static void ValidateClusterRoleBinding(FieldErrors errors, V1ClusterRoleBinding binding) =>
        ValidateBinding(errors, binding.RoleRef, binding.Subjects, ["ClusterRole"], serviceAccountsNameNamespace: true);

    private static void ValidatePolicyRule(FieldErrors errors, V1PolicyRule rule, string path)
    {
        if (rule.Verbs is null || rule.Verbs.Count == 0)
        {
            errors.Required($"{path}.verbs", "verbs must contain at least one value");
        }
        if (rule.NonResourceURLs is { Count: > 0 })
        {
            // A Role lives in a namespace, and non-resource URLs (/healthz) have none.
            errors.Invalid($"{path}.nonResourceURLs", string.Join(",", rule.NonResourceURLs), "namespaced rules cannot apply to non-resource URLs");
            return;
        }
        if (rule.ApiGroups is null || rule.ApiGroups.Count == 0)
        {
            errors.Required($"{path}.apiGroups", "resource rules must supply at least one api group");
        }
        if (rule.Resources is null || rule.Resources.Count == 0)
        {
            errors.Required($"{path}.resources", "resource rules must supply at least one resource");
        }
    }

    public static void ValidateRoleBinding(FieldErrors errors, V1RoleBinding binding) =>
        ValidateBinding(errors, binding.RoleRef, binding.Subjects, RoleRefKinds, serviceAccountsNameNamespace: false);

    private static void ValidateBinding(FieldErrors errors, V1RoleRef? roleRef, IList<Rbacv1Subject>? subjects, string[] roleRefKinds, bool serviceAccountsNameNamespace)
    {
        if (roleRef is null)
        {
            errors.Required("roleRef");
        }
        else
        {
            if (roleRef.ApiGroup != RbacGroup)
            {
                errors.NotSupported("roleRef.apiGroup", roleRef.ApiGroup ?? "", [RbacGroup]);
            }
            if (!roleRefKinds.Contains(roleRef.Kind))
            {
                errors.NotSupported("roleRef.kind", roleRef.Kind ?? "", roleRefKinds);
            }
            if (string.IsNullOrEmpty(roleRef.Name))
            {
                errors.Required("roleRef.name");
            }
            else
            {
                errors.InvalidEach("roleRef.name", roleRef.Name, NameRules.PathSegmentName(roleRef.Name));
            }
        }

        subjects ??= [];
        for (var i = 0; i < subjects.Count; i++)
        {
            ValidateSubject(errors, subjects[i], $"subjects[{i}]");
            if (serviceAccountsNameNamespace && subjects[i].Kind == "ServiceAccount" && string.IsNullOrEmpty(subjects[i].NamespaceProperty))
            {
                errors.Required($"subjects[{i}].namespace");
            }
        }
    }

    private static void ValidateSubject(FieldErrors errors, Rbacv1Subject subject, string path)
    {
        if (string.IsNullOrEmpty(subject.Name))
        {
            errors.Required($"{path}.name");
        }
        switch (subject.Kind)
        {
            case "ServiceAccount":
                if (!string.IsNullOrEmpty(subject.Name))
                {
                    errors.InvalidEach($"{path}.name", subject.Name, NameRules.Dns1123Subdomain(subject.Name));
                }
                if (!string.IsNullOrEmpty(subject.ApiGroup))
                {
                    errors.NotSupported($"{path}.apiGroup", subject.ApiGroup, [""]);
                }
                // In a RoleBinding an empty namespace means the binding's own; only cluster bindings must name it.
                if (!string.IsNullOrEmpty(subject.NamespaceProperty))
                {
                    errors.InvalidEach($"{path}.namespace", subject.NamespaceProperty, NameRules.Dns1123Label(subject.NamespaceProperty));
                }
                break;
            case "User" or "Group":
                if (subject.ApiGroup != RbacGroup)
                {
                    errors.NotSupported($"{path}.apiGroup", subject.ApiGroup ?? "", [RbacGroup]);
                }
                break;
            default:
                errors.NotSupported($"{path}.kind", subject.Kind ?? "", SubjectKinds);
                break;
        }
    }
}
