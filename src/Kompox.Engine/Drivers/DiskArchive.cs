using System.Buffers;
using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Formats.Tar;
using System.Globalization;
using System.IO.Compression;
using System.Text;

namespace Kompox.Drivers;

/// <summary>
/// The tar format of a k3s disk: POSIX pax (IEEE 1003.1-2001 "pax Interchange Format") as GNU tar 1.34 writes it with
/// <c>--format=posix --xattrs --sparse --numeric-owner</c>, so that each side reads the other. Per entry a pax header
/// carries the nanosecond <c>mtime</c>, <c>path</c>/<c>linkpath</c> when the ustar fields cannot hold them, and the
/// extended attributes as <c>SCHILY.xattr.&lt;name&gt;=&lt;raw bytes&gt;</c> (GNU tar src/xheader.c, xattr_coder);
/// a sparse file is GNU sparse format 1.0 (GNU tar src/sparse.c, pax_dump_header_1: <c>GNU.sparse.major=1</c>,
/// <c>minor=0</c>, <c>name</c>, <c>realsize</c>, and the map as decimal lines at the start of the data, padded to a
/// block). Written by hand, not with <see cref="TarWriter"/>/<see cref="TarReader"/>: those keep times to 100 ns and read
/// pax values as UTF-8 text, which mangles binary attributes such as <c>security.capability</c>.
/// </summary>
internal static class DiskArchive
{
    private const int Block = 512;
    private const int BufferSize = 1 << 20;
    private const string SparseName = "GNU.sparse.name";
    private const string XattrPrefix = "SCHILY.xattr.";

    // The node's SELinux policy labels a new disk; a label from another machine (or a hostile archive) is not restored.
    private const string SelinuxLabel = "security.selinux";

    // The largest numbers ustar's octal fields hold: 7 digits in uid and gid, 11 in size (C# has no octal literals:
    // 07777777 would be decimal).
    private const long MaxOctal7 = (1L << 21) - 1;
    private const long MaxOctal11 = (1L << 33) - 1;

    /// <summary>The bytes of file data an archive of <paramref name="root"/> holds (its holes left out): the progress total.</summary>
    public static long DataBytes(string root)
    {
        long total = 0;
        foreach (var path in Directory.EnumerateFileSystemEntries(root))
        {
            // Never into a linked directory: the archive holds the link, not what it points to.
            total += Libc.LStat(path) switch
            {
                { Type: Libc.Stat.Regular } stat => Math.Min(stat.Size, stat.Blocks * 512),
                { Type: Libc.Stat.Directory } => DataBytes(path),
                _ => 0,
            };
        }

        return total;
    }

    /// <summary>
    /// Writes <paramref name="root"/> as a tar stream to <paramref name="output"/>: the root as <c>./</c>, then every
    /// entry under it in name order, a directory before what it holds. Links are stored, never followed; a file already
    /// stored under another name is stored as a hard link to it. Sockets, FIFOs and devices are left out with a warning:
    /// an import refuses them.
    /// </summary>
    public static void Write(string root, Stream output, string activity, IProgress<OperationProgress> progress, CancellationToken cancellationToken)
    {
        var writer = new Writer(output, activity, progress, cancellationToken);
        writer.WriteTree(Path.GetFullPath(root), string.Empty);
        writer.Finish();
    }

    /// <summary>
    /// Writes several directories as one tar stream, each under its <c>Prefix</c> (<c>binds/html</c>) instead of <c>./</c>,
    /// as <see cref="Write"/> writes one: what a tar in a container extracts into a disk's root. The parents of a prefix
    /// are not entries: GNU tar makes missing parents (src/extract.c, make_directories).
    /// </summary>
    public static void WriteTrees(IEnumerable<(string Root, string Prefix)> trees, Stream output, string activity, IProgress<OperationProgress> progress, CancellationToken cancellationToken)
    {
        var writer = new Writer(output, activity, progress, cancellationToken);
        foreach (var (root, prefix) in trees)
        {
            writer.WriteTree(Path.GetFullPath(root), prefix);
        }

        writer.Finish();
    }

    /// <summary>
    /// Unpacks a tar stream that may come from anywhere, as root, into the empty directory <paramref name="root"/>: only
    /// directories, files, symbolic and hard links, each named inside it; nothing is written through a link, so a link may
    /// point anywhere (in the app's container it resolves in the container). A hard link must name a file an earlier entry
    /// made. No devices, no name twice (but a directory). Owners, modes, times and extended attributes are restored; a
    /// directory's mode and time once all entries are in. The archive must end with its end-of-archive block. Anything
    /// else is <paramref name="invalid"/>'s exception.
    /// </summary>
    public static void Extract(Stream input, string root, Func<string, Exception> invalid, CancellationToken cancellationToken) =>
        new Reader(input, Path.GetFullPath(root), invalid, cancellationToken).Run();

