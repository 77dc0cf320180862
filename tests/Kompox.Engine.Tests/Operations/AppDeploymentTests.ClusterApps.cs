using Kompox.Conversion;
using Kompox.Drivers;
using Kompox.Kube;
using Kompox.Model;
using Kompox.Operations;

namespace Kompox.Tests.Operations;

/// <summary>The apps a cluster runs, found by their namespaces (issue 16), and the deploy's warning of a renamed app.</summary>
public sealed partial class AppDeploymentTests
{
    // The namespaces are found as kubectl get namespaces -l app.kubernetes.io/managed-by=kompox finds them: a list with a
    // label selector (kubernetes staging/src/k8s.io/apimachinery/pkg/labels/selector.go), as the test server filters it.
    [Fact]
    public async Task A_cluster_lists_every_app_by_its_namespace_and_one_whose_config_is_not_at_hand_is_removed_by_its_id()
    {
        var web = FromConfig(App(compose: TwoPorts), "/configs/web.yml", "web");
        var shop = FromConfig(App(name: "shop", compose: TwoPorts), "/configs/shop.yml", "shop");
        await Operations(Here).DeployAsync(web.Id, new DeployOptions(), null, CancellationToken.None).Within();
        var deployed = await Operations(Here).DeployAsync(shop.Id, new DeployOptions(), null, CancellationToken.None).Within();

        // Another front end, later, with only web's config at hand.
        var elsewhere = new ConfigFileStore();
        elsewhere.Add(web);
        await using var other = new KompoxContext(new KubeconfigClientFactory(), new DriverFactory(time), elsewhere, time) { AppLockTimeout = TimeSpan.Zero, Machine = Here };
        var listed = await new ClusterOperations(other).ListAppsAsync(web.Cluster.Id, false, null, CancellationToken.None).Within();

        Assert.Equal(new[] { "ops/k3s1/lab/shop", "ops/k3s1/lab/web" }, listed.Select(e => e.Status.AppId));
        Assert.Same(web, listed[1].App);
        var found = listed[0].App!;
        Assert.True(found.FoundOnCluster);
        Assert.Equal((shop.Id, "/configs/shop.yml"), (found.Id, found.ConfigPath));
        Assert.Equal(KubeNames.Namespace(shop), listed[0].Status.Namespace);
        Assert.True(listed[0].Status.Ready);
        Assert.Equal(deployed.Urls, listed[0].Status.Urls);
        Assert.Equal(deployed.CurrentDiskId, listed[0].Status.CurrentDiskId);
        Assert.Equal(("/configs/shop.yml", Here.HostName), (listed[0].Status.ConfigPath, listed[0].Status.ConfigHost));

        // Known from its namespace only: it cannot be deployed (there is no compose file), and it is removed by its id.
        elsewhere.Add(found);
        var refused = await Assert.ThrowsAsync<KompoxException>(() => new AppOperations(other).DeployAsync(found.Id, new DeployOptions(), null, CancellationToken.None).Within());
        Assert.Equal("AppConfigNotAtHand", refused.ErrorId);
        Assert.Contains("it was last deployed from /configs/shop.yml", refused.Message, StringComparison.Ordinal);
        var removed = await new AppOperations(other).DestroyAsync(found.Id, new DestroyOptions(), null, CancellationToken.None).Within();
        Assert.Contains(removed.Deleted, o => o.Kind == "Deployment");

        var after = await new ClusterOperations(other).ListAppsAsync(web.Cluster.Id, false, null, CancellationToken.None).Within();
        Assert.Equal(new[] { web.Id }, after.Select(e => e.Status.AppId));
        var all = await new ClusterOperations(other).ListAppsAsync(web.Cluster.Id, true, null, CancellationToken.None).Within();
        Assert.Equal(new[] { (shop.Id, false), (web.Id, true) }, all.Select(e => (e.Status.AppId, e.Status.Deployed)));
        Assert.Equal(deployed.CurrentDiskId, all[0].Status.CurrentDiskId);
    }

    [Fact]
    public async Task An_app_of_another_cluster_id_on_the_same_cluster_is_listed_without_an_app_to_act_on()
    {
        var theirs = App(service: "team2", compose: TwoPorts);
        await Operations(Here).DeployAsync(theirs.Id, new DeployOptions(), null, CancellationToken.None).Within();

        var mine = App();
        var listed = await new ClusterOperations(context!).ListAppsAsync(mine.Cluster.Id, false, null, CancellationToken.None).Within();

        var entry = Assert.Single(listed);
        Assert.Equal("team2/k3s1/lab/web", entry.Status.AppId);
        Assert.Null(entry.App);
        Assert.True(entry.Status.Deployed);
    }

    [Fact]
    public async Task A_deploy_warns_of_the_app_its_config_deployed_under_another_name_naming_it_and_its_disk()
    {
        var old = FromConfig(App(), "/configs/kompoxops.yml", "web");
        var first = await Operations(Here).DeployAsync(old.Id, new DeployOptions(), null, CancellationToken.None).Within();

        var renamed = FromConfig(App(name: "www"), "/configs/kompoxops.yml", "www");
        var plan = await Operations(Here).PlanDeployAsync(renamed.Id, new DeployOptions(), null, CancellationToken.None).Within();

        var warning = Assert.Single(plan.Warnings, w => w.Key == "app.name");
        Assert.Equal("/configs/kompoxops.yml", warning.File);
        Assert.Contains($"/configs/kompoxops.yml deployed app {old.Id} before (namespace {first.Namespace}, disk {first.CurrentDiskId}), which the file no longer names", warning.Message, StringComparison.Ordinal);

        // A sibling of the same file, another file, and the same path on another machine are no rename.
        var sibling = FromConfig(App(name: "www"), "/configs/kompoxops.yml", "web", "www");
        Assert.DoesNotContain((await Operations(Here).PlanDeployAsync(sibling.Id, new DeployOptions(), null, CancellationToken.None).Within()).Warnings, w => w.Key == "app.name");
        var otherFile = FromConfig(App(name: "www"), "/configs/other.yml", "www");
        Assert.DoesNotContain((await Operations(Here).PlanDeployAsync(otherFile.Id, new DeployOptions(), null, CancellationToken.None).Within()).Warnings, w => w.Key == "app.name");
        await using var otherMachine = new KompoxContext(new KubeconfigClientFactory(), new DriverFactory(time), store, time) { Machine = new MachineIdentity("another-host", Here.MachineId) };
        var renamedAgain = FromConfig(App(name: "www"), "/configs/kompoxops.yml", "www");
        Assert.DoesNotContain((await new AppOperations(otherMachine).PlanDeployAsync(renamedAgain.Id, new DeployOptions(), null, CancellationToken.None).Within()).Warnings, w => w.Key == "app.name");
    }

    /// <summary>The app as KompoxConfig reads it from <paramref name="configPath"/>, a file holding the apps <paramref name="names"/>.</summary>
    private KompoxApp FromConfig(KompoxApp app, string configPath, params string[] names)
    {
        var read = new KompoxApp
        {
            Name = app.Name,
            Cluster = app.Cluster,
            Compose = app.Compose,
            Ingress = app.Ingress,
            Resources = app.Resources,
            Settings = app.Settings,
            ConfigPath = configPath,
            ConfigAppNames = names,
        };
        store.Add(read);
        return read;
    }
}
