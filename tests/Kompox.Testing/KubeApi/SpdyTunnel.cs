using System.Buffers.Binary;
using System.IO.Compression;
using System.IO.Pipelines;
using System.Net.WebSockets;
using System.Text;

namespace Kompox.Testing.KubeApi;

/// <summary>
/// The kubelet's SPDY/3.1 port-forward server, reached through the API server's WebSocket tunnel (subprotocol
/// "SPDY/3.1+portforward.k8s.io", KEP-4006): kubectl ≥ 1.31 writes its SPDY connection's bytes as binary WebSocket
/// messages (client-go tools/portforward/tunneling_connection.go, tunneling_dialer.go), and the API server hands them
/// on (staging/src/k8s.io/apiserver/pkg/util/proxy/streamtunnel.go). Frames as moby/spdystream spdy/types.go,
/// read.go and write.go lay them out; header blocks are one zlib stream per direction with the SPDY/3 dictionary.
/// Streams as pkg/kubelet/cri/streaming/portforward/httpstream.go pairs them: per connection an "error" and a "data"
/// stream with the same requestid and port headers; each is answered with SYN_REPLY, the pair forwarded to the port,
/// and an error written on the error stream. Flow control is not kept: spdystream does not keep it either.
/// </summary>
internal sealed class SpdyTunnel
{
    private const int SynStream = 1;
    private const int SynReply = 2;
    private const int RstStream = 3;
    private const int Ping = 6;
    private const int GoAway = 7;
    private const int Headers = 8;
    private const byte FlagFin = 1;

    private readonly WebSocket socket;
    private readonly Func<int, Stream, CancellationToken, Task<string?>> forward;
    private readonly SemaphoreSlim writing = new(1, 1);
    private readonly Dictionary<uint, Pipe> inputs = [];
    private readonly Dictionary<string, (uint? Error, uint? Data, int Port)> pairs = new(StringComparer.Ordinal);
    private readonly List<Task> forwarding = [];
    private readonly HeaderDecompressor decompressor = new();
    private readonly MemoryStream compressed = new();
    private byte[] pending = [];
    private int pendingAt;
    private bool compressorStarted;

    public SpdyTunnel(WebSocket socket, Func<int, Stream, CancellationToken, Task<string?>> forward)
    {
        this.socket = socket;
        this.forward = forward;
    }

