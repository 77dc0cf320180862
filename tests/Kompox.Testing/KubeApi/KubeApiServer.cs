using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;
using k8s;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Logging;

namespace Kompox.Testing.KubeApi;

/// <summary>One request as the server saw it; <see cref="Changed"/> tells whether it changed a stored object.</summary>
/// <param name="Connection">The TCP connection it came on (Kestrel's id), to count the connections a client opens.</param>
public sealed record RecordedRequest(
    string Verb,
    string Method,
    string Path,
    string Query,
    string? ContentType,
    string? FieldManager,
    int StatusCode,
    bool Changed,
    string? Connection = null)
{
    public bool IsApply => ContentType?.StartsWith("application/apply-patch", StringComparison.Ordinal) == true;
}

/// <summary>
/// A Kubernetes API server for tests, on 127.0.0.1 with a random port, plain HTTP and bearer tokens. It keeps the
/// objects of the kinds Kompox touches in memory and answers as kube-apiserver 1.32 does: discovery, CRUD with
/// resourceVersion, merge and strategic-merge patches, server-side apply with managed fields and conflicts,
/// validation through <see cref="ManifestValidator"/>, immutable fields, RBAC for ServiceAccount tokens, and a
/// simulated rollout (ReplicaSet, Pod, status, events, logs) after each Deployment write.
/// </summary>
public sealed partial class KubeApiServer : IAsyncDisposable
{
    private readonly object gate = new();
    private readonly Dictionary<string, StoredObject> objects = new(StringComparer.Ordinal);
    private readonly List<RecordedRequest> requests = [];
    private readonly List<(Func<RecordedRequest, bool> Match, TaskCompletionSource Seen)> awaitedRequests = [];
    private readonly Dictionary<string, Identity> tokens = new(StringComparer.Ordinal);
    private readonly TimeProvider time;
    private WebApplication? app;
    private long resourceVersion;
    private int nextClusterIp = 10;

    private KubeApiServer(TimeProvider time)
    {
        this.time = time;
        AdminToken = NewToken();
        tokens[AdminToken] = new Identity("kubernetes-admin", true, null, null, null);
    }

    /// <summary>
    /// kubectl sends credentials only over TLS (client-go drops the user's auth for an http:// server), so the server
    /// speaks HTTPS with a self-signed certificate for 127.0.0.1; kubeconfigs carry it as the cluster's CA.
    /// </summary>
    private static readonly Lazy<X509Certificate2> Certificate = new(CreateCertificate);

    /// <summary>The server's certificate, which is its own CA, in PEM.</summary>
    public static string CertificatePem => Certificate.Value.ExportCertificatePem();

    /// <summary>The server's address, e.g. https://127.0.0.1:41234.</summary>
    public Uri BaseUri { get; private set; } = new("http://127.0.0.1/");

    /// <summary>The bearer token allowed everything (the kubeconfig <see cref="WriteKubeconfig(string)"/> writes).</summary>
    public string AdminToken { get; }

    /// <summary>
    /// The server's minor version (1.<c>MinorVersion</c>), as /version answers it; Pod Security admission enforces that
    /// version's policy. Set before the server is used to model an older cluster.
    /// </summary>
    public int MinorVersion { get; set; } = 32;

    private string GitVersion => $"v1.{MinorVersion}.0";

    /// <summary>The node the cluster has from the start (pods are scheduled on it).</summary>
    public string NodeName => "kompox-node-1";

    /// <summary>Starts a server on 127.0.0.1 with a free port, with namespaces default, kube-system, kube-public, kube-node-lease and one Ready node.</summary>
    public static async Task<KubeApiServer> StartAsync(TimeProvider? time = null, CancellationToken cancellationToken = default)
    {
        var server = new KubeApiServer(time ?? TimeProvider.System);
        server.Seed();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(options => options.Listen(IPAddress.Loopback, 0, listen =>
        {
            listen.Protocols = HttpProtocols.Http1AndHttp2;
            listen.UseHttps(Certificate.Value);
        }));
        var app = builder.Build();

        // exec and port-forward come as WebSocket upgrades (KEP-4006); Kestrel keeps the Connection: Upgrade semantics.
        app.UseWebSockets();
        app.Run(server.HandleAsync);
        await app.StartAsync(cancellationToken);
        server.app = app;
        server.BaseUri = new Uri(app.Urls.Single());
        return server;
    }

