using System.Collections;
using System.Management.Automation;
using Kompox.Drivers;
using Kompox.Operations;
using Kompox.Operations.Remote;
using Kompox.PowerShell;

namespace Kompox.Cmdlets;

/// <summary>
/// Deploys apps: creates them on their cluster the first time and applies their changes on every later call. Connected to
/// a Kompox service, -Name deploys the caller's app there, registering it first (or changing its registration) when
/// -Compose or -ComposePath gives its compose file.
/// </summary>
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

    private const string NameSet = "Name";
    private const string ComposeSet = "Compose";
    private const string ComposePathSet = "ComposePath";

    /// <summary>Client mode: the app's name in the connected Kompox service.</summary>
    [Parameter(Mandatory = true, ParameterSetName = NameSet)]
    [Parameter(Mandatory = true, ParameterSetName = ComposeSet)]
    [Parameter(Mandatory = true, ParameterSetName = ComposePathSet)]
    [ValidateNotNullOrEmpty]
    public string Name { get; set; } = null!;

    /// <summary>Client mode: the service's cluster to run a new app on (Get-KompoxCluster lists them); an app registered before keeps its cluster when none is given.</summary>
    [Parameter(ParameterSetName = ComposeSet)]
    [Parameter(ParameterSetName = ComposePathSet)]
    [ValidateNotNullOrEmpty]
    public string? Cluster { get; set; }

    /// <summary>Client mode: the compose file's text, stored with the app in the service.</summary>
    [Parameter(Mandatory = true, ParameterSetName = ComposeSet)]
    [ValidateNotNullOrEmpty]
    public string Compose { get; set; } = null!;

    /// <summary>Client mode: a compose file whose text is sent, as -Compose sends text.</summary>
    [Parameter(Mandatory = true, ParameterSetName = ComposePathSet)]
    [ValidateNotNullOrEmpty]
    public string ComposePath { get; set; } = null!;

    /// <summary>Client mode: the app's settings (e.g. the SNAPSHOT_* policy), over those it has: a key given as $null is removed.</summary>
    [Parameter(ParameterSetName = ComposeSet)]
    [Parameter(ParameterSetName = ComposePathSet)]
    public Hashtable? Settings { get; set; }

    /// <summary>Client mode: custom host names by port (<c>http_80 = 'git.example.com'</c>), over those the app has.</summary>
    [Parameter(ParameterSetName = ComposeSet)]
    [Parameter(ParameterSetName = ComposePathSet)]
    public Hashtable? Ingress { get; set; }

    /// <summary>Client mode: the app's resources (<c>cpu</c>, <c>memory</c>), over those it has.</summary>
    [Parameter(ParameterSetName = ComposeSet)]
    [Parameter(ParameterSetName = ComposePathSet)]
    public Hashtable? Resources { get; set; }

    /// <summary>
    /// Instead of deploying, copy the project's bound directories onto the app's current disk, never over a file the disk
    /// has (as the disk's first deploy does); writes what was copied and kept, one object per bind.
    /// </summary>
    [Parameter(ParameterSetName = PathSet)]
    [Parameter(ParameterSetName = LiteralPathSet)]
    [Parameter(ParameterSetName = AppSet)]
    public SwitchParameter SeedBinds { get; set; }

    protected override async Task ProcessRecordAsync(CancellationToken cancellationToken)
    {
        if (ParameterSetName is NameSet or ComposeSet or ComposePathSet)
        {
            await DeployInServiceAsync(cancellationToken);
            return;
        }

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
            var plan = await TryAsync(token => Apps(app).PlanDeployAsync(app.Id, options, progress, token), cancellationToken);
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
                token => Apps(app).DeployAsync(plan, progress, token),
                status => new KompoxAppStatus(status, app),
                cancellationToken);
        }
    }

    /// <summary>-SeedBinds: what would be copied is found first (writing nothing), shown by -WhatIf and -Confirm, then copied under the app's lock.</summary>
    private async Task SeedAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        foreach (var app in InputResources(cancellationToken))
        {
            var options = new SeedBindsOptions { Environment = ProcessEnvironment(), Profiles = Profile, LockWait = Wait ? timeout : TimeSpan.Zero, Timeout = timeout };
            var progress = new ReporterProgress(Reporter);
            var plan = await TryAsync(token => Apps(app).SeedBindsAsync(app.Id, options with { DryRun = true }, progress, token), cancellationToken);
            if (plan is null)
            {
                continue;
            }

            var target = $"disk {plan.DiskId} of app {app.Id}";
            if (!ShouldProcess(DescribeSeed(target, plan), $"Copy the bound directories onto {target}?", "Copy bound directories"))
            {
                continue;
            }

            if (await TryAsync(token => Apps(app).SeedBindsAsync(app.Id, options, progress, token), cancellationToken) is { } done)
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
        lines.AddRange(plan.Notes.Select(n => $"  ({n})"));
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


    /// <summary>
    /// Client mode: registers the app (or changes its registration) when a compose file is given, then has the service
    /// deploy it; the service validates the name and the compose file before it stores anything.
    /// </summary>
    private async Task DeployInServiceAsync(CancellationToken cancellationToken)
    {
        if (ServiceSession.Current is not { } service)
        {
            Fail(ServiceSession.NotConnected($"New-KompoxApp -{ParameterSetName}"));
            return;
        }

        string? compose = ParameterSetName switch
        {
            ComposeSet => Compose,
            ComposePathSet => ReadCompose(FileSystemPath(ComposePath)),
            _ => null,
        };
        var what = compose is null ? "Deploy" : $"Register{(Cluster is null ? string.Empty : $" on cluster {Cluster}")} and deploy";
        if (!ShouldProcess($"app {Name} in the Kompox service {service.Uri}", what))
        {
            return;
        }

        var registered = await TryAsync(async token => compose is null ? await service.GetAppAsync(Name, token) : await RegisterAsync(service, compose, token), cancellationToken);
        if (registered is null || await TryAsync(token => ServiceSession.AppsAsync(service, [registered], token), cancellationToken) is not [var app])
        {
            return;
        }

        var timeout = TimeSpan.FromSeconds(Timeout);
        var options = new DeployOptions { Profiles = Profile, Timeout = timeout, LockWait = Wait ? timeout : TimeSpan.Zero };
        await RunAsync(token => Apps(app).DeployAsync(app.Id, options, new ReporterProgress(Reporter), token), status => new KompoxAppStatus(status, app), cancellationToken);
    }

    /// <summary>Registers the app, or changes the registration the caller has of that name (its cluster kept unless -Cluster is given).</summary>
    private async Task<ServiceApp> RegisterAsync(ServiceClient service, string compose, CancellationToken cancellationToken)
    {
        ServiceApp? existing = null;
        try
        {
            existing = await service.GetAppAsync(Name, cancellationToken);
        }
        catch (KompoxException e) when (e.ErrorId == "AppNotFound")
        {
            WriteVerbose($"app {Name} is not registered in {service.Uri}: registering it");
        }

        if (existing is null)
        {
            return await service.CreateAppAsync(
                new AppRegistration
                {
                    Name = Name, Cluster = Cluster ?? string.Empty, Compose = compose,
                    Ingress = KompoxServiceCmdlet.SettingsOf(Ingress), Resources = KompoxServiceCmdlet.SettingsOf(Resources), Settings = KompoxServiceCmdlet.SettingsOf(Settings),
                },
                cancellationToken);
        }

        return await service.UpdateAppAsync(
            new AppRegistration
            {
                Name = Name, Cluster = Cluster ?? existing.Cluster, Compose = compose,
                Ingress = KompoxServiceCmdlet.SettingsOf(Ingress, existing.Ingress), Resources = KompoxServiceCmdlet.SettingsOf(Resources, existing.Resources), Settings = KompoxServiceCmdlet.SettingsOf(Settings, existing.Settings),
            },
            cancellationToken);
    }

    /// <summary>The text of -ComposePath, read as the engine reads a compose file (its errors are the engine's).</summary>
    private string ReadCompose(string path)
    {
        try
        {
            return Yaml.TextFile.Read(path, ComposePath, Config.KompoxConfig.MaxComposeBytes);
        }
        catch (KompoxException e)
        {
            Fail(e);
            throw;
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
