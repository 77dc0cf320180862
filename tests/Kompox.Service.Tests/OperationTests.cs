using System.Net;
using System.Text.Json.Nodes;
using Kompox.Testing.KubeApi;
using Microsoft.Extensions.DependencyInjection;
using static Kompox.Service.Tests.ServiceFixture;

namespace Kompox.Service.Tests;

/// <summary>Long operations, the app's lock across parallel requests, the rate limit and the snapshot-policy timer.</summary>
public sealed class OperationTests
{
    [Fact]
    public async Task A_cancelled_deploy_ends_cancelled()
    {
        await using var service = await StartAsync().Within();
        await service.AddClusterAsync().Within();
        var alice = await service.UserAsync("alice").Within();
        await service.CreateAppAsync(alice, "web").Within();

        // The Pod never becomes Ready (KubeApiServer.Controllers models kubelet's readiness), so the deploy waits for
        // its rollout until it is cancelled.
        service.Kube.FailNextRollout(RolloutFailure.NeverReady());
        var started = await Send(alice, HttpMethod.Post, "/v1/apps/web/deploy", null, HttpStatusCode.Accepted).Within();
        await service.Kube.WhenRequestedAsync("patch", "/deployments/", CancellationToken.None).WaitAsync(TimeSpan.FromMinutes(1));
        Assert.Equal("running", (await Send(alice, HttpMethod.Get, $"/v1/operations/{started["id"]}", null, HttpStatusCode.OK).Within())["state"]!.GetValue<string>());

        var bob = await service.UserAsync("bob").Within();
        await ProblemAsync(bob, HttpMethod.Delete, $"/v1/operations/{started["id"]}", null, HttpStatusCode.NotFound, "OperationNotFound").Within();
        await Send(alice, HttpMethod.Delete, $"/v1/operations/{started["id"]}", null, HttpStatusCode.Accepted).Within();
        var ended = await service.FinishedAsync(alice, started).Within();
        Assert.True(ended["state"]!.GetValue<string>() == "cancelled", ended.ToJsonString());
        Assert.Equal("OperationCanceled", ended["problem"]!["errorId"]!.GetValue<string>());

        // The final state outlives the process.
        await service.RestartAsync().Within();
        var stored = await Send(service.Admin, HttpMethod.Get, $"/v1/operations/{started["id"]}", null, HttpStatusCode.OK).Within();
        Assert.Equal("cancelled", stored["state"]!.GetValue<string>());
    }

