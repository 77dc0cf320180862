using System.Buffers.Binary;
using System.Text;
using Kompox.Drivers;
using Kompox.Operations;
using Kompox.Tests.Operations;

namespace Kompox.Tests.Drivers;

/// <summary>
/// The exporter's writer, one kind of content at a time, called directly (no disk, no gzip) so that mutation testing of
/// the writer can afford it. GNU tar 1.34 is the oracle: what it extracts as root from Kompox's archive must be the tree,
/// byte for byte and in metadata (by python's lstat, <see cref="Dump"/>), and so must Kompox's own import. Where GNU tar
/// reads a field that a pax record also carries, the archive's headers are read here by the POSIX ustar and pax layout
/// (IEEE 1003.1-2001, "ustar Interchange Format" and "pax Extended Header"), as a reader without pax support would.
/// </summary>
public sealed partial class DiskArchiveTests
{
    /// <summary>Trees at the edges of the tar format, made by shell and python; <c>n C N</c> prints C N times.</summary>
    private static readonly Dictionary<string, string> WriterContent = new()
    {
        // The ustar name field holds 99 bytes and a NUL; its prefix field 155. Directories' names end in '/'.
        ["name lengths"] = "touch \"$(n a 99)\" \"$(n b 100)\" \"$(n c 101)\" && mkdir \"$(n d 98)\" \"$(n e 99)\" \"$(n p 154)\" \"$(n q 155)\" \"$(n r 156)\" && echo x > \"$(n d 98)/f\" && echo y > \"$(n p 154)/$(n f 100)\" && echo z > \"$(n q 155)/f\" && echo w > \"$(n r 156)/$(n g 255)\"",
        ["unusual names"] = "for f in 'Grüße 日本語' 'spa ce' \"$(printf 'tab\\there')\" \"$(printf 'new\\nline')\" \"$(printf 'del\\177')\" '-dash' 'x=y' '100% sure' \"$(n ü 127)\" \"$(printf 'ctl\\001')\"; do echo \"$f\" > \"$f\"; done",
        // ustar's uid and gid hold 7 octal digits (2097151); above, a pax record. 4294967294 is the largest uid Linux takes.
        ["owners and modes"] = "echo a > a && chown 2097151:2097152 a && echo b > b && chown 2097152:2097151 b && echo c > c && chown 4294967294:4294967294 c && echo s > suid && chmod 04755 suid && echo g > sgid && chmod 02711 sgid && echo z > none && chmod 0 none && echo all > all && chmod 07777 all && mkdir sticky ro && chmod 01777 sticky && chmod 0555 ro && chown 1:2 ro && chmod 0750 .",
        // Nanoseconds, whole seconds, before 1970 (a negative pax time), the epoch, and beyond ustar's 11 octal digits.
        ["times"] = "mkdir -p d/e && for t in @5 @0 @0.5 @-1 @-86400.000000001 '1969-12-31 23:59:58.5' '2001-02-03 04:05:06.123456789' '2020-01-01 00:00:00.000000001' '2020-01-01 00:00:00.999999999' '2300-01-01 00:00:00.25' @8589934591 @8589934592; do echo \"$t\" > \"t$t\" && touch -d \"$t\" \"t$t\"; done && ln -s t@5 link && touch -h -d @-7 link && touch -d @1234567890.5 d/e d",
        ["links"] = "echo x > f && ln -s \"$(n t 99)\" l99 && ln -s \"$(n t 100)\" l100 && ln -s \"$(n t 101)\" l101 && ln -s \"/$(n u 300)/$(n v 200)\" l501 && ln -s 'Grüße' lu && ln -s . dot && mkdir -p a b \"$(n h 120)\" && echo shared > a/one && ln a/one b/two && ln a/one three && echo long > \"$(n h 120)/$(n i 100)\" && ln \"$(n h 120)/$(n i 100)\" short && echo u > 'ü' && ln 'ü' 'ü2' && chown -h 5:6 l99",
        // Holes at the start, at the end, only a hole, none; a map longer than a block; a sparse file with a long name.
        ["sparse"] = "truncate -s 1M start && printf end | dd of=start bs=4096 seek=255 conv=notrunc status=none && truncate -s 1M end && printf head | dd of=end conv=notrunc status=none && truncate -s 1M hole && head -c 8192 /dev/urandom > dense && : > empty && truncate -s 4M many && for i in $(seq 0 80); do printf \"part $i\" | dd of=many bs=4096 seek=$((i * 2)) conv=notrunc status=none; done && mkdir \"$(n s 120)\" && truncate -s 1M \"$(n s 120)/$(n ü 60)\" && printf x | dd of=\"$(n s 120)/$(n ü 60)\" bs=4096 seek=3 conv=notrunc status=none",
        // Data up to and across a block and the writer's 1 MiB buffer; pax records of 99, 101, 999 and 1001 bytes (their
        // length counts its own digits) and extended attributes longer than a block.
        ["sizes and records"] = "for s in 0 1 511 512 513 1024 1048575 1048576 1048577 3000000; do head -c $s /dev/urandom > s$s; done && python3 -c \"import os; os.setxattr('s1', 'user.a', b'v' * 75); os.setxattr('s1', 'user.b', b'w' * 76); os.setxattr('s1', 'user.c', b'x' * 974); os.setxattr('s1', 'user.d', b'y' * 975); os.setxattr('s512', 'user.big', bytes(range(256)) * 12); os.setxattr('s0', 'user.nul', bytes(1))\"",
    };

    public static TheoryData<string> WriterKinds => new(WriterContent.Keys);

