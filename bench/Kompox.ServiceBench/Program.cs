using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

// The service benchmark (issue 15): GET /v1/apps for a user with 100 apps, 64 connections, against a bare ASP.NET Core
// endpoint that answers the same JSON from memory, both measured in this run, each as its own process. Self-contained:
// the load generator is here (no wrk needed). Usage: Kompox.ServiceBench <Kompox.Service.dll> [seconds]
//                                                  Kompox.ServiceBench --bare <json file>   (the bare endpoint)
if (args is ["--bare", var file])
{
    var json = await File.ReadAllBytesAsync(file);
    var builder = WebApplication.CreateSlimBuilder();
    builder.Logging.ClearProviders();
    var bare = builder.Build();
    bare.MapGet("/v1/apps", () => Results.Bytes(json, "application/json"));
    await bare.StartAsync();
    Console.WriteLine($"listening {bare.Urls.First()}");
    await bare.WaitForShutdownAsync();
    return 0;
}

var serviceDll = Path.GetFullPath(args[0]);
var seconds = args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 10;
const int Connections = 64;
const string AdminToken = "kpx_bench-administrator-token-0000000000000000000";
var data = Directory.CreateTempSubdirectory("kompox-bench-").FullName;
try
{
    using var service = Server.Start("dotnet", [serviceDll, "--urls", "http://127.0.0.1:0"], new()
    {
        ["Kompox__DataPath"] = data,
        ["Kompox__AdminToken"] = AdminToken,
        ["Kompox__RateLimit__PermitsPerMinute"] = "100000000",
        ["Logging__LogLevel__Default"] = "Warning",
        ["Logging__LogLevel__Microsoft.Hosting.Lifetime"] = "Information",
    });
    var admin = new HttpClient { BaseAddress = service.Address };
    admin.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", AdminToken);
    await Post(admin, "/v1/providers", """{"name":"k3s1","driver":"k3s"}""");
    await Post(admin, "/v1/clusters", """{"name":"lab","provider":"k3s1","domain":"bench.example.com","credential":{"kubeconfig":"apiVersion: v1\nkind: Config\n"}}""");
    var user = JsonNode.Parse(await Post(admin, "/v1/users", """{"name":"bench","role":"user"}"""))!["token"]!.GetValue<string>();
    var client = new HttpClient { BaseAddress = service.Address };
    client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", user);
    const string Compose = "services:\n  web:\n    image: nginx:1.27\n    ports: [\"8080:80\"]\n";
    for (var i = 0; i < 100; i++)
    {
        await Post(client, "/v1/apps", new JsonObject { ["name"] = $"app-{i:000}", ["cluster"] = "lab", ["compose"] = Compose }.ToJsonString());
    }

    var body = await client.GetStringAsync("/v1/apps");
    var count = JsonNode.Parse(body)!.AsArray().Count;
    if (count != 100)
    {
        throw new InvalidOperationException($"the user has {count} apps, not 100");
    }

    var jsonFile = Path.Combine(data, "apps.json");
    await File.WriteAllTextAsync(jsonFile, body);
    using var bare = Server.Start("dotnet", [typeof(Server).Assembly.Location, "--bare", jsonFile], []);

    var floor = await Load.RunAsync(bare.Address, null, Connections, seconds);
    var measured = await Load.RunAsync(service.Address, user, Connections, seconds);
    Console.WriteLine($"GET /v1/apps (100 apps, {body.Length} bytes), {Connections} connections, {seconds}s each");
    Console.WriteLine($"  bare endpoint : {floor.Rps,10:F0} req/s  p99 {floor.P99Ms,7:F2} ms  errors {floor.Errors}");
    Console.WriteLine($"  Kompox.Service: {measured.Rps,10:F0} req/s  p99 {measured.P99Ms,7:F2} ms  errors {measured.Errors}");
    var ratio = measured.Rps / floor.Rps;
    Console.WriteLine($"  ratio {ratio:F2}x of the bare endpoint's requests per second (at least 0.5x wanted), p99 {measured.P99Ms / floor.P99Ms:F2}x");
    return ratio >= 0.5 && measured.Errors == 0 && floor.Errors == 0 ? 0 : 1;
}
finally
{
    Directory.Delete(data, recursive: true);
}

