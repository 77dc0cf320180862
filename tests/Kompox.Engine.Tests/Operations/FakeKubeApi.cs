using System.Collections.Concurrent;
using System.Net;
using System.Text;
using k8s;
using Kompox.Model;
using Kompox.Kube;
using Kompox.Operations;

namespace Kompox.Tests.Operations;

/// <summary>
/// A Kubernetes API server in memory: answers requests by method and path, and keeps every request it got.
/// Clients reach it through their real pipeline (serialisation, handlers), only the network is left out.
/// </summary>
internal sealed class FakeKubeApi : IKubeClientFactory
{
    private readonly ConcurrentDictionary<string, (HttpStatusCode Status, string Body)> answers = new(StringComparer.Ordinal);

    public ConcurrentQueue<(string Method, string PathAndQuery, string? Body)> Requests { get; } = new();

    /// <summary>Called before each answer, e.g. to hold a request until a test lets it go.</summary>
    public Func<CancellationToken, Task>? BeforeAnswer { get; set; }

    public void Answer(string method, string path, HttpStatusCode status, string body) => answers[$"{method} {path}"] = (status, body);

    /// <summary>The app's namespace as the server returns it, with these annotations.</summary>
    public void AnswerNamespace(string name, IDictionary<string, string> annotations) =>
        Answer("GET", $"/api/v1/namespaces/{name}", HttpStatusCode.OK, KubernetesJson.Serialize(new k8s.Models.V1Namespace { Metadata = new() { Name = name, Annotations = annotations } }));

    public IKubernetes Create(KompoxCluster cluster, params DelegatingHandler[] handlers) =>
        new Kubernetes(new KubernetesClientConfiguration { Host = "https://kube.test" }, handlers.Append(new Server(this)).ToArray());

    private sealed class Server : DelegatingHandler
    {
        private readonly FakeKubeApi api;

        public Server(FakeKubeApi api)
        {
            this.api = api;
        }

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var body = request.Content is null ? null : await request.Content.ReadAsStringAsync(cancellationToken);
            api.Requests.Enqueue((request.Method.Method, request.RequestUri!.PathAndQuery, body));
            if (api.BeforeAnswer is { } wait)
            {
                await wait(cancellationToken);
            }

            var (status, text) = api.answers.TryGetValue($"{request.Method.Method} {request.RequestUri.AbsolutePath.TrimEnd('/')}", out var answer)
                ? answer
                : (HttpStatusCode.NotFound, """{"kind":"Status","apiVersion":"v1","status":"Failure","message":"not found","reason":"NotFound","code":404}""");
            return new HttpResponseMessage(status) { Content = new StringContent(text, Encoding.UTF8, "application/json"), RequestMessage = request };
        }
    }
}

/// <summary>Progress reports as they came, without the thread hop of <see cref="Progress{T}"/>.</summary>
internal sealed class RecordedProgress : IProgress<OperationProgress>
{
    private readonly List<(Func<bool> Condition, TaskCompletionSource Met)> waiters = [];

    public ConcurrentQueue<OperationProgress> Reports { get; } = new();

    public void Report(OperationProgress value)
    {
        Reports.Enqueue(value);
        lock (waiters)
        {
            waiters.RemoveAll(w => w.Condition() && w.Met.TrySetResult());
        }
    }

    /// <summary>
    /// Completes once <paramref name="condition"/> holds, checked now and after each report: a signal from the code under
    /// test instead of polling in real time. Fails the test when it does not hold within a minute.
    /// </summary>
    public Task WhenAsync(Func<bool> condition)
    {
        lock (waiters)
        {
            // Checked under the lock that Report takes after enqueueing, so no report falls between check and wait.
            if (condition())
            {
                return Task.CompletedTask;
            }

            var met = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            waiters.Add((condition, met));
            return met.Task.Within();
        }
    }

    /// <summary>Completes once a report matching <paramref name="match"/> has come (see <see cref="WhenAsync(Func{bool})"/>).</summary>
    public Task WhenReportedAsync(Func<OperationProgress, bool> match) => WhenAsync(() => Reports.Any(match));
}

internal static class ProgressReports
{
    /// <summary>The text of a detail report (what is sent where); null for a step or a warning.</summary>
    public static string? Detail(this OperationProgress report) => report.Kind == ProgressKind.Detail ? report.Status : null;
}

internal static class TestLocks
{
    /// <summary>The Lease lock of another context (another runspace or host) on the clusters of the kubeconfigs the apps name.</summary>
    public static LeaseAppLock Lease(TimeProvider time)
    {
        var clients = new KubeconfigClientFactory();
        return new LeaseAppLock(cluster => clients.Create(cluster), time);
    }
}