    [Theory]
    [MemberData(nameof(WriterKinds))]
    public void GNU_tar_and_the_import_read_what_the_writer_writes_exactly(string kind)
    {
        var source = WriterTree(WriterContent[kind]);
        var expected = Dump(source);

        var archive = Written(source);

        Assert.Equal(expected, GnuTarReadsWritten(archive));
        Assert.Equal(expected, KompoxReadsWritten(archive));
        Assert.Equal(expected.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length, TarEntries(archive).Count);
    }

    // Every kind of content in one tree, made by one python call and read back in process, so that mutation testing can
    // afford it for every mutant of the writer (GNU tar reads the same kinds in the test above). The sparse maps are the
    // ones GNU tar writes for these files on a file system of 4 KiB blocks (A_sparse_files_map_is_the_one_GNU_tar_writes...).
    [Fact]
    public void The_import_reads_back_what_the_writer_writes_of_every_kind()
    {
        var source = Directory.CreateDirectory(Path.Combine(fixture.DataRoot, $"tree-{Guid.NewGuid():N}")).FullName;
        Run("python3", "-c", """
            import os, sys
            os.chdir(sys.argv[1])
            def w(p, data=b'x'):
                with open(p, 'wb') as f:
                    f.write(data)
            for c, n in (('a', 99), ('b', 100), ('c', 101)):
                w(c * n)
            os.mkdir('d' * 98); w('d' * 98 + '/f'); os.mkdir('e' * 99); os.mkdir('p' * 154); w('p' * 154 + '/' + 'f' * 100)
            for n in ('Grüße 日本', 'spa ce', 'tab\there', 'del\x7f', 'x=y', 'ü' * 127):
                w(n, n.encode())
            w('own-a'); os.chown('own-a', 2097151, 2097152); w('own-b'); os.chown('own-b', 4294967294, 0)
            w('suid'); os.chmod('suid', 0o4755); w('none'); os.chmod('none', 0); w('all'); os.chmod('all', 0o7777)
            os.mkdir('sticky'); os.chmod('sticky', 0o1777); os.setxattr('sticky', 'user.empty', b'')
            os.symlink('t' * 99, 'l99'); os.symlink('t' * 100, 'l100'); os.symlink('/' + 'u' * 300, 'l301'); os.symlink('Grüße', 'lu')
            os.chown('l99', 5, 6, follow_symlinks=False)
            os.mkdir('h'); w('h/one', b'shared'); os.link('h/one', 'h/two'); os.link('h/one', 'three')
            os.mkdir('i' * 120); w('i' * 120 + '/' + 'j' * 100, b'long'); os.link('i' * 120 + '/' + 'j' * 100, 'short')
            def sparse(name, size, offsets):
                with open(name, 'wb') as f:
                    f.truncate(size)
                    for o in offsets:
                        f.seek(o)
                        f.write(b'data %d' % o)
            sparse('sp-start', 1 << 20, [(1 << 20) - 4096]); sparse('sp-end', 1 << 20, [0]); sparse('sp-hole', 1 << 20, [])
            sparse('sp-map511', 3522560, [k * 8192 for k in range(43)]); sparse('sp-map512', 35225600, [k * 8192 for k in range(43)])
            with open('prealloc', 'wb') as f:
                os.posix_fallocate(f.fileno(), 0, 1 << 20)
            w('dense', os.urandom(8192)); w('empty', b'')
            for s in (511, 512, 513, 1048577, 3000000):
                w('s%d' % s, os.urandom(s))
            for key, n in (('user.a', 75), ('user.b', 76), ('user.c', 974), ('user.d', 975)):
                os.setxattr('s511', key, b'v' * n)
            os.setxattr('s512', 'user.big', bytes(range(256)) * 12)
            for i, (sec, ns) in enumerate(((5, 0), (0, 0), (0, 500000000), (-1, 0), (-86401, 999999999), (-2, 500000000), (981173106, 123456789), (8589934591, 0), (8589934592, 250000000))):
                w('t%d' % i); os.utime('t%d' % i, ns=(sec * 10**9 + ns,) * 2)
            os.utime('l99', ns=(-7 * 10**9,) * 2, follow_symlinks=False)
            os.utime('h', ns=(1234567890 * 10**9 + 5,) * 2)
            os.chmod('.', 0o750)
            """, source);

        var archive = Written(source);

        Assert.Equal(Dump(source), KompoxReadsWritten(archive));
        var maps = TarEntries(archive).Where(e => e.SparseMap is not null).ToDictionary(e => e.Path, e => e.SparseMap!);
        Assert.Equal(["sp-end", "sp-hole", "sp-map511", "sp-map512", "sp-start"], maps.Keys.Order(StringComparer.Ordinal));
        Assert.Equal("2\n1044480\n4096\n1048576\n0\n", maps["sp-start"]);
        Assert.Equal("2\n0\n4096\n1048576\n0\n", maps["sp-end"]);
        Assert.Equal("1\n1048576\n0\n", maps["sp-hole"]);
        Assert.Equal(511, maps["sp-map511"].Length);
        Assert.Equal(512, maps["sp-map512"].Length);
    }

    // The extended header's records fill exactly whole blocks for one of these files (a value of 300 to 1100 bytes
    // beside a few short records): no block of padding may follow then, or a reader meets a zero block where the
    // next header is (mutation testing: the record loop's `at < length` made `<=` survived every other test).
    [Fact]
    public void Pax_records_that_fill_whole_blocks_are_followed_by_the_next_header()
    {
        var source = Directory.CreateDirectory(Path.Combine(fixture.DataRoot, $"tree-{Guid.NewGuid():N}")).FullName;
        Run("python3", "-c", """
            import os, sys
            os.chdir(sys.argv[1])
            for n in range(300, 1101):
                open('x%d' % n, 'wb').close()
                os.setxattr('x%d' % n, 'user.v', b'v' * n)
            """, source);

        var archive = Written(source);

        Assert.Equal(Dump(source), KompoxReadsWritten(archive));
    }

