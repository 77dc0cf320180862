using System.IO.Pipelines;
using System.Net;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Kompox.Conversion;
using Kompox.Drivers;
using Kompox.Kube;
using Kompox.Model;

namespace Kompox.Operations;

/// <summary>
/// Copying the bound directories onto a disk that only the cluster reaches (aks, <see cref="ISeedsThroughCluster"/>):
/// before the app's Deployment is applied, a short-lived Pod in the app's namespace mounts the disk's claim (the one the
/// deploy applies) and GNU tar extracts the disk archive from its stdin into the disk's root with
/// <c>--skip-old-files</c>, which keeps every file, link or directory already there (GNU tar manual, "Options
/// Controlling the Overwriting of Existing Files"); <c>--warning=existing-file</c> names each one it keeps. Then the
/// Pod is deleted and waited for: the disk is ReadWriteOnce, and the app's Pod mounts it next.
/// </summary>
internal static class ClusterSeed
{
    /// <summary>Where the seed Pod mounts the claim: the disk's root.</summary>
    internal const string MountPath = "/disk";

    /// <summary>The seed container's name.</summary>
    internal const string Container = "seed";

    // GNU tar's warning for an entry --skip-old-files keeps (src/extract.c, maybe_recoverable: "%s: skipping existing file").
    private const string SkipWarning = ": skipping existing file";

    /// <summary>The seed Pod's name: one per app, so that a Pod left by a killed process is found and replaced.</summary>
    internal static string PodName(KompoxApp app) => $"{app.Name}-seed";

    /// <summary>
    /// The tar command run in the seed Pod. As root GNU tar restores owners and modes (--same-owner, --same-permissions
    /// are its defaults for root); --numeric-owner takes the archive's ids, not names the image may map elsewhere.
    /// </summary>
    internal static IReadOnlyList<string> TarCommand { get; } =
        ["tar", "--extract", "--file=-", $"--directory={MountPath}", "--skip-old-files", "--warning=existing-file", "--numeric-owner", "--xattrs", "--xattrs-include=*"];

    /// <summary>
    /// Copies <paramref name="binds"/> onto the disk that <paramref name="claimName"/> mounts, then marks it seeded. The
    /// seed Pod is deleted and waited for however this ends (a stop included). GNU tar writes a file in place, so a stop
    /// in the middle of one leaves that file short on the disk, which is then not marked seeded (about_Kompox_Disks).
    /// </summary>
    /// <exception cref="KompoxException"><c>SeedFailed</c> when the Pod does not run in <paramref name="timeout"/> or tar fails.</exception>
    public static async Task<SeedResult> RunAsync(OperationScope scope, ISeedsThroughCluster runtime, string diskId, string claimName, IReadOnlyList<SeedSource> binds, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var app = scope.App;
        var ns = KubeNames.Namespace(app);
        var activity = $"Copying the bound directories onto disk {diskId}";
        var trees = new List<(SeedSource Bind, string Root, List<(string Name, long Size)> Entries)>();
        var results = new Dictionary<SeedSource, SeededBind>();
        foreach (var bind in binds)
        {
            // Docker mounts what the source names: a link to a directory is followed, as the bind would follow it.
            var source = Path.GetFullPath(bind.SourcePath);
            source = Directory.Exists(source) ? new DirectoryInfo(source).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? source : source;
            if (!Directory.Exists(source))
            {
                results[bind] = new SeededBind(bind, [], [], 0, 0) { NotCopied = $"{bind.Source} is no directory of the project; Docker would make it, empty" };
                continue;
            }

            trees.Add((bind, source, Entries(source, string.Empty).ToList()));
        }

        if (trees.Count > 0)
        {
            var stderr = await CopyAsync(scope, runtime, claimName, trees.Select(t => (t.Root, t.Bind.DiskPath)).ToList(), activity, timeout, cancellationToken).ConfigureAwait(false);
            var skipped = stderr.Split('\n')
                .Where(l => l.StartsWith("tar: ", StringComparison.Ordinal) && l.EndsWith(SkipWarning, StringComparison.Ordinal))
                .Select(l => l["tar: ".Length..^SkipWarning.Length].TrimEnd('/'))
                .ToHashSet(StringComparer.Ordinal);
            foreach (var (bind, _, entries) in trees)
            {
                var kept = entries.Where(e => skipped.Contains($"{bind.DiskPath}/{e.Name}")).ToList();
                var copied = entries.Except(kept).ToList();
                results[bind] = new SeededBind(bind, copied.Select(e => e.Name).ToList(), kept.Select(e => e.Name).ToList(), copied.Count, copied.Sum(e => e.Size));
            }
        }

        await runtime.MarkSeededAsync(app, diskId, cancellationToken).ConfigureAwait(false);
        return new SeedResult(app.Id, diskId, false, binds.Select(b => results[b]).ToList());
    }

