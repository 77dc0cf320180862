using System.Globalization;
using System.Text.Json.Nodes;
using k8s;
using k8s.Models;

namespace Kompox.Testing.KubeApi;

/// <summary>
/// The admission a Pod created by the ReplicaSet controller passes: Pod Security (the namespace's enforce level) and
/// ResourceQuota (every quota of the namespace). A refused Pod is never stored; the controller records why on its
/// ReplicaSet (see <c>ReconcileDeployment</c>).
/// </summary>
public sealed partial class KubeApiServer
{
    private bool quotaUsageHeld;

    /// <summary>
    /// Until <see cref="ReleaseQuotaUsage"/>, each ResourceQuota's status has its hard limits but no usage, as the quota
    /// controller writes it when it has not yet counted the namespace's objects (kubernetes/kubernetes
    /// pkg/controller/resourcequota/resource_quota_controller.go syncResourceQuota keeps going with the usage it has);
    /// quota admission then refuses with "status unknown for quota".
    /// </summary>
    public void HoldQuotaUsage()
    {
        lock (gate)
        {
            quotaUsageHeld = true;
            SyncQuotas(null);
        }
    }

    /// <summary>The quota controller counts the usage; the ReplicaSet controller retries the Pods it failed to create (its requeue with back-off).</summary>
    public void ReleaseQuotaUsage()
    {
        lock (gate)
        {
            quotaUsageHeld = false;
            SyncQuotas(null);
            foreach (var deployment in Stored(Resource("deployments"), null).ToList())
            {
                ReconcileDeployment(deployment);
            }
        }
    }

    /// <summary>The quota controller's status of each quota (of one namespace, or all): hard from spec, used counted over the Pods.</summary>
    private void SyncQuotas(string? ns)
    {
        foreach (var quota in Stored(Resource("resourcequotas"), ns).ToList())
        {
            var hard = quota.Body["spec"]?["hard"] as JsonObject ?? new JsonObject();
            var used = new JsonObject();
            if (!quotaUsageHeld)
            {
                var usage = NamespaceUsage(quota.Namespace!);
                foreach (var (name, _) in hard)
                {
                    used[name] = Render(name, usage.GetValueOrDefault(name));
                }
            }
            var body = (JsonObject)quota.Body.DeepClone();
            body["status"] = new JsonObject { ["hard"] = hard.DeepClone(), ["used"] = used };
            if (!JsonNode.DeepEquals(body, quota.Body))
            {
                Replace(quota, body);
            }
        }
    }

    /// <summary>
    /// Why the API server refuses to create this Pod, as the error's message (<c>pods "name" is forbidden: ...</c>), or
    /// null when it admits it. Pod Security first, then quota, as kube-apiserver orders its validating admission plugins.
    /// </summary>
    private string? RefusePod(string ns, JsonObject pod)
    {
        var name = pod["metadata"]!["name"]!.ToString();
        var forbidden = $"pods \"{name}\" is forbidden: ";
        return PodSecurityRefusal(ns, pod) is { } security ? forbidden + security
            : QuotaRefusal(ns, pod) is { } quota ? forbidden + quota
            : null;
    }

    /// <summary>
    /// kubernetes/kubernetes staging/src/k8s.io/pod-security-admission/admission/admission.go EvaluatePod: the namespace's
    /// <c>pod-security.kubernetes.io/enforce</c> level at its <c>enforce-version</c> ("latest" is the server's own), the
    /// failed checks as "reason (detail)" joined by ", ". Only the baseline level is modelled (restricted is checked as baseline).
    /// </summary>
    private string? PodSecurityRefusal(string ns, JsonObject pod)
    {
        var labels = Find(Resource("namespaces"), null, ns)?.Body["metadata"]?["labels"];
        var level = labels?["pod-security.kubernetes.io/enforce"]?.ToString();
        if (level is null or "privileged")
        {
            return null;
        }
        var version = labels?["pod-security.kubernetes.io/enforce-version"]?.ToString() ?? "latest";
        var minor = version.StartsWith("v1.", StringComparison.Ordinal) && int.TryParse(version[3..], CultureInfo.InvariantCulture, out var pinned) ? Math.Min(pinned, MinorVersion) : MinorVersion;
        var spec = KubernetesJson.Deserialize<V1PodSpec>(pod["spec"]!.ToJsonString());
        var template = new V1PodTemplateSpec { Metadata = KubernetesJson.Deserialize<V1ObjectMeta>(pod["metadata"]!.ToJsonString()), Spec = spec };
        var errors = new List<ManifestError>();
        PodSecurityRules.ValidateBaseline(new FieldErrors("Pod", "", errors), template, "spec", minor);
        const string violation = "\": ";
        var details = errors.Select(e => e.Message[(e.Message.IndexOf(violation, StringComparison.Ordinal) + violation.Length)..]).Distinct().ToList();
        return details.Count == 0 ? null : $"violates PodSecurity \"{level}:{version}\": {string.Join(", ", details)}";
    }