    // WriteTrees, in process: each tree's root is an entry of its prefix with the root's mode, then what it holds.
    [Fact]
    public void Several_trees_are_each_an_entry_of_their_prefix_then_what_they_hold()
    {
        var html = Directory.CreateDirectory(Path.Combine(fixture.DataRoot, $"html-{Guid.NewGuid():N}")).FullName;
        var data = Directory.CreateDirectory(Path.Combine(fixture.DataRoot, $"data-{Guid.NewGuid():N}")).FullName;
        File.WriteAllText(Path.Combine(html, "index.html"), "<p>");
        Directory.CreateDirectory(Path.Combine(data, "db"));
        Libc.Chmod(html, 0b111_101_001);
        using var output = new MemoryStream();

        DiskArchive.WriteTrees([(html, "binds/html"), (data, "binds/data")], output, "Seeding", progress, CancellationToken.None);

        var entries = TarEntries(output.ToArray());
        Assert.Equal(["binds/html/", "binds/html/index.html", "binds/data/", "binds/data/db/"], entries.Select(e => e.Path));
        Assert.Equal(0b111_101_001, entries[0].Mode);
        Assert.Equal("<p>", Encoding.UTF8.GetString(entries[1].Data));
    }

    // A reader without pax support (or one that ignores a record) gets from the ustar fields all that fits them: the
    // checksum and magic are POSIX's, an owner or time that fits is in its field (else 0, the pax record holding it), a
    // name or link target is in its field when it is printable ASCII of at most 99 bytes (else the characters the field
    // can show, the pax record holding it), and a pax record is written only for what the field cannot hold, as GNU tar
    // does (which also fills all 100 bytes of a link field; either is POSIX).
    [Fact]
    public void The_ustar_fields_hold_what_fits_them_and_pax_records_only_what_does_not()
    {
        var source = WriterTree(WriterContent["owners and modes"] + " && " + WriterContent["times"] + " && mkdir names && cd names && " + WriterContent["name lengths"] + " && ln -s \"$(n t 99)\" l99 && ln -s \"$(n t 100)\" l100 && echo g > 'Grüße 日本' && echo s > 'spa ce~' && echo t > \"$(printf 'tab\\t')\" && echo d > \"$(printf 'del\\177')\" && echo l > \"$(n ' ' 100)\" && ln \"$(n c 101)\" hard && ln 'Grüße 日本' hard-ü");
        var stats = Stats(source);

        var entries = TarEntries(Written(source));

        Assert.Equal(stats.Keys.Order(StringComparer.Ordinal), entries.Select(e => e.Path).Order(StringComparer.Ordinal));
        foreach (var entry in entries)
        {
            var stat = stats[entry.Path];
            Assert.Equal(stat.Mode & 0xFFF, entry.Mode);
            Assert.Equal(stat.Uid <= 2097151 ? stat.Uid : 0, entry.Uid);
            Assert.Equal(stat.Gid <= 2097151 ? stat.Gid : 0, entry.Gid);
            Assert.Equal(stat.Uid <= 2097151 ? null : ToText(stat.Uid), entry.Record("uid"));
            Assert.Equal(stat.Gid <= 2097151 ? null : ToText(stat.Gid), entry.Record("gid"));
            Assert.Equal(Math.Max(0, stat.MtimeSeconds), entry.Mtime);
            Assert.Equal(stat.MtimeNanoseconds == 0 ? ToText(stat.MtimeSeconds) : PaxTimeOf(stat.MtimeSeconds, stat.MtimeNanoseconds), entry.Record("mtime"));
            Assert.Null(entry.Record("size"));

            var printable = entry.Path.Length < 100 && entry.Path.All(c => c is >= ' ' and <= '~');
            Assert.Equal(printable ? null : entry.Path, entry.Record("path"));
            Assert.Equal(printable ? entry.Path : UstarFallback(entry.Path), entry.Name);
            Assert.Equal(entry.Link.Length < 100 && entry.Link.All(c => c is >= ' ' and <= '~') ? null : entry.Link, entry.Record("linkpath"));
            Assert.Equal(entry.Type is '1' or '2' ? UstarFallback(entry.Link) : string.Empty, entry.LinkField);
        }
    }

    // The root as "./", then by ordinal name, each directory before what it holds and its entries together: what GNU
    // tar's --sort=name gives for these names, and what the import relies on for a directory's mode and time.
    [Fact]
    public void The_root_comes_first_as_dot_then_each_directory_before_what_it_holds_in_ordinal_name_order()
    {
        var source = WriterTree("mkdir -p a/z a/b B 'ä' && touch a/b/f a/a B/x 'ä/y' b 'a b' _ && ln -s a c");

        var listing = Run("tar", "-tf", WriterFile(Written(source)), "--quoting-style=literal");

        Assert.Equal("./\nB/\nB/x\n_\na/\na/a\na/b/\na/b/f\na/z/\na b\nb\nc\nä/\nä/y\n", listing);
    }

