using System.Runtime.Versioning;
using Azure.Core;
using Azure.Core.Pipeline;
using Azure.ResourceManager;
using k8s;
using Kompox.Conversion;
using Kompox.Drivers;
using Kompox.Model;
using Kompox.Operations;
using Kompox.Testing.FakeArm;
using Kompox.Testing.KubeApi;
using Kompox.Tests.KubeApi;
using Microsoft.Extensions.Time.Testing;

namespace Kompox.Tests.Operations;

/// <summary>
/// The project's bound directories on an aks disk (issue 14 item 8, "aks: through the disk"): the deploy runs a seed Pod
/// that mounts the disk's claim and pipes the disk archive into its tar, against the Kubernetes API test server (which
/// runs a client's bare Pod: KubeApiServer.Controllers.cs StartBarePod) and the fake ARM (the kompox-seeded tag is a
/// Disks - Update PATCH, learn.microsoft.com/rest/api/compute/disks/update). What runs in the seed container runs on this
/// machine (<see cref="ExecPrograms.OnThisMachine"/>: dash, GNU tar 1.34 and coreutils 9.1, as in the default seed image
/// debian:12), with the Pod's mount path standing for <see cref="DiskDir"/>.
/// </summary>
[SupportedOSPlatform("linux")]
public sealed class AksSeedTests : IAsyncLifetime
{
    private const string Subscription = "00000000-0000-0000-0000-000000000001";
    private const string Group = "rg-apps";
    private const string Compose = """
        services:
          web:
            image: nginx:1.27
            ports: ["8080:80"]
            volumes: ["./html:/usr/share/nginx/html"]
        """;

    private readonly FakeArm arm = new();
    private readonly ConfigFileStore store = new();
    private readonly string root = Directory.CreateTempSubdirectory("kompox-aks-seed-").FullName;
    private KubeApiHarness kube = null!;

    private string ProjectDir => Path.Combine(root, "project");

    /// <summary>The disk as the seed container sees it at /disk.</summary>
    private string DiskDir => Path.Combine(root, "disk");

    public async Task InitializeAsync()
    {
        kube = await KubeApiHarness.StartAsync().Within();
        await kube.InstallIngressAsync().Within();
        arm.ResourceGroups.Add(Group);
        arm.ResourceGroups.Add("rg-aks");
        var principal = Guid.NewGuid().ToString();
        arm.Clusters.Add(new FakeManagedCluster(Subscription, "rg-aks", "aks1", "japaneast", principal, "MC_rg-aks_aks1_japaneast", [[]]));
        arm.RoleAssignments.Add(new FakeRoleAssignment($"/subscriptions/{Subscription}/resourceGroups/{Group}", principal, FakeArm.ContributorRole));
        Directory.CreateDirectory(Path.Combine(ProjectDir, "html", "css"));
        Directory.CreateDirectory(DiskDir);
        File.WriteAllText(Path.Combine(ProjectDir, "compose.yml"), Compose);
        File.WriteAllText(Path.Combine(ProjectDir, "html", "index.html"), "<h1>hello</h1>");
        File.WriteAllText(Path.Combine(ProjectDir, "html", "css", "site.css"), "body{}");
    }

    public async Task DisposeAsync()
    {
        await kube.DisposeAsync().Within();
        arm.Dispose();
        Directory.Delete(root, recursive: true);
    }

