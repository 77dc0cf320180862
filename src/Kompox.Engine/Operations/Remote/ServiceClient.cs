using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Kompox.Operations.Remote;

/// <summary>
/// A connection to a Kompox service (docs/en-US/about_Kompox_Service.md): one HttpClient with the caller's bearer token,
/// the service's problem details turned back into the engine's <see cref="KompoxException"/>s (same id, kind and
/// remedy), and its long operations (202 + <c>/v1/operations/{id}</c>) polled to their end with their progress reported
/// as <see cref="OperationProgress"/>. Client mode implements the engine's operation interfaces over it.
/// </summary>
public sealed partial class ServiceClient : IDisposable
{
    /// <summary>The JSON of the service: camelCase, enums as strings, nulls omitted.</summary>
    internal static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Converters = { new JsonStringEnumConverter() },
    };

    /// <summary>
    /// Request bodies: every field of the service's body written, null ones as null. The service reads each body as one
    /// record whose every field must be there (a missing one is <c>InvalidRequest</c>), and refuses a field it does not
    /// know, so each request sends exactly its body's fields.
    /// </summary>
    internal static readonly JsonSerializerOptions RequestJson = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
        Converters = { new JsonStringEnumConverter() },
    };

    private readonly HttpClient http;
    private readonly RemoteSnapshotOperations snapshots;

    /// <param name="uri">The service's base address, e.g. <c>http://127.0.0.1:5080/</c>.</param>
    /// <param name="token">A bearer token of the service (an administrator's or a user's).</param>
    /// <param name="handler">The HTTP handler; null for the default one.</param>
    public ServiceClient(Uri uri, string token, HttpMessageHandler? handler = null)
    {
        if (!uri.IsAbsoluteUri || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
        {
            throw new KompoxException("InvalidServiceUri", ErrorKind.InvalidArgument, $"{uri} is not an http:// or https:// address of a Kompox service") { Target = uri.ToString(), Remedy = Remedy.ChangeOption("Uri") };
        }

        Uri = uri.AbsoluteUri.EndsWith('/') ? uri : new Uri(uri.AbsoluteUri + "/");
        // Downloads and followed logs last as long as they last: each call is bounded by its cancellation token instead.
        http = new HttpClient(handler ?? new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) }, disposeHandler: true)
        {
            BaseAddress = Uri,
            Timeout = Timeout.InfiniteTimeSpan,
        };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        Apps = new RemoteAppOperations(this);
        Disks = new RemoteDiskOperations(this);
        Snapshots = snapshots = new RemoteSnapshotOperations(this);
    }

    public Uri Uri { get; }

    /// <summary>How often a running operation is asked for its state.</summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromMilliseconds(500);

    /// <summary>The app operations, through the service.</summary>
    public IAppOperations Apps { get; }

    /// <summary>The disk operations, through the service.</summary>
    public IDiskOperations Disks { get; }

    /// <summary>The snapshot operations, through the service.</summary>
    public ISnapshotOperations Snapshots { get; }

    /// <summary>The last run of the app's snapshot policy the service recorded (its timer's or one asked for); null before the first.</summary>
    public Task<SnapshotPolicyRun?> GetLastSnapshotPolicyRunAsync(string appId, CancellationToken cancellationToken) =>
        snapshots.GetLastPolicyRunAsync(appId, cancellationToken);

    public void Dispose() => http.Dispose();

    /// <summary>The app's name in the service: the last part of an app id (<c>{service}/{provider}/{cluster}/{app}</c>), or the name itself.</summary>
    internal static string AppName(string appId) => appId[(appId.LastIndexOf('/') + 1)..];

    /// <summary>A path segment, escaped.</summary>
    internal static string Segment(string value) => Uri.EscapeDataString(value);

    /// <summary>Sends a request and reads its JSON answer; a problem answer is thrown as the engine's error.</summary>
    internal async Task<T> SendAsync<T>(HttpMethod method, string path, object? body, CancellationToken cancellationToken)
    {
        using var response = await SendRawAsync(method, path, body is null ? null : JsonContent(body), HttpCompletionOption.ResponseContentRead, cancellationToken).ConfigureAwait(false);
        return await ReadAsync<T>(response, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Sends a request whose answer has no body the caller needs.</summary>
    internal async Task SendAsync(HttpMethod method, string path, object? body, CancellationToken cancellationToken)
    {
        using var response = await SendRawAsync(method, path, body is null ? null : JsonContent(body), HttpCompletionOption.ResponseContentRead, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Starts a long operation (the service answers 202 with the operation) and polls it to its end, reporting its
    /// progress; its result is read as <typeparamref name="T"/>, its problem thrown. Cancelling asks the service to
    /// cancel the operation (DELETE), which leaves nothing half-made.
    /// </summary>
    internal async Task<T> RunAsync<T>(string activity, HttpMethod method, string path, HttpContent? content, IProgress<OperationProgress>? progress, CancellationToken cancellationToken)
    {
        progress?.Report(new OperationProgress(activity, $"{method} {path}"));
        ServiceOperation operation;
        using (var started = await SendRawAsync(method, path, content, HttpCompletionOption.ResponseContentRead, cancellationToken).ConfigureAwait(false))
        {
            operation = await ReadAsync<ServiceOperation>(started, cancellationToken).ConfigureAwait(false);
        }

        return await FollowAsync<T>(activity, operation, progress, cancellationToken).ConfigureAwait(false);
    }

    internal Task<T> RunAsync<T>(string activity, HttpMethod method, string path, object? body, IProgress<OperationProgress>? progress, CancellationToken cancellationToken) =>
        RunAsync<T>(activity, method, path, body is null ? null : JsonContent(body), progress, cancellationToken);

    private async Task<T> FollowAsync<T>(string activity, ServiceOperation operation, IProgress<OperationProgress>? progress, CancellationToken cancellationToken)
    {
        var location = $"v1/operations/{Segment(operation.Id)}";
        string? lastReported = null;
        try
        {
            while (true)
            {
                if (operation.Progress is { } p)
                {
                    var status = p.Step ?? p.Activity ?? operation.Kind ?? string.Empty;
                    var percent = p.Percent ?? (p.BytesTotal is > 0 && p.BytesDone is { } done ? (int)Math.Clamp(done * 100 / p.BytesTotal.Value, 0, 99) : null);
                    var text = $"{status}|{percent}";
                    if (text != lastReported)
                    {
                        lastReported = text;
                        progress?.Report(new OperationProgress(activity, status, percent));
                    }
                }

                switch (operation.State)
                {
                    case "succeeded":
                        progress?.Report(new OperationProgress(activity, "done", 100));
                        return operation.Result is { } result ? result.Deserialize<T>(Json)! : default!;
                    case "failed":
                        throw operation.Problem is { } problem ? FromProblem(problem, HttpStatusCode.InternalServerError, activity) : Failed("ServiceOperationFailed", ErrorKind.Internal, $"{activity}: operation {operation.Id} failed and the service said no more");
                    case "cancelled":
                        throw new KompoxException("OperationCanceled", ErrorKind.Canceled, $"{activity}: operation {operation.Id} was cancelled on the service");
                }

                await Task.Delay(PollInterval, cancellationToken).ConfigureAwait(false);
                operation = await SendAsync<ServiceOperation>(HttpMethod.Get, location, null, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The caller gave up (Ctrl+C): the operation on the service is cancelled too, not left running unseen.
            using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            try
            {
                using var _ = await http.SendAsync(new HttpRequestMessage(HttpMethod.Delete, location), limit.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is HttpRequestException or OperationCanceledException)
            {
                // Best effort: the service finishes or cancels it by itself.
            }

            throw;
        }
    }

    /// <summary>Sends a request; a problem answer is thrown, a failed connection is <c>ServiceUnreachable</c>.</summary>
    internal async Task<HttpResponseMessage> SendRawAsync(HttpMethod method, string path, HttpContent? content, HttpCompletionOption completion, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(method, path) { Content = content };
        HttpResponseMessage response;
        try
        {
            response = await http.SendAsync(request, completion, cancellationToken).ConfigureAwait(false);
        }
        catch (HttpRequestException e)
        {
            throw new KompoxException("ServiceUnreachable", ErrorKind.Unavailable, $"{method} {new Uri(Uri, path)}: the Kompox service did not answer ({e.Message})", e) { Target = Uri.ToString(), Remedy = Remedy.RunAgain };
        }

        if (response.IsSuccessStatusCode)
        {
            return response;
        }

        using (response)
        {
            throw await ProblemOf(response, $"{method} /{path}", cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Downloads to a file as an export does locally: streamed to a temporary file beside it and renamed into place once
    /// whole, so that a failed or cancelled download leaves no partial file and replaces an existing one only when whole.
    /// </summary>
    internal async Task<FileInfo> DownloadAsync(string activity, string path, ExportOptions options, IProgress<OperationProgress>? progress, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(options.Path))
        {
            throw new KompoxException("FileNotFound", ErrorKind.NotFound, $"{activity}: no file to write to was given") { Remedy = Remedy.ChangeOption("Path") };
        }

        var full = AtomicFile.InExistingDirectory(options.Path);
        if (Directory.Exists(full))
        {
            throw new KompoxException("PathIsDirectory", ErrorKind.InvalidArgument, $"{options.Path} is a directory; name the file to write") { Target = options.Path, Remedy = Remedy.ChangeOption("Path") };
        }

        if (!options.Overwrite && File.Exists(full))
        {
            throw new KompoxException("OutputFileExists", ErrorKind.AlreadyExists, $"{options.Path} exists") { Target = options.Path, Remedy = Remedy.Overwrite };
        }

        progress?.Report(new OperationProgress(activity, $"GET /{path}"));
        using var response = await SendRawAsync(HttpMethod.Get, path, null, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        var temp = System.IO.Path.Combine(System.IO.Path.GetDirectoryName(full)!, $".{System.IO.Path.GetFileName(full)}.{Guid.NewGuid():N}.partial");
        try
        {
            await using (var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16, useAsync: true))
            {
                await using var body = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
                var target = progress is null ? (Stream)file : new ProgressStream(file, response.Content.Headers.ContentLength, activity, "downloading", progress);
                await body.CopyToAsync(target, 1 << 16, cancellationToken).ConfigureAwait(false);
                await file.FlushAsync(cancellationToken).ConfigureAwait(false);
            }

            File.Move(temp, full, options.Overwrite);
        }
        catch (IOException e)
        {
            throw new KompoxException("IOFailed", ErrorKind.Unavailable, $"{activity}: {e.Message}", e) { Target = options.Path };
        }
        finally
        {
            File.Delete(temp);
        }

        return new FileInfo(full);
    }

    internal static HttpContent JsonContent(object body) =>
        new StringContent(JsonSerializer.Serialize(body, body.GetType(), RequestJson), Encoding.UTF8, "application/json");

    internal static async Task<T> ReadAsync<T>(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return JsonSerializer.Deserialize<T>(text, Json) ?? throw new JsonException("the body is null");
        }
        catch (JsonException e)
        {
            throw new KompoxException("ServiceAnswerInvalid", ErrorKind.InvalidData, $"{response.RequestMessage?.Method} {response.RequestMessage?.RequestUri}: the service's answer is not the {typeof(T).Name} expected ({e.Message})", e);
        }
    }

    /// <summary>The engine's error for a problem answer: the service's error id, kind and remedy; the HTTP status where it gave none.</summary>
    private static async Task<KompoxException> ProblemOf(HttpResponseMessage response, string request, CancellationToken cancellationToken)
    {
        ServiceProblem? problem = null;
        try
        {
            var text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
            problem = text.Length == 0 ? null : JsonSerializer.Deserialize<ServiceProblem>(text, Json);
        }
        catch (JsonException)
        {
            // Not a problem document (a proxy's page): the status says what there is to say.
        }

        return FromProblem(problem ?? new ServiceProblem(), response.StatusCode, request);
    }

    internal static KompoxException FromProblem(ServiceProblem problem, HttpStatusCode status, string request)
    {
        var code = problem.Status is > 0 ? (HttpStatusCode)problem.Status.Value : status;
        var id = problem.ErrorId ?? code switch
        {
            // The service's own ids for these, for an answer that is no problem document (a proxy's).
            HttpStatusCode.Unauthorized => "Unauthenticated",
            HttpStatusCode.Forbidden => "Forbidden",
            HttpStatusCode.TooManyRequests => "RateLimited",
            HttpStatusCode.RequestEntityTooLarge => "RequestTooLarge",
            // A proxy in front of the service that could not reach it.
            HttpStatusCode.BadGateway or HttpStatusCode.ServiceUnavailable or HttpStatusCode.GatewayTimeout => "ServiceUnreachable",
            _ => "ServiceRequestFailed",
        };
        var kind = KompoxErrors.All.TryGetValue(id, out var known) ? known : KindOf(code);
        var message = problem.Detail ?? problem.Title ?? $"{request}: the service answered {(int)code} {code}";
        if (problem.ErrorId is null && code == HttpStatusCode.Unauthorized)
        {
            message = $"{request}: the service did not accept the token (401); connect again with a valid one";
        }
        else if (problem.ErrorId is null && code == HttpStatusCode.Forbidden)
        {
            message = $"{request}: the token's user may not do this (403): it is for the service's administrators";
        }

        return Failed(id, kind, message, problem);
    }

    private static KompoxException Failed(string id, ErrorKind kind, string message, ServiceProblem? problem = null) => new(id, kind, message)
    {
        Target = problem?.Target,
        Remedy = problem?.Remedy is { } r && Enum.TryParse<RemedyKind>(r.Kind, ignoreCase: true, out var remedyKind) ? new Remedy(remedyKind, r.Option) : null,
    };

    private static ErrorKind KindOf(HttpStatusCode status) => status switch
    {
        HttpStatusCode.BadRequest or HttpStatusCode.UnprocessableEntity or HttpStatusCode.RequestEntityTooLarge => ErrorKind.InvalidArgument,
        HttpStatusCode.Unauthorized => ErrorKind.Unauthenticated,
        HttpStatusCode.Forbidden => ErrorKind.PermissionDenied,
        HttpStatusCode.NotFound => ErrorKind.NotFound,
        HttpStatusCode.Conflict => ErrorKind.Conflict,
        HttpStatusCode.RequestTimeout or HttpStatusCode.GatewayTimeout => ErrorKind.Timeout,
        HttpStatusCode.TooManyRequests or HttpStatusCode.ServiceUnavailable or HttpStatusCode.BadGateway => ErrorKind.Unavailable,
        _ => ErrorKind.Internal,
    };
}