    /// <summary>
    /// The tar stream of an archive that is a plain <c>.tar</c> or a gzip-compressed one, told apart by gzip's magic
    /// bytes (RFC 1952, 2.3.1: ID1 = 31, ID2 = 139), never by a file name. A buffer in front reads the tar headers and
    /// small files without a call into the decompressor each.
    /// </summary>
    public static Stream OpenTar(Stream archive)
    {
        var head = new byte[2];
        var read = archive.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
        Stream whole = new PrefixedStream(head.AsMemory(0, read), archive);
        if (read == 2 && head[0] == 0x1f && head[1] == 0x8b)
        {
            var compressed = new TailStream(whole);
            whole = new GzipEndCheck(new GZipStream(compressed, CompressionMode.Decompress), compressed);
        }

        return new BufferedStream(whole, 1 << 16);
    }

    private sealed record Header(string Name, char Type, uint Mode, uint Uid, uint Gid, long Size, long MtimeSeconds, uint MtimeNanoseconds, string LinkName);

    private sealed class Writer(Stream output, string activity, IProgress<OperationProgress> progress, CancellationToken cancellationToken)
    {
        private readonly byte[] buffer = new byte[BufferSize];
        private readonly Dictionary<(uint, uint, ulong), string> stored = [];
        private int used;

        public void WriteTree(string root, string prefix)
        {
            var stat = Libc.LStat(root) ?? throw new DirectoryNotFoundException(root);
            WriteEntry(root, prefix.Length == 0 ? "./" : prefix + "/", stat);
            WriteChildren(root, prefix.Length == 0 ? string.Empty : prefix + "/");
        }

        public void Finish()
        {
            // Two zero blocks end the archive (POSIX ustar); the rest of the buffer is flushed with them.
            Reserve(2 * Block).Clear();
            Flush();
            output.Flush();
        }

        private void WriteChildren(string directory, string prefix)
        {
            var names = Directory.EnumerateFileSystemEntries(directory).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToList();
            foreach (var name in names)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var path = Path.Combine(directory, name!);
                // Not a pattern variable: a mutant that drops the `continue` must still compile for mutation testing.
                var found = Libc.LStat(path);
                if (found is null)
                {
                    // Removed since the listing, or a name that is not UTF-8: .NET lists it with U+FFFD for what it cannot
                    // decode, a name that is not there. Such a file (or a directory with all it holds) is lost to the
                    // archive, so the user is told.
                    if (name!.Contains('\uFFFD', StringComparison.Ordinal))
                    {
                        progress.Report(OperationProgress.Warn(activity, new Diagnostic(Severity.Warning, path, 0, 0, string.Empty, $"{path} has a name that is not UTF-8, which a disk archive cannot hold; it is left out, with all it holds if it is a directory")));
                    }

                    continue;
                }

                var stat = found.Value;

                var entryName = prefix + name;
                if (stat.Type == Libc.Stat.Directory)
                {
                    WriteEntry(path, entryName + "/", stat);
                    WriteChildren(path, entryName + "/");
                }
                else
                {
                    WriteEntry(path, entryName, stat);
                }
            }
        }

