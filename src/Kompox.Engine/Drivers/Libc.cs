using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;
using Microsoft.Win32.SafeHandles;

namespace Kompox.Drivers;

/// <summary>
/// The Linux calls a k3s disk archive needs and .NET does not offer: owners, extended attributes and times of a path
/// itself (never of what a link points to), hard links, and the data/hole map of a sparse file. Every call throws an
/// <see cref="IOException"/> naming the path and the errno's text when it fails.
/// </summary>
internal static class Libc
{
    private const int AtFdCwd = -100;
    private const int AtSymlinkNoFollow = 0x100;
    private const uint StatxBasicStats = 0x7ff;
    private const int SeekData = 3;
    private const int SeekHole = 4;
    private const int ENXIO = 6;
    private const int ENODATA = 61;
    private const int ERANGE = 34;
    private const int ENOENT = 2;
    private const int EEXIST = 17;
    private const int ENOTDIR = 20;
    private const int ELOOP = 40;
    private const int ORdOnly = 0;
    private const int ODirectory = 0x10000;
    private const int ONoFollow = 0x20000;
    private const int OCloExec = 0x80000;
    private const uint RenameNoReplaceFlag = 1;

    /// <summary>The k3s disks are directories on a Linux node; elsewhere, nothing here can keep what a disk holds.</summary>
    public static void RequireLinux(string activity)
    {
        if (!OperatingSystem.IsLinux())
        {
            throw new KompoxException("PlatformUnavailable", ErrorKind.Conflict, $"{activity}: a k3s disk archive is read and written on the Linux node that holds the disks, not on {RuntimeInformation.OSDescription}");
        }
    }

    /// <summary>What lstat says of a path: the file type and permission bits in <see cref="Mode"/> (S_IFMT | 07777).</summary>
    public readonly record struct Stat(uint Mode, uint Uid, uint Gid, ulong Inode, uint DevMajor, uint DevMinor, uint Links, long Size, long Blocks, long MtimeSeconds, uint MtimeNanoseconds)
    {
        public const uint TypeMask = 0xF000;
        public const uint Directory = 0x4000;
        public const uint Regular = 0x8000;
        public const uint Symlink = 0xA000;

        public uint Type => Mode & TypeMask;

        public uint Permissions => Mode & 0xFFF;
    }

    /// <summary>lstat of <paramref name="path"/>, or null when nothing is there.</summary>
    public static Stat? LStat(string path)
    {
        // statx has one layout on every architecture, unlike struct stat.
        var buffer = new byte[256];
        if (statx(AtFdCwd, path, AtSymlinkNoFollow, StatxBasicStats, buffer) != 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            return errno == 2 ? null : throw Fail("stat", path, errno);
        }

        var b = buffer.AsSpan();
        return new Stat(
            Mode: BinaryPrimitives.ReadUInt16LittleEndian(b[28..]),
            Uid: BinaryPrimitives.ReadUInt32LittleEndian(b[20..]),
            Gid: BinaryPrimitives.ReadUInt32LittleEndian(b[24..]),
            Inode: BinaryPrimitives.ReadUInt64LittleEndian(b[32..]),
            DevMajor: BinaryPrimitives.ReadUInt32LittleEndian(b[136..]),
            DevMinor: BinaryPrimitives.ReadUInt32LittleEndian(b[140..]),
            Links: BinaryPrimitives.ReadUInt32LittleEndian(b[16..]),
            Size: (long)BinaryPrimitives.ReadUInt64LittleEndian(b[40..]),
            Blocks: (long)BinaryPrimitives.ReadUInt64LittleEndian(b[48..]),
            MtimeSeconds: BinaryPrimitives.ReadInt64LittleEndian(b[112..]),
            MtimeNanoseconds: BinaryPrimitives.ReadUInt32LittleEndian(b[120..]));
    }

    public static void LChown(string path, uint uid, uint gid) => Check(lchown(path, uid, gid), "chown", path);

    public static void Chmod(string path, uint mode) => Check(chmod(path, mode), "chmod", path);

    /// <summary>Sets the modification time of the path itself (a link's own time, not its target's); the access time too.</summary>
    public static void SetModificationTime(string path, long seconds, uint nanoseconds)
    {
        var times = new Timespec[] { new(seconds, nanoseconds), new(seconds, nanoseconds) };
        Check(utimensat(AtFdCwd, path, times, AtSymlinkNoFollow), "utimensat", path);
    }

