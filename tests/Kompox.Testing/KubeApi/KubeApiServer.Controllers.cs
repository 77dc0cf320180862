using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;

namespace Kompox.Testing.KubeApi;

public enum RolloutFailureKind
{
    ImagePullBackOff,
    CrashLoopBackOff,
    Unschedulable,
    NeverReady,
    FailedMount,
    FailedAttachVolume,
    Initializing,
}

/// <summary>Why the kubelet's image pull failed: the registry's definite answers, or a failure that may pass.</summary>
public enum ImagePullCause
{
    /// <summary>containerd: the registry has no such repository or tag.</summary>
    NotFound,

    /// <summary>CRI-O (and registries that answer so): the registry knows no manifest for the tag.</summary>
    ManifestUnknown,

    /// <summary>The registry did not answer in time.</summary>
    Timeout,

    /// <summary>The registry's pull rate limit (Docker Hub's 429).</summary>
    RateLimited,
}

/// <summary>How the next rollout's Pod fails; <see cref="Container"/> null means the template's first container.</summary>
public sealed record RolloutFailure(RolloutFailureKind Kind, string? Container, string Message, int ExitCode, int RestartCount, IReadOnlyList<string> PreviousLog)
{
    /// <summary>The image cannot be pulled: the container waits with ImagePullBackOff, with Failed and BackOff events.</summary>
    public static RolloutFailure ImagePullBackOff(string? container = null, ImagePullCause cause = ImagePullCause.NotFound) =>
        new(RolloutFailureKind.ImagePullBackOff, container, "", 0, 0, []) { PullCause = cause };

    /// <summary>
    /// The volume cannot be mounted: the containers wait in ContainerCreating and the kubelet records FailedMount with
    /// <paramref name="message"/> (pkg/volume/util/operationexecutor/operation_generator.go "MountVolume.SetUp failed for volume ...").
    /// </summary>
    public static RolloutFailure FailedMount(string message) =>
        new(RolloutFailureKind.FailedMount, null, message, 0, 0, []);

    /// <summary>
    /// The disk cannot be attached to the node: the containers wait in ContainerCreating and the attach/detach controller
    /// records FailedAttachVolume with <paramref name="message"/> (pkg/controller/volume/attachdetach/reconciler/reconciler.go).
    /// </summary>
    public static RolloutFailure FailedAttachVolume(string message) =>
        new(RolloutFailureKind.FailedAttachVolume, null, message, 0, 0, []);

    /// <summary>The Pod's first init container keeps running: the app's containers wait in PodInitializing.</summary>
    public static RolloutFailure Initializing() =>
        new(RolloutFailureKind.Initializing, null, "", 0, 0, []);

    /// <summary>Why an image pull fails (<see cref="RolloutFailureKind.ImagePullBackOff"/> only).</summary>
    public ImagePullCause PullCause { get; init; }

    /// <summary>The container exits and is restarted: CrashLoopBackOff, lastState.terminated, and the log of its previous run.</summary>
    public static RolloutFailure CrashLoopBackOff(int exitCode, IReadOnlyList<string> previousLog, int restartCount = 3, string? container = null) =>
        new(RolloutFailureKind.CrashLoopBackOff, container, "", exitCode, restartCount, previousLog);

    /// <summary>No node fits the Pod: PodScheduled False with reason Unschedulable and a FailedScheduling event.</summary>
    public static RolloutFailure Unschedulable(string message = "0/1 nodes are available: 1 Insufficient memory. preemption: 0/1 nodes are available: 1 No preemption victims found for incoming pod.") =>
        new(RolloutFailureKind.Unschedulable, null, message, 0, 0, []);

    /// <summary>The container runs but its readiness probe never passes: a rollout that only a timeout ends.</summary>
    public static RolloutFailure NeverReady(string? container = null) =>
        new(RolloutFailureKind.NeverReady, container, "", 0, 0, []);
}

public sealed partial class KubeApiServer
{
    private readonly Queue<RolloutFailure> failures = new();
    private readonly Queue<RolloutFailure> barePodFailures = new();
    private readonly Dictionary<string, RolloutFailure> failureOfReplicaSet = new(StringComparer.Ordinal);
    private readonly Dictionary<(string Namespace, string Pod, string Container, bool Previous), List<(DateTimeOffset At, string Line)>> logs = [];
    private int nextPodIp = 10;

    /// <summary>The next new ReplicaSet's Pods fail this way (one failure per rollout, in order); later rollouts succeed again.</summary>
    public void FailNextRollout(RolloutFailure failure)
    {
        lock (gate)
        {
            failures.Enqueue(failure);
        }
    }

    /// <summary>
    /// The next bare Pod a client creates (no controller's) fails this way, as a Deployment's Pod does with
    /// <see cref="FailNextRollout"/>: <see cref="RolloutFailure.Unschedulable"/> stays Pending unscheduled (the scheduler
    /// retries it, pkg/scheduler/schedule_one.go handleSchedulingFailure), <see cref="RolloutFailure.ImagePullBackOff"/>
    /// stays Pending with its container waiting (the kubelet backs off, pkg/kubelet/images/image_manager.go). Only those two.
    /// </summary>
    public void FailNextBarePod(RolloutFailure failure)
    {
        if (failure.Kind is not (RolloutFailureKind.Unschedulable or RolloutFailureKind.ImagePullBackOff))
        {
            throw new ArgumentException($"a bare Pod fails here only as Unschedulable or ImagePullBackOff, not {failure.Kind}", nameof(failure));
        }

        lock (gate)
        {
            barePodFailures.Enqueue(failure);
        }
    }

    /// <summary>A line the container wrote (of its previous run when <paramref name="previous"/>), for pods/log.</summary>
    public void AppendLog(string ns, string pod, string container, string line, bool previous = false, DateTimeOffset? at = null)
    {
        lock (gate)
        {
            AddLog(ns, pod, container, previous, line, at ?? time.GetUtcNow());
            WakeLogFollowers();
        }
    }

    private void AddLog(string ns, string pod, string container, bool previous, string line, DateTimeOffset at)
    {
        if (!logs.TryGetValue((ns, pod, container, previous), out var lines))
        {
            lines = [];
            logs[(ns, pod, container, previous)] = lines;
        }
        lines.Add((at, line));
    }

    private void AfterWrite(StoredObject stored)
    {
        switch (stored.Resource.Plural)
        {
            case "namespaces":
                FillNamespace(stored.Name);
                break;
            case "deployments":
                ReconcileDeployment(stored);
                break;
            case "pods" when Unstarted(stored):
                StartBarePod(stored);
                break;
            case "resourcequotas":
                // The quota controller fills the new quota's status; the ReplicaSet controller's retries of Pods the
                // quota refused (its requeue with back-off) then meet the quota as it is now.
                SyncQuotas(stored.Namespace);
                foreach (var deployment in Stored(Resource("deployments"), stored.Namespace).ToList())
                {
                    ReconcileDeployment(deployment);
                }
                break;
            case "persistentvolumes" or "persistentvolumeclaims":
                SyncVolumes();
                break;
            case "services" when LoadBalancerAddress is { } address && NeedsLoadBalancer(stored.Body):
                // The cloud controller's part: a LoadBalancer Service gets its public address.
                var body = (JsonObject)stored.Body.DeepClone();
                body["status"] = new JsonObject { ["loadBalancer"] = new JsonObject { ["ingress"] = new JsonArray(new JsonObject { ["ip"] = address, ["ipMode"] = "VIP" }) } };
                Replace(stored, body);
                break;
        }
    }

