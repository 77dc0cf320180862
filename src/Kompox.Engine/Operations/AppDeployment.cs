using System.Globalization;
using System.Net;
using System.Text;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Kompox.Conversion;
using Kompox.Drivers;
using Kompox.Model;

namespace Kompox.Operations;

/// <summary>What an app is deployed with: how its compose file is read, and how long the rollout may take.</summary>
public sealed record DeployOptions : ComposeReadOptions
{
    /// <summary>How long the new Pod may take to become Ready, measured on the context's clock; then <c>RolloutTimeout</c>.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>How often the rollout is looked at while it is waited for.</summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// How long the new Pod may stay in a state that waiting seldom mends (pulling its image backs off, a container
    /// crashes in a loop, no node can take it) before the deploy fails with <c>RolloutFailed</c>. Not at once: with
    /// Docker Compose's restart policy a web server that crashes while its database starts up comes up on a later try,
    /// and a cluster autoscaler may add the node a Pod waits for. An image name that cannot be pulled fails at once.
    /// </summary>
    public TimeSpan FailAfter { get; init; } = TimeSpan.FromMinutes(1);
}

/// <summary>What a deploy would do (for -WhatIf): found by reading the cluster, without writing to it.</summary>
/// <param name="CreatesDisk">The app has no current disk: deploy creates its first one (and its PersistentVolume and claim, not listed in <see cref="Apply"/>).</param>
/// <param name="DiskId">The current disk deploy would use; null when it creates one.</param>
/// <param name="Apply">The objects deploy would apply, in order.</param>
/// <param name="Prune">The app's objects on the cluster that are no longer desired, which deploy would delete.</param>
/// <param name="Warnings">What the conversion warns about (unset variables, keys with no effect in one Pod, ...).</param>
public sealed record DeployPlan(string AppId, string Namespace, bool CreatesDisk, string? DiskId, IReadOnlyList<KubeObjectRef> Apply, IReadOnlyList<KubeObjectRef> Prune, IReadOnlyList<Diagnostic> Warnings)
{
    public override string ToString()
    {
        var text = new StringBuilder();
        if (CreatesDisk)
        {
            text.Append("create the first disk and its PersistentVolume and PersistentVolumeClaim; ");
        }

        text.Append("apply ").Append(string.Join(", ", Apply));
        if (Prune.Count > 0)
        {
            text.Append("; delete ").Append(string.Join(", ", Prune));
        }

        return text.ToString();
    }
}

/// <summary>What destroy removed. The namespace (with the disk state), the disks and the snapshots are kept.</summary>
/// <param name="WasDeployed">The app's namespace existed; when false nothing was done.</param>
/// <param name="Deleted">The objects deleted, in the order they were.</param>
public sealed record AppDestroyResult(string AppId, string Namespace, bool WasDeployed, IReadOnlyList<KubeObjectRef> Deleted);

/// <summary>Deploy, destroy and the deploy plan of <see cref="AppOperations"/>.</summary>
internal sealed class AppDeployment
{
    /// <summary>How long destroy waits for the app's Pod to go.</summary>
    private static readonly TimeSpan PodGoneTimeout = TimeSpan.FromMinutes(5);

    /// <summary>Container states that do not get better by waiting: deploy stops on them at once.</summary>
    private static readonly HashSet<string> HopelessReasons = new(StringComparer.Ordinal)
    {
        "ImagePullBackOff", "ErrImagePull", "InvalidImageName", "CrashLoopBackOff", "CreateContainerConfigError", "CreateContainerError", "RunContainerError",
    };

    private readonly KompoxContext context;
    private readonly AppOperations operations;

    public AppDeployment(KompoxContext context, AppOperations operations)
    {
        this.context = context;
        this.operations = operations;
    }

