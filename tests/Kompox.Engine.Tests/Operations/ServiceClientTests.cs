using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Kompox.Drivers;
using Kompox.Operations;
using Kompox.Operations.Remote;

namespace Kompox.Tests.Operations;

/// <summary>
/// The REST client of client mode against a service that answers as docs/en-US/about_Kompox_Service.md (the contract
/// with src/Kompox.Service) says: RFC 9457 problems with the engine's errorId and remedy, 202 operations polled at
/// /v1/operations/{id}, NDJSON logs, streamed downloads. The end-to-end run against the real service is
/// tests/Pester/Service.Tests.ps1.
/// </summary>
public class ServiceClientTests
{
    private const string AppId = "kompox/sim/lab/web";

    [Fact]
    public async Task A_problem_answer_is_the_engines_error_again_with_its_id_kind_remedy_and_target()
    {
        var service = new FakeService((_, _) => Problem(HttpStatusCode.Conflict, """
            {"type":"https://kompox.dev/problems/AppLocked","title":"Conflict","status":409,"detail":"app web is held by another operation",
             "errorId":"AppLocked","target":"kompox/sim/lab/web","remedy":{"kind":"WaitForApp"},"instance":"/v1/apps/web/status"}
            """));
        using var client = service.Client();

        var error = await Assert.ThrowsAsync<KompoxException>(() => client.Apps.GetStatusAsync(AppId, null, CancellationToken.None).Within());

        Assert.Equal(("AppLocked", ErrorKind.Conflict), (error.ErrorId, error.Kind));
        Assert.Equal("app web is held by another operation", error.Message);
        Assert.Equal(Remedy.WaitForApp, error.Remedy);
        Assert.Equal(AppId, error.Target);
        Assert.Equal("GET /v1/apps/web/status", service.Requests.Single().Line);
    }

    [Fact]
    public async Task An_id_the_engine_does_not_know_takes_its_kind_from_the_status_and_an_answer_without_a_problem_its_id_too()
    {
        var answers = new Queue<HttpResponseMessage>(
        [
            Problem(HttpStatusCode.NotFound, """{"status":404,"detail":"there is no user carol","errorId":"SomeNewServiceError"}"""),
            new HttpResponseMessage(HttpStatusCode.Unauthorized) { Content = new StringContent("<html>proxy</html>") },
            new HttpResponseMessage(HttpStatusCode.BadGateway),
        ]);
        using var client = new FakeService((_, _) => answers.Dequeue()).Client();

        var unknown = await Assert.ThrowsAsync<KompoxException>(() => client.GetUserAsync("carol", CancellationToken.None).Within());
        var proxy = await Assert.ThrowsAsync<KompoxException>(() => client.GetUserAsync("carol", CancellationToken.None).Within());
        var gateway = await Assert.ThrowsAsync<KompoxException>(() => client.GetUserAsync("carol", CancellationToken.None).Within());

        Assert.Equal(("SomeNewServiceError", ErrorKind.NotFound, "there is no user carol"), (unknown.ErrorId, unknown.Kind, unknown.Message));
        Assert.Equal(("Unauthenticated", ErrorKind.Unauthenticated), (proxy.ErrorId, proxy.Kind));
        Assert.Equal(("ServiceUnreachable", ErrorKind.Unavailable), (gateway.ErrorId, gateway.Kind));
    }

