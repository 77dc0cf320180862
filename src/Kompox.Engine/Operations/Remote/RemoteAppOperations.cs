using System.Globalization;
using System.Net.Http.Headers;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Kompox.Drivers;

namespace Kompox.Operations.Remote;

/// <summary>
/// The app operations through a Kompox service: the app is the caller's app of that name (the last part of its id), and
/// the service runs the same engine operation. What the service's REST API does not offer is <c>NotInClientMode</c>.
/// </summary>
internal sealed class RemoteAppOperations(ServiceClient client) : IAppOperations
{
    public Task<AppValidation> ValidateAsync(string appId, AppValidationOptions options, IProgress<OperationProgress>? progress, CancellationToken cancellationToken) =>
        throw NotOffered("validating an app offline", appId);

    public Task<DeployPlan> PlanDeployAsync(string appId, DeployOptions options, IProgress<OperationProgress>? progress, CancellationToken cancellationToken) =>
        throw NotOffered("planning a deploy", appId);

    public Task<AppStatus> DeployAsync(DeployPlan plan, IProgress<OperationProgress>? progress, CancellationToken cancellationToken) =>
        throw NotOffered("applying a deploy plan", plan.AppId);

    /// <summary>The service converts, plans and applies under the app's lock (<c>POST deploy</c>); the plan is never seen here.</summary>
    public Task<AppStatus> DeployAsync(string appId, DeployOptions options, IProgress<OperationProgress>? progress, CancellationToken cancellationToken) =>
        client.RunAsync<AppStatus>(
            $"Deploying app {ServiceClient.AppName(appId)}",
            HttpMethod.Post,
            Path(appId, "deploy"),
            new { profiles = options.Profiles.Count == 0 ? null : options.Profiles },
            progress,
            cancellationToken);

    public Task<AppDestroyResult> DestroyAsync(string appId, DestroyOptions options, IProgress<OperationProgress>? progress, CancellationToken cancellationToken) =>
        client.RunAsync<AppDestroyResult>($"Destroying app {ServiceClient.AppName(appId)}", HttpMethod.Post, Path(appId, "destroy"), (object?)null, progress, cancellationToken);

    public Task<AppStatus> GetStatusAsync(string appId, IProgress<OperationProgress>? progress, CancellationToken cancellationToken) =>
        client.SendAsync<AppStatus>(HttpMethod.Get, Path(appId, "status"), null, cancellationToken);

    /// <summary>The service's <c>application/x-ndjson</c> lines, read as they come (with follow, until cancelled).</summary>
    public async IAsyncEnumerable<AppLogLine> ReadLogsAsync(string appId, AppLogOptions options, IProgress<OperationProgress>? progress, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        if (options.Previous)
        {
            throw NotOffered("reading the previous container's lines", appId);
        }

        var query = new List<string>();
        foreach (var service in options.Services ?? [])
        {
            query.Add($"service={Uri.EscapeDataString(service)}");
        }

        if (options.Tail is { } tail)
        {
            query.Add($"tail={tail.ToString(CultureInfo.InvariantCulture)}");
        }

        if (options.Since is { } since)
        {
            // The service takes a duration as the snapshot settings write one (10m, 2h); whole seconds, rounded up as locally.
            query.Add($"since={((long)Math.Ceiling(since.TotalSeconds)).ToString(CultureInfo.InvariantCulture)}s");
        }

        if (options.Follow)
        {
            query.Add("follow=true");
        }

        var path = Path(appId, "logs") + (query.Count == 0 ? string.Empty : "?" + string.Join('&', query));
        using var response = await client.SendRawAsync(HttpMethod.Get, path, null, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        await using var body = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        using var reader = new StreamReader(body);
        while (await reader.ReadLineAsync(cancellationToken).ConfigureAwait(false) is { } text)
        {
            if (text.Length == 0)
            {
                continue;
            }

            var line = JsonSerializer.Deserialize<LogLine>(text, ServiceClient.Json)!;
            yield return new AppLogLine(line.Service ?? line.Container ?? string.Empty, line.Time, line.Line ?? string.Empty);
        }
    }

    public async Task<AppCredential> GetCredentialAsync(string appId, AppCredentialOptions options, IProgress<OperationProgress>? progress, CancellationToken cancellationToken)
    {
        if (options.Kubelogin)
        {
            throw NotOffered("a kubelogin credential", appId, "Kubelogin");
        }

        var made = await client.SendAsync<Credential>(HttpMethod.Post, Path(appId, "credentials"), new { duration = options.Duration.ToString("c", CultureInfo.InvariantCulture) }, cancellationToken).ConfigureAwait(false);
        return new AppCredential(appId, made.Kubeconfig, made.Server ?? string.Empty, made.Namespace ?? string.Empty, made.User ?? string.Empty, made.ServiceAccount ?? string.Empty, made.ExpiresAt, made.ContextName ?? string.Empty, false);
    }

    public Task<AppExecResult> ExecAsync(string appId, AppExecOptions options, IProgress<OperationProgress>? progress, CancellationToken cancellationToken) =>
        throw NotOffered("running a command in the app", appId);

    public Task<AppRestartResult> RestartAsync(string appId, AppRestartOptions options, IProgress<OperationProgress>? progress, CancellationToken cancellationToken) =>
        client.RunAsync<AppRestartResult>($"Restarting app {ServiceClient.AppName(appId)}", HttpMethod.Post, Path(appId, "restart"), (object?)null, progress, cancellationToken);

    public IAsyncEnumerable<AppPortForwardEvent> ForwardPortAsync(string appId, AppPortForwardOptions options, IProgress<OperationProgress>? progress, CancellationToken cancellationToken) =>
        throw NotOffered("forwarding a port", appId);

    // The service keeps compose text, not a project directory: there are no bound directories to copy from.
    public Task<SeedResult> SeedBindsAsync(string appId, SeedBindsOptions options, IProgress<OperationProgress>? progress, CancellationToken cancellationToken) =>
        throw NotOffered("copying bound directories", appId);

    public Task<AppDiskState> GetDiskStateAsync(string appId, IProgress<OperationProgress>? progress, CancellationToken cancellationToken) =>
        throw NotOffered("reading the disk state", appId);

    public Task SetDiskStateAsync(string appId, AppDiskState state, TimeSpan? lockWait, IProgress<OperationProgress>? progress, CancellationToken cancellationToken) =>
        throw NotOffered("writing the disk state", appId);

    /// <summary><c>v1/apps/{name}/{rest}</c>.</summary>
    internal static string Path(string appId, string rest) => $"v1/apps/{ServiceClient.Segment(ServiceClient.AppName(appId))}/{rest}";

    /// <summary>What the service's REST API does not do: an error of the caller's request, not of the service.</summary>
    internal static KompoxException NotOffered(string what, string appId, string? option = null) =>
        new("NotInClientMode", ErrorKind.InvalidArgument, $"{what} is not offered by the Kompox service's REST API (app {ServiceClient.AppName(appId)})")
        {
            Target = appId,
            Remedy = option is null ? null : Remedy.OmitOption(option),
        };

    internal static MediaTypeHeaderValue OctetStream => new("application/octet-stream");

    private sealed record LogLine(DateTimeOffset Time, string? Service, string? Container, string? Line);

    private sealed record Credential(string Kubeconfig, DateTimeOffset? ExpiresAt, string? Namespace, string? Server, string? User, string? ServiceAccount, string? ContextName);
}