    public async ValueTask DisposeAsync()
    {
        await stopping.CancelAsync();
        if (app is not null)
        {
            await app.StopAsync();
            await app.DisposeAsync();
        }
        stopping.Dispose();
    }

    /// <summary>Every request so far, in order.</summary>
    public IReadOnlyList<RecordedRequest> Requests
    {
        get
        {
            lock (gate)
            {
                return requests.ToList();
            }
        }
    }

    /// <summary>Writes (POST, PUT, PATCH, DELETE) that changed a stored object; a no-op apply is not one.</summary>
    public int CountChangingWrites()
    {
        lock (gate)
        {
            return requests.Count(r => r.Changed);
        }
    }

    /// <summary>
    /// Completes once a request with this Kubernetes verb (get, list, watch, patch…) and a path matching the regular
    /// expression is recorded, at once if one already is: a test awaits what the server has seen instead of polling or
    /// sleeping. A watch or a log follow is recorded as its stream starts. Callers bound the wait with their token.
    /// </summary>
    public Task WhenRequestedAsync(string verb, string pathPattern, CancellationToken cancellationToken)
    {
        var path = new System.Text.RegularExpressions.Regex(pathPattern, System.Text.RegularExpressions.RegexOptions.CultureInvariant);
        return WhenRequestedAsync(r => r.Verb == verb && path.IsMatch(r.Path), cancellationToken);
    }

    /// <summary>As <see cref="WhenRequestedAsync(string, string, CancellationToken)"/>, for a request <paramref name="match"/> picks (e.g. by its query).</summary>
    public Task WhenRequestedAsync(Func<RecordedRequest, bool> match, CancellationToken cancellationToken)
    {
        lock (gate)
        {
            if (requests.Any(match))
            {
                return Task.CompletedTask;
            }

            var seen = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            awaitedRequests.Add((match, seen));
            return seen.Task.WaitAsync(cancellationToken);
        }
    }

    public void ClearRequests()
    {
        lock (gate)
        {
            requests.Clear();
        }
    }

    /// <summary>Writes a kubeconfig for the admin token (context "kompox-test") and returns its path.</summary>
    public string WriteKubeconfig(string path) => WriteKubeconfig(path, AdminToken, null);

    /// <summary>Writes a kubeconfig that authenticates with <paramref name="token"/>, its context defaulting to <paramref name="ns"/>.</summary>
    public string WriteKubeconfig(string path, string token, string? ns)
    {
        var server = BaseUri.GetLeftPart(UriPartial.Authority);
        var ca = Convert.ToBase64String(Encoding.UTF8.GetBytes(CertificatePem));
        var context = ns is null ? "{cluster: kompox-test, user: kompox-test}" : $"{{cluster: kompox-test, user: kompox-test, namespace: {ns}}}";
        var text = $"""
            apiVersion: v1
            kind: Config
            clusters:
            - name: kompox-test
              cluster:
                server: {server}
                certificate-authority-data: {ca}
            users:
            - name: kompox-test
              user:
                token: {token}
            contexts:
            - name: kompox-test
              context: {context}
            current-context: kompox-test

            """;
        File.WriteAllText(path, text);
        return path;
    }

    /// <summary>A stored object as the API returns it (null when absent), for assertions.</summary>
    public JsonObject? Peek(string plural, string? ns, string name)
    {
        lock (gate)
        {
            SyncVolumes();
            var resource = ResourceCatalog.All.First(r => r.Plural == plural);
            return objects.TryGetValue(Key(resource, ns, name), out var stored) ? Render(stored) : null;
        }
    }

    /// <summary>The stored objects of a resource (in one namespace, or all when <paramref name="ns"/> is null), sorted by name.</summary>
    public IReadOnlyList<JsonObject> PeekAll(string plural, string? ns = null)
    {
        lock (gate)
        {
            SyncVolumes();
            var resource = ResourceCatalog.All.First(r => r.Plural == plural);
            return Stored(resource, ns).Select(Render).ToList();
        }
    }

