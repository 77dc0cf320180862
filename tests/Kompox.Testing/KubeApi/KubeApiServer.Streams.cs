using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace Kompox.Testing.KubeApi;

/// <summary>
/// pods/exec and pods/portforward over WebSockets, as kube-apiserver 1.32 and the kubelet's streaming server answer
/// them. Channel protocol: kubernetes staging/src/k8s.io/apiserver/pkg/util/wsstream/conn.go (one byte of channel
/// before each binary message; the subprotocol picked is the first of the client's the server supports) and
/// staging/src/k8s.io/apimachinery/pkg/util/remotecommand/constants.go (0 stdin, 1 stdout, 2 stderr, 3 error, 4
/// resize, 255 close). Exec: pkg/kubelet/cri/streaming/remotecommand/websocket.go ("", channel.k8s.io and
/// v4.channel.k8s.io, an empty message on the lowest writable channel once open; v4 writes the metav1.Status as JSON,
/// older versions only a failure's message) and, for v5.channel.k8s.io, the API server's own translator
/// (staging/src/k8s.io/apiserver/pkg/util/proxy/streamtranslator.go: the WebSocket opens first and every failure,
/// the kubelet's included, comes as a Status on channel 3). Port-forward: pkg/kubelet/cri/streaming/portforward/
/// websocket.go (per port a data and an error channel, each starting with the port as uint16 little endian) and, for
/// kubectl, SPDY tunneled in the WebSocket (<see cref="SpdyTunnel"/>). What runs in the container is the kubelet's
/// and the runtime's part, which tests stand in for: <see cref="InstallProgram"/> and <see cref="ListenInPod"/>.
/// </summary>
public sealed partial class KubeApiServer
{
    private const string V5 = "v5.channel.k8s.io";
    private const string V4 = "v4.channel.k8s.io";
    private const string V1 = "channel.k8s.io";
    private const string SpdyTunnelProtocol = "SPDY/3.1+portforward.k8s.io";

    private readonly Dictionary<(string Namespace, string Container, string Program), ExecHandler> programs = [];
    private readonly Dictionary<(string Namespace, int Port), EndPoint> podPorts = [];

    /// <summary>
    /// Puts a program in the image of <paramref name="container"/> of the Pods in <paramref name="ns"/> (every Pod, so a
    /// restarted Pod has it too). An exec whose argv[0] (or its file name) is <paramref name="program"/> runs it; any
    /// other argv[0] is not found, as runc reports a missing executable.
    /// </summary>
    public void InstallProgram(string ns, string container, string program, ExecHandler handler)
    {
        lock (gate)
        {
            programs[(ns, container, program)] = handler;
        }
    }

    /// <summary>
    /// Makes the Pods of <paramref name="ns"/> listen on <paramref name="port"/>: a port-forward to it connects to
    /// <paramref name="endpoint"/>, which the test serves. A port with none refuses, as an empty port in the Pod does.
    /// </summary>
    public void ListenInPod(string ns, int port, EndPoint endpoint)
    {
        lock (gate)
        {
            podPorts[(ns, port)] = endpoint;
        }
    }

    private static bool IsStreaming(Call call) =>
        call.Path.TrimEnd('/').Split('/') is [.., "pods", _, "exec" or "attach" or "portforward"];

    private async Task StreamAsync(HttpContext context, Call call, Identity identity, Action<int> record)
    {
        var segments = call.Path.Trim('/').Split('/', StringSplitOptions.RemoveEmptyEntries);
        var target = ParseTarget(segments) ?? throw new ApiError(404, "NotFound", "the server could not find the requested resource");

        // A connect request is authorized as get (GET) or create (POST) of the subresource; WebSockets use GET.
        // AuthorizePodWebsocketUpgradeCreatePermission (beta from 1.35) also asks create for the WebSocket's GET.
        call.Verb = call.Method == "POST" ? "create" : "get";
        Authorize(identity, call.Verb, target);
        if (call.Method == "GET" && context.WebSockets.IsWebSocketRequest && MinorVersion >= 35)
        {
            Authorize(identity, "create", target);
        }

        if (target.Subresource == "attach")
        {
            throw new ApiError(400, "BadRequest", "attach is not modeled by this test server");
        }

        var query = context.Request.Query;
        if (target.Subresource == "exec")
        {
            await ExecAsync(context, call, target, query, record);
        }
        else
        {
            await PortForwardAsync(context, call, target, query, record);
        }
    }

