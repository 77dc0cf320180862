using System.Text.RegularExpressions;
using k8s;
using k8s.Models;
using Kompox.Testing.KubeApi;
using Microsoft.Extensions.Time.Testing;
using static Kompox.Tests.KubeApi.KubeApiHarness;

namespace Kompox.Tests.KubeApi;

public sealed class RolloutTests
{
    private static async Task<V1Pod> SinglePodAsync(IKubernetes client, string ns, string app) =>
        Assert.Single((await client.CoreV1.ListNamespacedPodAsync(ns, labelSelector: $"app={app}").Within()).Items);

    private static async Task<string> LogAsync(IKubernetes client, string pod, string ns, string? container = null, bool? previous = null, int? tailLines = null, int? sinceSeconds = null, bool? timestamps = null)
    {
        await using var stream = await client.CoreV1.ReadNamespacedPodLogAsync(pod, ns, container: container, previous: previous, tailLines: tailLines, sinceSeconds: sinceSeconds, timestamps: timestamps).Within();
        using var reader = new StreamReader(stream);
        return await reader.ReadToEndAsync().Within();
    }

    [Fact]
    public async Task AppliedDeploymentGetsAReadyPodAndStatus()
    {
        await using var harness = await StartAsync().Within();
        var client = harness.Client();
        await harness.CreateNamespaceAsync(client, "app").Within();
        await client.AppsV1.PatchNamespacedDeploymentAsync(Apply(Deployment("app", "web", ("web", "nginx:1.27"), ("db", "postgres:17"))), "web", "app", fieldManager: "kompox").Within();

        var pod = await SinglePodAsync(client, "app", "web").Within();
        var rs = Assert.Single((await client.AppsV1.ListNamespacedReplicaSetAsync("app").Within()).Items);
        Assert.Matches(new Regex($"^{rs.Metadata.Name}-[bcdfghjklmnpqrstvwxz2456789]{{5}}$"), pod.Metadata.Name);
        Assert.Matches(new Regex("^web-[bcdfghjklmnpqrstvwxz2456789]+$"), rs.Metadata.Name);
        Assert.Equal("Running", pod.Status.Phase);
        Assert.Equal(harness.Server.NodeName, pod.Spec.NodeName);
        Assert.Contains(pod.Status.Conditions, c => c.Type == "Ready" && c.Status == "True");
        Assert.All(pod.Status.ContainerStatuses, s => Assert.True(s.Ready && s.State.Running is not null));
        Assert.Equal(["web", "db"], pod.Status.ContainerStatuses.Select(s => s.Name));
        Assert.Equal("Deployment", rs.Metadata.OwnerReferences.Single().Kind);

        var deployment = await client.AppsV1.ReadNamespacedDeploymentAsync("web", "app").Within();
        Assert.Equal(1, deployment.Status.ReadyReplicas);
        Assert.Equal(1, deployment.Status.UpdatedReplicas);
        Assert.Equal(1, deployment.Status.AvailableReplicas);
        Assert.Equal(deployment.Metadata.Generation, deployment.Status.ObservedGeneration);
        Assert.Contains(deployment.Status.Conditions, c => c.Type == "Available" && c.Status == "True");
    }

    [Fact]
    public async Task ChangedTemplateRecreatesThePodAndSameTemplateKeepsIt()
    {
        await using var harness = await StartAsync().Within();
        var client = harness.Client();
        await harness.CreateNamespaceAsync(client, "app").Within();
        var deployment = Deployment("app", "web", ("web", "nginx:1.27"));
        await client.AppsV1.PatchNamespacedDeploymentAsync(Apply(deployment), "web", "app", fieldManager: "kompox").Within();
        var first = await SinglePodAsync(client, "app", "web").Within();

        await client.AppsV1.PatchNamespacedDeploymentAsync(Apply(deployment), "web", "app", fieldManager: "kompox").Within();
        Assert.Equal(first.Metadata.Name, (await SinglePodAsync(client, "app", "web").Within()).Metadata.Name);

        deployment.Spec.Template.Metadata.Annotations = new Dictionary<string, string> { ["kompox.dev/config-hash"] = "abc123" };
        var updated = await client.AppsV1.PatchNamespacedDeploymentAsync(Apply(deployment), "web", "app", fieldManager: "kompox").Within();
        var second = await SinglePodAsync(client, "app", "web").Within();
        Assert.NotEqual(first.Metadata.Name, second.Metadata.Name);
        Assert.Equal("abc123", second.Metadata.Annotations["kompox.dev/config-hash"]);
        Assert.NotEqual(first.Metadata.Labels["pod-template-hash"], second.Metadata.Labels["pod-template-hash"]);
        var replicaSets = (await client.AppsV1.ListNamespacedReplicaSetAsync("app").Within()).Items;
        Assert.Equal(2, replicaSets.Count);
        Assert.Equal([0, 1], replicaSets.Select(r => r.Spec.Replicas ?? -1).Order());
        Assert.Equal(updated.Metadata.Generation, (await client.AppsV1.ReadNamespacedDeploymentAsync("web", "app").Within()).Status.ObservedGeneration);
    }

