namespace Kompox.Conversion;

/// <summary>Where compose mounts land on the app's one disk: every mount is a <c>subPath</c> of it.</summary>
internal static class MountPaths
{
    /// <summary>
    /// Anonymous volumes live under this directory of the disk, per service and target, so that their data
    /// survives a Pod restart as Docker keeps an anonymous volume across <c>compose up</c>. Compose names start with a
    /// letter or digit, so no named volume or bind can collide with it.
    /// </summary>
    public const string AnonymousRoot = ".anonymous";

    /// <summary>A relative bind source (<c>./conf</c>, <c>./a/../b</c>) as a sub-directory of the disk, or a reason it cannot be one.</summary>
    public static string? Bind(string source, out string? problem)
    {
        if (IsAbsolute(source))
        {
            problem = $"'{source}' is an absolute bind mount; only paths inside the project directory (./...) can live on the app's disk";
            return null;
        }

        var normalized = Normalize(source);
        if (normalized is null)
        {
            problem = $"'{source}' climbs out of the project directory with '..'; only paths inside it can live on the app's disk";
            return null;
        }

        if (normalized.Length == 0)
        {
            problem = $"'{source}' binds the project directory itself, which would be the whole disk; bind a sub-directory such as ./data";
            return null;
        }

        problem = null;
        return normalized;
    }

    /// <summary>A named volume's directory, optionally narrowed by the long syntax <c>volume.subpath</c>.</summary>
    public static string? Volume(string name, string? subPath, out string? problem)
    {
        problem = null;
        if (string.IsNullOrEmpty(subPath))
        {
            return name;
        }

        var normalized = IsAbsolute(subPath) ? null : Normalize(subPath);
        if (normalized is null)
        {
            problem = $"subpath '{subPath}' must stay inside volume '{name}' (relative, no '..' above it)";
            return null;
        }

        return normalized.Length == 0 ? name : $"{name}/{normalized}";
    }

    public static string Anonymous(string containerName, string target)
    {
        var inside = Normalize(target.TrimStart('/')) ?? string.Empty;
        return inside.Length == 0 ? $"{AnonymousRoot}/{containerName}" : $"{AnonymousRoot}/{containerName}/{inside}";
    }

    private static bool IsAbsolute(string path) =>
        path.StartsWith('/') || path.StartsWith('\\') || path.StartsWith('~') || (path.Length >= 2 && char.IsAsciiLetter(path[0]) && path[1] == ':');

    // Resolves '.' and '..' without touching the file system; null when '..' climbs above the start.
    private static string? Normalize(string path)
    {
        var parts = new List<string>();
        foreach (var part in path.Replace('\\', '/').Split('/'))
        {
            if (part is "" or ".")
            {
                continue;
            }

            if (part == "..")
            {
                if (parts.Count == 0)
                {
                    return null;
                }

                parts.RemoveAt(parts.Count - 1);
                continue;
            }

            parts.Add(part);
        }

        return string.Join('/', parts);
    }
}
