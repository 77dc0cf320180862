using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using Kompox.Model;

namespace Kompox.Drivers;

/// <summary>One of an app's disks, as the provider's tags describe it (SPEC section 5).</summary>
/// <param name="Id">The provider's id, as kept in <c>kompox.dev/disk-current-id</c>.</param>
/// <param name="AppId">The <c>kompox-app</c> tag.</param>
/// <param name="CreatedAt">The <c>kompox-created-at</c> tag.</param>
/// <param name="SizeBytes">The disk's real size; the PersistentVolume's capacity.</param>
public sealed record DiskInfo(string Id, string AppId, DateTimeOffset CreatedAt, long SizeBytes)
{
    /// <summary>Whether the app's namespace names this disk current; the provider does not know, so the caller sets it.</summary>
    public bool IsCurrent { get; init; }

    /// <summary>
    /// When the provider's record (<c>kompox-disk-current</c>, SPEC 5) says the disk became the app's current one; null
    /// when it does not say so. Of several disks so marked (a switch interrupted between writing the new one and clearing
    /// the old), the latest counts: <see cref="ProviderCurrent"/>.
    /// </summary>
    public DateTimeOffset? CurrentSince { get; init; }

    /// <summary>
    /// Whether the project's bound directories were copied onto the disk (<see cref="IDriverRuntime.SeedAsync"/>, the
    /// <c>kompox-seeded</c> tag): a deploy copies them only onto a disk that does not say so.
    /// </summary>
    public bool Seeded { get; init; }

    /// <summary>The topology zone a zonal disk is in (<c>&lt;region&gt;-&lt;zone&gt;</c> for Azure), which its volume is pinned to; null when it attaches anywhere.</summary>
    public string? Zone { get; init; }

    /// <summary>The disk the provider records as the app's current one: the latest marked; null when none is.</summary>
    public static string? ProviderCurrent(IEnumerable<DiskInfo> disks) =>
        disks.Where(d => d.CurrentSince is not null).OrderByDescending(d => d.CurrentSince).ThenByDescending(d => d.Id, StringComparer.Ordinal).FirstOrDefault()?.Id;