    [Fact]
    public async Task The_first_deploy_copies_the_bound_directory_through_a_seed_Pod_before_the_Deployment_keeps_what_the_disk_has_and_tags_the_disk()
    {
        var app = App();
        var ns = KubeNames.Namespace(app);
        var seen = new List<(string Pod, IReadOnlyList<string> Command, bool DeploymentThere)>();
        kube.Server.InstallProgram(ns, "seed", "sh", async (process, token) =>
        {
            using var client = kube.Client();
            var deployments = await client.AppsV1.ListNamespacedDeploymentAsync(ns, cancellationToken: token).Within();
            seen.Add((process.Pod, process.Command, deployments.Items.Count > 0));
            return await Container()(process, token).Within();
        });

        // What the app's disk already has at the bind's path is kept (a disk restored from elsewhere, an earlier try).
        Directory.CreateDirectory(Path.Combine(DiskDir, "binds", "html"));
        File.WriteAllText(Path.Combine(DiskDir, "binds", "html", "index.html"), "the app's own");
        var progress = new RecordedProgress();
        await using var context = Context();

        var status = await new AppOperations(context).DeployAsync(app.Id, new DeployOptions(), progress, CancellationToken.None).Within();

        Assert.Equal("body{}", File.ReadAllText(Path.Combine(DiskDir, "binds", "html", "css", "site.css")));
        Assert.Equal("the app's own", File.ReadAllText(Path.Combine(DiskDir, "binds", "html", "index.html")));
        // Two commands in the seed Pod, both before the Deployment: the extraction into the staging directory, then the move.
        Assert.Equal(2, seen.Count);
        Assert.All(seen, s => Assert.Equal(ClusterSeed.PodName(app), s.Pod));
        Assert.DoesNotContain(seen, s => s.DeploymentThere);
        Assert.Contains("tar --extract", seen[0].Command[2], StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(DiskDir, ClusterSeed.Staging)), "the staging directory was left");

        // The seed Pod mounted the claim the app's Pod mounts, and is gone.
        var pods = (await kube.Client().CoreV1.ListNamespacedPodAsync(ns).Within()).Items;
        Assert.DoesNotContain(pods, p => p.Metadata.Name == ClusterSeed.PodName(app));
        var claim = Assert.Single(pods).Spec.Volumes.Single(v => v.PersistentVolumeClaim is not null).PersistentVolumeClaim.ClaimName;
        Assert.Contains(kube.Server.Requests, r => r.Method == "POST" && r.Path.EndsWith("/pods", StringComparison.Ordinal) && r.StatusCode == 201);

        // The disk is tagged seeded on Azure: the next deploy copies nothing.
        Assert.True((await context.Runtime(app.Cluster).GetDiskAsync(app, status.CurrentDiskId!, CancellationToken.None).Within()).Seeded);
        File.Delete(Path.Combine(DiskDir, "binds", "html", "css", "site.css"));
        await new AppOperations(context).DeployAsync(app.Id, new DeployOptions(), null, CancellationToken.None).Within();
        Assert.Equal(2, seen.Count);
        Assert.False(File.Exists(Path.Combine(DiskDir, "binds", "html", "css", "site.css")));

