using System.Diagnostics;
using System.IO.Compression;
using Kompox.Drivers;
using Kompox.Operations;
using Kompox.Tests.Operations;

namespace Kompox.Tests.Drivers;

/// <summary>
/// What a k3s disk holds survives snapshot → restore and export → import exactly, and the archive is GNU tar's: these
/// run as root on Linux, as Kompox does on a k3s node, and use the machine's GNU tar (1.34, src/xheader.c and
/// src/sparse.c for the pax records and sparse format 1.0) and python3's os.lstat/os.getxattr to look at the files,
/// never the engine's own calls. The expected format is GNU tar's manual, "Formats" (posix) and "Sparse Formats" (1.0).
/// </summary>
public sealed partial class DiskArchiveTests : IDisposable
{
    private readonly OperationFixture fixture = new();
    private readonly RecordedProgress progress = new();

    public DiskArchiveTests()
    {
        Assert.True(OperatingSystem.IsLinux() && Environment.UserName == "root", "these tests run as root on Linux: a k3s disk archive is made as root on the node");
    }

    public void Dispose() => fixture.Dispose();

    public static TheoryData<string> Kinds => new(Content.Keys);

    /// <summary>Each kind of content, made by shell and python as an app would make it; the disk root is the current directory.</summary>
    private static readonly Dictionary<string, string> Content = new()
    {
        // A PostgreSQL data directory: uid 999, mode 0700, must start again.
        ["owner"] = "mkdir -p pgdata && echo 16 > pgdata/PG_VERSION && chown -R 999:999 pgdata && chmod 0700 pgdata && chmod 0600 pgdata/PG_VERSION && chown 12345:54321 .",
        ["special modes"] = "echo x > suid && chmod 04755 suid && echo y > sgid && chmod 02711 sgid && mkdir shared tmp && chmod 02775 shared && chmod 01777 tmp && chmod 0750 .",
        ["times"] = "mkdir -p old/inner && echo x > old/inner/f && touch -h -d '2001-02-03 04:05:06.123456789' old/inner/f old/inner old && touch -d '1969-12-31 23:59:58.5' before-1970 && touch -d '2020-01-01 00:00:00.000000001' .",
        ["empty directories"] = "mkdir -p a/b/c empty && chmod 0555 a/b/c",
        ["symbolic links"] = "mkdir -p d && echo x > d/f && ln -s d/f relative && ln -s /etc/passwd absolute && ln -s ../../nowhere dangling && ln -s d dirlink && touch -h -d '2010-01-01 00:00:00.5' relative && chown -h 999:999 absolute",
        ["hard links"] = "mkdir -p a b && echo shared > a/one && ln a/one b/two && ln a/one three && echo solo > four && chown 7:8 a/one",
        ["sparse"] = "truncate -s 1G big && printf 'one block' | dd of=big bs=4096 seek=131072 conv=notrunc status=none && truncate -s 100M tail-hole && printf 'head' | dd of=tail-hole conv=notrunc status=none && truncate -s 1M all-hole",
        ["extended attributes"] = "echo x > f && mkdir d && python3 -c \"import os; os.setxattr('f', 'user.mime', b'text/plain'); os.setxattr('f', 'user.bin', bytes(range(256))); os.setxattr('d', 'user.empty', b''); os.setxattr('f', 'security.capability', bytes.fromhex('0100000200200000000000000000000000000000'))\"",
        // An owner beyond ustar's 7 octal digits and a time beyond its 11 (year 2300): pax records carry them.
        ["large numbers"] = "echo x > f && chown 3000000:4000000 f && touch -d '2300-01-01 00:00:00.25' f",
        ["names"] = "mkdir -p \"$(printf 'l%.0s' $(seq 200))/$(printf 'm%.0s' $(seq 200))\" && echo x > \"$(printf 'l%.0s' $(seq 200))/$(printf 'm%.0s' $(seq 200))/$(printf 'n%.0s' $(seq 250))\" && echo x > 'Grüße 日本語' && echo x > \"$(printf 'new\\nline')\" && ln -s \"$(printf 'l%.0s' $(seq 200))\" \"$(printf 's%.0s' $(seq 150))\" && ln 'Grüße 日本語' \"$(printf 'h%.0s' $(seq 120))\"",
    };

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task A_snapshot_restores_what_the_disk_holds_exactly(string kind)
    {
        var runtime = fixture.Runtime();
        var app = fixture.App();
        var disk = await runtime.CreateDiskAsync(app, progress, CancellationToken.None);
        var source = DiskPath(disk.Id);
        Make(source, Content[kind]);
        var before = Dump(source);

        var snapshot = await runtime.CreateSnapshotAsync(app, disk.Id, progress, CancellationToken.None);
        var restored = await runtime.RestoreSnapshotAsync(app, snapshot.Id, progress, CancellationToken.None);

        Assert.Equal(before, Dump(DiskPath(restored.Id)));
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task An_exported_disk_imports_with_what_it_holds_exactly(string kind)
    {
        var runtime = fixture.Runtime();
        var app = fixture.App();
        var disk = await runtime.CreateDiskAsync(app, progress, CancellationToken.None);
        Make(DiskPath(disk.Id), Content[kind]);
        var archive = Path.Combine(fixture.DataRoot, "export.tar.gz");

        await using (var file = File.Create(archive))
        {
            await runtime.ExportDiskAsync(app, disk.Id, file, progress, CancellationToken.None);
        }

        DiskInfo imported;
        await using (var file = File.OpenRead(archive))
        {
            imported = await runtime.ImportDiskAsync(app, file, progress, CancellationToken.None);
        }

        Assert.Equal(Dump(DiskPath(disk.Id)), Dump(DiskPath(imported.Id)));
    }

    // Issue 14 item 8: a bound directory of the project arrives on a disk through the same archive as an import, with the
    // same fidelity: what Docker would show at the bind (owners, modes, times, links as links, hard links, holes, xattrs).
    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task A_bound_directory_arrives_on_a_new_disk_exactly(string kind)
    {
        var runtime = fixture.Runtime();
        var app = fixture.App();
        var disk = await runtime.CreateDiskAsync(app, progress, CancellationToken.None);
        var project = Path.Combine(fixture.DataRoot, "project", "html");
        Directory.CreateDirectory(project);
        Make(project, Content[kind]);

        var result = await runtime.SeedAsync(app, disk.Id, [new SeedSource("./html", project, "binds/html")], dryRun: false, progress, CancellationToken.None);

        Assert.Equal(Dump(project), Dump(Path.Combine(DiskPath(disk.Id), "binds", "html")));
        Assert.Equal(["."], result.Binds.Single().Copied);
        Assert.Empty(result.Binds.Single().Skipped);
    }

    // A 1 GiB file with one written block stays small: the archive holds the block (GNU sparse 1.0), and the import
    // seeks over the hole instead of writing zeros. The progress counts data bytes, not the file's apparent size.
    [Fact]
    public async Task A_sparse_file_stays_sparse_through_the_archive()
    {
        var runtime = fixture.Runtime();
        var disk = await runtime.CreateDiskAsync(fixture.App(), progress, CancellationToken.None);
        Make(DiskPath(disk.Id), Content["sparse"]);
        using var archive = new MemoryStream();

        await runtime.ExportDiskAsync(fixture.App(), disk.Id, archive, progress, CancellationToken.None);
        archive.Position = 0;
        var imported = await runtime.ImportDiskAsync(fixture.App(), archive, progress, CancellationToken.None);

        Assert.InRange(archive.Length, 1, 64 << 10);
        var big = Path.Combine(DiskPath(imported.Id), "big");
        Assert.Equal(1L << 30, new FileInfo(big).Length);
        Assert.InRange(long.Parse(Run("stat", "-c", "%b", big).Trim(), System.Globalization.CultureInfo.InvariantCulture) * 512, 1, 1 << 20);
        Assert.InRange(progress.Reports.Where(r => r.Activity == $"Exporting disk {disk.Id}" && r.Status.EndsWith(" bytes", StringComparison.Ordinal)).Max(r => BytesOf(r.Status)), 1, 64 << 10);
    }

    // GNU tar reads what Kompox writes: extracted as root with --xattrs and every attribute included (GNU tar restores
    // only user.* by default, src/xattrs.c), the tree is the disk's.
    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task GNU_tar_extracts_an_exported_disk_exactly(string kind)
    {
        var runtime = fixture.Runtime();
        var disk = await runtime.CreateDiskAsync(fixture.App(), progress, CancellationToken.None);
        Make(DiskPath(disk.Id), Content[kind]);
        var archive = Path.Combine(fixture.DataRoot, "export.tar.gz");
        await using (var file = File.Create(archive))
        {
            await runtime.ExportDiskAsync(fixture.App(), disk.Id, file, progress, CancellationToken.None);
        }

        var target = Directory.CreateDirectory(Path.Combine(fixture.DataRoot, "gnu")).FullName;
        Run("tar", "-xzf", archive, "--xattrs", "--xattrs-include=*", "--numeric-owner", "-C", target);

        Assert.Equal(Dump(DiskPath(disk.Id)), Dump(target));
    }

    // Kompox imports what GNU tar writes with the options the documentation gives (pax format because of --xattrs),
    // compressed or not.
    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task An_archive_GNU_tar_wrote_imports_exactly(string kind)
    {
        var source = Directory.CreateDirectory(Path.Combine(fixture.DataRoot, "source")).FullName;
        Make(source, Content[kind]);
        var gzipped = Path.Combine(fixture.DataRoot, "gnu.tar.gz");
        var plain = Path.Combine(fixture.DataRoot, "gnu.tar");
        Run("tar", "-czf", gzipped, "--sparse", "--xattrs", "--numeric-owner", "-C", source, ".");
        Run("tar", "-cf", plain, "--sparse", "--xattrs", "--numeric-owner", "-C", source, ".");
        var expected = Dump(source);

        foreach (var archive in new[] { gzipped, plain })
        {
            await using var file = File.OpenRead(archive);
            var imported = await fixture.Runtime().ImportDiskAsync(fixture.App(), file, progress, CancellationToken.None);
            Assert.Equal(expected, Dump(DiskPath(imported.Id)));
        }
    }

    // A cut archive is refused wherever the cut is: in a header, in a file's data, before the end-of-archive blocks, in
    // the gzip trailer (its CRC-32 and length, RFC 1952 2.2). Nothing is left: the disks directory is as before.
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_truncated_archive_is_refused_and_leaves_the_disks_as_they_were(bool gzip)
    {
        var runtime = fixture.Runtime();
        var disk = await runtime.CreateDiskAsync(fixture.App(), progress, CancellationToken.None);
        Make(DiskPath(disk.Id), "mkdir d && seq 1 20000 > d/numbers && echo x > d/small && head -c 300000 /dev/urandom > blob");
        using var exported = new MemoryStream();
        await runtime.ExportDiskAsync(fixture.App(), disk.Id, exported, progress, CancellationToken.None);
        var bytes = gzip ? exported.ToArray() : Gunzip(exported.ToArray());
        var disks = Listing();

        // For a plain tar, the cuts include block boundaries: after a header, and after the last entry but before the
        // two zero blocks that end the archive.
        var ends = LastEntryEnd(bytes, gzip);
        var cuts = new[] { 1, 100, 512, 1024, bytes.Length / 2, ends, bytes.Length - 9, bytes.Length - 4, bytes.Length - 1 }.Where(c => c > 0 && c < bytes.Length).Distinct();
        var accepted = new List<string>();
        foreach (var cut in cuts)
        {
            var error = await Record.ExceptionAsync(() => runtime.ImportDiskAsync(fixture.App(), new MemoryStream(bytes[..cut]), progress, CancellationToken.None));
            if (error is not KompoxException { ErrorId: "InvalidArchive" } || !System.Text.RegularExpressions.Regex.IsMatch(error.Message, "cut short|corrupt|checksum|trailer"))
            {
                accepted.Add($"cut at {cut} of {bytes.Length}: {error?.Message ?? "imported"}");
            }

            Assert.Equal(disks, Listing());
        }

        Assert.Empty(accepted);
    }

    [Theory]
    [InlineData(0.5)]
    [InlineData(0.9)]
    [InlineData(-6)]
    public async Task A_corrupt_gzip_stream_is_refused_and_leaves_the_disks_as_they_were(double where)
    {
        var runtime = fixture.Runtime();
        var disk = await runtime.CreateDiskAsync(fixture.App(), progress, CancellationToken.None);
        Make(DiskPath(disk.Id), "seq 1 50000 > numbers && head -c 100000 /dev/urandom > blob");
        using var exported = new MemoryStream();
        await runtime.ExportDiskAsync(fixture.App(), disk.Id, exported, progress, CancellationToken.None);
        var bytes = exported.ToArray();
        var at = where < 0 ? bytes.Length + (int)where : (int)(bytes.Length * where);
        bytes[at] ^= 0x20;
        var disks = Listing();

        var error = await Assert.ThrowsAsync<KompoxException>(() => runtime.ImportDiskAsync(fixture.App(), new MemoryStream(bytes), progress, CancellationToken.None));

        Assert.Equal("InvalidArchive", error.ErrorId);
        Assert.Equal(disks, Listing());
    }

    [Theory]
    [InlineData("absolute path", "points outside the disk")]
    [InlineData("dot-dot inside a name", "points outside the disk")]
    [InlineData("file through a symbolic link", "goes through a symbolic link")]
    [InlineData("directory through a symbolic link", "goes through a symbolic link")]
    [InlineData("fifo", "is a Fifo")]
    [InlineData("block device", "is a BlockDevice")]
    [InlineData("old GNU sparse", "is a SparseFile")]
    [InlineData("sparse map beyond its size", "beyond its size")]
    public async Task Import_refuses_a_hostile_archive_and_leaves_no_disk(string hostile, string why)
    {
        var outside = Directory.CreateDirectory(Path.Combine(fixture.DataRoot, "outside")).FullName;
        await fixture.Runtime().CreateDiskAsync(fixture.App(), progress, CancellationToken.None);
        var archive = hostile switch
        {
            "absolute path" => Tar(Entry(Path.Combine(outside, "evil"), '0', "x")),
            "dot-dot inside a name" => Tar(Entry("d/../../outside/evil", '0', "x")),
            "file through a symbolic link" => Tar(Entry("up", '2', link: outside), Entry("up/evil", '0', "x")),
            "directory through a symbolic link" => Tar(Entry("up", '2', link: outside), Entry("up/evil/", '5')),
            "fifo" => Tar(Entry("pipe", '6')),
            "block device" => Tar(Entry("sda", '4')),
            "old GNU sparse" => Tar(Entry("old", 'S')),
            _ => Tar(Entry("GNUSparseFile.0/s", '0', "1\n2000\n10\n".PadRight(512, '\0') + "0123456789", pax: ["GNU.sparse.major=1", "GNU.sparse.minor=0", "GNU.sparse.name=s", "GNU.sparse.realsize=100"])),
        };
        var disks = Listing();

        var error = await Assert.ThrowsAsync<KompoxException>(() => fixture.Runtime().ImportDiskAsync(fixture.App(), new MemoryStream(archive), progress, CancellationToken.None));

        Assert.Equal("InvalidArchive", error.ErrorId);
        Assert.Contains(why, error.Message);
        Assert.Equal(disks, Listing());
        Assert.Empty(Directory.EnumerateFileSystemEntries(outside));
    }

    // GNU tar's other formats (its manual, "Formats"): gnu stores long names and link targets in ././@LongLink entries
    // ('L', 'K') and numbers too large for octal in base-256; ustar splits a long name into its prefix and name fields.
    // Neither keeps fractions of a second, so every time here is whole.
    [Theory]
    [InlineData("gnu")]
    [InlineData("ustar")]
    public async Task An_archive_in_GNU_tars_gnu_or_ustar_format_imports_exactly(string format)
    {
        var source = Directory.CreateDirectory(Path.Combine(fixture.DataRoot, "source")).FullName;
        var script = format == "gnu"
            ? Content["names"] + " && mkdir big && echo x > big/f && chown 3000000:4000000 big/f"
            : $"mkdir -p \"{new string('p', 70)}/{new string('q', 70)}\" && echo x > \"{new string('p', 70)}/{new string('q', 70)}/{new string('r', 60)}\" && chown 70000:80000 \"{new string('p', 70)}\"";
        Make(source, script + " && find . -exec touch -h -d '2001-02-03 04:05:06' {} +");
        var archive = Path.Combine(fixture.DataRoot, $"{format}.tar");
        Run("tar", "-cf", archive, $"--format={format}", "--numeric-owner", "-C", source, ".");
        var listing = Run("tar", "-tvf", archive, "--numeric-owner");

        await using var file = File.OpenRead(archive);
        var imported = await fixture.Runtime().ImportDiskAsync(fixture.App(), file, progress, CancellationToken.None);

        Assert.Equal(Dump(source), Dump(DiskPath(imported.Id)));
        Assert.Contains(format == "gnu" ? "3000000/4000000" : "70000/80000", listing);
    }

    // The node's SELinux policy labels a disk's files: a label is neither written into an archive nor restored from one
    // (a hostile archive could otherwise relabel a file for another domain). Other attributes are kept.
    [Fact]
    public async Task A_SELinux_label_is_neither_archived_nor_restored()
    {
        var runtime = fixture.Runtime();
        var disk = await runtime.CreateDiskAsync(fixture.App(), progress, CancellationToken.None);
        Make(DiskPath(disk.Id), "echo x > f && python3 -c \"import os; os.setxattr('f', 'security.selinux', b'system_u:object_r:etc_t:s0'); os.setxattr('f', 'user.kept', b'yes')\"");
        using var exported = new MemoryStream();
        await runtime.ExportDiskAsync(fixture.App(), disk.Id, exported, progress, CancellationToken.None);
        var archive = Path.Combine(fixture.DataRoot, "labelled.tar");
        File.WriteAllBytes(archive, Gunzip(exported.ToArray()));
        var records = Run("python3", "-c", "import sys, tarfile\nfor m in tarfile.open(sys.argv[1]):\n    print(m.name, sorted(m.pax_headers))", archive);

        var imported = await runtime.ImportDiskAsync(fixture.App(), new MemoryStream(Tar(Entry("f", '0', "x", pax: ["SCHILY.xattr.security.selinux=system_u:object_r:shadow_t:s0", "SCHILY.xattr.user.kept=yes"]))), progress, CancellationToken.None);

        Assert.Contains("SCHILY.xattr.user.kept", records);
        Assert.DoesNotContain("security.selinux", records);
        Assert.Equal("['user.kept']", Run("python3", "-c", "import os, sys; print(sorted(os.listxattr(sys.argv[1])))", Path.Combine(DiskPath(imported.Id), "f")).Trim());
    }

    // Headers and sparse maps that are not what they claim are refused by name, before anything is made of them.
    [Theory]
    [InlineData("checksum", "checksum does not match")]
    [InlineData("octal", "the mode field of entry 'f' is not an octal number")]
    [InlineData("octal in an entry named by pax", "the mode field of entry 'named-by-pax' is not an octal number")]
    [InlineData("checksum of letters", "the checksum field of a header is not an octal number")]
    [InlineData("gid of letters", "the gid field of entry 'f' is not an octal number")]
    [InlineData("base-256 beyond 64 bits", "the size field of entry 'f' is out of range")]
    [InlineData("negative base-256", "the size field of entry 'f' is out of range")]
    [InlineData("base-256 uid beyond 32 bits", "owner or size out of range")]
    [InlineData("pax record longer than its header", "the pax header 'PaxHeaders/f' has a malformed record")]
    [InlineData("pax record without a key", "the pax header 'PaxHeaders/f' has a record without a key")]
    [InlineData("pax record without its newline", "the pax header 'PaxHeaders/f' has a malformed record")]
    [InlineData("pax gid beyond 32 bits", "owner or size out of range")]
    [InlineData("pax time with letters", "pax time '5.1x' of entry 'f' is not a number of seconds")]
    [InlineData("base-256 of 2^63", "the size field of entry 'f' is out of range")]
    [InlineData("symbolic link whose target has a NUL", "has no target")]
    [InlineData("pax header of 32 MiB", "is 33554432 bytes long")]
    [InlineData("pax uid beyond 32 bits", "owner or size out of range")]
    [InlineData("pax uid negative", "the pax record uid=-1 of entry 'f' is not a number")]
    [InlineData("pax time", "pax time '1.2.3' of entry 'f' is not a number of seconds")]
    [InlineData("pax time with an empty fraction", "pax time '5.' of entry 'f' is not a number of seconds")]
    [InlineData("symbolic link without a target", "has no target")]
    [InlineData("sparse format 0.1", "other than GNU sparse 1.0")]
    [InlineData("sparse without its real size", "other than GNU sparse 1.0")]
    [InlineData("sparse map of words", "is not a list of numbers")]
    [InlineData("sparse map number of 20 digits", "is not a list of numbers")]
    [InlineData("sparse map longer than its entry", "is cut short")]
    [InlineData("sparse map of more parts than bytes", "more parts than its entry has bytes")]
    [InlineData("sparse parts out of order", "out of order or beyond its size")]
    [InlineData("sparse format 1.1", "other than GNU sparse 1.0")]
    [InlineData("sparse part past its real size", "out of order or beyond its size")]
    [InlineData("sparse parts overlapping", "out of order or beyond its size")]
    [InlineData("sparse data longer than its map", "not as long as its map says")]
    [InlineData("sparse data shorter than its map", "out of order or beyond its size")]
    [InlineData("sparse map running past its entry", "is cut short")]
    [InlineData("sparse map ending before its real size", "ends before its real size")]
    [InlineData("empty", "shorter than one tar header")]
    [InlineData("shorter than a header", "shorter than one tar header")]
    [InlineData("cut after an entry", "ends before its end-of-archive block")]
    [InlineData("cut in the end-of-archive marker", "without the second block of its end-of-archive marker")]
    [InlineData("lone zero block before an entry", "without the second block of its end-of-archive marker")]
    [InlineData("cut inside a pax header", "ends inside the header 'PaxHeaders/x'")]
    [InlineData("cut in a file's data", "ends inside the data of 'f'")]
    [InlineData("cut in a file's padding", "ends inside the padding of 'f'")]
    [InlineData("pax record of length zero", "the pax header 'PaxHeaders/f' has a malformed record")]
    [InlineData("pax record without a length", "the pax header 'PaxHeaders/f' has a malformed record")]
    [InlineData("pax records followed by NULs", "the pax header 'PaxHeaders/f' has a malformed record")]
    [InlineData("pax time with two minus signs", "pax time '--5' of entry 'f' is not a number of seconds")]
    [InlineData("base-256 marker 0x81", "the size field of entry 'f' is out of range")]
    [InlineData("octal with a sign", "the mode field of entry 'f' is not an octal number")]
    [InlineData("numeric field of blanks", "the mtime field of entry 'f' is not an octal number")]
    [InlineData("numeric field of a NUL and blanks", "the uid field of entry 'f' is not an octal number")]
    public async Task Import_refuses_a_malformed_header_or_sparse_map_and_leaves_no_disk(string malformed, string why)
    {
        static string[] Sparse(string realSize = "100") => ["GNU.sparse.major=1", "GNU.sparse.minor=0", "GNU.sparse.name=s", $"GNU.sparse.realsize={realSize}"];
        static string Map(string map, string data = "") => map.PadRight(512, '\0') + data;
        byte[] archive = malformed switch
        {
            "checksum" => Corrupt(Tar(Entry("f", '0', "x")), at: 0),
            "octal" => Tar(Entry("f", '0', "x", edit: h => "0009999\0"u8.ToArray().CopyTo(h, 100))),
            "octal in an entry named by pax" => Tar(Entry("f", '0', "x", pax: ["path=named-by-pax"], edit: h => "0009999\0"u8.ToArray().CopyTo(h, 100))),
            "checksum of letters" => Tar([.. Entry("f", '0', "x")[..148], .. "abcdef\0 "u8, .. Entry("f", '0', "x")[156..]]),
            "gid of letters" => Tar(Entry("f", '0', "x", edit: h => "000abc\0"u8.ToArray().CopyTo(h, 116))),
            "base-256 beyond 64 bits" => Tar(Entry("f", '0', edit: h => { Array.Clear(h, 124, 12); h[124] = 0x80; h[125] = 1; })),
            "negative base-256" => Tar(Entry("f", '0', edit: h => { Array.Fill(h, (byte)0xff, 124, 12); })),
            "base-256 uid beyond 32 bits" => Tar(Entry("f", '0', edit: h => { Array.Clear(h, 108, 8); h[108] = 0x80; h[111] = 1; })),
            "pax record longer than its header" => Tar(Entry("PaxHeaders/f", 'x', "99 path=f\n"), Entry("f", '0', "x")),
            "pax record without a key" => Tar(Entry("PaxHeaders/f", 'x', "6 =ab\n"), Entry("f", '0', "x")),
            "pax record without its newline" => Tar(Entry("PaxHeaders/f", 'x', "11 path=abc"), Entry("f", '0', "x")),
            "pax gid beyond 32 bits" => Tar(Entry("f", '0', "x", pax: ["gid=4294967296"])),
            "pax time with letters" => Tar(Entry("f", '0', "x", pax: ["mtime=5.1x"])),
            "base-256 of 2^63" => Tar(Entry("f", '0', edit: h => { Array.Clear(h, 124, 12); h[124] = 0x80; h[128] = 0x80; })),
            "symbolic link whose target has a NUL" => Tar(Entry("l", '2', pax: ["linkpath=a\0b"])),
            "pax header of 32 MiB" => Tar(Entry("PaxHeaders/f", 'x', edit: h => "000200000000\0"u8.ToArray().AsSpan(0, 12).CopyTo(h.AsSpan(124)))),
            "pax uid beyond 32 bits" => Tar(Entry("f", '0', "x", pax: ["uid=4294967296"])),
            "pax uid negative" => Tar(Entry("f", '0', "x", pax: ["uid=-1"])),
            "pax time" => Tar(Entry("f", '0', "x", pax: ["mtime=1.2.3"])),
            "pax time with an empty fraction" => Tar(Entry("f", '0', "x", pax: ["mtime=5."])),
            "symbolic link without a target" => Tar(Entry("l", '2')),
            "sparse format 0.1" => Tar(Entry("GNUSparseFile.0/s", '0', Map("1\n0\n1\n", "x"), pax: ["GNU.sparse.major=0", "GNU.sparse.minor=1", "GNU.sparse.name=s", "GNU.sparse.realsize=100"])),
            "sparse without its real size" => Tar(Entry("GNUSparseFile.0/s", '0', Map("1\n0\n1\n", "x"), pax: ["GNU.sparse.major=1", "GNU.sparse.minor=0", "GNU.sparse.name=s"])),
            "sparse map number of 20 digits" => Tar(Entry("GNUSparseFile.0/s", '0', Map("00000000000000000001\n0\n1\n", "x"), pax: Sparse())),
            "sparse map of words" => Tar(Entry("GNUSparseFile.0/s", '0', Map("one\n0\n1\n", "x"), pax: Sparse())),
            "sparse map longer than its entry" => Tar(Entry("GNUSparseFile.0/s", '0', "2\n0\n1\n", pax: Sparse())),
            "sparse map of more parts than bytes" => Tar(Entry("GNUSparseFile.0/s", '0', Map("100000\n0\n1\n", "x"), pax: Sparse())),
            "sparse format 1.1" => Tar(Entry("GNUSparseFile.0/s", '0', Map("1\n0\n1\n", "x"), pax: ["GNU.sparse.major=1", "GNU.sparse.minor=1", "GNU.sparse.name=s", "GNU.sparse.realsize=100"])),
            "sparse part past its real size" => Tar(Entry("GNUSparseFile.0/s", '0', Map("1\n95\n10\n", "0123456789"), pax: Sparse())),
            "sparse parts overlapping" => Tar(Entry("GNUSparseFile.0/s", '0', Map("2\n0\n10\n5\n10\n", "01234567890123456789"), pax: Sparse())),
            "sparse parts out of order" => Tar(Entry("GNUSparseFile.0/s", '0', Map("2\n50\n1\n10\n1\n", "xy"), pax: Sparse())),
            "sparse data longer than its map" => Tar(Entry("GNUSparseFile.0/s", '0', Map("1\n0\n1\n", "xyz"), pax: Sparse())),
            // The entry is its map's first block; the block after it (here the next header) must not be read as the map.
            "sparse map running past its entry" => [.. Entry("GNUSparseFile.0/s", '0', Map("2\n0\n1\n"), pax: Sparse()), .. System.Text.Encoding.ASCII.GetBytes(Map("10\n1\n")), .. new byte[1024]],
            "sparse map ending before its real size" => Tar(Entry("GNUSparseFile.0/s", '0', Map("1\n0\n1\n", "x"), pax: Sparse())),
            "empty" => [],
            "shorter than a header" => Entry("f", '0')[..511],
            "cut after an entry" => Entry("f", '0', "x"),
            "cut in the end-of-archive marker" => [.. Entry("f", '0', "x"), .. new byte[512 + 100]],
            // GNU tar stops at a lone zero block ("A lone zero block") and leaves out the entries after it.
            "lone zero block before an entry" => [.. Entry("f", '0', "x"), .. new byte[512], .. Tar(Entry("g", '0', "y"))],
            "cut inside a pax header" => Entry("f", '0', "x", pax: ["path=g"])[..520],
            "cut in a file's data" => Entry("f", '0', new string('x', 600))[..612],
            "cut in a file's padding" => Entry("f", '0', "x")[..612],
            "pax record of length zero" => Tar(Entry("PaxHeaders/f", 'x', "0 path=f\n"), Entry("f", '0', "x")),
            "pax record without a length" => Tar(Entry("PaxHeaders/f", 'x', "path=f\n"), Entry("f", '0', "x")),
            "pax records followed by NULs" => Tar(Entry("PaxHeaders/f", 'x', PaxRecord("path=g") + "\0\0\0"), Entry("f", '0', "x")),
            "pax time with two minus signs" => Tar(Entry("f", '0', "x", pax: ["mtime=--5"])),
            "base-256 marker 0x81" => Tar(Entry("f", '0', "x", edit: h => { Array.Clear(h, 124, 12); h[124] = 0x81; h[135] = 1; })),
            "octal with a sign" => Tar(Entry("f", '0', "x", edit: h => "+000644\0"u8.ToArray().CopyTo(h, 100))),
            "numeric field of blanks" => Tar(Entry("f", '0', "x", edit: h => Array.Fill(h, (byte)' ', 136, 12))),
            "numeric field of a NUL and blanks" => Tar(Entry("f", '0', "x", edit: h => { Array.Fill(h, (byte)' ', 108, 8); h[108] = 0; })),
            _ => Tar(Entry("GNUSparseFile.0/s", '0', Map("1\n0\n5\n", "x"), pax: Sparse())),
        };
        await fixture.Runtime().CreateDiskAsync(fixture.App(), progress, CancellationToken.None);
        var disks = Listing();

        var error = await Assert.ThrowsAsync<KompoxException>(() => fixture.Runtime().ImportDiskAsync(fixture.App(), new MemoryStream(archive), progress, CancellationToken.None));

        Assert.Equal("InvalidArchive", error.ErrorId);
        Assert.Contains(why, error.Message);
        Assert.Equal(disks, Listing());
    }

    // Ctrl+C half way: the import's temporary directory is gone and no disk lists; a snapshot leaves no file.
    [Fact]
    public async Task An_import_or_snapshot_cancelled_half_way_leaves_nothing()
    {
        var runtime = fixture.Runtime();
        var app = fixture.App();
        var disk = await runtime.CreateDiskAsync(app, progress, CancellationToken.None);
        Make(DiskPath(disk.Id), "for i in $(seq 1 40); do head -c 100000 /dev/urandom > f$i; done");
        using var exported = new MemoryStream();
        await runtime.ExportDiskAsync(app, disk.Id, exported, progress, CancellationToken.None);
        var disks = Listing();

        using var cancelImport = new CancellationTokenSource();
        var importing = new CancelAt(cancelImport, r => r.Percent is > 30);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => runtime.ImportDiskAsync(app, new MemoryStream(exported.ToArray()), importing, cancelImport.Token));
        using var cancelSnapshot = new CancellationTokenSource();
        var snapshotting = new CancelAt(cancelSnapshot, r => r.Percent is > 30);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => runtime.CreateSnapshotAsync(app, disk.Id, snapshotting, cancelSnapshot.Token));

