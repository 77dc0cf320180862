using System.Text;

namespace Kompox;

/// <summary>Writes a file whole or not at all: through a temporary file in the same directory, then a rename.</summary>
public static class AtomicFile
{
    /// <summary>0600: only the owner may read or write; the mode of every file Kompox writes that holds secrets.</summary>
    public const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    /// <param name="unixMode">
    /// On Unix, the mode the file is created with (less the umask), e.g. owner read and write only for a file that holds
    /// secrets. The temporary file has it from its creation, so the content is never readable by others, not even briefly.
    /// Null: the default (0666 less the umask). Ignored on Windows.
    /// </param>
    /// <exception cref="KompoxException"><c>FileWriteFailed</c> when the file cannot be written; the old file, if any, is untouched.</exception>
    public static FileInfo Write(string path, string text, bool overwrite, UnixFileMode? unixMode = null)
    {
        var full = InExistingDirectory(path);
        var dir = Path.GetDirectoryName(full)!;
        var temp = Path.Combine(dir, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.tmp");
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (unixMode is { } mode && !OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = mode;
        }

        try
        {
            using (var writer = new StreamWriter(temp, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false), options))
            {
                writer.Write(text);
            }

            File.Move(temp, full, overwrite);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            File.Delete(temp);
            throw new KompoxException("FileWriteFailed", ErrorKind.PermissionDenied, $"cannot write {path} ({(e is UnauthorizedAccessException ? "access denied" : "I/O error")})", e) { Target = path };
        }

        return new FileInfo(full);
    }

    /// <summary>The full path of <paramref name="path"/>, after checking that its directory exists.</summary>
    public static string InExistingDirectory(string path)
    {
        var full = Path.GetFullPath(path);
        var dir = Path.GetDirectoryName(full)!;
        if (!Directory.Exists(dir))
        {
            throw new KompoxException("DirectoryNotFound", ErrorKind.NotFound, $"{path}: directory {dir} does not exist") { Target = path };
        }

        return full;
    }
}
