using Kompox.Drivers;
using Kompox.Model;

namespace Kompox.Operations;

/// <summary>What can be done to an app's disks; the REST endpoints and a client-mode backend share it.</summary>
public interface IDiskOperations
{
    /// <summary>The app's disks, newest first, the one its namespace names current marked.</summary>
    Task<IReadOnlyList<DiskInfo>> ListAsync(KompoxApp app, IProgress<OperationProgress>? progress, CancellationToken cancellationToken);

    /// <summary>A new empty disk of the app; it does not become current.</summary>
    Task<DiskInfo> CreateAsync(KompoxApp app, IProgress<OperationProgress>? progress, CancellationToken cancellationToken);

    /// <summary>Deletes a disk of the app, refusing the current one (<c>DiskIsCurrent</c>).</summary>
    Task DeleteAsync(KompoxApp app, string diskId, IProgress<OperationProgress>? progress, CancellationToken cancellationToken);
}

public sealed class DiskOperations : IDiskOperations
{
    private readonly KompoxContext context;
    private readonly AppOperations apps;

    public DiskOperations(KompoxContext context)
    {
        this.context = context;
        apps = new AppOperations(context);
    }

    public Task<IReadOnlyList<DiskInfo>> ListAsync(KompoxApp app, IProgress<OperationProgress>? progress, CancellationToken cancellationToken)
    {
        var activity = $"Listing disks of app {app.Id}";
        return ErrorTranslation.Guard(activity, cancellationToken, async () =>
        {
            var report = progress ?? NoProgress.Instance;
            var runtime = context.Drivers.Runtime(app.Cluster);
            report.Report(new OperationProgress(activity, "reading the disk state", 0));
            var state = await apps.GetDiskStateAsync(app, report, cancellationToken).ConfigureAwait(false);
            report.Report(new OperationProgress(activity, "listing the provider's disks", 50));
            var disks = await runtime.ListDisksAsync(app, cancellationToken).ConfigureAwait(false);
            report.Report(new OperationProgress(activity, $"{disks.Count} disks", 100));
            return (IReadOnlyList<DiskInfo>)disks.Select(d => d with { IsCurrent = d.Id == state.CurrentDiskId }).ToList();
        });
    }

    public Task<DiskInfo> CreateAsync(KompoxApp app, IProgress<OperationProgress>? progress, CancellationToken cancellationToken)
    {
        var activity = $"Creating a disk for app {app.Id}";
        return ErrorTranslation.Guard(activity, cancellationToken, async () =>
        {
            var report = progress ?? NoProgress.Instance;
            var runtime = context.Drivers.Runtime(app.Cluster);
            report.Report(new OperationProgress(activity, "waiting for the app", 0));
            await using var held = await context.AppLock.AcquireAsync(app, context.AppLockTimeout, report, cancellationToken).ConfigureAwait(false);
            return await AppLease.WhileHeldAsync(held, async token =>
            {
                var disk = await runtime.CreateDiskAsync(app, report, token).ConfigureAwait(false);
                report.Report(new OperationProgress(activity, $"created {disk.Id}", 100));
                return disk;
            }, cancellationToken).ConfigureAwait(false);
        });
    }

    public Task DeleteAsync(KompoxApp app, string diskId, IProgress<OperationProgress>? progress, CancellationToken cancellationToken)
    {
        var activity = $"Deleting disk {diskId} of app {app.Id}";
        return ErrorTranslation.Guard(activity, cancellationToken, async () =>
        {
            var report = progress ?? NoProgress.Instance;
            var runtime = context.Drivers.Runtime(app.Cluster);
            report.Report(new OperationProgress(activity, "waiting for the app", 0));
            await using var held = await context.AppLock.AcquireAsync(app, context.AppLockTimeout, report, cancellationToken).ConfigureAwait(false);
            await AppLease.WhileHeldAsync(held, async token =>
            {
                // Under the lock, so that no switch makes the disk current between the check and the deletion.
                var state = await apps.GetDiskStateAsync(app, report, token).ConfigureAwait(false);
                if (state.CurrentDiskId == diskId)
                {
                    throw new KompoxException("DiskIsCurrent", ErrorKind.Conflict, $"disk {diskId} is the current disk of app {app.Id}; switch the app to another disk first") { Target = diskId };
                }

                await runtime.DeleteDiskAsync(app, diskId, token).ConfigureAwait(false);
                report.Report(new OperationProgress(activity, "deleted", 100));
            }, cancellationToken).ConfigureAwait(false);
        });
    }
}
