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
/// Copying the bound directories onto a disk that only the cluster reaches (aks, <see cref="ISeedsThroughCluster"/>): a
/// short-lived Pod in the app's namespace mounts the disk's claim, and two commands run in it over exec. The first
/// clears a staging directory on the disk (<see cref="Staging"/>, left by a copy that was stopped) and GNU tar extracts
/// the disk archive from its stdin into it. Only when the whole archive was sent and tar ended well does the second move
/// each entry from there into its place where the disk has nothing (a rename on one file system: a file is there whole or
/// not at all), merges into real directories the disk has, keeps everything else, and removes the staging directory. A
/// stop in the middle of a file leaves that file in the staging directory only. Then the Pod is deleted and waited for:
/// the disk is ReadWriteOnce, and the app's Pod mounts it next. The commands use only POSIX sh, mkdir, rm, mv, printf
/// and GNU tar: what <c>debian</c> images have.
/// </summary>
internal static class ClusterSeed
{
    /// <summary>Where the seed Pod mounts the claim: the disk's root.</summary>
    internal const string MountPath = "/disk";

    /// <summary>The seed container's name.</summary>
    internal const string Container = "seed";

    /// <summary>The staging directory at the disk's root, outside the disk layout's roots (about_Kompox_DiskLayout).</summary>
    internal const string Staging = ".kompox-seed";

    /// <summary>
    /// The first command: a fresh staging directory, and tar extracting stdin into it. As root GNU tar restores owners and
    /// modes (--same-owner, --same-permissions are its defaults for root); --numeric-owner takes the archive's ids, not
    /// names the image may map elsewhere. $1 is the disk's root.
    /// </summary>
    internal static IReadOnlyList<string> ExtractCommand { get; } =
    [
        "sh", "-c",
        $$"""
        set -e
        staging="$1/{{Staging}}"
        rm -rf "$staging"
        mkdir "$staging"
        exec tar --extract --file=- --directory="$staging" --numeric-owner --xattrs --xattrs-include='*'
        """,
        "seed", MountPath,
    ];

    /// <summary>
    /// The second command: each entry of the staging directory goes where the disk has nothing (mv, a rename: whole or
    /// not at all); a real directory on both sides is merged into; anything else the disk has is kept, and no link the app
    /// put on its disk is followed. It writes "c" (moved) or "k" (kept) and the name from the disk's root, each ended by
    /// NUL (a name may hold a newline). Then the staging directory goes. $1 is the disk's root.
    /// </summary>
    internal static IReadOnlyList<string> MergeCommand { get; } =
    [
        "sh", "-c",
        $$"""
        set -e
        disk=$1
        staging="$disk/{{Staging}}"
        merge() {
          for from in "$staging/$1"* "$staging/$1".[!.]* "$staging/$1"..?*; do
            if [ ! -e "$from" ] && [ ! -L "$from" ]; then continue; fi
            name=${from#"$staging/"}
            to="$disk/$name"
            if [ ! -e "$to" ] && [ ! -L "$to" ]; then
              mv "$from" "$to"
              printf 'c%s\0' "$name"
            elif [ -d "$from" ] && [ ! -L "$from" ] && [ -d "$to" ] && [ ! -L "$to" ]; then
              merge "$name/"
            else
              printf 'k%s\0' "$name"
            fi
          done
        }
        merge ""
        rm -rf "$staging"
        """,
        "seed", MountPath,
    ];

    /// <summary>The seed Pod's name: one per app, so that a Pod left by a killed process is found and replaced.</summary>
    internal static string PodName(KompoxApp app) => $"{app.Name}-seed";