    /// <summary>
    /// What controllers put in every namespace: the <c>default</c> ServiceAccount (the service account controller,
    /// kubernetes/kubernetes pkg/controller/serviceaccount/serviceaccounts_controller.go, which ensures the
    /// "default" account in each namespace) and the <c>kube-root-ca.crt</c> ConfigMap holding the cluster's CA (the root
    /// CA publisher, pkg/controller/certificates/rootcacertpublisher/publisher.go). Neither carries a label of the app,
    /// and a tool that prunes by label must leave them alone.
    /// </summary>
    private void FillNamespace(string ns)
    {
        if (Find(Resource("serviceaccounts"), ns, "default") is null)
        {
            Insert(Resource("serviceaccounts"), new JsonObject
            {
                ["apiVersion"] = "v1",
                ["kind"] = "ServiceAccount",
                ["metadata"] = new JsonObject { ["name"] = "default", ["namespace"] = ns },
            });
        }

        if (Find(Resource("configmaps"), ns, "kube-root-ca.crt") is null)
        {
            Insert(Resource("configmaps"), new JsonObject
            {
                ["apiVersion"] = "v1",
                ["kind"] = "ConfigMap",
                ["metadata"] = new JsonObject
                {
                    ["name"] = "kube-root-ca.crt",
                    ["namespace"] = ns,
                    ["annotations"] = new JsonObject { ["kubernetes.io/description"] = "Contains a CA bundle that can be used to verify the kube-apiserver when using internal endpoints such as the internal service IP or kubernetes.default.svc. No other usage is guaranteed across distributions of Kubernetes clusters." },
                },
                ["data"] = new JsonObject { ["ca.crt"] = CertificatePem },
            });
        }
    }

    private static bool NeedsLoadBalancer(JsonObject service) =>
        service["spec"]?["type"]?.ToString() == "LoadBalancer" && (service["status"]?["loadBalancer"]?["ingress"] is null);

    /// <summary>The address LoadBalancer Services get (TEST-NET-3 by default); null leaves them pending, as a cloud without capacity would.</summary>
    public string? LoadBalancerAddress { get; set; } = "203.0.113.10";

    /// <summary>The ReplicaSet controller's part: a deleted Pod of a Deployment's ReplicaSet is replaced by a new one (how "restart the app" works).</summary>
    private void ReplacePod(StoredObject pod)
    {
        var ns = pod.Namespace!;
        foreach (var owner in pod.Body["metadata"]?["ownerReferences"]?.AsArray() ?? [])
        {
            var rs = Stored(Resource("replicasets"), ns).FirstOrDefault(r => r.Body["metadata"]!["uid"]!.ToString() == owner?["uid"]?.ToString());
            foreach (var deploymentRef in rs?.Body["metadata"]?["ownerReferences"]?.AsArray() ?? [])
            {
                var deployment = Stored(Resource("deployments"), ns).FirstOrDefault(d => d.Body["metadata"]!["uid"]!.ToString() == deploymentRef?["uid"]?.ToString());
                if (deployment is not null)
                {
                    ReconcileDeployment(deployment);
                }
            }
        }
    }

    private const string PvProtectionFinalizer = "kubernetes.io/pv-protection";
    private const string PvcProtectionFinalizer = "kubernetes.io/pvc-protection";

    /// <summary>The manager kube-controller-manager's writes are recorded under (its User-Agent up to the first '/').</summary>
    private const string ControllerManager = "kube-controller-manager";

    private readonly HashSet<string> warnedClaims = new(StringComparer.Ordinal);

    /// <summary>
    /// How long the protection controllers take, after a volume or claim is marked for deletion, to remove its finalizer
    /// once nothing holds it; zero by default. On a real cluster this is mostly the Pod's graceful termination (30 s by
    /// default) before the claim is unused; here Pods go at once, so a test sets this to make the finalizers take seconds.
    /// Measured on the server's clock.
    /// </summary>
    public TimeSpan ProtectionLatency { get; set; }

    /// <summary>
    /// The volume controllers of kube-controller-manager, run before and after each request (they act between requests
    /// on a real cluster): the PVC and PV protection controllers (pkg/controller/volume/pvcprotection/
    /// pvc_protection_controller.go, pkg/controller/volume/pvprotection/pv_protection_controller.go) and the binder
    /// (pkg/controller/volume/persistentvolume/pv_controller.go, syncClaim and syncVolume).
    /// </summary>
    private void SyncVolumes()
    {
        var claims = Resource("persistentvolumeclaims");
        var volumes = Resource("persistentvolumes");
        foreach (var claim in Stored(claims, null).ToList())
        {
            // pvc-protection: the finalizer goes once no scheduled Pod names the claim in its volumes (podUsesPVC: "only
            // if pod is scheduled", whatever its phase).
            if (Releasable(claim, PvcProtectionFinalizer) && !Stored(Resource("pods"), claim.Namespace).Any(p => UsesClaim(p, claim.Name)))
            {
                RemoveFinalizer(claim, PvcProtectionFinalizer);
            }
        }
        SyncBinding();
        foreach (var volume in Stored(volumes, null).ToList())
        {
            // pv-protection, isBeingUsed: a volume is in use while its status.phase is Bound.
            if (Releasable(volume, PvProtectionFinalizer) && volume.Body["status"]?["phase"]?.ToString() != "Bound")
            {
                RemoveFinalizer(volume, PvProtectionFinalizer);
            }
        }
        SyncBinding();
    }

    private bool Releasable(StoredObject stored, string finalizer) =>
        stored.Body["metadata"]?["deletionTimestamp"]?.ToString() is { } since
        && Finalizers(stored.Body).Contains(finalizer)
        && time.GetUtcNow() >= DateTimeOffset.Parse(since, CultureInfo.InvariantCulture) + ProtectionLatency;

    private static bool UsesClaim(StoredObject pod, string claimName) =>
        !string.IsNullOrEmpty(pod.Body["spec"]?["nodeName"]?.ToString())
        && (pod.Body["spec"]?["volumes"]?.AsArray() ?? []).Any(v => v?["persistentVolumeClaim"]?["claimName"]?.ToString() == claimName);

    /// <summary>removeFinalizer: an Update by kube-controller-manager; the last finalizer of an object being deleted deletes it.</summary>
    private void RemoveFinalizer(StoredObject stored, string finalizer)
    {
        var body = (JsonObject)stored.Body.DeepClone();
        var rest = Finalizers(body).Where(f => f != finalizer).ToList();
        if (rest.Count == 0)
        {
            ((JsonObject)body["metadata"]!).Remove("finalizers");
            stored.Body = body;
            Remove(stored);
            return;
        }
        body["metadata"]!["finalizers"] = new JsonArray(rest.Select(f => (JsonNode?)f).ToArray());
        ControllerUpdate(stored, body);
    }

    /// <summary>A write of kube-controller-manager: an Update whose changed fields become its own, as the API server records them.</summary>
    private void ControllerUpdate(StoredObject stored, JsonObject body)
    {
        var managers = stored.Managers.Select(m => m.Copy()).ToList();
        RecordUpdate(managers, stored.Body, body, ControllerManager, stored.Resource.GroupVersion);
        stored.Managers = managers;
        Replace(stored, body);
    }

