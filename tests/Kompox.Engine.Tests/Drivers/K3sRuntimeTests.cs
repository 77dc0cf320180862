using System.Formats.Tar;
using System.IO.Compression;
using System.Text.Json;
using System.Text.RegularExpressions;
using Kompox.Drivers;
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

        var disk = await fixture.Runtime().CreateDiskAsync(app, progress, CancellationToken.None);

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
        var first = await runtime.CreateDiskAsync(fixture.App(), progress, CancellationToken.None);
        fixture.Time.Advance(TimeSpan.FromHours(1));
        var second = await runtime.CreateDiskAsync(fixture.App(), progress, CancellationToken.None);
        await runtime.CreateDiskAsync(fixture.App("db"), progress, CancellationToken.None);

        var listed = await runtime.ListDisksAsync(fixture.App(), CancellationToken.None);

        Assert.Equal(new[] { second.Id, first.Id }, listed.Select(d => d.Id));
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

        var error = await Assert.ThrowsAsync<KompoxException>(() => runtime.DeleteDiskAsync(fixture.App(), diskId, CancellationToken.None));

        Assert.Equal("DiskNotFound", error.ErrorId);
        Assert.True(Directory.Exists(Path.Combine(fixture.DataRoot, "disks", "db-disk")));
    }

    [Fact]
    public async Task A_snapshot_restores_to_a_new_disk_with_the_same_content_and_size()
    {
        var runtime = fixture.Runtime();
        var app = fixture.App();
        var disk = await runtime.CreateDiskAsync(app, progress, CancellationToken.None);
        WriteContent(Path.Combine(fixture.DataRoot, "disks", disk.Id));
        fixture.Time.Advance(TimeSpan.FromMinutes(5));

        var snapshot = await runtime.CreateSnapshotAsync(app, disk.Id, progress, CancellationToken.None);
        File.WriteAllText(Path.Combine(fixture.DataRoot, "disks", disk.Id, "volumes", "data", "index.html"), "changed after the snapshot");
        fixture.Time.Advance(TimeSpan.FromMinutes(5));
        var restored = await runtime.RestoreSnapshotAsync(app, snapshot.Id, progress, CancellationToken.None);

        Assert.Equal((disk.Id, disk.SizeBytes), (snapshot.DiskId, snapshot.SizeBytes));
        Assert.Equal(new[] { snapshot.Id }, (await runtime.ListSnapshotsAsync(app, CancellationToken.None)).Select(s => s.Id));
        Assert.NotEqual(disk.Id, restored.Id);
        Assert.Equal(disk.SizeBytes, restored.SizeBytes);
        AssertContent(Path.Combine(fixture.DataRoot, "disks", restored.Id));
        Assert.Equal(new[] { restored.Id, disk.Id }, (await runtime.ListDisksAsync(app, CancellationToken.None)).Select(d => d.Id));
    }

    [Fact]
    public async Task A_disk_exported_as_tar_gz_imports_as_a_new_disk_with_progress()
    {
        var runtime = fixture.Runtime();
        var app = fixture.App();
        var disk = await runtime.CreateDiskAsync(app, progress, CancellationToken.None);
        WriteContent(Path.Combine(fixture.DataRoot, "disks", disk.Id));
        using var archive = new MemoryStream();

        await runtime.ExportDiskAsync(app, disk.Id, archive, progress, CancellationToken.None);
        archive.Position = 0;
        var imported = await runtime.ImportDiskAsync(app, archive, progress, CancellationToken.None);

        AssertContent(Path.Combine(fixture.DataRoot, "disks", imported.Id));
        Assert.Contains(progress.Reports, r => r.Activity == $"Exporting disk {disk.Id}" && r.Percent == 100);
        Assert.Contains(progress.Reports, r => r.Activity.StartsWith("Importing a disk", StringComparison.Ordinal) && r.Percent == 100);
    }

    [Fact]
    public async Task Export_honours_cancellation()
    {
        var runtime = fixture.Runtime();
        var disk = await runtime.CreateDiskAsync(fixture.App(), progress, CancellationToken.None);
        WriteContent(Path.Combine(fixture.DataRoot, "disks", disk.Id));
        using var cancel = new CancellationTokenSource();
        cancel.Cancel();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => runtime.ExportDiskAsync(fixture.App(), disk.Id, new MemoryStream(), progress, cancel.Token));
    }

    [Fact]
    public async Task Import_refuses_what_is_no_disk_archive_and_leaves_nothing_behind()
    {
        var runtime = fixture.Runtime();
        var app = fixture.App();

        var garbage = await Assert.ThrowsAsync<KompoxException>(() => runtime.ImportDiskAsync(app, new MemoryStream("not an archive"u8.ToArray()), progress, CancellationToken.None));
        var escaping = await Assert.ThrowsAsync<KompoxException>(() => runtime.ImportDiskAsync(app, Archive(new PaxTarEntry(TarEntryType.RegularFile, "../escaped") { DataStream = new MemoryStream("x"u8.ToArray()) }), progress, CancellationToken.None));
        // The link points into the test's own directory, not at the node's /etc: a broken check (a mutant) then writes there.
        var outside = Directory.CreateDirectory(Path.Combine(fixture.DataRoot, "outside")).FullName;
        var throughLink = await Assert.ThrowsAsync<KompoxException>(() => runtime.ImportDiskAsync(
            app,
            Archive(new PaxTarEntry(TarEntryType.SymbolicLink, "etc") { LinkName = outside }, new PaxTarEntry(TarEntryType.RegularFile, "etc/evil") { DataStream = new MemoryStream("x"u8.ToArray()) }),
            progress,
            CancellationToken.None));
        var device = await Assert.ThrowsAsync<KompoxException>(() => runtime.ImportDiskAsync(app, Archive(new PaxTarEntry(TarEntryType.CharacterDevice, "null")), progress, CancellationToken.None));

        Assert.All(new[] { garbage, escaping, throughLink, device }, e => Assert.Equal("InvalidArchive", e.ErrorId));
        Assert.Contains("points outside the disk", escaping.Message);
        Assert.Contains("goes through a symbolic link", throughLink.Message);
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

        var error = await Assert.ThrowsAsync<KompoxException>(() => fixture.Runtime().ImportDiskAsync(fixture.App(), Archive(entries), progress, CancellationToken.None));

        Assert.Equal("InvalidArchive", error.ErrorId);
        Assert.Contains(why, error.Message);
        Assert.Empty(Directory.EnumerateFileSystemEntries(Path.Combine(fixture.DataRoot, "disks")));
    }

    [Fact]
    public async Task A_hard_link_to_a_file_the_archive_made_earlier_imports_as_a_copy()
    {
        var disk = await fixture.Runtime().ImportDiskAsync(fixture.App(), Archive(FileEntry("data/a"), HardLinkEntry("data/b", "data/a"), HardLinkEntry("c", "data/b")), progress, CancellationToken.None);

        var root = Path.Combine(fixture.DataRoot, "disks", disk.Id);
        Assert.Equal(["x", "x", "x"], new[] { "data/a", "data/b", "c" }.Select(f => File.ReadAllText(Path.Combine(root, f))));
    }

    private static PaxTarEntry FileEntry(string name) => new(TarEntryType.RegularFile, name) { DataStream = new MemoryStream("x"u8.ToArray()) };

    private static PaxTarEntry HardLinkEntry(string name, string target) => new(TarEntryType.HardLink, name) { LinkName = target };

    private static PaxTarEntry SymlinkEntry(string name, string target) => new(TarEntryType.SymbolicLink, name) { LinkName = target };

    // .NET writes no bytes at all for an empty directory (no tar end blocks, no gzip header): that is an empty disk.
    [Fact]
    public async Task An_empty_disk_exports_imports_snapshots_and_restores_as_an_empty_disk()
    {
        var runtime = fixture.Runtime();
        var disk = await runtime.CreateDiskAsync(fixture.App(), progress, CancellationToken.None);
        using var archive = new MemoryStream();
        await runtime.ExportDiskAsync(fixture.App(), disk.Id, archive, progress, CancellationToken.None);
        archive.Position = 0;

        var imported = await runtime.ImportDiskAsync(fixture.App(), archive, progress, CancellationToken.None);
        var snapshot = await runtime.CreateSnapshotAsync(fixture.App(), disk.Id, progress, CancellationToken.None);
        var restored = await runtime.RestoreSnapshotAsync(fixture.App(), snapshot.Id, progress, CancellationToken.None);

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

        var error = await Assert.ThrowsAsync<KompoxException>(() => fixture.Runtime().ImportDiskAsync(fixture.App(), Archive(FileEntry("data/b"), Entry(first), Entry(second)), progress, CancellationToken.None));

        Assert.Equal("InvalidArchive", error.ErrorId);
        Assert.Contains("entry 'data/a' names a path an earlier entry made", error.Message);
        Assert.Empty(Directory.EnumerateFileSystemEntries(Path.Combine(fixture.DataRoot, "disks")));
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
