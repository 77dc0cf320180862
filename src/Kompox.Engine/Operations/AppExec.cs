using System.Globalization;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json.Nodes;
using k8s;
using k8s.Models;
using Kompox.Conversion;
using Kompox.Model;

namespace Kompox.Operations;

/// <summary>A command to run in a service's container of the app, as <c>docker compose exec</c> runs one.</summary>
public sealed record AppExecOptions
{
    /// <summary>The compose service, which is the container's name.</summary>
    public required string Service { get; init; }

    /// <summary>The argv, not run through a shell: argv[0] is found on the container's PATH.</summary>
    public required IReadOnlyList<string> Command { get; init; }

    /// <summary>What the command reads on stdin, read to its end and then closed; null for no stdin.</summary>
    public Stream? Stdin { get; init; }

    /// <summary>Where stdout goes as it comes; null to collect it into <see cref="AppExecResult.Stdout"/>.</summary>
    public Stream? Stdout { get; init; }

    /// <summary>Where stderr goes as it comes; null to collect it into <see cref="AppExecResult.Stderr"/>.</summary>
    public Stream? Stderr { get; init; }

    /// <summary>A terminal for the command: stderr comes merged into stdout, and the command sees a TTY.</summary>
    public bool Tty { get; init; }

    /// <summary>How long the command may run, on the context's clock; then <c>ExecTimeout</c>. Null for no limit (cancellation still ends it).</summary>
    public TimeSpan? Timeout { get; init; }
}

/// <summary>What the command gave: its exit code and, unless streamed elsewhere, its output as UTF-8 text.</summary>
public sealed record AppExecResult(string AppId, string Service, string Pod, IReadOnlyList<string> Command, int ExitCode, string Stdout, string Stderr);

/// <summary>
/// The exec use case: the command runs in the service's container of the app's running Pod, over the API server's
/// exec stream (pods/exec, WebSocket subprotocol v5.channel.k8s.io as kubectl ≥ 1.31 speaks it: the v5 CLOSE signal
/// is what ends a command's stdin; kubernetes staging/src/k8s.io/client-go/tools/remotecommand/websocket.go).
/// </summary>
internal static class AppExec
{
    internal const string Protocol = "v5.channel.k8s.io";

