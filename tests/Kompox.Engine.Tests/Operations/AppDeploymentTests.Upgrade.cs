using System.Text.Json.Nodes;
using k8s;
using Kompox.Conversion;
using Kompox.Drivers;
using Kompox.Kube;
using Kompox.Model;
using Kompox.Operations;

namespace Kompox.Tests.Operations;

/// <summary>
/// The first deploy after an upgrade from the Kompox that named the app's one claim <c>&lt;app&gt;-data</c> (before
/// commit 71f7634 named claims per disk; the volume was already <c>&lt;namespace&gt;-&lt;hash of the disk id&gt;</c>, Retain,
/// pre-bound to that claim). Against the API test server, whose binder follows kubernetes/kubernetes
/// pkg/controller/volume/persistentvolume/pv_controller.go: a bound claim's spec cannot change (kube-apiserver
/// ValidatePersistentVolumeClaimUpdate), a claim whose volume names another claim is Lost (syncBoundClaim), a volume
/// whose claimRef uid no claim of that name has is Released and stays so until the uid is cleared (syncVolume,
/// isVolumeReleased).
/// </summary>
public sealed partial class AppDeploymentTests
{
    /// <summary>The claim the previous Kompox made for app "web".</summary>
    private static readonly string LegacyClaim = PreviousKompox.Claim("web");

    [Fact]
    public async Task The_first_deploy_after_the_upgrade_moves_the_volume_onto_the_disks_own_claim_and_keeps_the_disk_and_its_data()
    {
        await ClusterOnTheTestClockAsync().Within();
        var app = BindApp();
        File.WriteAllText(Path.Combine(ProjectDir, "html", "index.html"), "<h1>from the project</h1>");
        var disk = await DeployedByThePreviousKompoxAsync(app).Within();
        Assert.Equal("Bound", Server.Peek("persistentvolumeclaims", KubeNames.Namespace(app), LegacyClaim)?["status"]?["phase"]?.ToString());

        var deploying = Operations().DeployAsync(app.Id, new DeployOptions(), null, CancellationToken.None);
        await time.StepUntilAsync(deploying, TimeSpan.FromMinutes(5)).Within();
        var status = await deploying.Within();

        // The old claim was deleted as the Pod left it; it goes once kubernetes.io/pvc-protection lets it (the deploy does
        // not wait for that: the disk is kept either way).
        Assert.NotNull(Server.Peek("persistentvolumeclaims", status.Namespace, LegacyClaim)?["metadata"]?["deletionTimestamp"]);
        time.Fake.Advance(FinalizerLatency);
        await harness.Client().CoreV1.ListNamespaceAsync().Within();
        Assert.Equal(disk.Id, status.CurrentDiskId);
        AssertOnlyOn(status, disk.Id);
        AssertMigrated(app, disk.Id);

        // After the migration the app switches and is destroyed like any other; the old disk is kept.
        var spare = await Disks().CreateAsync(app.Id, null, null, CancellationToken.None).Within();
        var switching = Disks().SwitchAsync(app.Id, spare.Id, null, null, CancellationToken.None);
        await time.StepUntilAsync(switching, TimeSpan.FromMinutes(5)).Within();
        AssertOnlyOn((await switching.Within()).Status!, spare.Id);
        var destroying = Operations().DestroyAsync(app.Id, new DestroyOptions(), null, CancellationToken.None);
        await time.StepUntilAsync(destroying, TimeSpan.FromMinutes(5)).Within();
        await destroying.Within();

        Assert.Empty(Server.PeekAll("persistentvolumes"));
        Assert.Empty(Server.PeekAll("persistentvolumeclaims", status.Namespace));
        Assert.Equal("kept by the upgrade", File.ReadAllText(Path.Combine(dataRoot, "disks", disk.Id, "volumes", "kept.txt")));
    }

