using Kompox.Operations;
using Kompox.PowerShell;

namespace Kompox.Cmdlets;

/// <summary>Base of the cmdlets that make, copy and remove an app's disks and snapshots: the app as every app cmdlet takes it, and the engine's disk and snapshot operations.</summary>
public abstract class KompoxDiskDataCmdlet : KompoxAppCmdlet
{
    /// <summary>Steps as Write-Progress (copies in bytes), details as Write-Verbose, warnings as Write-Warning.</summary>
    protected IProgress<OperationProgress> Progress => new ReporterProgress(Reporter);

    /// <summary>How long an operation holding the app waits for another holder: with -Wait the engine's default, else not at all.</summary>
    protected static TimeSpan LockWait(bool wait) => wait ? KompoxContext.DefaultAppLockTimeout : TimeSpan.Zero;

    /// <summary>How ShouldProcess names the app: with its cluster and provider, where the disks are.</summary>
    protected static string Target(KompoxApp app) => $"app {app.Id} ({app.Model.Cluster.Provider.Driver} provider {app.Model.Cluster.Provider.Id})";
}
