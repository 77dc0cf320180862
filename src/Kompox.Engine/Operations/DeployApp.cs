using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Kompox.Conversion;
using Kompox.Drivers;
using Kompox.Kube;
using Kompox.Model;

namespace Kompox.Operations;

/// <summary>What an app is deployed with: how its compose file is read, and how long the rollout may take.</summary>
public sealed record DeployOptions : ComposeReadOptions
{
    /// <summary>
    /// How long the new Pod may take to become Ready, measured on the context's clock; then <c>RolloutTimeout</c>. Also
    /// how long the app's volume or claim, found being deleted, may take to go before it is made anew; then <c>VolumeTerminating</c>.
    /// </summary>
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

    /// <summary>How long to wait for another operation holding the app; null for the context's default.</summary>
    public TimeSpan? LockWait { get; init; }

    /// <summary>
    /// The plan asks the cluster, per object, whether the apply would create, change or leave it as it is (a server-side
    /// dry run), and which of the app's objects would be pruned. Costs a request per object: for showing the plan.
    /// </summary>
    public bool Compare { get; init; }
}

/// <summary>What a deploy does to one object.</summary>
public enum PlannedAction
{
    /// <summary>Applied; whether that changes it was not asked (<see cref="DeployOptions.Compare"/> off).</summary>
    Apply,
    Create,
    Change,
    Unchanged,
    Prune,
}

/// <summary>One object of a deploy plan and what the deploy does to it.</summary>
public sealed record PlannedChange(KubeObjectRef Object, PlannedAction Action)
{
    public override string ToString() => $"{Action.ToString().ToLowerInvariant()} {Object}";
}

/// <summary>
/// What a deploy will do, made by reading the cluster only: the app converted once, with its disk, and the changes to
/// each object. <see cref="AppOperations.DeployAsync(DeployPlan, IProgress{OperationProgress}?, CancellationToken)"/>
/// applies exactly this plan, so what -WhatIf or a confirmation showed is what is applied.
/// </summary>
/// <param name="CreatesDisk">The app has no current disk: the deploy creates its first one, with its PersistentVolume and claim (not in <see cref="Changes"/>).</param>
/// <param name="DiskId">The current disk the deploy uses; null when it creates one.</param>
/// <param name="Changes">Every object in apply order, then the objects pruned (known only when compared).</param>
/// <param name="Warnings">What the conversion warns about (unset variables, keys with no effect in one Pod, ...).</param>
public sealed record DeployPlan(string AppId, string Namespace, bool CreatesDisk, string? DiskId, IReadOnlyList<PlannedChange> Changes, IReadOnlyList<Diagnostic> Warnings)
{
    /// <summary>The current disk the namespace named when the plan was made (null when <see cref="DiskId"/> came from the provider's record or is made): the deploy refuses a namespace that names another by then.</summary>
    internal string? NamespaceDiskId { get; init; }

    /// <summary>The changes were asked of the cluster (<see cref="DeployOptions.Compare"/>): each object says create, change or unchanged, and the prunes are listed.</summary>
    public bool Compared { get; init; }

    public IReadOnlyList<KubeObjectRef> Apply => Changes.Where(c => c.Action != PlannedAction.Prune).Select(c => c.Object).ToList();

    public IReadOnlyList<KubeObjectRef> Prune => Changes.Where(c => c.Action == PlannedAction.Prune).Select(c => c.Object).ToList();

    internal AppManifest Manifest { get; init; } = null!;

    internal DeployOptions Options { get; init; } = null!;

    internal string? NodeName { get; init; }

    /// <summary>The app's namespace existed when the plan was made.</summary>
    internal bool NamespaceExists { get; init; }

    public override string ToString()
    {
        var text = new StringBuilder();
        if (CreatesDisk)
        {
            text.Append("create the first disk and its PersistentVolume and PersistentVolumeClaim; ");
        }

        if (!Compared)
        {
            return text.Append("apply ").Append(string.Join(", ", Apply)).Append(", and prune the app's objects no longer desired").ToString();
        }

        var counts = Changes.GroupBy(c => c.Action).OrderBy(g => g.Key).Select(g => $"{g.Count()} to {g.Key.ToString().ToLowerInvariant()}");
        return text.Append(string.Join(", ", counts)).ToString();
    }
}

/// <summary>The deploy use case: its plan, read from the cluster, and its application under the app's lock.</summary>
internal static class DeployApp
{
    /// <summary>Container states that do not get better by waiting: deploy stops on them at once.</summary>
    private static readonly HashSet<string> HopelessReasons = new(StringComparer.Ordinal)
    {
        "ImagePullBackOff", "ErrImagePull", "InvalidImageName", "CrashLoopBackOff", "CreateContainerConfigError", "CreateContainerError", "RunContainerError",
    };

