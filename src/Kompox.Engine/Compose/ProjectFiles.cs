namespace Kompox.Compose;

/// <summary>
/// The only way the loader reaches files: every path the compose file names (<c>.env</c>, <c>env_file</c>,
/// config and secret files, bind sources) is resolved here, symbolic link by symbolic link, and refused when
/// it ends outside the project directory, before anything outside is touched (not even an existence check).
/// </summary>
internal sealed class ProjectFiles
{
    // Linux gives up after 40 links (ELOOP); a loop of links ends the same way here.
    private const int MaxLinkHops = 40;

    private static readonly StringComparison PathComparison = OperatingSystem.IsWindows() ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal;

    private readonly string? root;

    /// <param name="projectDir">The compose file's directory, or null when the compose text has no file (then nothing can be read).</param>
    public ProjectFiles(string? projectDir)
    {
        if (projectDir is not null)
        {
            root = RealPath(Path.GetFullPath(projectDir), null);
        }
    }

    /// <summary>The project directory with its symbolic links resolved, or null when there is none.</summary>
    public string? Root => root;

    /// <summary>Resolves <paramref name="written"/> inside the project directory.</summary>
    /// <returns>The real path to open (no symbolic link left in it), or null with <paramref name="problem"/> saying why it is refused.</returns>
    public string? Resolve(string written, out string? problem)
    {
        problem = null;
        if (root is null)
        {
            problem = $"'{written}' cannot be read: the compose file has no directory, so it can name no file";
            return null;
        }

        if (written.Length == 0)
        {
            problem = "the path is empty";
            return null;
        }

        if (Path.IsPathRooted(written) || written.StartsWith('~'))
        {
            problem = $"'{written}' is an absolute path, outside the compose file's directory; only files inside it are read (write it relative, like ./{Path.GetFileName(written)})";
            return null;
        }

        var lexical = Path.GetFullPath(Path.Combine(root, written));
        if (!IsInside(lexical, root))
        {
            problem = $"'{written}' is outside the compose file's directory; only files inside it are read";
            return null;
        }

        var real = RealPath(lexical, root);
        if (real is null)
        {
            problem = $"'{written}' leads outside the compose file's directory through a symbolic link; only files inside it are read";
        }

        return real;
    }

    /// <summary>Reads a resolved file byte for byte.</summary>
    /// <returns>The bytes, or null with <paramref name="problem"/> when it is missing, a directory, larger than <paramref name="maxBytes"/> or unreadable.</returns>
    public static byte[]? ReadBytes(string real, string written, long maxBytes, out string? problem)
    {
        problem = null;
        try
        {
            if (Directory.Exists(real))
            {
                problem = $"'{written}' is a directory, not a file";
                return null;
            }

            var info = new FileInfo(real);
            if (!info.Exists)
            {
                problem = $"'{written}' is not found in the compose file's directory";
                return null;
            }

            if (info.Length > maxBytes)
            {
                problem = $"'{written}' is {info.Length:N0} bytes; at most {maxBytes:N0} bytes fit in one ConfigMap or Secret";
                return null;
            }

            return File.ReadAllBytes(real);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            problem = $"'{written}' cannot be read: {e.GetType().Name}";
            return null;
        }
    }

    /// <summary>Whether <paramref name="full"/>, a full path, is <paramref name="root"/> or below it, by its text alone.</summary>
    public static bool IsInside(string full, string root) =>
        string.Equals(full, root, PathComparison)
        || full.StartsWith(Path.TrimEndingDirectorySeparator(root) + Path.DirectorySeparatorChar, PathComparison);

    // The path with every symbolic link replaced by its target. With a containment root, the walk starts at the
    // root and returns null as soon as a link points outside it, so nothing outside is ever looked at.
    private static string? RealPath(string full, string? containedIn)
    {
        var start = containedIn ?? Path.GetPathRoot(full)!;
        var remaining = new Queue<string>(Path.GetRelativePath(start, full).Split(Path.DirectorySeparatorChar, StringSplitOptions.RemoveEmptyEntries).Where(p => p != "."));
        var current = start;
        var hops = 0;
        while (remaining.TryDequeue(out var part))
        {
            var next = Path.Combine(current, part);
            string? target;
            try
            {
                target = new FileInfo(next).LinkTarget;
            }
            catch (IOException)
            {
                target = null;
            }

            if (target is null)
            {
                if (!File.Exists(next) && !Directory.Exists(next))
                {
                    // Nothing exists here, so no link can follow: the rest is kept as written.
                    return Path.Join([next, .. remaining]);
                }

                current = next;
                continue;
            }

            if (++hops > MaxLinkHops)
            {
                return null;
            }

            var resolved = Path.GetFullPath(Path.Combine(current, target));
            if (containedIn is not null && !IsInside(resolved, containedIn))
            {
                return null;
            }

            var restart = containedIn ?? Path.GetPathRoot(resolved)!;
            remaining = new Queue<string>(Path.GetRelativePath(restart, resolved).Split(Path.DirectorySeparatorChar, StringSplitOptions.RemoveEmptyEntries)
                .Where(p => p != ".").Concat(remaining));
            current = restart;
        }

        return current;
    }
}