    /// <summary>
    /// The binder, for the static volumes Kompox writes (no provisioning, no matching of unnamed claims), after
    /// pv_controller.go. syncUnboundClaim: a claim naming a volume whose claimRef is empty or names it (same namespace
    /// and name, uid empty or its own) is bound; a volume bound to another uid leaves the claim Pending with a
    /// FailedBinding event. syncBoundClaim: a bound claim whose volume is gone or bound elsewhere is Lost. syncVolume: a
    /// volume whose claimRef has a uid that no claim of that name has any more is Released, and with the Retain policy
    /// stays so until its claimRef's uid is removed by hand; one without claimRef or uid is Available.
    /// </summary>
    private void SyncBinding()
    {
        var claims = Resource("persistentvolumeclaims");
        var volumes = Resource("persistentvolumes");
        foreach (var claim in Stored(claims, null).ToList())
        {
            var claimUid = claim.Body["metadata"]!["uid"]!.ToString();
            var volumeName = claim.Body["spec"]?["volumeName"]?.ToString();
            var volume = string.IsNullOrEmpty(volumeName) ? null : Find(volumes, null, volumeName);
            var bindCompleted = claim.Body["metadata"]?["annotations"]?["pv.kubernetes.io/bind-completed"] is not null;
            var claimRef = volume?.Body["spec"]?["claimRef"];
            if (bindCompleted)
            {
                if (volume is null || claimRef?["uid"]?.ToString() != claimUid)
                {
                    SetPhase(claim, "Lost");
                }
                continue;
            }
            if (volume is null)
            {
                continue;
            }
            var refUid = claimRef?["uid"]?.ToString();
            var boundToClaim = claimRef is null
                || (claimRef["namespace"]?.ToString() == claim.Namespace && claimRef["name"]?.ToString() == claim.Name && (string.IsNullOrEmpty(refUid) || refUid == claimUid));
            if (!boundToClaim)
            {
                if (warnedClaims.Add(claimUid))
                {
                    AddEvent(claim.Namespace!, "PersistentVolumeClaim", "v1", claim.Name, claimUid, null, "Warning", "FailedBinding", $"volume \"{volume.Name}\" already bound to a different claim.", "persistentvolume-controller");
                }
                continue;
            }
            Bind(volume, claim, preBound: claimRef is not null);
        }
        foreach (var volume in Stored(volumes, null).ToList())
        {
            var claimRef = volume.Body["spec"]?["claimRef"];
            var phase = volume.Body["status"]?["phase"]?.ToString();
            if (claimRef?["uid"]?.ToString() is not { Length: > 0 } uid)
            {
                SetPhase(volume, "Available");
                continue;
            }
            var claim = Find(claims, claimRef["namespace"]?.ToString(), claimRef["name"]?.ToString() ?? "");
            if (claim is null || claim.Body["metadata"]!["uid"]!.ToString() != uid)
            {
                if (phase is not "Released" and not "Failed")
                {
                    SetPhase(volume, "Released");
                }
            }
            else if (claim.Body["spec"]?["volumeName"]?.ToString() == volume.Name)
            {
                SetPhase(volume, "Bound");
            }
        }
    }

    /// <summary>
    /// bind: the volume's claimRef becomes the claim's full reference (GetReference: kind, namespace, name, uid,
    /// apiVersion, resourceVersion), then the claim gets pv.kubernetes.io/bind-completed and its status; each an Update
    /// of kube-controller-manager.
    /// </summary>
    private void Bind(StoredObject volume, StoredObject claim, bool preBound)
    {
        var claimUid = claim.Body["metadata"]!["uid"]!.ToString();
        var volumeBody = (JsonObject)volume.Body.DeepClone();
        var spec = (JsonObject)volumeBody["spec"]!;
        if (spec["claimRef"]?["uid"]?.ToString() != claimUid)
        {
            spec["claimRef"] = new JsonObject
            {
                ["kind"] = "PersistentVolumeClaim",
                ["namespace"] = claim.Namespace,
                ["name"] = claim.Name,
                ["uid"] = claimUid,
                ["apiVersion"] = "v1",
                ["resourceVersion"] = claim.Body["metadata"]!["resourceVersion"]!.DeepClone(),
            };
            if (!preBound)
            {
                SetAnnotation(volumeBody, "pv.kubernetes.io/bound-by-controller", "yes");
            }
        }
        volumeBody["status"] = new JsonObject { ["phase"] = "Bound" };
        ControllerUpdate(volume, volumeBody);

        var claimBody = (JsonObject)claim.Body.DeepClone();
        SetAnnotation(claimBody, "pv.kubernetes.io/bind-completed", "yes");
        claimBody["status"] = new JsonObject
        {
            ["phase"] = "Bound",
            ["accessModes"] = volume.Body["spec"]?["accessModes"]?.DeepClone(),
            ["capacity"] = volume.Body["spec"]?["capacity"]?.DeepClone(),
        };
        ControllerUpdate(claim, claimBody);
    }

    private static void SetAnnotation(JsonObject body, string key, string value)
    {
        var metadata = (JsonObject)body["metadata"]!;
        if (metadata["annotations"] is not JsonObject annotations)
        {
            annotations = new JsonObject();
            metadata["annotations"] = annotations;
        }
        annotations[key] = value;
    }

    private void SetPhase(StoredObject stored, string phase)
    {
        if (stored.Body["status"]?["phase"]?.ToString() == phase)
        {
            return;
        }
        var body = (JsonObject)stored.Body.DeepClone();
        if (body["status"] is not JsonObject status)
        {
            status = new JsonObject();
            body["status"] = status;
        }
        status["phase"] = phase;
        Replace(stored, body);
    }