    /// <summary>Converts the app once, checks its hosts, and reads its disk state and node; with <see cref="DeployOptions.Compare"/>, each object's change.</summary>
    public static async Task<DeployPlan> PlanAsync(OperationScope scope, DeployOptions options, CancellationToken cancellationToken)
    {
        var app = scope.App;
        var client = scope.Kube;
        scope.Step("converting", 5);
        var manifest = await AgainstServerVersionAsync(scope, Convert(app, options, null), options, cancellationToken).ConfigureAwait(false);
        ClusterApps.MarkConfig(manifest, app, scope.Context.Machine);
        await HostConflicts.CheckAsync(scope, manifest, cancellationToken).ConfigureAwait(false);
        await IngressChecks.RequireInstalledAsync(scope, manifest, cancellationToken).ConfigureAwait(false);

        await RequireArchitectureAsync(scope, manifest, cancellationToken).ConfigureAwait(false);

        scope.Step("reading the disk state", 30);
        var live = await KubeObjects.ReadOrNullAsync(() => client.CoreV1.ReadNamespaceAsync(manifest.Namespace, cancellationToken: cancellationToken)).ConfigureAwait(false);
        var state = live is null ? AppDiskState.None : AppDiskState.Of(live);

        RequireExternalVolumes(app, manifest, state.CurrentDiskId);

        // The node is found, and found to be this machine, before a disk is made, so that a cluster where the disk could
        // not be used gets none.
        var nodeName = await scope.DiskNodeAsync(cancellationToken).ConfigureAwait(false);
        var runtime = await scope.RuntimeAsync(cancellationToken).ConfigureAwait(false);

        // A namespace that names no disk (never deployed, or made by hand) leaves the choice to the provider's record: a
        // switch of an app not deployed recorded it there.
        var diskId = state.CurrentDiskId;
        if (diskId is null)
        {
            scope.Step("reading the provider's record of the current disk", 32);
            diskId = DiskInfo.ProviderCurrent(await runtime.ListDisksAsync(app, cancellationToken).ConfigureAwait(false));
        }

        if (diskId is not null)
        {
            var disk = await runtime.GetDiskAsync(app, diskId, cancellationToken).ConfigureAwait(false);
            manifest = AppConverter.WithDisk(app, manifest, disk, nodeName);
        }

        var changes = options.Compare
            ? await CompareAsync(scope, manifest, live, cancellationToken).ConfigureAwait(false)
            : manifest.Objects.Select(o => new PlannedChange(KubeObjectRef.Of(o), PlannedAction.Apply)).ToList();
        var renamed = await ClusterApps.RenamedAsync(scope, cancellationToken).ConfigureAwait(false);
        return new DeployPlan(app.Id, manifest.Namespace, diskId is null, diskId, changes, manifest.Warnings.Concat(renamed).ToList())
        {
            Compared = options.Compare,
            Manifest = manifest,
            Options = options,
            NodeName = nodeName,
            NamespaceExists = live is not null,
            NamespaceDiskId = state.CurrentDiskId,
        };
    }

    /// <summary>The plan moved onto <paramref name="disk"/>, which the caller has just written to the namespace as current: its volume and claim, and the Deployment on that claim.</summary>
    internal static DeployPlan OnDisk(OperationScope scope, DeployPlan plan, DiskInfo disk)
    {
        var manifest = AppConverter.WithDisk(scope.App, plan.Manifest, disk, plan.NodeName);
        return plan with
        {
            CreatesDisk = false,
            DiskId = disk.Id,
            NamespaceDiskId = disk.Id,
            NamespaceExists = true,
            Manifest = manifest,
            Changes = manifest.Objects.Select(o => new PlannedChange(KubeObjectRef.Of(o), PlannedAction.Apply)).ToList(),
            Compared = false,
        };
    }

