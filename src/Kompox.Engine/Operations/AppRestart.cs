using System.Globalization;
using k8s;
using k8s.Models;
using Kompox.Conversion;

namespace Kompox.Operations;

/// <summary>How <see cref="IAppOperations.RestartAsync"/> waits for the new Pod.</summary>
public sealed record AppRestartOptions
{
    /// <summary>How long the new Pod may take to become Ready, on the context's clock; then <c>RolloutTimeout</c>.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>How often the rollout is looked at.</summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>How long the new Pod may stay in trouble (crash loop, image pull) before <c>RolloutFailed</c>.</summary>
    public TimeSpan FailAfter { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>How long to wait for another operation holding the app; null for the context's default.</summary>
    public TimeSpan? LockWait { get; init; }
}

/// <summary>The app after its restart: the Pod it had and the Ready Pod it has now.</summary>
public sealed record AppRestartResult(string AppId, string? PreviousPod, string Pod, DateTimeOffset RestartedAt);

/// <summary>
/// The restart use case, as <c>kubectl rollout restart</c> does it (kubernetes staging/src/k8s.io/kubectl/pkg/polymorphichelpers/
/// objectrestarter.go): the Deployment's Pod template gets the annotation kubectl.kubernetes.io/restartedAt with the
/// time, so the Deployment controller replaces the Pod; with the Recreate strategy the old Pod goes first and the new
/// one mounts the same claim, so the disk stays. The annotation is written by its own field manager: Kompox's next
/// apply, which does not carry it, neither removes it nor restarts the Pod again.
/// </summary>
internal static class AppRestart
{
    internal const string Annotation = "kubectl.kubernetes.io/restartedAt";
    internal const string FieldManager = "kompox-restart";

    public static async Task<AppRestartResult> RunAsync(OperationScope scope, AppRestartOptions options, CancellationToken cancellationToken)
    {
        var app = scope.App;
        var client = scope.Kube;
        var ns = KubeNames.Namespace(app);
        scope.Step("finding the Deployment", 5);
        IList<V1Deployment> deployments;
        try
        {
            deployments = (await client.AppsV1.ListNamespacedDeploymentAsync(ns, labelSelector: AppObjects.Selector(app), cancellationToken: cancellationToken).ConfigureAwait(false)).Items;
        }
        catch (k8s.Autorest.HttpOperationException e) when (e.Response?.StatusCode == System.Net.HttpStatusCode.NotFound)
        {
            deployments = [];
        }

        var deployment = deployments.SingleOrDefault()
            ?? throw new KompoxException("AppNotDeployed", ErrorKind.NotFound, $"app {app.Id} is not deployed: namespace {ns} has no Deployment of it") { Target = app.Id, Remedy = Remedy.DeployFirst };
        var pods = await client.CoreV1.ListNamespacedPodAsync(ns, labelSelector: AppObjects.Selector(app), cancellationToken: cancellationToken).ConfigureAwait(false);
        var previous = AppStatusReader.NewestPod(pods.Items)?.Metadata.Name;

        // kubectl writes time.Now().Format(time.RFC3339): whole seconds.
        var at = scope.Time.GetUtcNow();
        at = at.AddTicks(-(at.Ticks % TimeSpan.TicksPerSecond));
        var stamp = at.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
        var body = new System.Text.Json.Nodes.JsonObject
        {
            ["spec"] = new System.Text.Json.Nodes.JsonObject
            {
                ["template"] = new System.Text.Json.Nodes.JsonObject
                {
                    ["metadata"] = new System.Text.Json.Nodes.JsonObject { ["annotations"] = new System.Text.Json.Nodes.JsonObject { [Annotation] = stamp } },
                },
            },
        };
        var patch = new V1Patch(body.ToJsonString(), V1Patch.PatchType.StrategicMergePatch);
        scope.Step($"restarting Pod {previous ?? "(none)"} of Deployment {deployment.Metadata.Name}", 20);
        var patched = await client.AppsV1.PatchNamespacedDeploymentAsync(patch, deployment.Metadata.Name, ns, fieldManager: FieldManager, cancellationToken: cancellationToken).ConfigureAwait(false);

        var deployOptions = new DeployOptions { Timeout = options.Timeout, PollInterval = options.PollInterval, FailAfter = options.FailAfter };
        var (_, settled) = await DeployApp.WaitForRolloutAsync(scope, patched, [], deployOptions, cancellationToken).ConfigureAwait(false);
        var now = settled.Where(p => p.Metadata.DeletionTimestamp is null && AppStatusReader.IsReady(p)).OrderByDescending(p => p.Metadata.CreationTimestamp).First();
        return new AppRestartResult(app.Id, previous, now.Metadata.Name, at);
    }
}