    // A switch before any redeploy: the disk the old claim was bound to has held the app's data, so it is tagged seeded
    // before the switch prunes that claim, and switching back to it copies nothing over the data.
    [Fact]
    public async Task A_switch_before_the_first_redeploy_leaves_the_old_disk_seeded_and_switching_back_copies_nothing()
    {
        await ClusterOnTheTestClockAsync().Within();
        var app = BindApp();
        File.WriteAllText(Path.Combine(ProjectDir, "html", "index.html"), "<h1>from the project</h1>");
        var disk = await DeployedByThePreviousKompoxAsync(app).Within();
        var spare = await Disks().CreateAsync(app.Id, null, null, CancellationToken.None).Within();

        foreach (var target in new[] { spare.Id, disk.Id })
        {
            var switching = Disks().SwitchAsync(app.Id, target, null, null, CancellationToken.None);
            await time.StepUntilAsync(switching, TimeSpan.FromMinutes(5)).Within();
            AssertOnlyOn((await switching.Within()).Status!, target);
        }

        AssertMigrated(app, disk.Id);
    }

    // A destroy before any redeploy deletes the old claim, the last word that the app ran on the disk: the disk is tagged
    // seeded first, so the deploy after copies nothing over its data.
    [Fact]
    public async Task A_destroy_before_the_first_redeploy_leaves_the_disk_seeded_and_the_deploy_after_copies_nothing()
    {
        var app = BindApp();
        File.WriteAllText(Path.Combine(ProjectDir, "html", "index.html"), "<h1>from the project</h1>");
        var disk = await DeployedByThePreviousKompoxAsync(app).Within();

        await Operations().DestroyAsync(app.Id, new DestroyOptions(), null, CancellationToken.None).Within();
        var status = await Operations().DeployAsync(app.Id, new DeployOptions(), null, CancellationToken.None).Within();

        AssertOnlyOn(status, disk.Id);
        AssertMigrated(app, disk.Id);
    }

    // From a machine that is not the k3s node the disk cannot be marked: the destroy still removes the app, and says so.
    [Fact]
    public async Task A_destroy_before_the_first_redeploy_from_another_machine_warns_that_the_disk_will_be_seeded()
    {
        var app = BindApp();
        var disk = await DeployedByThePreviousKompoxAsync(app).Within();
        var progress = new RecordedProgress();

        var result = await Operations(Laptop).DestroyAsync(app.Id, new DestroyOptions(), progress, CancellationToken.None).Within();

        Assert.Contains(new KubeObjectRef("PersistentVolumeClaim", KubeNames.Namespace(app), LegacyClaim), result.Deleted);
        Assert.Contains(progress.Reports, r => r.Kind == ProgressKind.Warning && r.Status.Contains($"disk {disk.Id}, which an earlier Kompox deployed the app on, could not be marked seeded", StringComparison.Ordinal));
        Assert.False((await new K3sRuntime(dataRoot, time).GetDiskAsync(app, disk.Id, CancellationToken.None).Within()).Seeded);
    }

    /// <summary>
    /// An interruption before each of the migration's writes (the cancellation comes with the progress step that
    /// precedes the write, as Ctrl+C would): the deploy run again completes it.
    /// </summary>
    [Theory]
    [InlineData("disk ")] // before the disk is marked seeded
    [InlineData("PersistentVolume ")] // before the volume's claimRef names the disk's own claim
    [InlineData("applying PersistentVolume ")]
    [InlineData("applying PersistentVolumeClaim ")] // the volume names the new claim; the old one is Lost and still mounted
    [InlineData("applying Deployment ")] // the new claim is bound, the Pod still on the old one
    [InlineData("pruning PersistentVolumeClaim ")] // the Pod is on the new claim, the old claim is still there
    public async Task A_migration_interrupted_before_each_step_completes_when_the_deploy_is_run_again(string step)
    {
        var app = BindApp();
        File.WriteAllText(Path.Combine(ProjectDir, "html", "index.html"), "<h1>from the project</h1>");
        var disk = await DeployedByThePreviousKompoxAsync(app).Within();
        using var cancel = new CancellationTokenSource();
        var progress = new CancelAtStep(step, cancel);

        await Assert.ThrowsAnyAsync<Exception>(() => Operations().DeployAsync(app.Id, new DeployOptions(), progress, cancel.Token).Within());
        Assert.True(progress.Cancelled, $"no step began with '{step}'");
        Assert.True(Directory.Exists(Path.Combine(dataRoot, "disks", disk.Id)));
        var status = await Operations().DeployAsync(app.Id, new DeployOptions(), null, CancellationToken.None).Within();

        AssertOnlyOn(status, disk.Id);
        AssertMigrated(app, disk.Id);
    }