    [Fact]
    public async Task ImagePullBackOffLeavesTheContainerWaitingWithEvents()
    {
        await using var harness = await StartAsync().Within();
        var client = harness.Client();
        await harness.CreateNamespaceAsync(client, "app").Within();
        harness.Server.FailNextRollout(RolloutFailure.ImagePullBackOff());
        await client.AppsV1.PatchNamespacedDeploymentAsync(Apply(Deployment("app", "web", ("web", "nginx:no-such-tag"))), "web", "app", fieldManager: "kompox").Within();

        var pod = await SinglePodAsync(client, "app", "web").Within();
        Assert.Equal("Pending", pod.Status.Phase);
        var status = Assert.Single(pod.Status.ContainerStatuses);
        Assert.Equal("ImagePullBackOff", status.State.Waiting.Reason);
        Assert.False(status.Ready);
        Assert.Contains(pod.Status.Conditions, c => c.Type == "Ready" && c.Status == "False");
        var events = (await client.CoreV1.ListNamespacedEventAsync("app", fieldSelector: $"involvedObject.name={pod.Metadata.Name}").Within()).Items;
        Assert.Contains(events, e => e.Reason == "Failed" && e.Type == "Warning" && e.Message.Contains("nginx:no-such-tag", StringComparison.Ordinal));
        var deployment = await client.AppsV1.ReadNamespacedDeploymentAsync("web", "app").Within();
        Assert.Null(deployment.Status.ReadyReplicas);
        Assert.Equal(1, deployment.Status.UnavailableReplicas);
        var (code, _) = await FailureAsync(() => LogAsync(client, pod.Metadata.Name, "app")).Within();
        Assert.Equal(400, code);

        // The failure was for one rollout: the fixed image rolls out fine.
        await client.AppsV1.PatchNamespacedDeploymentAsync(Apply(Deployment("app", "web", ("web", "nginx:1.27"))), "web", "app", fieldManager: "kompox").Within();
        Assert.Equal("Running", (await SinglePodAsync(client, "app", "web").Within()).Status.Phase);
    }

