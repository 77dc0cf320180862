using System.Net;
using k8s;
using k8s.Autorest;
using Kompox.Conversion;
using Kompox.Drivers;

namespace Kompox.Operations;

/// <summary>How the project's bound directories are copied onto the app's current disk on demand.</summary>
public sealed record SeedBindsOptions : ComposeReadOptions
{
    /// <summary>Write nothing and take no lock: say what would be copied and what the disk already has.</summary>
    public bool DryRun { get; init; }

    /// <summary>How long to wait for another operation holding the app; null for the context's default.</summary>
    public TimeSpan? LockWait { get; init; }

    /// <summary>
    /// Where the copy goes through a Pod (aks): how long the app's Pod may take to stop and to be Ready again, and the
    /// seed Pod to run and to go; then <c>AppStopTimeout</c> or <c>SeedFailed</c>.
    /// </summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>How often the app's Pods are looked at while it stops and starts.</summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromSeconds(1);
}

/// <summary>
/// Copying the project's bound directories (<c>./html:/usr/share/nginx/html</c>) onto a disk (issue 14 item 8): Docker
/// shows the project's files there, and on the app's disk the directory would start empty. A deploy does it once per disk,
/// the first time it runs on a disk that was never seeded; <c>New-KompoxApp -SeedBinds</c> does it again for the current
/// disk. Never over what the disk has: the app's files are kept.
/// </summary>
internal static class SeedBinds
{
    /// <summary>The field manager of the replica count written while the app is stopped for a copy through the cluster.</summary>
    public const string FieldManager = "kompox-seed";

    /// <summary>
    /// On demand, for the app's current disk; the runner holds the app's lock unless it is a dry run. Where the disk is
    /// reached only through the cluster (aks) the copy is the deploy's seed Pod, which needs the disk (ReadWriteOnce) and
    /// the namespace's quota, both the app's Pod holds: the app is stopped around it and started again, also when the
    /// copy fails, as a snapshot with StopApp does. Never through the app's own container: its image need have no shell
    /// or tar.
    /// </summary>
    /// <exception cref="KompoxException"><c>NoCurrentDisk</c> for an app never deployed (its first deploy seeds its first disk); <c>AppNotDeployed</c> on aks when the disk's claim is not applied; <c>SeedUnsupported</c> on a driver that cannot.</exception>
    public static async Task<SeedResult> RunAsync(OperationScope scope, SeedBindsOptions options, CancellationToken cancellationToken)
    {
        scope.Step("reading the compose file", 5);
        var binds = MountPaths.Seeds(AppValidator.Load(scope.App, options));
        var runtime = await scope.RuntimeAsync(cancellationToken).ConfigureAwait(false);
        scope.Step("reading which disk is current", 10);
        var diskId = (await AppDiskStates.ReadAsync(scope, cancellationToken).ConfigureAwait(false)).CurrentDiskId
            ?? DiskInfo.ProviderCurrent(await runtime.ListDisksAsync(scope.App, cancellationToken).ConfigureAwait(false))
            ?? throw new KompoxException("NoCurrentDisk", ErrorKind.NotFound, $"app {scope.App.Id} has no current disk to copy its bound directories onto: it was never deployed, and its first deploy copies them onto its first disk") { Target = scope.App.Id, Remedy = Remedy.DeployFirst };
        scope.Step($"{(options.DryRun ? "looking at what would be copied" : "copying")} {string.Join(", ", binds.Select(b => b.Source))} onto disk {diskId}", 20);
        if (runtime is ISeedsThroughCluster through)
        {
            return await OnDemandThroughClusterAsync(scope, through, diskId, binds, options, cancellationToken).ConfigureAwait(false);
        }

        var result = await runtime.SeedAsync(scope.App, diskId, binds, options.DryRun, scope.Progress, cancellationToken).ConfigureAwait(false);
        Report(scope, result);
        return result;
    }

    /// <summary>
    /// In a deploy, holding the app's lock, before the app's objects are applied (so that the app starts with its files):
    /// copies the binds onto the disk when it was never seeded. A driver that cannot warns that the directories start empty.
    /// </summary>
    /// <returns>
    /// For a driver that seeds through the cluster (<see cref="ISeedsThroughCluster"/>, aks), the copy still to make once
    /// the disk's claim is applied and before the app's Deployment is (<see cref="ThroughClusterAsync"/>); else null.
    /// </returns>
    public static async Task<ISeedsThroughCluster?> OnDeployAsync(OperationScope scope, IDriverRuntime runtime, string diskId, IReadOnlyList<SeedSource> binds, CancellationToken cancellationToken)
    {
        if (binds.Count == 0 || (await runtime.GetDiskAsync(scope.App, diskId, cancellationToken).ConfigureAwait(false)).Seeded)
        {
            return null;
        }

        if (runtime is ISeedsThroughCluster through)
        {
            return through;
        }

        scope.Step($"copying the bound directories {string.Join(", ", binds.Select(b => b.Source))} onto disk {diskId}, which was never seeded", 11);
        try
        {
            Report(scope, await runtime.SeedAsync(scope.App, diskId, binds, dryRun: false, scope.Progress, cancellationToken).ConfigureAwait(false));
        }
        catch (KompoxException e) when (e.ErrorId == "SeedUnsupported")
        {
            scope.Warn(Diagnostic.Warning(scope.App.ComposePath ?? "compose.yml", SourceMark.File, string.Empty, e.Message));
        }

        return null;
    }

