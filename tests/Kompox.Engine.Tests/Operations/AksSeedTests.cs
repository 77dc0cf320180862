using System.Formats.Tar;
using System.Text;
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

namespace Kompox.Tests.Operations;

/// <summary>
/// The project's bound directories on an aks disk (issue 14 item 8, "aks: through the disk"): the deploy runs a seed Pod
/// that mounts the disk's claim and pipes the disk archive into its tar, against the Kubernetes API test server (which
/// runs a client's bare Pod: KubeApiServer.Controllers.cs StartBarePod) and the fake ARM (the kompox-seeded tag is a
/// Disks - Update PATCH, learn.microsoft.com/rest/api/compute/disks/update). What runs in the seed container is
/// <see cref="GnuTar"/>, a model of GNU tar 1.34's extraction.
/// </summary>
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
        kube = await KubeApiHarness.StartAsync();
        await kube.InstallIngressAsync();
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
        await kube.DisposeAsync();
        arm.Dispose();
        Directory.Delete(root, recursive: true);
    }

    [Fact]
    public async Task The_first_deploy_copies_the_bound_directory_through_a_seed_Pod_before_the_Deployment_keeps_what_the_disk_has_and_tags_the_disk()
    {
        var app = App();
        var ns = KubeNames.Namespace(app);
        var seen = new List<(string Pod, IReadOnlyList<string> Command, bool DeploymentThere)>();
        kube.Server.InstallProgram(ns, "seed", "tar", async (process, token) =>
        {
            using var client = kube.Client();
            var deployments = await client.AppsV1.ListNamespacedDeploymentAsync(ns, cancellationToken: token);
            seen.Add((process.Pod, process.Command, deployments.Items.Count > 0));
            return await GnuTar(DiskDir)(process, token);
        });

        // What the app's disk already has at the bind's path is kept (a disk restored from elsewhere, an earlier try).
        Directory.CreateDirectory(Path.Combine(DiskDir, "binds", "html"));
        File.WriteAllText(Path.Combine(DiskDir, "binds", "html", "index.html"), "the app's own");
        var progress = new RecordedProgress();
        await using var context = Context();

        var status = await new AppOperations(context).DeployAsync(app.Id, new DeployOptions(), progress, CancellationToken.None).Within();

        Assert.Equal("body{}", File.ReadAllText(Path.Combine(DiskDir, "binds", "html", "css", "site.css")));
        Assert.Equal("the app's own", File.ReadAllText(Path.Combine(DiskDir, "binds", "html", "index.html")));
        var (pod, command, deploymentThere) = Assert.Single(seen);
        Assert.Equal(ClusterSeed.PodName(app), pod);
        Assert.False(deploymentThere, "the seed ran after the app's Deployment was applied");
        Assert.Contains("--skip-old-files", command);

        // The seed Pod mounted the claim the app's Pod mounts, and is gone.
        var pods = (await kube.Client().CoreV1.ListNamespacedPodAsync(ns)).Items;
        Assert.DoesNotContain(pods, p => p.Metadata.Name == ClusterSeed.PodName(app));
        var claim = Assert.Single(pods).Spec.Volumes.Single(v => v.PersistentVolumeClaim is not null).PersistentVolumeClaim.ClaimName;
        Assert.Contains(kube.Server.Requests, r => r.Method == "POST" && r.Path.EndsWith("/pods", StringComparison.Ordinal) && r.StatusCode == 201);

        // The disk is tagged seeded on Azure: the next deploy copies nothing.
        Assert.True((await context.Runtime(app.Cluster).GetDiskAsync(app, status.CurrentDiskId!, CancellationToken.None)).Seeded);
        File.Delete(Path.Combine(DiskDir, "binds", "html", "css", "site.css"));
        await new AppOperations(context).DeployAsync(app.Id, new DeployOptions(), null, CancellationToken.None).Within();
        Assert.Single(seen);
        Assert.False(File.Exists(Path.Combine(DiskDir, "binds", "html", "css", "site.css")));

        // Progress in bytes of what was sent, and what was kept is said.
        Assert.Contains(progress.Reports, r => r.Status.StartsWith($"sending the archive to tar in Pod {ClusterSeed.PodName(app)}: ", StringComparison.Ordinal) && r.Status.EndsWith(" bytes", StringComparison.Ordinal));
        Assert.Contains(progress.Reports, r => r.Kind == ProgressKind.Detail && r.Status.Contains("./html -> binds/html: copied 1 entries (6 bytes); kept 1 the disk already has: index.html", StringComparison.Ordinal));
        Assert.NotNull(claim);
    }

    // An imported image and an adopted disk hold the app's data, as a restored snapshot does (RestoreSnapshot): they are
    // tagged seeded when made, and the deploy on each runs no seed Pod.
    [Fact]
    public async Task A_disk_imported_from_a_VHD_or_adopted_is_the_apps_data_and_the_deploy_on_it_runs_no_seed_Pod()
    {
        var app = App();
        var seeds = 0;
        kube.Server.InstallProgram(KubeNames.Namespace(app), "seed", "tar", async (process, token) =>
        {
            seeds++;
            return await GnuTar(DiskDir)(process, token);
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
        Assert.All(await context.Runtime(app.Cluster).ListDisksAsync(app, CancellationToken.None), d => Assert.True(d.Seeded, d.Id));
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
        kube.Server.InstallProgram(ns, "seed", "tar", async (process, token) =>
        {
            seeds++;
            return await GnuTar(DiskDir)(process, token);
        });
        await using var context = Context();
        var disk = await context.Runtime(app.Cluster).CreateDiskAsync(app, NoProgress.Instance, CancellationToken.None);
        var project = Kompox.Compose.ComposeLoader.Load(app.Compose, app.ComposePath!, ProjectDir, app.Name, new Dictionary<string, string>(), Array.Empty<string>());
        await PreviousKompox.ApplyAsync(kube.Client(), app.Name, AppConverter.Convert(app, project, disk, new AppConversionOptions()).Objects, disk.Id);

        var status = await new AppOperations(context).DeployAsync(app.Id, new DeployOptions(), null, CancellationToken.None).Within();

        var claim = Assert.Single((await kube.Client().CoreV1.ListNamespacedPersistentVolumeClaimAsync(ns)).Items);
        var volume = await kube.Client().CoreV1.ReadPersistentVolumeAsync(KubeNames.PersistentVolume(ns, disk.Id));
        Assert.Equal((disk.Id, KubeNames.Claim(app.Name, disk.Id), "Bound"), (status.CurrentDiskId, claim.Metadata.Name, claim.Status.Phase));
        Assert.Equal((claim.Metadata.Uid, "Retain"), (volume.Spec.ClaimRef.Uid, volume.Spec.PersistentVolumeReclaimPolicy));
        Assert.Contains(arm.Disks, d => d.Id == disk.Id);
        Assert.True((await context.Runtime(app.Cluster).GetDiskAsync(app, disk.Id, CancellationToken.None)).Seeded);

        await new AppOperations(context).DestroyAsync(app.Id, new DestroyOptions(), null, CancellationToken.None).Within();
        var again = await new AppOperations(context).DeployAsync(app.Id, new DeployOptions(), null, CancellationToken.None).Within();

        Assert.Equal(disk.Id, again.CurrentDiskId);
        Assert.Equal(0, seeds);
        Assert.Contains(arm.Disks, d => d.Id == disk.Id);
    }

    [Fact]
    public async Task A_stopped_seed_deletes_its_Pod_and_leaves_the_disk_unseeded()
    {
        var app = App();
        var ns = KubeNames.Namespace(app);
        using var stop = new CancellationTokenSource();
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        kube.Server.InstallProgram(ns, "seed", "tar", async (process, token) =>
        {
            // A tar still busy when the user stops: it has read the archive and has not ended.
            await process.Stdin.CopyToAsync(Stream.Null, token);
            started.TrySetResult();
            await release.Task;
            return 0;
        });
        await using var context = Context();

        try
        {
            var deploying = new AppOperations(context).DeployAsync(app.Id, new DeployOptions(), null, stop.Token);
            await started.Task.WaitAsync(TimeSpan.FromMinutes(1));
            await stop.CancelAsync();

            var error = await Assert.ThrowsAsync<KompoxException>(() => deploying.Within());
            Assert.Equal(("OperationCanceled", ErrorKind.Canceled), (error.ErrorId, error.Kind));
        }
        finally
        {
            release.TrySetResult();
        }

        Assert.Empty((await kube.Client().CoreV1.ListNamespacedPodAsync(ns)).Items);
        Assert.Empty((await kube.Client().AppsV1.ListNamespacedDeploymentAsync(ns)).Items);
        var disk = Assert.Single(await context.Runtime(app.Cluster).ListDisksAsync(app, CancellationToken.None));
        Assert.False(disk.Seeded);
    }

    [Fact]
    public async Task A_tar_that_fails_fails_the_deploy_before_the_Deployment_and_names_its_error()
    {
        var app = App();
        var ns = KubeNames.Namespace(app);
        kube.Server.InstallProgram(ns, "seed", "tar", ExecPrograms.Reply("", "tar: binds/html/index.html: Cannot open: No space left on device\n", 2));
        await using var context = Context();

        var error = await Assert.ThrowsAsync<KompoxException>(() => new AppOperations(context).DeployAsync(app.Id, new DeployOptions(), null, CancellationToken.None).Within());

        Assert.True(error.ErrorId == "SeedFailed", error.ToString());
        Assert.Contains("No space left on device", error.Message, StringComparison.Ordinal);
        Assert.Empty((await kube.Client().CoreV1.ListNamespacedPodAsync(ns)).Items);
        Assert.Empty((await kube.Client().AppsV1.ListNamespacedDeploymentAsync(ns)).Items);
        Assert.False(Assert.Single(await context.Runtime(app.Cluster).ListDisksAsync(app, CancellationToken.None)).Seeded);
    }

    /// <summary>
    /// GNU tar 1.34 extracting an archive from stdin, as far as the seed uses it (src/extract.c): <c>--directory</c>
    /// (here /disk is <paramref name="disk"/>); a directory that exists is merged; a file, link or hard link whose name
    /// exists is replaced, unless <c>--skip-old-files</c>, which keeps it and, with <c>--warning=existing-file</c>, says
    /// "tar: NAME: skipping existing file" on stderr (maybe_recoverable, WARN_EXISTING_FILE); missing parents are made
    /// (make_directories). Owners, modes, times and xattrs are not modeled.
    /// </summary>
    private static ExecHandler GnuTar(string disk) => async (process, token) =>
    {
        var args = process.Command.Skip(1).ToList();
        var directory = args.FirstOrDefault(a => a.StartsWith("--directory=", StringComparison.Ordinal))?["--directory=".Length..];
        if (!args.Contains("--extract") || !args.Contains("--file=-") || directory != ClusterSeed.MountPath)
        {
            await process.Stderr.WriteAsync(Encoding.UTF8.GetBytes($"tar: unexpected arguments {string.Join(' ', args)}\n"), token);
            return 2;
        }

        var keep = args.Contains("--skip-old-files");
        var warn = args.Contains("--warning=existing-file");
        await using var reader = new TarReader(process.Stdin);
        while (await reader.GetNextEntryAsync(copyData: false, token) is { } entry)
        {
            var name = entry.Name.TrimEnd('/');
            var path = Path.Combine(disk, name);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            if (entry.EntryType == TarEntryType.Directory)
            {
                Directory.CreateDirectory(path);
                continue;
            }

            if (File.Exists(path) || Directory.Exists(path) || new FileInfo(path).LinkTarget is not null)
            {
                if (keep)
                {
                    if (warn)
                    {
                        await process.Stderr.WriteAsync(Encoding.UTF8.GetBytes($"tar: {name}: skipping existing file\n"), token);
                    }

                    continue;
                }

                File.Delete(path);
            }

            switch (entry.EntryType)
            {
                case TarEntryType.SymbolicLink:
                    File.CreateSymbolicLink(path, entry.LinkName);
                    break;
                case TarEntryType.HardLink:
                    // .NET makes no hard link: a copy stands for it (the seed's tests have none).
                    File.Copy(Path.Combine(disk, entry.LinkName), path);
                    break;
                default:
                    await using (var file = File.Create(path))
                    {
                        if (entry.DataStream is { } data)
                        {
                            await data.CopyToAsync(file, token);
                        }
                    }

                    break;
            }
        }

        return 0;
    };

    private KompoxApp App()
    {
        var provider = new KompoxProvider
        {
            Name = "aks1",
            Driver = "aks",
            Settings = new Dictionary<string, string> { ["AZURE_SUBSCRIPTION_ID"] = Subscription, ["AZURE_LOCATION"] = "japaneast" },
            Service = new KompoxService { Name = "ops" },
        };
        var app = new KompoxApp
        {
            Name = "web",
            Cluster = new KompoxCluster
            {
                Name = "aks1",
                Provider = provider,
                Auth = new ClusterAuth { Kubeconfig = kube.Kubeconfig },
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

    private KompoxContext Context()
    {
        var options = new ArmClientOptions
        {
            Environment = new ArmEnvironment(arm.Endpoint, "https://management.azure.com/"),
            Transport = new HttpClientTransport(arm.TrustingHandler()),
        };
        options.Retry.MaxRetries = 0;
        var drivers = new DriverFactory(TimeProvider.System, new AzureConnector(new StaticCredential(arm.Token), options));
        return new KompoxContext(new KubeconfigClientFactory(), drivers, store, TimeProvider.System) { AppLockTimeout = TimeSpan.Zero };
    }

    private sealed class StaticCredential(string token) : TokenCredential
    {
        public override AccessToken GetToken(TokenRequestContext requestContext, CancellationToken cancellationToken) => new(token, DateTimeOffset.UtcNow.AddHours(1));

        public override ValueTask<AccessToken> GetTokenAsync(TokenRequestContext requestContext, CancellationToken cancellationToken) => new(GetToken(requestContext, cancellationToken));
    }
}