    public async Task<AppStatus> DeployAsync(KompoxApp app, DeployOptions options, IProgress<OperationProgress> report, CancellationToken cancellationToken)
    {
        var activity = $"Deploying app {app.Id}";
        var client = context.KubeClients.Create(app.Cluster, new RequestReporter(activity, report));
        var doing = ClusterOperations.Doing(activity, app.Cluster, client);
        await ErrorTranslation.Guard(doing, cancellationToken, async () =>
        {
            report.Report(new OperationProgress(activity, "converting", 0));
            var offline = Convert(app, options, project => AppConverter.Convert(app, project, (string?)null, new AppConversionOptions { DiskCreatedAtDeploy = true }));
            await CheckHostsAsync(client, app, offline, activity, report, cancellationToken).ConfigureAwait(false);

            // The namespace first: the app's lock lives in it.
            var namespaceObject = offline.Objects.OfType<V1Namespace>().Single();
            report.Report(new OperationProgress(activity, $"applying {KubeObjectRef.Of(namespaceObject)}", 5));
            await KubeObjects.ApplyAsync(client, namespaceObject, cancellationToken).ConfigureAwait(false);

            await using var held = await context.AppLock.AcquireAsync(app, context.AppLockTimeout, report, cancellationToken).ConfigureAwait(false);
            await AppLease.WhileHeldAsync(held, async token =>
            {
                // The node is found before a disk is made, so that a cluster where the disk could not be used gets none.
                var nodeName = await operations.NodeNameAsync(app, client, token).ConfigureAwait(false);
                var disk = await CurrentOrFirstDiskAsync(client, app, activity, report, token).ConfigureAwait(false);
                var manifest = Convert(app, options, project => AppConverter.Convert(app, project, disk, new AppConversionOptions { NodeName = nodeName }));
                var applied = await ApplyAllAsync(client, manifest, activity, report, token).ConfigureAwait(false);
                await PruneAsync(client, app, manifest, activity, report, token).ConfigureAwait(false);
                var deployment = manifest.Objects.OfType<V1Deployment>().Single();
                await WaitForRolloutAsync(client, app, deployment, applied, options, activity, report, token).ConfigureAwait(false);
            }, cancellationToken).ConfigureAwait(false);
        }).ConfigureAwait(false);
        report.Report(new OperationProgress(activity, "deployed", 100));
        return await ErrorTranslation.Guard(doing, cancellationToken, () => AppStatusReader.ReadAsync(client, app, cancellationToken)).ConfigureAwait(false);
    }

    public Task<DeployPlan> PlanAsync(KompoxApp app, ComposeReadOptions options, IProgress<OperationProgress> report, CancellationToken cancellationToken)
    {
        var activity = $"Planning the deploy of app {app.Id}";
        var client = context.KubeClients.Create(app.Cluster, new RequestReporter(activity, report));
        return ErrorTranslation.Guard(ClusterOperations.Doing(activity, app.Cluster, client), cancellationToken, async () =>
        {
            var offline = Convert(app, options, project => AppConverter.Convert(app, project, (string?)null, new AppConversionOptions { DiskCreatedAtDeploy = true }));
            var state = await ReadDiskStateAsync(client, app, cancellationToken).ConfigureAwait(false);
            var manifest = offline;
            if (state?.CurrentDiskId is { } diskId)
            {
                var disk = await context.Drivers.Runtime(app.Cluster).GetDiskAsync(app, diskId, cancellationToken).ConfigureAwait(false);
                var nodeName = await operations.NodeNameAsync(app, client, cancellationToken).ConfigureAwait(false);
                manifest = Convert(app, options, project => AppConverter.Convert(app, project, disk, new AppConversionOptions { NodeName = nodeName }));
            }

            var prune = state is null ? Array.Empty<KubeObjectRef>() : await UndesiredAsync(client, app, manifest, cancellationToken).ConfigureAwait(false);
            report.Report(new OperationProgress(activity, "planned", 100));
            return new DeployPlan(app.Id, manifest.Namespace, state?.CurrentDiskId is null, state?.CurrentDiskId, manifest.Objects.Select(KubeObjectRef.Of).ToList(), prune, manifest.Warnings);
        });
    }

