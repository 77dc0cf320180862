using System.Text.Json.Nodes;
using k8s.Models;

namespace Kompox.Testing.KubeApi;

/// <summary>One REST resource the server serves: where it lives, what it is called, and the model the validator checks it as.</summary>
public sealed record ResourceType(
    string Group,
    string Version,
    string Plural,
    string Kind,
    bool Namespaced,
    Type? Model,
    string[] ShortNames,
    bool HasStatus)
{
    public string GroupVersion => Group.Length == 0 ? Version : $"{Group}/{Version}";

    /// <summary>"deployments.apps", "pods": the name kube-apiserver uses in its messages.</summary>
    public string QualifiedName => Group.Length == 0 ? Plural : $"{Plural}.{Group}";

    public string Singular => Kind.ToLowerInvariant();
}

/// <summary>The kinds Kompox touches, as kube-apiserver 1.32 lists them in discovery.</summary>
public static class ResourceCatalog
{
    private static readonly string[] AllVerbs = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"];

    public static IReadOnlyList<ResourceType> All { get; } =
    [
        new("", "v1", "namespaces", "Namespace", false, typeof(V1Namespace), ["ns"], true),
        new("", "v1", "nodes", "Node", false, typeof(V1Node), ["no"], true),
        new("", "v1", "pods", "Pod", true, typeof(V1Pod), ["po"], true),
        new("", "v1", "services", "Service", true, typeof(V1Service), ["svc"], true),
        new("", "v1", "persistentvolumes", "PersistentVolume", false, typeof(V1PersistentVolume), ["pv"], true),
        new("", "v1", "persistentvolumeclaims", "PersistentVolumeClaim", true, typeof(V1PersistentVolumeClaim), ["pvc"], true),
        new("", "v1", "configmaps", "ConfigMap", true, typeof(V1ConfigMap), ["cm"], false),
        new("", "v1", "secrets", "Secret", true, typeof(V1Secret), [], false),
        new("", "v1", "serviceaccounts", "ServiceAccount", true, typeof(V1ServiceAccount), ["sa"], false),
        new("", "v1", "resourcequotas", "ResourceQuota", true, typeof(V1ResourceQuota), ["quota"], true),
        new("", "v1", "events", "Event", true, typeof(Corev1Event), ["ev"], false),
        new("apps", "v1", "deployments", "Deployment", true, typeof(V1Deployment), ["deploy"], true),
        new("apps", "v1", "replicasets", "ReplicaSet", true, typeof(V1ReplicaSet), ["rs"], true),
        new("networking.k8s.io", "v1", "ingresses", "Ingress", true, typeof(V1Ingress), ["ing"], true),
        new("networking.k8s.io", "v1", "ingressclasses", "IngressClass", false, typeof(V1IngressClass), [], false),
        new("networking.k8s.io", "v1", "networkpolicies", "NetworkPolicy", true, typeof(V1NetworkPolicy), ["netpol"], false),
        new("rbac.authorization.k8s.io", "v1", "roles", "Role", true, typeof(V1Role), [], false),
        new("rbac.authorization.k8s.io", "v1", "rolebindings", "RoleBinding", true, typeof(V1RoleBinding), [], false),
        new("rbac.authorization.k8s.io", "v1", "clusterroles", "ClusterRole", false, typeof(V1ClusterRole), [], false),
        new("rbac.authorization.k8s.io", "v1", "clusterrolebindings", "ClusterRoleBinding", false, typeof(V1ClusterRoleBinding), [], false),
        new("coordination.k8s.io", "v1", "leases", "Lease", true, typeof(V1Lease), [], false),
    ];

    /// <summary>Subresources served besides status: pods/log (get) and serviceaccounts/token (create).</summary>
    private static readonly (string Resource, string Sub, string Kind, string[] Verbs)[] Subresources =
    [
        ("pods", "log", "Pod", ["get"]),
        ("serviceaccounts", "token", "TokenRequest", ["create"]),
    ];

    public static ResourceType? Find(string group, string version, string plural) =>
        All.FirstOrDefault(r => r.Group == group && r.Version == version && r.Plural == plural);

    public static ResourceType? FindKind(string apiVersion, string kind) =>
        All.FirstOrDefault(r => r.GroupVersion == apiVersion && r.Kind == kind);

    public static IEnumerable<string> Groups => All.Select(r => r.Group).Where(g => g.Length > 0).Distinct().Append("authorization.k8s.io");

    public static JsonObject ApiVersions(string serverAddress) => new()
    {
        ["kind"] = "APIVersions",
        ["versions"] = new JsonArray("v1"),
        ["serverAddressByClientCIDRs"] = new JsonArray(new JsonObject { ["clientCIDR"] = "0.0.0.0/0", ["serverAddress"] = serverAddress }),
    };

    public static JsonObject GroupList()
    {
        var groups = new JsonArray();
        foreach (var group in Groups)
        {
            groups.Add(new JsonObject
            {
                ["name"] = group,
                ["versions"] = new JsonArray(new JsonObject { ["groupVersion"] = $"{group}/v1", ["version"] = "v1" }),
                ["preferredVersion"] = new JsonObject { ["groupVersion"] = $"{group}/v1", ["version"] = "v1" },
            });
        }
        return new JsonObject { ["kind"] = "APIGroupList", ["apiVersion"] = "v1", ["groups"] = groups };
    }

