using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Kompox.Testing.FakeArm;

/// <summary>
/// A Resource Manager throttle: one token bucket per kind of request (reads, writes, deletes) of the subscription, each
/// holding at most <paramref name="BucketSize"/> tokens and refilled at <paramref name="RefillPerSecond"/>, as ARM has
/// throttled since 2024 ("Understand how Azure Resource Manager throttles requests",
/// learn.microsoft.com/azure/azure-resource-manager/management/request-limits-and-throttling: "Subscription | writes |
/// 200 | 10" and so on). A request finding its bucket empty is answered 429 with Retry-After.
/// </summary>
/// <summary>An ARM error: its code and message, as in <c>{"error": {"code": ..., "message": ...}}</c>.</summary>
public sealed record ArmError(string Code, string Message);

public sealed record ArmThrottle(int BucketSize, double RefillPerSecond)
{
    /// <summary>The kinds of request throttled: reads (GET), writes (PUT, PATCH, POST) and deletes (DELETE); all by default.</summary>
    public IReadOnlySet<string> Kinds { get; init; } = new HashSet<string>(StringComparer.Ordinal) { "reads", "writes", "deletes" };
}

/// <summary>
/// Long-running operations and throttling, as Resource Manager answers them.
/// <para>"Track asynchronous Azure operations" (learn.microsoft.com/azure/azure-resource-manager/management/async-operations):
/// an asynchronous operation answers 201 or 202 with <c>Azure-AsyncOperation</c> (the status to poll), <c>Location</c>
/// (where the result is once the operation ends) and <c>Retry-After</c> (seconds to wait before polling); the status
/// resource answers <c>{"status": "InProgress"}</c> until it is Succeeded, Failed (with an <c>error</c> of code and message)
/// or Canceled; the Location URL answers 202 until then and 200 (with the result) or 204 after. Microsoft.Compute's
/// status resources live at <c>/subscriptions/{id}/providers/Microsoft.Compute/locations/{region}/DiskOperations/{id}</c>.</para>
/// <para>Which operations are long-running, and with what answers, is the Compute REST API's DiskRP 2023-04-02
/// specification (azure-rest-api-specs specification/compute/resource-manager/Microsoft.Compute/DiskRP/stable/2023-04-02/
/// disk.json and snapshot.json): Disks/Snapshots - Create Or Update and Update answer 200 or 202 with the resource, Delete
/// 200, 202 or 204, Grant Access 200 or 202 with the AccessUri at the end of the operation
/// (<c>final-state-via: location</c>), Revoke Access 200 or 202.</para>
/// </summary>
public sealed partial class FakeArm
{
    private readonly Dictionary<string, PendingOperation> operations = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<string, (double Tokens, DateTimeOffset At)> buckets = new(StringComparer.Ordinal);

    /// <summary>
    /// How many polls of an operation's status answer InProgress before the final status. 0 (the default) ends it at the
    /// first poll: the SDK waits at least a second between two polls whatever Retry-After says (Azure.Core
    /// OperationPoller with FixedDelayWithNoJitterStrategy: the larger of the hint and 1 s), so each InProgress costs a test
    /// a real second. The 202, the status resource and the final GET are the same either way.
    /// </summary>
    public int OperationPolls { get; set; }

    /// <summary>
    /// The Retry-After, in seconds, of the 202 answers and of a status still InProgress. Azure gives a value of its own per
    /// operation; 0 here keeps a test from waiting (the SDK waits what the server says: Azure.Core OperationPoller).
    /// </summary>
    public int OperationRetryAfterSeconds { get; set; }

    /// <summary>Makes an accepted operation fail: asked when an operation is accepted; an error returned is the operation's
    /// final status (Failed, with that error), and the request then changes nothing.</summary>
    public Func<FakeRequest, ArmError?>? FailOperation { get; set; }

    /// <summary>
    /// Fails the <paramref name="nth"/> (from 1) operation of <paramref name="method"/> accepted from now on: for a caller
    /// that cannot give <see cref="FailOperation"/> a delegate that runs on the server's threads (a PowerShell script block
    /// has no runspace there).
    /// </summary>
    public void FailNthOperation(string method, int nth, ArmError error)
    {
        var seen = 0;
        FailOperation = r => r.Method == method && Interlocked.Increment(ref seen) == nth ? error : null;
    }