    /// <summary>The text of a <c>kompox-disk-current</c> tag: the time to the tick, so that two switches in one second still order.</summary>
    public static string CurrentSinceText(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffffffZ", CultureInfo.InvariantCulture);

    /// <summary>The time a <c>kompox-disk-current</c> tag holds; null for a value that is none (the disk is then not marked).</summary>
    public static DateTimeOffset? ParseCurrentSince(string? text) =>
        DateTimeOffset.TryParseExact(text, "yyyy-MM-ddTHH:mm:ss.fffffffZ", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var at) ? at : null;

    /// <summary>
    /// The name of a new disk or snapshot: <c>&lt;app&gt;-&lt;yyyyMMddHHmmss&gt;-&lt;6 random base-36 characters&gt;</c>. It sorts by
    /// time, never collides in practice, starts with a letter and, an app's name being at most 40 characters, fits the 80
    /// characters of an Azure managed disk or snapshot name.
    /// </summary>
    public static string NewName(KompoxApp app, DateTimeOffset now)
    {
        const string digits = "0123456789abcdefghijklmnopqrstuvwxyz";
        var random = string.Create(6, 0, (span, _) =>
        {
            for (var i = 0; i < span.Length; i++)
            {
                span[i] = digits[RandomNumberGenerator.GetInt32(digits.Length)];
            }
        });
        return $"{app.Name}-{now.UtcDateTime.ToString("yyyyMMddHHmmss", CultureInfo.InvariantCulture)}-{random}";
    }

    /// <summary>A size as the Kubernetes quantity that reads back to the same number of bytes, in the largest binary unit that divides it.</summary>
    public static string Quantity(long bytes)
    {
        foreach (var (suffix, unit) in new[] { ("Ti", 1L << 40), ("Gi", 1L << 30), ("Mi", 1L << 20), ("Ki", 1L << 10) })
        {
            if (bytes > 0 && bytes % unit == 0)
            {
                return (bytes / unit).ToString(CultureInfo.InvariantCulture) + suffix;
            }
        }

        return bytes.ToString(CultureInfo.InvariantCulture);
    }
}

/// <summary>A relative bind of a directory: what the container sees at <paramref name="DiskPath"/> of the app's disk, and the project's directory Docker would show there.</summary>
/// <param name="Source">The bind's source as the compose file writes it (<c>./html</c>).</param>
/// <param name="SourcePath">That directory, resolved against the project directory.</param>
/// <param name="DiskPath">Its directory on the disk (<c>binds/html</c>, the disk layout's).</param>
public sealed record SeedSource(string Source, string SourcePath, string DiskPath);

/// <summary>What copying one bound directory onto a disk did (or, as a dry run, would do).</summary>
/// <param name="Copied">What arrived, relative to the bind's directory: each file, link or directory that was not on the disk (a directory with all it holds; <c>.</c> when the bind's directory itself was not there).</param>
/// <param name="Skipped">What was kept because the disk already has something there: the app's own files are never overwritten.</param>
/// <param name="Files">The files, links and directories that arrived, counted one by one.</param>
/// <param name="Bytes">The bytes of file data that arrived.</param>
public sealed record SeededBind(SeedSource Bind, IReadOnlyList<string> Copied, IReadOnlyList<string> Skipped, long Files, long Bytes)
{
    /// <summary>Why nothing of the bind was copied (its directory is missing in the project, or the disk has a file or link where its directory goes); null when it was looked at.</summary>
    public string? NotCopied { get; init; }
}

/// <summary>What copying an app's bound directories onto one of its disks did; <see cref="DryRun"/> when it only says what it would do.</summary>
public sealed record SeedResult(string AppId, string DiskId, bool DryRun, IReadOnlyList<SeededBind> Binds)
{
    /// <summary>What else the copy does or cannot tell (aks: the app is stopped around it; a dry run cannot read the disk).</summary>
    public IReadOnlyList<string> Notes { get; init; } = [];
}

/// <summary>
/// A driver whose disks are written only through the cluster (aks: an Azure disk is reached by attaching it to a node):
/// the bound directories are copied by a short-lived Pod that mounts the disk's claim, with a tar stream on its stdin
/// (Operations/ClusterSeed), on a disk's first deploy and on demand. Its <see cref="IDriverRuntime.SeedAsync"/> stays
/// <c>SeedUnsupported</c>: the driver has no cluster.
/// </summary>
public interface ISeedsThroughCluster : IDriverRuntime
{
    /// <summary>The image of the seed Pod: it must have a POSIX <c>sh</c>, GNU tar, <c>mkdir</c>, <c>rm</c>, <c>mv</c> and <c>sleep</c>.</summary>
    string SeedImage(KompoxCluster cluster);
}

/// <summary>A snapshot of one of an app's disks.</summary>
/// <param name="DiskId">The disk it was taken of.</param>
/// <param name="SizeBytes">The size of that disk, which a disk restored from the snapshot gets.</param>
public sealed record SnapshotInfo(string Id, string AppId, string DiskId, DateTimeOffset CreatedAt, long SizeBytes)
{
    /// <summary>The provider tag that pins a snapshot: the snapshot policy never prunes it.</summary>
    public const string PinnedTag = "kompox-pinned";

    /// <summary>Whether the snapshot carries <see cref="PinnedTag"/> (<c>true</c>).</summary>
    public bool Pinned { get; init; }
}

/// <summary>
/// The provider's disks and snapshots of apps. Stateless like the driver: everything it knows it reads from the
/// provider's tags. Methods taking an id refuse an id that is not the app's (<c>DiskNotFound</c>, <c>SnapshotNotFound</c>).
/// </summary>
public interface IDriverRuntime
{
    /// <summary>The app's disks, newest first.</summary>
    Task<IReadOnlyList<DiskInfo>> ListDisksAsync(KompoxApp app, CancellationToken cancellationToken);

    Task<DiskInfo> GetDiskAsync(KompoxApp app, string diskId, CancellationToken cancellationToken);

    /// <summary>A new, empty disk tagged with the app and the time.</summary>
    Task<DiskInfo> CreateDiskAsync(KompoxApp app, IProgress<OperationProgress> progress, CancellationToken cancellationToken);

    Task DeleteDiskAsync(KompoxApp app, string diskId, CancellationToken cancellationToken);

    /// <summary>
    /// Records on the provider that <paramref name="diskId"/> is the app's current disk (the <c>kompox-disk-current</c>
    /// tag, SPEC 5), so that it is known while the cluster is down: the disk is marked first, then the mark is cleared from
    /// the app's other disks, so that an interruption leaves the latest mark (<see cref="DiskInfo.ProviderCurrent"/>)
    /// right. Writes nothing when the record already says so. The caller holds the app's lock.
    /// </summary>
    Task MarkCurrentAsync(KompoxApp app, string diskId, CancellationToken cancellationToken);

