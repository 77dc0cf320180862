using System.Formats.Tar;
using System.IO.Compression;
using System.Text.Json;
using System.Text.RegularExpressions;
using Kompox.Drivers;
using Kompox.Operations;
using Kompox.Tests.Operations;

namespace Kompox.Tests.Drivers;

public sealed class K3sRuntimeTests : IDisposable
{
    private readonly OperationFixture fixture = new();
    private readonly RecordedProgress progress = new();

    public void Dispose() => fixture.Dispose();

    [Fact]
    public async Task A_new_disk_is_a_directory_with_its_tags_beside_it()
    {
        var app = fixture.App();

        var disk = await fixture.Runtime().CreateDiskAsync(app, progress, CancellationToken.None).Within();

        Assert.Matches(new Regex("^web-20250811123456-[0-9a-z]{6}$"), disk.Id);
        Assert.Equal(new DiskInfo(disk.Id, "ops/k3s1/lab/web", fixture.Time.GetUtcNow(), 10L << 30), disk);
        Assert.True(Directory.Exists(Path.Combine(fixture.DataRoot, "disks", disk.Id)));
        using var tags = JsonDocument.Parse(File.ReadAllText(Path.Combine(fixture.DataRoot, "disks", disk.Id + ".json")));
        Assert.Equal("ops/k3s1/lab/web", tags.RootElement.GetProperty("Tags").GetProperty("kompox-app").GetString());
        Assert.Equal("2025-08-11T12:34:56Z", tags.RootElement.GetProperty("Tags").GetProperty("kompox-created-at").GetString());
        Assert.Empty(Directory.EnumerateFiles(Path.Combine(fixture.DataRoot, "disks"), "*.tmp"));
    }

    [Fact]
    public async Task Disks_are_found_by_their_app_tag_newest_first()
    {
        var runtime = fixture.Runtime();
        var first = await runtime.CreateDiskAsync(fixture.App(), progress, CancellationToken.None).Within();
        fixture.Time.Advance(TimeSpan.FromHours(1));
        var second = await runtime.CreateDiskAsync(fixture.App(), progress, CancellationToken.None).Within();
        await runtime.CreateDiskAsync(fixture.App("db"), progress, CancellationToken.None).Within();

        var listed = await runtime.ListDisksAsync(fixture.App(), CancellationToken.None).Within();

        Assert.Equal(new[] { second.Id, first.Id }, listed.Select(d => d.Id));
    }

    // Marking a disk current or seeded and copying onto it change a disk: only one of the app's own (a disk of another
    // app, db-disk here, keeps its tags and its files).
    [Theory]
    [InlineData("current", "web-20250811123456-zzzzzz")]
    [InlineData("current", "../disks")]
    [InlineData("current", "db-disk")]
    [InlineData("seeded", "web-20250811123456-zzzzzz")]
    [InlineData("seeded", "../disks")]
    [InlineData("seeded", "db-disk")]
    [InlineData("seed", "web-20250811123456-zzzzzz")]
    [InlineData("seed", "../disks")]
    [InlineData("seed", "db-disk")]
    public async Task Only_the_apps_existing_disks_are_marked_or_written(string change, string diskId)
    {
        var runtime = fixture.Runtime();
        await runtime.CreateDiskAsync(fixture.App(), progress, CancellationToken.None).Within();
        Directory.CreateDirectory(Path.Combine(fixture.DataRoot, "disks", "db-disk"));
        var tagsPath = Path.Combine(fixture.DataRoot, "disks", "db-disk.json");
        const string tags = """{"Tags":{"kompox-app":"ops/k3s1/lab/db","kompox-created-at":"2025-01-01T00:00:00Z"},"SizeBytes":1}""";
        File.WriteAllText(tagsPath, tags);

        var error = await Assert.ThrowsAsync<KompoxException>(() => (change switch
        {
            "current" => runtime.MarkCurrentAsync(fixture.App(), diskId, CancellationToken.None),
            "seeded" => runtime.MarkSeededAsync(fixture.App(), diskId, CancellationToken.None),
            _ => runtime.SeedAsync(fixture.App(), diskId, [], dryRun: false, progress, CancellationToken.None),
        }).Within());

        Assert.Equal(("DiskNotFound", diskId), (error.ErrorId, error.Target));
        Assert.Equal(tags, File.ReadAllText(tagsPath));
        Assert.Empty(Directory.EnumerateFileSystemEntries(Path.Combine(fixture.DataRoot, "disks", "db-disk")));
    }

    [Theory]
    [InlineData("web-20250811123456-zzzzzz")]
    [InlineData("../disks")]
    [InlineData("db-disk")]
    public async Task Only_the_apps_existing_disks_can_be_deleted(string diskId)
    {
        var runtime = fixture.Runtime();
        Directory.CreateDirectory(Path.Combine(fixture.DataRoot, "disks", "db-disk"));
        File.WriteAllText(Path.Combine(fixture.DataRoot, "disks", "db-disk.json"), """{"Tags":{"kompox-app":"ops/k3s1/lab/db","kompox-created-at":"2025-01-01T00:00:00Z"},"SizeBytes":1}""");

        var error = await Assert.ThrowsAsync<KompoxException>(() => runtime.DeleteDiskAsync(fixture.App(), diskId, CancellationToken.None).Within());

        Assert.Equal("DiskNotFound", error.ErrorId);
        Assert.Equal(diskId, error.Target);
        Assert.Contains($"has no disk '{diskId}'", error.Message);
        Assert.True(Directory.Exists(Path.Combine(fixture.DataRoot, "disks", "db-disk")));
    }