    [Fact]
    public async Task A_long_operation_is_polled_to_its_result_with_its_progress_reported()
    {
        var polls = 0;
        var service = new FakeService((request, _) => request.Method == HttpMethod.Post
            ? Operation(HttpStatusCode.Accepted, """{"id":"op1","kind":"disk-create","state":"running","progress":{}}""")
            : ++polls switch
            {
                1 => Operation(HttpStatusCode.OK, """{"id":"op1","state":"running","progress":{"activity":"Creating a disk","step":"making the directory","percent":40}}"""),
                _ => Operation(HttpStatusCode.OK, """
                    {"id":"op1","state":"succeeded","progress":{"step":"made"},
                     "result":{"id":"web-20250811123456-abc123","appId":"kompox/sim/lab/web","createdAt":"2025-08-11T12:34:56Z","sizeBytes":1073741824,"isCurrent":false}}
                    """),
            });
        using var client = service.Client();
        var progress = new RecordedProgress();

        var disk = await client.Disks.CreateAsync(AppId, null, progress, CancellationToken.None).Within();

        Assert.Equal(new DiskInfo("web-20250811123456-abc123", AppId, DateTimeOffset.Parse("2025-08-11T12:34:56Z"), 1L << 30), disk);
        Assert.Equal(["POST /v1/apps/web/disks", "GET /v1/operations/op1", "GET /v1/operations/op1"], service.Requests.Select(r => r.Line));
        Assert.Contains(progress.Reports, p => p is { Status: "making the directory", Percent: 40, Activity: "Creating a disk of app web" });
        Assert.Equal(100, progress.Reports.Last().Percent);
    }

    [Fact]
    public async Task A_failed_operation_is_its_problem_as_the_engines_error()
    {
        var service = new FakeService((_, _) => Operation(HttpStatusCode.Accepted, """
            {"id":"op2","state":"failed","problem":{"status":409,"detail":"disk web-1 is the app's current disk","errorId":"DiskIsCurrent","target":"web-1"}}
            """));
        using var client = service.Client();

        var error = await Assert.ThrowsAsync<KompoxException>(() => client.Disks.DeleteAsync(AppId, "web-1", null, null, CancellationToken.None).Within());

        Assert.Equal(("DiskIsCurrent", ErrorKind.Conflict, "web-1"), (error.ErrorId, error.Kind, error.Target));
        Assert.Equal("DELETE /v1/apps/web/disks/web-1", service.Requests.Single().Line);
    }

    [Fact]
    public async Task Giving_up_on_an_operation_cancels_it_on_the_service()
    {
        using var stop = new CancellationTokenSource();
        var service = new FakeService((request, _) =>
        {
            if (request.Method == HttpMethod.Get)
            {
                // The caller gives up (Ctrl+C) while the operation still runs.
                stop.Cancel();
            }

            return Operation(request.Method == HttpMethod.Delete ? HttpStatusCode.Accepted : HttpStatusCode.OK, """{"id":"op3","state":"running"}""");
        });
        using var client = service.Client();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => client.Apps.DestroyAsync(AppId, new DestroyOptions(), null, stop.Token).Within());