    public static JsonObject? Group(string group)
    {
        if (!Groups.Contains(group))
        {
            return null;
        }
        var version = new JsonObject { ["groupVersion"] = $"{group}/v1", ["version"] = "v1" };
        return new JsonObject
        {
            ["kind"] = "APIGroup",
            ["apiVersion"] = "v1",
            ["name"] = group,
            ["versions"] = new JsonArray(version),
            ["preferredVersion"] = version.DeepClone(),
        };
    }

    /// <summary>The APIResourceList of a group version, or null when the server does not serve it.</summary>
    public static JsonObject? ResourceList(string group, string version)
    {
        if (group == "authorization.k8s.io" && version == "v1")
        {
            return List("authorization.k8s.io/v1", new JsonArray(new JsonObject
            {
                ["name"] = "selfsubjectaccessreviews",
                ["singularName"] = "selfsubjectaccessreview",
                ["namespaced"] = false,
                ["kind"] = "SelfSubjectAccessReview",
                ["verbs"] = new JsonArray("create"),
            }));
        }
        var resources = All.Where(r => r.Group == group && r.Version == version).ToList();
        if (resources.Count == 0)
        {
            return null;
        }
        var items = new JsonArray();
        foreach (var resource in resources)
        {
            var entry = new JsonObject
            {
                ["name"] = resource.Plural,
                ["singularName"] = resource.Singular,
                ["namespaced"] = resource.Namespaced,
                ["kind"] = resource.Kind,
                ["verbs"] = new JsonArray(AllVerbs.Select(v => (JsonNode?)JsonValue.Create(v)).ToArray()),
            };
            if (resource.ShortNames.Length > 0)
            {
                entry["shortNames"] = new JsonArray(resource.ShortNames.Select(s => (JsonNode?)JsonValue.Create(s)).ToArray());
            }
            items.Add(entry);
            if (resource.HasStatus)
            {
                items.Add(new JsonObject
                {
                    ["name"] = $"{resource.Plural}/status",
                    ["singularName"] = "",
                    ["namespaced"] = resource.Namespaced,
                    ["kind"] = resource.Kind,
                    ["verbs"] = new JsonArray("get", "patch", "update"),
                });
            }
            foreach (var sub in Subresources.Where(s => s.Resource == resource.Plural))
            {
                items.Add(new JsonObject
                {
                    ["name"] = $"{resource.Plural}/{sub.Sub}",
                    ["singularName"] = "",
                    ["namespaced"] = resource.Namespaced,
                    ["kind"] = sub.Kind,
                    ["verbs"] = new JsonArray(sub.Verbs.Select(v => (JsonNode?)JsonValue.Create(v)).ToArray()),
                });
            }
        }
        return List(group.Length == 0 ? version : $"{group}/{version}", items);
    }

    /// <summary>
    /// /openapi/v3: one document per group version. kubectl reads it only to learn that PATCH takes fieldValidation
    /// (then it sends fieldValidation=Strict and leaves schema validation to the server); without it, kubectl apply and
    /// create fail with "failed to download openapi".
    /// </summary>
    public static JsonObject OpenApiRoot()
    {
        var paths = new JsonObject();
        foreach (var groupVersion in All.Select(r => (r.Group, r.Version)).Distinct())
        {
            var path = groupVersion.Group.Length == 0 ? $"api/{groupVersion.Version}" : $"apis/{groupVersion.Group}/{groupVersion.Version}";
            paths[path] = new JsonObject { ["serverRelativeURL"] = $"/openapi/v3/{path}?hash=kompox" };
        }
        return new JsonObject { ["paths"] = paths };
    }

    /// <summary>The OpenAPI v3 document of a group version: the PATCH operation of each kind, with its query parameters and its kind.</summary>
    public static JsonObject? OpenApi(string group, string version)
    {
        var resources = All.Where(r => r.Group == group && r.Version == version).ToList();
        if (resources.Count == 0)
        {
            return null;
        }
        var paths = new JsonObject();
        foreach (var resource in resources)
        {
            var prefix = group.Length == 0 ? $"/api/{version}" : $"/apis/{group}/{version}";
            var path = resource.Namespaced ? $"{prefix}/namespaces/{{namespace}}/{resource.Plural}/{{name}}" : $"{prefix}/{resource.Plural}/{{name}}";
            var parameters = new JsonArray();
            foreach (var name in new[] { "dryRun", "fieldManager", "fieldValidation", "force" })
            {
                parameters.Add(new JsonObject { ["name"] = name, ["in"] = "query", ["schema"] = new JsonObject { ["type"] = name == "force" ? "boolean" : "string" } });
            }
            paths[path] = new JsonObject
            {
                ["patch"] = new JsonObject
                {
                    ["operationId"] = $"patch{resource.Kind}",
                    ["parameters"] = parameters,
                    ["responses"] = new JsonObject { ["200"] = new JsonObject { ["description"] = "OK" } },
                    ["x-kubernetes-action"] = "patch",
                    ["x-kubernetes-group-version-kind"] = new JsonObject { ["group"] = group, ["kind"] = resource.Kind, ["version"] = version },
                },
            };
        }
        return new JsonObject
        {
            ["openapi"] = "3.0.0",
            ["info"] = new JsonObject { ["title"] = "Kubernetes", ["version"] = "v1.32.0" },
            ["paths"] = paths,
            ["components"] = new JsonObject(),
        };
    }

    private static JsonObject List(string groupVersion, JsonArray resources) => new()
    {
        ["kind"] = "APIResourceList",
        ["apiVersion"] = "v1",
        ["groupVersion"] = groupVersion,
        ["resources"] = resources,
    };
}