        private void WriteEntry(string path, string name, Libc.Stat stat)
        {
            var pax = new List<KeyValuePair<string, byte[]>>();
            char type;
            long size = 0;
            var linkName = string.Empty;
            List<(long Offset, long Length)>? segments = null;
            FileStream? file = null;
            try
            {
                switch (stat.Type)
                {
                    case Libc.Stat.Directory:
                        type = '5';
                        break;
                    case Libc.Stat.Symlink:
                        type = '2';
                        linkName = new FileInfo(path).LinkTarget ?? string.Empty;
                        break;
                    case Libc.Stat.Regular when stat.Links > 1 && stored.TryGetValue((stat.DevMajor, stat.DevMinor, stat.Inode), out var first):
                        type = '1';
                        linkName = first;
                        break;
                    case Libc.Stat.Regular:
                        type = '0';
                        file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, bufferSize: 0);
                        size = stat.Size;
                        segments = stat.Blocks * 512 < stat.Size ? Libc.DataSegments(file.SafeFileHandle, stat.Size, path) : [(0, stat.Size)];
                        if (stat.Links > 1)
                        {
                            stored[(stat.DevMajor, stat.DevMinor, stat.Inode)] = name;
                        }

                        break;
                    default:
                        progress.Report(OperationProgress.Warn(activity, new Diagnostic(Severity.Warning, path, 0, 0, string.Empty, $"{path} is a socket, FIFO or device, which a disk archive does not hold; it is left out")));
                        return;
                }

                pax.Add(new("mtime", Ascii(PaxTime(stat.MtimeSeconds, stat.MtimeNanoseconds))));
                foreach (var (xattr, value) in Libc.GetXattrs(path))
                {
                    if (xattr != SelinuxLabel)
                    {
                        pax.Add(new(XattrPrefix + xattr, value));
                    }
                }

                var headerName = name;
                byte[]? sparseMap = null;
                var dataLength = size;
                if (segments is not null && segments.Sum(s => s.Length) < size)
                {
                    // GNU sparse 1.0: the map (count, then offset and length of each part) leads the data and ends with
                    // a part of length 0 at the file's size, as GNU tar 1.34 writes it whether or not the file ends in a hole.
                    segments.Add((size, 0));

                    var map = new StringBuilder().Append(segments.Count.ToString(CultureInfo.InvariantCulture)).Append('\n');
                    foreach (var (offset, length) in segments)
                    {
                        map.Append(offset.ToString(CultureInfo.InvariantCulture)).Append('\n').Append(length.ToString(CultureInfo.InvariantCulture)).Append('\n');
                    }

                    var mapBytes = Encoding.ASCII.GetBytes(map.ToString());
                    sparseMap = new byte[RoundUp(mapBytes.Length)];
                    mapBytes.CopyTo(sparseMap, 0);
                    pax.Add(new("GNU.sparse.major", Ascii("1")));
                    pax.Add(new("GNU.sparse.minor", Ascii("0")));
                    pax.Add(new(SparseName, Encoding.UTF8.GetBytes(name)));
                    pax.Add(new("GNU.sparse.realsize", Ascii(size.ToString(CultureInfo.InvariantCulture))));
                    dataLength = sparseMap.Length + segments.Sum(s => s.Length);
                    headerName = "GNUSparseFile.0/" + Path.GetFileName(name);
                }

                WriteHeader(headerName, type, stat, dataLength, linkName, pax, sparse: sparseMap is not null);
                if (file is not null)
                {
                    for (var at = 0; sparseMap is not null && at < sparseMap.Length; at += Block)
                    {
                        sparseMap.AsSpan(at, Block).CopyTo(Reserve(Block));
                    }

                    foreach (var (offset, length) in segments!)
                    {
                        CopyData(file, offset, length);
                    }

                    Reserve((int)(RoundUp(dataLength) - dataLength)).Clear();
                }
            }
            finally
            {
                file?.Dispose();
            }
        }

        private void WriteHeader(string name, char type, Libc.Stat stat, long size, string linkName, List<KeyValuePair<string, byte[]>> pax, bool sparse)
        {
            var nameBytes = Encoding.UTF8.GetBytes(name);
            var linkBytes = Encoding.UTF8.GetBytes(linkName);
            if (!sparse && !FitsUstar(nameBytes))
            {
                pax.Add(new("path", nameBytes));
            }

            if (!FitsUstar(linkBytes))
            {
                pax.Add(new("linkpath", linkBytes));
            }

            if (size > MaxOctal11)
            {
                pax.Add(new("size", Ascii(size.ToString(CultureInfo.InvariantCulture))));
            }

            if (stat.Uid > MaxOctal7)
            {
                pax.Add(new("uid", Ascii(stat.Uid.ToString(CultureInfo.InvariantCulture))));
            }

            if (stat.Gid > MaxOctal7)
            {
                pax.Add(new("gid", Ascii(stat.Gid.ToString(CultureInfo.InvariantCulture))));
            }

            var records = new MemoryStream();
            foreach (var (key, value) in pax)
            {
                WriteRecord(records, key, value);
            }

            UstarHeader("PaxHeaders/" + Ascii7(Path.GetFileName(name.TrimEnd('/')), 80), 'x', 0b110_100_100, 0, 0, records.Length, stat.MtimeSeconds, string.Empty);
            var recordBytes = records.GetBuffer().AsSpan(0, (int)records.Length);
            for (var at = 0; at < recordBytes.Length; at += Block)
            {
                var chunk = recordBytes[at..Math.Min(recordBytes.Length, at + Block)];
                var block = Reserve(Block);
                block.Clear();
                chunk.CopyTo(block);
            }

            // What fits a field is the same through Ascii7; a sparse file's name is GNUSparseFile.0/..., fitting or not.
            UstarHeader(Ascii7(name, 99), type, stat.Permissions, stat.Uid, stat.Gid, size, stat.MtimeSeconds, Ascii7(linkName, 99));
        }

        private void UstarHeader(string name, char type, uint mode, uint uid, uint gid, long size, long mtime, string linkName)
        {
            var block = Reserve(Block);
            block.Clear();
            Encoding.UTF8.GetBytes(name, block[..100]);
            Octal(block.Slice(100, 8), mode);
            Octal(block.Slice(108, 8), uid > MaxOctal7 ? 0 : uid);
            Octal(block.Slice(116, 8), gid > MaxOctal7 ? 0 : gid);
            Number(block.Slice(124, 12), size);
            Number(block.Slice(136, 12), Math.Max(0, mtime)); // a time before 1970 is in the pax record
            block[156] = (byte)type;
            Encoding.UTF8.GetBytes(linkName, block.Slice(157, 100));
            "ustar\000"u8.CopyTo(block[257..]);
            block.Slice(148, 8).Fill((byte)' ');
            var sum = 0;
            foreach (var b in block)
            {
                sum += b;
            }

            Octal(block.Slice(148, 7), sum);
        }

        private void CopyData(FileStream file, long offset, long length)
        {
            file.Position = offset;
            while (length > 0)
            {
                cancellationToken.ThrowIfCancellationRequested();
                if (used == buffer.Length)
                {
                    Flush();
                }

                var room = buffer.AsSpan(used, (int)Math.Min(buffer.Length - used, length));
                var read = file.Read(room);
                if (read == 0)
                {
                    // The file shrank while it was read (a running app): the header promised its size, so zeros fill it.
                    room.Clear();
                    read = room.Length;
                }

                used += read;
                length -= read;
            }
        }

        private Span<byte> Reserve(int count)
        {
            if (buffer.Length - used < count)
            {
                Flush();
            }

            var span = buffer.AsSpan(used, count);
            used += count;
            return span;
        }

        private void Flush()
        {
            output.Write(buffer, 0, used);
            used = 0;
        }
    }

    private sealed class Reader(Stream input, string root, Func<string, Exception> invalid, CancellationToken cancellationToken)
    {
        private readonly string inside = root + Path.DirectorySeparatorChar;
        private readonly HashSet<string> links = new(StringComparer.Ordinal);
        private readonly HashSet<string> files = new(StringComparer.Ordinal);
        private readonly Dictionary<string, Header> directories = new(StringComparer.Ordinal);
        private readonly byte[] block = new byte[Block];
        private readonly byte[] buffer = new byte[BufferSize];

        public void Run()
        {
            Dictionary<string, byte[]>? pax = null;
            string? longName = null;
            string? longLink = null;
            var started = false;
            while (true)
            {
                cancellationToken.ThrowIfCancellationRequested();
                if (!ReadBlock(block))
                {
                    throw invalid(!started ? "it is shorter than one tar header: no archive, or one cut short" : "it ends before its end-of-archive block: it was cut short");
                }

                started = true;

                if (block.AsSpan().IndexOfAnyExcept((byte)0) < 0)
                {
                    // The end is two zero blocks (POSIX ustar): a cut between them is a cut archive.
                    if (!ReadBlock(block) || block.AsSpan().IndexOfAnyExcept((byte)0) >= 0)
                    {
                        throw invalid("it ends without the second block of its end-of-archive marker: it was cut short");
                    }

                    // Then read the rest, so that a gzip stream's trailer is checked.
                    while (input.Read(buffer) > 0)
                    {
                        cancellationToken.ThrowIfCancellationRequested();
                    }

                    break;
                }

                var header = ParseHeader(pax, longName, longLink);
                switch (header.Type)
                {
                    case 'x':
                        pax = ParsePax(ReadData(header.Size, header.Name), header.Name);
                        continue;
                    case 'g':
                        ReadData(header.Size, header.Name);
                        continue;
                    case 'L':
                        longName = CString(ReadData(header.Size, header.Name));
                        continue;
                    case 'K':
                        longLink = CString(ReadData(header.Size, header.Name));
                        continue;
                }

                Make(header, pax ?? []);
                pax = null;
                longName = null;
                longLink = null;
            }

            foreach (var (path, header) in directories)
            {
                Libc.Chmod(path, header.Mode);
                Libc.SetModificationTime(path, header.MtimeSeconds, header.MtimeNanoseconds);
            }
        }

        private void Make(Header header, Dictionary<string, byte[]> pax)
        {
            var name = header.Name;
            var path = Resolve(name);
            var existing = Libc.LStat(path);
            if (existing is { } there && !(header.Type == '5' && there.Type == Libc.Stat.Directory))
            {
                throw invalid($"entry '{name}' names a path an earlier entry made");
            }

            switch (header.Type)
            {
                case '5':
                    // The size of a directory or link entry is no data: GNU tar reads the next block as the next header
                    // (as does Python's tarfile; glibc tar.h: "If typeflag=={LNKTYPE,SYMTYPE,DIRTYPE} then size must be
                    // 0"). Skipping it would make an entry that `tar -t` lists vanish in the import, or the reverse.
                    Directory.CreateDirectory(path);
                    Own(path, header, pax);
                    directories[path] = header;
                    return;
                case '0' or '\0' or '7':
                    Directory.CreateDirectory(Path.GetDirectoryName(path)!);
                    using (var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 0))
                    {
                        if (pax.ContainsKey("GNU.sparse.major"))
                        {
                            WriteSparse(file, header, pax);
                        }
                        else
                        {
                            Copy(file, header.Size, name);
                        }
                    }

                    files.Add(path);
                    Own(path, header, pax);
                    Libc.Chmod(path, header.Mode);
                    Libc.SetModificationTime(path, header.MtimeSeconds, header.MtimeNanoseconds);
                    return;
                case '2':
                    if (header.LinkName.Length == 0 || header.LinkName.Contains('\0', StringComparison.Ordinal))
                    {
                        throw invalid($"symbolic link '{name}' has no target");
                    }

                    Directory.CreateDirectory(Path.GetDirectoryName(path)!);
                    File.CreateSymbolicLink(path, header.LinkName);
                    links.Add(path);
                    Own(path, header, pax);
                    Libc.SetModificationTime(path, header.MtimeSeconds, header.MtimeNanoseconds);
                    return;
                case '1':
                    var target = Resolve(header.LinkName);
                    if (!files.Contains(target))
                    {
                        throw invalid($"hard link '{name}' points to '{header.LinkName}', which no earlier entry of the archive made as a file");
                    }

                    Directory.CreateDirectory(Path.GetDirectoryName(path)!);
                    Libc.Link(target, path);
                    files.Add(path);
                    return;
                default:
                    throw invalid($"entry '{name}' is a {(TarEntryType)header.Type}, which a disk archive does not hold");
            }
        }

        /// <summary>Owner first: chown clears the setuid and setgid bits and security.capability, which come after it.</summary>
        private static void Own(string path, Header header, Dictionary<string, byte[]> pax)
        {
            Libc.LChown(path, header.Uid, header.Gid);
            foreach (var (key, value) in pax)
            {
                if (key.StartsWith(XattrPrefix, StringComparison.Ordinal) && key[XattrPrefix.Length..] is var xattr && xattr != SelinuxLabel)
                {
                    Libc.SetXattr(path, xattr, value);
                }
            }
        }

        private string Resolve(string name)
        {
            var full = Path.GetFullPath(Path.Combine(inside, name)).TrimEnd(Path.DirectorySeparatorChar);
            if (!(full + Path.DirectorySeparatorChar).StartsWith(inside, StringComparison.Ordinal) || name.Contains('\0', StringComparison.Ordinal))
            {
                throw invalid($"entry '{name}' points outside the disk");
            }

            for (var at = full; at.Length >= inside.Length; at = Path.GetDirectoryName(at)!)
            {
                if (links.Contains(at))
                {
                    throw invalid($"entry '{name}' goes through a symbolic link");
                }
            }

            return full;
        }

        private void WriteSparse(FileStream file, Header header, Dictionary<string, byte[]> pax)
        {
            if (Text(pax, "GNU.sparse.major") != "1" || Text(pax, "GNU.sparse.minor") != "0" || !long.TryParse(Text(pax, "GNU.sparse.realsize"), NumberStyles.None, CultureInfo.InvariantCulture, out var realSize))
            {
                throw invalid($"entry '{header.Name}' is a sparse file in a format other than GNU sparse 1.0 with its real size");
            }

            // The map: decimal numbers, one a line, in as many blocks as it takes; then the parts' data in order.
            long consumed = 0;
            var numbers = new List<long>();
            var line = new StringBuilder();
            long count = -1;
            while (count < 0 || numbers.Count < 1 + (2 * count))
            {
                if (consumed + Block > header.Size || !ReadBlock(block))
                {
                    throw invalid($"the sparse map of '{header.Name}' is cut short");
                }

                consumed += Block;
                foreach (var b in block)
                {
                    if (count >= 0 && numbers.Count >= 1 + (2 * count))
                    {
                        break;
                    }

                    if (b == '\n')
                    {
                        numbers.Add(long.TryParse(line.ToString(), NumberStyles.None, CultureInfo.InvariantCulture, out var n) && line.Length <= 19 ? n : throw invalid($"the sparse map of '{header.Name}' is not a list of numbers"));
                        line.Clear();
                        if (numbers.Count == 1)
                        {
                            count = numbers[0] <= header.Size / 2 ? numbers[0] : throw invalid($"the sparse map of '{header.Name}' has more parts than its entry has bytes");
                        }
                    }
                    else
                    {
                        line.Append((char)b);
                    }
                }
            }

            long end = 0;
            for (var i = 0; i < count; i++)
            {
                var (offset, length) = (numbers[1 + (2 * i)], numbers[2 + (2 * i)]);
                if (offset < end || offset > realSize - length || consumed + length > header.Size)
                {
                    throw invalid($"the sparse map of '{header.Name}' has parts out of order or beyond its size");
                }

                file.Position = offset;
                CopyExactly(file, length, header.Name);
                consumed += length;
                end = offset + length;
            }

            if (consumed != header.Size)
            {
                throw invalid($"the sparse data of '{header.Name}' is not as long as its map says");
            }

            // GNU tar makes the file as long as its last part (src/sparse.c, sparse_extract_region truncates at a last
            // part of no bytes), not its real size; GNU tar and Kompox end every map there, so a map that ends short is refused.
            if (end != realSize)
            {
                throw invalid($"the sparse map of '{header.Name}' ends before its real size");
            }

            file.SetLength(realSize);
            SkipPadding(header.Size, header.Name);
        }

        private void Copy(FileStream file, long size, string name)
        {
            CopyExactly(file, size, name);
            SkipPadding(size, name);
        }

        private void CopyExactly(Stream file, long length, string name)
        {
            while (length > 0)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var read = input.Read(buffer, 0, (int)Math.Min(buffer.Length, length));
                if (read == 0)
                {
                    throw invalid($"it ends inside the data of '{name}': it was cut short");
                }

                file.Write(buffer, 0, read);
                length -= read;
            }
        }

        /// <summary>Skips the padding after the data of an entry of <paramref name="size"/> bytes, to the next block.</summary>
        private void SkipPadding(long size, string name)
        {
            for (var left = RoundUp(size) - size; left > 0;)
            {
                var read = input.Read(buffer, 0, (int)Math.Min(buffer.Length, left));
                if (read == 0)
                {
                    throw invalid($"it ends inside the padding of '{name}': it was cut short");
                }

                left -= read;
            }
        }

        private byte[] ReadData(long size, string name)
        {
            if (size > 1 << 24)
            {
                throw invalid($"the header '{name}' is {size} bytes long");
            }

            var data = new byte[size];
            if (input.ReadAtLeast(data, data.Length, throwOnEndOfStream: false) < data.Length)
            {
                throw invalid($"it ends inside the header '{name}': it was cut short");
            }

            SkipPadding(size, name);
            return data;
        }

        private bool ReadBlock(byte[] into)
        {
            var read = input.ReadAtLeast(into, Block, throwOnEndOfStream: false);
            return read == Block;
        }

        private Header ParseHeader(Dictionary<string, byte[]>? pax, string? longName, string? longLink)
        {
            var b = block.AsSpan();
            var stored = ParseOctal(b.Slice(148, 8), "checksum", entry: null);
            long unsigned = 0, signed = 0;
            for (var i = 0; i < Block; i++)
            {
                var value = i is >= 148 and < 156 ? (byte)' ' : b[i];
                unsigned += value;
                signed += (sbyte)value;
            }

            if (stored != unsigned && stored != signed)
            {
                throw invalid("a header's checksum does not match: it is no tar archive, or a corrupt one");
            }

            var type = (char)b[156];
            var name = CString(b[..100]);
            if (b[257..262].SequenceEqual("ustar"u8) && b[263] == '0' && b[345] != 0)
            {
                name = CString(b.Slice(345, 155)) + "/" + name; // POSIX ustar prefix
            }

            name = longName ?? name;
            if (pax is not null)
            {
                name = Text(pax, SparseName) ?? Text(pax, "path") ?? name;
            }

            var linkName = longLink ?? CString(b.Slice(157, 100));
            var uid = ParseNumber(b.Slice(108, 8), "uid", name);
            var gid = ParseNumber(b.Slice(116, 8), "gid", name);
            var size = ParseNumber(b.Slice(124, 12), "size", name);
            var mtime = ParseNumber(b.Slice(136, 12), "mtime", name);
            uint nanoseconds = 0;
            if (pax is not null)
            {
                linkName = Text(pax, "linkpath") ?? linkName;
                uid = PaxNumber(pax, "uid", name) ?? uid;
                gid = PaxNumber(pax, "gid", name) ?? gid;
                size = PaxNumber(pax, "size", name) ?? size;
                if (Text(pax, "mtime") is { } time)
                {
                    (mtime, nanoseconds) = ParsePaxTime(time, name);
                }
            }

            if (uid is < 0 or > uint.MaxValue || gid is < 0 or > uint.MaxValue || size < 0)
            {
                throw invalid($"entry '{name}' has an owner or size out of range");
            }

            return new Header(name, type, (uint)ParseOctal(b.Slice(100, 8), "mode", name) & 0xFFF, (uint)uid, (uint)gid, size, mtime, nanoseconds, linkName);
        }

        private Dictionary<string, byte[]> ParsePax(byte[] data, string header)
        {
            // Each record is "<length> <key>=<value>\n", the length counting the whole record in bytes; the value is raw.
            var records = new Dictionary<string, byte[]>(StringComparer.Ordinal);
            for (var at = 0; at < data.Length;)
            {
                var space = Array.IndexOf(data, (byte)' ', at);
                // Nothing but records: GNU tar reports padding after them as a malformed header (src/xheader.c, decode_record).
                if (space < 0 || !int.TryParse(data.AsSpan(at, space - at), NumberStyles.None, CultureInfo.InvariantCulture, out var length) || length <= space - at || at + length > data.Length || data[at + length - 1] != '\n')
                {
                    throw invalid($"the pax header '{header}' has a malformed record");
                }

                var record = data.AsSpan(space + 1, at + length - space - 2);
                var equals = record.IndexOf((byte)'=');
                if (equals <= 0)
                {
                    throw invalid($"the pax header '{header}' has a record without a key");
                }

                records[Encoding.UTF8.GetString(record[..equals])] = record[(equals + 1)..].ToArray();
                at += length;
            }

            return records;
        }

        private long? PaxNumber(Dictionary<string, byte[]> pax, string key, string entry) =>
            Text(pax, key) is { } text ? long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : throw invalid($"the pax record {key}={text} of entry '{entry}' is not a number") : null;

        private (long Seconds, uint Nanoseconds) ParsePaxTime(string text, string entry)
        {
            var negative = text.StartsWith('-');
            var parts = (negative ? text[1..] : text).Split('.');
            if (parts.Length > 2 || !long.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var seconds) || (parts.Length == 2 && (parts[1].Length == 0 || !parts[1].All(char.IsAsciiDigit))))
            {
                throw invalid($"the pax time '{text}' of entry '{entry}' is not a number of seconds");
            }

            var fraction = parts.Length == 2 ? uint.Parse(parts[1].PadRight(9, '0')[..9], CultureInfo.InvariantCulture) : 0;
            return !negative ? (seconds, fraction) : fraction == 0 ? (-seconds, 0) : (-seconds - 1, 1_000_000_000 - fraction);
        }

        /// <summary>
        /// As GNU tar src/list.c (from_header) reads it: octal digits between spaces and NULs; a field of NULs is 0, one of
        /// blanks (after a NUL that older tars left when the field before overflowed) is an error. A sign, which GNU tar
        /// takes for its obsolete base-64, is refused.
        /// </summary>
        private long ParseOctal(ReadOnlySpan<byte> field, string what, string? entry)
        {
            var text = Encoding.ASCII.GetString(field).Trim(' ', '\0');
            if ((field[0] == 0 ? field[1..] : field).IndexOfAnyExcept((byte)' ') < 0 || !text.All(c => c is >= '0' and <= '7'))
            {
                throw invalid($"the {what} field of {(entry is null ? "a header" : $"entry '{entry}'")} is not an octal number: it is no tar archive, or a corrupt one");
            }

            return text.Length == 0 ? 0 : Convert.ToInt64(text, 8);
        }

        /// <summary>Octal, or GNU's base-256 (the high bit of the first byte set) for values octal cannot hold.</summary>
        private long ParseNumber(ReadOnlySpan<byte> field, string what, string entry)
        {
            if ((field[0] & 0x80) == 0)
            {
                return ParseOctal(field, what, entry);
            }

            // GNU tar src/list.c (from_header): after the marker byte, the value in big-endian bytes; 7 of them in the
            // 8-byte uid and gid fields, 11 in size and mtime. Only non-negative values that fit a long are taken.
            var digits = field[1..];
            var high = digits.Length > 8 ? digits[..^8] : [];
            var low = digits.Length > 8 ? digits[^8..] : digits;
            Span<byte> number = stackalloc byte[8];
            number.Clear();
            low.CopyTo(number[(8 - low.Length)..]);
            if (field[0] != 0x80 || high.IndexOfAnyExcept((byte)0) >= 0 || (number[0] & 0x80) != 0)
            {
                throw invalid($"the {what} field of entry '{entry}' is out of range");
            }

            return BinaryPrimitives.ReadInt64BigEndian(number);
        }
    }

    private static string? Text(Dictionary<string, byte[]> pax, string key) => pax.TryGetValue(key, out var value) ? Encoding.UTF8.GetString(value) : null;

    private static string CString(ReadOnlySpan<byte> bytes)
    {
        var end = bytes.IndexOf((byte)0);
        return Encoding.UTF8.GetString(end < 0 ? bytes : bytes[..end]);
    }

    private static int RoundUp(int length) => (length + Block - 1) / Block * Block;

    private static long RoundUp(long length) => (length + Block - 1) / Block * Block;

    private static bool FitsUstar(byte[] name) => name.Length < 100 && Array.TrueForAll(name, b => b is >= 0x20 and < 0x7f);

    private static string Ascii7(string text, int max)
    {
        var kept = new string(text.Select(c => c is >= ' ' and < '\x7f' ? c : '_').ToArray());
        return kept.Length <= max ? kept : kept[..max];
    }

    private static byte[] Ascii(string text) => Encoding.ASCII.GetBytes(text);

    private static string PaxTime(long seconds, uint nanoseconds) =>
        nanoseconds == 0 ? seconds.ToString(CultureInfo.InvariantCulture)
        : seconds >= 0 ? $"{seconds.ToString(CultureInfo.InvariantCulture)}.{nanoseconds:D9}"
        : $"-{(-(seconds + 1)).ToString(CultureInfo.InvariantCulture)}.{1_000_000_000 - nanoseconds:D9}";

    private static void WriteRecord(MemoryStream records, string key, byte[] value)
    {
        var keyBytes = Encoding.UTF8.GetBytes(key);
        var body = keyBytes.Length + value.Length + 3; // " ", "=", "\n"
        var length = body + 1;
        while (length.ToString(CultureInfo.InvariantCulture).Length + body != length)
        {
            length = length.ToString(CultureInfo.InvariantCulture).Length + body;
        }

        records.Write(Encoding.ASCII.GetBytes(length.ToString(CultureInfo.InvariantCulture) + " "));
        records.Write(keyBytes);
        records.WriteByte((byte)'=');
        records.Write(value);
        records.WriteByte((byte)'\n');
    }

    private static void Octal(Span<byte> field, long value)
    {
        var text = Convert.ToString(value, 8).PadLeft(field.Length - 1, '0');
        Encoding.ASCII.GetBytes(text, field);
        field[^1] = 0;
    }

    /// <summary>Octal when it fits, else GNU's base-256 (the pax record holds the value too).</summary>
    private static void Number(Span<byte> field, long value)
    {
        if (value >= 0 && value < (1L << (3 * (field.Length - 1))))
        {
            Octal(field, value);
            return;
        }

        field.Clear();
        field[0] = 0x80;
        BinaryPrimitives.WriteInt64BigEndian(field[^8..], value);
    }
}