    /// <summary>In a deploy on aks: the seed Pod copies the binds onto the disk through its claim, before the app's Deployment is applied.</summary>
    public static async Task ThroughClusterAsync(OperationScope scope, ISeedsThroughCluster runtime, string diskId, string claimName, IReadOnlyList<SeedSource> binds, TimeSpan timeout, CancellationToken cancellationToken)
    {
        // A Pod of the app still running (deployed before seeding existed, or on the disk a switch leaves) holds the
        // namespace's ResourceQuota, sized for one Pod of the app, and maybe the disk: the seed Pod would not run.
        var pods = (await scope.Kube.CoreV1.ListNamespacedPodAsync(Conversion.KubeNames.Namespace(scope.App), labelSelector: AppObjects.Selector(scope.App), cancellationToken: cancellationToken).ConfigureAwait(false)).Items;
        if (pods.FirstOrDefault(p => p.Status?.Phase is not ("Succeeded" or "Failed")) is { } running)
        {
            scope.Warn(Diagnostic.Warning(scope.App.ComposePath ?? "compose.yml", SourceMark.File, string.Empty, $"{string.Join(", ", binds.Select(b => b.Source))} were not copied onto disk {diskId}: the app's Pod {running.Metadata.Name} is running and holds the namespace's quota, so the Pod that copies them cannot run beside it; the directories start empty there until they are copied onto the disk on demand, which stops the app for the copy"));
            return;
        }

        scope.Step($"copying the bound directories {string.Join(", ", binds.Select(b => b.Source))} onto disk {diskId}, which was never seeded, through Pod {ClusterSeed.PodName(scope.App)}", 11);
        Report(scope, await ClusterSeed.RunAsync(scope, runtime, diskId, claimName, binds, timeout, cancellationToken).ConfigureAwait(false));
    }

    private static async Task<SeedResult> OnDemandThroughClusterAsync(OperationScope scope, ISeedsThroughCluster runtime, string diskId, IReadOnlyList<SeedSource> binds, SeedBindsOptions options, CancellationToken cancellationToken)
    {
        var app = scope.App;
        var ns = Conversion.KubeNames.Namespace(app);
        var claim = Conversion.KubeNames.Claim(app.Name, diskId);

        // The seed Pod mounts the claim a deploy applied for the disk: without it there is nothing to mount the disk by.
        try
        {
            await scope.Kube.CoreV1.ReadNamespacedPersistentVolumeClaimAsync(claim, ns, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (HttpOperationException e) when (e.Response?.StatusCode == HttpStatusCode.NotFound)
        {
            throw new KompoxException("AppNotDeployed", ErrorKind.NotFound, $"app {app.Id}: its current disk {diskId} has no claim {claim} in namespace {ns}, by which a Pod would mount it to copy the bound directories: the app is not deployed on it; deploy it (a deploy onto a disk never seeded copies them), then copy again") { Target = app.Id, Remedy = Remedy.DeployFirst };
        }

        SeedResult result;
        if (options.DryRun)
        {
            var running = (await scope.Kube.AppsV1.ListNamespacedDeploymentAsync(ns, labelSelector: AppObjects.Selector(app), cancellationToken: cancellationToken).ConfigureAwait(false)).Items
                .Where(d => (d.Spec?.Replicas ?? 1) > 0)
                .Select(d => d.Metadata.Name)
                .ToList();
            var notes = new List<string> { $"disk {diskId} is read only through a Pod that mounts it: what it already has is kept when the copy is made, and is not known before" };
            if (running.Count > 0)
            {
                notes.Add($"the app is stopped for the copy (Deployment {string.Join(", ", running)} scaled to 0) and started again, also when the copy fails");
            }

            result = ClusterSeed.Plan(app, diskId, binds) with { Notes = notes };
        }
        else
        {
            result = await AppStop.AroundAsync(scope, FieldManager, options.Timeout, options.PollInterval, "copy of the bound directories", token => ClusterSeed.RunAsync(scope, runtime, diskId, claim, binds, options.Timeout, token), cancellationToken).ConfigureAwait(false);
        }

        Report(scope, result);
        return result;
    }

    private static void Report(OperationScope scope, SeedResult result)
    {
        var verb = result.DryRun ? "would copy" : "copied";
        foreach (var note in result.Notes)
        {
            scope.Detail(note);
        }

        foreach (var bind in result.Binds)
        {
            if (bind.NotCopied is { } why)
            {
                scope.Warn(Diagnostic.Warning(scope.App.ComposePath ?? "compose.yml", SourceMark.File, string.Empty, $"{bind.Bind.Source} was not copied onto disk {result.DiskId}: {why}"));
                continue;
            }

            scope.Detail($"{bind.Bind.Source} -> {bind.Bind.DiskPath}: {verb} {bind.Files} entries ({bind.Bytes} bytes){(bind.Skipped.Count == 0 ? string.Empty : $"; kept {bind.Skipped.Count} the disk already has: {string.Join(", ", bind.Skipped.Take(10))}{(bind.Skipped.Count > 10 ? ", ..." : string.Empty)}")}");
        }
    }
}