    /// <summary>The SPDY/3 header compression dictionary (SPDY draft 3, 2.6.10.1; spdystream spdy/dictionary.go), 1423 bytes.</summary>
    internal static byte[] Dictionary { get; } = BuildDictionary();

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var header = new byte[8];
        try
        {
            while (await ReadExactAsync(header, cancellationToken))
            {
                var length = (header[5] << 16) | (header[6] << 8) | header[7];
                var payload = new byte[length];
                if (!await ReadExactAsync(payload, cancellationToken))
                {
                    break;
                }

                if ((header[0] & 0x80) == 0)
                {
                    var streamId = BinaryPrimitives.ReadUInt32BigEndian(header) & 0x7fffffff;
                    Pipe? input;
                    lock (inputs)
                    {
                        input = inputs.GetValueOrDefault(streamId);
                    }

                    if (input is not null)
                    {
                        if (payload.Length > 0)
                        {
                            await input.Writer.WriteAsync(payload, cancellationToken);
                        }

                        if ((header[4] & FlagFin) != 0)
                        {
                            await input.Writer.CompleteAsync();
                        }
                    }

                    continue;
                }

                var type = (header[2] << 8) | header[3];
                switch (type)
                {
                    case SynStream:
                        await OnSynStreamAsync(BinaryPrimitives.ReadUInt32BigEndian(payload) & 0x7fffffff, decompressor.Read(payload.AsSpan(10)), (header[4] & FlagFin) != 0, cancellationToken);
                        break;
                    case Headers:
                        // Read to keep the zlib stream in step; port-forward streams carry no later headers that matter.
                        decompressor.Read(payload.AsSpan(4));
                        break;
                    case RstStream:
                        CompleteInput(BinaryPrimitives.ReadUInt32BigEndian(payload) & 0x7fffffff);
                        break;
                    case Ping:
                        await WriteFrameAsync(Control(Ping, 0, payload), cancellationToken);
                        break;
                    case GoAway:
                        return;
                    default:
                        // SETTINGS, WINDOW_UPDATE: spdystream keeps no flow control, neither does the kubelet's side.
                        break;
                }
            }
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException or IOException)
        {
            // kubectl went away.
        }
        finally
        {
            lock (inputs)
            {
                foreach (var input in inputs.Values)
                {
                    input.Writer.Complete();
                }
            }

            Task[] running;
            lock (forwarding)
            {
                running = forwarding.ToArray();
            }

            await Task.WhenAll(running).ContinueWith(_ => { }, TaskScheduler.Default);
        }
    }

    private async Task OnSynStreamAsync(uint streamId, Dictionary<string, string> headers, bool fin, CancellationToken cancellationToken)
    {
        // httpStreamReceived: a port and a stream type of error or data, else the stream is reset.
        var type = headers.GetValueOrDefault("streamtype");
        if (!ushort.TryParse(headers.GetValueOrDefault("port"), out var port) || port < 1 || type is not ("error" or "data"))
        {
            await WriteFrameAsync(Control(RstStream, 0, [.. BigEndian(streamId), .. BigEndian(5)]), cancellationToken);
            return;
        }

        var input = new Pipe();
        if (fin)
        {
            input.Writer.Complete();
        }

        lock (inputs)
        {
            inputs[streamId] = input;
        }

        await WriteSynReplyAsync(streamId, cancellationToken);

        // Older clients send no requestid: the kubelet derives one from the stream ids (httpstream.go requestID).
        var requestId = headers.GetValueOrDefault("requestid") ?? (type == "error" ? streamId : streamId - 2).ToString(System.Globalization.CultureInfo.InvariantCulture);
        (uint? Error, uint? Data, int Port) pair;
        lock (pairs)
        {
            pair = pairs.GetValueOrDefault(requestId, (null, null, port));
            pair = type == "error" ? pair with { Error = streamId } : pair with { Data = streamId };
            pairs[requestId] = pair;
            if (pair.Error is null || pair.Data is null)
            {
                return;
            }

            pairs.Remove(requestId);
        }

        var (errorStream, dataStream) = (pair.Error.Value, pair.Data.Value);
        var task = Task.Run(
            async () =>
            {
                Pipe data;
                lock (inputs)
                {
                    data = inputs[dataStream];
                }

                var error = await forward(pair.Port, new TunnelStream(this, dataStream, data.Reader.AsStream()), cancellationToken);
                if (error is not null)
                {
                    await WriteDataAsync(errorStream, Encoding.UTF8.GetBytes(error), 0, cancellationToken);
                }

                // portForward closes both streams when done: a FIN on each.
                await WriteDataAsync(dataStream, [], FlagFin, cancellationToken);
                await WriteDataAsync(errorStream, [], FlagFin, cancellationToken);
            },
            CancellationToken.None);
        lock (forwarding)
        {
            forwarding.Add(task.ContinueWith(_ => { }, TaskScheduler.Default));
        }
    }

    private void CompleteInput(uint streamId)
    {
        lock (inputs)
        {
            inputs.GetValueOrDefault(streamId)?.Writer.Complete();
        }
    }

    /// <summary>Reads exactly <paramref name="into"/>'s length from the tunnel's messages; false when the tunnel closed first.</summary>
    private async Task<bool> ReadExactAsync(Memory<byte> into, CancellationToken cancellationToken)
    {
        var filled = 0;
        while (filled < into.Length)
        {
            if (pendingAt == pending.Length)
            {
                using var message = new MemoryStream();
                var buffer = new byte[64 * 1024];
                WebSocketReceiveResult result;
                do
                {
                    result = await socket.ReceiveAsync(buffer, cancellationToken);
                    if (result.MessageType == WebSocketMessageType.Close)
                    {
                        return false;
                    }

                    message.Write(buffer, 0, result.Count);
                }
                while (!result.EndOfMessage);
                (pending, pendingAt) = (message.ToArray(), 0);
                continue;
            }

            var n = Math.Min(into.Length - filled, pending.Length - pendingAt);
            pending.AsMemory(pendingAt, n).CopyTo(into[filled..]);
            (pendingAt, filled) = (pendingAt + n, filled + n);
        }

        return true;
    }

    private async Task WriteSynReplyAsync(uint streamId, CancellationToken cancellationToken)
    {
        await writing.WaitAsync(cancellationToken);
        try
        {
            // The reply carries no headers (the kubelet's SendReply(http.Header{})): a block of zero pairs.
            var block = Compress([0, 0, 0, 0]);
            await SendAsync(Control(SynReply, 0, [.. BigEndian(streamId), .. block]), cancellationToken);
        }
        finally
        {
            writing.Release();
        }
    }

    private async Task WriteDataAsync(uint streamId, byte[] data, byte flags, CancellationToken cancellationToken)
    {
        var frame = new byte[8 + data.Length];
        BinaryPrimitives.WriteUInt32BigEndian(frame, streamId & 0x7fffffff);
        frame[4] = flags;
        frame[5] = (byte)(data.Length >> 16);
        frame[6] = (byte)(data.Length >> 8);
        frame[7] = (byte)data.Length;
        data.CopyTo(frame, 8);
        await WriteFrameAsync(frame, cancellationToken);
    }

    private async Task WriteFrameAsync(byte[] frame, CancellationToken cancellationToken)
    {
        await writing.WaitAsync(cancellationToken);
        try
        {
            await SendAsync(frame, cancellationToken);
        }
        finally
        {
            writing.Release();
        }
    }

    private async Task SendAsync(byte[] frame, CancellationToken cancellationToken)
    {
        // TunnelingConnection.Write: each write is one binary message.
        if (socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
        {
            await socket.SendAsync(frame, WebSocketMessageType.Binary, true, cancellationToken);
        }
    }

    private static byte[] Control(int type, byte flags, byte[] payload)
    {
        var frame = new byte[8 + payload.Length];
        frame[0] = 0x80;
        frame[1] = 3;
        frame[2] = (byte)(type >> 8);
        frame[3] = (byte)type;
        frame[4] = flags;
        frame[5] = (byte)(payload.Length >> 16);
        frame[6] = (byte)(payload.Length >> 8);
        frame[7] = (byte)payload.Length;
        payload.CopyTo(frame, 8);
        return frame;
    }

    private static byte[] BigEndian(uint value)
    {
        var bytes = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(bytes, value);
        return bytes;
    }

    /// <summary>
    /// The next piece of this direction's zlib stream: a stored (uncompressed) deflate block and an empty one, which is
    /// what a sync flush ends with and what makes the reader hand the bytes over. Without a preset dictionary the
    /// stream's header has no FDICT, which Go's zlib.NewReaderDict accepts.
    /// </summary>
    private byte[] Compress(byte[] block)
    {
        compressed.SetLength(0);
        if (!compressorStarted)
        {
            compressed.Write([0x78, 0x01]);
            compressorStarted = true;
        }

        compressed.Write([0x00, (byte)block.Length, (byte)(block.Length >> 8), (byte)~block.Length, (byte)(~block.Length >> 8)]);
        compressed.Write(block);
        compressed.Write([0x00, 0x00, 0x00, 0xff, 0xff]);
        return compressed.ToArray();
    }

    private static byte[] BuildDictionary()
    {
        string[] entries =
        [
            "options", "head", "post", "put", "delete", "trace", "accept", "accept-charset", "accept-encoding", "accept-language",
            "accept-ranges", "age", "allow", "authorization", "cache-control", "connection", "content-base", "content-encoding",
            "content-language", "content-length", "content-location", "content-md5", "content-range", "content-type", "date",
            "etag", "expect", "expires", "from", "host", "if-match", "if-modified-since", "if-none-match", "if-range",
            "if-unmodified-since", "last-modified", "location", "max-forwards", "pragma", "proxy-authenticate",
            "proxy-authorization", "range", "referer", "retry-after", "server", "te", "trailer", "transfer-encoding", "upgrade",
            "user-agent", "vary", "via", "warning", "www-authenticate", "method", "get", "status", "200 OK", "version",
            "HTTP/1.1", "url", "public", "set-cookie", "keep-alive", "origin",
        ];
        const string Tail = "100101201202205206300302303304305306307402405406407408409410411412413414415416417502504505203 Non-Authoritative Information204 No Content301 Moved Permanently400 Bad Request401 Unauthorized403 Forbidden404 Not Found500 Internal Server Error501 Not Implemented503 Service UnavailableJan Feb Mar Apr May Jun Jul Aug Sept Oct Nov Dec 00:00:00 Mon, Tue, Wed, Thu, Fri, Sat, Sun, GMTchunked,text/html,image/png,image/jpg,image/gif,application/xml,application/xhtml+xml,text/plain,text/javascript,publicprivatemax-age=gzip,deflate,sdchcharset=utf-8charset=iso-8859-1,utf-,*,enq=0.";
        var bytes = new List<byte>();
        foreach (var entry in entries)
        {
            bytes.AddRange(BigEndian((uint)entry.Length));
            bytes.AddRange(Encoding.ASCII.GetBytes(entry));
        }

        bytes.AddRange(Encoding.ASCII.GetBytes(Tail));
        return bytes.ToArray();
    }

    /// <summary>
    /// The client's header blocks: one zlib stream with the SPDY dictionary preset. .NET's inflater takes no preset
    /// dictionary, so the raw deflate data is read after a stored block holding the dictionary, whose bytes are then
    /// skipped: the same window the dictionary would give.
    /// </summary>
    private sealed class HeaderDecompressor
    {
        private readonly FeedStream feed = new();
        private DeflateStream? inflater;

        public Dictionary<string, string> Read(ReadOnlySpan<byte> block)
        {
            if (inflater is null)
            {
                // zlib header: CMF, FLG with FDICT, then the dictionary's Adler-32.
                if (block.Length < 6 || (block[1] & 0x20) == 0 || BinaryPrimitives.ReadUInt32BigEndian(block[2..]) != Adler32(Dictionary))
                {
                    throw new IOException("the first SPDY header block does not use the SPDY/3 dictionary");
                }

                feed.Add([0x00, (byte)Dictionary.Length, (byte)(Dictionary.Length >> 8), (byte)~Dictionary.Length, (byte)(~Dictionary.Length >> 8), .. Dictionary]);
                feed.Add(block[6..].ToArray());
                inflater = new DeflateStream(feed, CompressionMode.Decompress);
                ReadExact(Dictionary.Length);
            }
            else
            {
                feed.Add(block.ToArray());
            }

            var count = BinaryPrimitives.ReadUInt32BigEndian(ReadExact(4));
            var headers = new Dictionary<string, string>(StringComparer.Ordinal);
            for (var i = 0; i < count; i++)
            {
                var name = Encoding.UTF8.GetString(ReadExact((int)BinaryPrimitives.ReadUInt32BigEndian(ReadExact(4))));
                var value = Encoding.UTF8.GetString(ReadExact((int)BinaryPrimitives.ReadUInt32BigEndian(ReadExact(4))));

                // Several values of one name are joined by NUL; the first is the one Header.Get returns.
                headers[name] = value.Split('\0')[0];
            }

            return headers;
        }

        private byte[] ReadExact(int length)
        {
            var bytes = new byte[length];
            var filled = 0;
            while (filled < length)
            {
                var n = inflater!.Read(bytes, filled, length - filled);
                if (n == 0)
                {
                    throw new IOException("a SPDY header block ended early");
                }

                filled += n;
            }

            return bytes;
        }

        private static uint Adler32(byte[] data)
        {
            uint a = 1;
            uint b = 0;
            foreach (var d in data)
            {
                a = (a + d) % 65521;
                b = (b + a) % 65521;
            }

            return (b << 16) | a;
        }
    }

    /// <summary>The compressed bytes received so far; reading past them is a protocol error, never a wait.</summary>
    private sealed class FeedStream : Stream
    {
        private readonly Queue<byte[]> chunks = new();
        private int offset;

        public void Add(byte[] chunk) => chunks.Enqueue(chunk);

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override void Flush()
        {
        }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            while (chunks.Count > 0 && this.offset == chunks.Peek().Length)
            {
                chunks.Dequeue();
                this.offset = 0;
            }

            if (chunks.Count == 0)
            {
                throw new IOException("a SPDY header block's compressed data ended early");
            }

            var chunk = chunks.Peek();
            var n = Math.Min(buffer.Length, chunk.Length - this.offset);
            chunk.AsSpan(this.offset, n).CopyTo(buffer);
            this.offset += n;
            return n;
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }

    /// <summary>A forwarded connection as the runtime sees it: reads the data stream's bytes, writes DATA frames.</summary>
    private sealed class TunnelStream(SpdyTunnel tunnel, uint streamId, Stream input) : Stream
    {
        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override void Flush()
        {
        }

        public override int Read(byte[] buffer, int offset, int count) => input.Read(buffer, offset, count);

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => input.ReadAsync(buffer, cancellationToken);

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => WriteAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

        public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (buffer.Length > 0)
            {
                await tunnel.WriteDataAsync(streamId, buffer.ToArray(), 0, cancellationToken);
            }
        }
    }
}
