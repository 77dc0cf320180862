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

        var result = await new AppOperations(fixture.Context).ValidateAsync(app.Id, new AppValidationOptions(), progress, CancellationToken.None).Within();

        Assert.True(result.IsValid);
        Assert.Equal(AppValidator.Validate(app, new AppValidationOptions()).Yaml, result.Yaml);
        Assert.Equal(new int?[] { 0, 10, 100 }, progress.Reports.Select(r => r.Percent));
    }

    [Fact]
    public async Task Disk_state_is_its_own_server_side_apply_that_sets_both_ids()
    {
        var app = fixture.App();
        var ns = KubeNames.Namespace(app);
        fixture.Kube.Answer("PATCH", $"/api/v1/namespaces/{ns}", HttpStatusCode.OK, """{"kind":"Namespace","apiVersion":"v1","metadata":{"name":"k4x"}}""");

        await new AppOperations(fixture.Context).SetDiskStateAsync(app.Id, new AppDiskState("disk-b", "disk-a"), null, null, CancellationToken.None).Within();

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
        Assert.Equal(AppDiskState.None, await operations.GetDiskStateAsync(app.Id, null, CancellationToken.None).Within());

        fixture.Kube.Answer("GET", $"/api/v1/namespaces/{KubeNames.Namespace(app)}", HttpStatusCode.OK, """{"metadata":{"name":"x","annotations":{"kompox.dev/disk-current-id":"disk-b"}}}""");

        Assert.Equal(new AppDiskState("disk-b", null), await operations.GetDiskStateAsync(app.Id, null, CancellationToken.None).Within());
    }
}
