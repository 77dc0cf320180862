using System.Net;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Runtime.CompilerServices;
using System.Text;
using System.Threading.Channels;
using k8s;

namespace Kompox.Operations;

/// <summary>Which port of which service <see cref="IAppOperations.ForwardPortAsync"/> forwards, and where it listens.</summary>
public sealed record AppPortForwardOptions
{
    /// <summary>The compose service whose container listens on <see cref="Port"/>.</summary>
    public required string Service { get; init; }

    /// <summary>The port in the Pod.</summary>
    public required int Port { get; init; }

    /// <summary>The local port; 0 for one the system picks.</summary>
    public int LocalPort { get; init; }

    /// <summary>The local address; the loopback address unless given, so that only this machine reaches the app.</summary>
    public IPAddress LocalAddress { get; init; } = IPAddress.Loopback;
}

public enum AppPortForwardEventKind
{
    /// <summary>The local listener is up at <see cref="AppPortForwardEvent.Local"/>.</summary>
    Listening,

    /// <summary>A local connection came and is forwarded to <see cref="AppPortForwardEvent.Pod"/>.</summary>
    Connected,

    /// <summary>A forwarded connection ended.</summary>
    Closed,

    /// <summary>A connection could not be forwarded; <see cref="AppPortForwardEvent.Error"/> says why.</summary>
    Failed,
}

/// <summary>What happened on the forward: the listener, and each connection.</summary>
public sealed record AppPortForwardEvent(AppPortForwardEventKind Kind, IPEndPoint Local, int Port, string? Remote = null, string? Pod = null, string? Error = null);

/// <summary>
/// The port-forward use case: a local listener; each connection to it is forwarded over its own pods/portforward
/// WebSocket (v4.channel.k8s.io: a data and an error channel, each starting with the port; kubernetes
/// pkg/kubelet/cri/streaming/portforward/websocket.go) to the service's port in the app's running Pod, found afresh for
/// each connection so that forwarding goes on across a restart. Runs until cancelled.
/// </summary>
internal static class AppPortForward
{
    internal const string Protocol = "v4.channel.k8s.io";

    public static async IAsyncEnumerable<AppPortForwardEvent> RunAsync(OperationScope scope, AppPortForwardOptions options, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        if (options.Port is < 1 or > 65535)
        {
            throw new KompoxException("InvalidPort", ErrorKind.InvalidArgument, $"port {options.Port} is not a port: give 1 to 65535") { Target = "Port", Remedy = Remedy.ChangeOption("Port") };
        }

        if (options.LocalPort is < 0 or > 65535)
        {
            throw new KompoxException("InvalidPort", ErrorKind.InvalidArgument, $"local port {options.LocalPort} is not a port: give 1 to 65535, or 0 for any") { Target = "LocalPort", Remedy = Remedy.ChangeOption("LocalPort") };
        }

        // The app runs and has the service before anything listens: a mistake shows at once, not at the first connection.
        await AppExec.RunningContainerAsync(scope, options.Service, cancellationToken).ConfigureAwait(false);
        var listener = new TcpListener(options.LocalAddress, options.LocalPort);
        try
        {
            listener.Start();
        }
        catch (SocketException e) when (e.SocketErrorCode is SocketError.AddressAlreadyInUse or SocketError.AccessDenied)
        {
            throw new KompoxException("LocalPortInUse", ErrorKind.Conflict, $"cannot listen on {options.LocalAddress}:{options.LocalPort}: {e.Message}", e) { Target = "LocalPort", Remedy = Remedy.ChangeOption("LocalPort") };
        }

        var local = (IPEndPoint)listener.LocalEndpoint;
        var events = Channel.CreateUnbounded<AppPortForwardEvent>(new UnboundedChannelOptions { SingleReader = true });
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var connections = new List<Task>();
        var accepting = Task.Run(
            async () =>
            {
                try
                {
                    while (true)
                    {
                        var client = await listener.AcceptTcpClientAsync(stop.Token).ConfigureAwait(false);
                        lock (connections)
                        {
                            connections.Add(ForwardAsync(scope, options, local, client, events.Writer, stop.Token));
                        }
                    }
                }
                catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
                {
                    // Stopped.
                }
            },
            CancellationToken.None);
        scope.Step($"forwarding {local} to port {options.Port} of {options.Service}");
        try
        {
            yield return new AppPortForwardEvent(AppPortForwardEventKind.Listening, local, options.Port);
            await foreach (var item in events.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                yield return item;
            }
        }
        finally
        {
            await stop.CancelAsync().ConfigureAwait(false);
            listener.Stop();
            await accepting.ConfigureAwait(false);
            Task[] running;
            lock (connections)
            {
                running = connections.ToArray();
            }

            await Task.WhenAll(running).ConfigureAwait(false);
        }
    }