    [Fact]
    public async Task Parallel_changes_to_one_app_are_serialized_and_none_is_lost()
    {
        await using var service = await StartAsync().Within();
        await service.AddClusterAsync().Within();
        var alice = await service.UserAsync("alice").Within();
        await service.CreateAppAsync(alice, "web").Within();

        // Disk creation holds the app's lock (a Lease on the cluster): four at once each make their disk.
        var creates = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Send(alice, HttpMethod.Post, "/v1/apps/web/disks", null, HttpStatusCode.Accepted))).Within();
        var results = await Task.WhenAll(creates.Select(c => service.FinishedAsync(alice, c))).Within();
        Assert.All(results, r => Assert.True(r["state"]!.GetValue<string>() == "succeeded", r.ToJsonString()));
        var made = results.Select(r => r["result"]!["id"]!.GetValue<string>()).ToHashSet();
        Assert.Equal(4, made.Count);
        Assert.Equal(made.Order(), (await ListAsync(alice, "/v1/apps/web/disks").Within()).Select(d => d!["id"]!.GetValue<string>()).Order());
        Assert.Contains(service.Kube.Requests, r => r.Path.Contains("/leases/", StringComparison.Ordinal));

        // Parallel registrations of the app's settings: each is whole, and the one stored is one of them.
        var puts = await Task.WhenAll(Enumerable.Range(1, 8).Select(i => Send(alice, HttpMethod.Put, "/v1/apps/web", new JsonObject
        {
            ["compose"] = WebCompose,
            ["settings"] = new JsonObject { ["SNAPSHOT_KEEP"] = i.ToString(), ["SNAPSHOT_MAX_AGE"] = $"{i}d" },
        }, HttpStatusCode.OK))).Within();
        var stored = (await Send(alice, HttpMethod.Get, "/v1/apps/web", null, HttpStatusCode.OK).Within())["settings"]!;
        Assert.Equal($"{stored["SNAPSHOT_KEEP"]}d", stored["SNAPSHOT_MAX_AGE"]!.GetValue<string>());
        await service.RestartAsync().Within();
        Assert.Equal(stored.ToJsonString(), (await Send(service.Admin, HttpMethod.Get, "/v1/apps/web", null, HttpStatusCode.OK).Within())["settings"]!.ToJsonString());
    }

    [Fact]
    public async Task The_rate_limit_is_per_token()
    {
        await using var service = await StartAsync(new() { ["Kompox:RateLimit:PermitsPerMinute"] = "3" }).Within();
        var alice = await service.UserAsync("alice").Within();
        for (var i = 0; i < 3; i++)
        {
            await Send(alice, HttpMethod.Get, "/v1/apps", null, HttpStatusCode.OK).Within();
        }

        await ProblemAsync(alice, HttpMethod.Get, "/v1/apps", null, HttpStatusCode.TooManyRequests, "RateLimited").Within();
        var bob = await service.UserAsync("bob").Within();
        await Send(bob, HttpMethod.Get, "/v1/apps", null, HttpStatusCode.OK).Within();
    }

    [Fact]
    public async Task The_background_timer_applies_every_apps_snapshot_policy_and_records_the_outcome()
    {
        await using var service = await StartAsync(new() { ["Kompox:SnapshotPolicyInterval"] = "00:10:00" }).Within();
        await service.AddClusterAsync().Within();
        var alice = await service.UserAsync("alice").Within();
        await service.CreateAppAsync(alice, "web").Within();
        Assert.Equal("succeeded", (await service.FinishedAsync(alice, await Send(alice, HttpMethod.Post, "/v1/apps/web/deploy", null, HttpStatusCode.Accepted).Within()).Within())["state"]!.GetValue<string>());
        await Send(alice, HttpMethod.Put, "/v1/apps/web/snapshot-policy", new JsonObject { ["settings"] = new JsonObject { ["SNAPSHOT_INTERVAL"] = "1h", ["SNAPSHOT_KEEP"] = "2" } }, HttpStatusCode.OK).Within();
        await ProblemAsync(alice, HttpMethod.Put, "/v1/apps/web/snapshot-policy", """{"settings":{"SNAPSHOT_INTERVAL":"soon"}}""", HttpStatusCode.BadRequest, "InvalidSetting").Within();
        await ProblemAsync(alice, HttpMethod.Put, "/v1/apps/web/snapshot-policy", """{"settings":{"K3S_NODE":"x"}}""", HttpStatusCode.BadRequest, "InvalidSetting").Within();
        Assert.Equal(HttpStatusCode.NoContent, (await alice.GetAsync("/v1/apps/web/snapshot-policy/last-run").Within()).StatusCode);

        var timer = service.Services.GetRequiredService<SnapshotPolicyTimer>();
        var passed = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        timer.Passed += count => passed.TrySetResult(count);
        service.PolicyClock.Advance(TimeSpan.FromMinutes(10));
        Assert.Equal(1, await passed.Task.WaitAsync(TimeSpan.FromMinutes(1)));

        var run = await Send(alice, HttpMethod.Get, "/v1/apps/web/snapshot-policy/last-run", null, HttpStatusCode.OK).Within();
        Assert.True(run["outcome"]!.GetValue<string>() == "Taken", run.ToJsonString());
        var taken = run["taken"]!["id"]!.GetValue<string>();
        Assert.Equal(taken, Assert.Single(await ListAsync(alice, "/v1/apps/web/snapshots").Within())!["id"]!.GetValue<string>());

        // A run on demand records its outcome the same way: not due an hour after the last.
        var now = await service.FinishedAsync(alice, await Send(alice, HttpMethod.Post, "/v1/apps/web/snapshot-policy/run", null, HttpStatusCode.Accepted).Within()).Within();
        Assert.Equal("NotDue", now["result"]!["outcome"]!.GetValue<string>());
        Assert.Equal("NotDue", (await Send(alice, HttpMethod.Get, "/v1/apps/web/snapshot-policy/last-run", null, HttpStatusCode.OK).Within())["outcome"]!.GetValue<string>());
    }
}