    /// <summary>
    /// Marks the disk seeded (<see cref="DiskInfo.Seeded"/>): its first deploy copies no bound directory onto it. Written
    /// after a seed, and on a disk restored from a snapshot, which holds the app's own state.
    /// </summary>
    Task MarkSeededAsync(KompoxApp app, string diskId, CancellationToken cancellationToken);

    /// <summary>
    /// Gives the app's snapshots, then its disks, to <paramref name="destination"/> (the same app on another cluster of the
    /// provider) by re-tagging them (<c>kompox-app</c>); the current-disk mark travels with its disk. Each resource is
    /// re-tagged on its own, so an interrupted call leaves each either the app's or the destination's, and a second call
    /// re-tags the rest.
    /// </summary>
    /// <exception cref="KompoxException"><c>MoveNotSupported</c> for a driver whose disks live on one node (k3s).</exception>
    Task AssignToAppAsync(KompoxApp app, KompoxApp destination, IProgress<OperationProgress> progress, CancellationToken cancellationToken);

    /// <summary>
    /// Copies each bound directory of the project onto the disk, into its <see cref="SeedSource.DiskPath"/>, never over
    /// anything there: what the disk has is kept (<see cref="SeededBind.Skipped"/>), directories merge. A file arrives
    /// whole or not at all, so a stop leaves no part of one; what arrived whole stays. Then the disk is marked seeded
    /// (<see cref="DiskInfo.Seeded"/>). With <paramref name="dryRun"/> it writes nothing and says what it would copy.
    /// </summary>
    /// <exception cref="KompoxException"><c>SeedUnsupported</c> for a driver that cannot write files into its disks from here.</exception>
    Task<SeedResult> SeedAsync(KompoxApp app, string diskId, IReadOnlyList<SeedSource> binds, bool dryRun, IProgress<OperationProgress> progress, CancellationToken cancellationToken) =>
        throw new KompoxException("SeedUnsupported", ErrorKind.InvalidArgument, $"app {app.Id}: driver {app.Cluster.Provider.Driver} cannot copy the project's bound directories ({string.Join(", ", binds.Select(b => b.Source))}) onto disk {diskId}: its disks are reached only through the cluster; the directories start empty there") { Target = diskId };

    /// <summary>The app's snapshots, newest first.</summary>
    Task<IReadOnlyList<SnapshotInfo>> ListSnapshotsAsync(KompoxApp app, CancellationToken cancellationToken);

    Task<SnapshotInfo> CreateSnapshotAsync(KompoxApp app, string diskId, IProgress<OperationProgress> progress, CancellationToken cancellationToken);

    Task DeleteSnapshotAsync(KompoxApp app, string snapshotId, CancellationToken cancellationToken);

    /// <summary>Sets or removes the snapshot's <see cref="SnapshotInfo.PinnedTag"/>, keeping its other tags; writes nothing when it already is so.</summary>
    Task<SnapshotInfo> SetSnapshotPinnedAsync(KompoxApp app, string snapshotId, bool pinned, CancellationToken cancellationToken);

    /// <summary>A new disk with the snapshot's content; the snapshot and every other disk stay as they are.</summary>
    Task<DiskInfo> RestoreSnapshotAsync(KompoxApp app, string snapshotId, IProgress<OperationProgress> progress, CancellationToken cancellationToken);

    /// <summary>
    /// Writes the disk's content to <paramref name="destination"/> in constant memory, in the driver's own format:
    /// k3s writes a gzip-compressed tar archive of the disk's files, aks the disk's image as a fixed VHD.
    /// </summary>
    Task ExportDiskAsync(KompoxApp app, string diskId, Stream destination, IProgress<OperationProgress> progress, CancellationToken cancellationToken);

    /// <summary>Writes the snapshot's content to <paramref name="destination"/>, in the driver's format as <see cref="ExportDiskAsync"/>.</summary>
    Task ExportSnapshotAsync(KompoxApp app, string snapshotId, Stream destination, IProgress<OperationProgress> progress, CancellationToken cancellationToken);

    /// <summary>A new disk with the content <see cref="ExportDiskAsync"/> of the same driver writes (k3s a tar.gz of files, aks a fixed VHD).</summary>
    /// <exception cref="KompoxException"><c>InvalidArchive</c> when the stream is not in that format; no disk is left behind.</exception>
    Task<DiskInfo> ImportDiskAsync(KompoxApp app, Stream source, IProgress<OperationProgress> progress, CancellationToken cancellationToken);