    /// <summary>One local connection: its own WebSocket to the Pod's port, copied both ways until either side ends.</summary>
    private static async Task ForwardAsync(OperationScope scope, AppPortForwardOptions options, IPEndPoint local, TcpClient client, ChannelWriter<AppPortForwardEvent> events, CancellationToken cancellationToken)
    {
        var remote = client.Client.RemoteEndPoint?.ToString();
        using (client)
        {
            try
            {
                var (pod, _) = await AppExec.RunningContainerAsync(scope, options.Service, cancellationToken).ConfigureAwait(false);
                using var socket = await scope.Kube.WebSocketNamespacedPodPortForwardAsync(pod.Metadata.Name, pod.Metadata.NamespaceProperty, [options.Port], Protocol, cancellationToken: cancellationToken).ConfigureAwait(false);
                events.TryWrite(new AppPortForwardEvent(AppPortForwardEventKind.Connected, local, options.Port, remote, pod.Metadata.Name));
                var error = await PumpAsync(socket, client.GetStream(), cancellationToken).ConfigureAwait(false);
                events.TryWrite(error.Length == 0
                    ? new AppPortForwardEvent(AppPortForwardEventKind.Closed, local, options.Port, remote, pod.Metadata.Name)
                    : new AppPortForwardEvent(AppPortForwardEventKind.Failed, local, options.Port, remote, pod.Metadata.Name, error));
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                // The forward stops.
            }
            catch (Exception e)
            {
                events.TryWrite(new AppPortForwardEvent(AppPortForwardEventKind.Failed, local, options.Port, remote, Error: ErrorTranslation.Translate(e, scope.Doing, cancellationToken).Message));
            }
        }
    }

    /// <summary>Copies both ways; returns what the error channel said (empty when nothing went wrong).</summary>
    private static async Task<string> PumpAsync(WebSocket socket, NetworkStream local, CancellationToken cancellationToken)
    {
        var error = new StringBuilder();
        using var localDone = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var sending = Task.Run(
            async () =>
            {
                var buffer = new byte[32 * 1024];
                try
                {
                    int read;
                    while ((read = await local.ReadAsync(buffer.AsMemory(1, buffer.Length - 1), localDone.Token).ConfigureAwait(false)) > 0)
                    {
                        buffer[0] = 0;
                        await socket.SendAsync(buffer.AsMemory(0, read + 1), WebSocketMessageType.Binary, true, localDone.Token).ConfigureAwait(false);
                    }

                    // v4 has no half-close: the local side's end closes the WebSocket; what the Pod still sends comes on.
                    await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, localDone.Token).ConfigureAwait(false);
                }
                catch (Exception e) when (e is IOException or SocketException or WebSocketException or OperationCanceledException or ObjectDisposedException)
                {
                    // Either side went away.
                }
            },
            CancellationToken.None);

        // Each channel starts with the port (uint16 little endian), which is not data.
        var skip = new[] { 2, 2 };
        var receive = new byte[64 * 1024];
        int? channel = null;
        try
        {
            while (socket.State is WebSocketState.Open or WebSocketState.CloseSent)
            {
                var result = await socket.ReceiveAsync(receive.AsMemory(), cancellationToken).ConfigureAwait(false);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    break;
                }

                var data = receive.AsMemory(0, result.Count);
                if (channel is null && data.Length > 0)
                {
                    channel = data.Span[0];
                    data = data[1..];
                }

                if (channel is 0 or 1)
                {
                    var dropped = Math.Min(skip[channel.Value], data.Length);
                    skip[channel.Value] -= dropped;
                    data = data[dropped..];
                    if (channel == 0)
                    {
                        await local.WriteAsync(data, cancellationToken).ConfigureAwait(false);
                    }
                    else
                    {
                        error.Append(Encoding.UTF8.GetString(data.Span));
                    }
                }

                if (result.EndOfMessage)
                {
                    channel = null;
                }
            }
        }
        catch (Exception e) when (e is IOException or SocketException or WebSocketException)
        {
            // Either side went away.
        }

        // The Pod's side ended: so does the local connection, whatever it still sends.
        try
        {
            local.Socket.Shutdown(SocketShutdown.Send);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            // The local side is gone already.
        }

        await localDone.CancelAsync().ConfigureAwait(false);
        await sending.ConfigureAwait(false);
        return error.ToString();
    }
}
