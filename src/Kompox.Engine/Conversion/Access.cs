using k8s;
using k8s.Models;

namespace Kompox.Conversion;

/// <summary>
/// What a user may do in the app's namespace (SPEC section 6): look at the Pod, its logs and events, and get a shell
/// or a port-forward into it, but change nothing. Kompox itself deploys; users only operate.
/// </summary>
internal static class Access
{
    public static string Name(AppScope scope) => $"{scope.AppName}-access";

    public static IEnumerable<IKubernetesObject<V1ObjectMeta>> Build(AppScope scope, IReadOnlyList<Rbacv1Subject> principals)
    {
        var name = Name(scope);
        List<string> Verbs(params string[] verbs) => verbs.ToList();
        List<string> Items(params string[] items) => items.ToList();

        yield return new V1ServiceAccount { ApiVersion = "v1", Kind = "ServiceAccount", Metadata = scope.Metadata(name) };
        yield return new V1Role
        {
            ApiVersion = "rbac.authorization.k8s.io/v1",
            Kind = "Role",
            Metadata = scope.Metadata(name),
            Rules = new List<V1PolicyRule>
            {
                new() { ApiGroups = Items(""), Resources = Items("events", "pods", "pods/log", "services"), Verbs = Verbs("get", "list", "watch") },
                new() { ApiGroups = Items("apps"), Resources = Items("deployments", "replicasets"), Verbs = Verbs("get", "list", "watch") },
                new() { ApiGroups = Items("events.k8s.io"), Resources = Items("events"), Verbs = Verbs("get", "list", "watch") },

                // kubectl opens exec, attach and port-forward streams with POST (create) or, over WebSockets, with GET.
                new() { ApiGroups = Items(""), Resources = Items("pods/attach", "pods/exec", "pods/portforward"), Verbs = Verbs("create", "get") },
            },
        };

        var subjects = new List<Rbacv1Subject> { new() { Kind = "ServiceAccount", Name = name, NamespaceProperty = scope.Namespace } };

        // The provider's principals (Entra ID users and groups on AKS), each kind in name order.
        subjects.AddRange(principals
            .OrderBy(p => p.Kind, StringComparer.Ordinal)
            .ThenBy(p => p.Name, StringComparer.Ordinal));
        yield return new V1RoleBinding
        {
            ApiVersion = "rbac.authorization.k8s.io/v1",
            Kind = "RoleBinding",
            Metadata = scope.Metadata(name),
            RoleRef = new V1RoleRef { ApiGroup = "rbac.authorization.k8s.io", Kind = "Role", Name = name },
            Subjects = subjects,
        };
    }
}