    // Bound directories go into a disk as one stream, each under its prefix; the parents of a prefix are left to the
    // extracting tar, which makes them.
    [Fact]
    public void Several_trees_are_written_each_under_its_prefix()
    {
        var html = WriterTree("echo '<p>' > index.html && mkdir css && echo x > css/a.css && chmod 0751 . && touch -d @1000 .");
        var data = WriterTree("truncate -s 1M sparse && printf x | dd of=sparse bs=4096 seek=9 conv=notrunc status=none && chown 33:33 .");
        using var output = new MemoryStream();

        DiskArchive.WriteTrees([(html, "binds/html"), (data, "binds/data")], output, "Seeding", progress, CancellationToken.None);

        var file = WriterFile(output.ToArray());
        Assert.Equal("binds/html/\nbinds/html/css/\nbinds/html/css/a.css\nbinds/html/index.html\nbinds/data/\nbinds/data/sparse\n", Run("tar", "-tf", file));
        var target = Directory.CreateDirectory(Path.Combine(fixture.DataRoot, $"trees-{Guid.NewGuid():N}")).FullName;
        Run("tar", "-xf", file, "--xattrs", "--xattrs-include=*", "--numeric-owner", "-C", target);
        Assert.Equal(Dump(html), Dump(Path.Combine(target, "binds", "html")));
        Assert.Equal(Dump(data), Dump(Path.Combine(target, "binds", "data")));
    }

    [Fact]
    public void A_root_that_is_not_there_is_refused()
    {
        var missing = Path.Combine(fixture.DataRoot, "not-there");
        using var output = new MemoryStream();

        Assert.Throws<DirectoryNotFoundException>(() => DiskArchive.Write(missing, output, "Writing", progress, CancellationToken.None));
        Assert.Throws<DirectoryNotFoundException>(() => DiskArchive.WriteTrees([(missing, "binds/x")], output, "Writing", progress, CancellationToken.None));
    }

    // An import refuses what is not a directory, file or link, so the writer leaves it out and says so; a name removed
    // after its directory was listed is left out quietly (an app writes while a disk is exported).
    [Fact]
    public void Sockets_FIFOs_and_devices_are_left_out_with_a_warning_and_what_was_removed_since_the_listing_quietly()
    {
        var source = Directory.CreateDirectory(Path.Combine(fixture.DataRoot, $"tree-{Guid.NewGuid():N}")).FullName;
        Run("python3", "-c", "import os, socket, sys; os.chdir(sys.argv[1]); os.mkfifo('a-fifo'); os.mknod('b-device', 0o20644, os.makedev(1, 3)); socket.socket(socket.AF_UNIX).bind('c-socket'); open('d-removed', 'w').write('gone'); open('e-kept', 'w').write('kept')", source);
        var removing = new RemovingProgress(Path.Combine(source, "d-removed"));

        var archive = Written(source, removing);

        Assert.Equal(["./", "e-kept"], TarEntries(archive).Select(e => e.Path));
        Assert.Equal(
            ["a-fifo", "b-device", "c-socket"],
            removing.Warnings.Select(w => Path.GetFileName(w.File)));
        Assert.All(removing.Warnings, w => Assert.Equal(new Diagnostic(Severity.Warning, w.File, 0, 0, string.Empty, $"{w.File} is a socket, FIFO or device, which a disk archive does not hold; it is left out"), w));
    }

    // A name that is not UTF-8 cannot be named again once .NET has listed it (each byte it cannot decode becomes U+FFFD):
    // the file, or the directory with all it holds, is left out of the archive. The user must be told, not find out when
    // the archive is restored.
    [Fact]
    public void A_name_that_is_not_UTF8_is_left_out_with_a_warning_never_silently()
    {
        var source = Directory.CreateDirectory(Path.Combine(fixture.DataRoot, $"tree-{Guid.NewGuid():N}")).FullName;
        Run("python3", "-c", "import os, sys; os.chdir(sys.argv[1]); open('good', 'w').write('ok'); open(b'bad\\xff', 'w').write('x'); os.mkdir(b'dir\\xfe'); open(b'dir\\xfe/in', 'w').write('y')", source);
        try
        {
            var archive = Written(source);

            Assert.Equal(["./", "good"], TarEntries(archive).Select(e => e.Path));
            Assert.Equal(
                ["bad\uFFFD", "dir\uFFFD"],
                progress.Reports.Where(r => r.Kind == ProgressKind.Warning).Select(r => Path.GetFileName(r.Warning!.File)));
            Assert.All(progress.Reports.Where(r => r.Kind == ProgressKind.Warning), r => Assert.Equal(new Diagnostic(Severity.Warning, r.Warning!.File, 0, 0, string.Empty, $"{r.Warning.File} has a name that is not UTF-8, which a disk archive cannot hold; it is left out, with all it holds if it is a directory"), r.Warning));
            Assert.All(progress.Reports, r => Assert.Equal("Writing", r.Activity));
        }
        finally
        {
            // .NET cannot name them to delete them either.
            Run("python3", "-c", "import shutil, sys; shutil.rmtree(sys.argv[1].encode())", source);
        }
    }

    // Ctrl+C stops the writer before the next entry and within a file's data, not at the end of the tree.
    [Theory]
    [InlineData("between entries")]
    [InlineData("within a file")]
    public void Writing_stops_where_it_is_cancelled(string where)
    {
        // The file comes last, so that only the check within its data can stop the writer before it ends.
        var source = WriterTree(where == "between entries" ? "mkdir a b c" : "mkdir a && head -c 5000000 /dev/urandom > z");
        using var cancel = new CancellationTokenSource();
        if (where == "between entries")
        {
            cancel.Cancel();
        }

        var output = new CancellingOutput(cancel);

        Assert.ThrowsAny<OperationCanceledException>(() => DiskArchive.Write(source, output, "Writing", progress, cancel.Token));
        Assert.InRange(output.Written, 0, where == "between entries" ? 0 : 3 << 20);
    }

