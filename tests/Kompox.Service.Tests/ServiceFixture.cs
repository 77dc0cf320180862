using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Kompox.Service.Store;
using Kompox.Testing.KubeApi;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace Kompox.Service.Tests;

/// <summary>
/// The service in process (WebApplicationFactory over the real Program) on a store in a temporary directory, with the
/// Kubernetes API test server of tests/Kompox.Testing as its cluster: the engine reaches it over HTTPS through the
/// kubeconfig content the service was given, as it would reach k3s.
/// </summary>
public sealed class ServiceFixture : IAsyncDisposable
{
    public const string AdminToken = "kpx_test-administrator-token-000000000000000000";

    public const string WebCompose = """
        services:
          web:
            image: nginx:1.27
            ports: ["8080:80"]
            volumes: ["data:/usr/share/nginx/html"]
        volumes:
          data: {}
        """;

    private readonly Dictionary<string, string?> settings;
    private readonly Action<IServiceCollection>? configure;
    private WebApplicationFactory<Program> factory;

    private ServiceFixture(KubeApiServer kube, string root, Dictionary<string, string?> extra, Action<IServiceCollection>? configure)
    {
        this.configure = configure;
        Kube = kube;
        Root = root;
        DataPath = Path.Combine(root, "data");
        DataRoot = Path.Combine(root, "k3s");
        Directory.CreateDirectory(DataRoot);
        Kubeconfig = File.ReadAllText(kube.WriteKubeconfig(Path.Combine(root, "admin.kubeconfig")));
        settings = new Dictionary<string, string?>
        {
            ["Kompox:DataPath"] = DataPath,
            ["Kompox:AdminToken"] = AdminToken,
            ["Kompox:RateLimit:PermitsPerMinute"] = "100000",
        };
        foreach (var (key, value) in extra)
        {
            settings[key] = value;
        }

        factory = Build();
        Admin = Client(AdminToken);
    }

    public KubeApiServer Kube { get; }

    public string Root { get; }

    public string DataPath { get; }

    /// <summary>The k3s cluster's K3S_DATA_ROOT, where its disks and snapshots are.</summary>
    public string DataRoot { get; }

    public string Kubeconfig { get; }

    /// <summary>The snapshot-policy timer's clock, which tests move.</summary>
    public FakeTimeProvider PolicyClock { get; } = new(new DateTimeOffset(2026, 1, 5, 12, 0, 0, TimeSpan.Zero));

    public HttpClient Admin { get; private set; }

    public IServiceProvider Services => factory.Services;

    /// <param name="settings">Configuration keys of the service, as appsettings.json or the environment give them.</param>
    /// <param name="configure">Services to change, as a host does (a trusted certificate for the Entra ID metadata).</param>
    public static async Task<ServiceFixture> StartAsync(Dictionary<string, string?>? settings = null, Action<IServiceCollection>? configure = null)
    {
        var kube = await KubeApiServer.StartAsync().Within();

        // The engine runs on this machine, where the k3s disks are: the cluster's node is this machine.
        kube.PresentNodeAsThisMachine();
        return new ServiceFixture(kube, Directory.CreateTempSubdirectory("kompox-svc-test-").FullName, settings ?? [], configure);
    }

    private WebApplicationFactory<Program> Build() => new WebApplicationFactory<Program>().WithWebHostBuilder(web =>
    {
        foreach (var (key, value) in settings)
        {
            web.UseSetting(key, value);
        }

        web.ConfigureLogging(logging => logging.ClearProviders());
        web.ConfigureServices(services =>
        {
            services.AddKeyedSingleton<TimeProvider>(Kompox.Service.SnapshotPolicyTimer.ClockKey, PolicyClock);
            configure?.Invoke(services);
        });
    });

    /// <summary>Stops the service and starts it again on the same store, as a restart of the process does.</summary>
    public async Task RestartAsync()
    {
        await factory.DisposeAsync().Within();
        factory = Build();
        Admin = Client(AdminToken);
    }

    /// <summary>A handler that sends to the service in process, for clients that build their own HttpClient (ServiceClient).</summary>
    public HttpMessageHandler Handler() => factory.Server.CreateHandler();

    public HttpClient Client(string? token)
    {
        var client = factory.CreateClient();
        if (token is not null)
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        return client;
    }