    [Fact]
    public async Task CrashLoopBackOffKeepsThePreviousRunsLog()
    {
        await using var harness = await StartAsync().Within();
        var client = harness.Client();
        await harness.CreateNamespaceAsync(client, "app").Within();
        harness.Server.FailNextRollout(RolloutFailure.CrashLoopBackOff(2, ["starting", "error: DB_HOST is not set"], restartCount: 4, container: "db"));
        await client.AppsV1.PatchNamespacedDeploymentAsync(Apply(Deployment("app", "web", ("web", "nginx:1.27"), ("db", "postgres:17"))), "web", "app", fieldManager: "kompox").Within();

        var pod = await SinglePodAsync(client, "app", "web").Within();
        var db = pod.Status.ContainerStatuses.Single(s => s.Name == "db");
        Assert.Equal("CrashLoopBackOff", db.State.Waiting.Reason);
        Assert.Equal(4, db.RestartCount);
        Assert.Equal(2, db.LastState.Terminated.ExitCode);
        Assert.Equal("Error", db.LastState.Terminated.Reason);
        Assert.True(pod.Status.ContainerStatuses.Single(s => s.Name == "web").Ready);
        Assert.Equal("starting\nerror: DB_HOST is not set\n", await LogAsync(client, pod.Metadata.Name, "app", container: "db", previous: true).Within());
        Assert.Equal("error: DB_HOST is not set\n", await LogAsync(client, pod.Metadata.Name, "app", container: "db", previous: true, tailLines: 1).Within());
        var events = (await client.CoreV1.ListNamespacedEventAsync("app", fieldSelector: $"involvedObject.name={pod.Metadata.Name},reason=BackOff").Within()).Items;
        Assert.Contains("Back-off restarting failed container db", Assert.Single(events).Message, StringComparison.Ordinal);
        var (noPrevious, _) = await FailureAsync(() => LogAsync(client, pod.Metadata.Name, "app", container: "web", previous: true)).Within();
        Assert.Equal(400, noPrevious);
        var (noContainer, status) = await FailureAsync(() => LogAsync(client, pod.Metadata.Name, "app")).Within();
        Assert.Equal(400, noContainer);
        Assert.Contains("choose one of: [web db]", status["message"]!.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task UnschedulablePodIsPendingWithAFailedSchedulingEvent()
    {
        await using var harness = await StartAsync().Within();
        var client = harness.Client();
        await harness.CreateNamespaceAsync(client, "app").Within();
        harness.Server.FailNextRollout(RolloutFailure.Unschedulable());
        await client.AppsV1.PatchNamespacedDeploymentAsync(Apply(Deployment("app", "web", ("web", "nginx:1.27"))), "web", "app", fieldManager: "kompox").Within();

        var pod = await SinglePodAsync(client, "app", "web").Within();
        Assert.Equal("Pending", pod.Status.Phase);
        Assert.Null(pod.Spec.NodeName);
        var scheduled = Assert.Single(pod.Status.Conditions);
        Assert.Equal(("PodScheduled", "False", "Unschedulable"), (scheduled.Type, scheduled.Status, scheduled.Reason));
        var events = (await client.CoreV1.ListNamespacedEventAsync("app", fieldSelector: $"involvedObject.name={pod.Metadata.Name}").Within()).Items;
        Assert.Contains(events, e => e.Reason == "FailedScheduling" && e.Message.StartsWith("0/1 nodes are available", StringComparison.Ordinal));
    }

    private static V1ResourceQuota Quota(string ns, string name, params (string Resource, string Hard)[] hard) => new()
    {
        ApiVersion = "v1",
        Kind = "ResourceQuota",
        Metadata = new() { Name = name, NamespaceProperty = ns },
        Spec = new() { Hard = hard.ToDictionary(h => h.Resource, h => new ResourceQuantity(h.Hard)) },
    };

    // kubernetes/kubernetes staging/src/k8s.io/apiserver/pkg/admission/plugin/resourcequota/controller.go CheckRequest
    // (the messages), pkg/quota/v1/evaluator/core/pods.go (what a Pod uses), and the ReplicaSet controller's record of a
    // refused creation: pkg/controller/replicaset/replica_set_utils.go calculateStatus (condition ReplicaFailure, reason
    // FailedCreate, the error as message) and pkg/controller/controller_utils.go createPods (event "Error creating: ").
    [Fact]
    public async Task A_quota_the_Pod_exceeds_refuses_it_and_the_ReplicaSet_records_FailedCreate_until_the_quota_allows_it()
    {
        await using var harness = await StartAsync().Within();
        var client = harness.Client();
        await harness.CreateNamespaceAsync(client, "app").Within();
        await client.CoreV1.CreateNamespacedResourceQuotaAsync(Quota("app", "small", ("limits.cpu", "400m"), ("pods", "5")), "app").Within();
        await client.AppsV1.PatchNamespacedDeploymentAsync(Apply(Deployment("app", "web", ("web", "nginx:1.27"))), "web", "app", fieldManager: "kompox").Within();

        Assert.Empty((await client.CoreV1.ListNamespacedPodAsync("app").Within()).Items);
        var rs = Assert.Single((await client.AppsV1.ListNamespacedReplicaSetAsync("app").Within()).Items);
        var failure = Assert.Single(rs.Status.Conditions);
        Assert.Equal(("ReplicaFailure", "True", "FailedCreate"), (failure.Type, failure.Status, failure.Reason));
        Assert.Matches(new Regex($"^pods \"{rs.Metadata.Name}-[a-z0-9]{{5}}\" is forbidden: exceeded quota: small, requested: limits.cpu=500m, used: limits.cpu=0, limited: limits.cpu=400m$"), failure.Message);
        var events = (await client.CoreV1.ListNamespacedEventAsync("app", fieldSelector: $"involvedObject.name={rs.Metadata.Name}").Within()).Items;
        Assert.Contains(events, e => e.Type == "Warning" && e.Reason == "FailedCreate" && e.Message == $"Error creating: {failure.Message}");
        var deployment = await client.AppsV1.ReadNamespacedDeploymentAsync("web", "app").Within();
        Assert.Contains(deployment.Status.Conditions, c => c.Type == "ReplicaFailure" && c.Reason == "FailedCreate");
        var quota = await client.CoreV1.ReadNamespacedResourceQuotaAsync("small", "app").Within();
        Assert.Equal(("400m", "0"), (quota.Status.Hard["limits.cpu"].ToString(), quota.Status.Used["limits.cpu"].ToString()));

        // The administrator raises the quota: the controller's next try creates the Pod, and the condition goes.
        var raised = Quota("app", "small", ("limits.cpu", "1"), ("pods", "5"));
        raised.Metadata.ResourceVersion = quota.Metadata.ResourceVersion;
        await client.CoreV1.ReplaceNamespacedResourceQuotaAsync(raised, "small", "app").Within();

        Assert.Equal("Running", (await SinglePodAsync(client, "app", "web").Within()).Status.Phase);
        Assert.Null(Assert.Single((await client.AppsV1.ListNamespacedReplicaSetAsync("app").Within()).Items).Status.Conditions);
        quota = await client.CoreV1.ReadNamespacedResourceQuotaAsync("small", "app").Within();
        Assert.Equal(("500m", "1"), (quota.Status.Used["limits.cpu"].ToString(), quota.Status.Used["pods"].ToString()));
    }

    [Fact]
    public async Task A_quota_on_memory_needs_every_container_to_state_it()
    {
        await using var harness = await StartAsync().Within();
        var client = harness.Client();
        await harness.CreateNamespaceAsync(client, "app").Within();
        await client.CoreV1.CreateNamespacedResourceQuotaAsync(Quota("app", "mem", ("requests.memory", "1Gi")), "app").Within();
        var deployment = Deployment("app", "web", ("web", "nginx:1.27"), ("db", "postgres:17"));
        deployment.Spec.Template.Spec.Containers[1].Resources = null;
        await client.AppsV1.PatchNamespacedDeploymentAsync(Apply(deployment), "web", "app", fieldManager: "kompox").Within();

        var rs = Assert.Single((await client.AppsV1.ListNamespacedReplicaSetAsync("app").Within()).Items);
        Assert.EndsWith("is forbidden: failed quota: mem: must specify requests.memory for: db", Assert.Single(rs.Status.Conditions).Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_quota_whose_usage_is_not_counted_refuses_with_status_unknown_until_it_is()
    {
        await using var harness = await StartAsync().Within();
        var client = harness.Client();
        await harness.CreateNamespaceAsync(client, "app").Within();
        harness.Server.HoldQuotaUsage();
        await client.CoreV1.CreateNamespacedResourceQuotaAsync(Quota("app", "q", ("pods", "5"), ("limits.memory", "2Gi")), "app").Within();
        await client.AppsV1.PatchNamespacedDeploymentAsync(Apply(Deployment("app", "web", ("web", "nginx:1.27"))), "web", "app", fieldManager: "kompox").Within();

        var rs = Assert.Single((await client.AppsV1.ListNamespacedReplicaSetAsync("app").Within()).Items);
        Assert.EndsWith("is forbidden: status unknown for quota: q, resources: limits.memory,pods", Assert.Single(rs.Status.Conditions).Message, StringComparison.Ordinal);

        harness.Server.ReleaseQuotaUsage();
        Assert.Equal("Running", (await SinglePodAsync(client, "app", "web").Within()).Status.Phase);
    }

    // staging/src/k8s.io/pod-security-admission/admission/admission.go EvaluatePod ("violates PodSecurity %q: %s") and
    // policy/check_sysctls.go: the policy "latest" is the server's own version's, whose allowed sysctls grow by version.
    [Theory]
    [InlineData(28, "net.ipv4.tcp_keepalive_time", false)]
    [InlineData(29, "net.ipv4.tcp_keepalive_time", true)]
    [InlineData(26, "net.ipv4.ip_local_reserved_ports", false)]
    [InlineData(27, "net.ipv4.ip_local_reserved_ports", true)]
    public async Task Pod_Security_of_an_older_server_refuses_a_sysctl_it_does_not_know_as_safe(int minor, string sysctl, bool admitted)
    {
        await using var harness = await StartAsync().Within();
        harness.Server.MinorVersion = minor;
        var client = harness.Client();
        await client.CoreV1.CreateNamespaceAsync(new V1Namespace { ApiVersion = "v1", Kind = "Namespace", Metadata = new() { Name = "app", Labels = new Dictionary<string, string> { ["pod-security.kubernetes.io/enforce"] = "baseline" } } }).Within();
        var deployment = Deployment("app", "web", ("web", "nginx:1.27"));
        deployment.Spec.Template.Spec.SecurityContext = new() { Sysctls = [new V1Sysctl { Name = sysctl, Value = "600" }] };
        await client.AppsV1.PatchNamespacedDeploymentAsync(Apply(deployment), "web", "app", fieldManager: "kompox").Within();

        var pods = (await client.CoreV1.ListNamespacedPodAsync("app").Within()).Items;
        var rs = Assert.Single((await client.AppsV1.ListNamespacedReplicaSetAsync("app").Within()).Items);
        Assert.Equal($"1.{minor}", $"{(await client.Version.GetCodeAsync()).Major}.{(await client.Version.GetCodeAsync()).Minor}");
        if (admitted)
        {
            Assert.Single(pods);
            return;
        }

        Assert.Empty(pods);
        Assert.EndsWith($"is forbidden: violates PodSecurity \"baseline:latest\": forbidden sysctls ({sysctl})", Assert.Single(rs.Status.Conditions).Message, StringComparison.Ordinal);
    }

    // pkg/kubelet/images/image_manager.go pullImage: the Failed event quotes the runtime's error; from 1.32 the back-off's
    // waiting message carries it too ("Back-off pulling image %q: %s" with the stored "ErrImagePull: <error>").
    [Theory]
    [InlineData(32, ImagePullCause.NotFound, "rpc error: code = NotFound desc = failed to pull and unpack image \"docker.io/library/nginx:nope\": failed to resolve reference \"docker.io/library/nginx:nope\": docker.io/library/nginx:nope: not found")]
    [InlineData(32, ImagePullCause.ManifestUnknown, "reading manifest nope in docker.io/library/nginx: manifest unknown")]
    [InlineData(32, ImagePullCause.Timeout, "dial tcp 20.60.40.4:443: i/o timeout")]
    [InlineData(32, ImagePullCause.RateLimited, "429 Too Many Requests")]
    [InlineData(31, ImagePullCause.NotFound, "docker.io/library/nginx:nope: not found")]
    public async Task A_failed_pull_quotes_the_runtimes_error_in_its_event_and_from_1_32_in_the_back_off(int minor, ImagePullCause cause, string error)
    {
        await using var harness = await StartAsync().Within();
        harness.Server.MinorVersion = minor;
        var client = harness.Client();
        await harness.CreateNamespaceAsync(client, "app").Within();
        harness.Server.FailNextRollout(RolloutFailure.ImagePullBackOff(cause: cause));
        await client.AppsV1.PatchNamespacedDeploymentAsync(Apply(Deployment("app", "web", ("web", "nginx:nope"))), "web", "app", fieldManager: "kompox").Within();

        var pod = await SinglePodAsync(client, "app", "web").Within();
        var waiting = Assert.Single(pod.Status.ContainerStatuses).State.Waiting;
        var events = (await client.CoreV1.ListNamespacedEventAsync("app", fieldSelector: $"involvedObject.name={pod.Metadata.Name}").Within()).Items;
        Assert.Contains(events, e => e.Reason == "Failed" && e.Message.StartsWith("Failed to pull image \"nginx:nope\": rpc error: ", StringComparison.Ordinal) && e.Message.Contains(error, StringComparison.Ordinal));
        if (minor >= 32)
        {
            Assert.StartsWith("Back-off pulling image \"nginx:nope\": ErrImagePull: rpc error: ", waiting.Message, StringComparison.Ordinal);
            Assert.Contains(error, waiting.Message, StringComparison.Ordinal);
        }
        else
        {
            Assert.Equal("Back-off pulling image \"nginx:nope\"", waiting.Message);
        }
    }

    [Theory]
    [InlineData("FailedMount", "kubelet")]
    [InlineData("FailedAttachVolume", "attachdetach-controller")]
    public async Task A_volume_not_attached_or_mounted_leaves_the_containers_in_ContainerCreating_with_a_warning(string reason, string component)
    {
        await using var harness = await StartAsync().Within();
        var client = harness.Client();
        await harness.CreateNamespaceAsync(client, "app").Within();
        harness.Server.FailNextRollout(reason == "FailedMount" ? RolloutFailure.FailedMount("MountVolume.SetUp failed for volume \"data\" : mount failed") : RolloutFailure.FailedAttachVolume("AttachVolume.Attach failed for volume \"data\" : timed out"));
        await client.AppsV1.PatchNamespacedDeploymentAsync(Apply(Deployment("app", "web", ("web", "nginx:1.27"))), "web", "app", fieldManager: "kompox").Within();

        var pod = await SinglePodAsync(client, "app", "web").Within();
        Assert.Equal(("Pending", harness.Server.NodeName), (pod.Status.Phase, pod.Spec.NodeName));
        Assert.Equal("ContainerCreating", Assert.Single(pod.Status.ContainerStatuses).State.Waiting.Reason);
        var events = (await client.CoreV1.ListNamespacedEventAsync("app", fieldSelector: $"involvedObject.name={pod.Metadata.Name}").Within()).Items;
        Assert.Contains(events, e => e.Type == "Warning" && e.Reason == reason && e.Source.Component == component);
        Assert.Equal("container \"web\" in pod \"" + pod.Metadata.Name + "\" is waiting to start: ContainerCreating", (await FailureAsync(() => LogAsync(client, pod.Metadata.Name, "app")).Within()).Status["message"]!.ToString());
    }

    // pkg/kubelet/kubelet_pods.go validateContainerLogStatus: a container waiting while the init containers run answers
    // pods/log with 400 "container ... is waiting to start: PodInitializing"; the running init container has its log.
    [Fact]
    public async Task A_Pod_in_its_init_containers_has_its_app_containers_waiting_in_PodInitializing()
    {
        await using var harness = await StartAsync().Within();
        var client = harness.Client();
        await harness.CreateNamespaceAsync(client, "app").Within();
        harness.Server.FailNextRollout(RolloutFailure.Initializing());
        var deployment = Deployment("app", "web", ("web", "nginx:1.27"));
        deployment.Spec.Template.Spec.InitContainers = [new V1Container { Name = "fill", Image = "busybox:1.37", Resources = new() { Limits = new Dictionary<string, ResourceQuantity> { ["cpu"] = new("100m"), ["memory"] = new("64Mi") } } }];
        await client.AppsV1.PatchNamespacedDeploymentAsync(Apply(deployment), "web", "app", fieldManager: "kompox").Within();

        var pod = await SinglePodAsync(client, "app", "web").Within();
        Assert.Equal("Pending", pod.Status.Phase);
        Assert.NotNull(Assert.Single(pod.Status.InitContainerStatuses).State.Running);
        Assert.Equal("PodInitializing", Assert.Single(pod.Status.ContainerStatuses).State.Waiting.Reason);
        Assert.Contains(pod.Status.Conditions, c => c.Type == "Initialized" && c.Status == "False" && c.Reason == "ContainersNotInitialized");
        var (code, status) = await FailureAsync(() => LogAsync(client, pod.Metadata.Name, "app", container: "web")).Within();
        Assert.Equal((400, $"container \"web\" in pod \"{pod.Metadata.Name}\" is waiting to start: PodInitializing"), (code, status["message"]!.ToString()));
        harness.Server.AppendLog("app", pod.Metadata.Name, "fill", "copying");
        Assert.Equal("copying\n", await LogAsync(client, pod.Metadata.Name, "app", container: "fill").Within());
    }

    [Fact]
    public async Task LogsHonourTailSinceAndTimestamps()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero));
        await using var harness = await StartAsync(time).Within();
        var client = harness.Client();
        await harness.CreateNamespaceAsync(client, "app").Within();
        await client.AppsV1.PatchNamespacedDeploymentAsync(Apply(Deployment("app", "web", ("web", "nginx:1.27"))), "web", "app", fieldManager: "kompox").Within();
        var pod = (await SinglePodAsync(client, "app", "web").Within()).Metadata.Name;
        harness.Server.AppendLog("app", pod, "web", "old line");
        time.Advance(TimeSpan.FromMinutes(10));
        harness.Server.AppendLog("app", pod, "web", "new line 1");
        harness.Server.AppendLog("app", pod, "web", "new line 2");

        Assert.Equal("old line\nnew line 1\nnew line 2\n", await LogAsync(client, pod, "app").Within());
        Assert.Equal("new line 2\n", await LogAsync(client, pod, "app", tailLines: 1).Within());
        Assert.Equal("new line 1\nnew line 2\n", await LogAsync(client, pod, "app", sinceSeconds: 60).Within());
        Assert.Equal("2026-01-02T03:04:05.0000000Z old line\n", (await LogAsync(client, pod, "app", timestamps: true).Within()).Split('\n')[0] + "\n");
    }
}
