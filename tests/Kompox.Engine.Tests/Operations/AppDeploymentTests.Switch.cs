using System.Text.Json.Nodes;
using Kompox.Conversion;
using Kompox.Drivers;
using Kompox.Operations;

namespace Kompox.Tests.Operations;

/// <summary>
/// Switching the app's disk against the API test server with the rules a real one has: a bound claim's spec, its
/// volumeName included, is immutable (kube-apiserver pkg/apis/core/validation/validation.go
/// ValidatePersistentVolumeClaimUpdate) and so is a volume's source (ValidatePersistentVolumeUpdate); the protection
/// finalizers hold a claim while a Pod mounts it and a volume while it is bound
/// (pkg/controller/volume/pvcprotection, pkg/controller/volume/pvprotection).
/// </summary>
public sealed partial class AppDeploymentTests
{
    [Fact]
    public async Task A_switch_rolls_the_app_onto_the_disks_own_claim_prunes_the_old_pair_and_redeploy_destroy_and_deploy_stay_on_it()
    {
        await ClusterOnTheTestClockAsync().Within();
        var app = App();
        var first = await Operations().DeployAsync(app.Id, new DeployOptions(), null, CancellationToken.None).Within();
        var spare = await Disks().CreateAsync(app.Id, null, null, CancellationToken.None).Within();

        var switching = Disks().SwitchAsync(app.Id, spare.Id, null, null, CancellationToken.None);
        await time.StepUntilAsync(switching, TimeSpan.FromMinutes(5)).Within();
        var switched = await switching.Within();

        Assert.Equal((spare.Id, first.CurrentDiskId), (switched.Disk.Id, switched.PreviousDiskId));
        Assert.True(switched.Status!.Ready);
        var ns = Server.Peek("namespaces", null, first.Namespace)!["metadata"]!["annotations"]!;
        Assert.Equal((spare.Id, first.CurrentDiskId), (ns[KompoxMetadata.DiskCurrentAnnotation]!.ToString(), ns[KompoxMetadata.DiskPreviousAnnotation]!.ToString()));
        AssertOnlyOn(switched.Status, spare.Id);
        Assert.Equal(spare.Id, CurrentTag());

        // Retain: both disks are there, the old one untouched.
        Assert.True(Directory.Exists(Path.Combine(dataRoot, "disks", first.CurrentDiskId!)));

        var redeployed = await Operations().DeployAsync(app.Id, new DeployOptions(), null, CancellationToken.None).Within();
        Assert.Equal(spare.Id, redeployed.CurrentDiskId);
        AssertOnlyOn(redeployed, spare.Id);

        var destroying = Operations().DestroyAsync(app.Id, new DestroyOptions(), null, CancellationToken.None);
        await time.StepUntilAsync(destroying, TimeSpan.FromMinutes(5)).Within();
        await destroying.Within();
        var again = await Operations().DeployAsync(app.Id, new DeployOptions(), null, CancellationToken.None).Within();

        AssertOnlyOn(again, spare.Id);
        var listed = await Disks().ListAsync(app.Id, null, CancellationToken.None).Within();
        Assert.Equal(new[] { first.CurrentDiskId, spare.Id }.Order(StringComparer.Ordinal), listed.Select(d => d.Id).Order(StringComparer.Ordinal));
        Assert.Equal(spare.Id, listed.Single(d => d.IsCurrent).Id);
    }

    [Fact]
    public async Task Switching_back_and_forth_works_while_the_old_pair_is_still_held_by_its_finalizers()
    {
        await ClusterOnTheTestClockAsync().Within();
        var app = App();
        var first = await Operations().DeployAsync(app.Id, new DeployOptions(), null, CancellationToken.None).Within();
        var spare = await Disks().CreateAsync(app.Id, null, null, CancellationToken.None).Within();

        foreach (var disk in new[] { spare.Id, first.CurrentDiskId!, spare.Id })
        {
            var switching = Disks().SwitchAsync(app.Id, disk, null, null, CancellationToken.None);
            await time.StepUntilAsync(switching, TimeSpan.FromMinutes(5)).Within();
            AssertOnlyOn((await switching.Within()).Status!, disk);
        }
    }

    [Fact]
    public async Task Switching_an_app_after_destroy_records_it_on_the_namespace_and_the_next_deploy_uses_it()
    {
        var app = App();
        var first = await Operations().DeployAsync(app.Id, new DeployOptions(), null, CancellationToken.None).Within();
        await Operations().DestroyAsync(app.Id, new DestroyOptions(), null, CancellationToken.None).Within();
        var spare = await Disks().CreateAsync(app.Id, null, null, CancellationToken.None).Within();
        Server.ClearRequests();

        var switched = await Disks().SwitchAsync(app.Id, spare.Id, null, null, CancellationToken.None).Within();

        Assert.Null(switched.Status);
        Assert.Equal(first.CurrentDiskId, switched.PreviousDiskId);
        Assert.DoesNotContain(Server.Requests, r => r.IsApply && r.FieldManager == KubeObjects.FieldManager);
        var deployed = await Operations().DeployAsync(app.Id, new DeployOptions(), null, CancellationToken.None).Within();
        AssertOnlyOn(deployed, spare.Id);
    }