    private void Seed()
    {
        foreach (var ns in new[] { "default", "kube-system", "kube-public", "kube-node-lease" })
        {
            Insert(Resource("namespaces"), new JsonObject
            {
                ["apiVersion"] = "v1",
                ["kind"] = "Namespace",
                ["metadata"] = new JsonObject { ["name"] = ns, ["labels"] = new JsonObject { ["kubernetes.io/metadata.name"] = ns } },
                ["spec"] = new JsonObject { ["finalizers"] = new JsonArray("kubernetes") },
                ["status"] = new JsonObject { ["phase"] = "Active" },
            });
            FillNamespace(ns);
        }
        // A node of another machine until a fixture presents it as this one (PresentNodeAs).
        Insert(Resource("nodes"), Node(NodeName, NodeName, NewMachineId(), true));
    }

    private async Task HandleAsync(HttpContext context)
    {
        var request = context.Request;
        using var buffer = new MemoryStream();
        await request.Body.CopyToAsync(buffer, context.RequestAborted);
        var call = new Call(request.Method, request.Path.Value ?? "/", request.Query.ToDictionary(q => q.Key, q => q.Value.ToString(), StringComparer.Ordinal), request.ContentType, buffer.ToArray())
        {
            Accept = request.Headers.Accept.ToString(),
            UserAgent = request.Headers.UserAgent.ToString(),
        };
        int code;
        string contentType;
        string text;
        try
        {
            var identity = Authenticate(request.Headers.Authorization.ToString());
            if (call.Method == "GET" && call.Query.GetValueOrDefault("watch") is "true" or "1")
            {
                await WatchAsync(context, call, identity, () => Record(call, request, 200));
                return;
            }
            if (IsStreaming(call))
            {
                await StreamAsync(context, call, identity, status => Record(call, request, status));
                return;
            }
            if (IsLogFollow(call))
            {
                await FollowLogAsync(context, call, identity, () => Record(call, request, 200));
                return;
            }
            if (TakeRace(call) is { } winner)
            {
                await winner(context.RequestAborted);
            }
            (code, contentType, text) = Dispatch(call, identity);
        }
        catch (ApiError error)
        {
            code = error.Code;
            contentType = "application/json";
            text = error.ToStatus().ToJsonString();
        }
        catch (Exception exception) when (exception is InvalidOperationException or FormatException or System.Text.Json.JsonException or YamlDotNet.Core.YamlException or KeyNotFoundException or ArgumentException or NullReferenceException or InvalidCastException)
        {
            // A request the server cannot make sense of (a body of the wrong shape, say) is answered like apiserver's panics: 500 with the cause.
            var error = new ApiError(500, "InternalError", $"an error on the server ({exception.GetType().Name}: {exception.Message}) has prevented the request from succeeding; content type {call.ContentType}");
            code = error.Code;
            contentType = "application/json";
            text = error.ToStatus().ToJsonString();
        }
        Record(call, request, code);
        context.Response.StatusCode = code;
        context.Response.ContentType = contentType;
        await context.Response.WriteAsync(text, context.RequestAborted);
    }

    private void Record(Call call, HttpRequest request, int code)
    {
        lock (gate)
        {
            var recorded = new RecordedRequest(call.Verb, call.Method, call.Path, request.QueryString.Value ?? "", call.ContentType, call.Query.GetValueOrDefault("fieldManager"), code, call.Changed, request.HttpContext.Connection.Id);
            requests.Add(recorded);
            foreach (var awaited in awaitedRequests.Where(a => a.Match(recorded)).ToList())
            {
                awaited.Seen.TrySetResult();
                awaitedRequests.Remove(awaited);
            }
        }
    }