    public static void Link(string existing, string path) => Check(link(existing, path), "link", path);

    /// <summary>
    /// Opens the directory <paramref name="name"/> of the directory <paramref name="parent"/> (a descriptor, or
    /// <see cref="AtFdCwd"/> for a path) without following a link (O_NOFOLLOW): a link or a file there is no directory
    /// to write into. Null when nothing is there, or something that is no directory.
    /// </summary>
    public static SafeFileHandle? OpenDirectory(SafeFileHandle? parent, string name)
    {
        var fd = openat(Fd(parent), name, ORdOnly | ODirectory | ONoFollow | OCloExec);
        if (fd >= 0)
        {
            return new SafeFileHandle(fd, ownsHandle: true);
        }

        var errno = Marshal.GetLastPInvokeError();
        return errno is ENOENT or ENOTDIR or ELOOP ? null : throw Fail("open", name, errno);
    }

    /// <summary>Whether anything (a link included, never followed) is at <paramref name="name"/> in <paramref name="parent"/>.</summary>
    public static bool Exists(SafeFileHandle parent, string name)
    {
        var buffer = new byte[256];
        if (statx(Fd(parent), name, AtSymlinkNoFollow, StatxBasicStats, buffer) == 0)
        {
            return true;
        }

        var errno = Marshal.GetLastPInvokeError();
        return errno == ENOENT ? false : throw Fail("stat", name, errno);
    }

    /// <summary>Makes the directory <paramref name="name"/> in <paramref name="parent"/>; false when something is already there.</summary>
    public static bool MakeDirectory(SafeFileHandle parent, string name, uint mode)
    {
        if (mkdirat(Fd(parent), name, mode) == 0)
        {
            return true;
        }

        var errno = Marshal.GetLastPInvokeError();
        return errno == EEXIST ? false : throw Fail("mkdir", name, errno);
    }

    /// <summary>
    /// Renames the path <paramref name="from"/> to <paramref name="name"/> in the directory <paramref name="parent"/> in
    /// one step, never over anything there (renameat2 RENAME_NOREPLACE): false when something is. A file is there whole
    /// or not at all; a directory arrives with all it holds.
    /// </summary>
    public static bool RenameNoReplace(string from, SafeFileHandle parent, string name)
    {
        if (renameat2(AtFdCwd, from, Fd(parent), name, RenameNoReplaceFlag) == 0)
        {
            return true;
        }

        var errno = Marshal.GetLastPInvokeError();
        return errno == EEXIST ? false : throw Fail("rename", from, errno);
    }

    private static int Fd(SafeFileHandle? handle) => handle is null ? AtFdCwd : (int)handle.DangerousGetHandle();

    /// <summary>The extended attributes of the path itself, by name.</summary>
    public static List<KeyValuePair<string, byte[]>> GetXattrs(string path)
    {
        var result = new List<KeyValuePair<string, byte[]>>();
        var names = Sized(_ => llistxattr(path, null, 0), (buffer, size) => llistxattr(path, buffer, size), "listxattr", path);
        foreach (var name in Encoding.UTF8.GetString(names).Split('\0', StringSplitOptions.RemoveEmptyEntries))
        {
            try
            {
                var value = Sized(_ => lgetxattr(path, name, null, 0), (buffer, size) => lgetxattr(path, name, buffer, size), "getxattr", path);
                result.Add(new(name, value));
            }
            catch (IOException e) when (e.HResult == ENODATA)
            {
                // Removed between the listing and the read: there is nothing to keep.
            }
        }

        return result;
    }

    public static void SetXattr(string path, string name, byte[] value)
    {
        if (lsetxattr(path, name, value, value.Length, 0) != 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            throw new IOException($"cannot set the extended attribute {name} of {path}: {Marshal.GetPInvokeErrorMessage(errno)}", errno);
        }
    }