    // Write hands its caller a whole archive: what it buffered, and what its output buffered, is written through.
    [Fact]
    public void The_output_is_flushed_when_the_archive_is_written()
    {
        var source = Directory.CreateDirectory(Path.Combine(fixture.DataRoot, $"tree-{Guid.NewGuid():N}")).FullName;
        File.WriteAllText(Path.Combine(source, "f"), "x");
        using var underlying = new MemoryStream();
        using var buffered = new BufferedStream(underlying, 1 << 20);

        DiskArchive.Write(source, buffered, "Writing", progress, CancellationToken.None);

        Assert.Equal(Written(source), underlying.ToArray());
    }

    // A running app may truncate a file while it is exported: the header has promised its size, so the writer fills the
    // rest with zeros (as GNU tar does, src/create.c pad_archive) and the entries after it stay whole.
    [Fact]
    public void A_file_that_shrinks_while_it_is_read_is_filled_with_zeros_to_its_size()
    {
        var source = WriterTree("head -c 3000000 /dev/urandom > big && echo after > z");
        var big = Path.Combine(source, "big");
        var head = File.ReadAllBytes(big).AsSpan(0, 1 << 19).ToArray();
        using var output = new TruncatingOutput(big, 1 << 19);

        DiskArchive.Write(source, output, "Writing", progress, CancellationToken.None);

        var target = Directory.CreateDirectory(Path.Combine(fixture.DataRoot, $"shrunk-{Guid.NewGuid():N}")).FullName;
        Run("tar", "-xf", WriterFile(output.ToArray()), "-C", target);
        var extracted = File.ReadAllBytes(Path.Combine(target, "big"));
        Assert.Equal(3000000, extracted.Length);
        Assert.Equal(head, extracted[..head.Length]);
        Assert.True(extracted.AsSpan(1 << 20).IndexOfAnyExcept((byte)0) < 0, "past what was read before the truncation, the file is zeros");
        Assert.Equal("after\n", File.ReadAllText(Path.Combine(target, "z")));
    }

    // The progress total of an export: a file's data without its holes (its allocated blocks when it has holes, its size
    // when it has none), nothing for links, directories or what a link points to.
    [Fact]
    public void The_data_bytes_are_the_files_data_without_holes()
    {
        var source = WriterTree("head -c 1000 /dev/urandom > a && truncate -s 1M sparse && printf x | dd of=sparse bs=4096 seek=100 conv=notrunc status=none && mkdir -p d/e && head -c 300 /dev/urandom > d/e/f && : > empty && ln -s a link");
        var outside = WriterTree("head -c 5000 /dev/urandom > f");
        File.CreateSymbolicLink(Path.Combine(source, "d", "outside"), outside);
        var sparseData = 512 * long.Parse(Run("stat", "-c", "%b", Path.Combine(source, "sparse")).Trim(), System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(sparseData, 4096, 65536);

        Assert.Equal(1000 + sparseData + 300, DiskArchive.DataBytes(source));
    }

    // A file with holes is stored in GNU sparse format 1.0 with the map GNU tar 1.34 writes for it (--sparse
    // --sparse-version=1.0, src/sparse.c sparse_scan_file_seek and pax_dump_header_1): its data parts in order, and a part
    // of length 0 at its size when it ends in a hole. A file without holes is a plain entry; so is a preallocated file,
    // whose blocks are all allocated but read as a hole (fallocate(1)): its copy keeps its blocks.
    [Fact]
    public void A_sparse_files_map_is_the_one_GNU_tar_writes_and_a_file_without_holes_has_none()
    {
        // 43 parts of a block at every other 8 KiB make a map of 511, 512 or 513 bytes, by the digits of the size.
        var source = WriterTree(WriterContent["sparse"] + " && fallocate -l 1M preallocated && python3 -c \"" + """
            for name, size in (('map511', 3522560), ('map512', 35225600), ('map513', 352256000)):
                with open(name, 'wb') as f:
                    f.truncate(size)
                    for k in range(43):
                        f.seek(k * 8192)
                        f.write(b'part %d' % k)
            """ + "\"");
        var gnuFile = Path.Combine(fixture.DataRoot, $"gnu-{Guid.NewGuid():N}.tar");
        var names = Directory.EnumerateFileSystemEntries(source, "*", SearchOption.AllDirectories).Where(File.Exists).Select(p => Path.GetRelativePath(source, p)).Order(StringComparer.Ordinal).ToList();
        Run("tar", ["-cf", gnuFile, "--format=posix", "--sparse", "--sparse-version=1.0", "-C", source, .. names]);
        var gnu = TarEntries(File.ReadAllBytes(gnuFile)).ToDictionary(e => e.Path);

        var archive = Written(source);

        foreach (var entry in TarEntries(archive).Where(e => e.Type == '0'))
        {
            var expected = gnu[entry.Path];
            Assert.Equal(expected.Record("GNU.sparse.major"), entry.Record("GNU.sparse.major"));
            Assert.Equal(expected.Record("GNU.sparse.minor"), entry.Record("GNU.sparse.minor"));
            Assert.Equal(expected.Record("GNU.sparse.realsize"), entry.Record("GNU.sparse.realsize"));
            Assert.Equal(expected.SparseMap, entry.SparseMap);
            Assert.Equal(expected.Data.Length, entry.Data.Length);
            Assert.Equal(expected.Data, entry.Data);
            if (entry.SparseMap is not null)
            {
                // What a tar without sparse support extracts: the map and data under a name that is not the file's.
                Assert.Equal(UstarFallback("GNUSparseFile.0/" + Path.GetFileName(entry.Path)), entry.Name);
                Assert.Null(entry.Record("path"));
            }
        }

        Assert.Equal([511, 512, 513], TarEntries(archive).Where(e => e.Path.StartsWith("map", StringComparison.Ordinal)).Select(e => e.SparseMap!.Length));
        Assert.Equal(["end", "hole", "many", "map511", "map512", "map513", names.Single(n => n.Contains('ü', StringComparison.Ordinal)), "start"], TarEntries(archive).Where(e => e.SparseMap is not null).Select(e => e.Path).Order(StringComparer.Ordinal));
        Assert.Equal(Dump(source), GnuTarReadsWritten(archive));
    }

    private string WriterTree(string script)
    {
        var directory = Directory.CreateDirectory(Path.Combine(fixture.DataRoot, $"tree-{Guid.NewGuid():N}")).FullName;
        Make(directory, "n() { i=0; while [ $i -lt $2 ]; do printf '%s' \"$1\"; i=$((i + 1)); done; } && " + script);
        return directory;
    }

    private byte[] Written(string root, IProgress<OperationProgress>? reports = null)
    {
        using var output = new MemoryStream();
        DiskArchive.Write(root, output, "Writing", reports ?? progress, CancellationToken.None);
        return output.ToArray();
    }

    private string WriterFile(byte[] archive)
    {
        var file = Path.Combine(fixture.DataRoot, $"written-{Guid.NewGuid():N}.tar");
        File.WriteAllBytes(file, archive);
        return file;
    }

    /// <summary>What GNU tar extracts as root, with every attribute (src/xattrs.c restores only user.* by default).</summary>
    private string GnuTarReadsWritten(byte[] archive)
    {
        var target = Directory.CreateDirectory(Path.Combine(fixture.DataRoot, $"gnu-{Guid.NewGuid():N}")).FullName;
        Run("tar", "-xf", WriterFile(archive), "--xattrs", "--xattrs-include=*", "--numeric-owner", "-C", target);
        return Dump(target);
    }

    private string KompoxReadsWritten(byte[] archive)
    {
        var target = Directory.CreateDirectory(Path.Combine(fixture.DataRoot, $"kompox-{Guid.NewGuid():N}")).FullName;
        DiskArchive.Extract(new MemoryStream(archive), target, why => new InvalidDataException(why), CancellationToken.None);
        return Dump(target);
    }

    private sealed record TreeStat(long Mode, long Uid, long Gid, long MtimeSeconds, long MtimeNanoseconds);

    /// <summary>python's lstat of every path under <paramref name="root"/>, by the name an archive gives it ("./" for the root, "/" after a directory).</summary>
    private static Dictionary<string, TreeStat> Stats(string root) =>
        Run("python3", "-c", """
            import os, stat, sys
            root = sys.argv[1]
            def show(p, s):
                name = './' if p == '.' else p + ('/' if stat.S_ISDIR(s.st_mode) else '')
                print(name.encode('utf-8', 'surrogateescape').hex(), s.st_mode, s.st_uid, s.st_gid, s.st_mtime_ns // 10**9, s.st_mtime_ns % 10**9)
            show('.', os.lstat(root))
            for d, dirs, files in os.walk(root):
                for n in dirs + files:
                    p = os.path.join(d, n)
                    show(os.path.relpath(p, root), os.lstat(p))
            """, root)
            .Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => line.Split(' '))
            .ToDictionary(f => Encoding.UTF8.GetString(Convert.FromHexString(f[0])), f => new TreeStat(ParseLong(f[1]), ParseLong(f[2]), ParseLong(f[3]), ParseLong(f[4]), ParseLong(f[5])));

