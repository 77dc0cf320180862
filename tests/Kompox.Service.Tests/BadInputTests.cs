using System.Net;
using System.Text.Json.Nodes;
using static Kompox.Service.Tests.ServiceFixture;

namespace Kompox.Service.Tests;

/// <summary>Requests the service refuses, each as a problem document, with nothing stored.</summary>
public sealed class BadInputTests
{
    [Fact]
    public async Task Malformed_unknown_missing_oversized_and_invalid_requests_store_nothing()
    {
        await using var service = await StartAsync(new() { ["Kompox:MaxRequestBodyBytes"] = "65536" }).Within();
        await service.AddClusterAsync(initialize: false).Within();
        var alice = await service.UserAsync("alice").Within();

        async Task Refused(string body, HttpStatusCode status, string errorId)
        {
            await ProblemAsync(alice, HttpMethod.Post, "/v1/apps", body, status, errorId).Within();
            Assert.Empty(await ListAsync(service.Admin, "/v1/apps").Within());
        }

        string App(string name, string compose, string extra = "") =>
            new JsonObject { ["name"] = name, ["cluster"] = "lab", ["compose"] = compose }.ToJsonString().TrimEnd('}') + extra + "}";

        await Refused("{\"name\": \"web\", ", HttpStatusCode.BadRequest, "InvalidRequest").Within();
        await Refused("[1, 2]", HttpStatusCode.BadRequest, "InvalidRequest").Within();
        await Refused(string.Empty, HttpStatusCode.BadRequest, "InvalidRequest").Within();
        await Refused(App("web", WebCompose, ", \"isAdmin\": true"), HttpStatusCode.BadRequest, "InvalidRequest").Within();
        await Refused(App("web", WebCompose, ", \"owner\": \"bob\""), HttpStatusCode.BadRequest, "InvalidRequest").Within();
        await Refused("{\"name\": \"web\", \"cluster\": \"lab\"}", HttpStatusCode.BadRequest, "InvalidRequest").Within();
        await Refused("{\"name\": \"web\", \"cluster\": \"lab\", \"compose\": null}", HttpStatusCode.BadRequest, "InvalidRequest").Within();
        await Refused(App("web", WebCompose + "\n# " + new string('x', 70000)), HttpStatusCode.RequestEntityTooLarge, "RequestTooLarge").Within();
        await Refused(App("Web_1", WebCompose), HttpStatusCode.BadRequest, "InvalidAppName").Within();
        await Refused(App("../etc", WebCompose), HttpStatusCode.BadRequest, "InvalidAppName").Within();
        await Refused(App("a-name-that-is-longer-than-forty-characters-x", WebCompose), HttpStatusCode.BadRequest, "InvalidAppName").Within();
        await Refused(App("web", "services: [this is: not, compose"), HttpStatusCode.BadRequest, "InvalidCompose").Within();
        await ProblemAsync(alice, HttpMethod.Post, "/v1/apps", App("web", WebCompose), HttpStatusCode.UnsupportedMediaType, "InvalidRequest", "text/plain").Within();
        await ProblemAsync(alice, HttpMethod.Post, "/v1/apps/web/disks/import", "{}", HttpStatusCode.UnsupportedMediaType, "InvalidRequest").Within();

        // Hostile compose: a host path, a privileged container, the host's network; every problem is reported at once.
        var hostile = """
            services:
              web:
                image: nginx:1.27
                privileged: true
                network_mode: host
                volumes: ["/etc:/host-etc"]
            """;
        var problem = await ProblemAsync(alice, HttpMethod.Post, "/v1/apps", App("web", hostile), HttpStatusCode.BadRequest, "InvalidCompose").Within();
        Assert.True(problem["problems"]!.AsArray().Count >= 2, problem.ToJsonString());
        Assert.Empty(await ListAsync(service.Admin, "/v1/apps").Within());

        // Aliases that expand to billions of nodes (YAML's "billion laughs") are refused, not expanded.
        var laughs = "x: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n" + string.Concat(Enumerable.Range(1, 9).Select(i => $"x{i}: &a{i} [*a{(i == 1 ? string.Empty : (i - 1).ToString())},*a{(i == 1 ? string.Empty : (i - 1).ToString())},*a{(i == 1 ? string.Empty : (i - 1).ToString())},*a{(i == 1 ? string.Empty : (i - 1).ToString())},*a{(i == 1 ? string.Empty : (i - 1).ToString())},*a{(i == 1 ? string.Empty : (i - 1).ToString())},*a{(i == 1 ? string.Empty : (i - 1).ToString())},*a{(i == 1 ? string.Empty : (i - 1).ToString())},*a{(i == 1 ? string.Empty : (i - 1).ToString())}]\n")) + "services:\n  web:\n    image: nginx:1.27\n";
        var (status, text, _) = await RawAsync(alice, HttpMethod.Post, "/v1/apps", App("web", laughs)).WaitAsync(TimeSpan.FromSeconds(30));
        Assert.True(status is HttpStatusCode.BadRequest or HttpStatusCode.Created, $"{(int)status} {text}");
        if (status == HttpStatusCode.Created)
        {
            await Send(alice, HttpMethod.Delete, "/v1/apps/web", null, HttpStatusCode.NoContent).Within();
        }

        // Settings and names of the other resources.
        await ProblemAsync(alice, HttpMethod.Post, "/v1/apps", new JsonObject { ["name"] = "web", ["cluster"] = "lab", ["compose"] = WebCompose, ["settings"] = new JsonObject { ["SNAPSHOT_KEEP"] = "many" } }.ToJsonString(), HttpStatusCode.BadRequest, "InvalidSetting").Within();
        await ProblemAsync(alice, HttpMethod.Post, "/v1/apps", new JsonObject { ["name"] = "web", ["cluster"] = "nowhere", ["compose"] = WebCompose }.ToJsonString(), HttpStatusCode.NotFound, "ClusterNotFound").Within();
        await ProblemAsync(service.Admin, HttpMethod.Post, "/v1/providers", """{"name":"Bad Name","driver":"k3s"}""", HttpStatusCode.BadRequest, "InvalidName").Within();
        await ProblemAsync(service.Admin, HttpMethod.Post, "/v1/providers", """{"name":"p2","driver":"gke"}""", HttpStatusCode.BadRequest, "UnknownDriver").Within();
        await ProblemAsync(service.Admin, HttpMethod.Post, "/v1/users", """{"name":"carol","role":"root"}""", HttpStatusCode.BadRequest, "InvalidRequest").Within();
        await ProblemAsync(service.Admin, HttpMethod.Post, "/v1/clusters", """{"name":"c2","provider":"k3s1","domain":"ops.example.com"}""", HttpStatusCode.BadRequest, "InvalidRequest").Within();
        Assert.Single(await ListAsync(service.Admin, "/v1/providers").Within());
        Assert.Single(await ListAsync(service.Admin, "/v1/clusters").Within());
        Assert.Equal(2, (await ListAsync(service.Admin, "/v1/users").Within()).Count);
        Assert.Empty(await ListAsync(service.Admin, "/v1/apps").Within());

        // Routes that do not exist are problems too.
        await ProblemAsync(alice, HttpMethod.Get, "/v1/nothing", null, HttpStatusCode.NotFound, "InvalidRequest").Within();
    }

