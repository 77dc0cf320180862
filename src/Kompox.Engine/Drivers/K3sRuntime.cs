using System.Formats.Tar;
using System.Globalization;
using System.IO.Compression;
using System.IO.Pipes;
using System.Text.Json;
using k8s.Models;
using Kompox.Model;
using Microsoft.Win32.SafeHandles;

namespace Kompox.Drivers;

/// <summary>
/// Disks and snapshots of a single-node K3s, on the node Kompox runs on. Under the data root:
/// <c>disks/&lt;id&gt;/</c> is the disk (the PersistentVolume's local path) and <c>disks/&lt;id&gt;.json</c> its tags;
/// <c>snapshots/&lt;id&gt;.tar.gz</c> is a snapshot and <c>snapshots/&lt;id&gt;.json</c> its tags. The tags live beside
/// the disk, not in it, so the app never sees them and an export holds the app's files only. A disk or snapshot
/// exists once its tags file does: that file is written last, atomically, and removed first.
/// </summary>
public sealed class K3sRuntime : IDriverRuntime
{
    public const string AppTag = "kompox-app";
    public const string CreatedAtTag = "kompox-created-at";
    public const string DiskTag = "kompox-disk";

    /// <summary>On the app's current disk: since when it is (<see cref="IDriverRuntime.MarkCurrentAsync"/>); the aks driver's tag of the same name.</summary>
    public const string CurrentTag = "kompox-disk-current";

    /// <summary>On a disk the project's bound directories were copied onto: when (<see cref="SeedAsync"/>).</summary>
    public const string SeededTag = "kompox-seeded";

