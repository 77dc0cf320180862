using System.Globalization;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace Kompox.Testing.FakeArm;

/// <summary>One request as the fake received it.</summary>
public sealed record FakeRequest(string Method, string Path, IReadOnlyDictionary<string, string> Query, IReadOnlyDictionary<string, string> Headers, byte[] Body)
{
    public string Header(string name) => Headers.TryGetValue(name, out var value) ? value : string.Empty;

    public string BodyText => Encoding.UTF8.GetString(Body);
}

/// <summary>What the fake answers: a status, headers and a body written by <see cref="Write"/> (so a large body streams).</summary>
public sealed class FakeResponse
{
    public FakeResponse(int status, long length, Func<Stream, Task> write)
    {
        Status = status;
        Length = length;
        Write = write;
    }

    public int Status { get; }

    public long Length { get; }

    public Func<Stream, Task> Write { get; }

    public Dictionary<string, string> Headers { get; } = new(StringComparer.OrdinalIgnoreCase);

    public static FakeResponse Json(int status, string json)
    {
        var bytes = Encoding.UTF8.GetBytes(json);
        var response = new FakeResponse(status, bytes.Length, s => s.WriteAsync(bytes).AsTask());
        response.Headers["Content-Type"] = "application/json; charset=utf-8";
        return response;
    }

    public static FakeResponse Empty(int status) => new(status, 0, _ => Task.CompletedTask);
}

/// <summary>
/// HTTP/1.1 over TLS on 127.0.0.1 with a self-signed certificate, small enough to read: Content-Length bodies only,
/// keep-alive, one task per connection. <see cref="HttpListener"/> cannot do TLS on Linux, hence the socket.
/// </summary>
public sealed class HttpsServer : IDisposable
{
    private readonly TcpListener listener = new(IPAddress.Loopback, 0);
    private readonly Func<FakeRequest, Task<FakeResponse>> handle;
    private readonly CancellationTokenSource stop = new();

    public HttpsServer(Func<FakeRequest, Task<FakeResponse>> handle)
    {
        this.handle = handle;
        Certificate = CreateCertificate();
        listener.Start();
        Endpoint = new Uri($"https://127.0.0.1:{((IPEndPoint)listener.LocalEndpoint).Port}/");
        _ = AcceptAsync();
    }

    public Uri Endpoint { get; }

    public X509Certificate2 Certificate { get; }

    /// <summary>A handler that trusts this server's certificate and no other.</summary>
    public HttpClientHandler TrustingHandler() => new()
    {
        ServerCertificateCustomValidationCallback = (_, certificate, _, _) => certificate is not null && certificate.RawData.AsSpan().SequenceEqual(Certificate.RawData),
    };

    public void Dispose()
    {
        stop.Cancel();
        listener.Stop();
        Certificate.Dispose();
    }

    private static X509Certificate2 CreateCertificate()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=fake-arm", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(names.Build());
        using var ephemeral = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
        return X509CertificateLoader.LoadPkcs12(ephemeral.Export(X509ContentType.Pfx), null);
    }

    private async Task AcceptAsync()
    {
        while (!stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await listener.AcceptTcpClientAsync(stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }

            _ = ServeAsync(client);
        }
    }

    private async Task ServeAsync(TcpClient client)
    {
        using (client)
        {
            try
            {
                await using var tls = new SslStream(client.GetStream());
                await tls.AuthenticateAsServerAsync(new SslServerAuthenticationOptions { ServerCertificate = Certificate }, stop.Token);
                var reader = new BufferedStream(tls, 64 * 1024);
                while (await ReadRequestAsync(reader) is { } request)
                {
                    var response = await handle(request);
                    var head = new StringBuilder()
                        .Append(CultureInfo.InvariantCulture, $"HTTP/1.1 {response.Status} {ReasonPhrase(response.Status)}\r\n")
                        .Append(CultureInfo.InvariantCulture, $"Content-Length: {response.Length}\r\n");
                    foreach (var (name, value) in response.Headers)
                    {
                        head.Append(CultureInfo.InvariantCulture, $"{name}: {value}\r\n");
                    }

                    await tls.WriteAsync(Encoding.ASCII.GetBytes(head.Append("\r\n").ToString()), stop.Token);
                    if (request.Method != "HEAD")
                    {
                        await response.Write(tls);
                    }

                    await tls.FlushAsync(stop.Token);
                }
            }
            catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or ObjectDisposedException or System.Security.Authentication.AuthenticationException)
            {
                // The client went away or stopped reading (a canceled download); the connection ends here.
            }
        }
    }

    private static async Task<FakeRequest?> ReadRequestAsync(Stream stream)
    {
        var requestLine = await ReadLineAsync(stream);
        if (string.IsNullOrEmpty(requestLine))
        {
            return null;
        }

        var parts = requestLine.Split(' ');
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        for (var line = await ReadLineAsync(stream); !string.IsNullOrEmpty(line); line = await ReadLineAsync(stream))
        {
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            headers[line[..colon].Trim()] = line[(colon + 1)..].Trim();
        }

        var body = headers.TryGetValue("Content-Length", out var length) ? new byte[long.Parse(length, CultureInfo.InvariantCulture)] : Array.Empty<byte>();
        await stream.ReadExactlyAsync(body);

        var target = parts[1];
        var question = target.IndexOf('?', StringComparison.Ordinal);
        var path = Uri.UnescapeDataString(question < 0 ? target : target[..question]);
        var query = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        if (question >= 0)
        {
            foreach (var pair in target[(question + 1)..].Split('&', StringSplitOptions.RemoveEmptyEntries))
            {
                var equals = pair.IndexOf('=', StringComparison.Ordinal);
                query[Uri.UnescapeDataString(equals < 0 ? pair : pair[..equals])] = equals < 0 ? string.Empty : Uri.UnescapeDataString(pair[(equals + 1)..]);
            }
        }

        return new FakeRequest(parts[0], path, query, headers, body);
    }

    private static async Task<string?> ReadLineAsync(Stream stream)
    {
        var line = new List<byte>();
        var one = new byte[1];
        while (await stream.ReadAsync(one) == 1)
        {
            if (one[0] == '\n')
            {
                return Encoding.ASCII.GetString(line.ToArray()).TrimEnd('\r');
            }

            line.Add(one[0]);
        }

        return line.Count == 0 ? null : Encoding.ASCII.GetString(line.ToArray());
    }

    private static string ReasonPhrase(int status) => status switch
    {
        200 => "OK",
        201 => "Created",
        202 => "Accepted",
        204 => "No Content",
        206 => "Partial Content",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        409 => "Conflict",
        413 => "Request Entity Too Large",
        416 => "Range Not Satisfiable",
        429 => "Too Many Requests",
        _ => "Status",
    };
}
