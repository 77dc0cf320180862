using k8s;
using k8s.Models;
using static Kompox.Tests.KubeApi.KubeApiHarness;

namespace Kompox.Tests.KubeApi;

public sealed class WatchTests
{
    [Fact]
    public async Task PodWatchStreamsTheRolloutAsItHappens()
    {
        await using var harness = await StartAsync().Within();
        var client = harness.Client();
        await harness.CreateNamespaceAsync(client, "app").Within();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        var seen = new List<(WatchEventType Type, string Name, string? Phase)>();
        var watching = Task.Run(async () =>
        {
            await foreach (var (type, pod) in client.CoreV1.WatchListNamespacedPodAsync("app", labelSelector: "app=web", timeoutSeconds: 20, cancellationToken: timeout.Token))
            {
                seen.Add((type, pod.Metadata.Name, pod.Status?.Phase));
                if (type == WatchEventType.Deleted)
                {
                    break;
                }
            }
        });

        // The server records a watch as it starts streaming; await that before changing anything.
        await harness.Server.WhenRequestedAsync("watch", "/pods$", timeout.Token).Within();
        var deployment = Deployment("app", "web", ("web", "nginx:1.27"));
        await client.AppsV1.PatchNamespacedDeploymentAsync(Apply(deployment), "web", "app", fieldManager: "kompox").Within();
        deployment.Spec.Template.Spec.Containers[0].Image = "nginx:1.28";
        await client.AppsV1.PatchNamespacedDeploymentAsync(Apply(deployment), "web", "app", fieldManager: "kompox").Within();
        await watching.WaitAsync(timeout.Token).Within();

        var first = seen[0].Name;
        Assert.Equal((WatchEventType.Added, first, null), seen[0]);
        Assert.Equal((WatchEventType.Modified, first, "Running"), seen[1]);
        Assert.Equal(WatchEventType.Deleted, seen[2].Type);
        Assert.Equal(first, seen[2].Name);
    }

    [Fact]
    public async Task WatchFromAResourceVersionReplaysLaterChangesOnly()
    {
        await using var harness = await StartAsync().Within();
        var client = harness.Client();
        await harness.CreateNamespaceAsync(client, "app").Within();
        var deployment = Deployment("app", "web", ("web", "nginx:1.27"));
        await client.AppsV1.PatchNamespacedDeploymentAsync(Apply(deployment), "web", "app", fieldManager: "kompox").Within();
        var version = (await client.AppsV1.ListNamespacedDeploymentAsync("app").Within()).Metadata.ResourceVersion;
        deployment.Spec.Replicas = 0;
        await client.AppsV1.PatchNamespacedDeploymentAsync(Apply(deployment), "web", "app", fieldManager: "kompox").Within();

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        var events = new List<(WatchEventType Type, V1Deployment Deployment)>();
        await foreach (var item in client.AppsV1.WatchListNamespacedDeploymentAsync("app", resourceVersion: version, timeoutSeconds: 1, cancellationToken: timeout.Token))
        {
            events.Add(item);
        }
        Assert.NotEmpty(events);
        Assert.All(events, e => Assert.Equal(WatchEventType.Modified, e.Type));
        Assert.All(events, e => Assert.True(long.Parse(e.Deployment.Metadata.ResourceVersion, System.Globalization.CultureInfo.InvariantCulture) > long.Parse(version, System.Globalization.CultureInfo.InvariantCulture)));
        Assert.Equal(0, events[^1].Deployment.Spec.Replicas);
        Assert.Null(events[^1].Deployment.Status.ReadyReplicas);
    }
}