    /// <summary>
    /// Copies <paramref name="binds"/> onto the disk that <paramref name="claimName"/> mounts, then marks it seeded. The
    /// seed Pod is deleted and waited for however this ends (a stop included); a stop leaves no part of a file in place.
    /// </summary>
    /// <exception cref="KompoxException"><c>SeedFailed</c> when the Pod does not run in <paramref name="timeout"/>, a project file cannot be read, or tar or the move fails.</exception>
    public static async Task<SeedResult> RunAsync(OperationScope scope, ISeedsThroughCluster runtime, string diskId, string claimName, IReadOnlyList<SeedSource> binds, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var app = scope.App;
        var activity = $"Copying the bound directories onto disk {diskId}";
        var trees = new List<(SeedSource Bind, string Root)>();
        var results = new Dictionary<SeedSource, SeededBind>();
        foreach (var bind in binds)
        {
            if (SourceOf(bind) is { } source)
            {
                trees.Add((bind, source));
            }
            else
            {
                results[bind] = new SeededBind(bind, [], [], 0, 0) { NotCopied = $"{bind.Source} is no directory of the project; Docker would make it, empty" };
            }
        }

        if (trees.Count > 0)
        {
            var moves = await CopyAsync(scope, runtime, claimName, trees.Select(t => (t.Root, t.Bind.DiskPath)).ToList(), activity, timeout, cancellationToken).ConfigureAwait(false);
            foreach (var (bind, root) in trees)
            {
                results[bind] = Outcome(bind, root, moves);
            }
        }

        await runtime.MarkSeededAsync(app, diskId, cancellationToken).ConfigureAwait(false);
        return new SeedResult(app.Id, diskId, false, binds.Select(b => results[b]).ToList());
    }

    /// <summary>
    /// What a copy would do, without the disk (a dry run: the disk is read only through a Pod that mounts it): every entry
    /// at the top of each bound directory, unless the disk has it, which is kept.
    /// </summary>
    public static SeedResult Plan(KompoxApp app, string diskId, IReadOnlyList<SeedSource> binds) =>
        new(app.Id, diskId, true, binds.Select(bind =>
        {
            if (SourceOf(bind) is not { } source)
            {
                return new SeededBind(bind, [], [], 0, 0) { NotCopied = $"{bind.Source} is no directory of the project; Docker would make it, empty" };
            }

            var (files, bytes) = Count(source);
            var top = Directory.EnumerateFileSystemEntries(source).Select(Path.GetFileName).OfType<string>().Order(StringComparer.Ordinal).ToList();
            return new SeededBind(bind, top, [], files, bytes);
        }).ToList());

    /// <summary>Docker mounts what the source names: a link to a directory is followed, as the bind would follow it. Null when it is no directory.</summary>
    private static string? SourceOf(SeedSource bind)
    {
        var source = Path.GetFullPath(bind.SourcePath);
        if (!Directory.Exists(source))
        {
            return null;
        }

        return new DirectoryInfo(source).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? source;
    }

    /// <summary>
    /// One bind's share of what the move did (names from the disk's root): an entry moved at or above the bind's directory
    /// brought all of it (<c>.</c>); one kept above it means the disk has a file or link where the directory goes.
    /// </summary>
    private static SeededBind Outcome(SeedSource bind, string root, IReadOnlyList<(bool Moved, string Name)> moves)
    {
        var prefix = bind.DiskPath + "/";
        var copied = new List<string>();
        var kept = new List<string>();
        var (files, bytes) = (0L, 0L);
        foreach (var (moved, name) in moves)
        {
            var above = name == bind.DiskPath || prefix.StartsWith(name + "/", StringComparison.Ordinal);
            if (!above && !name.StartsWith(prefix, StringComparison.Ordinal))
            {
                continue;
            }

            if (above && !moved)
            {
                return new SeededBind(bind, [], [], 0, 0) { NotCopied = $"the disk has a file or link at {name}, where the directory of {bind.Source} goes; it is kept" };
            }

            var relative = above ? "." : name[prefix.Length..];
            if (moved)
            {
                copied.Add(relative);
                var (f, b) = Count(relative == "." ? root : Path.Combine(root, relative));
                files += f;
                bytes += b;
            }
            else
            {
                kept.Add(relative);
            }
        }

        return new SeededBind(bind, copied, kept, files, bytes);
    }

    /// <summary>Entries (the path itself included) and bytes of file data under <paramref name="path"/>, never through a link; as the k3s seed counts them.</summary>
    private static (long Files, long Bytes) Count(string path)
    {
        switch (Libc.LStat(path))
        {
            case { Type: Libc.Stat.Directory }:
                var (files, bytes) = (1L, 0L);
                foreach (var child in Directory.EnumerateFileSystemEntries(path))
                {
                    var (f, b) = Count(child);
                    files += f;
                    bytes += b;
                }

                return (files, bytes);
            case { Type: Libc.Stat.Regular } stat:
                return (1, stat.Size);
            case { Type: Libc.Stat.Symlink }:
                return (1, 0);
            default:
                return (0, 0); // a socket, FIFO or device: the archive leaves it out and says so
        }
    }