    private static long ParseLong(string text) => long.Parse(text, System.Globalization.CultureInfo.InvariantCulture);

    private static string ToText(long value) => value.ToString(System.Globalization.CultureInfo.InvariantCulture);

    private static string PaxTimeOf(long seconds, long nanoseconds) =>
        seconds >= 0 ? $"{ToText(seconds)}.{ToText(nanoseconds).PadLeft(9, '0')}" : $"-{ToText(-(seconds + 1))}.{ToText(1_000_000_000 - nanoseconds).PadLeft(9, '0')}";

    // What a reader without pax support sees of a name the field cannot hold: each character it cannot show as '_', cut to 99.
    private static string UstarFallback(string name)
    {
        var shown = new string(name.Select(c => c is >= ' ' and <= '~' ? c : '_').ToArray());
        return shown.Length <= 99 ? shown : shown[..99];
    }

    /// <summary>An entry of an archive as the POSIX layout gives it: its pax records, ustar fields, and data.</summary>
    private sealed record TarEntry(Dictionary<string, byte[]> Pax, string Name, char Type, long Mode, long Uid, long Gid, long Mtime, string LinkField, byte[] Data)
    {
        public string? Record(string key) => Pax.TryGetValue(key, out var value) ? Encoding.UTF8.GetString(value) : null;

        /// <summary>The name a pax reader gives it (GNU.sparse.name, then path, then the field).</summary>
        public string Path => Record("GNU.sparse.name") ?? Record("path") ?? Name;

        public string Link => Record("linkpath") ?? LinkField;

        /// <summary>The lines of a GNU sparse 1.0 map at the start of the data, or null for a file without one.</summary>
        public string? SparseMap => Record("GNU.sparse.major") is null ? null : Encoding.ASCII.GetString(Data, 0, MapLength);

        private int MapLength
        {
            get
            {
                var lines = 0;
                var count = -1;
                for (var at = 0; ; at++)
                {
                    if (Data[at] == '\n' && ++lines == 1)
                    {
                        count = (int)ParseLong(Encoding.ASCII.GetString(Data, 0, at));
                    }

                    if (count >= 0 && lines == 1 + (2 * count))
                    {
                        return at + 1;
                    }
                }
            }
        }
    }

