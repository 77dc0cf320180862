using System.Text;
using Kompox.Drivers;

namespace Kompox.Tests.Drivers;

/// <summary>
/// The importer's reader, one header form at a time, on archives built here block by block (no tar run to make them), so
/// that mutation testing of the reader can afford them. GNU tar 1.34 is the oracle: it extracts the same bytes as root
/// (src/list.c read_header and from_header for the header fields, src/xheader.c for the pax records, src/sparse.c
/// pax_decode_header for sparse 1.0, src/extract.c for what it makes), and the two trees must be alike, by python's lstat.
/// </summary>
public sealed partial class DiskArchiveTests
{
    private const int Rw = 0b110_100_100;

    // Every form of header a tar writer may use, in one archive: ustar fields in octal (with GNU's leading spaces), GNU's
    // base-256 numbers, the ustar prefix (and GNU's own magic, whose bytes there are times, not a prefix), pax records
    // for names, links, owners and nanosecond times before and after 1970, binary extended attributes, GNU's 'L'/'K' long
    // names, a pax size record over a size field of 0, a number field of one digit and blanks without a NUL (GNU tar's
    // from_header skips blanks before and after the digits), a global header, the old and contiguous file types, a checksum summed as signed bytes, hard and symbolic links, and sparse 1.0 files whose map
    // spans two blocks or which end in a hole (a map number may have 19 digits, as in GNU tar's COPY_BUF). The records of one entry apply to it alone. The entries are in the order a
    // writer makes them, each directory's entries together: GNU tar sets a directory's time when it leaves it, Kompox at the end.
    [Fact]
    public void Reads_every_form_of_header_as_GNU_tar_extracts_it()
    {
        var longName = "dir/" + new string('n', 180);
        var sparseMap = new StringBuilder("60\n");
        var sparseData = new StringBuilder();
        for (var i = 0; i < 60; i++)
        {
            // GNU tar stores each part from a block boundary (src/sparse.c, sparse_dump_region), so every part but the
            // last is whole blocks, as the file system's data extents (SEEK_DATA) are.
            var length = i < 59 ? 512 : 3;
            sparseMap.Append(Invariant(i * 8192)).Append('\n').Append(Invariant(length)).Append('\n');
            sparseData.Append((char)('a' + (i % 26)), length);
        }

        var archive = Archive(
            Member("./", '5', mode: 0b111_101_000, uid: 1, gid: 2, mtime: 946684800),
            Member("dir/", '5', mode: 0b010_111_101_000, uid: 7, gid: 8, mtime: 1000000000),
            Member("dir/f", '0', "hello", mode: 0b100_111_101_101, pax: [("uid", "3000000"), ("gid", "4000000"), ("mtime", "1234567890.123456789"), ("SCHILY.xattr.user.bin", new byte[] { 0, 10, (byte)'=', 255, 32 }), ("SCHILY.xattr.security.capability", Convert.FromHexString("0100000200200000000000000000000000000000")), ("SCHILY.xattr.user.empty", Array.Empty<byte>())]),
            Member(longName, '0', "long", pax: [("path", longName)], name: "dir/short-in-header"),
            Member("before-1970", '0', "old", pax: [("mtime", "-1.25")]),
            Member("whole-before-1970", '0', pax: [("mtime", "-5")]),
            Member("signed-checksum-\u00e9", '0', "s", signedChecksum: true),
            Member("truncated-fraction", '0', pax: [("mtime", "5.1234567891")]),
            Member("short-fraction", '0', pax: [("mtime", "7.5")]),
            Member("base-256", '0', "b", edit: h => { Base256(h, 108, 8, 2097152); Base256(h, 116, 8, 5000000); Base256(h, 136, 12, 1L << 34); }),
            Member("spaces", '0', "s", edit: h => { Ascii(h, 100, "   750 \0"); Ascii(h, 108, "    12 \0"); Ascii(h, 136, "  1234567 \0"); }),
            Member("one-digit-then-blanks", '0', "d", edit: h => { Ascii(h, 108, "7       "); Ascii(h, 116, "0       "); }),
            Member("size-in-pax", '0', "sized by pax", pax: [("size", "12")], edit: h => Octal(h, 124, 12, 0)),
            Member("type-bits", '0', "t", mode: 0b1_000_000_110_100_100),
            Member("old-type", '\0', "o"),
            Member("contiguous", '7', "c"),
            Member("pre/", '5', mtime: 10),
            Member("pre/fix/", '5', mtime: 20),
            Member("file", '0', "in prefix", edit: h => Ascii(h, 345, "pre/fix")),
            Member("gnu-magic", '0', "g", magic: "ustar  \0", edit: h => Ascii(h, 345, "12345670123\0")),
            Member("after-long", '0', "next"),
            Member("link-long", '2', pax: [("linkpath", "/" + new string('t', 150))], mtime: 300),
            Member("sym", '2', link: "dir/f", uid: 5, gid: 6, mtime: 1234),
            Member("hard", '1', link: "dir/f"),
            Member("hard-to-hard", '1', link: "hard"),
            Member("././@LongLink", 'L', new string('L', 130) + "\0"),
            Member("gnu-long-name", '0', "gnu long"),
            Member("././@LongLink", 'K', new string('K', 120) + "\0"),
            Member("gnu-long-link", '2', link: "short"),
            Member("link-after-long-link", '2', link: "its-own"),
            Member(new string('n', 100), '0', "a name that fills its field, without a NUL"),
            Member(new string('s', 100), '2', link: new string('t', 100)),
            Member("nul-fields", '0', "n", edit: h => { Array.Clear(h, 108, 8); Array.Clear(h, 116, 8); Array.Clear(h, 136, 12); Ascii(h, 100, "\u0000000750\u0000"); }),
            Member("pax_global_header", 'g', Encoding.Latin1.GetString(PaxRecordBytes("comment", "ignored"u8.ToArray()))),
            Member("after-global", '0', "g2", mtime: 99),
            Member("GNUSparseFile.0/sparse", '0', sparseMap.ToString().PadRight(1024, '\0') + sparseData, pax: [("GNU.sparse.major", "1"), ("GNU.sparse.minor", "0"), ("GNU.sparse.name", "sparse"), ("GNU.sparse.realsize", "483331"), ("path", "not-this-name")]),
            Member("GNUSparseFile.0/tail-hole", '0', "0000000000000000003\n0\n512\n1048000\n3\n1048576\n0\n".PadRight(512, '\0') + new string('h', 512) + "end", pax: [("GNU.sparse.major", "1"), ("GNU.sparse.minor", "0"), ("GNU.sparse.name", "tail-hole"), ("GNU.sparse.realsize", "1048576")]));

        Assert.Equal(GnuTarExtracts(archive), KompoxExtracts(archive));
    }