    /// <summary>
    /// Applies the plan holding the app's lock: the namespace, the first disk when there is none, every object, the
    /// prune, and waits for the rollout. A namespace that does not exist yet is applied before the lock, which lives in it.
    /// </summary>
    public static async Task<AppStatus> DeployAsync(OperationScope scope, DeployPlan plan, CancellationToken cancellationToken)
    {
        var namespaceObject = plan.Manifest.Objects.OfType<V1Namespace>().Single();
        if (!plan.NamespaceExists)
        {
            scope.Step($"applying {KubeObjectRef.Of(namespaceObject)}", 5);
            await KubeObjects.ApplyAsync(scope.Kube, namespaceObject, cancellationToken).ConfigureAwait(false);
        }

        return await scope.HoldAppAsync(plan.Options.LockWait, token => DeployHeldAsync(scope, plan, namespaceObject, token), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The deploy's body; the caller holds the app's lock (a switch runs it inside its own).</summary>
    internal static async Task<AppStatus> DeployHeldAsync(OperationScope scope, DeployPlan plan, V1Namespace namespaceObject, CancellationToken cancellationToken)
    {
        var app = scope.App;
        var client = scope.Kube;
        var manifest = plan.Manifest;

        // The disk state is written only under the app's lock: what the namespace says now holds until the deploy ends.
        // An existing namespace is applied here, and the apply's answer says it; a new one was applied before the lock.
        var live = plan.NamespaceExists
            ? (V1Namespace)await KubeObjects.ApplyAsync(client, namespaceObject, cancellationToken).ConfigureAwait(false)
            : await client.CoreV1.ReadNamespaceAsync(manifest.Namespace, cancellationToken: cancellationToken).ConfigureAwait(false);
        var state = AppDiskState.Of(live);
        if (state.CurrentDiskId != plan.NamespaceDiskId)
        {
            throw new KompoxException(
                "DeployPlanOutdated",
                ErrorKind.Conflict,
                $"app {app.Id}: the deploy was planned on {(plan.DiskId is null ? "a new first disk" : $"disk {plan.DiskId}")}, but the app's current disk is now {state.CurrentDiskId ?? "none"}; only its namespace was applied")
            {
                Target = app.Id,
                Remedy = Remedy.RunAgain,
            };
        }

        var runtime = await scope.RuntimeAsync(cancellationToken).ConfigureAwait(false);
        if (plan.CreatesDisk)
        {
            scope.Step("creating the first disk", 10);
            var disk = await runtime.CreateDiskAsync(app, scope.Progress, cancellationToken).ConfigureAwait(false);
            state = state with { CurrentDiskId = disk.Id };
            await AppDiskStates.ApplyAsync(client, app, state, cancellationToken).ConfigureAwait(false);
            manifest = AppConverter.WithDisk(app, manifest, disk, plan.NodeName);
        }
        else if (state.CurrentDiskId is null)
        {
            // The disk the provider's record names becomes the namespace's too.
            scope.Step($"using disk {plan.DiskId}, the provider's record of the current disk", 10);
            state = state with { CurrentDiskId = plan.DiskId };
            await AppDiskStates.ApplyAsync(client, app, state, cancellationToken).ConfigureAwait(false);
        }
        else
        {
            scope.Step($"using disk {plan.DiskId}", 10);
        }

        // The provider's record follows the namespace, which wins where it can be read: repaired when they disagree.
        await runtime.MarkCurrentAsync(app, state.CurrentDiskId!, cancellationToken).ConfigureAwait(false);

        // The first deploy on a disk copies the project's bound directories onto it, before the app starts on it; a disk an
        // earlier Kompox deployed the app on has had its first deploy.
        await AppVolume.MarkSeededIfLegacyAsync(scope, runtime, state.CurrentDiskId!, cancellationToken).ConfigureAwait(false);
        var seedThroughCluster = await SeedBinds.OnDeployAsync(scope, runtime, state.CurrentDiskId!, manifest.Binds, cancellationToken).ConfigureAwait(false);

        // One list per kind serves the volume and claim, the claim's storage request and the prune, before anything changes.
        scope.Step("reading the app's objects", 12);
        var existing = await AppObjects.ListAsync(client, app, manifest.Namespace, cancellationToken).ConfigureAwait(false);
        await AppVolume.PrepareAsync(scope, manifest, existing, plan.Options.Timeout, cancellationToken).ConfigureAwait(false);
        // On aks the seed Pod mounts the disk's claim, so it runs once the claim is applied and before the Deployment is.
        var diskId = state.CurrentDiskId!;
        Func<CancellationToken, Task>? beforeDeployment = seedThroughCluster is null
            ? null
            : token => SeedBinds.ThroughClusterAsync(scope, seedThroughCluster, diskId, manifest.Objects.OfType<V1PersistentVolumeClaim>().Single().Metadata.Name, manifest.Binds, plan.Options.Timeout, token);
        var (applied, deployment) = await ApplyAllAsync(scope, manifest, existing, beforeDeployment, cancellationToken).ConfigureAwait(false);

        scope.Step("pruning the objects no longer desired", 72);
        foreach (var doomed in AppObjects.Undesired(existing.Keys, manifest.Objects.Select(KubeObjectRef.Of)))
        {
            scope.Step($"pruning {doomed}", 74);
            await DeleteIfPresentAsync(client, doomed, cancellationToken).ConfigureAwait(false);
        }

        // The status is of the Deployment as the wait last read it: the apply's answer precedes the rollout on a real cluster.
        var (rolledOut, pods) = await WaitForRolloutAsync(scope, deployment, applied, plan.Options, cancellationToken).ConfigureAwait(false);
        return AppStatusReader.Of(app, state, rolledOut, pods, manifest.Objects.OfType<V1Ingress>());
    }

    // compose-spec 07-volumes.md: Compose does not create an external volume and fails when it does not exist. The app's
    // volumes are directories of its disk: a deploy that creates the first disk would start on an empty directory instead.
    private static void RequireExternalVolumes(KompoxApp app, AppManifest manifest, string? currentDiskId)
    {
        if (currentDiskId is not null || manifest.ExternalVolumes.Count == 0)
        {
            return;
        }

        var names = string.Join(", ", manifest.ExternalVolumes);
        throw new KompoxException(
            "ExternalVolumeMissing",
            ErrorKind.NotFound,
            $"app {app.Id} mounts the external volume{(manifest.ExternalVolumes.Count > 1 ? "s" : string.Empty)} {names}, which docker compose does not create but requires to exist, "
            + $"and the app has no disk yet, so none can hold {(manifest.ExternalVolumes.Count > 1 ? "them" : "it")}; create the app's disk, import the volume's data into "
            + $"volumes/<name> on it (a disk import, layout in about_Kompox_DiskLayout), then deploy; or remove 'external: true' to start with an empty volume")
        {
            Target = app.ComposePath ?? app.Id,
        };
    }

    // A compose platform becomes the Pod's kubernetes.io/arch node selector; with no node of that architecture the Pod
    // would wait unscheduled for ever, where Docker would have emulated it. Read only when the app asks for one.
    private static async Task RequireArchitectureAsync(OperationScope scope, AppManifest manifest, CancellationToken cancellationToken)
    {
        var selector = manifest.Objects.OfType<V1Deployment>().Single().Spec?.Template?.Spec?.NodeSelector;
        if (selector is null || !selector.TryGetValue(PodSettings.ArchLabel, out var arch))
        {
            return;
        }

        var nodes = (await scope.Kube.CoreV1.ListNodeAsync(cancellationToken: cancellationToken).ConfigureAwait(false)).Items;
        var archs = nodes.Select(n => n.Metadata?.Labels?.TryGetValue(PodSettings.ArchLabel, out var a) == true ? a : null).OfType<string>().Distinct().Order(StringComparer.Ordinal).ToList();
        if (!archs.Contains(arch, StringComparer.Ordinal))
        {
            throw new KompoxException(
                "PlatformUnavailable",
                ErrorKind.Conflict,
                $"app {scope.App.Id} asks for platform linux/{arch} (compose platform), but no node of cluster {scope.App.Cluster.Id} runs {arch} "
                + $"(its nodes run {(archs.Count == 0 ? "no architecture they report" : string.Join(", ", archs))}); Docker would emulate it, Kubernetes does not: "
                + $"add a {arch} node, or change or remove the services' platform")
            {
                Target = scope.App.ComposePath ?? scope.App.Id,
            };
        }
    }

    private static AppManifest Convert(KompoxApp app, ComposeReadOptions options, Version? serverVersion)
    {
        AppManifest? manifest = null;
        var result = AppValidator.Convert(app, options, project => manifest = AppConverter.Convert(app, project, (string?)null, new AppConversionOptions { DiskCreatedAtDeploy = true, ServerVersion = serverVersion }));
        if (!result.IsValid || manifest is null)
        {
            throw result.Error();
        }

        return manifest;
    }

    /// <summary>
    /// The app converted against the cluster's Kubernetes version when it sets a sysctl that only newer versions allow
    /// (an older cluster would refuse its Pod at admission, or its kubelet would) or runs sidecars (depends_on, the DNS
    /// server: StartOrder); the version is read only then.
    /// </summary>
    private static async Task<AppManifest> AgainstServerVersionAsync(OperationScope scope, AppManifest manifest, DeployOptions options, CancellationToken cancellationToken)
    {
        var pods = manifest.Objects.OfType<V1Deployment>().Select(d => d.Spec?.Template?.Spec).OfType<V1PodSpec>().ToList();
        var sysctls = pods.SelectMany(p => p.SecurityContext?.Sysctls ?? new List<V1Sysctl>());

        // Sidecars (depends_on, the DNS server) need 1.29; an older kubelet would run none of the Pod's containers.
        var sidecars = pods.SelectMany(p => p.InitContainers ?? new List<V1Container>()).Any(c => c.RestartPolicy == "Always");
        if (!sidecars && !sysctls.Any(s => PodSettings.SafeSince.ContainsKey(s.Name)))
        {
            return manifest;
        }

        scope.Step("reading the server version", 3);
        var code = await scope.Kube.Version.GetCodeAsync(cancellationToken).ConfigureAwait(false);
        return ServerVersion(code) is { } version ? Convert(scope.App, options, version) : manifest;
    }

    /// <summary>major.minor of /version; managed clusters write a minor such as "28+", and gitVersion v1.28.3-eks-... says the same.</summary>
    internal static Version? ServerVersion(VersionInfo code)
    {
        static int? Leading(string? text) =>
            text is null ? null : int.TryParse(new string(text.TakeWhile(char.IsAsciiDigit).ToArray()), NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : null;

        if (Leading(code.Major) is { } major && Leading(code.Minor) is { } minor)
        {
            return new Version(major, minor);
        }

        var parts = (code.GitVersion ?? string.Empty).TrimStart('v').Split('.');
        return parts.Length >= 2 && Leading(parts[0]) is { } gitMajor && Leading(parts[1]) is { } gitMinor ? new Version(gitMajor, gitMinor) : null;
    }
    /// <summary>
    /// Each object's change, asked of the server by a dry-run apply against the object it has: the dry run applies the
    /// same defaults and merges as the real one, so a field the server fills in does not count as a change.
    /// </summary>
    private static async Task<List<PlannedChange>> CompareAsync(OperationScope scope, AppManifest manifest, V1Namespace? liveNamespace, CancellationToken cancellationToken)
    {
        var client = scope.Kube;
        var existing = liveNamespace is null
            ? new Dictionary<KubeObjectRef, IKubernetesObject<V1ObjectMeta>>()
            : await AppObjects.ListAsync(client, scope.App, manifest.Namespace, cancellationToken).ConfigureAwait(false);
        if (liveNamespace is not null)
        {
            existing[KubeObjectRef.Of(manifest.Objects.OfType<V1Namespace>().Single())] = liveNamespace;
        }

        var changes = new List<PlannedChange>();
        var objects = manifest.Objects;
        for (var i = 0; i < objects.Count; i++)
        {
            var reference = KubeObjectRef.Of(objects[i]);
            if (!existing.TryGetValue(reference, out var live))
            {
                changes.Add(new PlannedChange(reference, PlannedAction.Create));
                continue;
            }

            scope.Step($"comparing {reference}", 40 + (i * 55 / objects.Count));
            var body = AppVolume.Desired(objects[i], existing);
            var result = await KubeObjects.ApplyAsync(client, body, cancellationToken, dryRun: true).ConfigureAwait(false);
            changes.Add(new PlannedChange(reference, SameContent(live, result) ? PlannedAction.Unchanged : PlannedAction.Change));
        }

        changes.AddRange(AppObjects.Undesired(existing.Keys, changes.Select(c => c.Object)).Select(o => new PlannedChange(o, PlannedAction.Prune)));
        return changes;
    }

    /// <summary>Whether two versions of an object hold the same content: all but the bookkeeping the server keeps on every write.</summary>
    private static bool SameContent(IKubernetesObject<V1ObjectMeta> live, IKubernetesObject<V1ObjectMeta> applied)
    {
        static string Content(IKubernetesObject<V1ObjectMeta> o)
        {
            var json = JsonNode.Parse(KubernetesJson.Serialize(o))!.AsObject();
            json.Remove("kind");
            json.Remove("apiVersion");
            json.Remove("status");
            if (json["metadata"] is JsonObject metadata)
            {
                foreach (var field in new[] { "managedFields", "resourceVersion", "generation", "creationTimestamp", "uid" })
                {
                    metadata.Remove(field);
                }
            }

            return json.ToJsonString();
        }

        return Content(live) == Content(applied);
    }

    /// <summary>Applies every object but the namespace (applied first), in the manifest's order; a failure says what was applied.</summary>
    private static async Task<(IReadOnlyList<KubeObjectRef> Applied, V1Deployment Deployment)> ApplyAllAsync(OperationScope scope, AppManifest manifest, IReadOnlyDictionary<KubeObjectRef, IKubernetesObject<V1ObjectMeta>> existing, Func<CancellationToken, Task>? beforeDeployment, CancellationToken cancellationToken)
    {
        var objects = manifest.Objects;
        var applied = new List<KubeObjectRef>();
        V1Deployment? deployment = null;
        for (var i = 0; i < objects.Count; i++)
        {
            var current = KubeObjectRef.Of(objects[i]);
            if (objects[i] is V1Namespace)
            {
                applied.Add(current);
                continue;
            }

            if (objects[i] is V1Deployment && beforeDeployment is not null)
            {
                await beforeDeployment(cancellationToken).ConfigureAwait(false);
            }

            scope.Step($"applying {current}", 15 + (i * 55 / objects.Count));
            try
            {
                var body = AppVolume.Desired(objects[i], existing);
                var result = await KubeObjects.ApplyAsync(scope.Kube, body, cancellationToken).ConfigureAwait(false);
                deployment = result as V1Deployment ?? deployment;
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

        return (applied, deployment ?? throw new InvalidOperationException("an app's manifest has one Deployment"));
    }

    internal static async Task DeleteIfPresentAsync(IKubernetes client, KubeObjectRef o, CancellationToken cancellationToken)
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

    /// <summary>Whether the Deployment's status says its rollout is complete, as <c>kubectl rollout status</c> reads it.</summary>
    private static bool Complete(V1Deployment deployment)
    {
        var replicas = deployment.Spec?.Replicas ?? 1;
        var status = deployment.Status;
        return (status?.ObservedGeneration ?? 0) >= (deployment.Metadata.Generation ?? 0)
            && (status?.UpdatedReplicas ?? 0) == replicas
            && (status?.AvailableReplicas ?? 0) == replicas
            && (status?.Replicas ?? 0) == replicas;
    }

    /// <summary>
    /// Waits until the Deployment has observed its latest generation and has its one replica updated and available on
    /// a Ready Pod of the newest ReplicaSet; stops at once on a state waiting does not mend. Starts from the Deployment
    /// the apply returned: an unchanged one whose rollout is complete needs only its Pods read.
    /// </summary>
    /// <returns>The Deployment and the app's Pods as last read.</returns>
    internal static async Task<(V1Deployment Deployment, IList<V1Pod> Pods)> WaitForRolloutAsync(OperationScope scope, V1Deployment applied, IReadOnlyList<KubeObjectRef> appliedRefs, DeployOptions options, CancellationToken cancellationToken)
    {
        var app = scope.App;
        var client = scope.Kube;
        var time = scope.Time;
        var started = time.GetUtcNow();
        var ns = applied.Metadata.NamespaceProperty;
        var name = applied.Metadata.Name;
        var selector = AppObjects.Selector(app);
        var deployment = applied;
        // Since when the new Pod (or its ReplicaSet, while it has none) has been seen in trouble: a crash loop shows
        // Running between its back-offs, so that counts on until the Pod is Ready or replaced.
        (string Key, DateTimeOffset Since)? troubled = null;
        for (var look = 0; ; look++)
        {
            if (look > 0)
            {
                deployment = await client.AppsV1.ReadNamespacedDeploymentAsync(name, ns, cancellationToken: cancellationToken).ConfigureAwait(false);
            }

            var replicas = deployment.Spec?.Replicas ?? 1;
            if (Complete(deployment))
            {
                var settled = await client.CoreV1.ListNamespacedPodAsync(ns, labelSelector: selector, cancellationToken: cancellationToken).ConfigureAwait(false);
                if (settled.Items.Count(p => p.Metadata.DeletionTimestamp is null && AppStatusReader.IsReady(p)) >= replicas)
                {
                    scope.Step($"Pod {AppStatusReader.NewestPod(settled.Items)?.Metadata.Name} is ready", 99);
                    return (deployment, settled.Items);
                }
            }

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
            var problem = await ProblemAsync(client, newest, newPods, replicas, cancellationToken).ConfigureAwait(false);
            if (problem is not null && troubled?.Key != problem.Key)
            {
                troubled = (problem.Key, time.GetUtcNow());
            }

            if (problem is not null && (problem.Permanent || time.GetUtcNow() - troubled!.Value.Since >= options.FailAfter || elapsed >= options.Timeout))
            {
                var details = problem.Pod is { } failing
                    ? await DiagnoseAsync(client, failing, cancellationToken).ConfigureAwait(false)
                    : await DiagnoseReplicaSetAsync(client, newest!, cancellationToken).ConfigureAwait(false);
                throw new KompoxException("RolloutFailed", ErrorKind.Unavailable, $"app {app.Id}: the rollout failed: {problem.Text}.{Applied(appliedRefs, ns)}{details}") { Target = app.Id, Remedy = Remedy.InspectApp };
            }

            var observed = (status?.ObservedGeneration ?? 0) >= (deployment.Metadata.Generation ?? 0);
            var updated = status?.UpdatedReplicas ?? 0;
            var available = status?.AvailableReplicas ?? 0;
            var total = status?.Replicas ?? 0;
            if (observed && updated == replicas && available == replicas && total == replicas && newPods.Count(AppStatusReader.IsReady) == replicas)
            {
                scope.Step($"Pod {newPods[0].Metadata.Name} is ready", 99);
                return (deployment, pods.Items);
            }

            var pod = AppStatusReader.NewestPod(newPods);
            var state = $"updated {updated}/{replicas}, available {available}/{replicas}" + (pod is null ? ", no Pod yet" : $", Pod {pod.Metadata.Name} {pod.Status?.Phase ?? "Pending"}");
            if (elapsed >= options.Timeout)
            {
                var details = pod is not null ? await DiagnoseAsync(client, pod, cancellationToken).ConfigureAwait(false)
                    : newest is not null ? await DiagnoseReplicaSetAsync(client, newest, cancellationToken).ConfigureAwait(false)
                    : string.Empty;
                throw new KompoxException("RolloutTimeout", ErrorKind.Timeout, $"app {app.Id}: the rollout did not finish in {options.Timeout.TotalSeconds:0} s ({state}).{Applied(appliedRefs, ns)}{details}") { Target = app.Id, Remedy = Remedy.InspectApp };
            }

            var percent = 75 + (int)(24 * Math.Min(1, elapsed / options.Timeout));
            scope.Step($"waiting for the rollout: {state}", percent);
            var wait = options.PollInterval < options.Timeout - elapsed ? options.PollInterval : options.Timeout - elapsed;
            await Task.Delay(wait, time, cancellationToken).ConfigureAwait(false);
        }
    }

    private static string Applied(IReadOnlyList<KubeObjectRef> applied, string ns) =>
        applied.Count == 0
            ? $" (kubectl -n {ns} describe pod shows more)."
            : $" The app's {applied.Count} objects ARE applied in namespace {ns} and stay so (kubectl -n {ns} describe pod shows more).";

    private static int Revision(V1ObjectMeta metadata) =>
        metadata.Annotations?.TryGetValue("deployment.kubernetes.io/revision", out var text) == true && int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var revision) ? revision : 0;

    /// <summary>
    /// What keeps the rollout from going on: a new Pod's state (<see cref="Hopeless"/>), a definite "no such image" in
    /// its pull events, a volume it cannot attach or mount, or, while the ReplicaSet has fewer Pods than it wants, the
    /// API server's refusal to create one. Null while waiting may mend it.
    /// </summary>
    private static async Task<RolloutProblem?> ProblemAsync(IKubernetes client, V1ReplicaSet? newest, List<V1Pod> newPods, int replicas, CancellationToken cancellationToken)
    {
        foreach (var pod in newPods)
        {
            if (Hopeless(pod) is { } hopeless)
            {
                if (!hopeless.Permanent && hopeless.PullFailed)
                {
                    // A kubelet before 1.32 says only "Back-off pulling image" while it waits: the pull's own error is its Failed event.
                    var events = await PodEventsAsync(client, pod, cancellationToken).ConfigureAwait(false);
                    if (events.FirstOrDefault(e => e.Reason == "Failed" && ImageMissing(e.Message)) is { } missing)
                    {
                        return new RolloutProblem(pod.Metadata.Name, $"{hopeless.Text}: {missing.Message}", true, pod);
                    }
                }

                return new RolloutProblem(pod.Metadata.Name, hopeless.Text, hopeless.Permanent, pod);
            }

            if (WaitsForVolumes(pod))
            {
                // The attach/detach controller and the kubelet say so only in events (FailedAttachVolume, FailedMount);
                // the containers just wait in ContainerCreating. A disk may still come: the grace applies.
                var events = await PodEventsAsync(client, pod, cancellationToken).ConfigureAwait(false);
                if (events.LastOrDefault(e => e.Type == "Warning" && e.Reason is "FailedMount" or "FailedAttachVolume") is { } volume)
                {
                    return new RolloutProblem(pod.Metadata.Name, $"Pod {pod.Metadata.Name} cannot start: its volumes are not ready ({volume.Reason}: {volume.Message})", false, pod);
                }
            }
        }

        // A Pod refused at creation never exists: the ReplicaSet controller records the API server's answer in the
        // condition ReplicaFailure (kubernetes pkg/controller/replicaset/replica_set_utils.go). Quota admission refuses
        // with "status unknown for quota" until the quota controller has counted a new quota's usage: that passes.
        if (newest is not null && newPods.Count < replicas
            && newest.Status?.Conditions?.FirstOrDefault(c => c.Type == "ReplicaFailure" && c.Status == "True") is { } failure
            && !(failure.Message ?? string.Empty).Contains("status unknown for quota", StringComparison.Ordinal))
        {
            return new RolloutProblem($"ReplicaSet/{newest.Metadata.Name}", $"the API server refuses to create the Pod of ReplicaSet {newest.Metadata.Name} ({failure.Reason}): {failure.Message}", false, null);
        }

        return null;
    }

    /// <summary>What the registry answers for an image or tag it does not have; a timeout, a rate limit or an unreachable registry may pass.</summary>
    private static bool ImageMissing(string? message) =>
        message is not null && MissingImageAnswers.Any(a => message.Contains(a, StringComparison.OrdinalIgnoreCase));

    /// <summary>containerd's resolver on a 404 ("ref: not found"), the registry's MANIFEST_UNKNOWN, Docker Hub's answer for a repository it does not have.</summary>
    private static readonly string[] MissingImageAnswers = [": not found", "manifest unknown", "repository does not exist"];

    /// <summary>A scheduled Pod whose containers all wait in ContainerCreating: the kubelet holds them back until its volumes are attached and mounted.</summary>
    private static bool WaitsForVolumes(V1Pod pod) =>
        pod.Status?.Phase == "Pending" && !string.IsNullOrEmpty(pod.Spec?.NodeName)
        && (pod.Status.InitContainerStatuses ?? new List<V1ContainerStatus>()).Concat(pod.Status.ContainerStatuses ?? new List<V1ContainerStatus>()).All(s => s.State?.Waiting?.Reason is "ContainerCreating" or "PodInitializing");

    private static async Task<List<Corev1Event>> PodEventsAsync(IKubernetes client, V1Pod pod, CancellationToken cancellationToken) =>
        await EventsAsync(client, pod.Metadata.NamespaceProperty, pod.Metadata.Name, cancellationToken).ConfigureAwait(false);

    private static async Task<List<Corev1Event>> EventsAsync(IKubernetes client, string ns, string name, CancellationToken cancellationToken)
    {
        var events = await client.CoreV1.ListNamespacedEventAsync(ns, fieldSelector: $"involvedObject.name={name}", cancellationToken: cancellationToken).ConfigureAwait(false);
        return events.Items.OrderBy(e => e.LastTimestamp ?? e.EventTime ?? e.Metadata.CreationTimestamp ?? DateTime.MinValue).ToList();
    }

    /// <summary>A reason the rollout does not go on; <see cref="Key"/> is what it is about (a Pod, a ReplicaSet), since when it counts.</summary>
    private sealed record RolloutProblem(string Key, string Text, bool Permanent, V1Pod? Pod);

    /// <summary>Why the Pod is unlikely to become Ready by waiting, and whether waiting cannot mend it at all; null while it may.</summary>
    private static (string Text, bool Permanent, bool PullFailed)? Hopeless(V1Pod pod)
    {
        if (pod.Status?.Conditions?.FirstOrDefault(c => c.Type == "PodScheduled" && c.Status == "False" && c.Reason == "Unschedulable") is { } unschedulable)
        {
            return ($"Pod {pod.Metadata.Name} cannot be scheduled: {unschedulable.Message}", false, false);
        }

        var statuses = (pod.Status?.InitContainerStatuses ?? new List<V1ContainerStatus>()).Concat(pod.Status?.ContainerStatuses ?? new List<V1ContainerStatus>());
        foreach (var s in statuses)
        {
            if (s.State?.Waiting is { Reason: { } reason } waiting && HopelessReasons.Contains(reason))
            {
                // The kubelet's waiting message carries the pull's error (from 1.32 also in the back-off): a registry
                // that has no such image or tag will not have it on the next try.
                var pull = reason is "ErrImagePull" or "ImagePullBackOff";
                var text = $"container {s.Name} of Pod {pod.Metadata.Name} is in {reason}{(pull && !string.IsNullOrEmpty(waiting.Message) ? ": " + waiting.Message : string.Empty)}";
                return (text, reason == "InvalidImageName" || (pull && ImageMissing(waiting.Message)), pull);
            }
        }

        return null;
    }

    /// <summary>The ReplicaSet's recent events: the controller's FailedCreate quotes the API server's answer each time it tries.</summary>
    private static async Task<string> DiagnoseReplicaSetAsync(IKubernetes client, V1ReplicaSet replicaSet, CancellationToken cancellationToken)
    {
        var text = new StringBuilder();
        text.AppendLine().Append($"ReplicaSet {replicaSet.Metadata.Name}: {replicaSet.Status?.Replicas ?? 0} of {replicaSet.Spec?.Replicas ?? 1} Pods");
        foreach (var condition in replicaSet.Status?.Conditions ?? new List<V1ReplicaSetCondition>())
        {
            text.AppendLine().Append($"  condition {condition.Type}: {condition.Reason} - {condition.Message}");
        }

        AppendEvents(text, await EventsAsync(client, replicaSet.Metadata.NamespaceProperty, replicaSet.Metadata.Name, cancellationToken).ConfigureAwait(false));
        return text.ToString();
    }

    private static void AppendEvents(StringBuilder text, List<Corev1Event> events)
    {
        var recent = events.TakeLast(10).ToList();
        if (recent.Count > 0)
        {
            text.AppendLine().Append("Events:");
            foreach (var e in recent)
            {
                text.AppendLine().Append($"  {e.Type} {e.Reason}: {e.Message}");
            }
        }
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

        AppendEvents(text, await EventsAsync(client, ns, name, cancellationToken).ConfigureAwait(false));

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
}
