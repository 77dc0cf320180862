using Azure.Core;
using Azure.Core.Pipeline;
using Azure.ResourceManager;
using Kompox.Conversion;
using Kompox.Drivers;
using Kompox.Model;
using Kompox.Operations;
using Kompox.Testing.FakeArm;
using Kompox.Tests.KubeApi;

namespace Kompox.Tests.Operations;

/// <summary>
/// Moving an aks app to another cluster of its provider: two API test servers and the fake ARM, whose tag updates are
/// PATCHes as Disks - Update and Snapshots - Update take them (learn.microsoft.com/rest/api/compute/disks/update,
/// .../snapshots/update).
/// </summary>
public sealed class MoveAppTests : IAsyncLifetime
{
    private const string Subscription = "00000000-0000-0000-0000-000000000001";
    private const string Group = "rg-apps";
    private readonly FakeArm arm = new();
    private readonly ConfigFileStore store = new();
    private readonly string kept = Directory.CreateTempSubdirectory("kompox-move-").FullName;
    private KubeApiHarness source = null!;
    private KubeApiHarness destination = null!;

    public async Task InitializeAsync()
    {
        source = await KubeApiHarness.StartAsync().Within();
        destination = await KubeApiHarness.StartAsync().Within();
        await source.InstallIngressAsync().Within();
        await destination.InstallIngressAsync().Within();
        arm.ResourceGroups.Add(Group);
        arm.ResourceGroups.Add("rg-aks");
        foreach (var name in new[] { "src-aks", "dst-aks" })
        {
            var principal = Guid.NewGuid().ToString();
            arm.Clusters.Add(new FakeManagedCluster(Subscription, "rg-aks", name, "japaneast", principal, $"MC_rg-aks_{name}_japaneast", [[]]));
            arm.RoleAssignments.Add(new FakeRoleAssignment($"/subscriptions/{Subscription}/resourceGroups/{Group}", principal, FakeArm.ContributorRole));
        }
    }

    public async Task DisposeAsync()
    {
        await source.DisposeAsync().Within();
        await destination.DisposeAsync().Within();
        arm.Dispose();
        Directory.Delete(kept, recursive: true);
    }

    [Fact]
    public async Task The_app_comes_up_on_the_destination_on_its_disk_and_leaves_the_source_and_its_disks_and_snapshots_follow()
    {
        var (from, to) = Apps(KeptKubeconfig(source));
        await using var context = Context();
        var deployed = await new AppOperations(context).DeployAsync(from.Id, new DeployOptions(), null, CancellationToken.None).Within();
        var snapshot = await context.Runtime(from.Cluster).CreateSnapshotAsync(from, deployed.CurrentDiskId!, NoProgress.Instance, CancellationToken.None).Within();

        var moved = await new DiskOperations(context).MoveAsync(from.Id, to.Id, new MoveOptions(), null, CancellationToken.None).Within();

        Assert.True(moved.Ready);
        Assert.Equal(deployed.CurrentDiskId, moved.CurrentDiskId);
        Assert.Empty(source.Server.PeekAll("deployments", deployed.Namespace));
        Assert.Empty(source.Server.PeekAll("persistentvolumes"));
        Assert.All(arm.Disks.Concat(arm.Snapshots), r => Assert.Equal(to.Id, r.Tags["kompox-app"]));
        Assert.Equal(snapshot.Id, Assert.Single(await context.Runtime(to.Cluster).ListSnapshotsAsync(to, CancellationToken.None).Within()).Id);
        Assert.Equal(KubeNames.PersistentVolume(moved.Namespace, deployed.CurrentDiskId!), destination.Server.PeekAll("persistentvolumes").Single()["metadata"]!["name"]!.ToString());
    }

    [Fact]
    public async Task With_the_source_cluster_unreachable_the_app_still_comes_up_on_the_destination_on_its_disk()
    {
        var (from, to) = Apps(KeptKubeconfig(source));
        await using var context = Context();
        var deployed = await new AppOperations(context).DeployAsync(from.Id, new DeployOptions(), null, CancellationToken.None).Within();
        await source.DisposeAsync().Within();
        source = await KubeApiHarness.StartAsync().Within();
        var progress = new RecordedProgress();

        await using var later = Context();
        var moved = await new DiskOperations(later).MoveAsync(from.Id, to.Id, new MoveOptions(), progress, CancellationToken.None).Within();

        Assert.True(moved.Ready);
        Assert.Equal(deployed.CurrentDiskId, moved.CurrentDiskId);
        Assert.Contains(progress.Reports, r => r.Kind == ProgressKind.Warning && r.Status.Contains("does not answer", StringComparison.Ordinal));
    }

