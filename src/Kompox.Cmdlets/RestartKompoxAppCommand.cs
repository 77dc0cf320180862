using System.Management.Automation;
using Kompox.Operations;
using Kompox.PowerShell;

namespace Kompox.Cmdlets;

/// <summary>Restarts apps' Pods as <c>kubectl rollout restart</c> does and waits for the new Pod; the disk stays.</summary>
[Cmdlet(VerbsLifecycle.Restart, "KompoxApp", DefaultParameterSetName = PathSet, SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(KompoxAppRestart))]
public sealed class RestartKompoxAppCommand : KompoxAppCmdlet
{
    /// <summary>Seconds the new Pod may take to become Ready; with -Wait, also how long to wait for another operation on the app.</summary>
    [Parameter]
    [ValidateRange(1, 86400)]
    public int Timeout { get; set; } = 300;

    /// <summary>Wait for another operation holding the app (up to -Timeout) instead of failing at once.</summary>
    [Parameter]
    public SwitchParameter Wait { get; set; }

    /// <summary>Write the Pod before and the Pod after.</summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override async Task ProcessRecordAsync(CancellationToken cancellationToken)
    {
        foreach (var app in InputResources(cancellationToken))
        {
            if (!ShouldProcess($"app {app.Id} on cluster {app.Model.Cluster.Id}", "Replace the app's Pod by a new one (its containers restart; the disk stays)"))
            {
                continue;
            }

            var options = new AppRestartOptions { Timeout = TimeSpan.FromSeconds(Timeout), LockWait = Wait ? TimeSpan.FromSeconds(Timeout) : TimeSpan.Zero };
            await RunAsync(
                token => Apps(app).RestartAsync(app.Id, options, new ReporterProgress(Reporter), token),
                result => PassThru ? new KompoxAppRestart(result, app) : null,
                cancellationToken);
        }
    }
}
