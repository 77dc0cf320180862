using System.Net.Http.Headers;
using Kompox.Drivers;

namespace Kompox.Operations.Remote;

/// <summary>The disk operations through a Kompox service; uploads and downloads stream in constant memory.</summary>
internal sealed class RemoteDiskOperations(ServiceClient client) : IDiskOperations
{
    public Task<IReadOnlyList<DiskInfo>> ListAsync(string appId, IProgress<OperationProgress>? progress, CancellationToken cancellationToken) =>
        client.SendAsync<IReadOnlyList<DiskInfo>>(HttpMethod.Get, RemoteAppOperations.Path(appId, "disks"), null, cancellationToken);

    public Task<DiskSwitchResult> SwitchAsync(string appId, string diskId, TimeSpan? lockWait, IProgress<OperationProgress>? progress, CancellationToken cancellationToken) =>
        client.RunAsync<DiskSwitchResult>($"Switching app {ServiceClient.AppName(appId)} to disk {diskId}", HttpMethod.Post, RemoteAppOperations.Path(appId, $"disks/{ServiceClient.Segment(diskId)}/switch"), (object?)null, progress, cancellationToken);

    public Task<AppStatus> MoveAsync(string appId, string destinationAppId, MoveOptions options, IProgress<OperationProgress>? progress, CancellationToken cancellationToken) =>
        throw RemoteAppOperations.NotOffered("moving an app to another cluster", appId);

    public Task<DiskInfo> CreateAsync(string appId, TimeSpan? lockWait, IProgress<OperationProgress>? progress, CancellationToken cancellationToken) =>
        client.RunAsync<DiskInfo>($"Creating a disk of app {ServiceClient.AppName(appId)}", HttpMethod.Post, RemoteAppOperations.Path(appId, "disks"), (object?)null, progress, cancellationToken);

    public Task<DiskInfo> DeleteAsync(string appId, string diskId, TimeSpan? lockWait, IProgress<OperationProgress>? progress, CancellationToken cancellationToken) =>
        client.RunAsync<DiskInfo>($"Deleting disk {diskId}", HttpMethod.Delete, RemoteAppOperations.Path(appId, $"disks/{ServiceClient.Segment(diskId)}"), (object?)null, progress, cancellationToken);

    /// <summary>The file is sent as the request body, read as it is sent (never whole in memory), its bytes reported.</summary>
    public async Task<DiskInfo> ImportAsync(string appId, ImportOptions options, IProgress<OperationProgress>? progress, CancellationToken cancellationToken)
    {
        var full = Path.GetFullPath(string.IsNullOrWhiteSpace(options.Path) ? "." : options.Path);
        if (!File.Exists(full))
        {
            throw Directory.Exists(full)
                ? new KompoxException("PathIsDirectory", ErrorKind.InvalidArgument, $"{options.Path} is a directory; name the archive or image file to import") { Target = options.Path, Remedy = Remedy.ChangeOption("Path") }
                : new KompoxException("FileNotFound", ErrorKind.NotFound, $"{options.Path} does not exist") { Target = options.Path, Remedy = Remedy.ChangeOption("Path") };
        }

        var activity = $"Importing {full} as a disk of app {ServiceClient.AppName(appId)}";
        await using var file = new FileStream(full, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, useAsync: true);
        var body = progress is null ? (Stream)file : new ProgressStream(file, file.Length, activity, "uploading", progress);
        var content = new StreamContent(body, 1 << 16);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        content.Headers.ContentLength = file.Length;
        return await client.RunAsync<DiskInfo>(activity, HttpMethod.Post, RemoteAppOperations.Path(appId, "disks/import"), content, progress, cancellationToken).ConfigureAwait(false);
    }

    public Task<DiskInfo> AdoptAsync(string appId, string resourceId, TimeSpan? lockWait, IProgress<OperationProgress>? progress, CancellationToken cancellationToken) =>
        throw RemoteAppOperations.NotOffered("adopting a managed disk", appId, "ResourceId");

    public Task<FileInfo> ExportAsync(string appId, string? diskId, ExportOptions options, IProgress<OperationProgress>? progress, CancellationToken cancellationToken) =>
        client.DownloadAsync(
            $"Exporting {(diskId is null ? "the current disk" : $"disk {diskId}")} of app {ServiceClient.AppName(appId)}",
            RemoteAppOperations.Path(appId, $"disks/{ServiceClient.Segment(diskId ?? "current")}/export"),
            options,
            progress,
            cancellationToken);
}
