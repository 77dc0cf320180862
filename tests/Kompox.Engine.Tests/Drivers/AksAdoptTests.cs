using Azure.Core;
using Azure.Core.Pipeline;
using Azure.ResourceManager;
using Kompox.Drivers;
using Kompox.Model;
using Kompox.Operations;
using Kompox.Testing.FakeArm;
using Microsoft.Extensions.Time.Testing;
using static Kompox.Tests.Drivers.AksLab;

namespace Kompox.Tests.Drivers;

/// <summary>
/// Import-KompoxDisk -ResourceId: an existing managed disk becomes an app's by its tags, sent as a PATCH (Azure REST API,
/// Microsoft.Compute Disks - Update) whose tags replace the disk's whole set, as ARM does, so the disk's own are kept.
/// </summary>
public sealed class AksAdoptTests : IDisposable
{
    private readonly AksLab lab = new("rg-other");
    private readonly Operations.RecordedProgress progress = new();

    private FakeArm arm => lab.Arm;

    private FakeTimeProvider time => lab.Time;

    public void Dispose() => lab.Dispose();

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

    private AksRuntime Runtime() => lab.Runtime();

    private static KompoxApp App() => AksLab.App(diskType: null);
}
