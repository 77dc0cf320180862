using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using Kompox.Service.Store;

namespace Kompox.Service;

/// <summary>
/// Long operations run apart from the request that started them (202 + <c>Location</c>): their state, progress and
/// result or problem in memory while the service runs, their final state in the store for 24 hours. Cancelling one
/// cancels the engine operation's token; the engine leaves nothing half-made.
/// </summary>
public sealed class OperationRegistry(ServiceStore store, TimeProvider time, IHostApplicationLifetime lifetime, Redactor redactor)
{
    private readonly ConcurrentDictionary<string, ServiceOperation> running = new(StringComparer.Ordinal);

    /// <summary>Starts <paramref name="work"/>; it runs until it ends, is cancelled, or the service stops.</summary>
    public ServiceOperation Start(string kind, string? app, string owner, Func<IProgress<OperationProgress>, CancellationToken, Task<object?>> work, Func<Task>? cleanup = null)
    {
        var id = Convert.ToHexString(RandomNumberGenerator.GetBytes(12)).ToLowerInvariant();
        var operation = new ServiceOperation(id, kind, app, owner, time.GetUtcNow(), CancellationTokenSource.CreateLinkedTokenSource(lifetime.ApplicationStopping), redactor.Redact);
        running[id] = operation;
        operation.Completion = Task.Run(async () =>
        {
            try
            {
                var result = await work(operation, operation.Cancel.Token);
                operation.Finish("succeeded", result is null ? null : JsonSerializer.SerializeToNode(result, result.GetType(), ApiJson.Options), null, time.GetUtcNow());
            }
            catch (Exception e)
            {
                var error = ErrorTranslation.Translate(e, operation.Activity ?? kind, operation.Cancel.Token);
                var state = operation.Cancel.IsCancellationRequested && error.Kind == ErrorKind.Canceled ? "cancelled" : "failed";
                operation.Finish(state, null, Problems.Document(error, $"/v1/operations/{id}", redactor.Redact), time.GetUtcNow());
            }
            finally
            {
                if (cleanup is not null)
                {
                    await cleanup();
                }
            }

            // Kept in memory too: GET answers from there while the service runs.
            store.SaveOperation(id, owner, operation.FinishedAt!.Value, operation.ToJson().ToJsonString());
        });
        return operation;
    }

    /// <summary>The caller's operation (an administrator's: any), as the API shows it; null when there is none for them.</summary>
    public JsonObject? Find(string id, string caller, bool admin)
    {
        if (running.TryGetValue(id, out var operation))
        {
            return admin || operation.Owner == caller ? operation.ToJson() : null;
        }

        return store.Operation(id) is { } stored && (admin || stored.Owner == caller) ? (JsonObject?)JsonNode.Parse(stored.Json) : null;
    }

    /// <summary>The running operation itself (for cancelling and awaiting).</summary>
    public ServiceOperation? Running(string id, string caller, bool admin) =>
        running.TryGetValue(id, out var operation) && (admin || operation.Owner == caller) ? operation : null;
}

/// <summary>One long operation; it is also the progress its engine operation reports to.</summary>
public sealed class ServiceOperation(string id, string kind, string? app, string owner, DateTimeOffset createdAt, CancellationTokenSource cancel, Func<string, string> redact) : IProgress<OperationProgress>
{
    private readonly object gate = new();
    private string state = "running";
    private string? step;
    private int? percent;
    private JsonNode? result;
    private JsonObject? problem;

    public string Id => id;

    public string Owner => owner;

    public CancellationTokenSource Cancel => cancel;

    public string? Activity { get; private set; }

    public DateTimeOffset? FinishedAt { get; private set; }

    /// <summary>Ends when the operation has ended and its final state is stored.</summary>
    public Task Completion { get; internal set; } = Task.CompletedTask;

    public void Report(OperationProgress value)
    {
        if (value.Kind != ProgressKind.Step)
        {
            return;
        }

        lock (gate)
        {
            // Steps may name the service's private kubeconfig files.
            Activity = redact(value.Activity);
            step = redact(value.Status);
            percent = value.Percent ?? percent;
        }
    }

    internal void Finish(string finalState, JsonNode? value, JsonObject? error, DateTimeOffset at)
    {
        lock (gate)
        {
            state = finalState;
            result = value;
            problem = error;
            FinishedAt = at;
        }
    }

    public JsonObject ToJson()
    {
        lock (gate)
        {
            var json = new JsonObject
            {
                ["id"] = id,
                ["kind"] = kind,
                ["state"] = state,
                ["createdAt"] = createdAt,
            };
            if (app is not null)
            {
                json["app"] = app;
            }

            if (FinishedAt is { } finished)
            {
                json["finishedAt"] = finished;
            }

            var progress = new JsonObject();
            if (Activity is not null)
            {
                progress["activity"] = Activity;
            }

            if (step is not null)
            {
                progress["step"] = step;
            }

            if (percent is not null)
            {
                progress["percent"] = percent;
            }

            json["progress"] = progress;
            if (result is not null)
            {
                json["result"] = result.DeepClone();
            }

            if (problem is not null)
            {
                json["problem"] = problem.DeepClone();
            }

            return json;
        }
    }
}