    /// <summary>Provider k3s1 and cluster lab (with its ingress installed), as an administrator registers them.</summary>
    public async Task AddClusterAsync(bool initialize = true)
    {
        await Send(Admin, HttpMethod.Post, "/v1/providers", new JsonObject { ["name"] = "k3s1", ["driver"] = "k3s" }, HttpStatusCode.Created).Within();
        await Send(Admin, HttpMethod.Post, "/v1/clusters", new JsonObject
        {
            ["name"] = "lab",
            ["provider"] = "k3s1",
            ["domain"] = "ops.example.com",
            ["settings"] = new JsonObject { ["K3S_DATA_ROOT"] = DataRoot },
            ["credential"] = new JsonObject { ["kubeconfig"] = Kubeconfig },
        }, HttpStatusCode.Created).Within();
        if (initialize)
        {
            var op = await Send(Admin, HttpMethod.Post, "/v1/clusters/lab/initialize", null, HttpStatusCode.Accepted).Within();
            Assert.Equal("succeeded", (await FinishedAsync(Admin, op).Within())["state"]!.GetValue<string>());
        }
    }

    /// <summary>A new user and a client with its token.</summary>
    public async Task<HttpClient> UserAsync(string name, string role = "user")
    {
        var made = await Send(Admin, HttpMethod.Post, "/v1/users", new JsonObject { ["name"] = name, ["role"] = role }, HttpStatusCode.Created).Within();
        return Client(made["token"]!.GetValue<string>());
    }

    public async Task<JsonObject> CreateAppAsync(HttpClient client, string name, string compose = WebCompose) =>
        await Send(client, HttpMethod.Post, "/v1/apps", new JsonObject { ["name"] = name, ["cluster"] = "lab", ["compose"] = compose }, HttpStatusCode.Created).Within();

    /// <summary>Waits for an operation (by the signal of its end, not by polling) and reads it back through the API.</summary>
    public async Task<JsonObject> FinishedAsync(HttpClient client, JsonObject operation)
    {
        var id = operation["id"]!.GetValue<string>();
        var registry = Services.GetRequiredService<OperationRegistry>();
        if (registry.Running(id, "admin", admin: true) is { } running)
        {
            await running.Completion.WaitAsync(TimeSpan.FromMinutes(2));
        }

        return await Send(client, HttpMethod.Get, $"/v1/operations/{id}", null, HttpStatusCode.OK).Within();
    }

    /// <summary>Sends JSON and checks the status; answers the body (null when empty).</summary>
    public static async Task<JsonObject> Send(HttpClient client, HttpMethod method, string path, JsonNode? body, HttpStatusCode expected)
    {
        var (status, text, _) = await RawAsync(client, method, path, body?.ToJsonString(), "application/json").Within();
        Assert.True(status == expected, $"{method} {path}: expected {(int)expected}, got {(int)status}: {text}");
        return text.Length == 0 ? new JsonObject() : JsonNode.Parse(text) is JsonObject o ? o : new JsonObject { ["items"] = JsonNode.Parse(text) };
    }

    public static async Task<JsonArray> ListAsync(HttpClient client, string path) =>
        (JsonArray)(await Send(client, HttpMethod.Get, path, null, HttpStatusCode.OK).Within())["items"]!;

    public static async Task<(HttpStatusCode Status, string Body, string? ContentType)> RawAsync(HttpClient client, HttpMethod method, string path, string? body, string contentType = "application/json")
    {
        using var request = new HttpRequestMessage(method, path);
        if (body is not null)
        {
            request.Content = new StringContent(body, Encoding.UTF8);
            request.Content.Headers.ContentType = new MediaTypeHeaderValue(contentType);
        }

        using var response = await client.SendAsync(request).Within();
        return (response.StatusCode, await response.Content.ReadAsStringAsync().Within(), response.Content.Headers.ContentType?.MediaType);
    }

    /// <summary>A problem document's error id, after checking it is one (RFC 9457, the media type and the status inside).</summary>
    public static async Task<JsonObject> ProblemAsync(HttpClient client, HttpMethod method, string path, string? body, HttpStatusCode expected, string errorId, string contentType = "application/json")
    {
        var (status, text, type) = await RawAsync(client, method, path, body, contentType).Within();
        Assert.True(status == expected, $"{method} {path}: expected {(int)expected}, got {(int)status}: {text}");
        Assert.Equal("application/problem+json", type);
        var problem = (JsonObject)JsonNode.Parse(text)!;
        Assert.Equal(errorId, problem["errorId"]!.GetValue<string>());
        Assert.Equal((int)expected, problem["status"]!.GetValue<int>());
        Assert.Equal($"https://kompox.dev/problems/{errorId}", problem["type"]!.GetValue<string>());
        Assert.DoesNotContain("   at ", text, StringComparison.Ordinal);
        return problem;
    }

    public async ValueTask DisposeAsync()
    {
        await factory.DisposeAsync().Within();
        await Kube.DisposeAsync().Within();
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