/// <summary>A few bytes already read, then the rest of a stream it does not own (disposing this leaves it open).</summary>
internal sealed class PrefixedStream(ReadOnlyMemory<byte> prefix, Stream rest) : Stream
{
    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        if (prefix.IsEmpty)
        {
            return rest.Read(buffer);
        }

        var count = Math.Min(buffer.Length, prefix.Length);
        prefix.Span[..count].CopyTo(buffer);
        prefix = prefix[count..];
        return count;
    }

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}

/// <summary>Reads through a stream, keeping the last 8 bytes read: a gzip member's trailer once the member is read.</summary>
internal sealed class TailStream(Stream inner) : Stream
{
    private readonly byte[] tail = new byte[8];

    public long Read8 { get; private set; }

    /// <summary>The last 8 bytes read, oldest first (fewer when fewer were read).</summary>
    public byte[] Tail => Read8 >= 8 ? [.. tail.AsSpan((int)(Read8 % 8)), .. tail.AsSpan(0, (int)(Read8 % 8))] : tail.AsSpan(0, (int)Read8).ToArray();

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        var read = inner.Read(buffer);
        foreach (var b in buffer[Math.Max(0, read - 8)..read])
        {
            tail[Read8++ % 8] = b;
        }

        return read;
    }

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}

/// <summary>
/// A gzip stream that fails when it ends without its trailer. zlib checks the trailer's CRC-32 and length when they are
/// there (RFC 1952, 2.2: CRC32 and ISIZE end the member), but .NET's GZipStream ends quietly when its input ends before
/// them: a cut archive whose tar part happens to be whole would pass. So when it ends, the last 8 bytes read must be a
/// trailer whose ISIZE is the length read modulo 2^32. This refuses two things gzip -d reads: several members (unless
/// those before the last are empty) and zero bytes after the member; GZipStream tells neither where a member ends.
/// </summary>
internal sealed class GzipEndCheck(GZipStream gzip, TailStream compressed) : Stream
{
    private long length;

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        var read = gzip.Read(buffer);
        length += read;
        if (read == 0 && buffer.Length > 0)
        {
            var tail = compressed.Tail;
            if (tail.Length < 8 || BinaryPrimitives.ReadUInt32LittleEndian(tail.AsSpan(4)) != (uint)length)
            {
                throw new InvalidDataException("the gzip stream ends without its trailer");
            }
        }

