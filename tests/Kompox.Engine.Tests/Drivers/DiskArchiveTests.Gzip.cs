using System.IO.Compression;
using Kompox.Drivers;

namespace Kompox.Tests.Drivers;

/// <summary>
/// How the import tells a gzip-compressed tar from a plain one (gzip's magic bytes, RFC 1952 2.3.1, as GNU tar's own
/// check_compressed_archive in src/buffer.c does, never a file name) and which gzip streams it reads. gzip 1.12 and GNU
/// tar 1.34 are the oracles: where `tar -xf` reads the stream whole, Kompox extracts the same tree; where gzip reports
/// it cut, corrupt or followed by garbage, Kompox refuses it.
/// </summary>
public sealed partial class DiskArchiveTests
{
    [Theory]
    [InlineData("plain")]
    [InlineData("plain, starting with gzip's first magic byte")]
    [InlineData("plain, whose second byte is gzip's second magic byte")]
    [InlineData("gzip")]
    [InlineData("gzip with a name and a comment in its header")]
    public void Reads_a_plain_or_gzip_compressed_tar_as_GNU_tar_does(string form)
    {
        // The first entry's name is the first bytes of a plain tar; the root's entry comes last, so that its time stays.
        var first = form.Contains("first magic", StringComparison.Ordinal) ? "\u001f-first" : form.Contains("second magic", StringComparison.Ordinal) ? "\u00cb-is-c3-8b" : "f";
        var tar = Archive(Member(first, '0', new string('x', 70000)), Member("g", '0', "y"), Member("./", '5', mtime: 1));
        byte[] archive = form switch
        {
            "gzip" => Gzip(tar),
            // FLG.FNAME and FLG.FCOMMENT (RFC 1952 2.3.1): zero-terminated strings after the ten fixed bytes.
            "gzip with a name and a comment in its header" => [.. Gzip(tar)[..3], 0x18, .. Gzip(tar)[4..10], .. "disk.tar\0a comment\0"u8, .. Gzip(tar)[10..]],
            _ => tar,
        };

        Assert.Equal(GnuTarExtracts(archive), Dump(Import(archive)));
    }

    // Every case but the last two is one that gzip -d reports as an error or a warning and GNU tar then fails on. Kompox
    // also refuses a stream of two members, which gzip -d reads as one (RFC 1952 2.2), and zero bytes after the member,
    // which gzip -d takes for a tape's padding: .NET's GZipStream reads both but ends quietly where a member is cut
    // short too, so the end check can only take the last 8 bytes as the trailer of the whole stream.
    [Theory]
    [InlineData("cut in its trailer", "ends without its trailer", true)]
    [InlineData("cut before its trailer", "ends without its trailer", true)]
    [InlineData("cut in its compressed data", "ends without its trailer", true)]
    [InlineData("cut to its magic bytes", "ends without its trailer", true)]
    [InlineData("cut in its header", "ends without its trailer", true)]
    [InlineData("a wrong CRC-32", "", true)]
    [InlineData("a wrong length", "", true)]
    [InlineData("garbage after it", "ends without its trailer", true)]
    [InlineData("the start of a second member after it", "ends without its trailer", true)]
    [InlineData("two members", "ends without its trailer", false)]
    [InlineData("zeros after it", "ends without its trailer", false)]
    public void Refuses_a_gzip_stream_that_is_not_one_whole_member(string how, string why, bool gnuTarRefuses)
    {
        var tar = Archive(Member("./", '5'), Member("f", '0', new string('x', 5000)), Member("g", '0', "y"));
        var gzip = Gzip(tar);
        byte[] archive = how switch
        {
            "cut in its trailer" => gzip[..^4],
            "cut before its trailer" => gzip[..^8],
            "cut in its compressed data" => gzip[..(gzip.Length / 2)],
            "cut to its magic bytes" => gzip[..2],
            "cut in its header" => gzip[..7],
            "a wrong CRC-32" => Flip(gzip, gzip.Length - 8),
            "a wrong length" => Flip(gzip, gzip.Length - 4),
            "garbage after it" => [.. gzip, .. "garbage!"u8],
            "the start of a second member after it" => [.. gzip, 0x1f, 0x8b],
            "two members" => [.. Gzip(tar[..1024]), .. Gzip(tar[1024..])],
            _ => [.. gzip, .. new byte[100]],
        };

        var file = Path.Combine(fixture.DataRoot, $"oracle-{Guid.NewGuid():N}.tar.gz");
        File.WriteAllBytes(file, archive);
        var oracle = Directory.CreateDirectory(Path.Combine(fixture.DataRoot, $"gnu-{Guid.NewGuid():N}")).FullName;
        Assert.Equal(gnuTarRefuses, Exit("tar", "-xf", file, "-C", oracle) != 0);

        var error = Assert.Throws<InvalidDataException>(() => Import(archive));
        Assert.Contains(why, error.Message);
    }

    // Fewer bytes than gzip's magic: no gzip stream, and no tar either.
    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    public void Refuses_an_archive_shorter_than_gzips_magic_bytes_as_no_tar(int length)
    {
        var error = Assert.Throws<InvalidDataException>(() => Import(new byte[] { 0x1f }[..length]));

        Assert.Contains("shorter than one tar header", error.Message);
    }

    // The error is the tar's, not one of reading the stream: the buffer in front still holds what follows the header
    // when the import closes it, and closing must not try to give it back by seeking (BufferedStream does on a seekable
    // stream).
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Refuses_a_corrupt_header_of_a_plain_or_gzip_tar_for_its_checksum(bool gzip)
    {
        var tar = Flip(Archive(Member("./", '5'), Member("f", '0', new string('x', 5000)), Member("g", '0', "y")), 512);

        var error = Assert.Throws<InvalidDataException>(() => Import(gzip ? Gzip(tar) : tar));

        Assert.Contains("checksum does not match", error.Message);
    }

    // The Stream contract: a read into no room returns 0 and is not the end of the stream.
    [Fact]
    public void A_gzip_stream_read_into_an_empty_buffer_is_not_at_its_end()
    {
        var tar = Archive(Member("f", '0', "x"));
        var compressed = new TailStream(new MemoryStream(Gzip(tar)));
        using var gzip = new GzipEndCheck(new GZipStream(compressed, CompressionMode.Decompress), compressed);
        using var read = new MemoryStream();

        Assert.Equal(0, gzip.Read(Span<byte>.Empty));
        gzip.CopyTo(read);

        Assert.Equal(tar, read.ToArray());
    }

    /// <summary>Extracts as the import does (the stream told apart by its magic bytes) into a new directory.</summary>
    private string Import(byte[] archive)
    {
        var target = Directory.CreateDirectory(Path.Combine(fixture.DataRoot, $"kompox-{Guid.NewGuid():N}")).FullName;
        using var tar = DiskArchive.OpenTar(new MemoryStream(archive));
        DiskArchive.Extract(tar, target, why => new InvalidDataException(why), CancellationToken.None);
        return target;
    }

    private static byte[] Gzip(byte[] data)
    {
        using var compressed = new MemoryStream();
        using (var gzip = new GZipStream(compressed, CompressionLevel.Fastest))
        {
            gzip.Write(data);
        }

        return compressed.ToArray();
    }

    private static byte[] Flip(byte[] bytes, int at)
    {
        var copy = bytes.ToArray();
        copy[at] ^= 0x01;
        return copy;
    }

    private static int Exit(string program, params string[] arguments)
    {
        var start = new System.Diagnostics.ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = System.Diagnostics.Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        process.StandardError.ReadToEnd();
        process.WaitForExit();
        output.Wait();
        return process.ExitCode;
    }
}
