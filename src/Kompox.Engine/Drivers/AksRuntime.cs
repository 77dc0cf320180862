using System.Buffers;
using System.Buffers.Binary;
using System.Globalization;
using Azure;
using Azure.Core;
using Azure.Core.Pipeline;
using Azure.ResourceManager;
using Azure.ResourceManager.Compute;
using Azure.ResourceManager.Compute.Models;
using Azure.ResourceManager.Resources;
using Kompox.Model;

namespace Kompox.Drivers;

/// <summary>
/// Azure managed disks and incremental snapshots of apps, in each app's resource group (<c>AZURE_RESOURCE_GROUP_NAME</c>),
/// found by their <c>kompox-app</c> tag. A disk's and a snapshot's id is its resource id. Export and import move the
/// disk's image as Azure serves it through a SAS grant: a fixed VHD, the disk's bytes followed by a 512-byte footer.
/// </summary>
public sealed class AksRuntime : IDriverRuntime, ISeedsThroughCluster
{
    public const string AppTag = "kompox-app";
    public const string CreatedAtTag = "kompox-created-at";

    /// <summary>On the app's current disk: since when it is (<see cref="IDriverRuntime.MarkCurrentAsync"/>), so that it is known while the cluster is down.</summary>
    public const string CurrentTag = "kompox-disk-current";

    /// <summary>The most one Put Page request may carry.</summary>
    public const int PageWriteBytes = 4 << 20;

    private const int VhdFooterBytes = 512;
    private const long MinUploadBytes = (20L << 20) + VhdFooterBytes;
    private const long MaxUploadBytes = (32L << 40) + VhdFooterBytes;
    private const int SasSeconds = 3600 * 24;
    private const string BlobVersion = "2021-08-06";

    private readonly ArmClient arm;
    private readonly HttpPipeline blobs;
    private readonly HttpPipeline management;
    private readonly Uri endpoint;
    private readonly string subscriptionId;
    private readonly string? providerLocation;
    private readonly TimeProvider timeProvider;

    /// <summary>The credential the runtime signs in with; disposed with the runtime's factory when it is disposable.</summary>
    internal TokenCredential Credential { get; }

    public AksRuntime(KompoxProvider provider, AzureConnector azure, TimeProvider timeProvider)
    {
        subscriptionId = provider.Settings.GetValueOrDefault("AZURE_SUBSCRIPTION_ID")
            ?? throw new KompoxException("InvalidSetting", ErrorKind.InvalidArgument, $"provider {provider.Id} has no setting AZURE_SUBSCRIPTION_ID, which disk operations need") { Target = "AZURE_SUBSCRIPTION_ID" };
        providerLocation = provider.Settings.GetValueOrDefault("AZURE_LOCATION");
        (arm, blobs, Credential, management, endpoint) = azure.Connect(provider, subscriptionId);
        this.timeProvider = timeProvider;
    }

    public Task<IReadOnlyList<DiskInfo>> ListDisksAsync(KompoxApp app, CancellationToken cancellationToken) =>
        ErrorTranslation.Guard($"listing disks of app {app.Id} in resource group {ResourceGroupOf(app)}", cancellationToken, async () =>
        {
            var disks = new List<DiskInfo>();
            await foreach (var disk in Group(app).GetManagedDisks().GetAllAsync(cancellationToken).ConfigureAwait(false))
            {
                if (IsApps(app, disk.Data.Tags))
                {
                    disks.Add(ToDisk(disk.Data));
                }
            }

            IReadOnlyList<DiskInfo> sorted = disks.OrderByDescending(d => d.CreatedAt).ThenByDescending(d => d.Id, StringComparer.Ordinal).ToList();
            return sorted;
        });

    public Task<DiskInfo> GetDiskAsync(KompoxApp app, string diskId, CancellationToken cancellationToken) =>
        ErrorTranslation.Guard($"reading disk {diskId}", cancellationToken, async () => ToDisk((await FindDiskAsync(app, diskId, cancellationToken).ConfigureAwait(false)).Data));

    public Task<DiskInfo> CreateDiskAsync(KompoxApp app, IProgress<OperationProgress> progress, CancellationToken cancellationToken)
    {
        var name = DiskInfo.NewName(app, timeProvider.GetUtcNow());
        var activity = $"Creating disk {name} in resource group {ResourceGroupOf(app)}";
        return ErrorTranslation.Guard(activity, cancellationToken, async () =>
        {
            var data = await NewDiskDataAsync(app, LocationOf(app), new DiskCreationData(DiskCreateOption.Empty), progress, activity, cancellationToken).ConfigureAwait(false);
            data.DiskSizeGB = AksDriver.DiskSizeGiB(app);
            progress.Report(new OperationProgress(activity, "creating the managed disk"));
            var created = await Group(app).GetManagedDisks().CreateOrUpdateAsync(WaitUntil.Completed, name, data, cancellationToken).ConfigureAwait(false);
            return ToDisk(created.Value.Data);
        });
    }