    // What GNU tar does with what no tar writes: an empty name is the root ("Substituting `.' for empty member name");
    // an owner of all ones is chown's "leave as is" (chown(2)), so the file stays root's; a sparse map of no parts makes an
    // empty file, one part may be the whole file, and what follows the map in its last block is not read (src/sparse.c,
    // pax_decode_header reads the numbers it needs, then goes to the next block); data after the end of the archive is
    // not read.
    [Theory]
    [InlineData("empty name")]
    [InlineData("owner of all ones")]
    [InlineData("sparse map of no parts")]
    [InlineData("sparse part as long as the file")]
    [InlineData("sparse map with lines after it")]
    [InlineData("sparse map of no parts with lines after it")]
    [InlineData("data after the end")]
    public void Reads_what_no_tar_writes_as_GNU_tar_does(string what)
    {
        static (string, object)[] Sparse(string name, string realSize) => [("GNU.sparse.major", "1"), ("GNU.sparse.minor", "0"), ("GNU.sparse.name", name), ("GNU.sparse.realsize", realSize)];
        byte[] archive = what switch
        {
            "empty name" => Archive(Member(string.Empty, '5', mode: 0b111_101_000, uid: 5, gid: 6, mtime: 7), Member("f", '0', "x")),
            "owner of all ones" => Archive(Member("./", '5'), Member("f", '0', "x", pax: [("uid", "4294967295"), ("gid", "4294967295")])),
            "sparse map of no parts" => Archive(Member("./", '5'), Member("GNUSparseFile.0/none", '0', "0\n".PadRight(512, '\0'), pax: Sparse("none", "0"))),
            "sparse part as long as the file" => Archive(Member("./", '5'), Member("GNUSparseFile.0/whole", '0', "1\n0\n10\n".PadRight(512, '\0') + "0123456789", pax: Sparse("whole", "10"))),
            "sparse map of no parts with lines after it" => Archive(Member("./", '5'), Member("GNUSparseFile.0/none", '0', "0\nfoo\nbar".PadRight(512, '\0'), pax: Sparse("none", "0"))),
            "sparse map with lines after it" => Archive(Member("./", '5'), Member("GNUSparseFile.0/junk", '0', "1\n0\n3\nfoo\nbar".PadRight(512, '\0') + "abc", pax: Sparse("junk", "3"))),
            _ => [.. Archive(Member("./", '5'), Member("f", '0', "x")), .. Member("not-read", '0', "y"), .. "trailing bytes"u8],
        };

        Assert.Equal(GnuTarExtracts(archive), KompoxExtracts(archive));
    }