    /// <summary>
    /// Makes a disk that exists at the provider but is no app's one of this app's, by tagging it (aks: a managed disk in
    /// the app's resource group, by resource id). A disk another app's tags claim is refused (<c>DiskOwnedByOtherApp</c>);
    /// one already the app's is returned as it is. Drivers whose disks are only what Kompox made refuse (<c>AdoptUnsupported</c>).
    /// </summary>
    Task<DiskInfo> AdoptDiskAsync(KompoxApp app, string resourceId, IProgress<OperationProgress> progress, CancellationToken cancellationToken) =>
        throw new KompoxException("AdoptUnsupported", ErrorKind.InvalidArgument, $"driver {app.Cluster.Provider.Driver} has no disks outside Kompox to adopt ('{resourceId}'); import a file of the disk's content instead") { Target = resourceId, Remedy = Remedy.OmitOption("ResourceId") };

    /// <summary>
    /// The network policy engine the provider says the cluster runs (on AKS its networkProfile.networkPolicy: azure,
    /// calico, cilium or none); null where the provider does not say.
    /// </summary>
    Task<string?> NetworkPolicyAsync(KompoxCluster cluster, CancellationToken cancellationToken) => Task.FromResult<string?>(null);
}

/// <summary>The drivers the operations use: the static part by name, the runtime part per cluster.</summary>
public interface IDriverFactory
{
    /// <exception cref="KompoxException"><c>UnknownDriver</c>.</exception>
    IProviderDriver Driver(string name);

    /// <summary>The runtime for the cluster's provider, configured from the provider's and cluster's settings.</summary>
    IDriverRuntime Runtime(KompoxCluster cluster);
}

/// <summary>
/// The drivers of this version, with their runtimes on the real provider. A runtime that signs in to a cloud is made once
/// per provider and kept, with its credential, until the factory is disposed with its context.
/// </summary>
public sealed class DriverFactory : IDriverFactory, IAsyncDisposable
{
    private readonly TimeProvider timeProvider;
    private readonly AzureConnector azure;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, Lazy<AksRuntime>> aks = new(StringComparer.Ordinal);

    /// <summary>The drivers on the real providers: aks on the Azure public cloud.</summary>
    public DriverFactory(TimeProvider timeProvider)
        : this(timeProvider, AzureConnector.PublicCloud)
    {
    }

    /// <param name="azure">How the aks runtime reaches Azure Resource Manager.</param>
    public DriverFactory(TimeProvider timeProvider, AzureConnector azure)
    {
        this.timeProvider = timeProvider;
        this.azure = azure;
    }

    public IProviderDriver Driver(string name) =>
        ProviderDrivers.Find(name)
        ?? throw new KompoxException("UnknownDriver", ErrorKind.InvalidArgument, $"driver '{name}' is not one this version has; use one of: {string.Join(", ", ProviderDrivers.All.Select(d => d.Name))}") { Target = name };

    public IDriverRuntime Runtime(KompoxCluster cluster)
    {
        var driver = Driver(cluster.Provider.Driver);
        return driver switch
        {
            K3sDriver => new K3sRuntime(K3sDriver.DataRootOf(cluster), timeProvider),
            AksDriver => AksOf(cluster.Provider),
            // Every driver ProviderDrivers lists has a runtime; a new driver without one is a fault of this assembly.
            _ => throw new UnreachableException($"driver {driver.Name} has no disk runtime"),
        };
    }

    private AksRuntime AksOf(KompoxProvider provider)
    {
        var made = aks.GetOrAdd(provider.Id, _ => new Lazy<AksRuntime>(() => new AksRuntime(provider, azure, timeProvider)));
        try
        {
            return made.Value;
        }
        catch
        {
            // A provider whose settings are wrong is tried again once they are mended.
            aks.TryRemove(new KeyValuePair<string, Lazy<AksRuntime>>(provider.Id, made));
            throw;
        }
    }

    /// <summary>Disposes the credentials the runtimes signed in with, where they hold anything to dispose.</summary>
    public ValueTask DisposeAsync()
    {
        foreach (var made in aks.Values.Where(m => m.IsValueCreated))
        {
            (made.Value.Credential as IDisposable)?.Dispose();
        }

        aks.Clear();
        return ValueTask.CompletedTask;
    }
}