    public Task DeleteDiskAsync(KompoxApp app, string diskId, CancellationToken cancellationToken) =>
        ErrorTranslation.Guard($"deleting disk {diskId}", cancellationToken, async () =>
        {
            var disk = await FindDiskAsync(app, diskId, cancellationToken).ConfigureAwait(false);
            await disk.DeleteAsync(WaitUntil.Completed, cancellationToken).ConfigureAwait(false);
        });

    /// <summary>
    /// Marks the disk by Disks - Update (a PATCH whose <c>tags</c> replace the disk's tags:
    /// learn.microsoft.com/rest/api/compute/disks/update), then clears the mark from the app's other disks the same way.
    /// </summary>
    public Task MarkCurrentAsync(KompoxApp app, string diskId, CancellationToken cancellationToken) =>
        ErrorTranslation.Guard($"recording disk {diskId} as the current disk of app {app.Id}", cancellationToken, async () =>
        {
            var disk = await FindDiskAsync(app, diskId, cancellationToken).ConfigureAwait(false);
            var others = new List<ManagedDiskResource>();
            var marks = new List<DiskInfo>();
            await foreach (var listed in Group(app).GetManagedDisks().GetAllAsync(cancellationToken).ConfigureAwait(false))
            {
                if (IsApps(app, listed.Data.Tags))
                {
                    marks.Add(ToDisk(listed.Data));
                    if (listed.Id.ToString() != disk.Id.ToString() && listed.Data.Tags.ContainsKey(CurrentTag))
                    {
                        others.Add(listed);
                    }
                }
            }

            if (DiskInfo.ProviderCurrent(marks) != disk.Id.ToString() || others.Count > 0)
            {
                var tags = new Dictionary<string, string>(disk.Data.Tags) { [CurrentTag] = DiskInfo.CurrentSinceText(timeProvider.GetUtcNow()) };
                await UpdateTagsAsync(disk, tags, cancellationToken).ConfigureAwait(false);
            }

            foreach (var other in others)
            {
                var tags = new Dictionary<string, string>(other.Data.Tags);
                tags.Remove(CurrentTag);
                await UpdateTagsAsync(other, tags, cancellationToken).ConfigureAwait(false);
            }
        });

    /// <summary>
    /// Snapshots first, then the disks (the current one last), each by its own Update (PATCH of its whole tag set:
    /// learn.microsoft.com/rest/api/compute/disks/update, .../snapshots/update) with <c>kompox-app</c> the destination's id.
    /// </summary>
    /// <summary>The seed Pod's image: the cluster's <see cref="AksDriver.SeedImageSetting"/>, else <see cref="AksDriver.DefaultSeedImage"/>.</summary>
    public string SeedImage(KompoxCluster cluster) =>
        cluster.Settings.TryGetValue(AksDriver.SeedImageSetting, out var image) && image.Length > 0 ? image : AksDriver.DefaultSeedImage;

    /// <summary>Tags the disk <c>kompox-seeded</c> (when) by Disks - Update, keeping its other tags: a later deploy seeds it no more.</summary>
    public Task MarkSeededAsync(KompoxApp app, string diskId, CancellationToken cancellationToken) =>
        ErrorTranslation.Guard($"recording that disk {diskId} was seeded", cancellationToken, async () =>
        {
            var disk = await FindDiskAsync(app, diskId, cancellationToken).ConfigureAwait(false);
            var tags = new Dictionary<string, string>(disk.Data.Tags) { [K3sRuntime.SeededTag] = DiskInfo.CurrentSinceText(timeProvider.GetUtcNow()) };
            await UpdateTagsAsync(disk, tags, cancellationToken).ConfigureAwait(false);
        });

    public Task AssignToAppAsync(KompoxApp app, KompoxApp destination, IProgress<OperationProgress> progress, CancellationToken cancellationToken) =>
        ErrorTranslation.Guard($"re-tagging the disks and snapshots of app {app.Id} to app {destination.Id}", cancellationToken, async () =>
        {
            var activity = $"Giving the disks and snapshots of app {app.Id} to app {destination.Id}";
            await foreach (var snapshot in Group(app).GetSnapshots().GetAllAsync(cancellationToken).ConfigureAwait(false))
            {
                if (IsApps(app, snapshot.Data.Tags))
                {
                    progress.Report(new OperationProgress(activity, $"re-tagging snapshot {snapshot.Data.Name}"));
                    var patch = new SnapshotPatch();
                    foreach (var (key, value) in snapshot.Data.Tags)
                    {
                        patch.Tags[key] = value;
                    }

                    patch.Tags[AppTag] = destination.Id;
                    await snapshot.UpdateAsync(WaitUntil.Completed, patch, cancellationToken).ConfigureAwait(false);
                }
            }

            var disks = new List<ManagedDiskResource>();
            await foreach (var disk in Group(app).GetManagedDisks().GetAllAsync(cancellationToken).ConfigureAwait(false))
            {
                if (IsApps(app, disk.Data.Tags))
                {
                    disks.Add(disk);
                }
            }

            foreach (var disk in disks.OrderBy(d => d.Data.Tags.ContainsKey(CurrentTag)))
            {
                progress.Report(new OperationProgress(activity, $"re-tagging disk {disk.Data.Name}"));
                var tags = new Dictionary<string, string>(disk.Data.Tags) { [AppTag] = destination.Id };
                await UpdateTagsAsync(disk, tags, cancellationToken).ConfigureAwait(false);
            }
        });

