using k8s;
using k8s.Models;
using Kompox.Conversion;

namespace Kompox.Operations;

/// <summary>
/// Stopping the app around work that needs it stopped (a consistent snapshot, a copy onto the disk its Pod holds): its
/// running Deployments are scaled to 0, the work runs once its Pods are gone, and they are scaled back and waited for,
/// also when the work fails. The caller holds the app's lock.
/// </summary>
internal static class AppStop
{
    /// <param name="fieldManager">The field manager of the replica count written meanwhile; the next deploy's apply (forced) takes the field back.</param>
    /// <param name="timeout">How long the Pods may take to go, and then to be Ready again; then <c>AppStopTimeout</c>.</param>
    /// <param name="pollInterval">How often the Pods are looked at while waiting.</param>
    /// <param name="what">What the work is, for the warning when the app cannot be started again after it failed.</param>
    public static async Task<T> AroundAsync<T>(OperationScope scope, string fieldManager, TimeSpan timeout, TimeSpan pollInterval, string what, Func<CancellationToken, Task<T>> work, CancellationToken cancellationToken)
    {
        var ns = KubeNames.Namespace(scope.App);
        var deployments = (await scope.Kube.AppsV1.ListNamespacedDeploymentAsync(ns, labelSelector: AppObjects.Selector(scope.App), cancellationToken: cancellationToken).ConfigureAwait(false)).Items
            .Where(d => (d.Spec?.Replicas ?? 1) > 0)
            .ToList();
        if (deployments.Count == 0)
        {
            scope.Detail($"app {scope.App.Id} has no running Deployment in namespace {ns}: nothing to stop");
            return await work(cancellationToken).ConfigureAwait(false);
        }

        var stopped = new List<(string Name, int Replicas)>();
        T result;
        try
        {
            foreach (var deployment in deployments)
            {
                scope.Step($"stopping the app: scaling Deployment {ns}/{deployment.Metadata.Name} to 0", 10);
                stopped.Add((deployment.Metadata.Name, deployment.Spec?.Replicas ?? 1));
                await ScaleAsync(scope.Kube, fieldManager, ns, deployment.Metadata.Name, 0, cancellationToken).ConfigureAwait(false);
            }

            await WaitAsync(scope, timeout, pollInterval, "to go", pods => pods.Count == 0, cancellationToken).ConfigureAwait(false);
            result = await work(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception)
        {
            // The app is started again whatever went wrong; the first failure is the one reported.
            try
            {
                await StartAsync(scope, fieldManager, timeout, pollInterval, stopped, waitReady: !cancellationToken.IsCancellationRequested).ConfigureAwait(false);
            }
            catch (Exception restart) when (restart is not OperationCanceledException)
            {
                scope.Warn(Diagnostic.Warning(scope.App.Id, SourceMark.File, string.Empty, $"app {scope.App.Id} could not be started again after the failed {what}: {restart.Message}"));
            }

            throw;
        }

        await StartAsync(scope, fieldManager, timeout, pollInterval, stopped, waitReady: true).ConfigureAwait(false);
        return result;
    }

    /// <summary>Scales the stopped Deployments back; when the work was cancelled (Ctrl+C) it does not wait for the Pod, but the app is never left stopped.</summary>
    private static async Task StartAsync(OperationScope scope, string fieldManager, TimeSpan timeout, TimeSpan pollInterval, List<(string Name, int Replicas)> stopped, bool waitReady)
    {
        var ns = KubeNames.Namespace(scope.App);
        foreach (var (name, replicas) in stopped)
        {
            scope.Step($"starting the app again: scaling Deployment {ns}/{name} to {replicas}", 92);
            await ScaleAsync(scope.Kube, fieldManager, ns, name, replicas, CancellationToken.None).ConfigureAwait(false);
        }

        if (waitReady && stopped.Count > 0)
        {
            var wanted = stopped.Sum(s => s.Replicas);
            await WaitAsync(scope, timeout, pollInterval, "to be Ready", pods => pods.Count(p => p.Metadata.DeletionTimestamp is null && AppStatusReader.IsReady(p)) >= wanted, CancellationToken.None).ConfigureAwait(false);
        }
    }

    private static Task ScaleAsync(IKubernetes client, string fieldManager, string ns, string name, int replicas, CancellationToken cancellationToken) =>
        client.AppsV1.PatchNamespacedDeploymentAsync(
            new V1Patch(new { spec = new { replicas } }, V1Patch.PatchType.MergePatch),
            name,
            ns,
            fieldManager: fieldManager,
            cancellationToken: cancellationToken);

    private static async Task WaitAsync(OperationScope scope, TimeSpan timeout, TimeSpan pollInterval, string what, Func<IList<V1Pod>, bool> done, CancellationToken cancellationToken)
    {
        var time = scope.Time;
        var started = time.GetUtcNow();
        var ns = KubeNames.Namespace(scope.App);
        while (true)
        {
            var pods = (await scope.Kube.CoreV1.ListNamespacedPodAsync(ns, labelSelector: AppObjects.Selector(scope.App), cancellationToken: cancellationToken).ConfigureAwait(false)).Items;
            if (done(pods))
            {
                return;
            }

            if (time.GetUtcNow() - started >= timeout)
            {
                throw new KompoxException("AppStopTimeout", ErrorKind.Timeout, $"app {scope.App.Id}: its Pod did not come {what} in {timeout.TotalSeconds:0} s") { Target = scope.App.Id, Remedy = Remedy.InspectApp };
            }

            scope.Step($"waiting for the app's Pod {what}", 20);
            await Task.Delay(pollInterval, time, cancellationToken).ConfigureAwait(false);
        }
    }
}
