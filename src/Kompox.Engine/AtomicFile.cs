namespace Kompox;

/// <summary>Writes a file whole or not at all: through a temporary file in the same directory, then a rename.</summary>
public static class AtomicFile
{
    /// <exception cref="KompoxException"><c>FileWriteFailed</c> when the file cannot be written; the old file, if any, is untouched.</exception>
    public static FileInfo Write(string path, string text, bool overwrite)
    {
        var full = InExistingDirectory(path);
        var dir = Path.GetDirectoryName(full)!;
        var temp = Path.Combine(dir, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.tmp");
        try
        {
            File.WriteAllText(temp, text);
            File.Move(temp, full, overwrite);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            File.Delete(temp);
            throw new KompoxException("FileWriteFailed", ErrorKind.PermissionDenied, $"cannot write {path}: {e.Message}", e) { Target = path };
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
