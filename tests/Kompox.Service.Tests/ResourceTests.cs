using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using static Kompox.Service.Tests.ServiceFixture;

namespace Kompox.Service.Tests;

/// <summary>Providers, clusters, users and apps as stored resources: what is kept, what is shown, what never is.</summary>
public sealed class ResourceTests
{
    [Fact]
    public async Task Secrets_are_stored_encrypted_and_never_returned()
    {
        await using var service = await StartAsync().Within();
        await Send(service.Admin, HttpMethod.Post, "/v1/providers", new JsonObject { ["name"] = "k3s1", ["driver"] = "k3s", ["settings"] = new JsonObject { ["BACKUP_TOKEN"] = "provider-secret-value" } }, HttpStatusCode.Created).Within();
        var cluster = await Send(service.Admin, HttpMethod.Post, "/v1/clusters", new JsonObject
        {
            ["name"] = "lab2",
            ["provider"] = "k3s1",
            ["domain"] = "ops.example.com",
            ["credential"] = new JsonObject { ["kubeconfig"] = service.Kubeconfig, ["context"] = "kompox-test" },
        }, HttpStatusCode.Created).Within();

        // The credential is named, never shown; a secret setting is ***.
        Assert.Equal("""{"type":"kubeconfig","context":"kompox-test"}""", cluster["credential"]!.ToJsonString());
        var provider = await Send(service.Admin, HttpMethod.Get, "/v1/providers/k3s1", null, HttpStatusCode.OK).Within();
        Assert.Equal("***", provider["settings"]!["BACKUP_TOKEN"]!.GetValue<string>());
        var everything = await service.Admin.GetStringAsync("/v1/clusters").Within() + await service.Admin.GetStringAsync("/v1/providers").Within();
        Assert.DoesNotContain(service.Kube.AdminToken, everything, StringComparison.Ordinal);
        Assert.DoesNotContain("provider-secret-value", everything, StringComparison.Ordinal);

        // Sending *** back keeps the stored value (a client that read the provider and writes it again loses nothing).
        await Send(service.Admin, HttpMethod.Put, "/v1/providers/k3s1", new JsonObject { ["name"] = "k3s1", ["driver"] = "k3s", ["settings"] = new JsonObject { ["BACKUP_TOKEN"] = "***" } }, HttpStatusCode.OK).Within();
        var store = service.Services.GetService(typeof(Kompox.Service.Store.ServiceStore)) as Kompox.Service.Store.ServiceStore;
        Assert.Equal("provider-secret-value", store!.Model(store.Provider("k3s1")!).Settings["BACKUP_TOKEN"]);

        // At rest: neither the cluster's token nor the provider's secret is in the database files.
        await service.RestartAsync().Within();
        var files = Directory.GetFiles(service.DataPath, "*.db").Select(File.ReadAllBytes).Select(b => Encoding.UTF8.GetString(b)).ToList();
        Assert.NotEmpty(files);
        Assert.All(files, text =>
        {
            Assert.DoesNotContain(service.Kube.AdminToken, text, StringComparison.Ordinal);
            Assert.DoesNotContain("provider-secret-value", text, StringComparison.Ordinal);
        });

        // ...and after the restart the service still reaches the cluster with it.
        var status = await Send(service.Admin, HttpMethod.Get, "/v1/clusters/lab2/ingress", null, HttpStatusCode.OK).Within();
        Assert.Equal("v1.32.0", status["serverVersion"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_users_token_is_shown_once_stored_as_a_hash_and_replaced_on_renewal()
    {
        await using var service = await StartAsync().Within();
        var made = await Send(service.Admin, HttpMethod.Post, "/v1/users", new JsonObject { ["name"] = "alice", ["role"] = "user" }, HttpStatusCode.Created).Within();
        var token = made["token"]!.GetValue<string>();
        Assert.Matches("^kpx_[A-Za-z0-9_-]{43}$", token);
        Assert.Null((await Send(service.Admin, HttpMethod.Get, "/v1/users/alice", null, HttpStatusCode.OK).Within())["token"]);
        Assert.DoesNotContain(token, await service.Admin.GetStringAsync("/v1/users").Within(), StringComparison.Ordinal);

        var alice = service.Client(token);
        await Send(alice, HttpMethod.Get, "/v1/apps", null, HttpStatusCode.OK).Within();
        var renewed = await Send(service.Admin, HttpMethod.Post, "/v1/users/alice/token", null, HttpStatusCode.OK).Within();
        await ProblemAsync(alice, HttpMethod.Get, "/v1/apps", null, HttpStatusCode.Unauthorized, "Unauthenticated").Within();
        await Send(service.Client(renewed["token"]!.GetValue<string>()), HttpMethod.Get, "/v1/apps", null, HttpStatusCode.OK).Within();

        await service.RestartAsync().Within();
        var text = string.Concat(Directory.GetFiles(service.DataPath, "*.db").Select(File.ReadAllBytes).Select(Encoding.UTF8.GetString));
        Assert.DoesNotContain(renewed["token"]!.GetValue<string>(), text, StringComparison.Ordinal);
        Assert.DoesNotContain(AdminToken, text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Apps_are_created_read_changed_listed_and_removed()
    {
        await using var service = await StartAsync(new() { ["Kompox:ServiceName"] = "ops" }).Within();
        await service.AddClusterAsync(initialize: false).Within();
        var alice = await service.UserAsync("alice").Within();
        var app = await service.CreateAppAsync(alice, "web").Within();
        Assert.Equal("ops/k3s1/lab/web", app["id"]!.GetValue<string>());
        Assert.Equal("alice", app["owner"]!.GetValue<string>());
        Assert.Equal(WebCompose, app["compose"]!.GetValue<string>());

        var changed = await Send(alice, HttpMethod.Put, "/v1/apps/web", new JsonObject { ["compose"] = WebCompose, ["settings"] = new JsonObject { ["SNAPSHOT_KEEP"] = "3" } }, HttpStatusCode.OK).Within();
        Assert.Equal("3", changed["settings"]!["SNAPSHOT_KEEP"]!.GetValue<string>());
        Assert.Equal("""{"settings":{"SNAPSHOT_KEEP":"3"}}""", (await Send(alice, HttpMethod.Get, "/v1/apps/web/snapshot-policy", null, HttpStatusCode.OK).Within()).ToJsonString());
        Assert.Single(await ListAsync(alice, "/v1/apps").Within());
        Assert.Single(await ListAsync(service.Admin, "/v1/apps?owner=alice").Within());
        Assert.Empty(await ListAsync(service.Admin, "/v1/apps?owner=bob").Within());

        // Names are unique per service, whoever owns the other one.
        var bob = await service.UserAsync("bob").Within();
        await ProblemAsync(bob, HttpMethod.Post, "/v1/apps", new JsonObject { ["name"] = "web", ["cluster"] = "lab", ["compose"] = WebCompose }.ToJsonString(), HttpStatusCode.Conflict, "AppExists").Within();

        // Not deployed: the registration goes; a deployed app is refused (AppFlowTests).
        await Send(alice, HttpMethod.Delete, "/v1/apps/web", null, HttpStatusCode.NoContent).Within();
        await ProblemAsync(alice, HttpMethod.Get, "/v1/apps/web", null, HttpStatusCode.NotFound, "AppNotFound").Within();
    }

    [Fact]
    public async Task Resources_in_use_are_not_removed()
    {
        await using var service = await StartAsync().Within();
        await service.AddClusterAsync(initialize: false).Within();
        var alice = await service.UserAsync("alice").Within();
        await service.CreateAppAsync(alice, "web").Within();
        await ProblemAsync(service.Admin, HttpMethod.Delete, "/v1/clusters/lab", null, HttpStatusCode.Conflict, "ResourceInUse").Within();
        await ProblemAsync(service.Admin, HttpMethod.Delete, "/v1/providers/k3s1", null, HttpStatusCode.Conflict, "ResourceInUse").Within();
        await ProblemAsync(service.Admin, HttpMethod.Delete, "/v1/users/alice", null, HttpStatusCode.Conflict, "ResourceInUse").Within();
        await ProblemAsync(service.Admin, HttpMethod.Put, "/v1/service", """{"name":"other"}""", HttpStatusCode.Conflict, "ResourceInUse").Within();
        await Send(alice, HttpMethod.Delete, "/v1/apps/web", null, HttpStatusCode.NoContent).Within();
        await Send(service.Admin, HttpMethod.Delete, "/v1/clusters/lab", null, HttpStatusCode.NoContent).Within();
        await Send(service.Admin, HttpMethod.Delete, "/v1/providers/k3s1", null, HttpStatusCode.NoContent).Within();
        await Send(service.Admin, HttpMethod.Delete, "/v1/users/alice", null, HttpStatusCode.NoContent).Within();
        await ProblemAsync(service.Admin, HttpMethod.Get, "/v1/users/alice", null, HttpStatusCode.NotFound, "UserNotFound").Within();
        Assert.Equal("other", (await Send(service.Admin, HttpMethod.Put, "/v1/service", new JsonObject { ["name"] = "other" }, HttpStatusCode.OK).Within())["name"]!.GetValue<string>());
    }
}