    /// <summary>
    /// The files and links under <paramref name="directory"/> (relative names, data bytes): what tar reports one by one.
    /// A directory already on the disk merges silently, so directories are not counted.
    /// </summary>
    private static IEnumerable<(string Name, long Size)> Entries(string directory, string prefix)
    {
        foreach (var path in Directory.EnumerateFileSystemEntries(directory).Order(StringComparer.Ordinal))
        {
            var name = prefix + Path.GetFileName(path);
            switch (Libc.LStat(path))
            {
                case { Type: Libc.Stat.Directory }:
                    foreach (var inner in Entries(path, name + "/"))
                    {
                        yield return inner;
                    }

                    break;
                case { Type: Libc.Stat.Regular } stat:
                    yield return (name, Math.Min(stat.Size, stat.Blocks * 512));
                    break;
                case { Type: Libc.Stat.Symlink }:
                    yield return (name, 0);
                    break;
            }
        }
    }

    /// <summary>Runs the seed Pod, streams the archive into its tar, and deletes the Pod; returns tar's stderr.</summary>
    private static async Task<string> CopyAsync(OperationScope scope, ISeedsThroughCluster runtime, string claimName, IReadOnlyList<(string Root, string Prefix)> trees, string activity, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var app = scope.App;
        var ns = KubeNames.Namespace(app);
        var name = PodName(app);
        var podRef = new KubeObjectRef("Pod", ns, name);

        // A Pod left by a process that was killed mid-copy goes first: it may still hold the disk.
        await DeleteAndWaitAsync(scope, podRef, timeout, cancellationToken).ConfigureAwait(false);
        scope.Step($"starting Pod {name} that mounts claim {claimName}", 11);
        try
        {
            await scope.Kube.CoreV1.CreateNamespacedPodAsync(SeedPod(app, runtime.SeedImage(app.Cluster), name, ns, claimName), ns, cancellationToken: cancellationToken).ConfigureAwait(false);
            var pod = await WaitRunningAsync(scope, name, ns, timeout, cancellationToken).ConfigureAwait(false);

            var total = trees.Sum(t => DiskArchive.DataBytes(t.Root));
            var pipe = new Pipe();
            Exception? archiveError = null;
            using var stopExec = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            var writing = Task.Run(
                () =>
                {
                    using var output = pipe.Writer.AsStream();
                    try
                    {
                        DiskArchive.WriteTrees(trees, output, activity, scope.Progress, stopExec.Token);
                    }
                    catch (Exception e)
                    {
                        // A file that cannot be read: tar would wait for the rest of the archive, so the exec stops.
                        // Once tar has ended (the reader completed), writing fails too: that is no error of its own.
                        pipe.Writer.Complete(e);
                        if (e is not (OperationCanceledException or InvalidOperationException))
                        {
                            archiveError = e;
                            stopExec.Cancel();
                        }
                    }
                },
                CancellationToken.None);
            using var input = pipe.Reader.AsStream();
            using var counted = new ProgressStream(input, total, activity, $"sending the archive to tar in Pod {name}", scope.Progress);
            AppExecResult result;
            try
            {
                result = await AppExec.StreamAsync(scope, pod, Container, new AppExecOptions { Service = Container, Command = TarCommand, Stdin = counted }, stopExec.Token).ConfigureAwait(false);
            }
            catch (Exception) when (archiveError is not null && !cancellationToken.IsCancellationRequested)
            {
                throw new KompoxException("SeedFailed", ErrorKind.Unavailable, $"app {app.Id}: the bound directories could not be read to copy them onto claim {claimName}: {archiveError.Message}", archiveError) { Target = name };
            }
            finally
            {
                // tar has ended (or the exec failed): the archive's writer stops with it.
                await stopExec.CancelAsync().ConfigureAwait(false);
                await pipe.Reader.CompleteAsync().ConfigureAwait(false);
                await writing.ConfigureAwait(false);
            }

            if (result.ExitCode != 0)
            {
                throw new KompoxException("SeedFailed", ErrorKind.Unavailable, $"app {app.Id}: tar in Pod {name} (image {runtime.SeedImage(app.Cluster)}) ended with exit code {result.ExitCode} copying the bound directories onto claim {claimName}: {result.Stderr.Trim()}") { Target = name };
            }

            return result.Stderr;
        }
        finally
        {
            // However it ends: the app's Pod needs the disk, which is ReadWriteOnce.
            scope.Step($"deleting Pod {name}", 11);
            await DeleteAndWaitAsync(scope, podRef, timeout, CancellationToken.None).ConfigureAwait(false);
        }
    }

