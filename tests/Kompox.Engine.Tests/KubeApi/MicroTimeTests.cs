using System.Text.Json.Nodes;
using k8s;
using k8s.Models;
using static Kompox.Tests.KubeApi.KubeApiHarness;

namespace Kompox.Tests.KubeApi;

/// <summary>
/// MicroTime fields as kube-apiserver decodes them: k8s.io/apimachinery/pkg/apis/meta/v1/micro_time.go parses with
/// <c>RFC3339Micro = "2006-01-02T15:04:05.000000Z07:00"</c>, and Go's time.Parse (time/format.go, stdFracSecond0) takes
/// exactly six fraction digits; a body that does not decode is 400 (apiserver handlers/rest.go transformDecodeError).
/// </summary>
public sealed class MicroTimeTests
{
    [Theory]
    [InlineData("2025-08-11T12:34:56Z", "cannot parse \"Z\" as \".000000\"")]
    [InlineData("2025-08-11T12:34:56.123Z", "cannot parse \".123Z\" as \".000000\"")]
    [InlineData("2025-08-11T12:34:56.1234567Z", "cannot parse \"7Z\" as \"Z07:00\"")]
    [InlineData("2025-08-11 12:34:56.000000Z", "cannot parse \" 12:34:56.000000Z\" as \"T\"")]
    public async Task A_lease_time_without_exactly_six_fraction_digits_is_a_bad_request(string renewTime, string why)
    {
        await using var harness = await StartAsync().Within();
        var client = harness.Client();
        await harness.CreateNamespaceAsync(client, "app").Within();

        var (code, status) = await FailureAsync(() => client.CustomObjects.CreateNamespacedCustomObjectAsync(Lease(renewTime), "coordination.k8s.io", "v1", "app", "leases")).Within();

        Assert.Equal(400, code);
        Assert.Equal("BadRequest", status["reason"]!.ToString());
        Assert.Equal($"Lease in version \"v1\" cannot be handled as a Lease: parsing time \"{renewTime}\" as \"2006-01-02T15:04:05.000000Z07:00\": {why}", status["message"]!.ToString());
        Assert.Null(harness.Server.Peek("leases", "app", "lock"));
    }

    [Theory]
    [InlineData("2025-08-11T12:34:56.000000Z")]
    [InlineData("2025-08-11T12:34:56.123456+09:00")]
    public async Task A_lease_time_in_RFC3339Micro_is_stored_as_written(string renewTime)
    {
        await using var harness = await StartAsync().Within();
        var client = harness.Client();
        await harness.CreateNamespaceAsync(client, "app").Within();

        await client.CustomObjects.CreateNamespacedCustomObjectAsync(Lease(renewTime), "coordination.k8s.io", "v1", "app", "leases").Within();

        Assert.Equal(renewTime, harness.Server.Peek("leases", "app", "lock")!["spec"]!["renewTime"]!.ToString());
    }

    /// <summary>The typed client writes a whole second without its fraction, which the API server refuses.</summary>
    [Fact]
    public async Task The_typed_client_writing_a_whole_second_is_refused()
    {
        await using var harness = await StartAsync().Within();
        var client = harness.Client();
        await harness.CreateNamespaceAsync(client, "app").Within();
        var lease = new V1Lease
        {
            ApiVersion = "coordination.k8s.io/v1",
            Kind = "Lease",
            Metadata = new() { Name = "lock" },
            Spec = new() { HolderIdentity = "a", LeaseDurationSeconds = 60, RenewTime = new DateTime(2025, 8, 11, 12, 34, 56, DateTimeKind.Utc) },
        };

        Assert.Equal(400, (await FailureAsync(() => client.CoordinationV1.CreateNamespacedLeaseAsync(lease, "app")).Within()).Code);
    }

    private static JsonObject Lease(string renewTime) => new()
    {
        ["apiVersion"] = "coordination.k8s.io/v1",
        ["kind"] = "Lease",
        ["metadata"] = new JsonObject { ["name"] = "lock" },
        ["spec"] = new JsonObject { ["holderIdentity"] = "a", ["leaseDurationSeconds"] = 60, ["renewTime"] = renewTime },
    };
}