    /// <summary>
    /// After the location is checked (pod, container), the upgrade-aware proxy refuses a plain request
    /// (staging/src/k8s.io/apimachinery/pkg/util/proxy/upgradeaware.go). A SPDY upgrade (what kubectl falls back to
    /// when the WebSocket upgrade fails) is not modeled: see README.
    /// </summary>
    private static void RequireUpgrade(HttpContext context)
    {
        if (!context.WebSockets.IsWebSocketRequest)
        {
            throw ApiError.BadRequest("Upgrade request required");
        }
    }

    /// <summary>The subprotocol wsstream's handshake picks: the first the client asks for that the server speaks; none asked is "".</summary>
    private static string? Negotiate(IList<string> requested, IReadOnlyList<string> supported)
    {
        var asked = requested.Count == 0 ? [""] : requested;
        return asked.FirstOrDefault(p => supported.Contains(p, StringComparer.Ordinal));
    }

    private async Task ExecAsync(HttpContext context, Call call, Target target, IQueryCollection query, Action<int> record)
    {
        var command = query["command"].Select(c => c ?? "").ToList();
        bool Flag(string name) => query[name].ToString() is "1" or "true" or "True";
        var (stdin, stdout, stderr, tty) = (Flag("stdin"), Flag("stdout"), Flag("stderr"), Flag("tty"));
        string podName;
        string container;
        bool running;
        ExecHandler? handler;
        lock (gate)
        {
            var pod = Get(target.Resource, target.Namespace, target.Name!);
            podName = pod.Name;
            container = StreamContainer(pod, query["container"].ToString());
            if (command.Count == 0)
            {
                throw ApiError.BadRequest("you must specify at least 1 command");
            }

            running = ContainerRunning(pod, container);
            handler = ProgramFor(target.Namespace!, container, command[0]);
        }

        RequireUpgrade(context);

        var protocol = Negotiate(context.WebSockets.WebSocketRequestedProtocols, [V5, V4, V1, ""])
            ?? throw ApiError.BadRequest($"requested protocol(s) are not supported: [{string.Join(" ", context.WebSockets.WebSocketRequestedProtocols)}]; supports [{V5} {V4} {V1}]");
        var translated = protocol == V5;
        var notFound = $"container not found (\"{container}\")";
        if (!running && !translated)
        {
            // The kubelet answers the proxied upgrade itself (pkg/kubelet/server/server.go getExec, streaming.WriteError).
            throw new ApiError(500, "InternalError", notFound);
        }

        record(101);
        using var socket = await context.WebSockets.AcceptWebSocketAsync(protocol.Length == 0 ? null : protocol);
        var writer = new ChannelWriter(socket, protocol);
        using var end = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, stopping.Token);

        // Tell the client the streams are open: an empty message on the lowest writable channel.
        await writer.WriteAsync(stdout ? (byte)1 : stderr ? (byte)2 : (byte)3, ReadOnlyMemory<byte>.Empty, end.Token);
        JsonObject status;
        if (!running)
        {
            status = FailureStatus(500, "InternalError", $"Internal error occurred: unable to upgrade connection: {notFound}");
        }
        else if (handler is null)
        {
            // runc cannot start a missing executable; containerd's error reaches the client as an internal error
            // (pkg/kubelet/cri/streaming/remotecommand/exec.go ServeExec), wrapped once more by the v5 translator.
            var runtime = $"error executing command in container: failed to exec in container: failed to start exec \"{Hex(call.Path + command[0], 64)}\": OCI runtime exec failed: exec failed: unable to start container process: exec: \"{command[0]}\": executable file not found in $PATH: unknown";
            status = FailureStatus(500, "InternalError", translated ? $"Internal error occurred: error executing remote command: Internal error occurred: {runtime}" : $"Internal error occurred: {runtime}");
        }
        else
        {
            var input = new Pipe();
            var process = new ExecProcess(target.Namespace!, podName, container, command, tty, input.Reader.AsStream(), writer.Stream(stdout ? (byte)1 : null), writer.Stream(tty ? (stdout ? (byte)1 : null) : stderr ? (byte)2 : null));
            var reading = ReadChannelsAsync(socket, translated, (channel, data) => channel == 0 && stdin ? input.Writer.WriteAsync(data, end.Token).AsTask() : Task.CompletedTask, channel =>
            {
                if (channel == 0)
                {
                    input.Writer.Complete();
                }
            }, end.Token);
            if (!stdin)
            {
                input.Writer.Complete();
            }

            // The client leaving ends the process's stdin; the process itself runs to its end.
            _ = reading.ContinueWith(_ => input.Writer.Complete(), TaskScheduler.Default);
            var exitCode = await handler(process, end.Token);

            // containerd reports a non-zero exit as an exec.CodeExitError; the v5 translator rewords it as client-go does.
            var exitMessage = translated ? $"command terminated with exit code {exitCode}" : $"error executing command [{string.Join(" ", command)}], exit code {exitCode}";
            status = exitCode == 0
                ? new JsonObject { ["metadata"] = new JsonObject(), ["status"] = "Success" }
                : new JsonObject
                {
                    ["metadata"] = new JsonObject(),
                    ["status"] = "Failure",
                    ["message"] = $"command terminated with non-zero exit code: {exitMessage}",
                    ["reason"] = "NonZeroExitCode",
                    ["details"] = new JsonObject { ["causes"] = new JsonArray(new JsonObject { ["reason"] = "ExitCode", ["message"] = exitCode.ToString(System.Globalization.CultureInfo.InvariantCulture) }) },
                };
        }

