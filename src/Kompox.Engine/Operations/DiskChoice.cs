using Kompox.Drivers;

namespace Kompox.Operations;

/// <summary>Which disk an operation copies: the one named, or else the app's current one.</summary>
internal static class DiskChoice
{
    /// <summary>
    /// <paramref name="diskId"/> when given; else the disk the app's namespace names current, or, when the cluster does
    /// not answer (<see cref="OperationScope.Unanswered"/>, or the read finds no one there), the disk the provider records
    /// current (<see cref="DiskInfo.ProviderCurrent"/>): a backup of the current disk must not need the cluster.
    /// </summary>
    /// <exception cref="KompoxException"><c>NoCurrentDisk</c> when none is named and neither the namespace nor the provider names one.</exception>
    public static async Task<string> ResolveAsync(OperationScope scope, IDriverRuntime runtime, string? diskId, CancellationToken cancellationToken)
    {
        if (diskId is not null)
        {
            return diskId;
        }

        scope.Step("reading which disk is current", 5);
        string? current = null;
        if (scope.Unanswered is null)
        {
            try
            {
                current = (await AppDiskStates.ReadAsync(scope, cancellationToken).ConfigureAwait(false)).CurrentDiskId;
            }
            catch (Exception e) when (ErrorTranslation.IsUnanswered(e, cancellationToken))
            {
                scope.Detail($"the API server of cluster {scope.Cluster.Name} does not answer; the current disk is the one the provider records");
            }
        }

        current ??= DiskInfo.ProviderCurrent(await runtime.ListDisksAsync(scope.App, cancellationToken).ConfigureAwait(false));
        return current
            ?? throw new KompoxException("NoCurrentDisk", ErrorKind.NotFound, $"app {scope.App.Id} has no current disk (neither its namespace nor the provider names one: it was never deployed); name a disk") { Target = scope.App.Id, Remedy = Remedy.ChangeOption("DiskId") };
    }
}
