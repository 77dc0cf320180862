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
        await using var service = await StartAsync();
        await Send(service.Admin, HttpMethod.Post, "/v1/providers", new JsonObject { ["name"] = "k3s1", ["driver"] = "k3s", ["settings"] = new JsonObject { ["BACKUP_TOKEN"] = "provider-secret-value" } }, HttpStatusCode.Created);
        var cluster = await Send(service.Admin, HttpMethod.Post, "/v1/clusters", new JsonObject
        {
            ["name"] = "lab2",
            ["provider"] = "k3s1",
            ["domain"] = "ops.example.com",
            ["credential"] = new JsonObject { ["kubeconfig"] = service.Kubeconfig, ["context"] = "kompox-test" },
        }, HttpStatusCode.Created);

        // The credential is named, never shown; a secret setting is ***.
        Assert.Equal("""{"type":"kubeconfig","context":"kompox-test"}""", cluster["credential"]!.ToJsonString());
        var provider = await Send(service.Admin, HttpMethod.Get, "/v1/providers/k3s1", null, HttpStatusCode.OK);
        Assert.Equal("***", provider["settings"]!["BACKUP_TOKEN"]!.GetValue<string>());
        var everything = await service.Admin.GetStringAsync("/v1/clusters") + await service.Admin.GetStringAsync("/v1/providers");
        Assert.DoesNotContain(service.Kube.AdminToken, everything, StringComparison.Ordinal);
        Assert.DoesNotContain("provider-secret-value", everything, StringComparison.Ordinal);

        // Sending *** back keeps the stored value (a client that read the provider and writes it again loses nothing).
        await Send(service.Admin, HttpMethod.Put, "/v1/providers/k3s1", new JsonObject { ["name"] = "k3s1", ["driver"] = "k3s", ["settings"] = new JsonObject { ["BACKUP_TOKEN"] = "***" } }, HttpStatusCode.OK);
        var store = service.Services.GetService(typeof(Kompox.Service.Store.ServiceStore)) as Kompox.Service.Store.ServiceStore;
        Assert.Equal("provider-secret-value", store!.Model(store.Provider("k3s1")!).Settings["BACKUP_TOKEN"]);

        // At rest: neither the cluster's token nor the provider's secret is in the database files.
        await service.RestartAsync();
        var files = Directory.GetFiles(service.DataPath, "*.db").Select(File.ReadAllBytes).Select(b => Encoding.UTF8.GetString(b)).ToList();
        Assert.NotEmpty(files);
        Assert.All(files, text =>
        {
            Assert.DoesNotContain(service.Kube.AdminToken, text, StringComparison.Ordinal);
            Assert.DoesNotContain("provider-secret-value", text, StringComparison.Ordinal);
        });

        // ...and after the restart the service still reaches the cluster with it.
        var status = await Send(service.Admin, HttpMethod.Get, "/v1/clusters/lab2/ingress", null, HttpStatusCode.OK);
        Assert.Equal("v1.32.0", status["serverVersion"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_users_token_is_shown_once_stored_as_a_hash_and_replaced_on_renewal()
    {
        await using var service = await StartAsync();
        var made = await Send(service.Admin, HttpMethod.Post, "/v1/users", new JsonObject { ["name"] = "alice", ["role"] = "user" }, HttpStatusCode.Created);
        var token = made["token"]!.GetValue<string>();
        Assert.Matches("^kpx_[A-Za-z0-9_-]{43}$", token);
        Assert.Null((await Send(service.Admin, HttpMethod.Get, "/v1/users/alice", null, HttpStatusCode.OK))["token"]);
        Assert.DoesNotContain(token, await service.Admin.GetStringAsync("/v1/users"), StringComparison.Ordinal);

        var alice = service.Client(token);
        await Send(alice, HttpMethod.Get, "/v1/apps", null, HttpStatusCode.OK);
        var renewed = await Send(service.Admin, HttpMethod.Post, "/v1/users/alice/token", null, HttpStatusCode.OK);
        await ProblemAsync(alice, HttpMethod.Get, "/v1/apps", null, HttpStatusCode.Unauthorized, "Unauthenticated");
        await Send(service.Client(renewed["token"]!.GetValue<string>()), HttpMethod.Get, "/v1/apps", null, HttpStatusCode.OK);

        await service.RestartAsync();
        var text = string.Concat(Directory.GetFiles(service.DataPath, "*.db").Select(File.ReadAllBytes).Select(Encoding.UTF8.GetString));
        Assert.DoesNotContain(renewed["token"]!.GetValue<string>(), text, StringComparison.Ordinal);
        Assert.DoesNotContain(AdminToken, text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Apps_are_created_read_changed_listed_and_removed()
    {
        await using var service = await StartAsync(new() { ["Kompox:ServiceName"] = "ops" });
        await service.AddClusterAsync(initialize: false);
        var alice = await service.UserAsync("alice");
        var app = await service.CreateAppAsync(alice, "web");
        Assert.Equal("ops/k3s1/lab/web", app["id"]!.GetValue<string>());
        Assert.Equal("alice", app["owner"]!.GetValue<string>());
        Assert.Equal(WebCompose, app["compose"]!.GetValue<string>());

        var changed = await Send(alice, HttpMethod.Put, "/v1/apps/web", new JsonObject { ["compose"] = WebCompose, ["settings"] = new JsonObject { ["SNAPSHOT_KEEP"] = "3" } }, HttpStatusCode.OK);
        Assert.Equal("3", changed["settings"]!["SNAPSHOT_KEEP"]!.GetValue<string>());
        Assert.Equal("""{"settings":{"SNAPSHOT_KEEP":"3"}}""", (await Send(alice, HttpMethod.Get, "/v1/apps/web/snapshot-policy", null, HttpStatusCode.OK)).ToJsonString());
        Assert.Single(await ListAsync(alice, "/v1/apps"));
        Assert.Single(await ListAsync(service.Admin, "/v1/apps?owner=alice"));
        Assert.Empty(await ListAsync(service.Admin, "/v1/apps?owner=bob"));

        // Names are unique per service, whoever owns the other one.
        var bob = await service.UserAsync("bob");
        await ProblemAsync(bob, HttpMethod.Post, "/v1/apps", new JsonObject { ["name"] = "web", ["cluster"] = "lab", ["compose"] = WebCompose }.ToJsonString(), HttpStatusCode.Conflict, "AppExists");

        // Not deployed: the registration goes; a deployed app is refused (AppFlowTests).
        await Send(alice, HttpMethod.Delete, "/v1/apps/web", null, HttpStatusCode.NoContent);
        await ProblemAsync(alice, HttpMethod.Get, "/v1/apps/web", null, HttpStatusCode.NotFound, "AppNotFound");
    }

    [Fact]
    public async Task Resources_in_use_are_not_removed()
    {
        await using var service = await StartAsync();
        await service.AddClusterAsync(initialize: false);
        var alice = await service.UserAsync("alice");
        await service.CreateAppAsync(alice, "web");
        await ProblemAsync(service.Admin, HttpMethod.Delete, "/v1/clusters/lab", null, HttpStatusCode.Conflict, "ResourceInUse");
        await ProblemAsync(service.Admin, HttpMethod.Delete, "/v1/providers/k3s1", null, HttpStatusCode.Conflict, "ResourceInUse");
        await ProblemAsync(service.Admin, HttpMethod.Delete, "/v1/users/alice", null, HttpStatusCode.Conflict, "ResourceInUse");
        await ProblemAsync(service.Admin, HttpMethod.Put, "/v1/service", """{"name":"other"}""", HttpStatusCode.Conflict, "ResourceInUse");
        await Send(alice, HttpMethod.Delete, "/v1/apps/web", null, HttpStatusCode.NoContent);
        await Send(service.Admin, HttpMethod.Delete, "/v1/clusters/lab", null, HttpStatusCode.NoContent);
        await Send(service.Admin, HttpMethod.Delete, "/v1/providers/k3s1", null, HttpStatusCode.NoContent);
        await Send(service.Admin, HttpMethod.Delete, "/v1/users/alice", null, HttpStatusCode.NoContent);
        await ProblemAsync(service.Admin, HttpMethod.Get, "/v1/users/alice", null, HttpStatusCode.NotFound, "UserNotFound");
        Assert.Equal("other", (await Send(service.Admin, HttpMethod.Put, "/v1/service", new JsonObject { ["name"] = "other" }, HttpStatusCode.OK))["name"]!.GetValue<string>());
    }
}
