using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace Kompox.Testing.KubeApi;

public sealed partial class KubeApiServer
{
    private const int WatchLogSize = 5000;
    private const int MaxWatchSeconds = 300;
    private readonly List<(long Version, string Type, ResourceType Resource, JsonObject Object)> watchLog = [];
    private readonly CancellationTokenSource stopping = new();
    private TaskCompletionSource changed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Records a change for watchers and wakes them; the log keeps the last <see cref="WatchLogSize"/> changes.</summary>
    private void Emit(string type, StoredObject stored)
    {
        var version = long.Parse(stored.Body["metadata"]!["resourceVersion"]!.ToString(), System.Globalization.CultureInfo.InvariantCulture);
        watchLog.Add((version, type, stored.Resource, Render(stored)));
        if (watchLog.Count > WatchLogSize)
        {
            watchLog.RemoveRange(0, watchLog.Count - WatchLogSize);
        }
        var waiting = changed;
        changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        waiting.TrySetResult();
    }

    /// <summary>
    /// GET ...?watch=true: a chunked stream of {"type","object"} lines. Without a resourceVersion (or with "0") the current
    /// objects come first as ADDED; with one, the changes after it (410 Expired when the log no longer reaches back so far).
    /// The request is recorded when the stream starts, with status 200.
    /// The stream ends after timeoutSeconds (at most <see cref="MaxWatchSeconds"/>), when the client goes, or when the server stops.
    /// </summary>
    private async Task WatchAsync(HttpContext context, Call call, Identity identity, Action started)
    {
        var segments = call.Path.Trim('/').Split('/', StringSplitOptions.RemoveEmptyEntries);
        var target = ParseTarget(segments) ?? throw new ApiError(404, "NotFound", "the server could not find the requested resource");
        if (target.Name is not null)
        {
            throw new ApiError(405, "MethodNotAllowed", "watch a single object with a list and fieldSelector=metadata.name=<name>");
        }
        call.Verb = "watch";
        Authorize(identity, "watch", target);
        var lines = new List<string>();
        long since;
        Func<IDictionary<string, string>, bool> labels;
        Func<JsonObject, bool> fields;
        lock (gate)
        {
            RequireNamespace(target.Resource, target.Namespace);
            labels = Selectors.ParseLabels(call.Query.GetValueOrDefault("labelSelector"), out var labelError) ?? throw ApiError.BadRequest(labelError!);
            fields = Selectors.ParseFields(call.Query.GetValueOrDefault("fieldSelector"), out var fieldError) ?? throw ApiError.BadRequest(fieldError!);
            var requested = call.Query.GetValueOrDefault("resourceVersion");
            if (string.IsNullOrEmpty(requested) || requested == "0")
            {
                foreach (var stored in Stored(target.Resource, target.Namespace))
                {
                    if (labels(Selectors.LabelsOf(stored.Body)) && fields(stored.Body))
                    {
                        lines.Add(WatchLine("ADDED", Render(stored)));
                    }
                }
                since = resourceVersion;
            }
            else if (!long.TryParse(requested, System.Globalization.CultureInfo.InvariantCulture, out since))
            {
                throw ApiError.BadRequest($"resourceVersion: Invalid value: \"{requested}\": must be an integer");
            }
            else if (watchLog.Count > 0 && since < watchLog[0].Version - 1)
            {
                lines.Add(WatchLine("ERROR", new ApiError(410, "Expired", $"too old resource version: {since} ({watchLog[0].Version - 1})").ToStatus()));
                since = long.MaxValue;
            }
        }
        var seconds = call.Query.GetValueOrDefault("timeoutSeconds") is { } text && int.TryParse(text, System.Globalization.CultureInfo.InvariantCulture, out var asked) && asked > 0
            ? Math.Min(asked, MaxWatchSeconds)
            : MaxWatchSeconds;
        // Recorded as it starts (not when it ends), so a test can wait for the watch to be open before it changes things.
        started();
        context.Response.StatusCode = 200;
        context.Response.ContentType = "application/json";
        using var end = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, stopping.Token);
        end.CancelAfter(TimeSpan.FromSeconds(seconds));
        try
        {
            await WriteLinesAsync(context, lines, end.Token);
            while (since != long.MaxValue && !end.IsCancellationRequested)
            {
                Task signal;
                lines.Clear();
                lock (gate)
                {
                    foreach (var (version, type, resource, item) in watchLog)
                    {
                        if (version > since && resource == target.Resource && (target.Namespace is null || item["metadata"]?["namespace"]?.ToString() == target.Namespace)
                            && labels(Selectors.LabelsOf(item)) && fields(item))
                        {
                            lines.Add(WatchLine(type, item));
                        }
                    }
                    since = resourceVersion;
                    signal = changed.Task;
                }
                await WriteLinesAsync(context, lines, end.Token);
                await signal.WaitAsync(end.Token);
            }
        }
        catch (OperationCanceledException) when (end.IsCancellationRequested)
        {
            // The watch ended: its time was up, the client left, or the server is stopping.
        }
    }

    private static string WatchLine(string type, JsonObject item) => new JsonObject { ["type"] = type, ["object"] = item.DeepClone() }.ToJsonString() + "\n";

    private static async Task WriteLinesAsync(HttpContext context, List<string> lines, CancellationToken cancellationToken)
    {
        foreach (var line in lines)
        {
            await context.Response.WriteAsync(line, Encoding.UTF8, cancellationToken);
        }
        await context.Response.Body.FlushAsync(cancellationToken);
    }
}
