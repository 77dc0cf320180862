using System.Management.Automation;
using Kompox.Operations;
using Kompox.PowerShell;

namespace Kompox.Cmdlets;

/// <summary>Deploys apps: creates them on their cluster the first time and applies their changes on every later call.</summary>
[Cmdlet(VerbsCommon.New, "KompoxApp", DefaultParameterSetName = PathSet, SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(KompoxAppStatus))]
public sealed class NewKompoxAppCommand : KompoxAppCmdlet
{
    /// <summary>Seconds the new Pod may take to become Ready; with -Wait, also how long to wait for another operation on the app.</summary>
    [Parameter]
    [ValidateRange(1, 86400)]
    public int Timeout { get; set; } = 300;

    /// <summary>The compose profiles to enable; none: those COMPOSE_PROFILES names.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string[] Profile { get; set; } = Array.Empty<string>();

    /// <summary>Wait for another operation holding the app (up to -Timeout) instead of failing at once.</summary>
    [Parameter]
    public SwitchParameter Wait { get; set; }

    protected override async Task ProcessRecordAsync(CancellationToken cancellationToken)
    {
        var timeout = TimeSpan.FromSeconds(Timeout);
        foreach (var app in InputResources(cancellationToken))
        {
            var operations = OperationsOf(app, Wait ? timeout : TimeSpan.Zero);
            var options = new DeployOptions { Environment = ProcessEnvironment(), Profiles = Profile, Timeout = timeout };
            var progress = new ReporterProgress(Reporter);

            // What would be done is read from the cluster first, so that -WhatIf and -Confirm tell it; reading writes nothing.
            var plan = await TryAsync(token => operations.PlanDeployAsync(app.Model, options, progress, token), cancellationToken);
            if (plan is null)
            {
                continue;
            }

            WriteAppWarnings(app, plan.Warnings);
            if (!ShouldProcess($"app {app.Id} on cluster {app.Model.Cluster.Id} ({app.Model.Cluster.Auth})", $"Deploy: {plan}"))
            {
                continue;
            }

            await RunAsync(
                token => operations.DeployAsync(app.Model, options, progress, token),
                status => new KompoxAppStatus(status, app),
                cancellationToken);
        }
    }
}
