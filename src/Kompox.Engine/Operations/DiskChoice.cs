namespace Kompox.Operations;

/// <summary>Which disk an operation copies: the one named, or else the app's current one.</summary>
internal static class DiskChoice
{
    /// <summary><paramref name="diskId"/> when given; else the disk the app's namespace names current.</summary>
    /// <exception cref="KompoxException"><c>NoCurrentDisk</c> when none is named and the app has no current disk.</exception>
    public static async Task<string> ResolveAsync(OperationScope scope, string? diskId, CancellationToken cancellationToken)
    {
        if (diskId is not null)
        {
            return diskId;
        }

        // TODO(lead, issue 14 item 5): with the cluster down, the provider's record of the current disk (disk-switch) answers.
        scope.Step("reading which disk is current", 5);
        var state = await AppDiskStates.ReadAsync(scope, cancellationToken).ConfigureAwait(false);
        return state.CurrentDiskId
            ?? throw new KompoxException("NoCurrentDisk", ErrorKind.NotFound, $"app {scope.App.Id} has no current disk (its namespace names none: it was never deployed); name a disk") { Target = scope.App.Id, Remedy = Remedy.ChangeOption("DiskId") };
    }
}
