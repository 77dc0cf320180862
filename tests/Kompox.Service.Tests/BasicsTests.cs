using System.Net;
using System.Text.Json.Nodes;
using static Kompox.Service.Tests.ServiceFixture;

namespace Kompox.Service.Tests;

public sealed class BasicsTests
{
    [Fact]
    public async Task Health_and_readiness_answer_anonymously()
    {
        await using var service = await StartAsync().Within();
        var anonymous = service.Client(null);
        Assert.Equal((HttpStatusCode.OK, "ok"), await Text(anonymous, "/healthz").Within());
        Assert.Equal((HttpStatusCode.OK, "ready"), await Text(anonymous, "/readyz").Within());
    }

    [Fact]
    public async Task The_service_resource_names_the_store_and_the_version()
    {
        await using var service = await StartAsync(new() { ["Kompox:ServiceName"] = "ops" }).Within();
        var info = await Send(service.Admin, HttpMethod.Get, "/v1/service", null, HttpStatusCode.OK).Within();
        Assert.Equal("ops", info["name"]!.GetValue<string>());
        Assert.Equal(typeof(KompoxException).Assembly.GetName().Version!.ToString(3), info["version"]!.GetValue<string>());
    }

    private static async Task<(HttpStatusCode, string)> Text(HttpClient client, string path)
    {
        using var response = await client.GetAsync(path).Within();
        return (response.StatusCode, await response.Content.ReadAsStringAsync().Within());
    }
}