    private static async Task UpdateTagsAsync(ManagedDiskResource disk, IDictionary<string, string> tags, CancellationToken cancellationToken)
    {
        var patch = new ManagedDiskPatch();
        foreach (var (key, value) in tags)
        {
            patch.Tags[key] = value;
        }

        await disk.UpdateAsync(WaitUntil.Completed, patch, cancellationToken).ConfigureAwait(false);
    }

    public Task<SnapshotInfo> SetSnapshotPinnedAsync(KompoxApp app, string snapshotId, bool pinned, CancellationToken cancellationToken) =>
        ErrorTranslation.Guard($"{(pinned ? "pinning" : "unpinning")} snapshot {snapshotId} of app {app.Id}", cancellationToken, async () =>
        {
            var snapshot = await FindSnapshotAsync(app, snapshotId, cancellationToken).ConfigureAwait(false);
            if (ToSnapshot(snapshot.Data).Pinned == pinned)
            {
                return ToSnapshot(snapshot.Data);
            }

            // Snapshots - Update: the tags given replace the whole set, so every other tag is sent back as it is.
            var patch = new SnapshotPatch();
            foreach (var (key, value) in snapshot.Data.Tags.Where(t => t.Key != SnapshotInfo.PinnedTag))
            {
                patch.Tags[key] = value;
            }

            if (pinned)
            {
                patch.Tags[SnapshotInfo.PinnedTag] = "true";
            }

            var updated = await snapshot.UpdateAsync(WaitUntil.Completed, patch, cancellationToken).ConfigureAwait(false);
            return ToSnapshot(updated.Value.Data);
        });

    public Task<IReadOnlyList<SnapshotInfo>> ListSnapshotsAsync(KompoxApp app, CancellationToken cancellationToken) =>
        ErrorTranslation.Guard($"listing snapshots of app {app.Id} in resource group {ResourceGroupOf(app)}", cancellationToken, async () =>
        {
            var snapshots = new List<SnapshotInfo>();
            await foreach (var snapshot in Group(app).GetSnapshots().GetAllAsync(cancellationToken).ConfigureAwait(false))
            {
                if (IsApps(app, snapshot.Data.Tags))
                {
                    snapshots.Add(ToSnapshot(snapshot.Data));
                }
            }

            IReadOnlyList<SnapshotInfo> sorted = snapshots.OrderByDescending(s => s.CreatedAt).ThenByDescending(s => s.Id, StringComparer.Ordinal).ToList();
            return sorted;
        });

    public Task<SnapshotInfo> CreateSnapshotAsync(KompoxApp app, string diskId, IProgress<OperationProgress> progress, CancellationToken cancellationToken)
    {
        var name = DiskInfo.NewName(app, timeProvider.GetUtcNow());
        var activity = $"Snapshotting disk {diskId} as {name}";
        return ErrorTranslation.Guard(activity, cancellationToken, async () =>
        {
            var disk = await FindDiskAsync(app, diskId, cancellationToken).ConfigureAwait(false);

            // Incremental snapshots hold the blocks changed since the last one, and must stay in the disk's region.
            var data = new SnapshotData(disk.Data.Location)
            {
                CreationData = new DiskCreationData(DiskCreateOption.Copy) { SourceResourceId = disk.Id },
                Incremental = true,
            };
            Tag(app, data.Tags);
            progress.Report(new OperationProgress(activity, "creating the incremental snapshot"));
            var created = await Group(app).GetSnapshots().CreateOrUpdateAsync(WaitUntil.Completed, name, data, cancellationToken).ConfigureAwait(false);
            return ToSnapshot(created.Value.Data);
        });
    }

    public Task DeleteSnapshotAsync(KompoxApp app, string snapshotId, CancellationToken cancellationToken) =>
        ErrorTranslation.Guard($"deleting snapshot {snapshotId}", cancellationToken, async () =>
        {
            var snapshot = await FindSnapshotAsync(app, snapshotId, cancellationToken).ConfigureAwait(false);
            await snapshot.DeleteAsync(WaitUntil.Completed, cancellationToken).ConfigureAwait(false);
        });