        Assert.True(importing.Fired && snapshotting.Fired);
        Assert.Equal(disks, Listing());
        Assert.Empty(await runtime.ListSnapshotsAsync(app, CancellationToken.None));
        Assert.Empty(Directory.EnumerateFileSystemEntries(Path.Combine(fixture.DataRoot, "snapshots")));
    }

    private sealed class CancelAt(CancellationTokenSource cancel, Func<OperationProgress, bool> when) : IProgress<OperationProgress>
    {
        public bool Fired { get; private set; }

        public void Report(OperationProgress value)
        {
            if (!Fired && when(value))
            {
                Fired = true;
                cancel.Cancel();
            }
        }
    }

    private string DiskPath(string id) => Path.Combine(fixture.DataRoot, "disks", id);

    private string Listing() =>
        Directory.Exists(Path.Combine(fixture.DataRoot, "disks"))
            ? string.Join('\n', Directory.EnumerateFileSystemEntries(Path.Combine(fixture.DataRoot, "disks")).Select(Path.GetFileName).Order(StringComparer.Ordinal))
            : "(no disks directory)";

    private static long BytesOf(string status) => long.Parse(status.Split(' ')[^2], System.Globalization.CultureInfo.InvariantCulture);

    private static void Make(string directory, string script) => Run("sh", "-ec", $"cd \"$0\" && {script}", directory);

    /// <summary>
    /// Everything stat and getxattr say of a tree that a copy must keep, one line a path (the root as "."), in name
    /// order: type, uid, gid, permission bits, nanosecond mtime, the first name of its inode (hard links), link target,
    /// size, allocated blocks of a file with holes, content hash, and extended attributes in hex (security.selinux
    /// left out: the node labels it).
    /// </summary>
    private static string Dump(string root) => Run("python3", "-c", """
        import hashlib, os, stat, sys
        root = sys.argv[1]
        paths = ['.']
        for d, dirs, files in os.walk(root):
            dirs.sort()
            for n in sorted(dirs + files):
                paths.append(os.path.relpath(os.path.join(d, n), root))
        first = {}
        for p in sorted(paths):
            full = os.path.join(root, p)
            s = os.lstat(full)
            owner = first.setdefault(s.st_ino, p) if stat.S_ISREG(s.st_mode) else p
            line = [repr(p), stat.S_IFMT(s.st_mode), s.st_uid, s.st_gid, oct(stat.S_IMODE(s.st_mode)), s.st_mtime_ns, 'inode-of ' + repr(owner)]
            if stat.S_ISLNK(s.st_mode):
                line.append('-> ' + repr(os.readlink(full)))
            if stat.S_ISREG(s.st_mode):
                sparse = s.st_blocks * 512 < s.st_size
                line += [s.st_size, 'sparse %d' % (s.st_blocks * 512 // 65536) if sparse else 'dense']
                # A file with holes is hashed by its data parts and their offsets (SEEK_DATA/SEEK_HOLE, lseek(2)):
                # reading a 1 GiB hole would take the test seconds.
                with open(full, 'rb') as f:
                    h = hashlib.sha256()
                    at = 0
                    while at < s.st_size:
                        try:
                            data = os.lseek(f.fileno(), at, os.SEEK_DATA) if sparse else at
                        except OSError:
                            break
                        end = os.lseek(f.fileno(), data, os.SEEK_HOLE) if sparse else s.st_size
                        f.seek(data)
                        h.update(b'%d:' % data)
                        left = end - data
                        while left > 0:
                            chunk = f.read(min(left, 1 << 20))
                            h.update(chunk)
                            left -= len(chunk)
                        at = end
                    line.append(h.hexdigest()[:16])
            for x in sorted(os.listxattr(full, follow_symlinks=False)):
                if x != 'security.selinux':
                    line.append(x + '=' + os.getxattr(full, x, follow_symlinks=False).hex())
            print(' '.join(str(v) for v in line))
        """, root);

    private static string Run(string program, params string[] arguments)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"{program} {string.Join(' ', arguments)} failed: {error}");
        return output.Result;
    }

    private static byte[] Gunzip(byte[] bytes)
    {
        using var gzip = new GZipStream(new MemoryStream(bytes), CompressionMode.Decompress);
        using var plain = new MemoryStream();
        gzip.CopyTo(plain);
        return plain.ToArray();
    }

    /// <summary>Where the last entry of a plain tar ends (the end-of-archive blocks start); for gzip, 0 (no such cut).</summary>
    private static int LastEntryEnd(byte[] tar, bool gzip)
    {
        if (gzip)
        {
            return 0;
        }

        var end = tar.Length;
        while (end >= 512 && tar.AsSpan(end - 512, 512).IndexOfAnyExcept((byte)0) < 0)
        {
            end -= 512;
        }

        return end;
    }

    /// <summary>A ustar header block, with its data and padding, and a pax header before it when records are given.</summary>
    private static byte[] Entry(string name, char type, string data = "", string link = "", string[]? pax = null, Action<byte[]>? edit = null)
    {
        var result = new List<byte>();
        if (pax is not null)
        {
            var records = string.Concat(pax.Select(r => PaxRecord(r)));
            result.AddRange(Entry("PaxHeaders/x", 'x', records));
        }

        var header = new byte[512];
        System.Text.Encoding.UTF8.GetBytes(name).CopyTo(header, 0);
        void Octal(int at, int length, long value) => System.Text.Encoding.ASCII.GetBytes(Convert.ToString(value, 8).PadLeft(length - 1, '0')).CopyTo(header, at);
        var body = System.Text.Encoding.UTF8.GetBytes(data);
        Octal(100, 8, 0b110_100_100);
        Octal(108, 8, 0);
        Octal(116, 8, 0);
        Octal(124, 12, body.Length);
        Octal(136, 12, 0);
        header[156] = (byte)type;
        System.Text.Encoding.UTF8.GetBytes(link).CopyTo(header, 157);
        "ustar\u000000"u8.ToArray().CopyTo(header, 257);
        edit?.Invoke(header);
        Array.Fill(header, (byte)' ', 148, 8);
        Octal(148, 7, header.Sum(b => b));
        result.AddRange(header);
        result.AddRange(body);
        result.AddRange(new byte[(512 - (body.Length % 512)) % 512]);
        return result.ToArray();
    }

    // "<length> <key>=<value>\n", the length counting itself (POSIX pax, "pax Extended Header").
    private static string PaxRecord(string keyValue)
    {
        var length = keyValue.Length + 3;
        while ($"{length} {keyValue}\n".Length != length)
        {
            length = $"{length} {keyValue}\n".Length;
        }

        return $"{length} {keyValue}\n";
    }

    private static byte[] Corrupt(byte[] archive, int at)
    {
        archive[at] ^= 0x01;
        return archive;
    }

    private static byte[] Tar(params byte[][] entries) => [.. entries.SelectMany(e => e), .. new byte[1024]];
}