    /// <summary>
    /// The Deployment and ReplicaSet controllers, the scheduler and the kubelet in one step: a ReplicaSet per pod template
    /// (named by the template's hash), its Pods created (failing as <see cref="FailNextRollout"/> asked), old Pods removed
    /// (first, for Recreate; once the new ones are ready, for RollingUpdate), and the statuses written.
    /// </summary>
    private void ReconcileDeployment(StoredObject deployment)
    {
        if (deployment.Body["spec"] is not JsonObject spec || spec["template"] is not JsonObject template)
        {
            return;
        }
        var ns = deployment.Namespace!;
        var name = deployment.Name;
        var uid = deployment.Body["metadata"]!["uid"]!.ToString();
        var hash = TemplateHash(template);
        var replicas = spec["replicas"]?.GetValue<int>() ?? 1;
        var recreate = spec["strategy"]?["type"]?.ToString() == "Recreate";
        var replicaSets = Resource("replicasets");
        var pods = Resource("pods");
        var owned = Stored(replicaSets, ns).Where(rs => OwnedBy(rs, uid)).ToList();
        var current = owned.FirstOrDefault(rs => rs.Body["metadata"]?["labels"]?["pod-template-hash"]?.ToString() == hash);
        var revision = owned.Count == 0 ? 1 : owned.Max(Revision) + 1;
        if (current is not null && Revision(current) < revision - 1)
        {
            // Back to an earlier template: the Deployment controller scales its old ReplicaSet up again as the newest revision.
            var reused = (JsonObject)current.Body.DeepClone();
            reused["metadata"]!["annotations"]!["deployment.kubernetes.io/revision"] = revision.ToString(CultureInfo.InvariantCulture);
            Replace(current, reused);
        }

        if (current is null)
        {
            current = Insert(replicaSets, NewReplicaSet(deployment, template, hash, replicas, revision));
            if (failures.Count > 0)
            {
                failureOfReplicaSet[current.Body["metadata"]!["uid"]!.ToString()] = failures.Dequeue();
            }
            AddEvent(ns, "Deployment", "apps/v1", name, uid, null, "Normal", "ScalingReplicaSet", $"Scaled up replica set {current.Name} from 0 to {replicas}", "deployment-controller");
        }
        var currentUid = current.Body["metadata"]!["uid"]!.ToString();
        var old = owned.Where(rs => rs != current).ToList();
        if (recreate)
        {
            ScaleDown(old, ns);
        }
        var currentPods = Stored(pods, ns).Where(p => OwnedBy(p, currentUid)).ToList();
        // The ReplicaSet controller creates the missing Pods through the API server, whose admission may refuse one;
        // it stops at the first refusal (pkg/controller/replicaset/replica_set.go manageReplicas, slowStartBatch).
        string? createError = null;
        for (var i = currentPods.Count; i < replicas && createError is null; i++)
        {
            var (created, refusal) = CreatePod(deployment, current, template, hash, failureOfReplicaSet.GetValueOrDefault(currentUid));
            if (created is not null)
            {
                currentPods.Add(created);
            }
            createError = refusal;
        }
        foreach (var extra in currentPods.Skip(replicas).ToList())
        {
            Remove(extra);
            currentPods.Remove(extra);
        }
        var ready = currentPods.Count(IsReady);
        if (!recreate && ready == replicas)
        {
            ScaleDown(old, ns);
        }
        UpdateReplicaSetStatus(current, replicas, currentPods, createError);
        SyncQuotas(ns);
        var allPods = owned.Append(current).Distinct().SelectMany(rs => Stored(pods, ns).Where(p => OwnedBy(p, rs.Body["metadata"]!["uid"]!.ToString()))).ToList();
        var allReady = allPods.Count(IsReady);
        var body = (JsonObject)deployment.Body.DeepClone();
        var status = new JsonObject { ["observedGeneration"] = body["metadata"]!["generation"]!.DeepClone() };
        if (allPods.Count > 0)
        {
            status["replicas"] = allPods.Count;
        }
        if (currentPods.Count > 0)
        {
            status["updatedReplicas"] = currentPods.Count;
        }
        if (allReady > 0)
        {
            status["readyReplicas"] = allReady;
            status["availableReplicas"] = allReady;
        }
        if (allPods.Count - allReady > 0)
        {
            status["unavailableReplicas"] = allPods.Count - allReady;
        }
        var available = allReady >= replicas;
        var complete = ready == replicas && allPods.Count == replicas;
        var conditions = new JsonArray(
            Condition(deployment, "Available", available, available ? "MinimumReplicasAvailable" : "MinimumReplicasUnavailable", available ? "Deployment has minimum availability." : "Deployment does not have minimum availability."),
            Condition(deployment, "Progressing", true, complete ? "NewReplicaSetAvailable" : "ReplicaSetUpdated", complete ? $"ReplicaSet \"{current.Name}\" has successfully progressed." : $"ReplicaSet \"{current.Name}\" is progressing."));
        if (createError is not null)
        {
            // The Deployment controller moves its ReplicaSet's failure into its own conditions (pkg/controller/deployment/sync.go getReplicaFailures).
            conditions.Add(Condition(deployment, "ReplicaFailure", true, "FailedCreate", createError));
        }
        status["conditions"] = conditions;
        body["status"] = status;
        Replace(deployment, body);
    }

    private static int Revision(StoredObject replicaSet) =>
        int.Parse(replicaSet.Body["metadata"]?["annotations"]?["deployment.kubernetes.io/revision"]?.ToString() ?? "0", CultureInfo.InvariantCulture);

    private void ScaleDown(List<StoredObject> replicaSets, string ns)
    {
        foreach (var rs in replicaSets)
        {
            var rsUid = rs.Body["metadata"]!["uid"]!.ToString();
            foreach (var pod in Stored(Resource("pods"), ns).Where(p => OwnedBy(p, rsUid)).ToList())
            {
                Remove(pod);
            }
            UpdateReplicaSetStatus(rs, 0, []);
        }
    }

    /// <summary>
    /// The ReplicaSet's status; a Pod the API server refused to create is the condition ReplicaFailure with reason
    /// FailedCreate and the server's error as its message, removed once creating works again
    /// (pkg/controller/replicaset/replica_set_utils.go calculateStatus).
    /// </summary>
    private void UpdateReplicaSetStatus(StoredObject rs, int replicas, List<StoredObject> pods, string? createError = null)
    {
        var body = (JsonObject)rs.Body.DeepClone();
        body["spec"]!["replicas"] = replicas;
        var ready = pods.Count(IsReady);
        var status = new JsonObject { ["replicas"] = pods.Count, ["observedGeneration"] = body["metadata"]!["generation"]!.DeepClone() };
        if (ready > 0)
        {
            status["readyReplicas"] = ready;
            status["availableReplicas"] = ready;
        }
        status["fullyLabeledReplicas"] = pods.Count;
        if (createError is not null)
        {
            var previous = rs.Body["status"]?["conditions"]?.AsArray().FirstOrDefault(c => c?["type"]?.ToString() == "ReplicaFailure");
            status["conditions"] = new JsonArray(new JsonObject
            {
                ["type"] = "ReplicaFailure",
                ["status"] = "True",
                ["lastTransitionTime"] = previous?["lastTransitionTime"]?.DeepClone() ?? Now(),
                ["reason"] = "FailedCreate",
                ["message"] = createError,
            });
        }
        body["status"] = status;
        Replace(rs, body);
    }

    /// <summary>A condition keeping its times while its status and reason stay the same (so a repeated reconcile changes nothing).</summary>
    private JsonObject Condition(StoredObject owner, string type, bool value, string reason, string message)
    {
        var previous = owner.Body["status"]?["conditions"]?.AsArray().FirstOrDefault(c => c?["type"]?.ToString() == type);
        var same = previous?["status"]?.ToString() == (value ? "True" : "False") && previous?["reason"]?.ToString() == reason;
        return new JsonObject
        {
            ["type"] = type,
            ["status"] = value ? "True" : "False",
            ["lastUpdateTime"] = same ? previous!["lastUpdateTime"]?.DeepClone() : Now(),
            ["lastTransitionTime"] = same ? previous!["lastTransitionTime"]?.DeepClone() : Now(),
            ["reason"] = reason,
            ["message"] = message,
        };
    }

    private static bool OwnedBy(StoredObject stored, string uid) =>
        stored.Body["metadata"]?["ownerReferences"] is JsonArray owners && owners.Any(o => o?["uid"]?.ToString() == uid);

    private static bool IsReady(StoredObject pod) =>
        pod.Body["status"]?["conditions"]?.AsArray().Any(c => c?["type"]?.ToString() == "Ready" && c["status"]?.ToString() == "True") == true;

    private static JsonObject OwnerReference(StoredObject owner) => new()
    {
        ["apiVersion"] = owner.Resource.GroupVersion,
        ["kind"] = owner.Resource.Kind,
        ["name"] = owner.Name,
        ["uid"] = owner.Body["metadata"]!["uid"]!.DeepClone(),
        ["controller"] = true,
        ["blockOwnerDeletion"] = true,
    };