    /// <summary>The subscription's throttle; null (the default) throttles nothing and sends no x-ms-ratelimit-remaining header.</summary>
    public ArmThrottle? Throttle { get; set; }

    /// <summary>The requests answered 429.</summary>
    public int ThrottledRequests { get; private set; }

    /// <summary>
    /// The managed identity endpoint of App Service and Azure Automation (learn.microsoft.com/azure/app-service/
    /// overview-managed-identity, "REST endpoint reference"): <c>GET {IDENTITY_ENDPOINT}?resource=...&amp;api-version=2019-08-01</c>
    /// with the <c>X-IDENTITY-HEADER</c> the platform put in <c>IDENTITY_HEADER</c>; it answers <c>access_token</c>,
    /// <c>expires_on</c> (seconds since the epoch), <c>resource</c> and <c>token_type</c>. The token is <see cref="Token"/>.
    /// </summary>
    public Uri ManagedIdentityEndpoint => new(Endpoint, "msi/token");

    /// <summary>The secret a managed identity request must carry as X-IDENTITY-HEADER (the platform's IDENTITY_HEADER).</summary>
    public string IdentityHeader { get; } = Guid.NewGuid().ToString();

    private sealed class PendingOperation
    {
        public required string Id { get; init; }

        public int Remaining { get; set; }

        public ArmError? Error { get; init; }

        /// <summary>What the Location URL answers once the operation has succeeded.</summary>
        public FakeResponse? Result { get; init; }

        public required DateTimeOffset Started { get; init; }
    }

    private FakeResponse ManagedIdentityToken(FakeRequest request)
    {
        if (request.Method != "GET" || request.Header("X-IDENTITY-HEADER") != IdentityHeader)
        {
            return FakeResponse.Json(401, new JsonObject { ["error"] = "invalid_request", ["error_description"] = "The X-IDENTITY-HEADER header is missing or wrong." }.ToJsonString());
        }

        var resource = request.Query.GetValueOrDefault("resource");
        if (string.IsNullOrEmpty(resource) || request.Query.GetValueOrDefault("api-version") != "2019-08-01")
        {
            return FakeResponse.Json(400, new JsonObject { ["error"] = "invalid_request", ["error_description"] = "resource and api-version=2019-08-01 are required." }.ToJsonString());
        }

        var expires = time.GetUtcNow().AddHours(1).ToUnixTimeSeconds();
        return FakeResponse.Json(200, new JsonObject
        {
            ["access_token"] = Token,
            ["expires_on"] = expires.ToString(CultureInfo.InvariantCulture),
            ["resource"] = resource,
            ["token_type"] = "Bearer",
            ["client_id"] = "7d4ab3c2-1f2e-4e6a-9a8b-0c1d2e3f4a5b",
        }.ToJsonString());
    }

    /// <summary>Takes a token from the request's bucket: the 429 when there is none, and the header of what is left.</summary>
    private (FakeResponse? Throttled, (string Name, string Value)? Remaining) Throttled(FakeRequest request)
    {
        var kind = request.Method switch
        {
            "GET" or "HEAD" => "reads",
            "DELETE" => "deletes",
            _ => "writes",
        };
        if (Throttle is not { } throttle || !throttle.Kinds.Contains(kind))
        {
            return (null, null);
        }

        lock (buckets)
        {
            var now = time.GetUtcNow();
            var (tokens, at) = buckets.TryGetValue(kind, out var bucket) ? bucket : (throttle.BucketSize, now);
            tokens = Math.Min(throttle.BucketSize, tokens + ((now - at).TotalSeconds * throttle.RefillPerSecond));
            var header = $"x-ms-ratelimit-remaining-subscription-{kind}";
            if (tokens < 1)
            {
                buckets[kind] = (tokens, now);
                ThrottledRequests++;
                var wait = (int)Math.Ceiling((1 - tokens) / throttle.RefillPerSecond);
                var response = Error(429, "SubscriptionRequestsThrottled", $"Number of '{kind[..^1]}' requests for subscription exceeded. Please try again after '{wait}' seconds after additional tokens are available. Refer to https://aka.ms/arm-throttling");
                response.Headers["Retry-After"] = wait.ToString(CultureInfo.InvariantCulture);
                return (response, (header, "0"));
            }

            buckets[kind] = (tokens - 1, now);
            return (null, (header, ((int)(tokens - 1)).ToString(CultureInfo.InvariantCulture)));
        }
    }