    [Fact]
    public async Task A_snapshot_restores_to_a_new_disk_with_the_same_content_and_size()
    {
        var runtime = fixture.Runtime();
        var app = fixture.App();
        var disk = await DiskWithContentAsync(runtime, app);
        fixture.Time.Advance(TimeSpan.FromMinutes(5));

        var snapshot = await runtime.CreateSnapshotAsync(app, disk.Id, progress, CancellationToken.None).Within();
        File.WriteAllText(Path.Combine(fixture.DataRoot, "disks", disk.Id, "volumes", "data", "index.html"), "changed after the snapshot");
        fixture.Time.Advance(TimeSpan.FromMinutes(5));
        var restored = await runtime.RestoreSnapshotAsync(app, snapshot.Id, progress, CancellationToken.None).Within();

        Assert.Equal((disk.Id, disk.SizeBytes), (snapshot.DiskId, snapshot.SizeBytes));
        Assert.Equal(new[] { snapshot.Id }, (await runtime.ListSnapshotsAsync(app, CancellationToken.None).Within()).Select(s => s.Id));
        Assert.NotEqual(disk.Id, restored.Id);
        Assert.Equal(disk.SizeBytes, restored.SizeBytes);
        AssertContent(Path.Combine(fixture.DataRoot, "disks", restored.Id));
        Assert.Equal(new[] { restored.Id, disk.Id }, (await runtime.ListDisksAsync(app, CancellationToken.None).Within()).Select(d => d.Id));
    }

    [Fact]
    public async Task A_disk_exported_as_tar_gz_imports_as_a_new_disk_with_progress()
    {
        var runtime = fixture.Runtime();
        var app = fixture.App();
        var disk = await DiskWithContentAsync(runtime, app);
        using var archive = new MemoryStream();

        await runtime.ExportDiskAsync(app, disk.Id, archive, progress, CancellationToken.None).Within();
        archive.Position = 0;
        var imported = await runtime.ImportDiskAsync(app, archive, progress, CancellationToken.None).Within();

        AssertContent(Path.Combine(fixture.DataRoot, "disks", imported.Id));
        Assert.Contains(progress.Reports, r => r.Activity == $"Exporting disk {disk.Id}" && r.Percent == 100);
        Assert.Contains(progress.Reports, r => r.Activity.StartsWith("Importing a disk", StringComparison.Ordinal) && r.Percent == 100);
    }