static async Task<string> Post(HttpClient client, string path, string json)
{
    using var response = await client.PostAsync(path, new StringContent(json, Encoding.UTF8, "application/json"));
    var text = await response.Content.ReadAsStringAsync();
    if (response.StatusCode != HttpStatusCode.Created)
    {
        throw new InvalidOperationException($"POST {path}: {(int)response.StatusCode} {text}");
    }

    return text;
}

/// <summary>A server process, known ready once it says where it listens.</summary>
internal sealed class Server : IDisposable
{
    private readonly Process process;

    private Server(Process process, Uri address)
    {
        this.process = process;
        Address = address;
    }

    public Uri Address { get; }

    public static Server Start(string file, string[] arguments, Dictionary<string, string> environment)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var argument in arguments.Where(a => a.Length > 0))
        {
            start.ArgumentList.Add(argument);
        }

        foreach (var (key, value) in environment)
        {
            start.Environment[key] = value;
        }

        var process = Process.Start(start)!;
        while (process.StandardOutput.ReadLine() is { } line)
        {
            foreach (var marker in new[] { "Now listening on: ", "listening " })
            {
                var at = line.IndexOf(marker, StringComparison.Ordinal);
                if (at >= 0)
                {
                    _ = process.StandardOutput.ReadToEndAsync();
                    return new Server(process, new Uri(line[(at + marker.Length)..].Trim()));
                }
            }
        }

        throw new InvalidOperationException($"{file} exited before listening");
    }

    public void Dispose()
    {
        process.Kill(entireProcessTree: true);
        process.WaitForExit();
        process.Dispose();
    }
}

/// <summary>Closed-loop load: each of N connections sends its next request when the last is answered.</summary>
internal static class Load
{
    public static async Task<(double Rps, double P99Ms, int Errors)> RunAsync(Uri address, string? token, int connections, int seconds)
    {
        using var handler = new SocketsHttpHandler { MaxConnectionsPerServer = connections, PooledConnectionLifetime = Timeout.InfiniteTimeSpan };
        using var client = new HttpClient(handler) { BaseAddress = address };
        if (token is not null)
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        // Warm-up: connections open, code jitted.
        await Workers(client, connections, TimeSpan.FromSeconds(2));
        var (latencies, errors, elapsed) = await Workers(client, connections, TimeSpan.FromSeconds(seconds));
        latencies.Sort();
        var p99 = latencies.Count == 0 ? double.NaN : latencies[(int)Math.Min(latencies.Count - 1, Math.Ceiling(latencies.Count * 0.99) - 1)];
        return (latencies.Count / elapsed.TotalSeconds, p99, errors);
    }

    private static async Task<(List<double> Latencies, int Errors, TimeSpan Elapsed)> Workers(HttpClient client, int connections, TimeSpan duration)
    {
        var all = new List<double>();
        var errors = 0;
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, connections).Select(_ => Task.Run(async () =>
        {
            var mine = new List<double>();
            var buffer = new byte[1 << 16];
            while (clock.Elapsed < duration)
            {
                var started = Stopwatch.GetTimestamp();
                try
                {
                    using var response = await client.GetAsync("/v1/apps", HttpCompletionOption.ResponseHeadersRead);
                    await using var stream = await response.Content.ReadAsStreamAsync();
                    while (await stream.ReadAsync(buffer) > 0)
                    {
                    }

                    if (response.StatusCode != HttpStatusCode.OK)
                    {
                        Interlocked.Increment(ref errors);
                        continue;
                    }
                }
                catch (HttpRequestException)
                {
                    Interlocked.Increment(ref errors);
                    continue;
                }

                mine.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            }

            lock (all)
            {
                all.AddRange(mine);
            }
        })));
        return (all, errors, clock.Elapsed);
    }
}