    private static V1Pod SeedPod(KompoxApp app, string image, string name, string ns, string claimName) => new()
    {
        ApiVersion = "v1",
        Kind = "Pod",
        Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = ns, Labels = new Dictionary<string, string> { ["app.kubernetes.io/managed-by"] = "kompox", ["app.kubernetes.io/component"] = "seed" } },
        Spec = new V1PodSpec
        {
            RestartPolicy = "Never",

            // sleep as PID 1 ignores SIGTERM: without 0 the kubelet would wait 30 s before it kills it.
            TerminationGracePeriodSeconds = 0,

            // A Pod left behind by a process that died ends by itself within the hour.
            ActiveDeadlineSeconds = 3600,
            Containers = new List<V1Container>
            {
                new()
                {
                    Name = Container,
                    Image = image,
                    Command = new List<string> { "sleep", "3600" },
                    VolumeMounts = new List<V1VolumeMount> { new() { Name = "disk", MountPath = MountPath } },

                    // The namespace's ResourceQuota asks every Pod for requests and limits (the app's Pod is not running yet).
                    Resources = new V1ResourceRequirements
                    {
                        Requests = new Dictionary<string, ResourceQuantity> { ["cpu"] = new("100m"), ["memory"] = new("64Mi") },
                        Limits = new Dictionary<string, ResourceQuantity> { ["cpu"] = new("100m"), ["memory"] = new("64Mi") },
                    },
                },
            },
            Volumes = new List<V1Volume> { new() { Name = "disk", PersistentVolumeClaim = new V1PersistentVolumeClaimVolumeSource { ClaimName = claimName } } },
        },
    };

    private static async Task<V1Pod> WaitRunningAsync(OperationScope scope, string name, string ns, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var started = scope.Time.GetUtcNow();
        while (true)
        {
            var pod = await scope.Kube.CoreV1.ReadNamespacedPodAsync(name, ns, cancellationToken: cancellationToken).ConfigureAwait(false);
            var state = pod.Status?.ContainerStatuses?.FirstOrDefault(s => s.Name == Container)?.State;
            if (state?.Running is not null)
            {
                return pod;
            }

            var why = state?.Waiting is { } waiting ? $"{waiting.Reason}: {waiting.Message}"
                : state?.Terminated is { } terminated ? $"ended ({terminated.Reason})"
                : $"{pod.Status?.Phase ?? "Pending"}{(pod.Status?.Conditions?.FirstOrDefault(c => c.Status == "False" && c.Message is not null) is { } condition ? $": {condition.Message}" : string.Empty)}";
            var elapsed = scope.Time.GetUtcNow() - started;
            if (pod.Status?.Phase is "Failed" or "Succeeded" || elapsed >= timeout)
            {
                throw new KompoxException("SeedFailed", ErrorKind.Unavailable, $"app {scope.App.Id}: Pod {name}, which copies the bound directories onto the disk, did not run in {timeout.TotalSeconds:0} s ({why}); see its events with kubectl describe pod -n {ns} {name}") { Target = name };
            }

            scope.Step($"waiting for Pod {name} to run ({why})", 11);
            await Task.Delay(TimeSpan.FromSeconds(1) < timeout - elapsed ? TimeSpan.FromSeconds(1) : timeout - elapsed, scope.Time, cancellationToken).ConfigureAwait(false);
        }
    }

    private static async Task DeleteAndWaitAsync(OperationScope scope, KubeObjectRef pod, TimeSpan timeout, CancellationToken cancellationToken)
    {
        try
        {
            await scope.Kube.CoreV1.DeleteNamespacedPodAsync(pod.Name, pod.Namespace, gracePeriodSeconds: 0, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (HttpOperationException e) when (e.Response?.StatusCode == HttpStatusCode.NotFound)
        {
            return;
        }

        await AppVolume.WaitGoneAsync(scope, pod, timeout, 11, live => new KompoxException("SeedFailed", ErrorKind.Unavailable, $"app {scope.App.Id}: Pod {pod.Name} was deleted but is still there after {timeout.TotalSeconds:0} s ({AppVolume.Finalizers(live)}); it holds the app's disk") { Target = pod.Name }, cancellationToken).ConfigureAwait(false);
    }
}