        return read;
    }

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            gzip.Dispose();
        }

        base.Dispose(disposing);
    }
}

/// <summary>
/// Hands what is written to a second thread that writes it on, so that compressing runs beside reading the files (as
/// <c>tar -z</c> runs gzip beside tar). At most four chunks wait, so memory does not grow with the data. A failure of
/// the second thread is thrown by the next write or by <see cref="Complete"/>.
/// </summary>
internal sealed class OffThreadWriter : Stream
{
    private readonly BlockingCollection<(byte[] Buffer, int Length)> chunks = new(boundedCapacity: 4);
    private readonly CancellationTokenSource failed = new();
    private readonly Task writer;

    public OffThreadWriter(Stream inner)
    {
        writer = Task.Factory.StartNew(
            () =>
            {
                try
                {
                    foreach (var (buffer, length) in chunks.GetConsumingEnumerable(failed.Token))
                    {
                        inner.Write(buffer, 0, length);
                        ArrayPool<byte>.Shared.Return(buffer);
                    }
                }
                catch
                {
                    failed.Cancel();
                    throw;
                }
            },
            CancellationToken.None,
            TaskCreationOptions.LongRunning,
            TaskScheduler.Default);
    }

    public override bool CanRead => false;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override void Write(byte[] buffer, int offset, int count)
    {
        var copy = ArrayPool<byte>.Shared.Rent(count);
        Buffer.BlockCopy(buffer, offset, copy, 0, count);
        try
        {
            chunks.Add((copy, count), failed.Token);
        }
        catch (OperationCanceledException)
        {
            writer.GetAwaiter().GetResult(); // throws the writer's failure
            throw;
        }
    }

    /// <summary>Waits for every chunk to be written on.</summary>
    public void Complete()
    {
        chunks.CompleteAdding();
        writer.GetAwaiter().GetResult();
    }

    public override void Flush()
    {
    }

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            // Stopped early (a failure or Ctrl+C): the writer stops too, and what it has not written is dropped.
            chunks.CompleteAdding();
            failed.Cancel();
            try
            {
                writer.Wait();
            }
            catch (AggregateException)
            {
                // Its failure was thrown by a write or Complete, or the writer was stopped here.
            }

            chunks.Dispose();
            failed.Dispose();
        }

        base.Dispose(disposing);
    }
}