        // Progress in bytes of what was sent, and what was kept is said.
        Assert.Contains(progress.Reports, r => r.Status.StartsWith($"sending the archive to tar in Pod {ClusterSeed.PodName(app)}: ", StringComparison.Ordinal) && r.Status.EndsWith(" bytes", StringComparison.Ordinal));
        Assert.Contains(progress.Reports, r => r.Kind == ProgressKind.Detail && r.Status.Contains("./html -> binds/html: copied 2 entries (6 bytes); kept 1 the disk already has: index.html", StringComparison.Ordinal));
        Assert.NotNull(claim);
    }

    // An imported image and an adopted disk hold the app's data, as a restored snapshot does (RestoreSnapshot): they are
    // tagged seeded when made, and the deploy on each runs no seed Pod.
    [Fact]
    public async Task A_disk_imported_from_a_VHD_or_adopted_is_the_apps_data_and_the_deploy_on_it_runs_no_seed_Pod()
    {
        var app = App();
        var seeds = 0;
        kube.Server.InstallProgram(KubeNames.Namespace(app), "seed", "sh", async (process, token) =>
        {
            seeds++;
            return await Container()(process, token).Within();
        });
        var image = new byte[(20L << 20) + 512];
        SparseBlob.VhdFooter(20L << 20).CopyTo(image, 20 << 20);
        File.WriteAllBytes(Path.Combine(root, "web.vhd"), image);
        var outside = new FakeDisk
        {
            Kind = "disks",
            Subscription = Subscription,
            ResourceGroup = Group,
            Name = "made-outside",
            Location = "japaneast",
            Sku = "StandardSSD_LRS",
            CreateOption = "Empty",
            SizeBytes = 4L << 30,
            Content = new SparseBlob((4L << 30) + 512),
            Tags = new Dictionary<string, string>(),
        };
        arm.Add(outside);
        await using var context = Context();
        var disks = new DiskOperations(context);

        var imported = await disks.ImportAsync(app.Id, new ImportOptions { Path = Path.Combine(root, "web.vhd") }, null, CancellationToken.None).Within();
        var adopted = await disks.AdoptAsync(app.Id, outside.Id, null, null, CancellationToken.None).Within();

        Assert.True(imported.Seeded && adopted.Seeded);
        Assert.All(await context.Runtime(app.Cluster).ListDisksAsync(app, CancellationToken.None).Within(), d => Assert.True(d.Seeded, d.Id));
        foreach (var disk in new[] { imported.Id, adopted.Id })
        {
            await disks.SwitchAsync(app.Id, disk, null, null, CancellationToken.None).Within();
            var status = await new AppOperations(context).DeployAsync(app.Id, new DeployOptions(), null, CancellationToken.None).Within();
            Assert.Equal(disk, status.CurrentDiskId);
        }

        Assert.Equal(0, seeds);
        Assert.False(File.Exists(Path.Combine(DiskDir, "binds", "html", "index.html")));
    }

    // The app as the Kompox before per-disk claims left it (PreviousKompox): the deploy moves the volume onto the disk's own
    // claim, the managed disk stays, and the disk is tagged seeded, so that no later deploy (here after a destroy, when no
    // Pod of the app holds the quota) copies the project's files over the app's data.
    [Fact]
    public async Task The_first_deploy_after_the_upgrade_keeps_the_managed_disk_on_the_disks_own_claim_and_never_seeds_it()
    {
        var app = App();
        var ns = KubeNames.Namespace(app);
        var seeds = 0;
        kube.Server.InstallProgram(ns, "seed", "sh", async (process, token) =>
        {
            seeds++;
            return await Container()(process, token).Within();
        });
        await using var context = Context();
        var disk = await context.Runtime(app.Cluster).CreateDiskAsync(app, NoProgress.Instance, CancellationToken.None).Within();
        var project = Kompox.Compose.ComposeLoader.Load(app.Compose, app.ComposePath!, ProjectDir, app.Name, new Dictionary<string, string>(), Array.Empty<string>());
        await PreviousKompox.ApplyAsync(kube.Client(), app.Name, AppConverter.Convert(app, project, disk, new AppConversionOptions()).Objects, disk.Id).Within();

        var status = await new AppOperations(context).DeployAsync(app.Id, new DeployOptions(), null, CancellationToken.None).Within();

        var claim = Assert.Single((await kube.Client().CoreV1.ListNamespacedPersistentVolumeClaimAsync(ns).Within()).Items);
        var volume = await kube.Client().CoreV1.ReadPersistentVolumeAsync(KubeNames.PersistentVolume(ns, disk.Id)).Within();
        Assert.Equal((disk.Id, KubeNames.Claim(app.Name, disk.Id), "Bound"), (status.CurrentDiskId, claim.Metadata.Name, claim.Status.Phase));
        Assert.Equal((claim.Metadata.Uid, "Retain"), (volume.Spec.ClaimRef.Uid, volume.Spec.PersistentVolumeReclaimPolicy));
        Assert.Contains(arm.Disks, d => d.Id == disk.Id);
        Assert.True((await context.Runtime(app.Cluster).GetDiskAsync(app, disk.Id, CancellationToken.None).Within()).Seeded);

        await new AppOperations(context).DestroyAsync(app.Id, new DestroyOptions(), null, CancellationToken.None).Within();
        var again = await new AppOperations(context).DeployAsync(app.Id, new DeployOptions(), null, CancellationToken.None).Within();

        Assert.Equal(disk.Id, again.CurrentDiskId);
        Assert.Equal(0, seeds);
        Assert.Contains(arm.Disks, d => d.Id == disk.Id);
    }

    [Fact]
    public async Task A_seed_stopped_in_the_middle_of_a_file_leaves_no_part_of_it_on_the_disk_and_the_next_deploy_copies_it_whole()
    {
        var app = App();
        var ns = KubeNames.Namespace(app);
        var big = new byte[4 << 20];
        new Random(14).NextBytes(big);
        File.WriteAllBytes(Path.Combine(ProjectDir, "html", "big.bin"), big);
        using var stop = new CancellationTokenSource();
        var midFile = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var ended = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        // tar has had 1 MiB of the archive, so it is writing big.bin (entries go in name order) when the user stops.
        kube.Server.InstallProgram(ns, "seed", "sh", async (process, token) =>
        {
            try
            {
                return await Container(async passed =>
                {
                    if (passed >= 1 << 20 && midFile.TrySetResult())
                    {
                        await release.Task.Within();
                    }
                })(process, token).Within();
            }
            finally
            {
                ended.TrySetResult();
            }
        });
        await using var context = Context();

        try
        {
            var deploying = new AppOperations(context).DeployAsync(app.Id, new DeployOptions(), null, stop.Token);
            await midFile.Task.WaitAsync(TimeSpan.FromMinutes(1));
            await stop.CancelAsync().Within();

            var error = await Assert.ThrowsAsync<KompoxException>(() => deploying.Within());
            Assert.Equal(("OperationCanceled", ErrorKind.Canceled), (error.ErrorId, error.Kind));
        }
        finally
        {
            release.TrySetResult();
        }

        // tar met the end of its stdin in the middle of big.bin: the short file is in the staging directory only.
        await ended.Task.WaitAsync(TimeSpan.FromMinutes(1));
        Assert.False(File.Exists(Path.Combine(DiskDir, "binds", "html", "big.bin")), "a part of big.bin is on the disk");
        Assert.False(Directory.Exists(Path.Combine(DiskDir, "binds")), "something was moved into place from a copy that was stopped");
        Assert.InRange(new FileInfo(Path.Combine(DiskDir, ClusterSeed.Staging, "binds", "html", "big.bin")).Length, 1, big.Length - 1);
        Assert.Empty((await kube.Client().CoreV1.ListNamespacedPodAsync(ns).Within()).Items);
        Assert.Empty((await kube.Client().AppsV1.ListNamespacedDeploymentAsync(ns).Within()).Items);
        Assert.False(Assert.Single(await context.Runtime(app.Cluster).ListDisksAsync(app, CancellationToken.None).Within()).Seeded);

        // The disk is not seeded, so the next deploy copies again: the stale staging directory goes, big.bin arrives whole.
        kube.Server.InstallProgram(ns, "seed", "sh", Container());
        await new AppOperations(context).DeployAsync(app.Id, new DeployOptions(), null, CancellationToken.None).Within();

        Assert.Equal(big, File.ReadAllBytes(Path.Combine(DiskDir, "binds", "html", "big.bin")));
        Assert.Equal("<h1>hello</h1>", File.ReadAllText(Path.Combine(DiskDir, "binds", "html", "index.html")));
        Assert.False(Directory.Exists(Path.Combine(DiskDir, ClusterSeed.Staging)));
        Assert.True(Assert.Single(await context.Runtime(app.Cluster).ListDisksAsync(app, CancellationToken.None).Within()).Seeded);
    }

    [Fact]
    public async Task A_tar_that_fails_fails_the_deploy_before_the_Deployment_and_names_its_error()
    {
        var app = App();
        var ns = KubeNames.Namespace(app);
        kube.Server.InstallProgram(ns, "seed", "sh", ExecPrograms.Reply("", "tar: binds/html/index.html: Cannot open: No space left on device\n", 2));
        await using var context = Context();

        var error = await Assert.ThrowsAsync<KompoxException>(() => new AppOperations(context).DeployAsync(app.Id, new DeployOptions(), null, CancellationToken.None).Within());

        Assert.True(error.ErrorId == "SeedFailed", error.ToString());
        Assert.Contains("No space left on device", error.Message, StringComparison.Ordinal);
        Assert.Empty((await kube.Client().CoreV1.ListNamespacedPodAsync(ns).Within()).Items);
        Assert.Empty((await kube.Client().AppsV1.ListNamespacedDeploymentAsync(ns).Within()).Items);
        Assert.False(Assert.Single(await context.Runtime(app.Cluster).ListDisksAsync(app, CancellationToken.None).Within()).Seeded);
    }

    [Theory]
    [InlineData("ImagePullBackOff", "ImagePullBackOff: Back-off pulling image \"debian:12.12-slim\"")]
    [InlineData("Unschedulable", "Pending: 0/1 nodes are available: 1 Insufficient memory")]
    public async Task A_seed_Pod_that_never_runs_fails_the_deploy_after_the_timeout_with_its_reason_and_is_removed(string kind, string reason)
    {
        var app = App();
        var ns = KubeNames.Namespace(app);

        // A bare Pod fails as a Deployment's does: the kubelet backs off the pull, the scheduler finds no node for it.
        kube.Server.FailNextBarePod(kind == "Unschedulable" ? RolloutFailure.Unschedulable() : RolloutFailure.ImagePullBackOff());
        kube.Server.InstallProgram(ns, "seed", "sh", Container());
        var time = new SteppedClock(new FakeTimeProvider(DateTimeOffset.UtcNow));
        await using var context = Context(time);

        var deploying = new AppOperations(context).DeployAsync(app.Id, new DeployOptions { Timeout = TimeSpan.FromSeconds(60) }, null, CancellationToken.None);
        await time.StepUntilAsync(deploying, TimeSpan.FromMinutes(10)).Within();
        var error = await Assert.ThrowsAsync<KompoxException>(() => deploying.Within());

        Assert.True(error.ErrorId == "SeedFailed", error.ToString());
        Assert.Contains($"Pod {ClusterSeed.PodName(app)}, which copies the bound directories onto the disk, did not run in 60 s", error.Message, StringComparison.Ordinal);
        Assert.Contains(reason, error.Message, StringComparison.Ordinal);
        Assert.Empty((await kube.Client().CoreV1.ListNamespacedPodAsync(ns).Within()).Items);
        Assert.Empty((await kube.Client().AppsV1.ListNamespacedDeploymentAsync(ns).Within()).Items);
        Assert.False(Directory.Exists(Path.Combine(DiskDir, "binds")));
        Assert.False(Assert.Single(await context.Runtime(app.Cluster).ListDisksAsync(app, CancellationToken.None).Within()).Seeded);
    }

    [Fact]
    public async Task A_project_file_that_cannot_be_read_fails_the_seed_naming_it_and_moves_nothing_into_place()
    {
        var app = App();
        var ns = KubeNames.Namespace(app);
        kube.Server.InstallProgram(ns, "seed", "sh", Container());
        var secret = Path.Combine(ProjectDir, "html", "secret.txt");
        File.WriteAllText(secret, "not for you");
        using var held = Kompox.Tests.Drivers.UnreadableFile.Make(secret);
        await using var context = Context();

        var error = await Assert.ThrowsAsync<KompoxException>(() => new AppOperations(context).DeployAsync(app.Id, new DeployOptions(), null, CancellationToken.None).Within());

        Assert.True(error.ErrorId == "SeedFailed", error.ToString());
        Assert.Contains(secret, error.Message, StringComparison.Ordinal);
        Assert.Contains("nothing was moved into place", error.Message, StringComparison.Ordinal);

        // What was sent before the file (css, index.html) stayed in the staging directory; the disk's binds have nothing.
        Assert.False(Directory.Exists(Path.Combine(DiskDir, "binds")), "a part of the copy was moved into place");
        Assert.Empty((await kube.Client().CoreV1.ListNamespacedPodAsync(ns).Within()).Items);
        Assert.Empty((await kube.Client().AppsV1.ListNamespacedDeploymentAsync(ns).Within()).Items);
        Assert.False(Assert.Single(await context.Runtime(app.Cluster).ListDisksAsync(app, CancellationToken.None).Within()).Seeded);
    }

    [Fact]
    public async Task SeedBinds_on_demand_stops_the_app_copies_through_the_seed_Pod_keeps_what_the_disk_has_and_starts_the_app_again()
    {
        var app = App();
        var ns = KubeNames.Namespace(app);
        var observed = new List<(int Replicas, int AppPods)>();
        kube.Server.InstallProgram(ns, "seed", "sh", async (process, token) =>
        {
            using var client = kube.Client();
            var replicas = (await client.AppsV1.ListNamespacedDeploymentAsync(ns, cancellationToken: token).Within()).Items.Sum(d => d.Spec.Replicas ?? 1);
            var pods = (await client.CoreV1.ListNamespacedPodAsync(ns, cancellationToken: token).Within()).Items.Count(p => p.Metadata.Name != process.Pod);
            observed.Add((replicas, pods));
            return await Container()(process, token).Within();
        });
        await using var context = Context();
        var apps = new AppOperations(context);
        await apps.DeployAsync(app.Id, new DeployOptions(), null, CancellationToken.None).Within();
        observed.Clear();

        // Since: the app wrote its own index.html; the project gained new.html.
        File.WriteAllText(Path.Combine(DiskDir, "binds", "html", "index.html"), "the app's own");
        File.WriteAllText(Path.Combine(ProjectDir, "html", "new.html"), "new");

        // A dry run runs no Pod and stops nothing: it lists the project's entries and says what it cannot know.
        var plan = await apps.SeedBindsAsync(app.Id, new SeedBindsOptions { DryRun = true }, null, CancellationToken.None).Within();
        Assert.True(plan.DryRun);
        Assert.Empty(observed);
        Assert.Equal(["css", "index.html", "new.html"], Assert.Single(plan.Binds).Copied);
        Assert.Contains(plan.Notes, n => n.Contains("the app is stopped for the copy", StringComparison.Ordinal));
        Assert.Contains(plan.Notes, n => n.Contains("what it already has is kept", StringComparison.Ordinal));
        Assert.Equal(1, (await kube.Client().AppsV1.ListNamespacedDeploymentAsync(ns).Within()).Items.Single().Spec.Replicas);

        var done = await apps.SeedBindsAsync(app.Id, new SeedBindsOptions(), null, CancellationToken.None).Within();

        // Both commands ran with the app scaled to 0 and its Pod gone (the disk is ReadWriteOnce, the quota fits one Pod).
        Assert.Equal([(0, 0), (0, 0)], observed);
        Assert.Equal("new", File.ReadAllText(Path.Combine(DiskDir, "binds", "html", "new.html")));
        Assert.Equal("the app's own", File.ReadAllText(Path.Combine(DiskDir, "binds", "html", "index.html")));
        var bind = Assert.Single(done.Binds);
        Assert.Equal(["new.html"], bind.Copied);
        Assert.Equal(["css/site.css", "index.html"], bind.Skipped.Order(StringComparer.Ordinal));

        // Started again: the Deployment has its replica back and its Pod is Ready; the seed Pod is gone.
        Assert.Equal(1, (await kube.Client().AppsV1.ListNamespacedDeploymentAsync(ns).Within()).Items.Single().Spec.Replicas);
        var pod = Assert.Single((await kube.Client().CoreV1.ListNamespacedPodAsync(ns).Within()).Items);
        Assert.NotEqual(ClusterSeed.PodName(app), pod.Metadata.Name);
        Assert.True(AppStatusReader.IsReady(pod));
    }

    [Fact]
    public async Task A_switch_to_a_disk_never_seeded_beside_the_running_app_copies_nothing_and_SeedBinds_then_copies_onto_it()
    {
        var app = App();
        var ns = KubeNames.Namespace(app);

        // Each claim mounts its own disk here (a directory per claim).
        kube.Server.InstallProgram(ns, "seed", "sh", async (process, token) =>
        {
            using var client = kube.Client();
            var pod = await client.CoreV1.ReadNamespacedPodAsync(process.Pod, process.Namespace, cancellationToken: token).Within();
            var claim = pod.Spec.Volumes.Single(v => v.PersistentVolumeClaim is not null).PersistentVolumeClaim.ClaimName;
            var disk = Directory.CreateDirectory(Path.Combine(root, "claims", claim)).FullName;
            return await ExecPrograms.OnThisMachine(new Dictionary<string, string> { [pod.Spec.Containers.Single().VolumeMounts.Single().MountPath] = disk }, null)(process, token).Within();
        });
        await using var context = Context();
        var apps = new AppOperations(context);
        var disks = new DiskOperations(context);
        await apps.DeployAsync(app.Id, new DeployOptions(), null, CancellationToken.None).Within();
        var created = await disks.CreateAsync(app.Id, null, null, CancellationToken.None).Within();
        var progress = new RecordedProgress();

        // The app's Pod runs on the first disk and holds the namespace's quota while the switch deploys onto the new one.
        await disks.SwitchAsync(app.Id, created.Id, null, progress, CancellationToken.None).Within();

        var claimDir = Path.Combine(root, "claims", KubeNames.Claim(app.Name, created.Id));
        Assert.Contains(progress.Reports, r => r.Kind == ProgressKind.Warning && r.Warning!.Message.Contains($"were not copied onto disk {created.Id}", StringComparison.Ordinal));
        Assert.False(File.Exists(Path.Combine(claimDir, "binds", "html", "index.html")));
        Assert.False((await context.Runtime(app.Cluster).GetDiskAsync(app, created.Id, CancellationToken.None).Within()).Seeded);

        var done = await apps.SeedBindsAsync(app.Id, new SeedBindsOptions(), null, CancellationToken.None).Within();

        Assert.Equal(created.Id, done.DiskId);
        Assert.Equal("<h1>hello</h1>", File.ReadAllText(Path.Combine(claimDir, "binds", "html", "index.html")));
        Assert.True((await context.Runtime(app.Cluster).GetDiskAsync(app, created.Id, CancellationToken.None).Within()).Seeded);
        Assert.True(AppStatusReader.IsReady(Assert.Single((await kube.Client().CoreV1.ListNamespacedPodAsync(ns).Within()).Items)));
    }

    [Fact]
    public async Task SeedBinds_on_demand_that_fails_starts_the_app_again_and_fails_with_the_error()
    {
        var app = App();
        var ns = KubeNames.Namespace(app);
        kube.Server.InstallProgram(ns, "seed", "sh", Container());
        await using var context = Context();
        var apps = new AppOperations(context);
        await apps.DeployAsync(app.Id, new DeployOptions(), null, CancellationToken.None).Within();
        kube.Server.InstallProgram(ns, "seed", "sh", ExecPrograms.Reply("", "tar: html/index.html: Cannot open: No space left on device\n", 2));

        var error = await Assert.ThrowsAsync<KompoxException>(() => apps.SeedBindsAsync(app.Id, new SeedBindsOptions(), null, CancellationToken.None).Within());

        Assert.True(error.ErrorId == "SeedFailed", error.ToString());
        Assert.Contains("No space left on device", error.Message, StringComparison.Ordinal);
        Assert.Equal(1, (await kube.Client().AppsV1.ListNamespacedDeploymentAsync(ns).Within()).Items.Single().Spec.Replicas);
        var pod = Assert.Single((await kube.Client().CoreV1.ListNamespacedPodAsync(ns).Within()).Items);
        Assert.True(AppStatusReader.IsReady(pod));
    }

    [Fact]
    public async Task SeedBinds_on_demand_of_an_app_not_deployed_on_its_disk_says_to_deploy_first()
    {
        var app = App();
        var ns = KubeNames.Namespace(app);
        kube.Server.InstallProgram(ns, "seed", "sh", Container());
        await using var context = Context();
        var apps = new AppOperations(context);
        await apps.DeployAsync(app.Id, new DeployOptions(), null, CancellationToken.None).Within();
        await apps.DestroyAsync(app.Id, new DestroyOptions(), null, CancellationToken.None).Within();

        // The provider still records the disk as current, but no claim mounts it.
        var error = await Assert.ThrowsAsync<KompoxException>(() => apps.SeedBindsAsync(app.Id, new SeedBindsOptions { DryRun = true }, null, CancellationToken.None).Within());

        Assert.True(error.ErrorId == "AppNotDeployed", error.ToString());
        Assert.Equal(Remedy.DeployFirst, error.Remedy);
        Assert.Contains("no claim", error.Message, StringComparison.Ordinal);
    }

    /// <summary>
    /// The seed container: its commands run on this machine, with the Pod's volume mount (read from the Pod, as the kubelet
    /// mounts it) standing for <see cref="DiskDir"/>.
    /// </summary>
    private ExecHandler Container(Func<long, Task>? onStdin = null) => async (process, token) =>
    {
        using var client = kube.Client();
        var pod = await client.CoreV1.ReadNamespacedPodAsync(process.Pod, process.Namespace, cancellationToken: token).Within();
        var mount = pod.Spec.Containers.Single(c => c.Name == process.Container).VolumeMounts.Single().MountPath;
        return await ExecPrograms.OnThisMachine(new Dictionary<string, string> { [mount] = DiskDir }, onStdin)(process, token).Within();
    };

    // The warning is located at the app's kompoxops.yml; an app of the service has none, and the name stands for it.
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Listing_aks_disks_when_the_API_server_does_not_answer_warns_and_marks_the_providers_current_disk(bool fromConfigFile)
    {
        // A port bound for this test and never listened on: a connection is refused, as by a cluster that is down, and no
        // other test can take the port meanwhile.
        using var closed = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.InterNetwork, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
        closed.Bind(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, 0));
        var down = Path.Combine(root, "down.kubeconfig");
        var server = kube.Server.BaseUri.GetLeftPart(UriPartial.Authority);
        File.WriteAllText(down, File.ReadAllText(kube.Kubeconfig).Replace(server, $"https://127.0.0.1:{((System.Net.IPEndPoint)closed.LocalEndPoint!).Port}", StringComparison.Ordinal));
        var config = fromConfigFile ? Path.Combine(ProjectDir, "kompoxops.yml") : null;
        var app = App(down, config);
        await using var context = Context();
        var runtime = context.Runtime(app.Cluster);
        var older = await runtime.CreateDiskAsync(app, new RecordedProgress(), CancellationToken.None).Within();
        var current = await runtime.CreateDiskAsync(app, new RecordedProgress(), CancellationToken.None).Within();
        await runtime.MarkCurrentAsync(app, current.Id, CancellationToken.None).Within();
        var progress = new RecordedProgress();

        var listed = await new DiskOperations(context).ListAsync(app.Id, progress, CancellationToken.None).Within();

        Assert.Equal(new[] { (older.Id, false), (current.Id, true) }.Order(), listed.Select(d => (d.Id, d.IsCurrent)).Order());
        var warning = Assert.Single(progress.Reports, r => r.Kind == ProgressKind.Warning).Warning!;
        Assert.Equal((config ?? "kompoxops.yml", ""), (warning.File, warning.Key));
        Assert.StartsWith("the API server of cluster aks1 does not answer (", warning.Message, StringComparison.Ordinal);
        Assert.EndsWith("); the current disk is the one the provider records", warning.Message, StringComparison.Ordinal);
    }

    private KompoxApp App(string? kubeconfig = null, string? configPath = null)
    {
        var provider = new KompoxProvider
        {
            Name = "aks1",
            Driver = "aks",
            Settings = new Dictionary<string, string> { ["AZURE_SUBSCRIPTION_ID"] = Subscription, ["AZURE_LOCATION"] = "japaneast" },
            Service = new KompoxService { Name = "ops", ConfigPath = configPath },
        };
        var app = new KompoxApp
        {
            Name = "web",
            Cluster = new KompoxCluster
            {
                Name = "aks1",
                Provider = provider,
                Auth = new ClusterAuth { Kubeconfig = kubeconfig ?? kube.Kubeconfig },
                Ingress = new ClusterIngress { Namespace = "traefik" },
                Domain = "ops.example.com",
                Settings = new Dictionary<string, string> { ["AZURE_RESOURCE_GROUP_NAME"] = "rg-aks" },
            },
            Compose = Compose,
            ComposePath = Path.Combine(ProjectDir, "compose.yml"),
            Ingress = new Dictionary<string, string>(),
            Resources = new Dictionary<string, string> { ["cpu"] = "1", ["memory"] = "1Gi" },
            Settings = new Dictionary<string, string> { ["AZURE_RESOURCE_GROUP_NAME"] = Group, ["AZURE_DISK_SIZE"] = "2" },
        };
        store.Add(app);
        return app;
    }

    private KompoxContext Context(TimeProvider? time = null)
    {
        var options = new ArmClientOptions
        {
            Environment = new ArmEnvironment(arm.Endpoint, "https://management.azure.com/"),
            Transport = new HttpClientTransport(arm.TrustingHandler()),
        };
        options.Retry.MaxRetries = 0;
        var drivers = new DriverFactory(TimeProvider.System, new AzureConnector(new StaticCredential(arm.Token), options));
        return new KompoxContext(new KubeconfigClientFactory(), drivers, store, time ?? TimeProvider.System) { AppLockTimeout = TimeSpan.Zero };
    }

    private sealed class StaticCredential(string token) : TokenCredential
    {
        public override AccessToken GetToken(TokenRequestContext requestContext, CancellationToken cancellationToken) => new(token, DateTimeOffset.UtcNow.AddHours(1));

        public override ValueTask<AccessToken> GetTokenAsync(TokenRequestContext requestContext, CancellationToken cancellationToken) => new(GetToken(requestContext, cancellationToken));
    }
}
