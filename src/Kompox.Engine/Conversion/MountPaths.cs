using Kompox.Compose;
using Kompox.Drivers;

namespace Kompox.Conversion;

/// <summary>
/// The app disk's layout, version <see cref="LayoutVersion"/>: where each compose mount lives on the app's one disk, as
/// the <c>subPath</c> of its mount. Export, import and moving a disk to another cluster read disks by this contract
/// (docs/en-US/about_Kompox_DiskLayout.md); a change that moves any directory is a new version.
/// <list type="bullet">
/// <item><c>volumes/&lt;name&gt;[/&lt;volume.subpath&gt;]</c>: a named volume;</item>
/// <item><c>binds/&lt;path&gt;</c>: a relative bind, its path normalized (no <c>.</c>, no <c>..</c>, no empty parts);</item>
/// <item><c>anonymous/&lt;container&gt;/&lt;target&gt;</c>: an anonymous volume, by container name and mount target.</item>
/// </list>
/// Three roots keep the kinds apart: volume <c>db</c> and bind <c>./db/init</c> can never share a directory.
/// </summary>
internal static class MountPaths
{
    /// <summary>Recorded on the app's PersistentVolume (<see cref="KompoxMetadata.DiskLayoutAnnotation"/>).</summary>
    public const string LayoutVersion = "1";

    public const string VolumesRoot = "volumes";
    public const string BindsRoot = "binds";
    public const string AnonymousRoot = "anonymous";

    /// <summary>A relative bind source (<c>./conf</c>, <c>./a/../b</c>) as a directory of the disk, or a reason it cannot be one.</summary>
    public static string? Bind(string source, out string? problem)
    {
        if (IsAbsolute(source))
        {
            problem = $"'{source}' is an absolute bind mount; only paths inside the project directory (./...) can live on the app's disk";
            return null;
        }

        if (Unrepresentable(source) is { } reason)
        {
            problem = $"bind path {reason}";
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
        return $"{BindsRoot}/{normalized}";
    }

    /// <summary>
    /// The relative binds of directories the services mount, once per directory of the disk: what Docker shows from the
    /// project directory and a deploy copies onto a disk (a bound single file travels in a ConfigMap instead, FileBinds).
    /// </summary>
    public static IReadOnlyList<SeedSource> Seeds(ComposeProject project) =>
        project.Services.SelectMany(s => s.Volumes)
            .Where(m => m.Kind == MountKind.Bind && m.FromService is null && m.Source is { } source && source.StartsWith('.') && m.SourceFullPath is not null)
            .Select(m => (Mount: m, DiskPath: Bind(m.Source!, out _)))
            .Where(b => b.DiskPath is not null)
            .DistinctBy(b => b.DiskPath, StringComparer.Ordinal)
            .OrderBy(b => b.DiskPath, StringComparer.Ordinal)
            .Select(b => new SeedSource(b.Mount.Source!, b.Mount.SourceFullPath!, b.DiskPath!))
            .ToList();

    /// <summary>A named volume's directory, optionally narrowed by the long syntax <c>volume.subpath</c>.</summary>
    public static string? Volume(string name, string? subPath, out string? problem)
    {
        problem = null;
        if (string.IsNullOrEmpty(subPath))
        {
            return $"{VolumesRoot}/{name}";
        }

        if (Unrepresentable(subPath) is { } reason)
        {
            problem = $"subpath {reason}";
            return null;
        }

        var normalized = IsAbsolute(subPath) ? null : Normalize(subPath);
        if (normalized is null)
        {
            problem = $"subpath '{subPath}' must stay inside volume '{name}' (relative, no '..' above it)";
            return null;
        }

        return normalized.Length == 0 ? $"{VolumesRoot}/{name}" : $"{VolumesRoot}/{name}/{normalized}";
    }

    /// <summary>
    /// An anonymous volume's directory, per container and target, so that its data survives a Pod restart as Docker keeps
    /// an anonymous volume across <c>compose up</c>.
    /// </summary>
    public static string? Anonymous(string containerName, string target, out string? problem)
    {
        if (Unrepresentable(target) is { } reason)
        {
            problem = $"anonymous volume target {reason}";
            return null;
        }

        problem = null;
        var inside = Normalize(target.TrimStart('/')) ?? string.Empty;
        return inside.Length == 0 ? $"{AnonymousRoot}/{containerName}" : $"{AnonymousRoot}/{containerName}/{inside}";
    }

    // A backslash is a separator on Windows and a file name character on Linux: the same compose file would name two
    // different directories. Control characters cannot be written safely in the manifest nor shown in a listing.
    private static string? Unrepresentable(string path) =>
        path.Contains('\\') ? $"'{path}' contains a backslash; write paths with '/'"
        : path.Any(char.IsControl) ? "contains a control character, which the disk layout does not allow in a directory name"
        : null;

    private static bool IsAbsolute(string path) =>
        path.StartsWith('/') || path.StartsWith('~') || (path.Length >= 2 && char.IsAsciiLetter(path[0]) && path[1] == ':');

    // Resolves '.' and '..' without touching the file system; null when '..' climbs above the start.
    private static string? Normalize(string path)
    {
        var parts = new List<string>();
        foreach (var part in path.Split('/'))
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