    /// <summary>
    /// kubernetes/kubernetes staging/src/k8s.io/apiserver/pkg/admission/plugin/resourcequota/controller.go CheckRequest,
    /// with the Pod evaluator of pkg/quota/v1/evaluator/core/pods.go: for each quota of the namespace, the containers
    /// must state what it limits, its status must have usage, and the new usage must stay within its hard limits.
    /// Scopes and scope selectors are not modelled: every quota matches every Pod.
    /// </summary>
    private string? QuotaRefusal(string ns, JsonObject pod)
    {
        var requested = PodUsage(pod);
        var usage = NamespaceUsage(ns);
        foreach (var quota in Stored(Resource("resourcequotas"), ns))
        {
            var hard = quota.Body["status"]?["hard"] as JsonObject ?? new JsonObject();
            var used = quota.Body["status"]?["used"] as JsonObject ?? new JsonObject();
            var restricted = hard.Select(h => h.Key).Where(requested.ContainsKey).Order(StringComparer.Ordinal).ToList();
            if (MissingConstraints(pod, restricted) is { } missing)
            {
                return $"failed quota: {quota.Name}: must specify {missing}";
            }
            if (restricted.Any(r => used[r] is null))
            {
                return $"status unknown for quota: {quota.Name}, resources: {string.Join(",", restricted)}";
            }
            var exceeded = restricted.Where(r => requested[r] > 0 && usage.GetValueOrDefault(r) + requested[r] > Parse(hard[r])).ToList();
            if (exceeded.Count > 0)
            {
                string Print(Func<string, decimal> value) => string.Join(",", exceeded.Select(r => $"{r}={Render(r, value(r))}"));
                return $"exceeded quota: {quota.Name}, requested: {Print(r => requested[r])}, used: {Print(r => usage.GetValueOrDefault(r))}, limited: {Print(r => Parse(hard[r]))}";
            }
        }
        return null;
    }

    /// <summary>pods.go enforcePodContainerConstraints: a quota on cpu or memory requests or limits needs them stated on every container.</summary>
    private static string? MissingConstraints(JsonObject pod, List<string> restricted)
    {
        var missing = new SortedDictionary<string, SortedSet<string>>(StringComparer.Ordinal);
        var containers = (pod["spec"]?["containers"]?.AsArray() ?? []).Concat(pod["spec"]?["initContainers"]?.AsArray() ?? []).OfType<JsonObject>();
        foreach (var container in containers)
        {
            foreach (var resource in restricted.Where(r => r is "cpu" or "memory" or "requests.cpu" or "requests.memory" or "limits.cpu" or "limits.memory"))
            {
                var (kind, name) = resource.StartsWith("limits.", StringComparison.Ordinal) ? ("limits", resource[7..]) : ("requests", resource.Replace("requests.", "", StringComparison.Ordinal));
                if (Requirement(container, kind, name) is null)
                {
                    (missing.TryGetValue(resource, out var names) ? names : missing[resource] = new SortedSet<string>(StringComparer.Ordinal)).Add(container["name"]?.ToString() ?? "");
                }
            }
        }
        return missing.Count == 0 ? null : string.Join("; ", missing.Select(m => $"{m.Key} for: {string.Join(",", m.Value)}"));
    }

    /// <summary>A container's request or limit; a request unset where a limit is set is the limit (pkg/apis/core/v1/defaults.go SetDefaults_Pod).</summary>
    private static JsonNode? Requirement(JsonObject container, string kind, string name) =>
        container["resources"]?[kind]?[name] ?? (kind == "requests" ? container["resources"]?["limits"]?[name] : null);

    /// <summary>
    /// pods.go PodUsageFunc: one pod, and its cpu and memory requests and limits (the larger of the containers' sum and
    /// any one init container's, as resourcehelper.PodRequests counts them).
    /// </summary>
    private static Dictionary<string, decimal> PodUsage(JsonObject pod)
    {
        var containers = pod["spec"]?["containers"]?.AsArray().OfType<JsonObject>().ToList() ?? [];
        var inits = pod["spec"]?["initContainers"]?.AsArray().OfType<JsonObject>().ToList() ?? [];
        decimal Of(string kind, string name) => Math.Max(containers.Sum(c => Parse(Requirement(c, kind, name))), inits.Select(c => Parse(Requirement(c, kind, name))).DefaultIfEmpty(0).Max());
        return new Dictionary<string, decimal>(StringComparer.Ordinal)
        {
            ["pods"] = 1,
            ["count/pods"] = 1,
            ["cpu"] = Of("requests", "cpu"),
            ["requests.cpu"] = Of("requests", "cpu"),
            ["memory"] = Of("requests", "memory"),
            ["requests.memory"] = Of("requests", "memory"),
            ["limits.cpu"] = Of("limits", "cpu"),
            ["limits.memory"] = Of("limits", "memory"),
        };
    }

    /// <summary>What the namespace's Pods use; a Pod that has ended no longer counts (pods.go QuotaV1Pod).</summary>
    private Dictionary<string, decimal> NamespaceUsage(string ns)
    {
        var total = new Dictionary<string, decimal>(StringComparer.Ordinal);
        foreach (var pod in Stored(Resource("pods"), ns).Where(p => p.Body["status"]?["phase"]?.ToString() is not ("Succeeded" or "Failed")))
        {
            foreach (var (name, value) in PodUsage(pod.Body))
            {
                total[name] = total.GetValueOrDefault(name) + value;
            }
        }
        return total;
    }

    private static decimal Parse(JsonNode? quantity) => quantity is null ? 0 : new ResourceQuantity(quantity.ToString()).ToDecimal();

    /// <summary>A quantity as the quota messages print it: counts as integers, cpu in cores or millicores, memory in binary units.</summary>
    private static string Render(string resource, decimal value)
    {
        if (resource.EndsWith("memory", StringComparison.Ordinal))
        {
            return new ResourceQuantity(value, 0, ResourceQuantity.SuffixFormat.BinarySI).CanonicalizeString();
        }
        if (resource.EndsWith("cpu", StringComparison.Ordinal))
        {
            return new ResourceQuantity(value, 0, ResourceQuantity.SuffixFormat.DecimalSI).CanonicalizeString();
        }
        return value.ToString(CultureInfo.InvariantCulture);
    }
}
