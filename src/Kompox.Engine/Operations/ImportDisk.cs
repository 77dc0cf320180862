using Kompox.Drivers;

namespace Kompox.Operations;

/// <summary>What file to import as a new disk.</summary>
public sealed record ImportOptions
{
    /// <summary>The file: on k3s a <c>.tar</c> or <c>.tar.gz</c> archive of the disk's files, on aks a fixed VHD image.</summary>
    public string Path { get; init; } = string.Empty;

    /// <summary>How long to wait for another operation holding the app; null for the context's default.</summary>
    public TimeSpan? LockWait { get; init; }
}

/// <summary>
/// Importing a disk: a file becomes a new disk of the app, or (aks) an existing managed disk becomes the app's. Never
/// over a disk the app has, and the current disk stays current. It holds the app's lock (issue 14 item 4): what the
/// app's disks are changes. A file the driver refuses leaves no disk behind (the runtimes remove what they made).
/// </summary>
internal static class ImportDisk
{
    public static async Task<DiskInfo> FromFileAsync(OperationScope scope, ImportOptions options, CancellationToken cancellationToken)
    {
        var full = System.IO.Path.GetFullPath(string.IsNullOrWhiteSpace(options.Path) ? "." : options.Path);
        if (!File.Exists(full))
        {
            throw Directory.Exists(full)
                ? new KompoxException("PathIsDirectory", ErrorKind.InvalidArgument, $"{options.Path} is a directory; name the archive or image file to import") { Target = options.Path, Remedy = Remedy.ChangeOption("Path") }
                : new KompoxException("FileNotFound", ErrorKind.NotFound, $"{options.Path} does not exist") { Target = options.Path, Remedy = Remedy.ChangeOption("Path") };
        }

        var runtime = await scope.RuntimeAsync(cancellationToken).ConfigureAwait(false);
        scope.Detail($"reading {full} into a new disk of the {scope.Cluster.Provider.Driver} provider {scope.Cluster.Provider.Id}");
        await using var file = new FileStream(full, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, useAsync: true);
        var disk = await runtime.ImportDiskAsync(scope.App, file, scope.Progress, cancellationToken).ConfigureAwait(false);
        scope.Step($"imported as disk {disk.Id}", 99);
        return await MarkSeededAsync(scope, runtime, disk, cancellationToken).ConfigureAwait(false);
    }

    public static async Task<DiskInfo> AdoptAsync(OperationScope scope, string resourceId, CancellationToken cancellationToken)
    {
        var runtime = await scope.RuntimeAsync(cancellationToken).ConfigureAwait(false);
        scope.Detail($"tagging {resourceId} as a disk of app {scope.App.Id}");
        var disk = await runtime.AdoptDiskAsync(scope.App, resourceId, scope.Progress, cancellationToken).ConfigureAwait(false);
        scope.Step($"adopted disk {disk.Id}", 99);
        return await MarkSeededAsync(scope, runtime, disk, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// An imported or adopted disk holds the app's data, as a restored one does (RestoreSnapshot): marked seeded, so that
    /// its first deploy copies no bound directory over it (a file the app had deleted would come back). -SeedBinds still can.
    /// </summary>
    private static async Task<DiskInfo> MarkSeededAsync(OperationScope scope, IDriverRuntime runtime, DiskInfo disk, CancellationToken cancellationToken)
    {
        if (!disk.Seeded)
        {
            await runtime.MarkSeededAsync(scope.App, disk.Id, cancellationToken).ConfigureAwait(false);
        }

        return disk with { Seeded = true };
    }
}