    // The size field of a directory, symbolic link or hard link entry is no data: GNU tar reads the next block as the next
    // header (glibc tar.h: "If typeflag=={LNKTYPE,SYMTYPE,DIRTYPE} then size must be 0"; Python's tarfile skips data only
    // for files). Were its size skipped, an archive could hide an entry from `tar -t` that the import makes, or the reverse.
    [Theory]
    [InlineData('5')]
    [InlineData('2')]
    [InlineData('1')]
    public void Reads_no_data_after_a_directory_or_link_entry_as_GNU_tar_does(char type)
    {
        var archive = Archive(
            Member("./", '5', mtime: 1),
            Member("f", '0', "y"),
            Member(type == '5' ? "d/" : "l", type, link: type == '5' ? string.Empty : "f", edit: h => Octal(h, 124, 12, 1024)),
            Member("inside-its-size", '0', "x"),
            Member("after", '0', "z"));

        Assert.Equal(GnuTarExtracts(archive), KompoxExtracts(archive));
    }

    // Ctrl+C is honoured between entries, within a file's data (within one buffer, not at its end) and while the rest of
    // the stream is read after the end-of-archive blocks.
    [Theory]
    [InlineData("between entries")]
    [InlineData("within a file")]
    [InlineData("after the end")]
    public void Reading_stops_where_it_is_cancelled(string where)
    {
        var (archive, cancelAfter) = where switch
        {
            "between entries" => (Archive(Member("a/", '5'), Member("b/", '5'), Member("c/", '5')), 0),
            "within a file" => (Archive(Member("big", '0', new string('x', 3 << 20))), 512 + (1 << 20)),
            _ => ([.. Archive(Member("a/", '5')), .. new byte[4 << 20]], 3 * 512),
        };
        var target = Directory.CreateDirectory(Path.Combine(fixture.DataRoot, $"cancel-{Guid.NewGuid():N}")).FullName;
        using var cancel = new CancellationTokenSource();

        Assert.ThrowsAny<OperationCanceledException>(() => DiskArchive.Extract(new CancellingStream(archive, cancelAfter, cancel), target, why => new InvalidDataException(why), cancel.Token));

        var made = Directory.EnumerateFileSystemEntries(target).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToList();
        switch (where)
        {
            case "between entries":
                Assert.Equal(["a"], made);
                break;
            case "within a file":
                Assert.InRange(new FileInfo(Path.Combine(target, "big")).Length, 1, 2 << 20);
                break;
        }
    }

    /// <summary>Reads a byte array and cancels once more than <c>after</c> bytes have been read.</summary>
    private sealed class CancellingStream(byte[] data, int after, CancellationTokenSource cancel) : MemoryStream(data)
    {
        public override int Read(byte[] buffer, int offset, int count)
        {
            var read = base.Read(buffer, offset, count);
            if (Position > after)
            {
                cancel.Cancel();
            }

            return read;
        }

        // MemoryStream's span read of a derived stream goes through the array read above.
        public override int Read(Span<byte> buffer)
        {
            var array = new byte[buffer.Length];
            var read = Read(array, 0, array.Length);
            array.AsSpan(0, read).CopyTo(buffer);
            return read;
        }
    }

    // A pax header may be 16 MiB (larger ones are refused, Import_refuses_a_malformed_header_or_sparse_map_and_leaves_no_disk):
    // the limit is on what the reader holds in memory, and a header of exactly that size is still read.
    [Fact]
    public void Reads_a_pax_header_of_16_MiB()
    {
        var comment = new byte[(1 << 24) - 18]; // "16777216 comment=" and "\n" make up the rest
        Array.Fill(comment, (byte)'c');
        var records = PaxRecordBytes("comment", comment);
        Assert.Equal(1 << 24, records.Length);
        var archive = Archive(Member("PaxHeaders/f", 'x', Encoding.Latin1.GetString(records)), Member("f", '0', "x"));
        var target = Directory.CreateDirectory(Path.Combine(fixture.DataRoot, $"big-pax-{Guid.NewGuid():N}")).FullName;

        DiskArchive.Extract(new MemoryStream(archive), target, why => new InvalidDataException(why), CancellationToken.None);

        Assert.Equal("x", File.ReadAllText(Path.Combine(target, "f")));
    }