    /// <summary>
    /// The parts of an open file that hold data, as (offset, length), in order; holes read as zeros and are left out. A
    /// file system that does not track holes reports the whole file as data.
    /// </summary>
    public static List<(long Offset, long Length)> DataSegments(SafeFileHandle file, long size, string path)
    {
        var segments = new List<(long, long)>();
        var fd = (int)file.DangerousGetHandle();
        for (long at = 0; at < size;)
        {
            var data = lseek(fd, at, SeekData);
            if (data < 0)
            {
                var errno = Marshal.GetLastPInvokeError();
                if (errno == ENXIO)
                {
                    break; // only a hole up to the end
                }

                throw Fail("lseek", path, errno);
            }

            if (data >= size)
            {
                break;
            }

            var hole = lseek(fd, data, SeekHole);
            if (hole < 0)
            {
                throw Fail("lseek", path, Marshal.GetLastPInvokeError());
            }

            hole = Math.Min(hole, size);
            segments.Add((data, hole - data));
            at = hole;
        }

        return segments;
    }

    private static byte[] Sized(Func<int, long> probe, Func<byte[], int, long> read, string call, string path)
    {
        for (var attempt = 0; ; attempt++)
        {
            var size = probe(0);
            if (size < 0)
            {
                var errno = Marshal.GetLastPInvokeError();
                throw errno == ENODATA ? new IOException(path, ENODATA) : Fail(call, path, errno);
            }

            if (size == 0)
            {
                return [];
            }

            var buffer = new byte[size];
            var got = read(buffer, buffer.Length);
            if (got >= 0)
            {
                return buffer.AsSpan(0, (int)got).ToArray();
            }

            var again = Marshal.GetLastPInvokeError();
            if (again != ERANGE || attempt > 3)
            {
                throw again == ENODATA ? new IOException(path, ENODATA) : Fail(call, path, again);
            }
        }
    }

    private static void Check(int result, string call, string path)
    {
        if (result != 0)
        {
            throw Fail(call, path, Marshal.GetLastPInvokeError());
        }
    }

    private static IOException Fail(string call, string path, int errno) =>
        new($"{call} {path}: {Marshal.GetPInvokeErrorMessage(errno)}", errno);

    [StructLayout(LayoutKind.Sequential)]
    private readonly record struct Timespec(long Seconds, long Nanoseconds);

    [DllImport("libc", SetLastError = true)]
    private static extern int statx(int dirfd, [MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags, uint mask, byte[] buffer);

    [DllImport("libc", SetLastError = true)]
    private static extern int lchown([MarshalAs(UnmanagedType.LPUTF8Str)] string path, uint owner, uint group);

    [DllImport("libc", SetLastError = true)]
    private static extern int chmod([MarshalAs(UnmanagedType.LPUTF8Str)] string path, uint mode);

    [DllImport("libc", SetLastError = true)]
    private static extern int utimensat(int dirfd, [MarshalAs(UnmanagedType.LPUTF8Str)] string path, Timespec[] times, int flags);

    [DllImport("libc", SetLastError = true)]
    private static extern int link([MarshalAs(UnmanagedType.LPUTF8Str)] string existing, [MarshalAs(UnmanagedType.LPUTF8Str)] string path);

    [DllImport("libc", SetLastError = true)]
    private static extern nint llistxattr([MarshalAs(UnmanagedType.LPUTF8Str)] string path, byte[]? list, nint size);

    [DllImport("libc", SetLastError = true)]
    private static extern nint lgetxattr([MarshalAs(UnmanagedType.LPUTF8Str)] string path, [MarshalAs(UnmanagedType.LPUTF8Str)] string name, byte[]? value, nint size);

    [DllImport("libc", SetLastError = true)]
    private static extern int lsetxattr([MarshalAs(UnmanagedType.LPUTF8Str)] string path, [MarshalAs(UnmanagedType.LPUTF8Str)] string name, byte[] value, nint size, int flags);

    [DllImport("libc", SetLastError = true)]
    private static extern long lseek(int fd, long offset, int whence);

    [DllImport("libc", SetLastError = true)]
    private static extern int openat(int dirfd, [MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags);

    [DllImport("libc", SetLastError = true)]
    private static extern int mkdirat(int dirfd, [MarshalAs(UnmanagedType.LPUTF8Str)] string path, uint mode);

    [DllImport("libc", SetLastError = true)]
    private static extern int renameat2(int olddirfd, [MarshalAs(UnmanagedType.LPUTF8Str)] string oldpath, int newdirfd, [MarshalAs(UnmanagedType.LPUTF8Str)] string newpath, uint flags);
}
