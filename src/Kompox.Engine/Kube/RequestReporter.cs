namespace Kompox.Kube;

/// <summary>
/// Reports every request a Kubernetes client sends, e.g. "GET /api/v1/namespaces/x", as a detail of the operation that
/// sends it. A client lives as long as its context and serves every operation on its cluster, so the handler reports to
/// whichever operation runs on the calling flow (<see cref="Current"/>), not to the one that made the client.
/// </summary>
internal sealed class RequestReporter : DelegatingHandler
{
    private static readonly AsyncLocal<(string Activity, IProgress<OperationProgress> Progress)?> current = new();

    /// <summary>The running operation's activity and progress on this flow; null outside any operation.</summary>
    public static (string Activity, IProgress<OperationProgress> Progress)? Current
    {
        get => current.Value;
        set => current.Value = value;
    }

    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (current.Value is { } operation)
        {
            operation.Progress.Report(OperationProgress.Detail(operation.Activity, $"{request.Method} {request.RequestUri?.PathAndQuery}"));
        }

        return base.SendAsync(request, cancellationToken);
    }
}
