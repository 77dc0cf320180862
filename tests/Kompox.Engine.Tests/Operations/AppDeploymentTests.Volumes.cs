using System.Text.Json.Nodes;
using k8s;
using Kompox.Drivers;
using Kompox.Operations;
using Kompox.Tests.KubeApi;

namespace Kompox.Tests.Operations;

/// <summary>
/// The app's volume and claim across destroy, deletions by hand and deploy, on a cluster whose protection finalizers
/// take seconds: kubernetes.io/pvc-protection goes only when no Pod mounts the claim
/// (pkg/controller/volume/pvcprotection/pvc_protection_controller.go), kubernetes.io/pv-protection only when the volume
/// is not Bound (pkg/controller/volume/pvprotection/pv_protection_controller.go), and a volume whose claim is gone keeps
/// its uid and stays Released (pkg/controller/volume/persistentvolume/pv_controller.go; the uid is the binder's, k8s.io/api
/// core/v1 types.go marks claimRef <c>+structType=granular</c>).
/// </summary>
public sealed partial class AppDeploymentTests
{
    private static readonly TimeSpan FinalizerLatency = TimeSpan.FromSeconds(10);

    // compose-spec 07-volumes.md: Compose does not create an `external: true` volume and "returns an error if the volume
    // doesn't exist". A deploy that would create the app's first disk cannot have it; on the app's current disk it is its directory.
    [Fact]
    public async Task An_external_volume_is_refused_when_the_deploy_would_create_the_disk_and_used_on_the_current_disk()
    {
        const string plain = "services:\n  worker:\n    image: busybox:1.37\n    command: [sleep, infinity]\n    volumes: [\"data:/data\"]\n";
        const string external = plain + "volumes:\n  data:\n    external: true\n";
        const string own = plain + "volumes:\n  data:\n";

        var error = await Assert.ThrowsAsync<KompoxException>(() => Operations().DeployAsync(App(name: "worker", compose: external).Id, new DeployOptions(), null, CancellationToken.None).Within());

        Assert.Equal(("ExternalVolumeMissing", ErrorKind.NotFound), (error.ErrorId, error.Kind));
        Assert.Contains("mounts the external volume data, which docker compose does not create", error.Message);
        Assert.Contains("import the volume's data into volumes/<name>", error.Message);
        Assert.False(Directory.Exists(Path.Combine(dataRoot, "disks")) && Directory.EnumerateFileSystemEntries(Path.Combine(dataRoot, "disks")).Any());
        Assert.Equal(0, ChangingWrites());

        var first = await Operations().DeployAsync(App(name: "worker", compose: own).Id, new DeployOptions(), null, CancellationToken.None).Within();
        var again = await Operations().DeployAsync(App(name: "worker", compose: external).Id, new DeployOptions(), null, CancellationToken.None).Within();

        Assert.True(again.Ready);
        Assert.Equal(first.CurrentDiskId, again.CurrentDiskId);
    }

    [Fact]
    public async Task Destroy_waits_for_the_claim_and_volume_to_go_and_a_deploy_at_once_comes_back_bound_on_its_disk()
    {
        await ClusterOnTheTestClockAsync().Within();
        var app = App();
        var first = await Operations().DeployAsync(app.Id, new DeployOptions(), null, CancellationToken.None).Within();
        var volumeName = Server.PeekAll("persistentvolumes").Single()["metadata"]!["name"]!.ToString();
        var progress = new RecordedProgress();

        var destroy = Operations().DestroyAsync(app.Id, new DestroyOptions(), progress, CancellationToken.None);
        await time.StepUntilAsync(destroy, TimeSpan.FromMinutes(5)).Within();
        await destroy.Within();

        Assert.Empty(Server.PeekAll("persistentvolumeclaims", first.Namespace));
        Assert.Empty(Server.PeekAll("persistentvolumes"));
        Assert.Contains(progress.Reports, r => r.Status.StartsWith("waiting for PersistentVolumeClaim ", StringComparison.Ordinal) && r.Status.Contains("kubernetes.io/pvc-protection", StringComparison.Ordinal));

        var again = await Operations().DeployAsync(app.Id, new DeployOptions(), null, CancellationToken.None).Within();

        AssertBoundOn(again, volumeName);
        Assert.Equal(first.CurrentDiskId, again.CurrentDiskId);
    }

