using System.Management.Automation;
using Kompox.Drivers;
using Kompox.Operations;
using Kompox.PowerShell;

namespace Kompox.Cmdlets;

/// <summary>Deploys apps: creates them on their cluster the first time and applies their changes on every later call.</summary>
[Cmdlet(VerbsCommon.New, "KompoxApp", DefaultParameterSetName = PathSet, SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(KompoxAppStatus))]
[OutputType(typeof(KompoxBindSeed))]
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

    /// <summary>
    /// Instead of deploying, copy the project's bound directories onto the app's current disk, never over a file the disk
    /// has (as the disk's first deploy does); writes what was copied and kept, one object per bind.
    /// </summary>
    [Parameter]
    public SwitchParameter SeedBinds { get; set; }

    protected override async Task ProcessRecordAsync(CancellationToken cancellationToken)
    {
        var timeout = TimeSpan.FromSeconds(Timeout);
        if (SeedBinds)
        {
            await SeedAsync(timeout, cancellationToken);
            return;
        }


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

    /// <summary>-SeedBinds: what would be copied is found first (writing nothing), shown by -WhatIf and -Confirm, then copied under the app's lock.</summary>
    private async Task SeedAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        foreach (var app in InputResources(cancellationToken))
        {
            var options = new SeedBindsOptions { Environment = ProcessEnvironment(), Profiles = Profile, LockWait = Wait ? timeout : TimeSpan.Zero };
            var progress = new ReporterProgress(Reporter);
            var plan = await TryAsync(token => Apps.SeedBindsAsync(app.Id, options with { DryRun = true }, progress, token), cancellationToken);
            if (plan is null)
            {
                continue;
            }

            var target = $"disk {plan.DiskId} of app {app.Id}";
            if (!ShouldProcess(DescribeSeed(target, plan), $"Copy the bound directories onto {target}?", "Copy bound directories"))
            {
                continue;
            }

            if (await TryAsync(token => Apps.SeedBindsAsync(app.Id, options, progress, token), cancellationToken) is { } done)
            {
                foreach (var bind in done.Binds)
                {
                    WriteObject(new KompoxBindSeed(bind, done, app));
                }
            }
        }
    }

    /// <summary>What -WhatIf says for -SeedBinds: per bind, each entry that would arrive and each the disk keeps.</summary>
    private static string DescribeSeed(string target, SeedResult plan)
    {
        var lines = new List<string> { $"Copy the bound directories onto {target}:" };
        foreach (var bind in plan.Binds)
        {
            lines.Add(bind.NotCopied is { } why
                ? $"  {bind.Bind.Source} -> {bind.Bind.DiskPath}: nothing ({why})"
                : $"  {bind.Bind.Source} -> {bind.Bind.DiskPath}: {bind.Files} entries, {bind.Bytes} bytes; {bind.Skipped.Count} kept as the disk has them");
            lines.AddRange(bind.Copied.Select(c => $"    copy {c}"));
            lines.AddRange(bind.Skipped.Select(k => $"    keep {k}"));
        }

        return string.Join(Environment.NewLine, lines);
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
