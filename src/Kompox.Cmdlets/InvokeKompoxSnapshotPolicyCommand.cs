using System.Management.Automation;
using Kompox.PowerShell;

namespace Kompox.Cmdlets;

/// <summary>
/// Runs each app's snapshot policy once: a snapshot of the current disk when one is due (SNAPSHOT_INTERVAL), then the
/// snapshots no retention rule keeps pruned. Meant for a timer (an Azure Automation schedule, cron): every app piped in is
/// handled, and a run that failed for one is a non-terminating error naming it, so the runbook or the shell's exit code
/// sees it.
/// </summary>
[Cmdlet(VerbsLifecycle.Invoke, "KompoxSnapshotPolicy", DefaultParameterSetName = PathSet, SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low)]
[OutputType(typeof(KompoxSnapshotPolicyResult))]
public sealed class InvokeKompoxSnapshotPolicyCommand : KompoxDiskDataCmdlet
{
    protected override async Task ProcessRecordAsync(CancellationToken cancellationToken)
    {
        foreach (var app in InputResources(cancellationToken))
        {
            if (!ShouldProcess(Target(app), "Apply the snapshot policy: take a snapshot when one is due, and remove the snapshots its retention does not keep"))
            {
                continue;
            }

            if (await TryAsync(token => Snapshots(app).ApplyPolicyAsync(app.Id, Progress, token), cancellationToken) is not { } result)
            {
                continue;
            }

            var written = new KompoxSnapshotPolicyResult(result, app);
            WriteObject(written);
            if (result.Outcome == Operations.SnapshotPolicyOutcome.Skipped)
            {
                WriteVerbose(result.Message);
            }

            foreach (var error in result.Errors)
            {
                // The engine's error, rendered as every cmdlet renders one (category, remedy), under an id that says the run failed.
                var rendered = ToErrorRecord(error);
                WriteError(new ErrorRecord(new InvalidOperationException($"{app.Id}: snapshot policy failed: {error.Message}", error), $"SnapshotPolicyFailed,{error.ErrorId}", rendered.CategoryInfo.Category, written)
                {
                    ErrorDetails = rendered.ErrorDetails is { } details
                        ? new ErrorDetails($"{app.Id}: snapshot policy failed: {details.Message}") { RecommendedAction = details.RecommendedAction }
                        : null,
                });
            }
        }
    }
}
