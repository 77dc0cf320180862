using Kompox.Drivers;
using Kompox.Operations;

namespace Kompox.PowerShell;

/// <summary>
/// One of an app's disks. It carries its App and its Id, so that it pipes by property name into the disk cmdlets
/// (<c>Get-KompoxDisk | Switch-KompoxDisk</c>) and into the snapshot cmdlets as the disk to copy.
/// </summary>
public sealed class KompoxDisk
{
    internal KompoxDisk(DiskInfo model, KompoxApp app)
    {
        Model = model;
        App = app;
    }

    public KompoxApp App { get; }

    /// <summary>The provider's id of the disk, as the namespace's <c>kompox.dev/disk-current-id</c> keeps it.</summary>
    public string Id => Model.Id;

    /// <summary>Also the disk's id, under the name the snapshot cmdlets take a disk by (<c>-DiskId</c>).</summary>
    public string DiskId => Model.Id;

    public string AppId => Model.AppId;

    /// <summary>Whether the app uses this disk (its namespace, or the provider's record when the cluster cannot be read).</summary>
    public bool IsCurrent => Model.IsCurrent;

    public DateTimeOffset CreatedAt => Model.CreatedAt;

    public long SizeBytes => Model.SizeBytes;

    /// <summary>The size as a Kubernetes quantity (<c>32Gi</c>).</summary>
    public string Size => DiskInfo.Quantity(Model.SizeBytes);

    /// <summary>The zone of a zonal disk; null when it attaches anywhere.</summary>
    public string? Zone => Model.Zone;

    internal DiskInfo Model { get; }

    public override string ToString() => Id;
}

/// <summary>A snapshot of one of an app's disks; it pipes by property name (<c>App</c>, <c>Id</c>) into the snapshot cmdlets.</summary>
public sealed class KompoxSnapshot
{
    internal KompoxSnapshot(SnapshotInfo model, KompoxApp app)
    {
        Model = model;
        App = app;
    }

    public KompoxApp App { get; }

    public string Id => Model.Id;

    /// <summary>Also the snapshot's id, under the name the snapshot cmdlets take it by (<c>-SnapshotId</c>).</summary>
    public string SnapshotId => Model.Id;

    public string AppId => Model.AppId;

    /// <summary>The disk the snapshot was taken of.</summary>
    public string SourceDiskId => Model.DiskId;

    public DateTimeOffset CreatedAt => Model.CreatedAt;

    /// <summary>The size of the disk it was taken of, which a restored disk gets.</summary>
    public long SizeBytes => Model.SizeBytes;

    public string Size => DiskInfo.Quantity(Model.SizeBytes);

    /// <summary>Pinned (Set-KompoxSnapshot -Pin): the snapshot policy never prunes it.</summary>
    public bool Pinned => Model.Pinned;

    internal SnapshotInfo Model { get; }

    public override string ToString() => Id;
}

/// <summary>A snapshot as one run of the snapshot policy left it: kept (and by which rules) or pruned.</summary>
public sealed class KompoxPolicySnapshot
{
    internal KompoxPolicySnapshot(PolicySnapshot model) => Model = model;

    public string Id => Model.Id;

    public string SourceDiskId => Model.DiskId;

    public DateTimeOffset CreatedAt => Model.CreatedAt;

    public bool Pinned => Model.Pinned;

    /// <summary>The rules that keep it (<c>newest</c>, <c>pinned</c>, <c>among the 7 newest</c>, <c>newest of day 2026-12-05</c> ...); empty when it was pruned.</summary>
    public string[] Reasons => Model.Reasons.ToArray();

    internal PolicySnapshot Model { get; }

    public override string ToString() => Reasons.Length == 0 ? Id : $"{Id} ({string.Join(", ", Reasons)})";
}

/// <summary>An app's snapshot policy (Get-KompoxSnapshotPolicy): its SNAPSHOT_* settings and the last run a Kompox service recorded.</summary>
public sealed class KompoxSnapshotPolicy
{
    internal KompoxSnapshotPolicy(KompoxApp app, Operations.Remote.SnapshotPolicyRun? run)
    {
        App = app;
        var names = global::Kompox.Model.SnapshotPolicy.Settings.Select(s => s.Name).ToList();
        Settings = new System.Collections.Specialized.OrderedDictionary(StringComparer.Ordinal);
        foreach (var name in names.Where(app.Settings.ContainsKey))
        {
            Settings[name] = app.Settings[name];
        }

        LastRunTime = run?.Time;
        LastRun = run is null ? null : new KompoxSnapshotPolicyResult(run.Result, app);
    }

