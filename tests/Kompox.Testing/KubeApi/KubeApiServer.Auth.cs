using System.Text.Json.Nodes;

namespace Kompox.Testing.KubeApi;

public sealed partial class KubeApiServer
{
    /// <summary>Who a token stands for: the admin, or a ServiceAccount (with the token's expiry).</summary>
    private sealed record Identity(string User, bool Admin, string? ServiceAccountNamespace, string? ServiceAccountName, DateTimeOffset? Expires, string? ServiceAccountUid = null);

    private void Authorize(Identity identity, string verb, Target target)
    {
        if (identity.Admin)
        {
            return;
        }
        var resource = target.Resource;
        var sub = target.Subresource ?? "";
        bool allowed;
        lock (gate)
        {
            allowed = Allows(identity, verb, resource.Group, resource.Plural, sub, target.Namespace, target.Name ?? "");
        }
        if (allowed)
        {
            return;
        }
        var subject = target.Name is null ? resource.QualifiedName : $"{resource.QualifiedName} \"{target.Name}\"";
        var what = sub.Length == 0 ? resource.Plural : $"{resource.Plural}/{sub}";
        var scope = target.Namespace is null ? "at the cluster scope" : $"in the namespace \"{target.Namespace}\"";
        var details = new JsonObject { ["name"] = target.Name ?? "" };
        if (resource.Group.Length > 0)
        {
            details["group"] = resource.Group;
        }
        details["kind"] = resource.Plural;
        throw new ApiError(403, "Forbidden", $"{subject} is forbidden: User \"{identity.User}\" cannot {verb} resource \"{what}\" in API group \"{resource.Group}\" {scope}", details);
    }

    /// <summary>RBAC: the rules of the Roles and ClusterRoles bound to the identity, in the namespace and cluster-wide.</summary>
    private bool Allows(Identity identity, string verb, string group, string resource, string subresource, string? ns, string name)
    {
        if (identity.Admin)
        {
            return true;
        }
        var rules = new List<JsonNode?>();
        if (ns is not null)
        {
            foreach (var binding in Stored(Resource("rolebindings"), ns).Where(b => Binds(b, identity)))
            {
                rules.AddRange(RulesOf(binding.Body["roleRef"], ns));
            }
        }
        foreach (var binding in Stored(Resource("clusterrolebindings"), null).Where(b => Binds(b, identity)))
        {
            rules.AddRange(RulesOf(binding.Body["roleRef"], null));
        }
        return rules.Any(rule => RuleAllows(rule, verb, group, resource, subresource, name));
    }

    private IEnumerable<JsonNode?> RulesOf(JsonNode? roleRef, string? ns)
    {
        var kind = roleRef?["kind"]?.ToString();
        var roleName = roleRef?["name"]?.ToString() ?? "";
        var role = kind switch
        {
            "Role" when ns is not null => Find(Resource("roles"), ns, roleName),
            "ClusterRole" => Find(Resource("clusterroles"), null, roleName),
            _ => null,
        };
        return role?.Body["rules"]?.AsArray() ?? [];
    }

    private static bool Binds(StoredObject binding, Identity identity)
    {
        foreach (var subject in binding.Body["subjects"]?.AsArray() ?? [])
        {
            var kind = subject?["kind"]?.ToString();
            var subjectName = subject?["name"]?.ToString();
            var matches = kind switch
            {
                "ServiceAccount" => subjectName == identity.ServiceAccountName && (subject?["namespace"]?.ToString() ?? binding.Namespace) == identity.ServiceAccountNamespace,
                "User" => subjectName == identity.User,
                "Group" => subjectName is "system:authenticated" or "system:serviceaccounts" || subjectName == $"system:serviceaccounts:{identity.ServiceAccountNamespace}",
                _ => false,
            };
            if (matches)
            {
                return true;
            }
        }
        return false;
    }