    // An app the Kompox before per-disk claims deployed (PreviousKompox): its disk has held the app's data, which the
    // source's claim <app>-data says while it is there; the disk is tagged seeded before the source's objects go, and the
    // tag travels with the disk, so the destination copies no bound directory over the data.
    [Fact]
    public async Task An_app_the_previous_Kompox_deployed_moves_with_its_disk_tagged_seeded()
    {
        var (from, to) = Apps(KeptKubeconfig(source));
        await using var context = Context();
        var disk = await context.Runtime(from.Cluster).CreateDiskAsync(from, NoProgress.Instance, CancellationToken.None).Within();
        var project = Kompox.Compose.ComposeLoader.Load(from.Compose, "compose.yml", null, from.Name, new Dictionary<string, string>(), Array.Empty<string>());
        await PreviousKompox.ApplyAsync(source.Client(), from.Name, AppConverter.Convert(from, project, disk, new AppConversionOptions()).Objects, disk.Id).Within();

        var moved = await new DiskOperations(context).MoveAsync(from.Id, to.Id, new MoveOptions(), null, CancellationToken.None).Within();

        Assert.True(moved.Ready);
        Assert.Equal(disk.Id, moved.CurrentDiskId);
        Assert.Empty(source.Server.PeekAll("persistentvolumeclaims", moved.Namespace));
        Assert.True((await context.Runtime(to.Cluster).GetDiskAsync(to, disk.Id, CancellationToken.None).Within()).Seeded);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public async Task A_move_interrupted_after_each_step_completes_when_run_again(int failingPatch)
    {
        var (from, to) = Apps(KeptKubeconfig(source));
        await using var context = Context();
        var deployed = await new AppOperations(context).DeployAsync(from.Id, new DeployOptions(), null, CancellationToken.None).Within();
        await context.Runtime(from.Cluster).CreateSnapshotAsync(from, deployed.CurrentDiskId!, NoProgress.Instance, CancellationToken.None).Within();
        await context.Runtime(from.Cluster).CreateDiskAsync(from, NoProgress.Instance, CancellationToken.None).Within();

        // The steps that write to Azure are PATCHes: the snapshot, the other disk, the current disk.
        var patches = 0;
        arm.Intercept = request => request.Method == "PATCH" && ++patches == failingPatch ? FakeArm.Error(500, "InternalServerError", "injected") : null;
        await Assert.ThrowsAsync<KompoxException>(() => new DiskOperations(context).MoveAsync(from.Id, to.Id, new MoveOptions(), null, CancellationToken.None).Within());
        arm.Intercept = null;

        var moved = await new DiskOperations(context).MoveAsync(from.Id, to.Id, new MoveOptions(), null, CancellationToken.None).Within();

        Assert.True(moved.Ready);
        Assert.Equal(deployed.CurrentDiskId, moved.CurrentDiskId);
        Assert.All(arm.Disks.Concat(arm.Snapshots), r => Assert.Equal(to.Id, r.Tags["kompox-app"]));
        Assert.Equal(new[] { deployed.CurrentDiskId }, (await new DiskOperations(context).ListAsync(to.Id, null, CancellationToken.None).Within()).Where(d => d.IsCurrent).Select(d => d.Id));
    }

    [Fact]
    public async Task A_k3s_app_is_refused_saying_to_export_and_import_its_disk()
    {
        var fixture = new OperationFixture();
        try
        {
            var app = fixture.App();
            var error = await Assert.ThrowsAsync<KompoxException>(() => new DiskOperations(fixture.Context).MoveAsync(app.Id, app.Id, new MoveOptions(), null, CancellationToken.None).Within());

            Assert.Equal(("MoveNotSupported", ErrorKind.InvalidArgument), (error.ErrorId, error.Kind));
            Assert.Contains("export the disk on this node, import the archive on the destination's node, then switch the app to the imported disk there", error.Message);
        }
        finally
        {
            fixture.Dispose();
        }
    }

    private string KeptKubeconfig(KubeApiHarness harness)
    {
        var path = Path.Combine(kept, Guid.NewGuid().ToString("N") + ".kubeconfig");
        File.Copy(harness.Kubeconfig, path);
        return path;
    }

    private (KompoxApp From, KompoxApp To) Apps(string sourceKubeconfig)
    {
        var provider = new KompoxProvider
        {
            Name = "aks1",
            Driver = "aks",
            Settings = new Dictionary<string, string> { ["AZURE_SUBSCRIPTION_ID"] = Subscription, ["AZURE_LOCATION"] = "japaneast" },
            Service = new KompoxService { Name = "ops" },
        };
        KompoxApp App(string cluster, string kubeconfig)
        {
            var app = new KompoxApp
            {
                Name = "web",
                Cluster = new KompoxCluster
                {
                    Name = cluster,
                    Provider = provider,
                    Auth = new ClusterAuth { Kubeconfig = kubeconfig },
                    Ingress = new ClusterIngress { Namespace = "traefik" },
                    Domain = "ops.example.com",
                    Settings = new Dictionary<string, string> { ["AZURE_RESOURCE_GROUP_NAME"] = "rg-aks" },
                },
                Compose = OperationFixture.Compose,
                Ingress = new Dictionary<string, string>(),
                Resources = new Dictionary<string, string> { ["cpu"] = "1", ["memory"] = "1Gi" },
                Settings = new Dictionary<string, string> { ["AZURE_RESOURCE_GROUP_NAME"] = Group, ["AZURE_DISK_SIZE"] = "2" },
            };
            store.Add(app);
            return app;
        }

        return (App("src-aks", sourceKubeconfig), App("dst-aks", destination.Kubeconfig));
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
