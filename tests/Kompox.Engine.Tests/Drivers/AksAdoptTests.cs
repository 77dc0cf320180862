using Azure.Core;
using Azure.Core.Pipeline;
using Azure.ResourceManager;
using Kompox.Drivers;
using Kompox.Model;
using Kompox.Operations;
using Kompox.Testing.FakeArm;
using Microsoft.Extensions.Time.Testing;

namespace Kompox.Tests.Drivers;

/// <summary>
/// Import-KompoxDisk -ResourceId: an existing managed disk becomes an app's by its tags, sent as a PATCH (Azure REST API,
/// Microsoft.Compute Disks - Update) whose tags replace the disk's whole set, as ARM does, so the disk's own are kept.
/// </summary>
public sealed class AksAdoptTests : IDisposable
{
    private const string Subscription = "00000000-0000-0000-0000-000000000001";
    private const string Group = "rg-apps";
    private const string ClusterPrincipal = "5e2a7c1d-3b4f-4a6e-9d8c-1f0e2b3a4c5d";

    private readonly FakeArm arm = new();
    private readonly FakeTimeProvider time = new(new DateTimeOffset(2025, 8, 11, 12, 34, 56, TimeSpan.Zero));
    private readonly Operations.RecordedProgress progress = new();

    public AksAdoptTests()
    {
        arm.ResourceGroups.Add(Group);
        arm.ResourceGroups.Add("rg-other");
        arm.ResourceGroups.Add("rg-aks");
        arm.Clusters.Add(new FakeManagedCluster(Subscription, "rg-aks", "lab", "japaneast", ClusterPrincipal, "MC_rg-aks_lab_japaneast", [[]]));
        arm.RoleAssignments.Add(new FakeRoleAssignment($"/subscriptions/{Subscription}/resourceGroups/{Group}", ClusterPrincipal, FakeArm.ContributorRole));
    }

    public void Dispose() => arm.Dispose();

    [Fact]
    public async Task A_disk_made_outside_Kompox_is_tagged_as_the_apps_keeping_its_own_tags_and_then_lists_as_its_disk()
    {
        var made = Outside("legacy-data", tags: new() { ["cost-center"] = "42" });

        var adopted = await Runtime().AdoptDiskAsync(App(), made.Id, progress, CancellationToken.None).Within();

        Assert.Equal(new DiskInfo(made.Id, App().Id, time.GetUtcNow(), 4L << 30), adopted);
        Assert.Equal(new Dictionary<string, string> { ["cost-center"] = "42", ["kompox-app"] = App().Id, ["kompox-created-at"] = "2025-08-11T12:34:56Z" }, made.Tags);
        Assert.Equal(new[] { made.Id }, (await Runtime().ListDisksAsync(App(), CancellationToken.None).Within()).Select(d => d.Id));
        Assert.Contains(arm.Requests, r => r.Method == "PATCH" && r.Path.EndsWith("/disks/legacy-data", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Adopting_a_disk_the_app_already_has_changes_nothing()
    {
        var made = Outside("legacy-data");
        var first = await Runtime().AdoptDiskAsync(App(), made.Id, progress, CancellationToken.None).Within();
        time.Advance(TimeSpan.FromHours(1));

        var again = await Runtime().AdoptDiskAsync(App(), made.Id, progress, CancellationToken.None).Within();

        Assert.Equal(first, again);
    }

    [Fact]
    public async Task Another_apps_disk_one_outside_the_apps_group_or_subscription_one_elsewhere_and_a_non_disk_id_are_refused_untouched()
    {
        var theirs = Outside("theirs", tags: new() { ["kompox-app"] = "ops/aks1/lab/db", ["kompox-created-at"] = "2025-01-01T00:00:00Z" });
        var otherGroup = Outside("elsewhere", group: "rg-other");
        var otherRegion = Outside("far", location: "westeurope");
        var otherSubscription = $"/subscriptions/00000000-0000-0000-0000-000000000002/resourceGroups/{Group}/providers/Microsoft.Compute/disks/x";
        var cases = new[]
        {
            (theirs.Id, "DiskOwnedByOtherApp"),
            (otherGroup.Id, "DiskOutsideProvider"),
            (otherSubscription, "DiskOutsideProvider"),
            (otherRegion.Id, "DiskRegionMismatch"),
            ($"/subscriptions/{Subscription}/resourceGroups/{Group}/providers/Microsoft.Compute/snapshots/s", "InvalidDiskId"),
            ($"/subscriptions/{Subscription}/resourceGroups/{Group}/providers/Microsoft.Compute/disks/missing", "DiskNotFound"),
        };

        foreach (var (id, expected) in cases)
        {
            var error = await Assert.ThrowsAsync<KompoxException>(() => Runtime().AdoptDiskAsync(App(), id, progress, CancellationToken.None)).Within();
            Assert.Equal((expected, id), (error.ErrorId, (string?)error.Target));
        }

        Assert.DoesNotContain(arm.Requests, r => r.Method == "PATCH");
        Assert.Equal("ops/aks1/lab/db", theirs.Tags["kompox-app"]);
    }

    private FakeDisk Outside(string name, string group = Group, string location = "japaneast", Dictionary<string, string>? tags = null)
    {
        var disk = new FakeDisk
        {
            Kind = "disks",
            Subscription = Subscription,
            ResourceGroup = group,
            Name = name,
            Location = location,
            Sku = "StandardSSD_LRS",
            CreateOption = "Empty",
            SizeBytes = 4L << 30,
            Content = new SparseBlob((4L << 30) + 512),
            Tags = tags ?? new Dictionary<string, string>(),
        };
        arm.Add(disk);
        return disk;
    }

    private AksRuntime Runtime()
    {
        var options = new ArmClientOptions
        {
            Environment = new ArmEnvironment(arm.Endpoint, "https://management.azure.com/"),
            Transport = new HttpClientTransport(arm.TrustingHandler()),
        };
        options.Retry.MaxRetries = 0;
        return (AksRuntime)new DriverFactory(time, new AzureConnector(new StaticCredential(arm.Token), options)).Runtime(App().Cluster);
    }

    private static KompoxApp App()
    {
        var provider = new KompoxProvider
        {
            Name = "aks1",
            Driver = "aks",
            Settings = new Dictionary<string, string> { ["AZURE_SUBSCRIPTION_ID"] = Subscription, ["AZURE_LOCATION"] = "japaneast" },
            Service = new KompoxService { Name = "ops" },
        };
        var cluster = new KompoxCluster
        {
            Name = "lab",
            Provider = provider,
            Auth = new ClusterAuth(),
            Ingress = new ClusterIngress(),
            Domain = "ops.example.com",
            Settings = new Dictionary<string, string> { ["AZURE_RESOURCE_GROUP_NAME"] = "rg-aks" },
        };
        return new KompoxApp
        {
            Name = "web",
            Cluster = cluster,
            Compose = Operations.OperationFixture.Compose,
            Ingress = new Dictionary<string, string>(),
            Resources = new Dictionary<string, string>(),
            Settings = new Dictionary<string, string> { ["AZURE_RESOURCE_GROUP_NAME"] = Group, ["AZURE_DISK_SIZE"] = "2" },
        };
    }

    private sealed class StaticCredential(string token) : TokenCredential
    {
        public override AccessToken GetToken(TokenRequestContext requestContext, CancellationToken cancellationToken) => new(token, DateTimeOffset.UtcNow.AddHours(1));

        public override ValueTask<AccessToken> GetTokenAsync(TokenRequestContext requestContext, CancellationToken cancellationToken) => new(GetToken(requestContext, cancellationToken));
    }
}