    private static bool RuleAllows(JsonNode? rule, string verb, string group, string resource, string subresource, string name)
    {
        static List<string> Values(JsonNode? node) => node?.AsArray().Select(v => v?.ToString() ?? "").ToList() ?? [];
        var verbs = Values(rule?["verbs"]);
        var groups = Values(rule?["apiGroups"]);
        var resources = Values(rule?["resources"]);
        var names = Values(rule?["resourceNames"]);
        var combined = subresource.Length == 0 ? resource : $"{resource}/{subresource}";
        return (verbs.Contains("*") || verbs.Contains(verb))
            && (groups.Contains("*") || groups.Contains(group))
            && (resources.Contains("*") || resources.Contains(combined) || (subresource.Length > 0 && resources.Contains($"*/{subresource}")))
            && (names.Count == 0 || (name.Length > 0 && names.Contains(name)));
    }

    /// <summary>POST selfsubjectaccessreviews (kubectl auth can-i): the same evaluation as every request.</summary>
    private JsonObject SelfSubjectAccessReview(Identity identity, string body)
    {
        var review = Bodies.Parse(body) as JsonObject ?? throw ApiError.BadRequest("the body of the request must be an object");
        var attributes = review["spec"]?["resourceAttributes"];
        bool allowed;
        lock (gate)
        {
            allowed = identity.Admin || (attributes is not null && Allows(
                identity,
                attributes["verb"]?.ToString() ?? "",
                attributes["group"]?.ToString() ?? "",
                attributes["resource"]?.ToString() ?? "",
                attributes["subresource"]?.ToString() ?? "",
                attributes["namespace"]?.ToString() is { Length: > 0 } ns ? ns : null,
                attributes["name"]?.ToString() ?? ""));
        }
        return new JsonObject
        {
            ["kind"] = "SelfSubjectAccessReview",
            ["apiVersion"] = "authorization.k8s.io/v1",
            ["metadata"] = new JsonObject { ["creationTimestamp"] = null },
            ["spec"] = review["spec"]?.DeepClone(),
            ["status"] = new JsonObject { ["allowed"] = allowed },
        };
    }

    /// <summary>POST serviceaccounts/&lt;sa&gt;/token: a TokenRequest whose token authenticates as the ServiceAccount until it expires.</summary>
    private JsonObject CreateToken(Target target, string body)
    {
        var account = Get(target.Resource, target.Namespace, target.Name!);
        var request = (body.Trim().Length == 0 ? new JsonObject() : Bodies.Parse(body) as JsonObject) ?? throw ApiError.BadRequest("the body of the request must be an object");
        var seconds = request["spec"]?["expirationSeconds"]?.GetValue<long>() ?? 3600;
        var tokenResource = new ResourceType("authentication.k8s.io", "v1", "token", "TokenRequest", true, null, [], false);
        if (seconds < 600)
        {
            throw ApiError.Invalid(tokenResource, account.Name, [("spec.expirationSeconds", $"Invalid value: {seconds}: may not specify a duration less than 10 minutes")]);
        }
        if (seconds > 1L << 32)
        {
            throw ApiError.Invalid(tokenResource, account.Name, [("spec.expirationSeconds", $"Invalid value: {seconds}: may not specify a duration larger than 2^32 seconds")]);
        }
        var token = NewToken();
        var expires = time.GetUtcNow().AddSeconds(seconds);
        tokens[token] = new Identity($"system:serviceaccount:{account.Namespace}:{account.Name}", false, account.Namespace, account.Name, expires, account.Body["metadata"]!["uid"]!.ToString());
        return new JsonObject
        {
            ["kind"] = "TokenRequest",
            ["apiVersion"] = "authentication.k8s.io/v1",
            ["metadata"] = new JsonObject { ["name"] = account.Name, ["namespace"] = account.Namespace, ["creationTimestamp"] = Now() },
            ["spec"] = new JsonObject
            {
                ["audiences"] = request["spec"]?["audiences"]?.DeepClone() ?? new JsonArray("https://kubernetes.default.svc.cluster.local"),
                ["expirationSeconds"] = seconds,
                ["boundObjectRef"] = null,
            },
            ["status"] = new JsonObject
            {
                ["token"] = token,
                ["expirationTimestamp"] = expires.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture),
            },
        };
    }
}