    [Fact]
    public async Task Export_honours_cancellation()
    {
        var runtime = fixture.Runtime();
        var disk = await DiskWithContentAsync(runtime, fixture.App());
        using var cancel = new CancellationTokenSource();
        cancel.Cancel();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => runtime.ExportDiskAsync(fixture.App(), disk.Id, new MemoryStream(), progress, cancel.Token).Within());
    }

    [Fact]
    public async Task Import_refuses_what_is_no_disk_archive_and_leaves_nothing_behind()
    {
        var runtime = fixture.Runtime();
        var app = fixture.App();

        var garbage = await Assert.ThrowsAsync<KompoxException>(() => runtime.ImportDiskAsync(app, new MemoryStream("not an archive"u8.ToArray()), progress, CancellationToken.None).Within());
        var escaping = await Assert.ThrowsAsync<KompoxException>(() => runtime.ImportDiskAsync(app, Archive(new PaxTarEntry(TarEntryType.RegularFile, "../escaped") { DataStream = new MemoryStream("x"u8.ToArray()) }), progress, CancellationToken.None).Within());
        // The link points into the test's own directory, not at the node's /etc: a broken check (a mutant) then writes there.
        var outside = Directory.CreateDirectory(Path.Combine(fixture.DataRoot, "outside")).FullName;
        var throughLink = await Assert.ThrowsAsync<KompoxException>(() => runtime.ImportDiskAsync(
            app,
            Archive(new PaxTarEntry(TarEntryType.SymbolicLink, "etc") { LinkName = outside }, new PaxTarEntry(TarEntryType.RegularFile, "etc/evil") { DataStream = new MemoryStream("x"u8.ToArray()) }),
            progress,
            CancellationToken.None).Within());
        var device = await Assert.ThrowsAsync<KompoxException>(() => runtime.ImportDiskAsync(app, Archive(new PaxTarEntry(TarEntryType.CharacterDevice, "null")), progress, CancellationToken.None).Within());

        Assert.All(new[] { garbage, escaping, throughLink, device }, e => Assert.Equal("InvalidArchive", e.ErrorId));
        Assert.Contains("points outside the disk", escaping.Message);
        Assert.Contains("goes through a symbolic link", throughLink.Message);
        Assert.Contains("entry 'null' is a CharacterDevice", device.Message);
        Assert.EndsWith("is not a tar or gzip-compressed tar archive of a disk (it is shorter than one tar header: no archive, or one cut short)", garbage.Message);
        Assert.Empty(Directory.EnumerateFileSystemEntries(Path.Combine(fixture.DataRoot, "disks")));
        Assert.False(File.Exists(Path.Combine(fixture.DataRoot, "escaped")));
        Assert.Empty(Directory.EnumerateFileSystemEntries(outside));
    }

    // A hard link is unpacked as a copy of its target, made as root on the node: a target outside the disk, or reached
    // through a symbolic link, would copy a node file (here "secret", beside the disks directory) into the app's disk.
    // Tar names a hard link's target from the archive's root, so "../../secret" climbs out of disks/<temp>/.
    [Theory]
    [InlineData("dot-dot", "points outside the disk")]
    [InlineData("absolute", "points outside the disk")]
    [InlineData("through a linked directory", "goes through a symbolic link")]
    [InlineData("a symbolic link", "goes through a symbolic link")]
    [InlineData("made later", "no earlier entry")]
    [InlineData("never made", "no earlier entry")]
    [InlineData("a directory", "no earlier entry")]
    public async Task Import_refuses_a_hard_link_to_anything_but_a_file_the_archive_made_and_leaves_no_disk(string target, string why)
    {
        var secret = Path.Combine(fixture.DataRoot, "secret");
        File.WriteAllText(secret, "root:node-only");
        TarEntry[] entries = target switch
        {
            "dot-dot" => [FileEntry("data/a"), HardLinkEntry("data/copy", "../../secret")],
            "absolute" => [FileEntry("data/a"), HardLinkEntry("data/copy", secret)],
            "through a linked directory" => [SymlinkEntry("up", fixture.DataRoot), HardLinkEntry("copy", "up/secret")],
            "a symbolic link" => [SymlinkEntry("shadow", secret), HardLinkEntry("copy", "shadow")],
            "made later" => [HardLinkEntry("copy", "later"), FileEntry("later")],
            "never made" => [FileEntry("data/a"), HardLinkEntry("copy", "data/b")],
            "a directory" => [FileEntry("data/a"), HardLinkEntry("copy", "data")],
            _ => throw new ArgumentOutOfRangeException(nameof(target)),
        };

        var error = await Assert.ThrowsAsync<KompoxException>(() => fixture.Runtime().ImportDiskAsync(fixture.App(), Archive(entries), progress, CancellationToken.None).Within());

        Assert.Equal("InvalidArchive", error.ErrorId);
        Assert.Contains(why, error.Message);
        Assert.Empty(Directory.EnumerateFileSystemEntries(Path.Combine(fixture.DataRoot, "disks")));
    }

    [Fact]
    public async Task A_hard_link_to_a_file_the_archive_made_earlier_imports_as_a_copy()
    {
        var disk = await fixture.Runtime().ImportDiskAsync(fixture.App(), Archive(FileEntry("data/a"), HardLinkEntry("data/b", "data/a"), HardLinkEntry("c", "data/b")), progress, CancellationToken.None).Within();

        var root = Path.Combine(fixture.DataRoot, "disks", disk.Id);
        Assert.Equal(["x", "x", "x"], new[] { "data/a", "data/b", "c" }.Select(f => File.ReadAllText(Path.Combine(root, f))));
    }

    private static PaxTarEntry FileEntry(string name) => new(TarEntryType.RegularFile, name) { DataStream = new MemoryStream("x"u8.ToArray()) };

    private static PaxTarEntry HardLinkEntry(string name, string target) => new(TarEntryType.HardLink, name) { LinkName = target };

    private static PaxTarEntry SymlinkEntry(string name, string target) => new(TarEntryType.SymbolicLink, name) { LinkName = target };

    [Fact]
    public async Task Disks_and_snapshots_list_newest_first_and_by_id_within_a_second()
    {
        var runtime = fixture.Runtime();
        var app = fixture.App();
        Assert.Empty(await runtime.ListDisksAsync(app, CancellationToken.None).Within());
        Assert.Empty(await runtime.ListSnapshotsAsync(app, CancellationToken.None).Within());
        var first = await runtime.CreateDiskAsync(app, progress, CancellationToken.None).Within();
        var second = await runtime.CreateDiskAsync(app, progress, CancellationToken.None).Within();
        fixture.Time.Advance(TimeSpan.FromSeconds(1));
        var third = await runtime.CreateDiskAsync(app, progress, CancellationToken.None).Within();
        var snapshots = new List<SnapshotInfo>();
        foreach (var advance in new[] { 0, 0, 1 })
        {
            fixture.Time.Advance(TimeSpan.FromSeconds(advance));
            snapshots.Add(await runtime.CreateSnapshotAsync(app, first.Id, progress, CancellationToken.None).Within());
        }

        var disks = await runtime.ListDisksAsync(app, CancellationToken.None).Within();
        var listed = await runtime.ListSnapshotsAsync(app, CancellationToken.None).Within();

        Assert.Equal(new[] { third.Id }.Concat(new[] { first.Id, second.Id }.Order(StringComparer.Ordinal).Reverse()), disks.Select(d => d.Id));
        Assert.Equal(new[] { snapshots[2].Id }.Concat(snapshots.Take(2).Select(s => s.Id).Order(StringComparer.Ordinal).Reverse()), listed.Select(s => s.Id));
    }

    [Fact]
    public async Task A_disk_is_created_with_progress_and_not_at_all_when_cancelled()
    {
        using var cancel = new CancellationTokenSource();
        cancel.Cancel();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => fixture.Runtime().CreateDiskAsync(fixture.App(), progress, cancel.Token).Within());
        Assert.False(Directory.Exists(Path.Combine(fixture.DataRoot, "disks")));

        var disk = await fixture.Runtime().CreateDiskAsync(fixture.App(), progress, CancellationToken.None).Within();
        Assert.Contains(new OperationProgress($"Creating disk {disk.Id}", "creating the directory"), progress.Reports);
    }

    [Fact]
    public async Task Deleting_a_disk_removes_its_directory_and_tags_and_a_cancelled_delete_removes_nothing()
    {
        var runtime = fixture.Runtime();
        var app = fixture.App();
        var disk = await runtime.CreateDiskAsync(app, progress, CancellationToken.None).Within();
        var kept = await runtime.CreateDiskAsync(app, progress, CancellationToken.None).Within();
        WriteContent(Path.Combine(fixture.DataRoot, "disks", disk.Id));
        using var cancel = new CancellationTokenSource();
        cancel.Cancel();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => runtime.DeleteDiskAsync(app, disk.Id, cancel.Token).Within());
        AssertContent(Path.Combine(fixture.DataRoot, "disks", disk.Id));
        await runtime.DeleteDiskAsync(app, disk.Id, CancellationToken.None).Within();

        Assert.Equal(new[] { kept.Id, kept.Id + ".json" }.Order(), Directory.EnumerateFileSystemEntries(Path.Combine(fixture.DataRoot, "disks")).Select(Path.GetFileName).Order());
        Assert.Equal(new[] { kept.Id }, (await runtime.ListDisksAsync(app, CancellationToken.None).Within()).Select(d => d.Id));
    }

    [Fact]
    public async Task A_snapshot_is_an_archive_with_tags_beside_it_under_snapshots_and_is_exported_as_it_is()
    {
        var runtime = fixture.Runtime();
        var app = fixture.App();
        var disk = await DiskWithContentAsync(runtime, app);

        var snapshot = await runtime.CreateSnapshotAsync(app, disk.Id, progress, CancellationToken.None).Within();
        using var exported = new MemoryStream();
        await runtime.ExportSnapshotAsync(app, snapshot.Id, exported, progress, CancellationToken.None).Within();

        var archive = Path.Combine(fixture.DataRoot, "snapshots", snapshot.Id + ".tar.gz");
        Assert.Equal(new[] { snapshot.Id + ".json", snapshot.Id + ".tar.gz" }, Directory.EnumerateFiles(Path.Combine(fixture.DataRoot, "snapshots")).Select(Path.GetFileName).Order());
        Assert.Equal(File.ReadAllBytes(archive), exported.ToArray());
        Assert.Contains(progress.Reports, r => r.Activity == $"Snapshotting disk {disk.Id} as {snapshot.Id}" && r.Percent == 100);
        Assert.Contains(progress.Reports, r => r.Activity == $"Exporting snapshot {snapshot.Id}" && r.Status.StartsWith("copying the archive", StringComparison.Ordinal) && r.Percent == 100);
    }

    [Fact]
    public async Task A_cancelled_snapshot_leaves_no_file()
    {
        var runtime = fixture.Runtime();
        var disk = await DiskWithContentAsync(runtime, fixture.App());
        using var cancel = new CancellationTokenSource();
        cancel.Cancel();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => runtime.CreateSnapshotAsync(fixture.App(), disk.Id, progress, cancel.Token).Within());

        Assert.Empty(Directory.EnumerateFileSystemEntries(Path.Combine(fixture.DataRoot, "snapshots")));
    }

    // Stopped once the last bytes went to the compressor (its report of 100%), after the archive writer's last look at
    // the stop: the archive is whole, but what was asked is to stop, so there is no snapshot.
    [Fact]
    public async Task A_snapshot_stopped_as_its_last_bytes_are_compressed_is_cancelled_and_leaves_no_file()
    {
        var runtime = fixture.Runtime();
        var disk = await DiskWithContentAsync(runtime, fixture.App());
        using var stop = new CancellationTokenSource();
        var stopping = new StoppingProgress(progress, stop, r => r.Status.StartsWith("writing the archive: ", StringComparison.Ordinal) && r.Percent == 100);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => runtime.CreateSnapshotAsync(fixture.App(), disk.Id, stopping, stop.Token).Within());

        Assert.True(stop.IsCancellationRequested);
        Assert.Empty(Directory.EnumerateFileSystemEntries(Path.Combine(fixture.DataRoot, "snapshots")));
        Assert.Empty(await runtime.ListSnapshotsAsync(fixture.App(), CancellationToken.None).Within());
    }

    // Marking the disk that already is the app's only current one changes nothing, not even the time it became current.
    [Fact]
    public async Task Marking_the_only_current_disk_again_changes_nothing()
    {
        var runtime = fixture.Runtime();
        var app = fixture.App();
        var disks = new List<DiskInfo>();
        for (var i = 0; i < 3; i++)
        {
            disks.Add(await runtime.CreateDiskAsync(app, progress, CancellationToken.None).Within());
        }

        await runtime.MarkCurrentAsync(app, disks[1].Id, CancellationToken.None).Within();
        var marked = fixture.Time.GetUtcNow();
        var tags = Directory.EnumerateFiles(Path.Combine(fixture.DataRoot, "disks"), "*.json").Order(StringComparer.Ordinal).Select(File.ReadAllText).ToList();
        fixture.Time.Advance(TimeSpan.FromMinutes(1));

        await runtime.MarkCurrentAsync(app, disks[1].Id, CancellationToken.None).Within();

        Assert.Equal(tags, Directory.EnumerateFiles(Path.Combine(fixture.DataRoot, "disks"), "*.json").Order(StringComparer.Ordinal).Select(File.ReadAllText));
        var listed = await runtime.ListDisksAsync(app, CancellationToken.None).Within();
        Assert.Equal(new[] { (disks[1].Id, (DateTimeOffset?)marked) }, listed.Where(d => d.CurrentSince is not null).Select(d => (d.Id, d.CurrentSince)));
    }

    // A switch writes the new mark first and clears the old one after: stopped between the two (here as the clock is read
    // for the new mark's time), both disks are marked and the latest mark says which is current. Marking that disk again
    // finishes the switch, leaving one mark.
    [Fact]
    public async Task A_switch_stopped_half_way_leaves_the_new_disk_current_and_marking_it_again_leaves_one_mark()
    {
        var runtime = fixture.Runtime();
        var app = fixture.App();
        var old = await runtime.CreateDiskAsync(app, progress, CancellationToken.None).Within();
        var next = await runtime.CreateDiskAsync(app, progress, CancellationToken.None).Within();
        await runtime.MarkCurrentAsync(app, old.Id, CancellationToken.None).Within();
        fixture.Time.Advance(TimeSpan.FromMinutes(1));
        using var stop = new CancellationTokenSource();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => new K3sRuntime(fixture.DataRoot, new StoppingClock(fixture.Time, stop)).MarkCurrentAsync(app, next.Id, stop.Token).Within());
        var half = await runtime.ListDisksAsync(app, CancellationToken.None).Within();
        fixture.Time.Advance(TimeSpan.FromMinutes(1));
        await runtime.MarkCurrentAsync(app, next.Id, CancellationToken.None).Within();
        var done = await runtime.ListDisksAsync(app, CancellationToken.None).Within();

        Assert.Equal(new[] { old.Id, next.Id }.Order(StringComparer.Ordinal), half.Where(d => d.CurrentSince is not null).Select(d => d.Id).Order(StringComparer.Ordinal));
        Assert.Equal(next.Id, DiskInfo.ProviderCurrent(half));
        Assert.Equal(new[] { (next.Id, (DateTimeOffset?)fixture.Time.GetUtcNow()) }, done.Where(d => d.CurrentSince is not null).Select(d => (d.Id, d.CurrentSince)));
    }

    // GNU tar writes an archive of nothing (tar -czf empty.tar.gz -T /dev/null) as one record of 20 zero blocks, which
    // `tar -t` takes as an empty archive: imported, it is an empty disk.
    [Fact]
    public async Task An_archive_of_no_entries_as_GNU_tar_writes_it_imports_as_an_empty_disk()
    {
        var archive = new MemoryStream();
        using (var gzip = new GZipStream(archive, CompressionLevel.Fastest, leaveOpen: true))
        {
            gzip.Write(new byte[20 * 512]);
        }

        archive.Position = 0;
        var disk = await fixture.Runtime().ImportDiskAsync(fixture.App(), archive, progress, CancellationToken.None).Within();

        Assert.Empty(Directory.EnumerateFileSystemEntries(Path.Combine(fixture.DataRoot, "disks", disk.Id)));
        Assert.Equal(new[] { disk.Id, disk.Id + ".json" }.Order(StringComparer.Ordinal), Directory.EnumerateFileSystemEntries(Path.Combine(fixture.DataRoot, "disks")).Select(Path.GetFileName).Order(StringComparer.Ordinal));
    }

    // What GNU tar refuses through gzip ("invalid compressed data--format violated", "unexpected end of file") is no disk
    // archive here either: a deflate block of the reserved type 3 (RFC 1951, 3.2.3), or a stream cut in its trailer.
    [Theory]
    [InlineData("corrupt")]
    [InlineData("cut in its trailer")]
    public async Task Import_refuses_a_gzip_stream_that_is_corrupt_or_cut_short_and_leaves_no_disk(string damage)
    {
        var archive = Archive(FileEntry("data/a")).ToArray();
        if (damage == "corrupt")
        {
            archive[10] |= 0b110; // the first block's BTYPE, right after the 10-byte gzip header .NET writes
        }
        else
        {
            archive = archive[..^4];
        }

        var error = await Assert.ThrowsAsync<KompoxException>(() => fixture.Runtime().ImportDiskAsync(fixture.App(), new MemoryStream(archive), progress, CancellationToken.None).Within());

        Assert.Equal("InvalidArchive", error.ErrorId);
        Assert.Equal("Importing a disk: the content is not a tar or gzip-compressed tar archive of a disk (the gzip stream is corrupt or cut short)", error.Message);
        Assert.IsType<InvalidDataException>(error.InnerException);
        Assert.Empty(Directory.EnumerateFileSystemEntries(Path.Combine(fixture.DataRoot, "disks")));
    }

    [Fact]
    public async Task Only_the_apps_own_snapshots_are_deleted_or_exported_and_deleting_removes_both_files()
    {
        var runtime = fixture.Runtime();
        var app = fixture.App();
        var other = fixture.App("db");
        var disk = await runtime.CreateDiskAsync(app, progress, CancellationToken.None).Within();
        var snapshot = await runtime.CreateSnapshotAsync(app, disk.Id, progress, CancellationToken.None).Within();
        using var cancel = new CancellationTokenSource();
        cancel.Cancel();

        var deleting = await Assert.ThrowsAsync<KompoxException>(() => runtime.DeleteSnapshotAsync(other, snapshot.Id, CancellationToken.None).Within());
        var exporting = await Assert.ThrowsAsync<KompoxException>(() => runtime.ExportSnapshotAsync(other, snapshot.Id, new MemoryStream(), progress, CancellationToken.None).Within());
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => runtime.DeleteSnapshotAsync(app, snapshot.Id, cancel.Token).Within());
        Assert.Equal(2, Directory.EnumerateFiles(Path.Combine(fixture.DataRoot, "snapshots")).Count());
        await runtime.DeleteSnapshotAsync(app, snapshot.Id, CancellationToken.None).Within();

        Assert.All(new[] { deleting, exporting }, e => Assert.Equal(("SnapshotNotFound", snapshot.Id), (e.ErrorId, e.Target)));
        Assert.Contains($"has no snapshot '{snapshot.Id}'", deleting.Message);
        Assert.Empty(Directory.EnumerateFiles(Path.Combine(fixture.DataRoot, "snapshots")));
    }

    [Fact]
    public async Task Another_apps_disk_cannot_be_exported()
    {
        var disk = await fixture.Runtime().CreateDiskAsync(fixture.App("db"), progress, CancellationToken.None).Within();

        var error = await Assert.ThrowsAsync<KompoxException>(() => fixture.Runtime().ExportDiskAsync(fixture.App(), disk.Id, new MemoryStream(), progress, CancellationToken.None).Within());

        Assert.Equal(("DiskNotFound", disk.Id), (error.ErrorId, error.Target));
    }

    [Fact]
    public async Task A_restore_reports_progress_under_the_snapshots_name()
    {
        var runtime = fixture.Runtime();
        var disk = await DiskWithContentAsync(runtime, fixture.App());
        var snapshot = await runtime.CreateSnapshotAsync(fixture.App(), disk.Id, progress, CancellationToken.None).Within();

        var restored = await runtime.RestoreSnapshotAsync(fixture.App(), snapshot.Id, progress, CancellationToken.None).Within();

        Assert.Contains(progress.Reports, r => r.Activity == $"Restoring snapshot {snapshot.Id} as disk {restored.Id}" && r.Percent == 100);
    }

    // The bar counts the files' bytes: it reaches 100% once all of them are written, not after the largest one.
    [Fact]
    public async Task Export_progress_reaches_100_percent_with_the_last_of_the_files_bytes()
    {
        var runtime = fixture.Runtime();
        var disk = await runtime.CreateDiskAsync(fixture.App(), progress, CancellationToken.None).Within();
        var root = Path.Combine(fixture.DataRoot, "disks", disk.Id);
        File.WriteAllBytes(Path.Combine(root, "a.bin"), new byte[300_000]);
        File.WriteAllBytes(Path.Combine(root, "b.bin"), new byte[300_000]);

        await runtime.ExportDiskAsync(fixture.App(), disk.Id, new MemoryStream(), progress, CancellationToken.None).Within();

        var full = progress.Reports.First(r => r.Activity == $"Exporting disk {disk.Id}" && r.Percent == 100);
        var written = long.Parse(full.Status.Split(' ')[^2], System.Globalization.CultureInfo.InvariantCulture);
        Assert.StartsWith("writing the archive: ", full.Status);
        Assert.InRange(written, 600_000, 700_000);
    }

    // An import may come from a pipe (no length) or from a stream already read into; the bar counts what is left.
    [Fact]
    public async Task Import_reads_from_a_stream_without_a_length_or_from_where_a_stream_stands()
    {
        var runtime = fixture.Runtime();
        var archive = Archive(FileEntry("data/a"), new PaxTarEntry(TarEntryType.RegularFile, "big") { DataStream = new MemoryStream(new byte[200_000]) }).ToArray();
        var prefixed = new MemoryStream([.. new byte[1000], .. archive]) { Position = 1000 };

        var piped = await runtime.ImportDiskAsync(fixture.App(), new NonSeekableStream(new MemoryStream(archive)), progress, CancellationToken.None).Within();
        var imports = progress.Reports.Count;
        var positioned = await runtime.ImportDiskAsync(fixture.App(), prefixed, progress, CancellationToken.None).Within();

        Assert.Equal("x", File.ReadAllText(Path.Combine(fixture.DataRoot, "disks", piped.Id, "data", "a")));
        Assert.Equal("x", File.ReadAllText(Path.Combine(fixture.DataRoot, "disks", positioned.Id, "data", "a")));
        Assert.All(progress.Reports.Take(imports), r => Assert.Null(r.Percent));
        Assert.Equal(100, progress.Reports.Skip(imports).Max(r => r.Percent));
        Assert.All(progress.Reports, r => Assert.StartsWith("unpacking the archive", r.Status));
    }

    // What tar writers make: a directory entry may come again (or after files in it), and links need not follow one.
    [Fact]
    public async Task Import_makes_the_directories_a_link_lives_in_and_takes_a_directory_named_again()
    {
        var disk = await fixture.Runtime().ImportDiskAsync(
            fixture.App(),
            Archive(
                new PaxTarEntry(TarEntryType.Directory, "data"),
                FileEntry("data/a"),
                new PaxTarEntry(TarEntryType.Directory, "data"),
                SymlinkEntry("links/latest", "../data/a"),
                HardLinkEntry("copies/a", "data/a")),
            progress,
            CancellationToken.None).Within();

        var root = Path.Combine(fixture.DataRoot, "disks", disk.Id);
        Assert.Equal("../data/a", new FileInfo(Path.Combine(root, "links", "latest")).LinkTarget);
        Assert.Equal("x", File.ReadAllText(Path.Combine(root, "copies", "a")));
    }

    // .NET writes no bytes at all for an empty directory (no tar end blocks, no gzip header): that is an empty disk.
    [Fact]
    public async Task An_empty_disk_exports_imports_snapshots_and_restores_as_an_empty_disk()
    {
        var runtime = fixture.Runtime();
        var disk = await runtime.CreateDiskAsync(fixture.App(), progress, CancellationToken.None).Within();
        using var archive = new MemoryStream();
        await runtime.ExportDiskAsync(fixture.App(), disk.Id, archive, progress, CancellationToken.None).Within();
        archive.Position = 0;

        var imported = await runtime.ImportDiskAsync(fixture.App(), archive, progress, CancellationToken.None).Within();
        var snapshot = await runtime.CreateSnapshotAsync(fixture.App(), disk.Id, progress, CancellationToken.None).Within();
        var restored = await runtime.RestoreSnapshotAsync(fixture.App(), snapshot.Id, progress, CancellationToken.None).Within();

        Assert.Empty(Directory.EnumerateFileSystemEntries(Path.Combine(fixture.DataRoot, "disks", imported.Id)));
        Assert.Empty(Directory.EnumerateFileSystemEntries(Path.Combine(fixture.DataRoot, "disks", restored.Id)));
    }

    // Tar appends, so a name can come twice; no disk export holds one, and the second entry must not replace or fail
    // on what the first made.
    [Theory]
    [InlineData("file", "file")]
    [InlineData("file", "directory")]
    [InlineData("directory", "file")]
    [InlineData("file", "symbolic link")]
    [InlineData("file", "hard link")]
    public async Task Import_refuses_a_name_that_comes_twice(string first, string second)
    {
        TarEntry Entry(string kind) => kind switch
        {
            "file" => FileEntry("data/a"),
            "directory" => new PaxTarEntry(TarEntryType.Directory, "data/a"),
            "symbolic link" => SymlinkEntry("data/a", "b"),
            _ => HardLinkEntry("data/a", "data/b"),
        };

        var error = await Assert.ThrowsAsync<KompoxException>(() => fixture.Runtime().ImportDiskAsync(fixture.App(), Archive(FileEntry("data/b"), Entry(first), Entry(second)), progress, CancellationToken.None).Within());

        Assert.Equal("InvalidArchive", error.ErrorId);
        Assert.Contains("entry 'data/a' names a path an earlier entry made", error.Message);
        Assert.Empty(Directory.EnumerateFileSystemEntries(Path.Combine(fixture.DataRoot, "disks")));
    }

    // Only "<id>.json" files are tags; a broken one is an error naming the file, not a disk that lists without its app.
    [Theory]
    [InlineData("""{"Tags":{"kompox-created-at":"2025-01-01T00:00:00Z"},"SizeBytes":1}""")]
    [InlineData("""{"Tags":{"kompox-app":"ops/k3s1/lab/web"},"SizeBytes":1}""")]
    [InlineData("""{"Tags":{"kompox-app":"ops/k3s1/lab/web","kompox-created-at":"2025-01-01T00:00:00Z"},"SizeBytes":0}""")]
    [InlineData("""{"Tags":null,"SizeBytes":1}""")]
    [InlineData("""not json""")]
    public async Task A_broken_tags_file_is_an_error_naming_it(string tags)
    {
        var path = Path.Combine(Directory.CreateDirectory(Path.Combine(fixture.DataRoot, "disks")).FullName, "web-20250101000000-abcdef.json");
        File.WriteAllText(path, tags);

        var error = await Assert.ThrowsAsync<KompoxException>(() => fixture.Runtime().ListDisksAsync(fixture.App(), CancellationToken.None).Within());

        Assert.Equal(("InvalidDiskMetadata", path), (error.ErrorId, error.Target));
        Assert.StartsWith($"{path} is not a Kompox tags file", error.Message);
    }

    [Fact]
    public async Task Listing_honours_cancellation_and_counts_only_tags_files()
    {
        var runtime = fixture.Runtime();
        var disk = await runtime.CreateDiskAsync(fixture.App(), progress, CancellationToken.None).Within();
        File.WriteAllText(Path.Combine(fixture.DataRoot, "disks", disk.Id + ".old"), "a stray file named like a disk");
        using var cancel = new CancellationTokenSource();
        cancel.Cancel();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => runtime.ListDisksAsync(fixture.App(), cancel.Token).Within());
        Assert.Equal(new[] { disk.Id }, (await runtime.ListDisksAsync(fixture.App(), CancellationToken.None).Within()).Select(d => d.Id));
    }

    [Fact]
    public async Task A_snapshot_whose_tags_name_no_disk_lists_with_an_empty_disk_id()
    {
        Directory.CreateDirectory(Path.Combine(fixture.DataRoot, "snapshots"));
        File.WriteAllText(Path.Combine(fixture.DataRoot, "snapshots", "web-20250101000000-abcdef.tar.gz"), "");
        File.WriteAllText(Path.Combine(fixture.DataRoot, "snapshots", "web-20250101000000-abcdef.json"), """{"Tags":{"kompox-app":"ops/k3s1/lab/web","kompox-created-at":"2025-01-01T00:00:00Z"},"SizeBytes":5}""");

        var snapshot = Assert.Single(await fixture.Runtime().ListSnapshotsAsync(fixture.App(), CancellationToken.None).Within());

        Assert.Equal(new SnapshotInfo("web-20250101000000-abcdef", "ops/k3s1/lab/web", string.Empty, new DateTimeOffset(2025, 1, 1, 0, 0, 0, TimeSpan.Zero), 5), snapshot);
    }

    /// <summary>Passes reports on and stops the work under test at the first report <c>when</c> matches.</summary>
    private sealed class StoppingProgress(IProgress<OperationProgress> inner, CancellationTokenSource stop, Func<OperationProgress, bool> when) : IProgress<OperationProgress>
    {
        public void Report(OperationProgress value)
        {
            inner.Report(value);
            if (when(value))
            {
                stop.Cancel();
            }
        }
    }

    /// <summary>The fixture's clock, which stops the work under test when it is read: the moment a mark's time is taken.</summary>
    private sealed class StoppingClock(TimeProvider inner, CancellationTokenSource stop) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow()
        {
            stop.Cancel();
            return inner.GetUtcNow();
        }
    }

    /// <summary>A stream that, like a pipe, can only be read forward and has no length.</summary>
    private sealed class NonSeekableStream(Stream inner) : Stream
    {
        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, count);

        public override void Flush() { }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }

    private static MemoryStream Archive(params TarEntry[] entries)
    {
        var archive = new MemoryStream();
        using (var gzip = new GZipStream(archive, CompressionLevel.Fastest, leaveOpen: true))
        using (var writer = new TarWriter(gzip))
        {
            foreach (var entry in entries)
            {
                writer.WriteEntry(entry);
            }
        }

        archive.Position = 0;
        return archive;
    }

    /// <summary>A new disk of the app with <see cref="WriteContent"/>'s files on it.</summary>
    private async Task<DiskInfo> DiskWithContentAsync(K3sRuntime runtime, Kompox.Model.KompoxApp app)
    {
        var disk = await runtime.CreateDiskAsync(app, progress, CancellationToken.None).Within();
        WriteContent(Path.Combine(fixture.DataRoot, "disks", disk.Id));
        return disk;
    }

    private static void WriteContent(string disk)
    {
        Directory.CreateDirectory(Path.Combine(disk, "volumes", "data"));
        Directory.CreateDirectory(Path.Combine(disk, "volumes", "empty"));
        File.WriteAllText(Path.Combine(disk, "volumes", "data", "index.html"), "<h1>hello</h1>");
        File.WriteAllBytes(Path.Combine(disk, "volumes", "data", "blob.bin"), Enumerable.Range(0, 300_000).Select(i => (byte)(i * 7)).ToArray());
        File.CreateSymbolicLink(Path.Combine(disk, "volumes", "data", "latest"), "index.html");
    }

    private static void AssertContent(string disk)
    {
        Assert.Equal("<h1>hello</h1>", File.ReadAllText(Path.Combine(disk, "volumes", "data", "index.html")));
        Assert.Equal(Enumerable.Range(0, 300_000).Select(i => (byte)(i * 7)), File.ReadAllBytes(Path.Combine(disk, "volumes", "data", "blob.bin")));
        Assert.Equal("index.html", new FileInfo(Path.Combine(disk, "volumes", "data", "latest")).LinkTarget);
        Assert.True(Directory.Exists(Path.Combine(disk, "volumes", "empty")));
    }
}