    /// <summary>
    /// Reads an archive by the POSIX ustar and pax layout, checking what every reader checks: each header's checksum
    /// (the unsigned sum with the checksum field as spaces) and magic, each pax record's length (the decimal length of the
    /// whole record, its own digits included), data padded to a block, and two zero blocks at the end.
    /// </summary>
    private static List<TarEntry> TarEntries(byte[] archive)
    {
        var entries = new List<TarEntry>();
        var paxNames = new List<string>();
        var pax = new Dictionary<string, byte[]>();
        var at = 0;
        while (archive.AsSpan(at, 512).IndexOfAnyExcept((byte)0) >= 0)
        {
            var header = archive.AsSpan(at, 512).ToArray();
            var checksum = HeaderNumber(header, 148, 8);
            Array.Fill(header, (byte)' ', 148, 8);
            Assert.Equal(header.Sum(b => b), checksum);
            Assert.Equal("ustar\u000000", Encoding.ASCII.GetString(header, 257, 8));
            var size = HeaderNumber(header, 124, 12);
            var data = archive.AsSpan(at + 512, (int)size).ToArray();
            Assert.True(archive.AsSpan(at + 512 + (int)size, (int)((512 - (size % 512)) % 512)).IndexOfAnyExcept((byte)0) < 0, "data is padded with zeros to a block");
            at += 512 + (int)((size + 511) / 512 * 512);
            var type = (char)header[156];
            if (type == 'x')
            {
                paxNames.Add(HeaderText(header, 0, 100));
                for (var record = 0; record < data.Length;)
                {
                    var space = Array.IndexOf(data, (byte)' ', record);
                    var length = (int)ParseLong(Encoding.ASCII.GetString(data, record, space - record));
                    Assert.Equal((byte)'\n', data[record + length - 1]);
                    var equals = Array.IndexOf(data, (byte)'=', space);
                    pax[Encoding.UTF8.GetString(data, space + 1, equals - space - 1)] = data[(equals + 1)..(record + length - 1)];
                    record += length;
                }

                continue;
            }

            entries.Add(new TarEntry(pax, HeaderText(header, 0, 100), type, HeaderNumber(header, 100, 8), HeaderNumber(header, 108, 8), HeaderNumber(header, 116, 8), HeaderNumber(header, 136, 12), HeaderText(header, 157, 100), data));
            pax = [];
        }

        Assert.Empty(pax);

        // A reader without pax support extracts a pax header as a file of its name: never one of the archive's names.
        Assert.Empty(paxNames.Intersect(entries.Select(e => e.Path)));
        Assert.True(archive.Length - at >= 1024 && archive.AsSpan(at).IndexOfAnyExcept((byte)0) < 0, "the archive ends with two zero blocks, and only zeros follow them (GNU tar fills its last record)");
        return entries;
    }

    private static string HeaderText(byte[] header, int at, int length)
    {
        var field = header.AsSpan(at, length);
        var end = field.IndexOf((byte)0);
        return Encoding.UTF8.GetString(end < 0 ? field : field[..end]);
    }

    // Octal with a NUL or space after it, or GNU's base-256 (the first byte 0x80) only for what octal cannot hold, as GNU
    // tar writes it (src/create.c to_chars): a reader that knows only octal reads every field that octal can hold.
    private static long HeaderNumber(byte[] header, int at, int length)
    {
        if (header[at] != 0x80)
        {
            return Convert.ToInt64(Encoding.ASCII.GetString(header, at, length).TrimEnd('\0', ' '), 8);
        }

        var value = BinaryPrimitives.ReadInt64BigEndian(header.AsSpan(at + length - 8, 8));
        Assert.True(value < 0 || value >= 1L << (3 * (length - 1)), $"{value} in base-256 fits in octal");
        return value;
    }

    /// <summary>Removes a file when the writer reports its first warning: after the listing, before the entry is reached.</summary>
    private sealed class RemovingProgress(string path) : IProgress<OperationProgress>
    {
        public List<Diagnostic> Warnings { get; } = [];

        public void Report(OperationProgress value)
        {
            File.Delete(path);
            Warnings.Add(value.Warning!);
        }
    }

    /// <summary>Counts what is written to it and cancels on the first write (the writer's first full buffer).</summary>
    private sealed class CancellingOutput(CancellationTokenSource cancel) : MemoryStream
    {
        public long Written { get; private set; }

        public override void Write(byte[] buffer, int offset, int count)
        {
            Written += count;
            cancel.Cancel();
        }
    }

    /// <summary>Truncates a file to <c>keep</c> bytes on the first write: the writer's first full buffer.</summary>
    private sealed class TruncatingOutput(string path, int keep) : MemoryStream
    {
        private bool truncated;

        public override void Write(byte[] buffer, int offset, int count)
        {
            if (!truncated)
            {
                truncated = true;
                using var file = new FileStream(path, FileMode.Open, FileAccess.Write);
                file.SetLength(keep);
            }

            base.Write(buffer, offset, count);
        }
    }
}

/// <summary>
/// The hand-off of an export's tar stream to the thread that compresses it: every byte arrives in order, a failure of the
/// stream behind it reaches the caller (never a hang, never lost), and a stop (Dispose) ends the thread.
/// </summary>
public sealed class OffThreadWriterTests
{
    [Fact]
    public async Task Every_chunk_arrives_in_order_once_Complete_returns()
    {
        var data = new byte[3 << 20];
        new Random(7).NextBytes(data);
        var inner = new InnerStream();

        await Task.Run(() =>
        {
            using var writer = new OffThreadWriter(inner);
            for (int at = 0, size = 1; at < data.Length; at += size, size = (size * 7 % 100_003) + 1)
            {
                writer.Write(data, at, Math.Min(size, data.Length - at));
            }

            writer.Complete();
        }).Within();

        Assert.Equal(data, inner.Written.ToArray());
    }