    private static string Invariant(long value) => value.ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>What GNU tar makes of the archive, as root, with every attribute (src/xattrs.c restores only user.* by default).</summary>
    private string GnuTarExtracts(byte[] archive)
    {
        var file = Path.Combine(fixture.DataRoot, $"oracle-{Guid.NewGuid():N}.tar");
        File.WriteAllBytes(file, archive);
        var target = Directory.CreateDirectory(Path.Combine(fixture.DataRoot, $"gnu-{Guid.NewGuid():N}")).FullName;
        Run("tar", "-xf", file, "--xattrs", "--xattrs-include=*", "--numeric-owner", "--warning=no-contiguous-cast", "-C", target);
        return Dump(target);
    }

    private string KompoxExtracts(byte[] archive)
    {
        var target = Directory.CreateDirectory(Path.Combine(fixture.DataRoot, $"kompox-{Guid.NewGuid():N}")).FullName;
        DiskArchive.Extract(new MemoryStream(archive), target, why => new InvalidDataException(why), CancellationToken.None);
        return Dump(target);
    }

    private static byte[] Archive(params byte[][] members) => [.. members.SelectMany(m => m), .. new byte[1024]];

    /// <summary>
    /// A member: its pax header when records are given (values raw bytes), then a ustar header (POSIX: name 0-99, mode 100,
    /// uid 108, gid 116, size 124, mtime 136, checksum 148, type 156, link 157, magic 257, prefix 345) and its data, padded.
    /// </summary>
    private static byte[] Member(string path, char type, string data = "", string link = "", int mode = Rw, long uid = 0, long gid = 0, long mtime = 0, (string Key, object Value)[]? pax = null, string magic = "ustar\u000000", string? name = null, Action<byte[]>? edit = null, bool signedChecksum = false)
    {
        var result = new List<byte>();
        if (pax is not null)
        {
            var records = pax.SelectMany(r => PaxRecordBytes(r.Key, r.Value as byte[] ?? Encoding.UTF8.GetBytes((string)r.Value))).ToArray();
            result.AddRange(Member("PaxHeaders/x", 'x', Encoding.Latin1.GetString(records)));
        }

        var header = new byte[512];
        var body = type == 'x' ? Encoding.Latin1.GetBytes(data) : Encoding.UTF8.GetBytes(data);
        Encoding.UTF8.GetBytes(name ?? path).CopyTo(header, 0);
        Octal(header, 100, 8, mode);
        Octal(header, 108, 8, uid);
        Octal(header, 116, 8, gid);
        Octal(header, 124, 12, body.Length);
        Octal(header, 136, 12, mtime);
        header[156] = (byte)type;
        Encoding.UTF8.GetBytes(link).CopyTo(header, 157);
        Encoding.Latin1.GetBytes(magic).CopyTo(header, 257);
        edit?.Invoke(header);
        Array.Fill(header, (byte)' ', 148, 8);
        // Old tars summed the bytes as signed chars; GNU tar takes either sum (src/list.c, tar_checksum).
        Octal(header, 148, 7, signedChecksum ? header.Sum(b => (sbyte)b) : header.Sum(b => b));
        result.AddRange(header);
        result.AddRange(body);
        result.AddRange(new byte[(512 - (body.Length % 512)) % 512]);
        return [.. result];
    }

    // "<length> <key>=<value>\n", the length counting itself (POSIX pax, "pax Extended Header"); the value is raw bytes.
    private static byte[] PaxRecordBytes(string key, byte[] value)
    {
        var body = Encoding.UTF8.GetByteCount(key) + value.Length + 3;
        var length = body + 1;
        while (Invariant(length).Length + body != length)
        {
            length = Invariant(length).Length + body;
        }

        return [.. Encoding.ASCII.GetBytes($"{length} {key}="), .. value, (byte)'\n'];
    }

    private static void Octal(byte[] header, int at, int length, long value) => Ascii(header, at, Convert.ToString(value, 8).PadLeft(length - 1, '0'));

    private static void Ascii(byte[] header, int at, string text) => Encoding.Latin1.GetBytes(text).CopyTo(header, at);

    // GNU tar src/list.c from_header: 0x80, then the value big-endian in the rest of the field.
    private static void Base256(byte[] header, int at, int length, long value)
    {
        var number = new byte[8];
        System.Buffers.Binary.BinaryPrimitives.WriteInt64BigEndian(number, value);
        Array.Clear(header, at, length);
        number.AsSpan(8 - Math.Min(8, length - 1)).CopyTo(header.AsSpan(at + length - Math.Min(8, length - 1)));
        header[at] = 0x80;
    }
}
