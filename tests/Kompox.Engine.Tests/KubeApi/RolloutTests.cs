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
        Assert.Single((await client.CoreV1.ListNamespacedPodAsync(ns, labelSelector: $"app={app}")).Items);

    private static async Task<string> LogAsync(IKubernetes client, string pod, string ns, string? container = null, bool? previous = null, int? tailLines = null, int? sinceSeconds = null, bool? timestamps = null)
    {
        await using var stream = await client.CoreV1.ReadNamespacedPodLogAsync(pod, ns, container: container, previous: previous, tailLines: tailLines, sinceSeconds: sinceSeconds, timestamps: timestamps);
        using var reader = new StreamReader(stream);
        return await reader.ReadToEndAsync();
    }

    [Fact]
    public async Task AppliedDeploymentGetsAReadyPodAndStatus()
    {
        await using var harness = await StartAsync();
        var client = harness.Client();
        await harness.CreateNamespaceAsync(client, "app");
        await client.AppsV1.PatchNamespacedDeploymentAsync(Apply(Deployment("app", "web", ("web", "nginx:1.27"), ("db", "postgres:17"))), "web", "app", fieldManager: "kompox");

        var pod = await SinglePodAsync(client, "app", "web");
        var rs = Assert.Single((await client.AppsV1.ListNamespacedReplicaSetAsync("app")).Items);
        Assert.Matches(new Regex($"^{rs.Metadata.Name}-[bcdfghjklmnpqrstvwxz2456789]{{5}}$"), pod.Metadata.Name);
        Assert.Matches(new Regex("^web-[bcdfghjklmnpqrstvwxz2456789]+$"), rs.Metadata.Name);
        Assert.Equal("Running", pod.Status.Phase);
        Assert.Equal(harness.Server.NodeName, pod.Spec.NodeName);
        Assert.Contains(pod.Status.Conditions, c => c.Type == "Ready" && c.Status == "True");
        Assert.All(pod.Status.ContainerStatuses, s => Assert.True(s.Ready && s.State.Running is not null));
        Assert.Equal(["web", "db"], pod.Status.ContainerStatuses.Select(s => s.Name));
        Assert.Equal("Deployment", rs.Metadata.OwnerReferences.Single().Kind);

        var deployment = await client.AppsV1.ReadNamespacedDeploymentAsync("web", "app");
        Assert.Equal(1, deployment.Status.ReadyReplicas);
        Assert.Equal(1, deployment.Status.UpdatedReplicas);
        Assert.Equal(1, deployment.Status.AvailableReplicas);
        Assert.Equal(deployment.Metadata.Generation, deployment.Status.ObservedGeneration);
        Assert.Contains(deployment.Status.Conditions, c => c.Type == "Available" && c.Status == "True");
    }

    [Fact]
    public async Task ChangedTemplateRecreatesThePodAndSameTemplateKeepsIt()
    {
        await using var harness = await StartAsync();
        var client = harness.Client();
        await harness.CreateNamespaceAsync(client, "app");
        var deployment = Deployment("app", "web", ("web", "nginx:1.27"));
        await client.AppsV1.PatchNamespacedDeploymentAsync(Apply(deployment), "web", "app", fieldManager: "kompox");
        var first = await SinglePodAsync(client, "app", "web");

        await client.AppsV1.PatchNamespacedDeploymentAsync(Apply(deployment), "web", "app", fieldManager: "kompox");
        Assert.Equal(first.Metadata.Name, (await SinglePodAsync(client, "app", "web")).Metadata.Name);

        deployment.Spec.Template.Metadata.Annotations = new Dictionary<string, string> { ["kompox.dev/config-hash"] = "abc123" };
        var updated = await client.AppsV1.PatchNamespacedDeploymentAsync(Apply(deployment), "web", "app", fieldManager: "kompox");
        var second = await SinglePodAsync(client, "app", "web");
        Assert.NotEqual(first.Metadata.Name, second.Metadata.Name);
        Assert.Equal("abc123", second.Metadata.Annotations["kompox.dev/config-hash"]);
        Assert.NotEqual(first.Metadata.Labels["pod-template-hash"], second.Metadata.Labels["pod-template-hash"]);
        var replicaSets = (await client.AppsV1.ListNamespacedReplicaSetAsync("app")).Items;
        Assert.Equal(2, replicaSets.Count);
        Assert.Equal([0, 1], replicaSets.Select(r => r.Spec.Replicas ?? -1).Order());
        Assert.Equal(updated.Metadata.Generation, (await client.AppsV1.ReadNamespacedDeploymentAsync("web", "app")).Status.ObservedGeneration);
    }

    [Fact]
    public async Task ImagePullBackOffLeavesTheContainerWaitingWithEvents()
    {
        await using var harness = await StartAsync();
        var client = harness.Client();
        await harness.CreateNamespaceAsync(client, "app");
        harness.Server.FailNextRollout(RolloutFailure.ImagePullBackOff());
        await client.AppsV1.PatchNamespacedDeploymentAsync(Apply(Deployment("app", "web", ("web", "nginx:no-such-tag"))), "web", "app", fieldManager: "kompox");

        var pod = await SinglePodAsync(client, "app", "web");
        Assert.Equal("Pending", pod.Status.Phase);
        var status = Assert.Single(pod.Status.ContainerStatuses);
        Assert.Equal("ImagePullBackOff", status.State.Waiting.Reason);
        Assert.False(status.Ready);
        Assert.Contains(pod.Status.Conditions, c => c.Type == "Ready" && c.Status == "False");
        var events = (await client.CoreV1.ListNamespacedEventAsync("app", fieldSelector: $"involvedObject.name={pod.Metadata.Name}")).Items;
        Assert.Contains(events, e => e.Reason == "Failed" && e.Type == "Warning" && e.Message.Contains("nginx:no-such-tag", StringComparison.Ordinal));
        var deployment = await client.AppsV1.ReadNamespacedDeploymentAsync("web", "app");
        Assert.Null(deployment.Status.ReadyReplicas);
        Assert.Equal(1, deployment.Status.UnavailableReplicas);
        var (code, _) = await FailureAsync(() => LogAsync(client, pod.Metadata.Name, "app"));
        Assert.Equal(400, code);

        // The failure was for one rollout: the fixed image rolls out fine.
        await client.AppsV1.PatchNamespacedDeploymentAsync(Apply(Deployment("app", "web", ("web", "nginx:1.27"))), "web", "app", fieldManager: "kompox");
        Assert.Equal("Running", (await SinglePodAsync(client, "app", "web")).Status.Phase);
    }

    [Fact]
    public async Task CrashLoopBackOffKeepsThePreviousRunsLog()
    {
        await using var harness = await StartAsync();
        var client = harness.Client();
        await harness.CreateNamespaceAsync(client, "app");
        harness.Server.FailNextRollout(RolloutFailure.CrashLoopBackOff(2, ["starting", "error: DB_HOST is not set"], restartCount: 4, container: "db"));
        await client.AppsV1.PatchNamespacedDeploymentAsync(Apply(Deployment("app", "web", ("web", "nginx:1.27"), ("db", "postgres:17"))), "web", "app", fieldManager: "kompox");

        var pod = await SinglePodAsync(client, "app", "web");
        var db = pod.Status.ContainerStatuses.Single(s => s.Name == "db");
        Assert.Equal("CrashLoopBackOff", db.State.Waiting.Reason);
        Assert.Equal(4, db.RestartCount);
        Assert.Equal(2, db.LastState.Terminated.ExitCode);
        Assert.Equal("Error", db.LastState.Terminated.Reason);
        Assert.True(pod.Status.ContainerStatuses.Single(s => s.Name == "web").Ready);
        Assert.Equal("starting\nerror: DB_HOST is not set\n", await LogAsync(client, pod.Metadata.Name, "app", container: "db", previous: true));
        Assert.Equal("error: DB_HOST is not set\n", await LogAsync(client, pod.Metadata.Name, "app", container: "db", previous: true, tailLines: 1));
        var events = (await client.CoreV1.ListNamespacedEventAsync("app", fieldSelector: $"involvedObject.name={pod.Metadata.Name},reason=BackOff")).Items;
        Assert.Contains("Back-off restarting failed container db", Assert.Single(events).Message, StringComparison.Ordinal);
        var (noPrevious, _) = await FailureAsync(() => LogAsync(client, pod.Metadata.Name, "app", container: "web", previous: true));
        Assert.Equal(400, noPrevious);
        var (noContainer, status) = await FailureAsync(() => LogAsync(client, pod.Metadata.Name, "app"));
        Assert.Equal(400, noContainer);
        Assert.Contains("choose one of: [web db]", status["message"]!.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task UnschedulablePodIsPendingWithAFailedSchedulingEvent()
    {
        await using var harness = await StartAsync();
        var client = harness.Client();
        await harness.CreateNamespaceAsync(client, "app");
        harness.Server.FailNextRollout(RolloutFailure.Unschedulable());
        await client.AppsV1.PatchNamespacedDeploymentAsync(Apply(Deployment("app", "web", ("web", "nginx:1.27"))), "web", "app", fieldManager: "kompox");

        var pod = await SinglePodAsync(client, "app", "web");
        Assert.Equal("Pending", pod.Status.Phase);
        Assert.Null(pod.Spec.NodeName);
        var scheduled = Assert.Single(pod.Status.Conditions);
        Assert.Equal(("PodScheduled", "False", "Unschedulable"), (scheduled.Type, scheduled.Status, scheduled.Reason));
        var events = (await client.CoreV1.ListNamespacedEventAsync("app", fieldSelector: $"involvedObject.name={pod.Metadata.Name}")).Items;
        Assert.Contains(events, e => e.Reason == "FailedScheduling" && e.Message.StartsWith("0/1 nodes are available", StringComparison.Ordinal));
    }

    [Fact]
    public async Task LogsHonourTailSinceAndTimestamps()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero));
        await using var harness = await StartAsync(time);
        var client = harness.Client();
        await harness.CreateNamespaceAsync(client, "app");
        await client.AppsV1.PatchNamespacedDeploymentAsync(Apply(Deployment("app", "web", ("web", "nginx:1.27"))), "web", "app", fieldManager: "kompox");
        var pod = (await SinglePodAsync(client, "app", "web")).Metadata.Name;
        harness.Server.AppendLog("app", pod, "web", "old line");
        time.Advance(TimeSpan.FromMinutes(10));
        harness.Server.AppendLog("app", pod, "web", "new line 1");
        harness.Server.AppendLog("app", pod, "web", "new line 2");

        Assert.Equal("old line\nnew line 1\nnew line 2\n", await LogAsync(client, pod, "app"));
        Assert.Equal("new line 2\n", await LogAsync(client, pod, "app", tailLines: 1));
        Assert.Equal("new line 1\nnew line 2\n", await LogAsync(client, pod, "app", sinceSeconds: 60));
        Assert.Equal("2026-01-02T03:04:05.0000000Z old line\n", (await LogAsync(client, pod, "app", timestamps: true)).Split('\n')[0] + "\n");
    }
}
