namespace Kompox.Operations;

/// <summary>Where an export writes, and whether it may replace a file that is there.</summary>
public sealed record ExportOptions
{
    /// <summary>The file to write: k3s a gzip-compressed tar archive of the disk's files, aks the disk's fixed VHD image.</summary>
    public string Path { get; init; } = string.Empty;

    /// <summary>Replace the file when it exists; without it, an existing file is refused (<c>OutputFileExists</c>).</summary>
    public bool Overwrite { get; init; }
}

/// <summary>
/// Exporting a disk or a snapshot to a file: written beside it under a temporary name and renamed into place once whole,
/// so that a failed or cancelled export leaves no partial file and an existing file is replaced only by a complete one.
/// It holds no lock: it only reads.
/// </summary>
internal static class ExportToFile
{
    public static async Task<FileInfo> RunAsync(OperationScope scope, ExportOptions options, string what, Func<Stream, CancellationToken, Task> write, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(options.Path))
        {
            throw new KompoxException("FileNotFound", ErrorKind.NotFound, $"{scope.Activity}: no file to write to was given") { Remedy = Remedy.ChangeOption("Path") };
        }

        var full = AtomicFile.InExistingDirectory(options.Path);
        if (Directory.Exists(full))
        {
            throw new KompoxException("PathIsDirectory", ErrorKind.InvalidArgument, $"{options.Path} is a directory; name the file to write") { Target = options.Path, Remedy = Remedy.ChangeOption("Path") };
        }

        if (!options.Overwrite && File.Exists(full))
        {
            throw new KompoxException("OutputFileExists", ErrorKind.AlreadyExists, $"{options.Path} exists") { Target = options.Path, Remedy = Remedy.Overwrite };
        }

        var temp = System.IO.Path.Combine(System.IO.Path.GetDirectoryName(full)!, $".{System.IO.Path.GetFileName(full)}.{Guid.NewGuid():N}.partial");
        scope.Detail($"writing {what} of the {scope.Cluster.Provider.Driver} provider {scope.Cluster.Provider.Id} to {full} (through {temp} until it is whole)");
        try
        {
            await using (var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16, useAsync: true))
            {
                await write(file, cancellationToken).ConfigureAwait(false);
                await file.FlushAsync(cancellationToken).ConfigureAwait(false);
            }

            File.Move(temp, full, options.Overwrite);
        }
        finally
        {
            File.Delete(temp);
        }

        var written = new FileInfo(full);
        scope.Step($"wrote {written.Length} bytes to {full}", 99);
        return written;
    }
}