    [Fact]
    public async Task Switching_an_app_never_deployed_records_it_on_the_provider_and_the_first_deploy_uses_that_disk()
    {
        var app = App();
        var chosen = await new K3sRuntime(dataRoot, time).CreateDiskAsync(app, NoProgress.Instance, CancellationToken.None).Within();
        await new K3sRuntime(dataRoot, time).CreateDiskAsync(app, NoProgress.Instance, CancellationToken.None).Within();

        var switched = await Disks().SwitchAsync(app.Id, chosen.Id, null, null, CancellationToken.None).Within();

        // The app's Lease made its namespace, which records the choice too; nothing of the app is applied.
        Assert.Null(switched.Status);
        Assert.Equal(chosen.Id, Server.Peek("namespaces", null, KubeNames.Namespace(app))?["metadata"]?["annotations"]?[KompoxMetadata.DiskCurrentAnnotation]?.ToString());
        Assert.Empty(Server.PeekAll("deployments", KubeNames.Namespace(app)));
        Assert.Equal(chosen.Id, CurrentTag());
        var deployed = await Operations().DeployAsync(app.Id, new DeployOptions(), null, CancellationToken.None).Within();
        AssertOnlyOn(deployed, chosen.Id);
        Assert.Equal(2, Directory.GetDirectories(Path.Combine(dataRoot, "disks")).Length);
    }

    [Fact]
    public async Task A_disk_that_is_not_the_apps_is_refused_and_nothing_changes()
    {
        var app = App();
        var first = await Operations().DeployAsync(app.Id, new DeployOptions(), null, CancellationToken.None).Within();
        var foreign = await new K3sRuntime(dataRoot, time).CreateDiskAsync(App(name: "db"), NoProgress.Instance, CancellationToken.None).Within();
        Server.ClearRequests();

        var error = await Assert.ThrowsAsync<KompoxException>(() => Disks().SwitchAsync(app.Id, foreign.Id, null, null, CancellationToken.None).Within());

        Assert.Equal(("DiskNotFound", foreign.Id), (error.ErrorId, error.Target));
        Assert.Equal(0, ChangingWrites());
        Assert.Equal(first.CurrentDiskId, CurrentTag());
    }

    [Fact]
    public async Task The_namespace_wins_over_a_provider_record_that_disagrees_and_the_next_deploy_repairs_the_record()
    {
        var app = App();
        var first = await Operations().DeployAsync(app.Id, new DeployOptions(), null, CancellationToken.None).Within();
        var other = await Disks().CreateAsync(app.Id, null, null, CancellationToken.None).Within();
        time.Fake.Advance(TimeSpan.FromMinutes(1));
        await new K3sRuntime(dataRoot, time).MarkCurrentAsync(app, other.Id, CancellationToken.None).Within();

        var listed = await Disks().ListAsync(app.Id, null, CancellationToken.None).Within();
        Assert.Equal(first.CurrentDiskId, listed.Single(d => d.IsCurrent).Id);
        Assert.Equal(other.Id, CurrentTag());

        await Operations().DeployAsync(app.Id, new DeployOptions(), null, CancellationToken.None).Within();

        Assert.Equal(first.CurrentDiskId, CurrentTag());
    }

    /// <summary>The app's Pod on the disk's own claim and volume, which are bound; the app has no other claim or volume.</summary>
    private void AssertOnlyOn(AppStatus status, string diskId)
    {
        var claimName = KubeNames.Claim("web", diskId);
        var volumeName = KubeNames.PersistentVolume(status.Namespace, diskId);
        AssertBoundOn(status, volumeName);
        Assert.Equal(new[] { claimName }, Server.PeekAll("persistentvolumeclaims", status.Namespace).Select(Name));
        Assert.Equal(new[] { volumeName }, Server.PeekAll("persistentvolumes").Select(Name));
        var pod = Server.Peek("pods", status.Namespace, status.PodName!)!;
        Assert.Contains(pod["spec"]!["volumes"]!.AsArray(), v => v?["persistentVolumeClaim"]?["claimName"]?.ToString() == claimName);
    }

    /// <summary>The disk the k3s tags files mark current (kompox-disk-current); null when none is.</summary>
    private string? CurrentTag()
    {
        var marked = Directory.GetFiles(Path.Combine(dataRoot, "disks"), "*.json")
            .Where(f => JsonNode.Parse(File.ReadAllText(f))!["Tags"]!["kompox-disk-current"] is not null)
            .Select(Path.GetFileNameWithoutExtension)
            .ToList();
        return Assert.Single(marked);
    }

    private DiskOperations Disks()
    {
        Operations();
        return new DiskOperations(context!);
    }
}