    private static JsonObject NewReplicaSet(StoredObject deployment, JsonObject template, string hash, int replicas, int revision)
    {
        var podTemplate = (JsonObject)template.DeepClone();
        var templateMetadata = podTemplate["metadata"] as JsonObject ?? new JsonObject();
        podTemplate["metadata"] = templateMetadata;
        var labels = templateMetadata["labels"] as JsonObject ?? new JsonObject();
        templateMetadata["labels"] = labels;
        labels["pod-template-hash"] = hash;
        var selector = deployment.Body["spec"]?["selector"]?.DeepClone() as JsonObject ?? new JsonObject();
        if (selector["matchLabels"] is not JsonObject matchLabels)
        {
            matchLabels = new JsonObject();
            selector["matchLabels"] = matchLabels;
        }
        matchLabels["pod-template-hash"] = hash;
        return new JsonObject
        {
            ["apiVersion"] = "apps/v1",
            ["kind"] = "ReplicaSet",
            ["metadata"] = new JsonObject
            {
                ["name"] = $"{deployment.Name}-{hash}",
                ["namespace"] = deployment.Namespace,
                ["labels"] = labels.DeepClone(),
                ["annotations"] = new JsonObject
                {
                    ["deployment.kubernetes.io/desired-replicas"] = replicas.ToString(CultureInfo.InvariantCulture),
                    ["deployment.kubernetes.io/max-replicas"] = replicas.ToString(CultureInfo.InvariantCulture),
                    ["deployment.kubernetes.io/revision"] = revision.ToString(CultureInfo.InvariantCulture),
                },
                ["ownerReferences"] = new JsonArray(OwnerReference(deployment)),
            },
            ["spec"] = new JsonObject { ["replicas"] = replicas, ["selector"] = selector, ["template"] = podTemplate },
        };
    }

    /// <summary>The Pod made, or why the API server refused it (then recorded as the controller's FailedCreate event on the ReplicaSet).</summary>
    private (StoredObject? Pod, string? Refusal) CreatePod(StoredObject deployment, StoredObject rs, JsonObject template, string hash, RolloutFailure? failure)
    {
        var ns = deployment.Namespace!;
        var name = $"{rs.Name}-{RandomSuffix()}";
        var metadata = new JsonObject
        {
            ["name"] = name,
            ["generateName"] = rs.Name + "-",
            ["namespace"] = ns,
            ["labels"] = template["metadata"]?["labels"]?.DeepClone() ?? new JsonObject(),
            ["ownerReferences"] = new JsonArray(OwnerReference(rs)),
        };
        metadata["labels"]!["pod-template-hash"] = hash;
        if (template["metadata"]?["annotations"] is JsonObject annotations)
        {
            metadata["annotations"] = annotations.DeepClone();
        }
        var spec = (JsonObject)(template["spec"]?.DeepClone() ?? new JsonObject());
        var unschedulable = failure?.Kind == RolloutFailureKind.Unschedulable;
        if (!unschedulable)
        {
            spec["nodeName"] = NodeName;
        }
        var containers = spec["containers"]?.AsArray().OfType<JsonObject>().ToList() ?? [];
        var failing = failure is null or { Kind: RolloutFailureKind.Unschedulable } ? null : failure.Container ?? containers.FirstOrDefault()?["name"]?.ToString();
        var waitingPod = failure?.Kind is RolloutFailureKind.FailedMount or RolloutFailureKind.FailedAttachVolume or RolloutFailureKind.Initializing;
        var body = new JsonObject { ["apiVersion"] = "v1", ["kind"] = "Pod", ["metadata"] = metadata, ["spec"] = spec };
        if (RefusePod(ns, body) is { } refusal)
        {
            // pkg/controller/controller_utils.go createPods: the controller's event is "Error creating: " and the error.
            AddEvent(ns, "ReplicaSet", "apps/v1", rs.Name, rs.Body["metadata"]!["uid"]!.ToString(), null, "Warning", "FailedCreate", $"Error creating: {refusal}", "replicaset-controller");
            return (null, refusal);
        }
        var pod = Insert(Resource("pods"), body);
        var podUid = pod.Body["metadata"]!["uid"]!.ToString();
        var now = Now();
        JsonObject status;
        if (unschedulable)
        {
            status = new JsonObject
            {
                ["phase"] = "Pending",
                ["conditions"] = new JsonArray(new JsonObject
                {
                    ["type"] = "PodScheduled",
                    ["status"] = "False",
                    ["lastProbeTime"] = null,
                    ["lastTransitionTime"] = now,
                    ["reason"] = "Unschedulable",
                    ["message"] = failure!.Message,
                }),
                ["qosClass"] = "Burstable",
            };
            AddEvent(ns, "Pod", "v1", name, podUid, null, "Warning", "FailedScheduling", failure.Message, "default-scheduler");
        }
        else if (waitingPod)
        {
            status = WaitingPodStatus(ns, name, podUid, spec, failure!, now);
        }
        else
        {
            var statuses = new JsonArray();
            foreach (var container in containers)
            {
                var containerName = container["name"]?.ToString() ?? "";
                var image = container["image"]?.ToString() ?? "";
                statuses.Add(ContainerStatus(ns, name, podUid, containerName, image, containerName == failing ? failure : null, now));
            }
            var allReady = failing is null;
            var notReady = failing is null ? "" : $"containers with unready status: [{failing}]";
            status = new JsonObject
            {
                ["phase"] = failure?.Kind == RolloutFailureKind.ImagePullBackOff ? "Pending" : "Running",
                ["conditions"] = new JsonArray(
                    PodCondition("PodReadyToStartContainers", true, now, null),
                    PodCondition("Initialized", true, now, null),
                    PodCondition("Ready", allReady, now, notReady),
                    PodCondition("ContainersReady", allReady, now, notReady),
                    PodCondition("PodScheduled", true, now, null)),
                ["hostIP"] = "10.224.0.4",
                ["hostIPs"] = new JsonArray(new JsonObject { ["ip"] = "10.224.0.4" }),
                ["podIP"] = $"10.244.0.{nextPodIp}",
                ["podIPs"] = new JsonArray(new JsonObject { ["ip"] = $"10.244.0.{nextPodIp++}" }),
                ["startTime"] = now,
                ["containerStatuses"] = statuses,
                ["qosClass"] = "Burstable",
            };

            // A running Pod's kubelet reports every init container (pkg/kubelet/kubelet_pods.go generateAPIPodStatus,
            // convertToAPIContainerStatuses): a plain one terminated with reason Completed and exit code 0, a sidecar
            // (restartPolicy Always, KEP-753) running, started and, with no failing probe, ready.
            var inits = spec["initContainers"]?.AsArray().OfType<JsonObject>().ToList() ?? [];
            if (inits.Count > 0)
            {
                status["initContainerStatuses"] = new JsonArray(inits.Select(init =>
                {
                    var initName = init["name"]?.ToString() ?? "";
                    var image = init["image"]?.ToString() ?? "";
                    if (init["restartPolicy"]?.ToString() == "Always")
                    {
                        return (JsonNode)ContainerStatus(ns, name, podUid, initName, image, null, now);
                    }

                    return new JsonObject
                    {
                        ["name"] = initName,
                        ["image"] = image,
                        ["imageID"] = $"{image.Split(':')[0]}@sha256:{Hex(image, 64)}",
                        ["containerID"] = $"containerd://{Hex(name + initName, 64)}",
                        ["ready"] = true,
                        ["started"] = false,
                        ["restartCount"] = 0,
                        ["state"] = new JsonObject { ["terminated"] = new JsonObject { ["exitCode"] = 0, ["reason"] = "Completed", ["startedAt"] = now, ["finishedAt"] = now } },
                        ["lastState"] = new JsonObject(),
                    };
                }).ToArray());
            }

            AddEvent(ns, "Pod", "v1", name, podUid, null, "Normal", "Scheduled", $"Successfully assigned {ns}/{name} to {NodeName}", "default-scheduler");
        }
        var withStatus = (JsonObject)pod.Body.DeepClone();
        withStatus["status"] = status;
        Replace(pod, withStatus);
        return (pod, null);
    }