    [Fact]
    public async Task A_deploy_after_an_interrupted_destroy_waits_for_the_terminating_claim_and_volume_and_makes_them_anew()
    {
        await ClusterOnTheTestClockAsync().Within();
        var app = App();
        var first = await Operations().DeployAsync(app.Id, new DeployOptions(), null, CancellationToken.None).Within();
        var volumeName = Server.PeekAll("persistentvolumes").Single()["metadata"]!["name"]!.ToString();
        var claimName = ClaimName(first);

        // Destroy gives up before the finalizers go: the claim and the volume are left terminating.
        var error = await Assert.ThrowsAsync<KompoxException>(() => Operations().DestroyAsync(app.Id, new DestroyOptions { GoneTimeout = TimeSpan.Zero }, null, CancellationToken.None).Within());
        Assert.Equal(("DestroyTimeout", Remedy.RunAgain), (error.ErrorId, error.Remedy));
        Assert.Contains("still exists 0 s after it was deleted (finalizers kubernetes.io/pvc-protection", error.Message);
        Assert.NotNull(Server.Peek("persistentvolumeclaims", first.Namespace, claimName)!["metadata"]!["deletionTimestamp"]);
        Assert.NotNull(Server.Peek("persistentvolumes", null, volumeName)!["metadata"]!["deletionTimestamp"]);
        var progress = new RecordedProgress();

        var deploy = Operations().DeployAsync(app.Id, new DeployOptions(), progress, CancellationToken.None);
        await time.StepUntilAsync(deploy, TimeSpan.FromMinutes(5)).Within();
        var again = await deploy.Within();

        AssertBoundOn(again, volumeName);
        Assert.Contains(progress.Reports, r => r.Status.StartsWith($"waiting for PersistentVolumeClaim {first.Namespace}/{claimName} to go", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_volume_deleted_by_hand_takes_its_claim_and_the_Pod_with_it_and_all_come_back_bound_on_the_disk()
    {
        await ClusterOnTheTestClockAsync().Within();
        var app = App();
        var first = await Operations().DeployAsync(app.Id, new DeployOptions(), null, CancellationToken.None).Within();
        var volumeName = Server.PeekAll("persistentvolumes").Single()["metadata"]!["name"]!.ToString();
        var volumeUid = Server.Peek("persistentvolumes", null, volumeName)!["metadata"]!["uid"]!.ToString();
        using (var client = harness.Client())
        {
            // Stays Bound, so pv-protection keeps it for as long as its claim is there.
            await client.CoreV1.DeletePersistentVolumeAsync(volumeName).Within();
        }

        var progress = new RecordedProgress();
        var deploy = Operations().DeployAsync(app.Id, new DeployOptions(), progress, CancellationToken.None);
        await time.StepUntilAsync(deploy, TimeSpan.FromMinutes(5)).Within();
        var again = await deploy.Within();

        AssertBoundOn(again, volumeName);
        Assert.NotEqual(first.PodName, again.PodName);
        Assert.Contains(progress.Reports, r => r.Status.StartsWith($"PersistentVolume {volumeName} is being deleted and stays while PersistentVolumeClaim ", StringComparison.Ordinal));
        Assert.NotEqual(volumeUid, Server.Peek("persistentvolumes", null, volumeName)!["metadata"]!["uid"]!.ToString());
    }

    [Fact]
    public async Task A_terminating_claim_that_never_goes_fails_the_deploy_after_its_timeout_naming_the_finalizer()
    {
        await ClusterOnTheTestClockAsync().Within();
        var app = App();
        var first = await Operations().DeployAsync(app.Id, new DeployOptions(), null, CancellationToken.None).Within();
        var claimName = ClaimName(first);
        // A Pod of another hand mounts the claim: the deploy cannot make it go.
        using (var client = harness.Client())
        {
            var pod = new k8s.Models.V1Pod
            {
                ApiVersion = "v1",
                Kind = "Pod",
                Metadata = new() { Name = "by-hand", NamespaceProperty = first.Namespace },
                Spec = new()
                {
                    NodeName = Server.NodeName,
                    Containers = [new() { Name = "sh", Image = "busybox:1.37", Resources = new() { Limits = new Dictionary<string, k8s.Models.ResourceQuantity> { ["cpu"] = new("100m"), ["memory"] = new("64Mi") } } }],
                    Volumes = [new() { Name = "data", PersistentVolumeClaim = new() { ClaimName = claimName } }],
                },
            };
            await client.CoreV1.CreateNamespacedPodAsync(pod, first.Namespace).Within();
            await client.CoreV1.DeleteNamespacedPersistentVolumeClaimAsync(claimName, first.Namespace).Within();
        }

        var deploy = Operations().DeployAsync(app.Id, new DeployOptions { Timeout = TimeSpan.FromSeconds(30) }, null, CancellationToken.None);
        await time.StepUntilAsync(deploy, TimeSpan.FromMinutes(5)).Within();

        var error = await Assert.ThrowsAsync<KompoxException>(() => deploy.Within());
        Assert.Equal(("VolumeTerminating", ErrorKind.Timeout, Remedy.RunAgain), (error.ErrorId, error.Kind, error.Remedy));
        Assert.Contains($"PersistentVolumeClaim {first.Namespace}/{claimName} is still being deleted 30 s after", error.Message);
        Assert.Contains("kubernetes.io/pvc-protection, held while a Pod mounts the claim", error.Message);
        Assert.Contains("the app's Deployment was deleted", error.Message);
    }

    [Fact]
    public async Task A_claim_deleted_by_hand_after_its_Pod_went_leaves_its_volume_released_and_the_next_deploy_binds_a_new_one()
    {
        var app = App();
        var first = await Operations().DeployAsync(app.Id, new DeployOptions(), null, CancellationToken.None).Within();
        var volumeName = Server.PeekAll("persistentvolumes").Single()["metadata"]!["name"]!.ToString();
        var claimName = ClaimName(first);
        using (var client = harness.Client())
        {
            await client.AppsV1.DeleteNamespacedDeploymentAsync(Server.PeekAll("deployments", first.Namespace).Single()["metadata"]!["name"]!.ToString(), first.Namespace).Within();
            await client.CoreV1.DeleteNamespacedPersistentVolumeClaimAsync(claimName, first.Namespace).Within();
        }

        Assert.Null(Server.Peek("persistentvolumeclaims", first.Namespace, claimName));
        Assert.Equal("Released", Server.Peek("persistentvolumes", null, volumeName)!["status"]!["phase"]!.ToString());
        Server.ClearRequests();

        var again = await Operations().DeployAsync(app.Id, new DeployOptions(), null, CancellationToken.None).Within();

        AssertBoundOn(again, volumeName);
        var release = Assert.Single(Server.Requests, r => r.Method == "PATCH" && r.ContentType?.StartsWith("application/json-patch+json", StringComparison.Ordinal) == true);
        Assert.Equal($"/api/v1/persistentvolumes/{volumeName}", release.Path);
    }

    [Fact]
    public async Task A_disk_grown_outside_Kompox_grows_the_volume_but_never_the_bound_claims_request()
    {
        var app = App();
        var first = await Operations().DeployAsync(app.Id, new DeployOptions(), null, CancellationToken.None).Within();
        var claimName = ClaimName(first);
        var claimBefore = Server.Peek("persistentvolumeclaims", first.Namespace, claimName)!["spec"]!["resources"]!["requests"]!["storage"]!.ToString();
        var tagsPath = Path.Combine(dataRoot, "disks", first.CurrentDiskId + ".json");
        var tags = JsonNode.Parse(File.ReadAllText(tagsPath))!.AsObject();
        var grown = tags["SizeBytes"]!.GetValue<long>() * 2;
        tags["SizeBytes"] = grown;
        File.WriteAllText(tagsPath, tags.ToJsonString());

        var again = await Operations().DeployAsync(app.Id, new DeployOptions(), null, CancellationToken.None).Within();

        Assert.True(again.Ready);
        var volume = Server.PeekAll("persistentvolumes").Single();
        Assert.Equal(grown, new k8s.Models.ResourceQuantity(volume["spec"]!["capacity"]!["storage"]!.ToString()).ToInt64());
        Assert.Equal(claimBefore, Server.Peek("persistentvolumeclaims", first.Namespace, claimName)!["spec"]!["resources"]!["requests"]!["storage"]!.ToString());
    }

    /// <summary>
    /// The test's server on the test's clock, with protection finalizers that take <see cref="FinalizerLatency"/>. The
    /// app's lock is held in process: the Lease's own timers (renewal, the bounded release) would be stepped with the
    /// waits under test, and its release cut short.
    /// </summary>
    private async Task ClusterOnTheTestClockAsync()
    {
        await harness.DisposeAsync().Within();
        harness = await KubeApiHarness.StartAsync(time).Within();
        await harness.InstallIngressAsync().Within();
        Server.ProtectionLatency = FinalizerLatency;
        context = new KompoxContext(new KubeconfigClientFactory(), new DriverFactory(time), store, time, new InProcessAppLock(time)) { AppLockTimeout = TimeSpan.Zero };
    }

    /// <summary>The app's one claim, read from the server rather than named by the test.</summary>
    private string ClaimName(AppStatus status) => Server.PeekAll("persistentvolumeclaims", status.Namespace).Single()["metadata"]!["name"]!.ToString();

    private void AssertBoundOn(AppStatus status, string volumeName)
    {
        Assert.True(status.Ready);
        var claim = Server.PeekAll("persistentvolumeclaims", status.Namespace).Single();
        var volume = Server.Peek("persistentvolumes", null, volumeName)!;
        Assert.Equal("Bound", claim["status"]!["phase"]!.ToString());
        Assert.Equal(volumeName, claim["spec"]!["volumeName"]!.ToString());
        Assert.Equal(claim["metadata"]!["uid"]!.ToString(), volume["spec"]!["claimRef"]!["uid"]!.ToString());
        Assert.Null(claim["metadata"]!["deletionTimestamp"]);
        Assert.Null(volume["metadata"]!["deletionTimestamp"]);
    }
}