    /// <summary>The old claim is gone, the volume of the disk is Retain and bound to the new claim, the disk is the provider's current one, marked seeded, with its data and without the project's bound files.</summary>
    private void AssertMigrated(KompoxApp app, string diskId)
    {
        var ns = KubeNames.Namespace(app);
        Assert.Null(Server.Peek("persistentvolumeclaims", ns, LegacyClaim));
        var volume = Server.Peek("persistentvolumes", null, KubeNames.PersistentVolume(ns, diskId))!;
        Assert.Equal(("Retain", KubeNames.Claim(app.Name, diskId)), (volume["spec"]!["persistentVolumeReclaimPolicy"]!.ToString(), volume["spec"]!["claimRef"]!["name"]!.ToString()));
        Assert.Equal("kept by the upgrade", File.ReadAllText(Path.Combine(dataRoot, "disks", diskId, "volumes", "kept.txt")));
        Assert.Equal(diskId, CurrentTag());

        // The app ran on this disk before: its first deploy is long past, and the project's files are not copied onto it.
        Assert.True(new K3sRuntime(dataRoot, time).GetDiskAsync(app, diskId, CancellationToken.None).Result.Seeded);
        Assert.False(File.Exists(Path.Combine(dataRoot, "disks", diskId, "binds", "html", "index.html")));
    }

    /// <summary>
    /// The app as the previous Kompox left it: a disk with data, its objects as that version wrote them
    /// (<see cref="PreviousKompox"/>), and no kompox-disk-current or kompox-seeded tag, which that version did not write.
    /// </summary>
    private async Task<DiskInfo> DeployedByThePreviousKompoxAsync(KompoxApp app)
    {
        var disk = await new K3sRuntime(dataRoot, time).CreateDiskAsync(app, NoProgress.Instance, CancellationToken.None).Within();
        Directory.CreateDirectory(Path.Combine(dataRoot, "disks", disk.Id, "volumes"));
        File.WriteAllText(Path.Combine(dataRoot, "disks", disk.Id, "volumes", "kept.txt"), "kept by the upgrade");

        await PreviousKompox.ApplyAsync(harness.Client(), app.Name, AppValidatorAccess.Objects(app, disk, Server.NodeName), disk.Id).Within();

        var pod = Server.PeekAll("pods", KubeNames.Namespace(app)).Single();
        Assert.Contains(pod["spec"]!["volumes"]!.AsArray(), v => v?["persistentVolumeClaim"]?["claimName"]?.ToString() == LegacyClaim);
        Assert.DoesNotContain(Directory.GetFiles(Path.Combine(dataRoot, "disks"), "*.json"), f => JsonNode.Parse(File.ReadAllText(f))!["Tags"]!.AsObject().Any(t => t.Key is "kompox-disk-current" or "kompox-seeded"));
        return disk;
    }

    /// <summary>Cancels when the operation reports a step beginning with <paramref name="prefix"/>, before what the step does.</summary>
    private sealed class CancelAtStep(string prefix, CancellationTokenSource cancel) : IProgress<OperationProgress>
    {
        public bool Cancelled { get; private set; }

        public void Report(OperationProgress value)
        {
            if (value.Kind == ProgressKind.Step && value.Status.StartsWith(prefix, StringComparison.Ordinal))
            {
                Cancelled = true;
                cancel.Cancel();
            }
        }
    }
}