    // The disk is full or the client went away: the export must fail with that error, not report an archive written.
    [Fact]
    public async Task A_failure_of_the_stream_behind_is_thrown_by_Complete()
    {
        var inner = new InnerStream { Failure = new IOException("no space left on device") };
        using var writer = new OffThreadWriter(inner);
        writer.Write([1, 2, 3], 0, 3);

        var thrown = await Assert.ThrowsAsync<IOException>(() => Task.Run(writer.Complete).Within());

        Assert.Same(inner.Failure, thrown);
    }

    // Once the thread behind has failed, a write throws its failure at once: it does not wait for room that no one makes.
    [Fact]
    public async Task Writes_after_a_failure_throw_it_and_never_wait()
    {
        var inner = new InnerStream { Failure = new IOException("broken pipe") };
        using var writer = new OffThreadWriter(inner);

        var thrown = await Assert.ThrowsAsync<IOException>(() => Task.Run(() =>
        {
            for (var i = 0; i < 100; i++)
            {
                writer.Write(new byte[1000], 0, 1000);
            }
        }).Within());

        Assert.Same(inner.Failure, thrown);
        Assert.Equal(1, inner.Writes);
    }

    // Ctrl+C or a failure of the writer's caller: Dispose stops the thread, drops what it has not written, and waits for
    // the write in progress, so that nothing writes to the stream behind once Dispose has returned (the caller disposes
    // it next). A failure was thrown already and is not thrown again.
    [Fact]
    public async Task Dispose_drops_what_waits_and_returns_once_the_write_in_progress_has_ended()
    {
        var inner = new InnerStream { Gate = new ManualResetEventSlim() };
        var writer = new OffThreadWriter(inner);
        writer.Write([1], 0, 1);
        await inner.Entered.Task.Within();
        for (var i = 2; i <= 5; i++)
        {
            writer.Write([(byte)i], 0, 1);
        }

        // The write in progress ends when the writer is told to stop: Dispose's cancellation is the one signal of that
        // (a private field, read here because nothing else shows the moment).
        var stop = (CancellationTokenSource)typeof(OffThreadWriter).GetField("failed", System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Instance)!.GetValue(writer)!;
        stop.Token.Register(inner.Gate.Set);
        await Task.Run(() =>
        {
            writer.Dispose();
            inner.Disposed.Set();
        }).Within();

        Assert.True(inner.Returned, "the write in progress ended before Dispose returned");
        Assert.False(inner.EndedAfterDispose, "the write in progress went on after Dispose had returned");
        Assert.Equal([1], inner.Written.ToArray());
        Assert.Throws<ObjectDisposedException>(() => writer.Write([6], 0, 1));
    }

    [Fact]
    public async Task Dispose_after_a_failure_does_not_throw_it_again()
    {
        var inner = new InnerStream { Failure = new IOException("no space left on device") };
        var writer = new OffThreadWriter(inner);
        writer.Write([1], 0, 1);
        await Assert.ThrowsAsync<IOException>(() => Task.Run(writer.Complete).Within());

        await Task.Run(writer.Dispose).Within();

        Assert.Throws<ObjectDisposedException>(() => writer.Write([2], 0, 1));
    }

    // A stream that can only be written: what asks it (a copy, a buffer) must not read or seek it.
    [Fact]
    public void It_can_be_written_not_read_or_sought()
    {
        using var writer = new OffThreadWriter(new InnerStream());

        Assert.True(writer.CanWrite);
        Assert.False(writer.CanRead);
        Assert.False(writer.CanSeek);
        Assert.Throws<NotSupportedException>(() => writer.Length);
        Assert.Throws<NotSupportedException>(() => writer.Position);
        Assert.Throws<NotSupportedException>(() => writer.Position = 0);
        Assert.Throws<NotSupportedException>(() => writer.Read(new byte[1], 0, 1));
        Assert.Throws<NotSupportedException>(() => writer.Seek(0, SeekOrigin.Begin));
        Assert.Throws<NotSupportedException>(() => writer.SetLength(0));
        writer.Complete();
    }

    /// <summary>The stream behind: records what it is given, may fail, and may hold its first write until a gate opens.</summary>
    private sealed class InnerStream : Stream
    {
        public MemoryStream Written { get; } = new();

        public IOException? Failure { get; init; }

        public ManualResetEventSlim? Gate { get; init; }

        public TaskCompletionSource Entered { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public int Writes { get; private set; }

        public bool Returned { get; private set; }

        /// <summary>Set by the test once Dispose has returned; a write it holds looks for it before ending.</summary>
        public ManualResetEventSlim Disposed { get; } = new();

        public bool EndedAfterDispose { get; private set; }

        public override bool CanRead => false;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override void Write(byte[] buffer, int offset, int count)
        {
            Writes++;
            if (Failure is not null)
            {
                throw Failure;
            }

            Written.Write(buffer, offset, count);
            Entered.TrySetResult();
            if (Gate is not null)
            {
                // Bounded: a hang fails the test instead of holding the suite.
                Assert.True(Gate.Wait(TimeSpan.FromMinutes(1)), "the gate opened");

                // The gate opens when Dispose asks the thread to stop. A Dispose that did not wait for this write would
                // return at once: half a second is ample to see that, and a Dispose that waits always costs it.
                EndedAfterDispose = Disposed.Wait(TimeSpan.FromMilliseconds(500));
            }

            Returned = true;
        }

        public override void Flush()
        {
        }

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