    /// <summary>
    /// Runs a write as ARM runs a long-running one: the request is checked and made at once (an error is answered as it is),
    /// then answered 202 with the status to poll; the resource's body in the answer says Updating, the Location URL is
    /// given for Delete and the POST actions, whose result waits there.
    /// </summary>
    private FakeResponse LongRunning(FakeRequest request, string subscription, string key, Func<FakeResponse> run, string? location = null)
    {
        var failure = FailOperation?.Invoke(request);
        FakeResponse? made = null;
        if (failure is null)
        {
            made = run();
            if (made.Status >= 300)
            {
                return made;
            }
        }

        resources.TryGetValue(key, out var resource);
        location ??= resource?.Location ?? "global";
        var post = request.Method == "POST";
        var operation = new PendingOperation
        {
            Id = Guid.NewGuid().ToString(),
            Remaining = OperationPolls,
            Error = failure,
            Result = post ? made : null,
            Started = time.GetUtcNow(),
        };
        operations[operation.Id] = operation;

        var status = new Uri(Endpoint, $"subscriptions/{subscription}/providers/Microsoft.Compute/locations/{location}/DiskOperations/{operation.Id}?p=fake&api-version={ApiVersion}");
        var accepted = request.Method is "PUT" or "PATCH" && resource is not null && failure is null
            ? FakeResponse.Json(202, Render(resource, "Updating"))
            : FakeResponse.Empty(202);
        accepted.Headers["Azure-AsyncOperation"] = status.ToString();
        if (request.Method is "DELETE" or "POST")
        {
            accepted.Headers["Location"] = status + "&monitor=true";
        }

        accepted.Headers["Retry-After"] = OperationRetryAfterSeconds.ToString(CultureInfo.InvariantCulture);
        return accepted;
    }

    /// <summary>The status resource (Azure-AsyncOperation) and, with <c>monitor=true</c>, the Location URL of an operation.</summary>
    private FakeResponse OperationStatus(FakeRequest request, Match path)
    {
        if (request.Method != "GET" || !operations.TryGetValue(path.Groups["id"].Value, out var operation))
        {
            return request.Method != "GET"
                ? Error(405, "MethodNotAllowed", $"{request.Method} is not supported on '{request.Path}'.")
                : Error(404, "NotFound", $"The operation '{path.Groups["id"].Value}' was not found.");
        }

        var monitor = request.Query.GetValueOrDefault("monitor") == "true";
        if (operation.Remaining > 0)
        {
            if (!monitor)
            {
                operation.Remaining--;
            }

            var running = monitor
                ? FakeResponse.Empty(202)
                : FakeResponse.Json(200, new JsonObject { ["name"] = operation.Id, ["status"] = "InProgress", ["startTime"] = operation.Started.ToString("O", CultureInfo.InvariantCulture) }.ToJsonString());
            running.Headers["Retry-After"] = OperationRetryAfterSeconds.ToString(CultureInfo.InvariantCulture);
            return running;
        }

        if (monitor)
        {
            return operation.Error is { } failed
                ? Error(400, failed.Code, failed.Message)
                : operation.Result ?? FakeResponse.Empty(204);
        }

        var final = new JsonObject
        {
            ["name"] = operation.Id,
            ["status"] = operation.Error is null ? "Succeeded" : "Failed",
            ["startTime"] = operation.Started.ToString("O", CultureInfo.InvariantCulture),
            ["endTime"] = time.GetUtcNow().ToString("O", CultureInfo.InvariantCulture),
        };
        if (operation.Error is { } error)
        {
            final["error"] = new JsonObject { ["code"] = error.Code, ["message"] = error.Message };
        }

        return FakeResponse.Json(200, final.ToJsonString());
    }

    [GeneratedRegex("^/subscriptions/[^/]+/providers/Microsoft\\.Compute/locations/[^/]+/DiskOperations/(?<id>[^/]+)$", RegexOptions.IgnoreCase)]
    private static partial Regex OperationPath();

    [GeneratedRegex("^/msi/token$")]
    private static partial Regex ManagedIdentityPath();
}