    private Identity Authenticate(string header)
    {
        const string prefix = "Bearer ";
        if (header.StartsWith(prefix, StringComparison.Ordinal))
        {
            lock (gate)
            {
                // A ServiceAccount token is bound to the account: it stops working when the account is deleted (or recreated).
                if (tokens.TryGetValue(header[prefix.Length..].Trim(), out var identity) && (identity.Expires is null || identity.Expires > time.GetUtcNow())
                    && (identity.ServiceAccountUid is null
                        || Find(Resource("serviceaccounts"), identity.ServiceAccountNamespace, identity.ServiceAccountName!)?.Body["metadata"]?["uid"]?.ToString() == identity.ServiceAccountUid))
                {
                    return identity;
                }
            }
        }
        throw new ApiError(401, "Unauthorized", "Unauthorized");
    }

    private (int Code, string ContentType, string Text) Dispatch(Call call, Identity identity)
    {
        var segments = call.Path.Trim('/').Split('/', StringSplitOptions.RemoveEmptyEntries);
        if (call.Method == "GET" && Discovery(segments) is { } discovery)
        {
            call.Verb = "get";
            return (200, "application/json", discovery.ToJsonString());
        }
        if (call.Method == "POST" && call.Path.TrimEnd('/') == "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews")
        {
            call.Verb = "create";
            return (201, "application/json", SelfSubjectAccessReview(identity, call.JsonBody("SelfSubjectAccessReview")).ToJsonString());
        }
        var target = ParseTarget(segments) ?? throw new ApiError(404, "NotFound", "the server could not find the requested resource");
        if (call.ContentType?.StartsWith(Protobuf.ContentType, StringComparison.Ordinal) == true && target.Subresource != "token")
        {
            throw new ApiError(415, "UnsupportedMediaType", $"the body of the request was in an unknown format - accepted media types include: application/json, application/yaml");
        }
        call.Verb = VerbOf(call, target);
        Authorize(identity, call.Verb, target);
        lock (gate)
        {
            SyncVolumes();
            if (target.Subresource == "log")
            {
                return (200, "text/plain", PodLog(target, call.Query));
            }
            var result = target.Subresource switch
            {
                "token" when call.Method == "POST" => (201, CreateToken(target, call.JsonBody("TokenRequest"))),
                null or "status" => Serve(call, target),
                _ => throw new ApiError(404, "NotFound", "the server could not find the requested resource"),
            };
            SyncVolumes();
            if (call.Method == "GET" && call.Accept.Contains("as=Table", StringComparison.Ordinal))
            {
                return (result.Item1, "application/json;as=Table;v=v1;g=meta.k8s.io", Table(target.Resource, result.Item2).ToJsonString());
            }
            return (result.Item1, "application/json", result.Item2.ToJsonString());
        }
    }

    private (int, JsonObject) Serve(Call call, Target target)
    {
        var resource = target.Resource;
        switch (call.Method, target.Name)
        {
            case ("GET", null):
                return (200, List(resource, target.Namespace, call.Query));
            case ("GET", { } name):
                return (200, Render(Get(resource, target.Namespace, name)));
            case ("POST", null):
                return (201, Create(call, target));
            case ("PUT", { } name):
                return (200, Update(call, target, name));
            case ("PATCH", { } name):
                return Patch(call, target, name);
            case ("DELETE", { } name):
                return (200, Delete(call, target, name));
            case ("DELETE", null):
                return (200, DeleteCollection(call, target));
            default:
                throw new ApiError(405, "MethodNotAllowed", $"the server does not allow this method on the requested resource");
        }
    }

    private JsonNode? Discovery(string[] segments) => segments switch
    {
        ["version"] => new JsonObject
        {
            ["major"] = "1",
            ["minor"] = MinorVersion.ToString(CultureInfo.InvariantCulture),
            ["gitVersion"] = GitVersion,
            ["gitCommit"] = "kompox-test",
            ["gitTreeState"] = "clean",
            ["buildDate"] = "2024-12-11T00:00:00Z",
            ["goVersion"] = "go1.23.3",
            ["compiler"] = "gc",
            ["platform"] = "linux/amd64",
        },
        ["api"] => ResourceCatalog.ApiVersions("127.0.0.1"),
        ["api", "v1"] => ResourceCatalog.ResourceList("", "v1"),
        ["apis"] => ResourceCatalog.GroupList(),
        ["apis", var group] => ResourceCatalog.Group(group),
        ["apis", var group, var version] => ResourceCatalog.ResourceList(group, version),
        ["openapi", "v3"] => ResourceCatalog.OpenApiRoot(),
        ["openapi", "v3", "api", "v1"] => ResourceCatalog.OpenApi("", "v1"),
        ["openapi", "v3", "apis", var group, var version] => ResourceCatalog.OpenApi(group, version),
        _ => null,
    };