    public Task<DiskInfo> RestoreSnapshotAsync(KompoxApp app, string snapshotId, IProgress<OperationProgress> progress, CancellationToken cancellationToken)
    {
        var name = DiskInfo.NewName(app, timeProvider.GetUtcNow());
        var activity = $"Restoring snapshot {snapshotId} as disk {name}";
        return ErrorTranslation.Guard(activity, cancellationToken, async () =>
        {
            var snapshot = await FindSnapshotAsync(app, snapshotId, cancellationToken).ConfigureAwait(false);
            var data = await NewDiskDataAsync(app, snapshot.Data.Location, new DiskCreationData(DiskCreateOption.Copy) { SourceResourceId = snapshot.Id }, progress, activity, cancellationToken).ConfigureAwait(false);
            progress.Report(new OperationProgress(activity, "creating the managed disk from the snapshot"));
            var created = await Group(app).GetManagedDisks().CreateOrUpdateAsync(WaitUntil.Completed, name, data, cancellationToken).ConfigureAwait(false);
            return ToDisk(created.Value.Data);
        });
    }

    /// <summary>Writes the disk's fixed-VHD image, as Azure serves it through a read-only SAS grant that is revoked after.</summary>
    public Task ExportDiskAsync(KompoxApp app, string diskId, Stream destination, IProgress<OperationProgress> progress, CancellationToken cancellationToken)
    {
        var activity = $"Exporting disk {diskId}";
        return ErrorTranslation.Guard(activity, cancellationToken, async () =>
        {
            var disk = await FindDiskAsync(app, diskId, cancellationToken).ConfigureAwait(false);
            var grant = await disk.GrantAccessAsync(WaitUntil.Completed, new GrantAccessData(AccessLevel.Read, SasSeconds), cancellationToken).ConfigureAwait(false);
            try
            {
                await DownloadAsync(grant.Value.AccessSas, destination, activity, progress, cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                await disk.RevokeAccessAsync(WaitUntil.Completed, CancellationToken.None).ConfigureAwait(false);
            }
        });
    }

    /// <summary>Writes the snapshot's fixed-VHD image, as <see cref="ExportDiskAsync"/> does for a disk.</summary>
    public Task ExportSnapshotAsync(KompoxApp app, string snapshotId, Stream destination, IProgress<OperationProgress> progress, CancellationToken cancellationToken)
    {
        var activity = $"Exporting snapshot {snapshotId}";
        return ErrorTranslation.Guard(activity, cancellationToken, async () =>
        {
            var snapshot = await FindSnapshotAsync(app, snapshotId, cancellationToken).ConfigureAwait(false);
            var grant = await snapshot.GrantAccessAsync(WaitUntil.Completed, new GrantAccessData(AccessLevel.Read, SasSeconds), cancellationToken).ConfigureAwait(false);
            try
            {
                await DownloadAsync(grant.Value.AccessSas, destination, activity, progress, cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                await snapshot.RevokeAccessAsync(WaitUntil.Completed, CancellationToken.None).ConfigureAwait(false);
            }
        });
    }

    /// <summary>
    /// A new disk with the content of a fixed VHD, as <see cref="ExportDiskAsync"/> writes: created for upload with the
    /// image's size, written through a write SAS grant in pages of at most <see cref="PageWriteBytes"/> (all-zero pages
    /// are skipped: a new upload disk reads as zeros), then the grant is revoked. A failed import deletes the disk.
    /// </summary>
    /// <exception cref="KompoxException"><c>InvalidArchive</c> when the source is no fixed VHD Azure accepts, or cannot seek.</exception>
    public Task<DiskInfo> ImportDiskAsync(KompoxApp app, Stream source, IProgress<OperationProgress> progress, CancellationToken cancellationToken)
    {
        var name = DiskInfo.NewName(app, timeProvider.GetUtcNow());
        var activity = $"Importing a disk as {name} in resource group {ResourceGroupOf(app)}";
        return ErrorTranslation.Guard(activity, cancellationToken, async () =>
        {
            var length = await CheckVhdAsync(source, activity, cancellationToken).ConfigureAwait(false);
            var data = await NewDiskDataAsync(app, LocationOf(app), new DiskCreationData(DiskCreateOption.Upload) { UploadSizeBytes = length }, progress, activity, cancellationToken).ConfigureAwait(false);
            progress.Report(new OperationProgress(activity, "creating the managed disk for upload"));
            var created = await Group(app).GetManagedDisks().CreateOrUpdateAsync(WaitUntil.Completed, name, data, cancellationToken).ConfigureAwait(false);
            var disk = created.Value;
            try
            {
                var grant = await disk.GrantAccessAsync(WaitUntil.Completed, new GrantAccessData(AccessLevel.Write, SasSeconds), cancellationToken).ConfigureAwait(false);
                try
                {
                    await UploadAsync(grant.Value.AccessSas, source, length, activity, progress, cancellationToken).ConfigureAwait(false);
                }
                finally
                {
                    await disk.RevokeAccessAsync(WaitUntil.Completed, CancellationToken.None).ConfigureAwait(false);
                }

                return ToDisk((await disk.GetAsync(cancellationToken).ConfigureAwait(false)).Value.Data);
            }
            catch
            {
                // The half-made disk would list as one of the app's; it goes, and the first failure is the one reported.
                try
                {
                    await disk.DeleteAsync(WaitUntil.Completed, CancellationToken.None).ConfigureAwait(false);
                }
                catch (Exception cleanup) when (cleanup is RequestFailedException or HttpRequestException or OperationCanceledException)
                {
                }

                throw;
            }
        });
    }

    /// <summary>
    /// Adopts a managed disk made outside Kompox: it must be in the provider's subscription and the app's resource group
    /// (where the app's disks are listed, and where the cluster was checked to attach disks), in the cluster's region, not
    /// attached elsewhere, and no other app's. Its other tags are kept: a PATCH's tags replace the whole set (Azure REST
    /// API, Disks - Update), so the disk's own are sent with the app's.
    /// </summary>
    public Task<DiskInfo> AdoptDiskAsync(KompoxApp app, string resourceId, IProgress<OperationProgress> progress, CancellationToken cancellationToken)
    {
        var activity = $"Adopting managed disk {resourceId} for app {app.Id}";
        return ErrorTranslation.Guard(activity, cancellationToken, async () =>
        {
            if (!TryId(resourceId, ManagedDiskResource.ResourceType, out var id))
            {
                throw new KompoxException("InvalidDiskId", ErrorKind.InvalidArgument, $"'{resourceId}' is not the resource id of a managed disk (/subscriptions/<id>/resourceGroups/<group>/providers/Microsoft.Compute/disks/<name>)") { Target = resourceId, Remedy = Remedy.ChangeOption("ResourceId") };
            }

            var group = ResourceGroupOf(app);
            if (!string.Equals(id.SubscriptionId, subscriptionId, StringComparison.OrdinalIgnoreCase) || !string.Equals(id.ResourceGroupName, group, StringComparison.OrdinalIgnoreCase))
            {
                throw new KompoxException(
                    "DiskOutsideProvider",
                    ErrorKind.InvalidArgument,
                    $"disk {resourceId} is in subscription {id.SubscriptionId}, resource group {id.ResourceGroupName}; the disks of app {app.Id} are in subscription {subscriptionId} (AZURE_SUBSCRIPTION_ID), resource group {group} (AZURE_RESOURCE_GROUP_NAME): move the disk there first (az resource move)")
                {
                    Target = resourceId,
                };
            }

            ManagedDiskResource disk;
            try
            {
                disk = (await arm.GetManagedDiskResource(id).GetAsync(cancellationToken).ConfigureAwait(false)).Value;
            }
            catch (RequestFailedException e) when (e.Status == 404)
            {
                throw new KompoxException("DiskNotFound", ErrorKind.NotFound, $"there is no managed disk {resourceId}") { Target = resourceId };
            }

            if (disk.Data.Tags.TryGetValue(AppTag, out var owner))
            {
                return owner == app.Id && disk.Data.Tags.ContainsKey(CreatedAtTag)
                    ? ToDisk(disk.Data)
                    : throw new KompoxException("DiskOwnedByOtherApp", ErrorKind.Conflict, $"disk {resourceId} is a disk of app {owner} (its tag {AppTag}); it is not adopted by app {app.Id}") { Target = resourceId };
            }

            if (disk.Data.ManagedBy is not null || disk.Data.DiskState == DiskState.Attached)
            {
                throw new KompoxException("ResourceInUse", ErrorKind.Conflict, $"disk {resourceId} is attached to {disk.Data.ManagedBy?.ToString() ?? "a machine"}; detach it first") { Target = resourceId };
            }

            progress.Report(OperationProgress.Detail(activity, $"checking that cluster {app.Cluster.Id} is in the disk's region {disk.Data.Location.Name}"));
            var cluster = await AksCluster.ReadAsync(management, endpoint, subscriptionId, app.Cluster, cancellationToken).ConfigureAwait(false);
            if (!string.Equals(disk.Data.Location.Name, cluster.Location, StringComparison.OrdinalIgnoreCase))
            {
                throw new KompoxException("DiskRegionMismatch", ErrorKind.InvalidArgument, $"disk {resourceId} is in {disk.Data.Location.Name}, but cluster {app.Cluster.Id} is in {cluster.Location}, and a disk attaches only in its own region") { Target = resourceId };
            }

            var patch = new ManagedDiskPatch();
            foreach (var tag in disk.Data.Tags)
            {
                patch.Tags[tag.Key] = tag.Value;
            }

            Tag(app, patch.Tags);
            progress.Report(new OperationProgress(activity, "tagging the managed disk"));
            var updated = await disk.UpdateAsync(WaitUntil.Completed, patch, cancellationToken).ConfigureAwait(false);
            return ToDisk(updated.Value.Data);
        });
    }

    private async Task DownloadAsync(string sas, Stream destination, string activity, IProgress<OperationProgress> progress, CancellationToken cancellationToken)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(81920);
        try
        {
            ProgressStream? counted = null;
            long? total = null;
            for (long at = 0; total is null || at < total;)
            {
                using var message = blobs.CreateMessage();
                message.BufferResponse = false;
                message.Request.Method = RequestMethod.Get;
                message.Request.Uri.Reset(new Uri(sas));
                message.Request.Headers.Add("x-ms-version", BlobVersion);
                message.Request.Headers.Add("x-ms-range", Range(at, Math.Min(PageWriteBytes, (total ?? long.MaxValue) - at)));
                await blobs.SendAsync(message, cancellationToken).ConfigureAwait(false);
                var response = message.Response;
                if (response.IsError)
                {
                    throw new RequestFailedException(response);
                }

                if (response.Status != 206 || response.ContentStream is null || !TryTotal(response, out var length))
                {
                    throw new KompoxException("AzureRequestFailed", ErrorKind.Unavailable, $"{activity}: the SAS URL answered {response.Status} without the range asked for");
                }

                total ??= length;
                counted ??= new ProgressStream(destination, length, activity, "downloading the disk image", progress);
                var before = at;
                int read;
                while ((read = await response.ContentStream.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
                {
                    await counted.WriteAsync(buffer.AsMemory(0, read), cancellationToken).ConfigureAwait(false);
                    at += read;
                }

                if (at == before)
                {
                    throw new KompoxException("AzureRequestFailed", ErrorKind.Unavailable, $"{activity}: the SAS URL sent no bytes from offset {at}");
                }
            }

            if (counted is not null)
            {
                await counted.FlushAsync(cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private async Task UploadAsync(string sas, Stream source, long length, string activity, IProgress<OperationProgress> progress, CancellationToken cancellationToken)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(PageWriteBytes);
        try
        {
            await using var counted = new ProgressStream(source, length, activity, "uploading the disk image", progress);
            for (long at = 0; at < length;)
            {
                var size = (int)Math.Min(PageWriteBytes, length - at);
                var read = await counted.ReadAtLeastAsync(buffer.AsMemory(0, size), size, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);
                if (read < size)
                {
                    throw new KompoxException("InvalidArchive", ErrorKind.InvalidData, $"{activity}: the VHD image ended after {at + read} of {length} bytes");
                }

                if (buffer.AsSpan(0, size).IndexOfAnyExcept((byte)0) >= 0)
                {
                    using var message = blobs.CreateMessage();
                    message.Request.Method = RequestMethod.Put;
                    message.Request.Uri.Reset(new Uri(sas));
                    message.Request.Uri.AppendQuery("comp", "page");
                    message.Request.Headers.Add("x-ms-version", BlobVersion);
                    message.Request.Headers.Add("x-ms-page-write", "update");
                    message.Request.Headers.Add("x-ms-range", Range(at, size));
                    message.Request.Content = RequestContent.Create(new ReadOnlyMemory<byte>(buffer, 0, size));
                    await blobs.SendAsync(message, cancellationToken).ConfigureAwait(false);
                    if (message.Response.IsError)
                    {
                        throw new RequestFailedException(message.Response);
                    }
                }

                at += size;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>
    /// The length of a fixed VHD Azure takes for upload: a footer with the cookie <c>conectix</c>, disk type fixed (2), a
    /// current size equal to the bytes before the footer and a valid checksum; that size a whole number of MiB, at least
    /// 20 MiB and at most 32 TiB. The stream is left where it was.
    /// </summary>
    private static async Task<long> CheckVhdAsync(Stream source, string activity, CancellationToken cancellationToken)
    {
        KompoxException Invalid(string why) =>
            new("InvalidArchive", ErrorKind.InvalidData, $"{activity}: the content is not a fixed VHD image of a disk ({why})");

        if (!source.CanSeek)
        {
            throw Invalid("the aks driver reads the image's footer first, so it imports from a file, not a pipe");
        }

        var start = source.Position;
        var length = source.Length - start;
        if (length < MinUploadBytes || length > MaxUploadBytes || (length - VhdFooterBytes) % (1 << 20) != 0)
        {
            throw Invalid($"{length} bytes; Azure takes a whole number of MiB from 20 MiB to 32 TiB followed by a 512-byte footer");
        }

        var footer = new byte[VhdFooterBytes];
        source.Seek(start + length - VhdFooterBytes, SeekOrigin.Begin);
        await source.ReadExactlyAsync(footer, cancellationToken).ConfigureAwait(false);
        source.Seek(start, SeekOrigin.Begin);

        if (!footer.AsSpan(0, 8).SequenceEqual("conectix"u8))
        {
            throw Invalid("no VHD footer at its end");
        }

        if (BinaryPrimitives.ReadUInt32BigEndian(footer.AsSpan(60)) != 2)
        {
            throw Invalid("not a fixed VHD; convert a dynamic one to fixed first");
        }

        if (BinaryPrimitives.ReadInt64BigEndian(footer.AsSpan(48)) != length - VhdFooterBytes)
        {
            throw Invalid("its footer's size differs from its length");
        }

        uint sum = 0;
        for (var i = 0; i < VhdFooterBytes; i++)
        {
            sum += i is >= 64 and < 68 ? 0u : footer[i];
        }

        if (BinaryPrimitives.ReadUInt32BigEndian(footer.AsSpan(64)) != ~sum)
        {
            throw Invalid("its footer's checksum is wrong");
        }

        return length;
    }

    private static string Range(long start, long count) =>
        string.Create(CultureInfo.InvariantCulture, $"bytes={start}-{start + count - 1}");

    private static bool TryTotal(Response response, out long total)
    {
        total = 0;
        return response.Headers.TryGetValue("Content-Range", out var range)
            && range.LastIndexOf('/') is var slash and > 0
            && long.TryParse(range.AsSpan(slash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out total)
            && total > 0;
    }

    private async Task<ManagedDiskResource> FindDiskAsync(KompoxApp app, string diskId, CancellationToken cancellationToken)
    {
        KompoxException NotFound() =>
            new("DiskNotFound", ErrorKind.NotFound, $"app {app.Id} has no managed disk '{diskId}'") { Target = diskId };

        if (!TryId(diskId, ManagedDiskResource.ResourceType, out var id))
        {
            throw NotFound();
        }

        try
        {
            var disk = (await arm.GetManagedDiskResource(id).GetAsync(cancellationToken).ConfigureAwait(false)).Value;
            return IsApps(app, disk.Data.Tags) ? disk : throw NotFound();
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            throw NotFound();
        }
    }

    private async Task<SnapshotResource> FindSnapshotAsync(KompoxApp app, string snapshotId, CancellationToken cancellationToken)
    {
        KompoxException NotFound() =>
            new("SnapshotNotFound", ErrorKind.NotFound, $"app {app.Id} has no snapshot '{snapshotId}'") { Target = snapshotId };

        if (!TryId(snapshotId, SnapshotResource.ResourceType, out var id))
        {
            throw NotFound();
        }

        try
        {
            var snapshot = (await arm.GetSnapshotResource(id).GetAsync(cancellationToken).ConfigureAwait(false)).Value;
            return IsApps(app, snapshot.Data.Tags) ? snapshot : throw NotFound();
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            throw NotFound();
        }
    }

    private static bool TryId(string text, ResourceType type, out ResourceIdentifier id)
    {
        id = null!;
        if (!text.StartsWith("/subscriptions/", StringComparison.OrdinalIgnoreCase) || !ResourceIdentifier.TryParse(text, out var parsed) || parsed is null)
        {
            return false;
        }

        id = parsed;
        return id.ResourceType == type && id.ResourceGroupName is not null;
    }

    private ResourceGroupResource Group(KompoxApp app) =>
        arm.GetResourceGroupResource(ResourceGroupResource.CreateResourceIdentifier(subscriptionId, ResourceGroupOf(app)));

    private static string ResourceGroupOf(KompoxApp app) =>
        app.Settings.GetValueOrDefault("AZURE_RESOURCE_GROUP_NAME")
        ?? throw new KompoxException("InvalidSetting", ErrorKind.InvalidArgument, $"app {app.Id} has no setting AZURE_RESOURCE_GROUP_NAME, the resource group of its disks") { Target = "AZURE_RESOURCE_GROUP_NAME" };

    private AzureLocation LocationOf(KompoxApp app) =>
        new(app.Settings.GetValueOrDefault("AZURE_LOCATION") ?? providerLocation
            ?? throw new KompoxException("InvalidSetting", ErrorKind.InvalidArgument, $"app {app.Id} has no AZURE_LOCATION, nor has its provider") { Target = "AZURE_LOCATION" });

    public async Task<string?> NetworkPolicyAsync(KompoxCluster cluster, CancellationToken cancellationToken) =>
        (await AksCluster.ReadAsync(management, endpoint, subscriptionId, cluster, cancellationToken).ConfigureAwait(false)).NetworkPolicy;

    /// <summary>
    /// A new disk of the app that its cluster can attach, checked before it is made rather than found as a Pod stuck in
    /// ContainerCreating: in the cluster's region, in a resource group where the cluster's identity may use disks, and,
    /// unless zone-redundant, in a zone of the cluster's nodes (a zonal disk attaches only to a node of its zone; Premium
    /// SSD v2 and Ultra disks are zonal only: azuredisk-csi-driver docs/driver-parameters.md, Azure disks-types).
    /// </summary>
    private async Task<ManagedDiskData> NewDiskDataAsync(KompoxApp app, AzureLocation location, DiskCreationData creation, IProgress<OperationProgress> progress, string activity, CancellationToken cancellationToken)
    {
        var sku = AksDriver.DiskTypeOf(app);
        var group = ResourceGroupOf(app);
        progress.Report(OperationProgress.Detail(activity, $"checking that cluster {app.Cluster.Id} can attach a {sku} disk in {group}"));
        var cluster = await AksCluster.ReadAsync(management, endpoint, subscriptionId, app.Cluster, cancellationToken).ConfigureAwait(false);
        if (!string.Equals(location.Name, cluster.Location, StringComparison.OrdinalIgnoreCase))
        {
            throw new KompoxException(
                "DiskRegionMismatch",
                ErrorKind.InvalidArgument,
                $"app {app.Id}: its disks would be in {location.Name} (AZURE_LOCATION), but cluster {app.Cluster.Id} is in {cluster.Location}, and a disk attaches only in its own region; set AZURE_LOCATION to {cluster.Location}")
            {
                Target = "AZURE_LOCATION",
            };
        }

        if (!await cluster.MayUseDisksInAsync(management, endpoint, subscriptionId, group, cancellationToken).ConfigureAwait(false))
        {
            var scope = $"/subscriptions/{subscriptionId}/resourceGroups/{group}";
            throw new KompoxException(
                "ClusterCannotUseDisks",
                ErrorKind.PermissionDenied,
                $"cluster {app.Cluster.Id} cannot attach disks in resource group {group}: its identity {cluster.PrincipalId} has no role there that reads and writes disks; grant it Contributor: az role assignment create --assignee {cluster.PrincipalId} --role Contributor --scope {scope}")
            {
                Target = group,
            };
        }

        var data = new ManagedDiskData(location)
        {
            Sku = new DiskSku { Name = new DiskStorageAccountType(sku) },
            CreationData = creation,
        };
        if (ZoneOf(app, sku, cluster) is { } zone)
        {
            data.Zones.Add(zone);
        }

        Tag(app, data.Tags);
        return data;
    }

    /// <summary>The zone of a new disk: none for a zone-redundant SKU or a cluster whose nodes are in no zone, else the first zone of the nodes.</summary>
    private static string? ZoneOf(KompoxApp app, string sku, AksCluster cluster)
    {
        if (sku.EndsWith("_ZRS", StringComparison.Ordinal))
        {
            return null;
        }

        if (cluster.Zones.Count == 0)
        {
            return AksDriver.IsZonalOnly(sku)
                ? throw new KompoxException(
                    "DiskZoneRequired",
                    ErrorKind.InvalidArgument,
                    $"app {app.Id}: a {sku} disk is zonal only, and the nodes of cluster {app.Cluster.Id} are in no availability zone; use a zonal node pool or another AZURE_DISK_TYPE")
                {
                    Target = "AZURE_DISK_TYPE",
                }
                : null;
        }

        return cluster.Zones[0];
    }

    private void Tag(KompoxApp app, IDictionary<string, string> tags)
    {
        tags[AppTag] = app.Id;
        tags[CreatedAtTag] = timeProvider.GetUtcNow().UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);
    }

    private static bool IsApps(KompoxApp app, IDictionary<string, string> tags) =>
        tags.TryGetValue(AppTag, out var owner) && owner == app.Id && tags.ContainsKey(CreatedAtTag);

    private static DateTimeOffset CreatedAt(IDictionary<string, string> tags) =>
        DateTimeOffset.TryParseExact(tags[CreatedAtTag], "yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var at)
            ? at
            : DateTimeOffset.MinValue;

    private static long SizeOf(long? bytes, int? gib) => bytes ?? ((long)(gib ?? 0) << 30);

    private static DiskInfo ToDisk(ManagedDiskData data) =>
        new(data.Id.ToString(), data.Tags[AppTag], CreatedAt(data.Tags), SizeOf(data.DiskSizeBytes, data.DiskSizeGB))
        {
            Zone = data.Zones.FirstOrDefault() is { } zone ? $"{data.Location.Name}-{zone}" : null,
            CurrentSince = DiskInfo.ParseCurrentSince(data.Tags.TryGetValue(CurrentTag, out var since) ? since : null),
            Seeded = data.Tags.ContainsKey(K3sRuntime.SeededTag),
        };

    private static SnapshotInfo ToSnapshot(SnapshotData data) =>
        new(data.Id.ToString(), data.Tags[AppTag], data.CreationData?.SourceResourceId?.ToString() ?? string.Empty, CreatedAt(data.Tags), SizeOf(data.DiskSizeBytes, data.DiskSizeGB))
        {
            Pinned = data.Tags.TryGetValue(SnapshotInfo.PinnedTag, out var pinned) && pinned == "true",
        };
}
