using System.Text;
using Microsoft.AspNetCore.Http;

namespace Kompox.Testing.KubeApi;

public sealed partial class KubeApiServer
{
    private TaskCompletionSource logAppended = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>GET pods/{name}/log?follow=true: the log as without follow, then each line appended later, until the client goes.</summary>
    private static bool IsLogFollow(Call call) =>
        call.Method == "GET"
        && call.Query.GetValueOrDefault("follow") is "true" or "1"
        && call.Path.TrimEnd('/').EndsWith("/log", StringComparison.Ordinal);

    /// <summary>Wakes the followers of every log; called with the gate held, after a line is added.</summary>
    private void WakeLogFollowers()
    {
        var waiting = logAppended;
        logAppended = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        waiting.TrySetResult();
    }

    /// <summary>
    /// A chunked text/plain stream, as the kubelet sends it: the lines selected as without follow (tailLines,
    /// sinceSeconds), then the lines <see cref="AppendLog"/> adds to the same container run. It ends when the client
    /// goes, the server stops or the Pod is deleted. The previous run of a container has no new lines, so its log ends
    /// at once. The request is recorded as the stream starts.
    /// </summary>
    private async Task FollowLogAsync(HttpContext context, Call call, Identity identity, Action started)
    {
        var segments = call.Path.Trim('/').Split('/', StringSplitOptions.RemoveEmptyEntries);
        var target = ParseTarget(segments) ?? throw new ApiError(404, "NotFound", "the server could not find the requested resource");
        call.Verb = "get";
        Authorize(identity, "get", target);
        var timestamps = call.Query.GetValueOrDefault("timestamps") == "true";
        (string Namespace, string Pod, string Container, bool Previous) key;
        string text;
        int written;
        Task signal;
        lock (gate)
        {
            (key, var lines) = PodLogSelection(target, call.Query);
            text = RenderLog(lines, timestamps);
            written = logs.GetValueOrDefault(key)?.Count ?? 0;
            signal = logAppended.Task;
        }
        started();
        context.Response.StatusCode = 200;
        context.Response.ContentType = "text/plain";
        using var end = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, stopping.Token);
        try
        {
            await WriteLogAsync(context, text, end.Token);
            if (call.Query.GetValueOrDefault("previous") == "true")
            {
                return;
            }
            while (true)
            {
                await signal.WaitAsync(end.Token);
                lock (gate)
                {
                    if (Find(Resource("pods"), key.Namespace, key.Pod) is null)
                    {
                        return;
                    }
                    var all = logs.GetValueOrDefault(key) ?? [];
                    text = RenderLog(all.Skip(written), timestamps);
                    written = all.Count;
                    signal = logAppended.Task;
                }
                await WriteLogAsync(context, text, end.Token);
            }
        }
        catch (OperationCanceledException) when (end.IsCancellationRequested)
        {
            // The client left or the server is stopping.
        }
    }

    private static async Task WriteLogAsync(HttpContext context, string text, CancellationToken cancellationToken)
    {
        if (text.Length > 0)
        {
            await context.Response.WriteAsync(text, Encoding.UTF8, cancellationToken);
        }
        await context.Response.Body.FlushAsync(cancellationToken);
    }
}