    /// <summary>
    /// A Pod a client created itself (no controller owns it): the scheduler puts it on the node and its kubelet runs its
    /// containers (pkg/kubelet/kubelet.go SyncPod), once each claim it mounts is Bound; a claim missing or not Bound keeps
    /// it Pending, as the scheduler's VolumeBinding plugin says (pkg/scheduler/framework/plugins/volumebinding/
    /// volume_binding.go: ErrReasonUnboundImmediatePVC "pod has unbound immediate PersistentVolumeClaims"). Such a Pod
    /// is not scheduled again when its claim binds later (see README).
    /// </summary>
    private static bool Unstarted(StoredObject pod) =>
        pod.Body["metadata"]?["ownerReferences"] is null && pod.Body["spec"]?["nodeName"] is null && pod.Body["status"]?["phase"] is null;

    private void StartBarePod(StoredObject pod)
    {
        var ns = pod.Namespace!;
        var name = pod.Name;
        var podUid = pod.Body["metadata"]!["uid"]!.ToString();
        var now = Now();
        var body = (JsonObject)pod.Body.DeepClone();
        var spec = (JsonObject)body["spec"]!;
        var claims = (spec["volumes"]?.AsArray() ?? []).Select(v => v?["persistentVolumeClaim"]?["claimName"]?.ToString()).OfType<string>();
        if (claims.Any(c => Find(Resource("persistentvolumeclaims"), ns, c)?.Body["status"]?["phase"]?.ToString() != "Bound"))
        {
            const string Unbound = "0/1 nodes are available: pod has unbound immediate PersistentVolumeClaims. preemption: 0/1 nodes are available: 1 Preemption is not helpful for scheduling.";
            body["status"] = new JsonObject
            {
                ["phase"] = "Pending",
                ["conditions"] = new JsonArray(new JsonObject { ["type"] = "PodScheduled", ["status"] = "False", ["lastProbeTime"] = null, ["lastTransitionTime"] = now, ["reason"] = "Unschedulable", ["message"] = Unbound }),
                ["qosClass"] = "Guaranteed",
            };
            AddEvent(ns, "Pod", "v1", name, podUid, null, "Warning", "FailedScheduling", Unbound, "default-scheduler");
            Replace(pod, body);
            return;
        }

        barePodFailures.TryDequeue(out var failure);
        if (failure?.Kind == RolloutFailureKind.Unschedulable)
        {
            body["status"] = new JsonObject
            {
                ["phase"] = "Pending",
                ["conditions"] = new JsonArray(new JsonObject { ["type"] = "PodScheduled", ["status"] = "False", ["lastProbeTime"] = null, ["lastTransitionTime"] = now, ["reason"] = "Unschedulable", ["message"] = failure.Message }),
                ["qosClass"] = "Guaranteed",
            };
            AddEvent(ns, "Pod", "v1", name, podUid, null, "Warning", "FailedScheduling", failure.Message, "default-scheduler");
            Replace(pod, body);
            return;
        }

        spec["nodeName"] = NodeName;
        var statuses = new JsonArray();
        var containers = spec["containers"]?.AsArray().OfType<JsonObject>().ToList() ?? [];
        var failing = failure is null ? null : failure.Container ?? containers.FirstOrDefault()?["name"]?.ToString();
        foreach (var container in containers)
        {
            var containerName = container["name"]?.ToString() ?? "";
            statuses.Add(ContainerStatus(ns, name, podUid, containerName, container["image"]?.ToString() ?? "", containerName == failing ? failure : null, now));
        }

        var notReady = failing is null ? null : $"containers with unready status: [{failing}]";
        body["status"] = new JsonObject
        {
            ["phase"] = failure is null ? "Running" : "Pending",
            ["conditions"] = new JsonArray(
                PodCondition("PodReadyToStartContainers", true, now, null),
                PodCondition("Initialized", true, now, null),
                PodCondition("Ready", failing is null, now, notReady),
                PodCondition("ContainersReady", failing is null, now, notReady),
                PodCondition("PodScheduled", true, now, null)),
            ["hostIP"] = "10.224.0.4",
            ["podIP"] = $"10.244.0.{nextPodIp++}",
            ["startTime"] = now,
            ["containerStatuses"] = statuses,
            ["qosClass"] = "Guaranteed",
        };
        AddEvent(ns, "Pod", "v1", name, podUid, null, "Normal", "Scheduled", $"Successfully assigned {ns}/{name} to {NodeName}", "default-scheduler");
        Replace(pod, body);
    }

