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
    [ArgumentCompleter(typeof(ProfileCompleter))]
    public string[] Profile { get; set; } = Array.Empty<string>();

    /// <summary>Wait for another operation holding the app (up to -Timeout) instead of failing at once.</summary>
    [Parameter]
    public SwitchParameter Wait { get; set; }

    protected override async Task ProcessRecordAsync(CancellationToken cancellationToken)
    {
        var timeout = TimeSpan.FromSeconds(Timeout);

        // Asking the cluster what each object's apply would change costs a request per object: only when it is shown.
        var compare = ShowsPlan(ConfirmImpact.Medium);
        foreach (var app in InputResources(cancellationToken))
        {
            var options = new DeployOptions { Environment = ProcessEnvironment(), Profiles = Profile, Timeout = timeout, LockWait = Wait ? timeout : TimeSpan.Zero, Compare = compare };
            var progress = new ReporterProgress(Reporter);

            // What will be done is read from the cluster first (reading writes nothing), so that -WhatIf and -Confirm show
            // it; the app is converted once, and the plan shown is the plan applied.
            var plan = await TryAsync(token => Apps.PlanDeployAsync(app.Id, options, progress, token), cancellationToken);
            if (plan is null)
            {
                continue;
            }

            WriteAppWarnings(app, plan.Warnings);
            var target = $"app {app.Id} on cluster {app.Model.Cluster.Id} ({app.Model.Cluster.Auth})";
            if (!ShouldProcess(Describe(target, plan), $"Deploy {target}: {plan}?", "Deploy"))
            {
                continue;
            }

            await RunAsync(
                token => Apps.DeployAsync(plan, progress, token),
                status => new KompoxAppStatus(status, app),
                cancellationToken);
        }
    }

    /// <summary>What -WhatIf says: a line per object, with what the deploy does to it.</summary>
    private static string Describe(string target, DeployPlan plan)
    {
        var lines = new List<string> { $"Deploy {target}:" };
        if (plan.CreatesDisk)
        {
            lines.Add("  create the first disk, its PersistentVolume and its PersistentVolumeClaim");
        }

        lines.AddRange(plan.Changes.Select(c => $"  {c}"));
        if (!plan.Compared)
        {
            lines.Add("  prune the app's objects no longer desired");
        }

        return string.Join(Environment.NewLine, lines);
    }
}
