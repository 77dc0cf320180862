using System.Net;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using static Kompox.Service.Tests.ServiceFixture;

namespace Kompox.Service.Tests;

/// <summary>
/// Anonymous, user A (alice, who owns app web), user B (bob) and the administrator over every route the service maps
/// (read from its endpoint data source, so a new route is in the matrix without being listed here).
/// </summary>
public sealed class AuthorizationMatrixTests
{
    [Fact]
    public async Task Every_route_refuses_who_may_not_use_it_and_leaks_nothing_of_another_tenant()
    {
        await using var service = await StartAsync().Within();
        await Send(service.Admin, HttpMethod.Post, "/v1/providers", new JsonObject { ["name"] = "k3s1", ["driver"] = "k3s", ["settings"] = new JsonObject { ["BACKUP_PASSWORD"] = "provider-secret" } }, HttpStatusCode.Created).Within();
        await Send(service.Admin, HttpMethod.Post, "/v1/clusters", new JsonObject
        {
            ["name"] = "lab",
            ["provider"] = "k3s1",
            ["domain"] = "ops.example.com",
            ["settings"] = new JsonObject { ["K3S_DATA_ROOT"] = service.DataRoot },
            ["credential"] = new JsonObject { ["kubeconfig"] = service.Kubeconfig },
        }, HttpStatusCode.Created).Within();
        Assert.Equal("succeeded", (await service.FinishedAsync(service.Admin, await Send(service.Admin, HttpMethod.Post, "/v1/clusters/lab/initialize", null, HttpStatusCode.Accepted).Within()).Within())["state"]!.GetValue<string>());

        var alice = await service.UserAsync("alice").Within();
        var bob = await service.UserAsync("bob").Within();
        const string Secret = "alice-compose-marker";
        await service.CreateAppAsync(alice, "web", WebCompose.Replace("nginx:1.27", "nginx:1.27 # " + Secret, StringComparison.Ordinal).Replace("image: nginx:1.27 # " + Secret, "image: nginx:1.27\n    labels: {marker: " + Secret + "}", StringComparison.Ordinal)).Within();
        var op = await service.FinishedAsync(alice, await Send(alice, HttpMethod.Post, "/v1/apps/web/disks", null, HttpStatusCode.Accepted).Within()).Within();
        var diskId = op["result"]!["id"]!.GetValue<string>();
        var snap = await service.FinishedAsync(alice, await Send(alice, HttpMethod.Post, "/v1/apps/web/snapshots", new JsonObject { ["diskId"] = diskId }, HttpStatusCode.Accepted).Within()).Within();
        Assert.True(snap["state"]!.GetValue<string>() == "succeeded", snap.ToJsonString());
        var snapshotId = snap["result"]!["id"]!.GetValue<string>();
        var operationId = snap["id"]!.GetValue<string>();

        var routes = service.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.RoutePattern.RawText?.StartsWith("/v1", StringComparison.Ordinal) == true)
            .SelectMany(e => (e.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods ?? []).Select(m => (Method: m, Pattern: e.RoutePattern.RawText!)))
            .ToList();
        Assert.True(routes.Count >= 40, $"only {routes.Count} routes");

        var leaks = new[] { Secret, diskId, snapshotId, service.Kube.AdminToken, "provider-secret", AdminToken };
        var anonymous = service.Client(null);
        foreach (var (method, pattern) in routes)
        {
            var path = pattern.TrimEnd('/')
                .Replace("/apps/{name}", "/apps/web", StringComparison.Ordinal)
                .Replace("/providers/{name}", "/providers/k3s1", StringComparison.Ordinal)
                .Replace("/clusters/{name}", "/clusters/lab", StringComparison.Ordinal)
                .Replace("/users/{name}", "/users/alice", StringComparison.Ordinal)
                .Replace("{diskId}", diskId, StringComparison.Ordinal)
                .Replace("{snapshotId}", snapshotId, StringComparison.Ordinal)
                .Replace("{id}", operationId, StringComparison.Ordinal);
            var http = new HttpMethod(method);
            var body = method is "POST" or "PUT" ? "{}" : null;
            var adminOnly = pattern.StartsWith("/v1/providers", StringComparison.Ordinal) || pattern.StartsWith("/v1/users", StringComparison.Ordinal)
                || (pattern.StartsWith("/v1/clusters", StringComparison.Ordinal) && (method != "GET" || pattern.EndsWith("/ingress", StringComparison.Ordinal)))
                || (pattern.StartsWith("/v1/service", StringComparison.Ordinal) && method != "GET");

            var where = $"{method} {path}";
            var type = pattern.EndsWith("/import", StringComparison.Ordinal) ? "application/octet-stream" : "application/json";
            await ProblemAsync(anonymous, http, path, body, HttpStatusCode.Unauthorized, "Unauthenticated", type).Within();

            var (status, text, _) = await RawAsync(bob, http, path, body, type).Within();

            // A problem's instance echoes the address bob sent himself; the rest must hold nothing of alice's.
            text = System.Text.RegularExpressions.Regex.Replace(text, "\"instance\":\"[^\"]*\"", string.Empty);
            foreach (var leak in leaks)
            {
                Assert.False(text.Contains(leak, StringComparison.Ordinal), $"{where} as bob shows {leak}: {text}");
            }

            if (adminOnly)
            {
                await ProblemAsync(bob, http, path, body, HttpStatusCode.Forbidden, "Forbidden", type).Within();
                await ProblemAsync(alice, http, path, body, HttpStatusCode.Forbidden, "Forbidden", type).Within();
            }
            else if (pattern.StartsWith("/v1/apps/{name}", StringComparison.Ordinal))
            {
                // Another tenant's app is not there, never forbidden.
                await ProblemAsync(bob, http, path, body, HttpStatusCode.NotFound, "AppNotFound", type).Within();
            }
            else if (pattern.StartsWith("/v1/operations/{id}", StringComparison.Ordinal))
            {
                await ProblemAsync(bob, http, path, body, HttpStatusCode.NotFound, "OperationNotFound", type).Within();
            }
            else
            {
                Assert.True(status is HttpStatusCode.OK or HttpStatusCode.BadRequest, $"{where} as bob: {(int)status} {text}");
            }

            // Reading is allowed to the owner and to the administrator (who may act on any app).
            if (method == "GET" && !pattern.Contains("export", StringComparison.Ordinal) && !pattern.Contains("logs", StringComparison.Ordinal))
            {
                var (adminStatus, adminText, _) = await RawAsync(service.Admin, http, path, null).Within();
                Assert.True(adminStatus is HttpStatusCode.OK or HttpStatusCode.NoContent, $"{where} as admin: {(int)adminStatus} {adminText}");
                if (!adminOnly)
                {
                    var (aliceStatus, aliceText, _) = await RawAsync(alice, http, path, null).Within();
                    Assert.True(aliceStatus is HttpStatusCode.OK or HttpStatusCode.NoContent, $"{where} as alice: {(int)aliceStatus} {aliceText}");
                }
            }
        }

        // What bob may list holds nothing of alice's, and clusters show no credential or settings to a user.
        Assert.Empty(await ListAsync(bob, "/v1/apps").Within());
        var cluster = Assert.Single(await ListAsync(bob, "/v1/clusters").Within())!.AsObject();
        Assert.Equal(["name", "provider", "domain", "ingress"], cluster.Select(p => p.Key).ToArray());
    }
}