    [Fact]
    public async Task A_problem_names_no_path_of_the_service()
    {
        await using var service = await StartAsync().Within();
        await Send(service.Admin, HttpMethod.Post, "/v1/providers", new JsonObject { ["name"] = "k3s1", ["driver"] = "k3s" }, HttpStatusCode.Created).Within();
        await Send(service.Admin, HttpMethod.Post, "/v1/clusters", new JsonObject
        {
            ["name"] = "broken",
            ["provider"] = "k3s1",
            ["domain"] = "ops.example.com",
            ["credential"] = new JsonObject { ["kubeconfig"] = "apiVersion: v1\nkind: Config\nclusters: []\n" },
        }, HttpStatusCode.Created).Within();

        // The engine names the kubeconfig file it read: the service's private copy, which the answer must not show.
        var problem = await ProblemAsync(service.Admin, HttpMethod.Get, "/v1/clusters/broken/ingress", null, HttpStatusCode.BadRequest, "InvalidKubeconfig").Within();
        var text = problem.ToJsonString();
        Assert.DoesNotContain(Path.GetTempPath(), text, StringComparison.Ordinal);
        Assert.DoesNotContain(service.DataPath, text, StringComparison.Ordinal);
        Assert.Contains("broken.kubeconfig", text, StringComparison.Ordinal);
    }
}