    public async Task<AppDestroyResult> DestroyAsync(KompoxApp app, IProgress<OperationProgress> report, CancellationToken cancellationToken)
    {
        var activity = $"Destroying app {app.Id}";
        var client = context.KubeClients.Create(app.Cluster, new RequestReporter(activity, report));
        var ns = KubeNames.Namespace(app);
        return await ErrorTranslation.Guard(ClusterOperations.Doing(activity, app.Cluster, client), cancellationToken, async () =>
        {
            if (await ReadDiskStateAsync(client, app, cancellationToken).ConfigureAwait(false) is null)
            {
                // Never deployed (or its namespace was deleted by hand): there is nothing to delete, and no namespace to hold the lock in.
                report.Report(new OperationProgress(activity, $"namespace {ns} does not exist: the app is not deployed", 100));
                return new AppDestroyResult(app.Id, ns, false, Array.Empty<KubeObjectRef>());
            }

            var deleted = new List<KubeObjectRef>();
            await using var held = await context.AppLock.AcquireAsync(app, context.AppLockTimeout, report, cancellationToken).ConfigureAwait(false);
            await AppLease.WhileHeldAsync(held, async token =>
            {
                var selector = AppStatusReader.Selector(app);
                var kinds = KubeObjects.AppKinds.Reverse().ToList();
                for (var k = 0; k < kinds.Count; k++)
                {
                    foreach (var found in await KubeObjects.ListAsync(client, kinds[k], ns, selector, token).ConfigureAwait(false))
                    {
                        report.Report(new OperationProgress(activity, $"deleting {found}", k * 90 / kinds.Count));
                        await DeleteIfPresentAsync(client, found, token).ConfigureAwait(false);
                        deleted.Add(found);
                    }

                    // The volume and its claim go once nothing mounts them.
                    if (kinds[k] == "Deployment")
                    {
                        await WaitForPodsGoneAsync(client, app, activity, report, token).ConfigureAwait(false);
                    }
                }
            }, cancellationToken).ConfigureAwait(false);

            report.Report(new OperationProgress(activity, $"deleted {deleted.Count} objects; the namespace, the disks and the snapshots are kept", 100));
            return new AppDestroyResult(app.Id, ns, true, deleted);
        }).ConfigureAwait(false);
    }

    private static AppManifest Convert(KompoxApp app, ComposeReadOptions options, Func<Compose.ComposeProject, AppManifest> convert)
    {
        AppManifest? manifest = null;
        var result = AppValidator.Convert(app, options, project => manifest = convert(project));
        if (!result.IsValid || manifest is null)
        {
            throw result.Error();
        }

        return manifest;
    }

    /// <summary>Every host of the app's Ingresses must be free of the other Kompox apps' Ingresses on the cluster.</summary>
    private static async Task CheckHostsAsync(IKubernetes client, KompoxApp app, AppManifest manifest, string activity, IProgress<OperationProgress> report, CancellationToken cancellationToken)
    {
        var hosts = manifest.Objects.OfType<V1Ingress>().SelectMany(Hosts).ToHashSet(StringComparer.OrdinalIgnoreCase);
        if (hosts.Count == 0)
        {
            return;
        }

        report.Report(new OperationProgress(activity, "checking the hosts against the other apps", 2));
        var mine = KubeNames.AppHash(app);
        var ingresses = await client.NetworkingV1.ListIngressForAllNamespacesAsync(labelSelector: $"{KompoxMetadata.ManagedByLabel}={KompoxMetadata.ManagedByValue}", cancellationToken: cancellationToken).ConfigureAwait(false);
        var conflicts = new List<string>();
        var appOfNamespace = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var ingress in ingresses.Items.Where(i => i.Metadata.Labels?.TryGetValue(KompoxMetadata.AppIdLabel, out var id) != true || id != mine))
        {
            foreach (var host in Hosts(ingress).Where(hosts.Contains))
            {
                var ns = ingress.Metadata.NamespaceProperty;
                if (!appOfNamespace.TryGetValue(ns, out var other))
                {
                    var owner = await ClusterOperations.ReadOrNullAsync(() => client.CoreV1.ReadNamespaceAsync(ns, cancellationToken: cancellationToken)).ConfigureAwait(false);
                    other = owner?.Metadata.Annotations?.TryGetValue(KompoxMetadata.AppAnnotation, out var annotation) == true ? annotation : $"(unknown app in namespace {ns})";
                    appOfNamespace[ns] = other;
                }

                conflicts.Add($"{host} is already used by app {other} (Ingress {ns}/{ingress.Metadata.Name})");
            }
        }