        // v4 and v5 write the Status as JSON; the older protocols only a failure's message.
        var errorText = protocol is V5 or V4 ? status.ToJsonString() : status["status"]?.ToString() == "Success" ? "" : status["message"]?.ToString() ?? "";
        if (errorText.Length > 0)
        {
            await writer.WriteAsync(3, Encoding.UTF8.GetBytes(errorText), end.Token);
        }

        await CloseAsync(socket, end.Token);
    }

    private static JsonObject FailureStatus(int code, string reason, string message) => new()
    {
        ["metadata"] = new JsonObject(),
        ["status"] = "Failure",
        ["message"] = message,
        ["reason"] = reason,
        ["code"] = code,
    };

    /// <summary>validateContainer (pkg/registry/core/pod/strategy.go): the only container when none is named.</summary>
    private static string StreamContainer(StoredObject pod, string asked)
    {
        var names = (pod.Body["spec"]?["containers"]?.AsArray() ?? []).Select(c => c?["name"]?.ToString() ?? "").ToList();
        var inits = (pod.Body["spec"]?["initContainers"]?.AsArray() ?? []).Select(c => c?["name"]?.ToString() ?? "").ToList();
        if (asked.Length == 0)
        {
            if (names.Count == 1)
            {
                return names[0];
            }

            var message = $"a container name must be specified for pod {pod.Name}, choose one of: [{string.Join(" ", names)}]";
            throw ApiError.BadRequest(inits.Count > 0 ? $"{message} or one of the init containers: [{string.Join(" ", inits)}]" : message);
        }

        if (!names.Contains(asked) && !inits.Contains(asked))
        {
            throw ApiError.BadRequest($"container {asked} is not valid for pod {pod.Name}");
        }

        if (string.IsNullOrEmpty(pod.Body["spec"]?["nodeName"]?.ToString()))
        {
            throw ApiError.BadRequest($"pod {pod.Name} does not have a host assigned");
        }

        return asked;
    }

    private static bool ContainerRunning(StoredObject pod, string container) =>
        pod.Body["metadata"]?["deletionTimestamp"] is null
        && (pod.Body["status"]?["containerStatuses"]?.AsArray() ?? []).Concat(pod.Body["status"]?["initContainerStatuses"]?.AsArray() ?? [])
            .Any(s => s?["name"]?.ToString() == container && s?["state"]?["running"] is not null);

    private ExecHandler? ProgramFor(string ns, string container, string argv0)
    {
        var file = argv0.Contains('/', StringComparison.Ordinal) ? argv0[(argv0.LastIndexOf('/') + 1)..] : argv0;
        return programs.GetValueOrDefault((ns, container, argv0)) ?? programs.GetValueOrDefault((ns, container, file));
    }

    /// <summary>
    /// Reads the client's messages until it closes: each binary message's first byte is its channel; with v5 a
    /// message [255, n] closes channel n (the client's stdin is done).
    /// </summary>
    private static async Task ReadChannelsAsync(WebSocket socket, bool v5, Func<byte, ReadOnlyMemory<byte>, Task> data, Action<byte> closed, CancellationToken cancellationToken)
    {
        var buffer = new byte[32 * 1024];
        using var message = new MemoryStream();
        try
        {
            while (socket.State == WebSocketState.Open)
            {
                message.SetLength(0);
                WebSocketReceiveResult result;
                do
                {
                    result = await socket.ReceiveAsync(buffer, cancellationToken);
                    message.Write(buffer, 0, result.Count);
                }
                while (!result.EndOfMessage && result.MessageType != WebSocketMessageType.Close);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    return;
                }

                var bytes = message.ToArray();
                if (bytes.Length == 0)
                {
                    continue;
                }

                if (v5 && bytes[0] == 255 && bytes.Length > 1)
                {
                    closed(bytes[1]);
                    continue;
                }

                await data(bytes[0], bytes.AsMemory(1));
            }
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException or IOException or InvalidOperationException)
        {
            // The client went away (or wrote on a channel it had closed).
        }
    }

    /// <summary>
    /// Sends the close frame after the last message, as wsstream's Conn.Close does (x/net/websocket WriteClose, then the
    /// connection is closed). Bounded by the connection's own end (the client leaving, the server stopping), not by a
    /// time: a cancelled close aborts the socket without its frame, and kubectl then reports "error reading from error
    /// stream ... abnormal closure" instead of the exit code it already received. On a loaded machine the flush of the
    /// frame can outlast any fixed limit (the 5 s one this had made kubectl exec tests fail under load).
    /// </summary>
    private static async Task CloseAsync(WebSocket socket, CancellationToken connectionEnd)
    {
        try
        {
            if (socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
            {
                await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, connectionEnd);
            }
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException or IOException)
        {
            // Already gone.
        }
    }

    private async Task PortForwardAsync(HttpContext context, Call call, Target target, IQueryCollection query, Action<int> record)
    {
        // PortForwardLocation (pkg/registry/core/pod/strategy.go) passes "ports" on as the kubelet's "port" parameters.
        var ports = new List<int>();
        foreach (var value in query["ports"].SelectMany(v => (v ?? "").Split(',')))
        {
            if (!ushort.TryParse(value, out var port) || port < 1)
            {
                throw ApiError.BadRequest($"unable to parse \"{value}\" as a port");
            }

            ports.Add(port);
        }

        string podName;
        string uid;
        bool running;
        lock (gate)
        {
            var pod = Get(target.Resource, target.Namespace, target.Name!);
            podName = pod.Name;
            uid = pod.Body["metadata"]?["uid"]?.ToString() ?? "";
            running = pod.Body["metadata"]?["deletionTimestamp"] is null && pod.Body["status"]?["phase"]?.ToString() == "Running";
        }

        RequireUpgrade(context);

        var protocol = Negotiate(context.WebSockets.WebSocketRequestedProtocols, [SpdyTunnelProtocol, V4, ""])
            ?? throw ApiError.BadRequest($"requested protocol(s) are not supported: [{string.Join(" ", context.WebSockets.WebSocketRequestedProtocols)}]; supports [{SpdyTunnelProtocol} {V4}]");
        if (!running)
        {
            throw new ApiError(500, "InternalError", $"pod not found (\"{podName}_{target.Namespace}\")");
        }

        if (protocol != SpdyTunnelProtocol && ports.Count == 0)
        {
            throw ApiError.BadRequest("query parameter \"port\" is required");
        }

        record(101);

        // "SPDY/3.1+portforward.k8s.io" is no RFC 6455 token ('/'), which ASP.NET refuses to accept as a subprotocol
        // while Go's gorilla/websocket takes it: the header is written here and the WebSocket accepted without one.
        WebSocket socket;
        if (protocol == SpdyTunnelProtocol)
        {
            context.Response.Headers.SecWebSocketProtocol = protocol;
            socket = await context.WebSockets.AcceptWebSocketAsync();
        }
        else
        {
            socket = await context.WebSockets.AcceptWebSocketAsync(protocol.Length == 0 ? null : protocol);
        }

        using var accepted = socket;
        using var end = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, stopping.Token);
        var ns = target.Namespace!;
        if (protocol == SpdyTunnelProtocol)
        {
            await new SpdyTunnel(socket, (port, stream, token) => ForwardPortAsync(ns, podName, uid, port, stream, token)).RunAsync(end.Token);
            await CloseAsync(socket, end.Token);
            return;
        }

        var writer = new ChannelWriter(socket, protocol);
        var inputs = new Pipe[ports.Count];
        for (var i = 0; i < ports.Count; i++)
        {
            inputs[i] = new Pipe();
            var portBytes = new[] { (byte)(ports[i] & 0xff), (byte)(ports[i] >> 8) };
            await writer.WriteAsync((byte)(i * 2), portBytes, end.Token);
            await writer.WriteAsync((byte)(i * 2 + 1), portBytes, end.Token);
        }

        var reading = ReadChannelsAsync(socket, false, (channel, data) => channel % 2 == 0 && channel / 2 < inputs.Length ? inputs[channel / 2].Writer.WriteAsync(data, end.Token).AsTask() : Task.CompletedTask, _ => { }, end.Token);
        _ = reading.ContinueWith(_ => Array.ForEach(inputs, p => p.Writer.Complete()), TaskScheduler.Default);
        await Task.WhenAll(ports.Select(async (port, i) =>
        {
            var stream = new DuplexStream(inputs[i].Reader.AsStream(), writer.Stream((byte)(i * 2))!);
            if (await ForwardPortAsync(ns, podName, uid, port, stream, end.Token) is { } error)
            {
                await writer.WriteAsync((byte)(i * 2 + 1), Encoding.UTF8.GetBytes(error), end.Token);
            }
        }));
        await CloseAsync(socket, end.Token);
    }

    /// <summary>
    /// The runtime's port-forward: a connection to the port in the Pod, copied both ways until both sides end. An
    /// error is returned as the kubelet words it (portforward/websocket.go and httpstream.go portForward).
    /// </summary>
    private async Task<string?> ForwardPortAsync(string ns, string podName, string uid, int port, Stream stream, CancellationToken cancellationToken)
    {
        EndPoint? endpoint;
        lock (gate)
        {
            endpoint = podPorts.GetValueOrDefault((ns, port));
        }

        // containerd's portforward dials localhost:port in the Pod's network namespace (internal/cri/server/sandbox_portforward_linux.go).
        var refused = $"error forwarding port {port} to pod {podName}, uid {uid}: failed to connect to localhost:{port} inside namespace \"{podName}\", IPv4: dial tcp4 127.0.0.1:{port}: connect: connection refused IPv6 dial tcp6 [::1]:{port}: connect: connection refused ";
        if (endpoint is null)
        {
            return refused;
        }

        using var socket = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            await socket.ConnectAsync(endpoint, cancellationToken);
        }
        catch (SocketException)
        {
            return refused;
        }

        await using var network = new NetworkStream(socket, ownsSocket: false);
        var toPod = Task.Run(
            async () =>
            {
                try
                {
                    await stream.CopyToAsync(network, cancellationToken);
                    socket.Shutdown(SocketShutdown.Send);
                }
                catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
                {
                    // Either side went away.
                }
            },
            CancellationToken.None);
        try
        {
            await network.CopyToAsync(stream, cancellationToken);
        }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
        {
            // Either side went away.
        }

        await toPod.WaitAsync(cancellationToken).ContinueWith(_ => { }, TaskScheduler.Default);
        return null;
    }

    /// <summary>Writes channel messages on a WebSocket, one writer at a time (wsstream Conn.write).</summary>
    private sealed class ChannelWriter(WebSocket socket, string protocol)
    {
        private readonly SemaphoreSlim writing = new(1, 1);

        public string Protocol { get; } = protocol;

        public async Task WriteAsync(byte channel, ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
        {
            var frame = new byte[data.Length + 1];
            frame[0] = channel;
            data.CopyTo(frame.AsMemory(1));
            await writing.WaitAsync(cancellationToken);
            try
            {
                if (socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
                {
                    await socket.SendAsync(frame, WebSocketMessageType.Binary, true, cancellationToken);
                }
            }
            finally
            {
                writing.Release();
            }
        }

        /// <summary>A stream whose writes go out on <paramref name="channel"/>; null for a channel not asked for (writes are dropped, as IgnoreChannel does).</summary>
        public Stream Stream(byte? channel) => new ChannelStream(this, channel);
    }

    private sealed class ChannelStream(ChannelWriter writer, byte? channel) : Stream
    {
        public override bool CanRead => false;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override void Flush()
        {
        }

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => WriteAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

        public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (channel is { } number && buffer.Length > 0)
            {
                await writer.WriteAsync(number, buffer, cancellationToken);
            }
        }
    }

    /// <summary>One stream read from one side and written to another: a forwarded connection's two directions.</summary>
    private sealed class DuplexStream(Stream input, Stream output) : Stream
    {
        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override void Flush() => output.Flush();

        public override int Read(byte[] buffer, int offset, int count) => input.Read(buffer, offset, count);

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => input.ReadAsync(buffer, cancellationToken);

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => output.Write(buffer, offset, count);

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) => output.WriteAsync(buffer, cancellationToken);
    }
}