    private sealed record Target(ResourceType Resource, string? Namespace, string? Name, string? Subresource);

    private Target? ParseTarget(string[] segments)
    {
        string group;
        string version;
        string[] rest;
        if (segments is ["api", "v1", .. var coreRest])
        {
            (group, version, rest) = ("", "v1", coreRest);
        }
        else if (segments is ["apis", var g, var v, .. var groupRest])
        {
            (group, version, rest) = (g, v, groupRest);
        }
        else
        {
            return null;
        }
        string? ns = null;
        if (rest is ["namespaces", var nsName, var plural, ..] && Served(group, version, plural) is { Namespaced: true })
        {
            ns = nsName;
            rest = rest[2..];
        }
        if (rest.Length is 0 or > 3 || Served(group, version, rest[0]) is not { } resource)
        {
            return null;
        }
        if (resource.Namespaced && ns is null && rest.Length > 1)
        {
            return null;
        }
        return new Target(resource, ns, rest.Length > 1 ? rest[1] : null, rest.Length > 2 ? rest[2] : null);
    }

    private static string VerbOf(Call call, Target target) => (call.Method, target.Name) switch
    {
        ("GET", null) => call.Query.GetValueOrDefault("watch") is "true" or "1" ? "watch" : "list",
        ("GET", _) => "get",
        ("POST", _) => "create",
        ("PUT", _) => "update",
        ("PATCH", _) => "patch",
        ("DELETE", null) => "deletecollection",
        ("DELETE", _) => "delete",
        _ => call.Method.ToLowerInvariant(),
    };

    /// <summary>The state of one request while it is served.</summary>
    private sealed class Call
    {
        public Call(string method, string path, Dictionary<string, string> query, string? contentType, byte[] rawBody)
        {
            Method = method;
            Path = path;
            Query = query;
            ContentType = contentType;
            RawBody = rawBody;
            Body = Encoding.UTF8.GetString(rawBody);
        }

        public byte[] RawBody { get; }

        public string Accept { get; init; } = "";

        public string UserAgent { get; init; } = "";

        /// <summary>The body as JSON text; a protobuf body (kubectl's typed clients) is read for the kinds <see cref="Protobuf"/> knows.</summary>
        public string JsonBody(string kind)
        {
            if (ContentType?.StartsWith(Protobuf.ContentType, StringComparison.Ordinal) == true)
            {
                return Protobuf.Decode(RawBody, kind).ToJsonString();
            }
            return Body;
        }

        public string Method { get; }

        public string Path { get; }

        public Dictionary<string, string> Query { get; }

        public string? ContentType { get; }

        public string Body { get; }

        public string Verb { get; set; } = "";

        public bool Changed { get; set; }

        public bool DryRun => Query.GetValueOrDefault("dryRun") == "All";
    }

    private static X509Certificate2 CreateCertificate()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=kompox-kubeapi", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyCertSign, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        names.AddDnsName("localhost");
        request.CertificateExtensions.Add(names.Build());
        using var created = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
        // Kestrel wants a certificate whose key it can use for TLS; a PKCS#12 round trip gives it one on every platform.
        return X509CertificateLoader.LoadPkcs12(created.Export(X509ContentType.Pfx), null);
    }

    private static string NewToken()
    {
        Span<byte> bytes = stackalloc byte[24];
        RandomNumberGenerator.Fill(bytes);
        return Convert.ToBase64String(bytes).Replace('+', 'A').Replace('/', 'B').TrimEnd('=');
    }

    private string Now() => time.GetUtcNow().UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    private static ResourceType Resource(string plural) => ResourceCatalog.All.First(r => r.Plural == plural);
}