    /// <summary>
    /// A scheduled Pod whose containers have not started: waiting in ContainerCreating while its volume is not attached or
    /// mounted (the kubelet's volume manager holds the sandbox back: pkg/kubelet/kubelet.go SyncPod, WaitForAttachAndMount),
    /// or in PodInitializing while an init container runs (pkg/kubelet/kubelet_pods.go convertToAPIContainerStatuses).
    /// </summary>
    private JsonObject WaitingPodStatus(string ns, string pod, string podUid, JsonObject spec, RolloutFailure failure, string now)
    {
        var inits = spec["initContainers"]?.AsArray().OfType<JsonObject>().ToList() ?? [];
        var containers = spec["containers"]?.AsArray().OfType<JsonObject>().ToList() ?? [];
        var initializing = failure.Kind == RolloutFailureKind.Initializing;
        if (initializing && inits.Count == 0)
        {
            throw new InvalidOperationException("RolloutFailure.Initializing needs a pod template with init containers");
        }
        JsonObject Waiting(JsonObject container, string reason) => new()
        {
            ["name"] = container["name"]?.ToString(),
            ["image"] = container["image"]?.ToString(),
            ["imageID"] = "",
            ["ready"] = false,
            ["started"] = false,
            ["restartCount"] = 0,
            ["state"] = new JsonObject { ["waiting"] = new JsonObject { ["reason"] = reason } },
            ["lastState"] = new JsonObject(),
        };
        var mainReason = initializing ? "PodInitializing" : "ContainerCreating";
        var initStatuses = new JsonArray();
        for (var i = 0; i < inits.Count; i++)
        {
            if (initializing && i == 0)
            {
                var image = inits[i]["image"]?.ToString() ?? "";
                initStatuses.Add(new JsonObject
                {
                    ["name"] = inits[i]["name"]?.ToString(),
                    ["image"] = image,
                    ["imageID"] = $"{image.Split(':')[0]}@sha256:{Hex(image, 64)}",
                    ["containerID"] = $"containerd://{Hex(pod + inits[i]["name"], 64)}",
                    ["ready"] = false,
                    ["started"] = true,
                    ["restartCount"] = 0,
                    ["state"] = new JsonObject { ["running"] = new JsonObject { ["startedAt"] = now } },
                    ["lastState"] = new JsonObject(),
                });
            }
            else
            {
                initStatuses.Add(Waiting(inits[i], initializing ? "PodInitializing" : "ContainerCreating"));
            }
        }
        var names = string.Join(" ", containers.Select(c => c["name"]?.ToString()));
        var initNames = string.Join(" ", inits.Select(c => c["name"]?.ToString()));
        var initialized = PodCondition("Initialized", inits.Count == 0, now, $"containers with incomplete status: [{initNames}]");
        if (inits.Count > 0)
        {
            initialized["reason"] = "ContainersNotInitialized";
        }
        var status = new JsonObject
        {
            ["phase"] = "Pending",
            ["conditions"] = new JsonArray(
                PodCondition("PodReadyToStartContainers", initializing, now, null),
                initialized,
                PodCondition("Ready", false, now, $"containers with unready status: [{names}]"),
                PodCondition("ContainersReady", false, now, $"containers with unready status: [{names}]"),
                PodCondition("PodScheduled", true, now, null)),
            ["hostIP"] = "10.224.0.4",
            ["hostIPs"] = new JsonArray(new JsonObject { ["ip"] = "10.224.0.4" }),
            ["startTime"] = now,
            ["containerStatuses"] = new JsonArray(containers.Select(c => (JsonNode)Waiting(c, mainReason)).ToArray()),
            ["qosClass"] = "Burstable",
        };
        if (inits.Count > 0)
        {
            status["initContainerStatuses"] = initStatuses;
        }
        AddEvent(ns, "Pod", "v1", pod, podUid, null, "Normal", "Scheduled", $"Successfully assigned {ns}/{pod} to {NodeName}", "default-scheduler");
        switch (failure.Kind)
        {
            case RolloutFailureKind.FailedMount:
                AddEvent(ns, "Pod", "v1", pod, podUid, null, "Warning", "FailedMount", failure.Message, "kubelet");
                break;
            case RolloutFailureKind.FailedAttachVolume:
                AddEvent(ns, "Pod", "v1", pod, podUid, null, "Warning", "FailedAttachVolume", failure.Message, "attachdetach-controller");
                break;
        }
        return status;
    }

    /// <summary>
    /// What the container runtime answers a failed pull with, as the kubelet quotes it: containerd's CRI plugin
    /// (internal/cri/server/images/image_pull.go "failed to pull and unpack image %q: %w", and the resolver's
    /// "failed to resolve reference %q: %w", core/remotes/docker/resolver.go "%s: not found" on a 404), CRI-O's
    /// "reading manifest ... manifest unknown" (containers/image docker/docker_image_src.go), a dial timeout, and the
    /// Docker Hub rate limit (429 toomanyrequests).
    /// </summary>
    private static string PullError(string image, ImagePullCause cause)
    {
        var reference = image.Contains('/', StringComparison.Ordinal) ? (image.Split('/')[0].Contains('.', StringComparison.Ordinal) ? image : $"docker.io/{image}") : $"docker.io/library/{image}";
        var repository = reference.Split(':')[0];
        var tag = reference.Contains(':', StringComparison.Ordinal) ? reference[(reference.LastIndexOf(':') + 1)..] : "latest";
        var registry = repository.Split('/')[0];
        var host = registry == "docker.io" ? "registry-1.docker.io" : registry;
        var path = repository[(registry.Length + 1)..];
        return cause switch
        {
            ImagePullCause.ManifestUnknown => $"rpc error: code = Unknown desc = initializing source docker://{image}: reading manifest {tag} in {repository}: manifest unknown",
            ImagePullCause.Timeout => $"rpc error: code = DeadlineExceeded desc = failed to pull and unpack image \"{reference}\": failed to resolve reference \"{reference}\": failed to do request: Head \"https://{host}/v2/{path}/manifests/{tag}\": dial tcp 20.60.40.4:443: i/o timeout",
            ImagePullCause.RateLimited => $"rpc error: code = Unknown desc = failed to pull and unpack image \"{reference}\": failed to resolve reference \"{reference}\": unexpected status from HEAD request to https://{host}/v2/{path}/manifests/{tag}: 429 Too Many Requests",
            _ => $"rpc error: code = NotFound desc = failed to pull and unpack image \"{reference}\": failed to resolve reference \"{reference}\": {reference}: not found",
        };
    }

    private static JsonObject PodCondition(string type, bool value, string now, string? message)
    {
        var condition = new JsonObject { ["type"] = type, ["status"] = value ? "True" : "False", ["lastProbeTime"] = null, ["lastTransitionTime"] = now };
        if (!value && message is not null)
        {
            condition["reason"] = "ContainersNotReady";
            condition["message"] = message;
        }
        return condition;
    }

    private JsonObject ContainerStatus(string ns, string pod, string podUid, string container, string image, RolloutFailure? failure, string now)
    {
        var status = new JsonObject
        {
            ["name"] = container,
            ["image"] = image,
            ["imageID"] = failure?.Kind == RolloutFailureKind.ImagePullBackOff ? "" : $"{image.Split(':')[0]}@sha256:{Hex(image, 64)}",
            ["containerID"] = failure?.Kind == RolloutFailureKind.ImagePullBackOff ? null : $"containerd://{Hex(pod + container, 64)}",
            ["ready"] = failure is null,
            ["started"] = failure is null,
            ["restartCount"] = failure?.RestartCount ?? 0,
        };
        if (failure is null)
        {
            status["state"] = new JsonObject { ["running"] = new JsonObject { ["startedAt"] = now } };
            status["lastState"] = new JsonObject();
            return status;
        }
        var fieldPath = $"spec.containers{{{container}}}";
        if (failure.Kind == RolloutFailureKind.NeverReady)
        {
            status["started"] = true;
            status["state"] = new JsonObject { ["running"] = new JsonObject { ["startedAt"] = now } };
            status["lastState"] = new JsonObject();
            AddEvent(ns, "Pod", "v1", pod, podUid, fieldPath, "Warning", "Unhealthy", "Readiness probe failed: connection refused", "kubelet");
            return status;
        }
        if (failure.Kind == RolloutFailureKind.ImagePullBackOff)
        {
            status.Remove("containerID");
            // pkg/kubelet/images/image_manager.go pullImage: the pull's error is the Failed event; in the back-off that
            // follows, the waiting message carries the previous error after "Back-off pulling image" (kubelet 1.32 on;
            // before, the back-off message alone).
            var error = PullError(image, failure.PullCause);
            var backOff = $"Back-off pulling image \"{image}\"";
            status["state"] = new JsonObject { ["waiting"] = new JsonObject { ["reason"] = "ImagePullBackOff", ["message"] = MinorVersion >= 32 ? $"{backOff}: ErrImagePull: {error}" : backOff } };
            status["lastState"] = new JsonObject();
            AddEvent(ns, "Pod", "v1", pod, podUid, fieldPath, "Normal", "Pulling", $"Pulling image \"{image}\"", "kubelet");
            AddEvent(ns, "Pod", "v1", pod, podUid, fieldPath, "Warning", "Failed", $"Failed to pull image \"{image}\": {error}", "kubelet");
            AddEvent(ns, "Pod", "v1", pod, podUid, fieldPath, "Warning", "Failed", "Error: ErrImagePull", "kubelet");
            AddEvent(ns, "Pod", "v1", pod, podUid, fieldPath, "Normal", "BackOff", $"Back-off pulling image \"{image}\"", "kubelet");
            AddEvent(ns, "Pod", "v1", pod, podUid, fieldPath, "Warning", "Failed", "Error: ImagePullBackOff", "kubelet");
            return status;
        }
        status["state"] = new JsonObject
        {
            ["waiting"] = new JsonObject { ["reason"] = "CrashLoopBackOff", ["message"] = $"back-off 40s restarting failed container={container} pod={pod}_{ns}({podUid})" },
        };
        status["lastState"] = new JsonObject
        {
            ["terminated"] = new JsonObject
            {
                ["exitCode"] = failure.ExitCode,
                ["reason"] = failure.ExitCode == 0 ? "Completed" : "Error",
                ["startedAt"] = now,
                ["finishedAt"] = now,
                ["containerID"] = $"containerd://{Hex(pod + container + "previous", 64)}",
            },
        };
        var at = time.GetUtcNow();
        foreach (var line in failure.PreviousLog)
        {
            AddLog(ns, pod, container, true, line, at);
        }
        AddEvent(ns, "Pod", "v1", pod, podUid, fieldPath, "Warning", "BackOff", $"Back-off restarting failed container {container} in pod {pod}_{ns}({podUid})", "kubelet");
        return status;
    }

