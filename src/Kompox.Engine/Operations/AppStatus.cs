using System.Net;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Kompox.Conversion;
using Kompox.Kube;
using Kompox.Model;

namespace Kompox.Operations;

/// <summary>One container of the app's Pod: one compose service.</summary>
/// <param name="Name">The container's name, which is the compose service's.</param>
/// <param name="State">Waiting, Running or Terminated; Unknown before the kubelet reports it.</param>
/// <param name="Reason">Why it waits or ended, e.g. CrashLoopBackOff, ImagePullBackOff, Completed.</param>
/// <param name="LastTerminationReason">How its previous run ended (e.g. Error, OOMKilled), null when it has not restarted.</param>
public sealed record AppContainerStatus(
    string Name,
    string Image,
    string State,
    string? Reason,
    string? Message,
    bool Ready,
    int RestartCount,
    string? LastTerminationReason,
    int? LastExitCode);

/// <summary>What runs of an app on its cluster. An app that is not deployed has a status too: <see cref="Deployed"/> false.</summary>
/// <param name="Deployed">The app's Deployment exists.</param>
/// <param name="Ready">Its Pod is Ready and the Deployment has it available.</param>
/// <param name="PodName">The newest of the app's Pods, null when there is none.</param>
/// <param name="Urls">https:// for every host of the app's Ingresses as they are applied (default and custom hosts), sorted.</param>
public sealed record AppStatus(
    string AppId,
    string Namespace,
    bool Deployed,
    bool Ready,
    string? PodName,
    string? PodPhase,
    IReadOnlyList<AppContainerStatus> Containers,
    IReadOnlyList<string> Urls,
    string? CurrentDiskId,
    string? PreviousDiskId)
{
    /// <summary>Full path of the kompoxops.yml the app was last deployed from (<c>kompox.dev/config-path</c> on its namespace); null when unknown.</summary>
    public string? ConfigPath { get; init; }

    /// <summary>The host name of the machine it was last deployed from (<c>kompox.dev/config-host</c>), to which <see cref="ConfigPath"/> belongs.</summary>
    public string? ConfigHost { get; init; }
}

/// <summary>Reads an app's status from the cluster; every object is found by the app's <c>kompox.dev/app-id</c> label.</summary>
internal static class AppStatusReader
{
    public static async Task<AppStatus> ReadAsync(IKubernetes client, KompoxApp app, CancellationToken cancellationToken)
    {
        var ns = KubeNames.Namespace(app);
        var namespaceObject = await KubeObjects.ReadOrNullAsync(() => client.CoreV1.ReadNamespaceAsync(ns, cancellationToken: cancellationToken)).ConfigureAwait(false);
        if (namespaceObject is null)
        {
            return new AppStatus(app.Id, ns, false, false, null, null, Array.Empty<AppContainerStatus>(), Array.Empty<string>(), null, null);
        }

        return await ReadAsync(client, app.Id, namespaceObject, AppObjects.Selector(app), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The status of the app whose namespace is <paramref name="namespaceObject"/>, its objects found by <paramref name="selector"/>.</summary>
    public static async Task<AppStatus> ReadAsync(IKubernetes client, string appId, V1Namespace namespaceObject, string selector, CancellationToken cancellationToken)
    {
        var ns = namespaceObject.Metadata.Name;
        var deployments = await client.AppsV1.ListNamespacedDeploymentAsync(ns, labelSelector: selector, cancellationToken: cancellationToken).ConfigureAwait(false);
        var pods = await client.CoreV1.ListNamespacedPodAsync(ns, labelSelector: selector, cancellationToken: cancellationToken).ConfigureAwait(false);
        var ingresses = await client.NetworkingV1.ListNamespacedIngressAsync(ns, labelSelector: selector, cancellationToken: cancellationToken).ConfigureAwait(false);
        var annotations = namespaceObject.Metadata.Annotations;
        return Of(appId, ns, AppDiskState.Of(namespaceObject), deployments.Items.FirstOrDefault(), pods.Items, ingresses.Items) with
        {
            ConfigPath = ClusterApps.Value(annotations, KompoxMetadata.ConfigPathAnnotation),
            ConfigHost = ClusterApps.Value(annotations, KompoxMetadata.ConfigHostAnnotation),
        };
    }

    /// <summary>The status the objects make, read or just applied: the app's Deployment (null when there is none), its Pods and its Ingresses.</summary>
    public static AppStatus Of(KompoxApp app, AppDiskState disks, V1Deployment? deployment, IEnumerable<V1Pod> pods, IEnumerable<V1Ingress> ingresses) =>
        Of(app.Id, KubeNames.Namespace(app), disks, deployment, pods, ingresses) with { ConfigPath = app.ConfigPath };

    private static AppStatus Of(string appId, string ns, AppDiskState disks, V1Deployment? deployment, IEnumerable<V1Pod> pods, IEnumerable<V1Ingress> ingresses)
    {
        var pod = NewestPod(pods);
        // Services that others depend on run as init containers (sidecars): theirs count as much as the others.
        var services = pod?.Spec is { } spec ? PodBuilder.ServiceContainers(spec).ToHashSet(StringComparer.Ordinal) : new HashSet<string>();
        var containers = (pod?.Status?.InitContainerStatuses ?? new List<V1ContainerStatus>()).Where(s => services.Contains(s.Name))
            .Concat((pod?.Status?.ContainerStatuses ?? new List<V1ContainerStatus>()).Where(s => services.Contains(s.Name) || pod?.Spec is null))
            .Select(Container).ToList();
        var urls = ingresses
            .SelectMany(i => i.Spec?.Rules ?? new List<V1IngressRule>())
            .Where(r => !string.IsNullOrEmpty(r.Host))
            .Select(r => $"https://{r.Host}")
            .Distinct(StringComparer.Ordinal)
            .OrderBy(u => u, StringComparer.Ordinal)
            .ToList();
        var ready = deployment is not null && (deployment.Status?.AvailableReplicas ?? 0) >= 1 && pod is not null && IsReady(pod);
        return new AppStatus(
            appId,
            ns,
            deployment is not null,
            ready,
            pod?.Metadata.Name,
            pod?.Status?.Phase,
            containers,
            urls,
            disks.CurrentDiskId,
            disks.PreviousDiskId);
    }

    /// <summary>The Pod a user means: the newest one that is not being deleted (during a rollout, the new one).</summary>
    public static V1Pod? NewestPod(IEnumerable<V1Pod> pods) => pods
        .Where(p => p.Metadata.DeletionTimestamp is null)
        .OrderByDescending(p => p.Metadata.CreationTimestamp ?? DateTime.MinValue)
        .ThenByDescending(p => p.Metadata.Name, StringComparer.Ordinal)
        .FirstOrDefault();

    public static bool IsReady(V1Pod pod) =>
        pod.Status?.Conditions?.Any(c => c.Type == "Ready" && c.Status == "True") == true;

    public static AppContainerStatus Container(V1ContainerStatus s)
    {
        var (state, reason, message) = s.State switch
        {
            { Running: not null } => ("Running", null, null),
            { Waiting: { } w } => ("Waiting", w.Reason, w.Message),
            { Terminated: { } t } => ("Terminated", t.Reason, t.Message),
            _ => ("Unknown", (string?)null, (string?)null),
        };
        var last = s.LastState?.Terminated;
        return new AppContainerStatus(s.Name, s.Image, state, reason, message, s.Ready, s.RestartCount, last?.Reason, last?.ExitCode);
    }
}
