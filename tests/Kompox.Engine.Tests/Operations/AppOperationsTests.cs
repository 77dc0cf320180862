using System.Net;
using k8s.Models;
using Kompox.Conversion;
using Kompox.Drivers;
using Kompox.Operations;

namespace Kompox.Tests.Operations;

public sealed class AppOperationsTests : IDisposable
{
    private readonly OperationFixture fixture = new();

    public void Dispose() => fixture.Dispose();

    [Fact]
    public async Task Validate_gives_what_the_synchronous_path_gives_and_reports_progress()
    {
        var app = fixture.App();
        var progress = new RecordedProgress();

        var result = await new AppOperations(fixture.Context).ValidateAsync(app, new AppValidationOptions(), progress, CancellationToken.None);

        Assert.True(result.IsValid);
        Assert.Equal(AppValidator.Validate(app, new AppValidationOptions()).Yaml, result.Yaml);
        Assert.Equal(new int?[] { 0, 100 }, progress.Reports.Select(r => r.Percent));
    }

    [Fact]
    public async Task Plan_sizes_the_volume_as_the_real_disk_and_pins_it_to_the_clusters_only_node()
    {
        fixture.Kube.Answer("GET", "/api/v1/nodes", HttpStatusCode.OK, """{"kind":"NodeList","apiVersion":"v1","items":[{"metadata":{"name":"vm1"}}]}""");
        var app = fixture.App();
        var disk = new DiskInfo("web-20250811123456-abc123", app.Id, fixture.Time.GetUtcNow(), 3L << 30);
        var progress = new RecordedProgress();

        var plan = await new AppOperations(fixture.Context).PlanAsync(app, disk, new ComposeReadOptions(), progress, CancellationToken.None);

        Assert.True(plan.IsValid, string.Join("\n", plan.Errors));
        var pv = Assert.Single(plan.Documents, d => d.Kind == "PersistentVolume");
        Assert.Contains("storage: 3Gi", pv.Yaml);
        Assert.Contains("- vm1", pv.Yaml);
        Assert.Contains($"path: {fixture.DataRoot}/disks/{disk.Id}", pv.Yaml);
        var ns = Assert.Single(plan.Documents, d => d.Kind == "Namespace");
        Assert.DoesNotContain("disk-current-id", ns.Yaml);
        Assert.All(plan.Documents, d => Assert.Contains($"kompox.dev/app-id: {KubeNames.AppHash(app)}", d.Yaml));
        Assert.True(progress.Reports.Any(r => r.Verbose == "GET /api/v1/nodes?watch=false"), string.Join(", ", progress.Reports));
    }

    [Fact]
    public async Task Plan_refuses_a_disk_of_another_app()
    {
        var app = fixture.App();
        var disk = new DiskInfo("other-20250811123456-abc123", "ops/k3s1/lab/other", fixture.Time.GetUtcNow(), 1L << 30);

        var error = await Assert.ThrowsAsync<KompoxException>(() => new AppOperations(fixture.Context).PlanAsync(app, disk, new ComposeReadOptions(), null, CancellationToken.None));

        Assert.Equal("DiskNotFound", error.ErrorId);
    }

    [Fact]
    public async Task Disk_state_is_its_own_server_side_apply_that_sets_both_ids()
    {
        var app = fixture.App();
        var ns = KubeNames.Namespace(app);
        fixture.Kube.Answer("PATCH", $"/api/v1/namespaces/{ns}", HttpStatusCode.OK, """{"kind":"Namespace","apiVersion":"v1","metadata":{"name":"k4x"}}""");

        await new AppOperations(fixture.Context).SetDiskStateAsync(app, new AppDiskState("disk-b", "disk-a"), null, CancellationToken.None);

        var (method, path, body) = Assert.Single(fixture.Kube.Requests);
        Assert.Equal("PATCH", method);
        Assert.Equal($"/api/v1/namespaces/{ns}?fieldManager=kompox-disk-state&force=true", path);
        var sent = k8s.KubernetesJson.Deserialize<V1Namespace>(body!);
        Assert.Equal(
            new Dictionary<string, string> { ["kompox.dev/disk-current-id"] = "disk-b", ["kompox.dev/disk-previous-id"] = "disk-a" },
            sent.Metadata.Annotations);
        Assert.Null(sent.Metadata.Labels);
    }

    [Fact]
    public async Task Disk_state_is_read_from_the_namespace_and_is_none_before_the_first_deploy()
    {
        var app = fixture.App();
        var operations = new AppOperations(fixture.Context);
        Assert.Equal(AppDiskState.None, await operations.GetDiskStateAsync(app, null, CancellationToken.None));

        fixture.Kube.Answer("GET", $"/api/v1/namespaces/{KubeNames.Namespace(app)}", HttpStatusCode.OK, """{"metadata":{"name":"x","annotations":{"kompox.dev/disk-current-id":"disk-b"}}}""");

        Assert.Equal(new AppDiskState("disk-b", null), await operations.GetDiskStateAsync(app, null, CancellationToken.None));
    }

    [Fact]
    public async Task An_app_is_found_through_the_resource_source()
    {
        var operations = new AppOperations(fixture.Context);

        Assert.Equal("ops/k3s1/lab/web", (await operations.GetAsync("ops/k3s1/lab/web", CancellationToken.None)).Id);
        Assert.Equal("AppNotFound", (await Assert.ThrowsAsync<KompoxException>(() => operations.GetAsync("ops/k3s1/lab/nope", CancellationToken.None))).ErrorId);
    }
}