    private void AddEvent(string ns, string kind, string apiVersion, string name, string uid, string? fieldPath, string type, string reason, string message, string component)
    {
        var involved = new JsonObject { ["kind"] = kind, ["namespace"] = ns, ["name"] = name, ["uid"] = uid, ["apiVersion"] = apiVersion };
        if (fieldPath is not null)
        {
            involved["fieldPath"] = fieldPath;
        }
        var now = Now();
        Insert(Resource("events"), new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "Event",
            ["metadata"] = new JsonObject { ["name"] = $"{name}.{Hex(Guid.NewGuid().ToString(), 16)}", ["namespace"] = ns },
            ["involvedObject"] = involved,
            ["reason"] = reason,
            ["message"] = message,
            ["source"] = component == "kubelet" ? new JsonObject { ["component"] = component, ["host"] = NodeName } : new JsonObject { ["component"] = component },
            ["firstTimestamp"] = now,
            ["lastTimestamp"] = now,
            ["count"] = 1,
            ["type"] = type,
            ["reportingComponent"] = component,
            ["reportingInstance"] = component == "kubelet" ? NodeName : "",
        });
    }

    /// <summary>The pod-template-hash as the Deployment controller spells it: FNV-1a of the template, in its safe alphabet.</summary>
    private static string TemplateHash(JsonObject template)
    {
        const string alphabet = "bcdfghjklmnpqrstvwxz2456789";
        var hash = 2166136261u;
        foreach (var b in Encoding.UTF8.GetBytes(template.ToJsonString()))
        {
            hash = unchecked((hash ^ b) * 16777619u);
        }
        var builder = new StringBuilder();
        foreach (var c in hash.ToString(CultureInfo.InvariantCulture))
        {
            builder.Append(alphabet[(c - '0' + builder.Length) % alphabet.Length]);
        }
        return builder.ToString();
    }

    private static string Hex(string seed, int length)
    {
        var bytes = System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes(seed));
        return Convert.ToHexStringLower(bytes)[..Math.Min(length, 64)];
    }

    private string PodLog(Target target, Dictionary<string, string> query)
    {
        var (_, lines) = PodLogSelection(target, query);
        return RenderLog(lines, query.GetValueOrDefault("timestamps") == "true");
    }

    /// <summary>
    /// The log a pods/log request reads (the key of the container run it answers for) and the lines it answers with
    /// after sinceSeconds and tailLines; errors as the kubelet gives them for a bad container or one with nothing to show.
    /// </summary>
    private ((string Namespace, string Pod, string Container, bool Previous) Key, List<(DateTimeOffset At, string Line)> Lines) PodLogSelection(Target target, Dictionary<string, string> query)
    {
        var pod = Get(target.Resource, target.Namespace, target.Name!);
        var name = pod.Name;
        var containers = pod.Body["spec"]?["containers"]?.AsArray().Select(c => c?["name"]?.ToString() ?? "").ToList() ?? [];
        var inits = pod.Body["spec"]?["initContainers"]?.AsArray().Select(c => c?["name"]?.ToString() ?? "").ToList() ?? [];
        var container = query.GetValueOrDefault("container");
        if (string.IsNullOrEmpty(container))
        {
            container = containers.Count == 1 ? containers[0] : throw ApiError.BadRequest($"a container name must be specified for pod {name}, choose one of: [{string.Join(" ", containers)}]{(inits.Count > 0 ? $" or one of the init containers: [{string.Join(" ", inits)}]" : "")}");
        }
        if (!containers.Contains(container) && !inits.Contains(container))
        {
            throw ApiError.BadRequest($"container {container} is not valid for pod {name}");
        }
        var previous = query.GetValueOrDefault("previous") == "true";
        var status = (pod.Body["status"]?["containerStatuses"]?.AsArray() ?? []).Concat(pod.Body["status"]?["initContainerStatuses"]?.AsArray() ?? []).FirstOrDefault(s => s?["name"]?.ToString() == container);
        var waiting = status?["state"]?["waiting"]?["reason"]?.ToString();
        var crashing = waiting == "CrashLoopBackOff";
        if (previous && status?["lastState"]?["terminated"] is null)
        {
            throw ApiError.BadRequest($"previous terminated container \"{container}\" in pod \"{name}\" not found");
        }
        if (!previous && status?["state"]?["running"] is null && !crashing)
        {
            // pkg/kubelet/kubelet_pods.go validateContainerLogStatus: a container that never ran says what it waits for
            // (an app container PodInitializing while the init containers run), as a 400 of the API server.
            var reason = waiting switch
            {
                "ErrImagePull" => "image can't be pulled",
                "ImagePullBackOff" => "trying and failing to pull image",
                null => "ContainerCreating",
                _ => waiting,
            };
            throw ApiError.BadRequest($"container \"{container}\" in pod \"{name}\" is waiting to start: {reason}");
        }
        // The kubelet answers for the latest container: a crash-looping one's last run is the terminated one.
        var key = (target.Namespace!, name, container, previous || crashing);
        var lines = (IEnumerable<(DateTimeOffset At, string Line)>)(logs.GetValueOrDefault(key) ?? []);
        if (query.GetValueOrDefault("sinceSeconds") is { } since && long.TryParse(since, CultureInfo.InvariantCulture, out var seconds))
        {
            var from = time.GetUtcNow().AddSeconds(-seconds);
            lines = lines.Where(l => l.At >= from);
        }
        if (query.GetValueOrDefault("tailLines") is { } tail && int.TryParse(tail, CultureInfo.InvariantCulture, out var count))
        {
            lines = lines.TakeLast(Math.Max(count, 0));
        }
        return (key, lines.ToList());
    }

    private static string RenderLog(IEnumerable<(DateTimeOffset At, string Line)> lines, bool timestamps)
    {
        var builder = new StringBuilder();
        foreach (var (at, line) in lines)
        {
            if (timestamps)
            {
                builder.Append(at.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture)).Append(' ');
            }
            builder.Append(line).Append('\n');
        }
        return builder.ToString();
    }
}