        Assert.Equal("DELETE /v1/operations/op3", service.Requests[^1].Line);
    }

    [Fact]
    public async Task A_download_appears_only_whole_and_a_broken_one_leaves_nothing()
    {
        var directory = Directory.CreateTempSubdirectory("kompox-download-").FullName;
        try
        {
            var bytes = Enumerable.Range(0, 300_000).Select(i => (byte)i).ToArray();
            var broken = false;
            var service = new FakeService((_, _) => new HttpResponseMessage(HttpStatusCode.OK)
            {
                Content = new StreamContent(broken ? new FailingStream(bytes[..1000]) : new MemoryStream(bytes)),
            });
            using var client = service.Client();
            var path = Path.Combine(directory, "web.tar.gz");

            var file = await client.Disks.ExportAsync(AppId, null, new ExportOptions { Path = path }, new RecordedProgress(), CancellationToken.None).Within();
            Assert.Equal(bytes, File.ReadAllBytes(file.FullName));
            Assert.Equal("GET /v1/apps/web/disks/current/export", service.Requests.Single().Line);

            var exists = await Assert.ThrowsAsync<KompoxException>(() => client.Snapshots.ExportAsync(AppId, "snap-1", new ExportOptions { Path = path }, null, CancellationToken.None).Within());
            Assert.Equal("OutputFileExists", exists.ErrorId);
            Assert.Single(service.Requests);

            broken = true;
            var failed = await Assert.ThrowsAsync<KompoxException>(() => client.Snapshots.ExportAsync(AppId, "snap-1", new ExportOptions { Path = path, Overwrite = true }, null, CancellationToken.None).Within());
            Assert.Equal("IOFailed", failed.ErrorId);
            Assert.Equal(bytes, File.ReadAllBytes(path));
            Assert.Equal(["web.tar.gz"], Directory.GetFiles(directory).Select(Path.GetFileName));
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public async Task A_request_body_carries_every_field_of_the_services_record_and_no_other()
    {
        // The service reads each body as one record whose fields must all be there and refuses one it does not know.
        var service = new FakeService((_, _) => Json(HttpStatusCode.Created, """{"name":"lab","provider":"sim","domain":"example.org","ingress":{"controller":"traefik","namespace":"traefik"},"credential":{"type":"kubeconfig","context":"x"}}"""));
        using var client = service.Client();
        var cluster = new ServiceCluster { Name = "lab", Provider = "sim", Domain = "example.org", Credential = new ServiceClusterCredential { Type = "kubeconfig", Kubeconfig = "apiVersion: v1", Context = "x" } };

        var made = await client.CreateClusterAsync(cluster, CancellationToken.None).Within();

        var body = JsonNode.Parse(service.Requests.Single().Body!)!.AsObject();
        Assert.Equal(["name", "provider", "domain", "settings", "ingress", "credential"], body.Select(p => p.Key));
        Assert.Equal(["kubeconfig", "context", "inCluster"], body["credential"]!.AsObject().Select(p => p.Key));
        Assert.Null(body["settings"]);
        Assert.Equal("kubeconfig", made.Credential!.Type);
    }

    [Fact]
    public async Task Logs_are_read_line_by_line_from_NDJSON_with_the_options_as_the_service_takes_them()
    {
        var service = new FakeService((_, _) => new HttpResponseMessage(HttpStatusCode.OK)
        {
            Content = new StringContent(
                """
                {"time":"2025-08-11T12:00:00Z","service":"web","container":"web","line":"listening"}

                {"time":"2025-08-11T12:00:01Z","service":"db","container":"db","line":"ready"}
                """,
                Encoding.UTF8,
                "application/x-ndjson"),
        });
        using var client = service.Client();
        var options = new AppLogOptions { Services = ["web", "db"], Tail = 5, Since = TimeSpan.FromSeconds(90.5), Follow = true };

        var lines = new List<AppLogLine>();
        await foreach (var line in client.Apps.ReadLogsAsync(AppId, options, null, CancellationToken.None))
        {
            lines.Add(line);
        }

        Assert.Equal([new AppLogLine("web", DateTimeOffset.Parse("2025-08-11T12:00:00Z"), "listening"), new AppLogLine("db", DateTimeOffset.Parse("2025-08-11T12:00:01Z"), "ready")], lines);
        // since as the snapshot settings write a duration, whole seconds rounded up as the engine sends them.
        Assert.Equal("GET /v1/apps/web/logs?service=web&service=db&tail=5&since=91s&follow=true", service.Requests.Single().Line);
    }

    [Fact]
    public async Task What_the_REST_API_does_not_offer_is_refused_before_anything_is_sent()
    {
        var service = new FakeService((_, _) => throw new InvalidOperationException("nothing may be sent"));
        using var client = service.Client();

        var exec = await Assert.ThrowsAsync<KompoxException>(() => client.Apps.ExecAsync(AppId, new AppExecOptions { Service = "web", Command = ["ls"] }, null, CancellationToken.None)).Within();
        var kubelogin = await Assert.ThrowsAsync<KompoxException>(() => client.Apps.GetCredentialAsync(AppId, new AppCredentialOptions { Kubelogin = true }, null, CancellationToken.None)).Within();

        Assert.Equal(("NotInClientMode", ErrorKind.InvalidArgument), (exec.ErrorId, exec.Kind));
        Assert.Equal(Remedy.OmitOption("Kubelogin"), kubelogin.Remedy);
        Assert.Empty(service.Requests);
    }

    [Theory]
    [InlineData("Microsoft.AspNetCore.App 10.0.12 [/usr/share/dotnet/shared/Microsoft.AspNetCore.App]\nMicrosoft.NETCore.App 10.0.12 [/usr/share/dotnet/shared/Microsoft.NETCore.App]", null)]
    [InlineData("Microsoft.AspNetCore.App 8.0.20 [/usr/share/dotnet/shared/Microsoft.AspNetCore.App]\nMicrosoft.NETCore.App 10.0.12 [/usr/share/dotnet/shared/Microsoft.NETCore.App]", "ASP.NET Core 8.0.20 only")]
    [InlineData("Microsoft.NETCore.App 10.0.12 [/usr/share/dotnet/shared/Microsoft.NETCore.App]", "no ASP.NET Core runtime")]
    [InlineData("Microsoft.AspNetCore.App 100.0.1 [/x]", "ASP.NET Core 100.0.1 only")]
    public void The_service_needs_the_ASP_NET_Core_10_runtime_and_the_error_says_what_to_install(string listRuntimes, string? found)
    {
        var missing = ServiceProcess.MissingRuntime(listRuntimes);

        if (found is null)
        {
            Assert.Null(missing);
            return;
        }

        Assert.NotNull(missing);
        Assert.Contains(found, missing, StringComparison.Ordinal);
        Assert.Contains("aspnetcore-runtime-10.0", missing, StringComparison.Ordinal);
        Assert.Contains("https://dotnet.microsoft.com/download/dotnet/10.0", missing, StringComparison.Ordinal);
    }

    [Fact]
    public void A_token_is_kpx_and_32_random_bytes_in_base64url()
    {
        var token = ServiceProcess.NewToken();

        Assert.Matches("^kpx_[A-Za-z0-9_-]{43}$", token);
        Assert.NotEqual(token, ServiceProcess.NewToken());
    }

    private static HttpResponseMessage Problem(HttpStatusCode status, string json) =>
        new(status) { Content = new StringContent(json, Encoding.UTF8, "application/problem+json") };

    private static HttpResponseMessage Json(HttpStatusCode status, string json) =>
        new(status) { Content = new StringContent(json, Encoding.UTF8, "application/json") };

    private static HttpResponseMessage Operation(HttpStatusCode status, string json)
    {
        var response = Json(status, json);
        response.Headers.Location = new Uri($"/v1/operations/{JsonNode.Parse(json)!["id"]}", UriKind.Relative);
        return response;
    }

    /// <summary>A service that answers each request as the test says, keeping what was asked.</summary>
    private sealed class FakeService(Func<HttpRequestMessage, string?, HttpResponseMessage> answer) : HttpMessageHandler
    {
        public List<(string Line, string? Body)> Requests { get; } = [];

        public ServiceClient Client() => new(new Uri("http://127.0.0.1:5080"), "kpx_test", this) { PollInterval = TimeSpan.Zero };

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Assert.Equal("Bearer kpx_test", request.Headers.Authorization?.ToString());
            var body = request.Content is null ? null : await request.Content.ReadAsStringAsync(cancellationToken).Within();
            Requests.Add(($"{request.Method} {request.RequestUri!.PathAndQuery}", body));
            var response = answer(request, body);
            response.RequestMessage = request;
            return response;
        }
    }

    /// <summary>A body that breaks off after its first bytes, as a connection that drops does.</summary>
    private sealed class FailingStream(byte[] first) : MemoryStream(first)
    {
        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            await base.ReadAsync(buffer, cancellationToken).Within() is var read and > 0 ? read : throw new IOException("the connection was reset");

        public override int Read(byte[] buffer, int offset, int count) =>
            base.Read(buffer, offset, count) is var read and > 0 ? read : throw new IOException("the connection was reset");
    }
}