    private const string Archive = ".tar.gz";

    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true };

    private readonly string disksDir;
    private readonly string snapshotsDir;
    private readonly TimeProvider timeProvider;

    /// <param name="dataRoot">The directory holding <c>disks</c> and <c>snapshots</c>; the cluster's <c>K3S_DATA_ROOT</c>.</param>
    public K3sRuntime(string dataRoot, TimeProvider timeProvider)
    {
        disksDir = Path.Combine(dataRoot, "disks");
        snapshotsDir = Path.Combine(dataRoot, "snapshots");
        this.timeProvider = timeProvider;
    }

    /// <summary>What a new K3s disk is said to hold: a directory has no size of its own, and the PersistentVolume needs one.</summary>
    public static long NominalSizeBytes { get; } = new ResourceQuantity(K3sDriver.NominalDiskSize).ToInt64();

    public Task<IReadOnlyList<DiskInfo>> ListDisksAsync(KompoxApp app, CancellationToken cancellationToken)
    {
        IReadOnlyList<DiskInfo> disks = ReadAll(disksDir, app, cancellationToken)
            .Select(t => ToDisk(t.Id, t.Tags))
            .OrderByDescending(d => d.CreatedAt)
            .ThenByDescending(d => d.Id, StringComparer.Ordinal)
            .ToList();
        return Task.FromResult(disks);
    }

    public Task<DiskInfo> GetDiskAsync(KompoxApp app, string diskId, CancellationToken cancellationToken) =>
        Task.FromResult(FindDisk(app, diskId));

    public Task<DiskInfo> CreateDiskAsync(KompoxApp app, IProgress<OperationProgress> progress, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var id = DiskInfo.NewName(app, timeProvider.GetUtcNow());
        progress.Report(new OperationProgress($"Creating disk {id}", "creating the directory"));
        Directory.CreateDirectory(disksDir);
        Directory.CreateDirectory(Path.Combine(disksDir, id));
        return Task.FromResult(WriteDiskTags(app, id, NominalSizeBytes));
    }

    public Task DeleteDiskAsync(KompoxApp app, string diskId, CancellationToken cancellationToken)
    {
        FindDisk(app, diskId);
        cancellationToken.ThrowIfCancellationRequested();

        // Out of sight first, so that a deletion that fails half way leaves no disk that lists with half its files.
        var doomed = Path.Combine(disksDir, $".deleting-{diskId}-{Guid.NewGuid():N}");
        Directory.Move(Path.Combine(disksDir, diskId), doomed);
        File.Delete(TagsPath(disksDir, diskId));
        Directory.Delete(doomed, recursive: true);
        return Task.CompletedTask;
    }

    public Task MarkCurrentAsync(KompoxApp app, string diskId, CancellationToken cancellationToken)
    {
        FindDisk(app, diskId);
        var all = ReadAll(disksDir, app, cancellationToken).ToList();
        var disks = all.Select(t => ToDisk(t.Id, t.Tags)).ToList();
        if (DiskInfo.ProviderCurrent(disks) == diskId && disks.Count(d => d.CurrentSince is not null) == 1)
        {
            return Task.CompletedTask;
        }

        // The new mark first, then the others cleared: an interruption leaves the latest mark on the new disk.
        var (_, tags) = all.Single(t => t.Id == diskId);
        tags.Tags[CurrentTag] = DiskInfo.CurrentSinceText(timeProvider.GetUtcNow());
        AtomicFile.Write(TagsPath(disksDir, diskId), JsonSerializer.Serialize(tags, Json), overwrite: true);
        foreach (var (id, other) in all.Where(t => t.Id != diskId && t.Tags.Tags.ContainsKey(CurrentTag)))
        {
            cancellationToken.ThrowIfCancellationRequested();
            other.Tags.Remove(CurrentTag);
            AtomicFile.Write(TagsPath(disksDir, id), JsonSerializer.Serialize(other, Json), overwrite: true);
        }

        return Task.CompletedTask;
    }

    /// <summary>
    /// Copies each bound directory through the disk archive, as an import does (<see cref="DiskArchive.Write"/> into
    /// <see cref="DiskArchive.Extract"/>, with its fidelity and its refusals), into a hidden directory beside the disks;
    /// then renames each entry into the disk where nothing is, never following a link the app put on its disk.
    /// </summary>
    public async Task<SeedResult> SeedAsync(KompoxApp app, string diskId, IReadOnlyList<SeedSource> binds, bool dryRun, IProgress<OperationProgress> progress, CancellationToken cancellationToken)
    {
        FindDisk(app, diskId);
        var activity = $"Copying the bound directories onto disk {diskId}";
        Libc.RequireLinux(activity);
        if (!dryRun)
        {
            // A copy whose process was killed (not stopped) left its hidden directory: it is no part of the disk, and goes.
            foreach (var stale in Directory.EnumerateDirectories(disksDir, $".{diskId}.seed.*.tmp"))
            {
                Directory.Delete(stale, recursive: true);
            }
        }

        var results = new List<SeededBind>();
        foreach (var bind in binds)
        {
            cancellationToken.ThrowIfCancellationRequested();
            results.Add(await Task.Run(() => SeedOne(diskId, bind, dryRun, activity, progress, cancellationToken), cancellationToken).ConfigureAwait(false));
        }

        if (!dryRun)
        {
            await MarkSeededAsync(app, diskId, cancellationToken).ConfigureAwait(false);
        }

        return new SeedResult(app.Id, diskId, dryRun, results);
    }

    public Task MarkSeededAsync(KompoxApp app, string diskId, CancellationToken cancellationToken)
    {
        FindDisk(app, diskId);
        var tags = ReadTags(disksDir, diskId)!;
        tags.Tags[SeededTag] = DiskInfo.CurrentSinceText(timeProvider.GetUtcNow());
        AtomicFile.Write(TagsPath(disksDir, diskId), JsonSerializer.Serialize(tags, Json), overwrite: true);
        return Task.CompletedTask;
    }

    private SeededBind SeedOne(string diskId, SeedSource bind, bool dryRun, string activity, IProgress<OperationProgress> progress, CancellationToken cancellationToken)
    {
        // Docker mounts what the source names: a link to a directory is followed, as the bind would follow it.
        var source = Path.GetFullPath(bind.SourcePath);
        source = Directory.Exists(source) ? new DirectoryInfo(source).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? source : source;
        if (!Directory.Exists(source))
        {
            return new SeededBind(bind, [], [], 0, 0) { NotCopied = $"{bind.Source} is no directory of the project; Docker would make it, empty" };
        }

        // Down to the bind's parent directory by descriptors, never through a link: the app's container may have put one
        // anywhere on its disk, and a path would follow it out of the disk.
        var parts = bind.DiskPath.Split('/');
        var parent = Libc.OpenDirectory(null, Path.Combine(disksDir, diskId)) ?? throw new DirectoryNotFoundException(Path.Combine(disksDir, diskId));
        try
        {
            for (var i = 0; i < parts.Length - 1; i++)
            {
                var next = Libc.OpenDirectory(parent, parts[i]);
                if (next is null && !Libc.Exists(parent, parts[i]))
                {
                    if (dryRun)
                    {
                        return Merge(source, null, parts[^1], dryRun);
                    }

                    Libc.MakeDirectory(parent, parts[i], 0b111_101_101);
                    next = Libc.OpenDirectory(parent, parts[i]);
                }

                if (next is null)
                {
                    return new SeededBind(bind, [], [], 0, 0) { NotCopied = $"the disk has a file or link at {string.Join('/', parts[..(i + 1)])}, where the directory of {bind.Source} goes; it is kept" };
                }

                parent.Dispose();
                parent = next;
            }

            if (dryRun)
            {
                return Merge(source, parent, parts[^1], dryRun);
            }

            var temp = Path.Combine(disksDir, $".{diskId}.seed.{Guid.NewGuid():N}.tmp");
            Directory.CreateDirectory(temp);
            try
            {
                CopyThroughArchive(source, temp, activity, $"copying {bind.Source} to {bind.DiskPath}", progress, cancellationToken);
                return Merge(temp, parent, parts[^1], dryRun);
            }
            finally
            {
                if (Directory.Exists(temp))
                {
                    Directory.Delete(temp, recursive: true);
                }
            }
        }
        finally
        {
            parent.Dispose();
        }

        SeededBind Merge(string from, SafeFileHandle? into, string name, bool dry)
        {
            var merge = new SeedMerge(dry);
            merge.Entry(from, into, name, ".");
            return new SeededBind(bind, merge.Copied, merge.Skipped, merge.Files, merge.Bytes);
        }
    }

    /// <summary>Writes the directory as a disk archive into a pipe and extracts it from the other end, as an import would, reporting the bytes.</summary>
    private static void CopyThroughArchive(string source, string destination, string activity, string status, IProgress<OperationProgress> progress, CancellationToken cancellationToken)
    {
        var total = DiskArchive.DataBytes(source);
        var pipe = new AnonymousPipeServerStream(PipeDirection.Out);
        using var reading = new AnonymousPipeClientStream(PipeDirection.In, pipe.ClientSafePipeHandle);
        var readerStopped = 0;
        var writer = Task.Run(
            () =>
            {
                try
                {
                    using (pipe)
                    {
                        DiskArchive.Write(source, pipe, activity, progress, cancellationToken);
                    }
                }
                catch (IOException) when (Volatile.Read(ref readerStopped) == 1)
                {
                    // The pipe broke because the extraction stopped first: its error is the one to tell.
                }
            },
            CancellationToken.None);
        try
        {
            using var counted = new ProgressStream(reading, total, activity, status, progress);
            DiskArchive.Extract(counted, destination, why => NotAnArchive(activity, null, why), cancellationToken);
        }
        catch
        {
            // A writer that failed before the extraction stopped (a project file it could not read) is the cause: the
            // extraction only saw the archive end early. The filter above runs before the pipe closes, so the order holds.
            Volatile.Write(ref readerStopped, 1);
            reading.Dispose();
            writer.GetAwaiter().GetResult();
            throw;
        }

        writer.GetAwaiter().GetResult();
    }

    /// <summary>
    /// Moves a tree into a directory of the disk where nothing is, entry by entry, by descriptors: what the disk has is
    /// kept, and only a real directory (never a link) is merged into. Not stopped half way: it only renames what the copy
    /// made whole (or, in a dry run, looks), so a bind arrives whole and a stop takes effect before the next bind.
    /// </summary>
    private sealed class SeedMerge(bool dryRun)
    {
        public List<string> Copied { get; } = [];

        public List<string> Skipped { get; } = [];

        public long Files { get; private set; }

        public long Bytes { get; private set; }

        /// <param name="into">The directory of the disk; null when it does not exist yet (a dry run: all would be copied).</param>
        public void Entry(string from, SafeFileHandle? into, string name, string relative)
        {
            if (Libc.LStat(from) is not { Type: Libc.Stat.Directory or Libc.Stat.Regular or Libc.Stat.Symlink } stat)
            {
                return; // a socket, FIFO or device: the archive leaves it out and says so
            }

            var (files, bytes) = Count(from, stat);
            if (into is null || (dryRun ? !Libc.Exists(into, name) : Libc.RenameNoReplace(from, into, name)))
            {
                Copied.Add(relative);
                Files += files;
                Bytes += bytes;
                return;
            }

            if (stat.Type == Libc.Stat.Directory && Libc.OpenDirectory(into, name) is { } directory)
            {
                using (directory)
                {
                    foreach (var child in Directory.EnumerateFileSystemEntries(from).Order(StringComparer.Ordinal))
                    {
                        var childName = Path.GetFileName(child);
                        Entry(child, directory, childName, relative == "." ? childName : $"{relative}/{childName}");
                    }
                }

                return;
            }

            Skipped.Add(relative);
        }

        private static (long Files, long Bytes) Count(string path, Libc.Stat stat)
        {
            if (stat.Type != Libc.Stat.Directory)
            {
                return (1, stat.Type == Libc.Stat.Regular ? stat.Size : 0);
            }

            var (files, bytes) = (1L, 0L);
            foreach (var child in Directory.EnumerateFileSystemEntries(path))
            {
                if (Libc.LStat(child) is { } childStat)
                {
                    var (f, b) = Count(child, childStat);
                    files += f;
                    bytes += b;
                }
            }

            return (files, bytes);
        }
    }

    public Task AssignToAppAsync(KompoxApp app, KompoxApp destination, IProgress<OperationProgress> progress, CancellationToken cancellationToken) =>
        throw MoveNotSupported(app);

    /// <summary>A k3s disk is a directory on one node: another cluster cannot reach it.</summary>
    public static KompoxException MoveNotSupported(KompoxApp app) =>
        new("MoveNotSupported", ErrorKind.InvalidArgument, $"app {app.Id}: a k3s disk is a directory on one node, which another cluster cannot attach; copy it instead: export the disk on this node, import the archive on the destination's node, then switch the app to the imported disk there")
        {
            Target = app.Id,
        };

    public Task<IReadOnlyList<SnapshotInfo>> ListSnapshotsAsync(KompoxApp app, CancellationToken cancellationToken)
    {
        IReadOnlyList<SnapshotInfo> snapshots = ReadAll(snapshotsDir, app, cancellationToken)
            .Select(t => ToSnapshot(t.Id, t.Tags))
            .OrderByDescending(s => s.CreatedAt)
            .ThenByDescending(s => s.Id, StringComparer.Ordinal)
            .ToList();
        return Task.FromResult(snapshots);
    }

    public async Task<SnapshotInfo> CreateSnapshotAsync(KompoxApp app, string diskId, IProgress<OperationProgress> progress, CancellationToken cancellationToken)
    {
        var disk = FindDisk(app, diskId);
        var id = DiskInfo.NewName(app, timeProvider.GetUtcNow());
        var activity = $"Snapshotting disk {diskId} as {id}";
        Directory.CreateDirectory(snapshotsDir);
        var temp = Path.Combine(snapshotsDir, $".{id}{Archive}.{Guid.NewGuid():N}.tmp");
        try
        {
            await using (var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 81920, useAsync: true))
            {
                await WriteArchiveAsync(Path.Combine(disksDir, diskId), file, activity, progress, cancellationToken).ConfigureAwait(false);
            }

            File.Move(temp, Path.Combine(snapshotsDir, id + Archive));
        }
        finally
        {
            File.Delete(temp);
        }

        var tags = Tags(app, timeProvider.GetUtcNow(), disk.SizeBytes);
        tags.Tags[DiskTag] = diskId;
        WriteTags(snapshotsDir, id, tags);
        return ToSnapshot(id, tags);
    }

    public Task<SnapshotInfo> SetSnapshotPinnedAsync(KompoxApp app, string snapshotId, bool pinned, CancellationToken cancellationToken)
    {
        var snapshot = FindSnapshot(app, snapshotId);
        if (snapshot.Pinned == pinned)
        {
            return Task.FromResult(snapshot);
        }

        // The tags file is rewritten whole and atomically: a reader sees the old tags or the new, never a mix.
        var tags = ReadTags(snapshotsDir, snapshotId)!;
        if (pinned)
        {
            tags.Tags[SnapshotInfo.PinnedTag] = "true";
        }
        else
        {
            tags.Tags.Remove(SnapshotInfo.PinnedTag);
        }

        AtomicFile.Write(TagsPath(snapshotsDir, snapshotId), JsonSerializer.Serialize(tags, Json), overwrite: true);
        return Task.FromResult(ToSnapshot(snapshotId, tags));
    }

    public Task DeleteSnapshotAsync(KompoxApp app, string snapshotId, CancellationToken cancellationToken)
    {
        FindSnapshot(app, snapshotId);
        cancellationToken.ThrowIfCancellationRequested();
        File.Delete(TagsPath(snapshotsDir, snapshotId));
        File.Delete(Path.Combine(snapshotsDir, snapshotId + Archive));
        return Task.CompletedTask;
    }

    public async Task<DiskInfo> RestoreSnapshotAsync(KompoxApp app, string snapshotId, IProgress<OperationProgress> progress, CancellationToken cancellationToken)
    {
        var snapshot = FindSnapshot(app, snapshotId);
        await using var archive = new FileStream(Path.Combine(snapshotsDir, snapshotId + Archive), FileMode.Open, FileAccess.Read, FileShare.Read, 81920, useAsync: true);
        return await NewDiskFromArchiveAsync(app, archive, snapshot.SizeBytes, $"Restoring snapshot {snapshotId}", progress, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Writes the disk as a gzip-compressed tar archive to <paramref name="destination"/>. When it fails or is cancelled,
    /// the destination holds the part written so far, which is no complete archive (an import refuses it): a file the
    /// caller gave is the caller's to delete. A snapshot, by contrast, is written under a temporary name.
    /// </summary>
    public Task ExportDiskAsync(KompoxApp app, string diskId, Stream destination, IProgress<OperationProgress> progress, CancellationToken cancellationToken)
    {
        FindDisk(app, diskId);
        return WriteArchiveAsync(Path.Combine(disksDir, diskId), destination, $"Exporting disk {diskId}", progress, cancellationToken);
    }

    public async Task ExportSnapshotAsync(KompoxApp app, string snapshotId, Stream destination, IProgress<OperationProgress> progress, CancellationToken cancellationToken)
    {
        FindSnapshot(app, snapshotId);
        await using var archive = new FileStream(Path.Combine(snapshotsDir, snapshotId + Archive), FileMode.Open, FileAccess.Read, FileShare.Read, 81920, useAsync: true);
        await using var counted = new ProgressStream(archive, archive.Length, $"Exporting snapshot {snapshotId}", "copying the archive", progress);
        await counted.CopyToAsync(destination, cancellationToken).ConfigureAwait(false);
    }

    public Task<DiskInfo> ImportDiskAsync(KompoxApp app, Stream source, IProgress<OperationProgress> progress, CancellationToken cancellationToken) =>
        NewDiskFromArchiveAsync(app, source, NominalSizeBytes, "Importing a disk", progress, cancellationToken);

    private async Task<DiskInfo> NewDiskFromArchiveAsync(KompoxApp app, Stream archive, long sizeBytes, string activity, IProgress<OperationProgress> progress, CancellationToken cancellationToken)
    {
        Libc.RequireLinux(activity);
        var id = DiskInfo.NewName(app, timeProvider.GetUtcNow());
        Directory.CreateDirectory(disksDir);

        // Unpacked under a hidden temporary name and renamed when complete: a failed or cancelled import lists no disk.
        var temp = Path.Combine(disksDir, $".{id}.{Guid.NewGuid():N}.tmp");
        Directory.CreateDirectory(temp);
        try
        {
            long? total = archive.CanSeek ? archive.Length - archive.Position : null;
            await using var counted = new ProgressStream(archive, total, $"{activity} as disk {id}", "unpacking the archive", progress);
            await Task.Run(
                () =>
                {
                    using var tar = DiskArchive.OpenTar(counted);
                    DiskArchive.Extract(tar, temp, why => NotAnArchive(activity, null, why), cancellationToken);
                },
                cancellationToken).ConfigureAwait(false);
            Directory.Move(temp, Path.Combine(disksDir, id));
        }
        catch (Exception e) when (e is InvalidDataException or EndOfStreamException)
        {
            throw NotAnArchive(activity, e, "the gzip stream is corrupt or cut short");
        }
        finally
        {
            if (Directory.Exists(temp))
            {
                Directory.Delete(temp, recursive: true);
            }
        }

        return WriteDiskTags(app, id, sizeBytes);
    }

    private static KompoxException NotAnArchive(string activity, Exception? inner, string why) =>
        new("InvalidArchive", ErrorKind.InvalidData, $"{activity}: the content is not a tar or gzip-compressed tar archive of a disk ({why})", inner);

    /// <summary>
    /// Writes the disk as a gzip-compressed tar archive. Compressed at the fastest level, on a thread of its own beside
    /// the one reading the files: a disk archive is written when a backup is due or a disk moves, where time counts more
    /// than the last percent of size (bench/Kompox.Bench: at the default level, export was slower than tar -czf).
    /// </summary>
    private static async Task WriteArchiveAsync(string directory, Stream destination, string activity, IProgress<OperationProgress> progress, CancellationToken cancellationToken)
    {
        Libc.RequireLinux(activity);
        await Task.Run(
            () =>
            {
                var total = DiskArchive.DataBytes(directory);
                using var gzip = new GZipStream(destination, CompressionLevel.Fastest, leaveOpen: true);
                using var counted = new ProgressStream(gzip, total, activity, "writing the archive", progress);
                using var compressing = new OffThreadWriter(counted);
                DiskArchive.Write(directory, compressing, activity, progress, cancellationToken);
                compressing.Complete();

                // Stopped while the last chunks were compressed: the archive is whole, but what was asked is to stop.
                cancellationToken.ThrowIfCancellationRequested();
            },
            cancellationToken).ConfigureAwait(false);
    }

    private DiskInfo FindDisk(KompoxApp app, string diskId) =>
        IsId(diskId) && ReadTags(disksDir, diskId) is { } tags && tags.Tags.GetValueOrDefault(AppTag) == app.Id && Directory.Exists(Path.Combine(disksDir, diskId))
            ? ToDisk(diskId, tags)
            : throw new KompoxException("DiskNotFound", ErrorKind.NotFound, $"app {app.Id} has no disk '{diskId}' under {disksDir}") { Target = diskId };

    private SnapshotInfo FindSnapshot(KompoxApp app, string snapshotId) =>
        IsId(snapshotId) && ReadTags(snapshotsDir, snapshotId) is { } tags && tags.Tags.GetValueOrDefault(AppTag) == app.Id && File.Exists(Path.Combine(snapshotsDir, snapshotId + Archive))
            ? ToSnapshot(snapshotId, tags)
            : throw new KompoxException("SnapshotNotFound", ErrorKind.NotFound, $"app {app.Id} has no snapshot '{snapshotId}' under {snapshotsDir}") { Target = snapshotId };

    // Ids name files, so one that could climb out of the directory is no id of ours.
    private static bool IsId(string id) => K3sDriver.DiskIdPattern().IsMatch(id);

    private DiskInfo WriteDiskTags(KompoxApp app, string id, long sizeBytes)
    {
        var tags = Tags(app, timeProvider.GetUtcNow(), sizeBytes);
        WriteTags(disksDir, id, tags);
        return ToDisk(id, tags);
    }

    private static TagsFile Tags(KompoxApp app, DateTimeOffset createdAt, long sizeBytes) => new(
        new SortedDictionary<string, string>(StringComparer.Ordinal)
        {
            [AppTag] = app.Id,
            [CreatedAtTag] = createdAt.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture),
        },
        sizeBytes);

    private static void WriteTags(string directory, string id, TagsFile tags) =>
        AtomicFile.Write(TagsPath(directory, id), JsonSerializer.Serialize(tags, Json), overwrite: false);

    private static IEnumerable<(string Id, TagsFile Tags)> ReadAll(string directory, KompoxApp app, CancellationToken cancellationToken)
    {
        if (!Directory.Exists(directory))
        {
            yield break;
        }

        foreach (var path in Directory.EnumerateFiles(directory, "*.json"))
        {
            cancellationToken.ThrowIfCancellationRequested();
            var id = Path.GetFileNameWithoutExtension(path);
            if (IsId(id) && ReadTags(directory, id) is { } tags && tags.Tags.GetValueOrDefault(AppTag) == app.Id)
            {
                yield return (id, tags);
            }
        }
    }

    private static TagsFile? ReadTags(string directory, string id)
    {
        var path = TagsPath(directory, id);
        if (!File.Exists(path))
        {
            return null;
        }

        try
        {
            var tags = JsonSerializer.Deserialize<TagsFile>(File.ReadAllText(path), Json);
            if (tags?.Tags is null || !tags.Tags.ContainsKey(AppTag) || !tags.Tags.ContainsKey(CreatedAtTag) || tags.SizeBytes <= 0)
            {
                throw new JsonException("tags missing");
            }

            return tags;
        }
        catch (JsonException e)
        {
            throw new KompoxException("InvalidDiskMetadata", ErrorKind.InvalidData, $"{path} is not a Kompox tags file (JSON with tags {AppTag}, {CreatedAtTag} and sizeBytes)", e) { Target = path };
        }
    }

    private static string TagsPath(string directory, string id) => Path.Combine(directory, id + ".json");

    private static DiskInfo ToDisk(string id, TagsFile tags) =>
        new(id, tags.Tags[AppTag], CreatedAt(tags), tags.SizeBytes) { CurrentSince = DiskInfo.ParseCurrentSince(tags.Tags.GetValueOrDefault(CurrentTag)), Seeded = tags.Tags.ContainsKey(SeededTag) };

    private static SnapshotInfo ToSnapshot(string id, TagsFile tags) =>
        new(id, tags.Tags[AppTag], tags.Tags.GetValueOrDefault(DiskTag) ?? string.Empty, CreatedAt(tags), tags.SizeBytes) { Pinned = tags.Tags.GetValueOrDefault(SnapshotInfo.PinnedTag) == "true" };

    private static DateTimeOffset CreatedAt(TagsFile tags) =>
        DateTimeOffset.ParseExact(tags.Tags[CreatedAtTag], "yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal);

    /// <summary>The tags file: the provider tags of SPEC section 5, and the size a disk has (or a snapshot's disk had).</summary>
    private sealed record TagsFile(SortedDictionary<string, string> Tags, long SizeBytes);
}