        if (conflicts.Count > 0)
        {
            throw new KompoxException("HostConflict", ErrorKind.Conflict, $"app {app.Id} cannot be deployed: {string.Join("; ", conflicts)}. Nothing was written; change app.ingress or remove the other app") { Target = app.Id };
        }
    }

    private static IEnumerable<string> Hosts(V1Ingress ingress) =>
        (ingress.Spec?.Rules ?? new List<V1IngressRule>()).Select(r => r.Host).Where(h => !string.IsNullOrEmpty(h));

    /// <summary>The disk state on the namespace; null when the namespace does not exist.</summary>
    private static async Task<AppDiskState?> ReadDiskStateAsync(IKubernetes client, KompoxApp app, CancellationToken cancellationToken) =>
        await ClusterOperations.ReadOrNullAsync(() => client.CoreV1.ReadNamespaceAsync(KubeNames.Namespace(app), cancellationToken: cancellationToken)).ConfigureAwait(false) is { } ns
            ? AppDiskState.Of(ns)
            : null;

    private async Task<DiskInfo> CurrentOrFirstDiskAsync(IKubernetes client, KompoxApp app, string activity, IProgress<OperationProgress> report, CancellationToken cancellationToken)
    {
        var state = await ReadDiskStateAsync(client, app, cancellationToken).ConfigureAwait(false) ?? AppDiskState.None;
        var runtime = context.Drivers.Runtime(app.Cluster);
        if (state.CurrentDiskId is { } current)
        {
            report.Report(new OperationProgress(activity, $"using disk {current}", 10));
            return await runtime.GetDiskAsync(app, current, cancellationToken).ConfigureAwait(false);
        }

        report.Report(new OperationProgress(activity, "creating the first disk", 10));
        var disk = await runtime.CreateDiskAsync(app, report, cancellationToken).ConfigureAwait(false);
        await operations.ApplyDiskStateAsync(app, state with { CurrentDiskId = disk.Id }, activity, report, cancellationToken).ConfigureAwait(false);
        return disk;
    }

    /// <summary>Applies every object but the namespace (applied before the lock), in the manifest's order; a failure says what was applied.</summary>
    private static async Task<IReadOnlyList<KubeObjectRef>> ApplyAllAsync(IKubernetes client, AppManifest manifest, string activity, IProgress<OperationProgress> report, CancellationToken cancellationToken)
    {
        var objects = manifest.Objects;
        var applied = new List<KubeObjectRef>();
        for (var i = 0; i < objects.Count; i++)
        {
            var current = KubeObjectRef.Of(objects[i]);
            if (objects[i] is V1Namespace)
            {
                applied.Add(current);
                continue;
            }

            report.Report(new OperationProgress(activity, $"applying {current}", 15 + (i * 55 / objects.Count)));
            try
            {
                if (objects[i] is V1PersistentVolume volume)
                {
                    await KeepBindingAsync(client, volume, cancellationToken).ConfigureAwait(false);
                }

                await KubeObjects.ApplyAsync(client, objects[i], cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                var cause = ErrorTranslation.Translate(e, $"applying {current}", cancellationToken);
                var rest = objects.Skip(i + 1).Select(KubeObjectRef.Of).ToList();
                throw new KompoxException(
                    cause.ErrorId,
                    cause.Kind,
                    $"{cause.Message}. Applied before it: {string.Join(", ", applied)}. Not applied: {current}{(rest.Count > 0 ? ", " + string.Join(", ", rest) : string.Empty)}. Nothing was pruned and the rollout was not waited for.",
                    e) { Target = current.ToString() };
            }

            applied.Add(current);
        }

        return applied;
    }

    /// <summary>
    /// A bound volume keeps its claimRef as the binder completed it (with the uid of the claim, which still exists):
    /// claimRef is an atomic struct, so applying it without the uid would take it over and unbind the volume on every
    /// deploy. A claimRef whose claim is gone is applied afresh, so that the claim made next binds again.
    /// </summary>
    private static async Task KeepBindingAsync(IKubernetes client, V1PersistentVolume volume, CancellationToken cancellationToken)
    {
        var desired = volume.Spec.ClaimRef;
        var live = await ClusterOperations.ReadOrNullAsync(() => client.CoreV1.ReadPersistentVolumeAsync(volume.Metadata.Name, cancellationToken: cancellationToken)).ConfigureAwait(false);
        if (live?.Spec?.ClaimRef is not { Uid: { Length: > 0 } uid } bound || bound.NamespaceProperty != desired.NamespaceProperty || bound.Name != desired.Name)
        {
            return;
        }

        var claim = await ClusterOperations.ReadOrNullAsync(() => client.CoreV1.ReadNamespacedPersistentVolumeClaimAsync(desired.Name, desired.NamespaceProperty, cancellationToken: cancellationToken)).ConfigureAwait(false);
        if (claim?.Metadata.Uid == uid)
        {
            volume.Spec.ClaimRef = bound;
        }
    }

    private static async Task<IReadOnlyList<KubeObjectRef>> UndesiredAsync(IKubernetes client, KompoxApp app, AppManifest manifest, CancellationToken cancellationToken)
    {
        var desired = manifest.Objects.Select(KubeObjectRef.Of).ToHashSet();
        var selector = AppStatusReader.Selector(app);
        var undesired = new List<KubeObjectRef>();

        // Dependents first: an Ingress before its Service, a claim before its volume.
        foreach (var kind in KubeObjects.AppKinds.Reverse())
        {
            undesired.AddRange((await KubeObjects.ListAsync(client, kind, manifest.Namespace, selector, cancellationToken).ConfigureAwait(false)).Where(o => !desired.Contains(o)));
        }

        return undesired;
    }

    private static async Task PruneAsync(IKubernetes client, KompoxApp app, AppManifest manifest, string activity, IProgress<OperationProgress> report, CancellationToken cancellationToken)
    {
        report.Report(new OperationProgress(activity, "looking for objects no longer desired", 72));
        foreach (var doomed in await UndesiredAsync(client, app, manifest, cancellationToken).ConfigureAwait(false))
        {
            report.Report(new OperationProgress(activity, $"pruning {doomed}", 74));
            await DeleteIfPresentAsync(client, doomed, cancellationToken).ConfigureAwait(false);
        }
    }

    private static async Task DeleteIfPresentAsync(IKubernetes client, KubeObjectRef o, CancellationToken cancellationToken)
    {
        try
        {
            await KubeObjects.DeleteAsync(client, o, cancellationToken).ConfigureAwait(false);
        }
        catch (HttpOperationException e) when (e.Response?.StatusCode == HttpStatusCode.NotFound)
        {
            // Gone with its owner (or by another hand) between the list and the delete: what was asked for holds.
        }
    }

    /// <summary>
    /// Waits until the Deployment has observed its latest generation and has its one replica updated and available on
    /// a Ready Pod of the newest ReplicaSet; stops at once on a state waiting does not mend.
    /// </summary>
    private async Task WaitForRolloutAsync(IKubernetes client, KompoxApp app, V1Deployment desired, IReadOnlyList<KubeObjectRef> applied, DeployOptions options, string activity, IProgress<OperationProgress> report, CancellationToken cancellationToken)
    {
        var time = context.TimeProvider;
        var started = time.GetUtcNow();
        var ns = desired.Metadata.NamespaceProperty;
        var name = desired.Metadata.Name;
        var selector = AppStatusReader.Selector(app);
        // Since when the new Pod has been seen in trouble: a crash loop shows Running between its back-offs, so that
        // counts on until the Pod is Ready or replaced.
        (string Pod, DateTimeOffset Since)? troubled = null;
        while (true)
        {
            var deployment = await client.AppsV1.ReadNamespacedDeploymentAsync(name, ns, cancellationToken: cancellationToken).ConfigureAwait(false);
            var replicas = deployment.Spec?.Replicas ?? 1;
            var status = deployment.Status;
            var replicaSets = await client.AppsV1.ListNamespacedReplicaSetAsync(ns, labelSelector: selector, cancellationToken: cancellationToken).ConfigureAwait(false);
            var newest = replicaSets.Items
                .Where(rs => rs.Metadata.OwnerReferences?.Any(o => o.Uid == deployment.Metadata.Uid) == true)
                .OrderByDescending(rs => Revision(rs.Metadata))
                .FirstOrDefault();
            var pods = await client.CoreV1.ListNamespacedPodAsync(ns, labelSelector: selector, cancellationToken: cancellationToken).ConfigureAwait(false);
            var newPods = newest is null
                ? new List<V1Pod>()
                : pods.Items.Where(p => p.Metadata.DeletionTimestamp is null && p.Metadata.OwnerReferences?.Any(o => o.Uid == newest.Metadata.Uid) == true).ToList();

            var elapsed = time.GetUtcNow() - started;
            var failing = newPods.Select(p => (Pod: p, Problem: Hopeless(p))).FirstOrDefault(x => x.Problem is not null);
            if (failing.Problem is not null && troubled?.Pod != failing.Pod.Metadata.Name)
            {
                troubled = (failing.Pod.Metadata.Name, time.GetUtcNow());
            }

            if (failing.Problem is { } hopeless && (hopeless.Permanent || time.GetUtcNow() - troubled!.Value.Since >= options.FailAfter || elapsed >= options.Timeout))
            {
                var details = await DiagnoseAsync(client, failing.Pod, cancellationToken).ConfigureAwait(false);
                throw new KompoxException("RolloutFailed", ErrorKind.Unavailable, $"app {app.Id}: the rollout failed: {hopeless.Text}.{Applied(applied, ns)}{details}") { Target = app.Id };
            }

            var observed = (status?.ObservedGeneration ?? 0) >= (deployment.Metadata.Generation ?? 0);
            var updated = status?.UpdatedReplicas ?? 0;
            var available = status?.AvailableReplicas ?? 0;
            var total = status?.Replicas ?? 0;
            if (observed && updated == replicas && available == replicas && total == replicas && newPods.Count(AppStatusReader.IsReady) == replicas)
            {
                report.Report(new OperationProgress(activity, $"Pod {newPods[0].Metadata.Name} is ready", 100));
                return;
            }

            var pod = AppStatusReader.NewestPod(newPods);
            var state = $"updated {updated}/{replicas}, available {available}/{replicas}" + (pod is null ? ", no Pod yet" : $", Pod {pod.Metadata.Name} {pod.Status?.Phase ?? "Pending"}");
            if (elapsed >= options.Timeout)
            {
                var details = pod is null ? string.Empty : await DiagnoseAsync(client, pod, cancellationToken).ConfigureAwait(false);
                throw new KompoxException("RolloutTimeout", ErrorKind.Timeout, $"app {app.Id}: the rollout did not finish in {options.Timeout.TotalSeconds:0} s ({state}).{Applied(applied, ns)}{details}") { Target = app.Id };
            }

            var percent = 75 + (int)(24 * Math.Min(1, elapsed / options.Timeout));
            report.Report(new OperationProgress(activity, $"waiting for the rollout: {state}", percent));
            var wait = options.PollInterval < options.Timeout - elapsed ? options.PollInterval : options.Timeout - elapsed;
            await Task.Delay(wait, time, cancellationToken).ConfigureAwait(false);
        }
    }

    private static string Applied(IReadOnlyList<KubeObjectRef> applied, string ns) =>
        $" The app's {applied.Count} objects ARE applied in namespace {ns} and stay so; see Get-KompoxApp and Get-KompoxAppLog (or kubectl -n {ns} describe pod) for more.";

    private static int Revision(V1ObjectMeta metadata) =>
        metadata.Annotations?.TryGetValue("deployment.kubernetes.io/revision", out var text) == true && int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var revision) ? revision : 0;

    /// <summary>Why the Pod is unlikely to become Ready by waiting, and whether waiting cannot mend it at all; null while it may.</summary>
    private static (string Text, bool Permanent)? Hopeless(V1Pod pod)
    {
        if (pod.Status?.Conditions?.FirstOrDefault(c => c.Type == "PodScheduled" && c.Status == "False" && c.Reason == "Unschedulable") is { } unschedulable)
        {
            return ($"Pod {pod.Metadata.Name} cannot be scheduled: {unschedulable.Message}", false);
        }

        var statuses = (pod.Status?.InitContainerStatuses ?? new List<V1ContainerStatus>()).Concat(pod.Status?.ContainerStatuses ?? new List<V1ContainerStatus>());
        foreach (var s in statuses)
        {
            if (s.State?.Waiting?.Reason is { } reason && HopelessReasons.Contains(reason))
            {
                return ($"container {s.Name} of Pod {pod.Metadata.Name} is in {reason}", reason == "InvalidImageName");
            }
        }

        return null;
    }

    /// <summary>The Pod's recent events, each container's state and the last log lines of the containers that fail.</summary>
    private static async Task<string> DiagnoseAsync(IKubernetes client, V1Pod pod, CancellationToken cancellationToken)
    {
        var ns = pod.Metadata.NamespaceProperty;
        var name = pod.Metadata.Name;
        var text = new StringBuilder();
        text.AppendLine().Append($"Pod {name}: phase {pod.Status?.Phase ?? "Pending"}");
        foreach (var condition in (pod.Status?.Conditions ?? new List<V1PodCondition>()).Where(c => c.Status != "True" && !string.IsNullOrEmpty(c.Reason)))
        {
            text.AppendLine().Append($"  condition {condition.Type}: {condition.Reason}{(string.IsNullOrEmpty(condition.Message) ? string.Empty : " - " + condition.Message)}");
        }

        var statuses = (pod.Status?.InitContainerStatuses ?? new List<V1ContainerStatus>()).Concat(pod.Status?.ContainerStatuses ?? new List<V1ContainerStatus>()).ToList();
        foreach (var s in statuses)
        {
            var c = AppStatusReader.Container(s);
            text.AppendLine().Append($"  container {c.Name} ({c.Image}): {c.State}");
            if (c.Reason is not null)
            {
                text.Append($" {c.Reason}");
            }

            if (!string.IsNullOrEmpty(c.Message))
            {
                text.Append($" - {c.Message}");
            }

            text.Append($", ready {c.Ready}, restarts {c.RestartCount}");
            if (c.LastTerminationReason is not null)
            {
                text.Append($", last terminated: {c.LastTerminationReason}, exit code {c.LastExitCode}");
            }
        }

        var events = await client.CoreV1.ListNamespacedEventAsync(ns, fieldSelector: $"involvedObject.name={name}", cancellationToken: cancellationToken).ConfigureAwait(false);
        var recent = events.Items.OrderBy(e => e.LastTimestamp ?? e.EventTime ?? e.Metadata.CreationTimestamp ?? DateTime.MinValue).TakeLast(10).ToList();
        if (recent.Count > 0)
        {
            text.AppendLine().Append("Events:");
            foreach (var e in recent)
            {
                text.AppendLine().Append($"  {e.Type} {e.Reason}: {e.Message}");
            }
        }

        foreach (var s in statuses.Where(s => !s.Ready))
        {
            // A crash-looping container's own log is of the run that failed: the previous one.
            var previous = s.State?.Waiting?.Reason == "CrashLoopBackOff" && s.LastState?.Terminated is not null;
            if (s.State?.Running is null && s.State?.Terminated is null && !previous)
            {
                continue;
            }

            string log;
            try
            {
                using var stream = await client.CoreV1.ReadNamespacedPodLogAsync(name, ns, container: s.Name, previous: previous, tailLines: 10, cancellationToken: cancellationToken).ConfigureAwait(false);
                using var reader = new StreamReader(stream);
                log = await reader.ReadToEndAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (HttpOperationException)
            {
                // The log is part of the explanation, not the failure: a kubelet that has none to give leaves it out.
                continue;
            }

            var lines = log.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            if (lines.Length > 0)
            {
                text.AppendLine().Append($"Last {lines.Length} log lines of container {s.Name}{(previous ? " (previous run)" : string.Empty)}:");
                foreach (var line in lines)
                {
                    text.AppendLine().Append("  ").Append(line.TrimEnd('\r'));
                }
            }
        }

        return text.ToString();
    }

    private async Task WaitForPodsGoneAsync(IKubernetes client, KompoxApp app, string activity, IProgress<OperationProgress> report, CancellationToken cancellationToken)
    {
        var time = context.TimeProvider;
        var started = time.GetUtcNow();
        var ns = KubeNames.Namespace(app);
        while (true)
        {
            var pods = await client.CoreV1.ListNamespacedPodAsync(ns, labelSelector: AppStatusReader.Selector(app), cancellationToken: cancellationToken).ConfigureAwait(false);
            if (pods.Items.Count == 0)
            {
                return;
            }

            var elapsed = time.GetUtcNow() - started;
            if (elapsed >= PodGoneTimeout)
            {
                throw new KompoxException("DestroyTimeout", ErrorKind.Timeout, $"app {app.Id}: Pod {string.Join(", ", pods.Items.Select(p => p.Metadata.Name))} still exists {PodGoneTimeout.TotalSeconds:0} s after its Deployment was deleted; the Deployment and the Ingresses are deleted, the rest is kept; run Remove-KompoxApp again") { Target = app.Id };
            }

            report.Report(new OperationProgress(activity, $"waiting for Pod {pods.Items[0].Metadata.Name} to go", 50));
            await Task.Delay(TimeSpan.FromSeconds(1), time, cancellationToken).ConfigureAwait(false);
        }
    }
}