    public static async Task<AppExecResult> RunAsync(OperationScope scope, AppExecOptions options, CancellationToken cancellationToken)
    {
        if (options.Command.Count == 0 || string.IsNullOrEmpty(options.Command[0]))
        {
            throw new KompoxException("InvalidCommand", ErrorKind.InvalidArgument, "the command is empty: give the program to run and its arguments") { Target = "Command", Remedy = Remedy.ChangeOption("Command") };
        }

        var (pod, container) = await RunningContainerAsync(scope, options.Service, cancellationToken).ConfigureAwait(false);
        scope.Step($"running {options.Command[0]} in {container} of Pod {pod.Metadata.Name}", 10);
        using var timeout = options.Timeout is { } limit ? new CancellationTokenSource(limit, scope.Time) : new CancellationTokenSource();
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        try
        {
            return await StreamAsync(scope, pod, container, options, linked.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            throw new KompoxException("ExecTimeout", ErrorKind.Timeout, $"app {scope.App.Id}: {options.Command[0]} in {container} of Pod {pod.Metadata.Name} did not end in {options.Timeout!.Value.TotalSeconds:0.#} s") { Target = options.Service, Remedy = Remedy.ChangeOption("Timeout") };
        }
    }

    /// <summary>
    /// The Pod whose container runs <paramref name="service"/>: the newest Running one. No Pod at all is an app not
    /// deployed; a Pod whose container does not run is an app not running; a service the Pod has not is named with
    /// those it has.
    /// </summary>
    internal static async Task<(V1Pod Pod, string Container)> RunningContainerAsync(OperationScope scope, string service, CancellationToken cancellationToken)
    {
        var app = scope.App;
        var ns = KubeNames.Namespace(app);
        scope.Step("finding the Pod", 5);
        IList<V1Pod> pods;
        try
        {
            pods = (await scope.Kube.CoreV1.ListNamespacedPodAsync(ns, labelSelector: AppObjects.Selector(app), cancellationToken: cancellationToken).ConfigureAwait(false)).Items;
        }
        catch (k8s.Autorest.HttpOperationException e) when (e.Response?.StatusCode == System.Net.HttpStatusCode.NotFound)
        {
            pods = [];
        }

        var pod = AppLogs.LogPod(pods)
            ?? throw new KompoxException("AppNotDeployed", ErrorKind.NotFound, $"app {app.Id} is not deployed: namespace {ns} has no Pod of it") { Target = app.Id, Remedy = Remedy.DeployFirst };
        var services = PodBuilder.ServiceContainers(pod.Spec).ToList();
        if (!services.Contains(service, StringComparer.Ordinal))
        {
            throw new KompoxException("UnknownService", ErrorKind.InvalidArgument, $"app {app.Id} has no service {service}; its services are {string.Join(", ", services)}") { Target = service, Remedy = Remedy.ChangeOption("Service") };
        }

        var status = (pod.Status?.ContainerStatuses ?? new List<V1ContainerStatus>()).Concat(pod.Status?.InitContainerStatuses ?? new List<V1ContainerStatus>()).FirstOrDefault(s => s.Name == service);
        if (pod.Metadata.DeletionTimestamp is not null || status?.State?.Running is null)
        {
            var state = pod.Metadata.DeletionTimestamp is not null ? "is being deleted"
                : status?.State?.Waiting is { } waiting ? $"waits ({waiting.Reason})"
                : status?.State?.Terminated is { } terminated ? $"has ended ({terminated.Reason}, exit code {terminated.ExitCode})"
                : $"is {pod.Status?.Phase ?? "Pending"}";
            throw new KompoxException("AppNotRunning", ErrorKind.Unavailable, $"app {app.Id} is not running: container {service} of Pod {pod.Metadata.Name} {state}") { Target = service, Remedy = Remedy.InspectApp };
        }

        return (pod, service);
    }

    internal static async Task<AppExecResult> StreamAsync(OperationScope scope, V1Pod pod, string container, AppExecOptions options, CancellationToken cancellationToken)
    {
        var stdout = options.Stdout ?? new MemoryStream();
        var stderr = options.Stderr ?? new MemoryStream();
        using var socket = await scope.Kube.WebSocketNamespacedPodExecAsync(
            pod.Metadata.Name,
            pod.Metadata.NamespaceProperty,
            options.Command,
            container,
            stderr: !options.Tty,
            stdin: options.Stdin is not null,
            stdout: true,
            tty: options.Tty,
            webSocketSubProtocol: Protocol,
            cancellationToken: cancellationToken).ConfigureAwait(false);
        if (socket.SubProtocol != Protocol)
        {
            throw new KompoxException("ExecUnsupported", ErrorKind.Unavailable, $"the cluster's API server does not speak {Protocol} (Kubernetes 1.30 and later do); it answered {socket.SubProtocol ?? "no subprotocol"}") { Target = scope.Cluster.Name };
        }

        using var sending = new SemaphoreSlim(1, 1);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var writing = options.Stdin is { } stdin ? SendStdinAsync(socket, sending, stdin, stop.Token) : Task.CompletedTask;
        var status = new MemoryStream();
        try
        {
            await ReceiveAsync(socket, stdout, stderr, status, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            await stop.CancelAsync().ConfigureAwait(false);
            await writing.ContinueWith(_ => { }, TaskScheduler.Default).ConfigureAwait(false);
        }

        var exitCode = ExitCode(scope.App, options, container, pod, Encoding.UTF8.GetString(status.ToArray()));
        if (socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
        {
            try
            {
                await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None).ConfigureAwait(false);
            }
            catch (WebSocketException)
            {
                // The command ended before it read all its stdin and the server has gone: its status is already read.
            }
        }

        return new AppExecResult(
            scope.App.Id,
            container,
            pod.Metadata.Name,
            options.Command,
            exitCode,
            options.Stdout is null ? Encoding.UTF8.GetString(((MemoryStream)stdout).ToArray()) : string.Empty,
            options.Stderr is null ? Encoding.UTF8.GetString(((MemoryStream)stderr).ToArray()) : string.Empty);
    }

    /// <summary>Sends stdin on channel 0 to its end, then the v5 CLOSE signal for channel 0, so that the command sees end of file.</summary>
    private static async Task SendStdinAsync(WebSocket socket, SemaphoreSlim sending, Stream stdin, CancellationToken cancellationToken)
    {
        var buffer = new byte[32 * 1024];
        int read;
        while ((read = await stdin.ReadAsync(buffer.AsMemory(1, buffer.Length - 1), cancellationToken).ConfigureAwait(false)) > 0)
        {
            buffer[0] = 0;
            await SendAsync(socket, sending, buffer.AsMemory(0, read + 1), cancellationToken).ConfigureAwait(false);
        }

        await SendAsync(socket, sending, new byte[] { 255, 0 }, cancellationToken).ConfigureAwait(false);
    }

    private static async Task SendAsync(WebSocket socket, SemaphoreSlim sending, ReadOnlyMemory<byte> message, CancellationToken cancellationToken)
    {
        await sending.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await socket.SendAsync(message, WebSocketMessageType.Binary, true, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            sending.Release();
        }
    }

    /// <summary>Reads the server's messages until it closes: channel 1 stdout, 2 stderr, 3 the Status the command ended with.</summary>
    private static async Task ReceiveAsync(WebSocket socket, Stream stdout, Stream stderr, Stream status, CancellationToken cancellationToken)
    {
        var buffer = new byte[64 * 1024];
        Stream? target = null;
        var first = true;
        while (socket.State is WebSocketState.Open or WebSocketState.CloseSent)
        {
            ValueWebSocketReceiveResult result;
            try
            {
                result = await socket.ReceiveAsync(buffer.AsMemory(), cancellationToken).ConfigureAwait(false);
            }
            catch (WebSocketException) when (socket.State is WebSocketState.Aborted or WebSocketState.Closed)
            {
                // The server dropped the connection after its last message.
                return;
            }

            if (result.MessageType == WebSocketMessageType.Close)
            {
                return;
            }

            var data = buffer.AsMemory(0, result.Count);
            if (first && data.Length > 0)
            {
                target = data.Span[0] switch { 1 => stdout, 2 => stderr, 3 => status, _ => null };
                data = data[1..];
            }

            if (target is not null && data.Length > 0)
            {
                await target.WriteAsync(data, cancellationToken).ConfigureAwait(false);
                await target.FlushAsync(cancellationToken).ConfigureAwait(false);
            }

            first = result.EndOfMessage;
        }
    }

    /// <summary>
    /// The exit code from the Status on the error channel (kubernetes pkg/kubelet/cri/streaming/remotecommand/exec.go):
    /// Success is 0, NonZeroExitCode carries it in details.causes[reason=ExitCode]; any other failure the runtime or the
    /// API server reports is an error, a program the container does not have among them.
    /// </summary>
    private static int ExitCode(KompoxApp app, AppExecOptions options, string container, V1Pod pod, string text)
    {
        if (text.Length == 0)
        {
            throw new KompoxException("ExecFailed", ErrorKind.Unavailable, $"app {app.Id}: the exec stream of {container} in Pod {pod.Metadata.Name} ended without the command's status") { Target = options.Service, Remedy = Remedy.RunAgain };
        }

        var status = JsonNode.Parse(text) as JsonObject;
        if (status?["status"]?.ToString() == "Success")
        {
            return 0;
        }

        if (status?["reason"]?.ToString() == "NonZeroExitCode"
            && status["details"]?["causes"]?.AsArray().FirstOrDefault(c => c?["reason"]?.ToString() == "ExitCode")?["message"]?.ToString() is { } code
            && int.TryParse(code, NumberStyles.Integer, CultureInfo.InvariantCulture, out var exitCode))
        {
            return exitCode;
        }

        var message = status?["message"]?.ToString() ?? text;
        if (message.Contains("executable file not found", StringComparison.Ordinal) || message.Contains("no such file or directory", StringComparison.Ordinal))
        {
            throw new KompoxException("CommandNotFound", ErrorKind.NotFound, $"app {app.Id}: the container {container} of Pod {pod.Metadata.Name} has no program {options.Command[0]} (the runtime says: {message})") { Target = options.Command[0], Remedy = Remedy.ChangeOption("Command") };
        }

        throw new KompoxException("ExecFailed", ErrorKind.Unavailable, $"app {app.Id}: {options.Command[0]} could not run in {container} of Pod {pod.Metadata.Name}: {message}") { Target = options.Service, Remedy = Remedy.InspectApp };
    }
}