    public KompoxApp App { get; }

    public string AppId => App.Id;

    /// <summary>The app's SNAPSHOT_* settings that are set, in the order about_Kompox_Disks lists them; empty when it has no policy.</summary>
    public System.Collections.Specialized.OrderedDictionary Settings { get; }

    /// <summary>When the last run the service recorded ended; null for an app from kompoxops.yml, or before the first run.</summary>
    public DateTimeOffset? LastRunTime { get; }

    /// <summary>The last run the service recorded, as Invoke-KompoxSnapshotPolicy writes one: Outcome, Message, Taken, Kept, Pruned.</summary>
    public KompoxSnapshotPolicyResult? LastRun { get; }
}

/// <summary>What Invoke-KompoxSnapshotPolicy did for one app: the outcome, the snapshot taken, what was kept and why, what was pruned.</summary>
public sealed class KompoxSnapshotPolicyResult
{
    internal KompoxSnapshotPolicyResult(SnapshotPolicyResult model, KompoxApp app)
    {
        Model = model;
        App = app;
        Taken = model.Taken is { } taken ? new KompoxSnapshot(taken, app) : null;
        Kept = model.Kept.Select(k => new KompoxPolicySnapshot(k)).ToArray();
        Pruned = model.Pruned.Select(p => new KompoxPolicySnapshot(p)).ToArray();
    }

    public KompoxApp App { get; }

    public string AppId => Model.AppId;

    /// <summary>Skipped (no policy), NotDue, Taken or Failed.</summary>
    public string Outcome => Model.Outcome.ToString();

    /// <summary>Whether the run failed (the due snapshot, or a pruning): Invoke-KompoxSnapshotPolicy also writes an error for it.</summary>
    public bool Failed => Model.Outcome == SnapshotPolicyOutcome.Failed;

    public string Message => Model.Message;

    public KompoxSnapshot? Taken { get; }

    public KompoxPolicySnapshot[] Kept { get; }

    public KompoxPolicySnapshot[] Pruned { get; }

    /// <summary>What failed in the run (the snapshot, or removing one), each as the engine says it; empty when it did not fail.</summary>
    public string[] Errors => Model.Errors.Select(e => e.Message).ToArray();

    internal SnapshotPolicyResult Model { get; }

    public override string ToString() => $"{AppId}: {Outcome}";
}

/// <summary>What New-KompoxApp -SeedBinds copied of one bound directory onto the app's disk, and what the disk kept.</summary>
public sealed class KompoxBindSeed
{
    internal KompoxBindSeed(SeededBind model, SeedResult result, KompoxApp app)
    {
        Model = model;
        App = app;
        DiskId = result.DiskId;
    }

    public KompoxApp App { get; }

    public string AppId => App.Id;

    /// <summary>The disk copied onto: the app's current one.</summary>
    public string DiskId { get; }

    /// <summary>The bind's source as the compose file writes it (<c>./html</c>).</summary>
    public string Source => Model.Bind.Source;

    /// <summary>Its directory on the disk (<c>binds/html</c>).</summary>
    public string DiskPath => Model.Bind.DiskPath;

    /// <summary>The files, links and directories that arrived.</summary>
    public long Files => Model.Files;

    /// <summary>The bytes of file data that arrived.</summary>
    public long Bytes => Model.Bytes;

    /// <summary>Each entry that arrived, relative to the bind's directory (a directory with all it holds; <c>.</c> for the whole directory).</summary>
    public string[] Copied => Model.Copied.ToArray();

    /// <summary>Each entry the disk already had, kept as it is.</summary>
    public string[] Skipped => Model.Skipped.ToArray();

    /// <summary>Why nothing of the bind was copied; empty when it was looked at.</summary>
    public string? NotCopied => Model.NotCopied;

    internal SeededBind Model { get; }

    public override string ToString() => $"{Source} -> {DiskPath}";
}