    /// <summary>Runs the seed Pod, streams the archive into its tar, moves what arrived into place, and deletes the Pod; returns what the move did.</summary>
    private static async Task<IReadOnlyList<(bool Moved, string Name)>> CopyAsync(OperationScope scope, ISeedsThroughCluster runtime, string claimName, IReadOnlyList<(string Root, string Prefix)> trees, string activity, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var app = scope.App;
        var ns = KubeNames.Namespace(app);
        var name = PodName(app);
        var podRef = new KubeObjectRef("Pod", ns, name);
        var image = runtime.SeedImage(app.Cluster);

        // A Pod left by a process that was killed mid-copy goes first: it may still hold the disk.
        await DeleteAndWaitAsync(scope, podRef, timeout, cancellationToken).ConfigureAwait(false);
        scope.Step($"starting Pod {name} that mounts claim {claimName}", 11);
        try
        {
            await scope.Kube.CoreV1.CreateNamespacedPodAsync(SeedPod(app, image, name, ns, claimName), ns, cancellationToken: cancellationToken).ConfigureAwait(false);
            var pod = await WaitRunningAsync(scope, name, ns, timeout, cancellationToken).ConfigureAwait(false);
            await ExtractAsync(scope, pod, image, claimName, trees, activity, cancellationToken).ConfigureAwait(false);

            scope.Step($"moving what arrived into place on claim {claimName} (Pod {name})", 11);
            var merge = await AppExec.StreamAsync(scope, pod, Container, new AppExecOptions { Service = Container, Command = MergeCommand }, cancellationToken).ConfigureAwait(false);
            if (merge.ExitCode != 0)
            {
                throw new KompoxException("SeedFailed", ErrorKind.Unavailable, $"app {app.Id}: moving the copied files into place on claim {claimName} in Pod {name} (image {image}) ended with exit code {merge.ExitCode}: {merge.Stderr.Trim()}") { Target = name };
            }

            return merge.Stdout.Split('\0', StringSplitOptions.RemoveEmptyEntries).Select(r => (r[0] == 'c', r[1..])).ToList();
        }
        finally
        {
            // However it ends: the app's Pod needs the disk, which is ReadWriteOnce.
            scope.Step($"deleting Pod {name}", 11);
            await DeleteAndWaitAsync(scope, podRef, timeout, CancellationToken.None).ConfigureAwait(false);
        }
    }

    /// <summary>Streams the archive into tar in the staging directory; fails unless all of it was sent and tar ended well.</summary>
    private static async Task ExtractAsync(OperationScope scope, V1Pod pod, string image, string claimName, IReadOnlyList<(string Root, string Prefix)> trees, string activity, CancellationToken cancellationToken)
    {
        var app = scope.App;
        var name = pod.Metadata.Name;
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
            result = await AppExec.StreamAsync(scope, pod, Container, new AppExecOptions { Service = Container, Command = ExtractCommand, Stdin = counted }, stopExec.Token).ConfigureAwait(false);
        }
        catch (Exception) when (archiveError is not null && !cancellationToken.IsCancellationRequested)
        {
            throw Unreadable(app, claimName, name, archiveError);
        }
        finally
        {
            // tar has ended (or the exec failed): the archive's writer stops with it.
            await stopExec.CancelAsync().ConfigureAwait(false);
            await pipe.Reader.CompleteAsync().ConfigureAwait(false);
            await writing.ConfigureAwait(false);
        }

        // GNU tar takes an archive that ends early at an entry's boundary as whole: what was not all sent is not moved.
        if (archiveError is not null)
        {
            throw Unreadable(app, claimName, name, archiveError);
        }

        if (result.ExitCode != 0)
        {
            throw new KompoxException("SeedFailed", ErrorKind.Unavailable, $"app {app.Id}: tar in Pod {name} (image {image}) ended with exit code {result.ExitCode} copying the bound directories onto claim {claimName}: {result.Stderr.Trim()}; nothing was moved into place") { Target = name };
        }
    }

    private static KompoxException Unreadable(KompoxApp app, string claimName, string pod, Exception error) =>
        new("SeedFailed", ErrorKind.Unavailable, $"app {app.Id}: the bound directories could not be read to copy them onto claim {claimName}: {error.Message}; nothing was moved into place", error) { Target = pod };

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
