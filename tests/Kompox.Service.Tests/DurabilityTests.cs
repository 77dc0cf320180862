using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using static Kompox.Service.Tests.ServiceFixture;

namespace Kompox.Service.Tests;

/// <summary>What the store keeps across restarts: a graceful one in process, and the server program killed with SIGKILL while it writes.</summary>
public sealed class DurabilityTests
{
    [Fact]
    public async Task No_acknowledged_change_is_lost_when_the_server_is_killed_during_writes()
    {
        var data = Directory.CreateTempSubdirectory("kompox-svc-kill-").FullName;
        try
        {
            var acknowledged = new List<string>();
            await using (var server = await ServerProcess.StartAsync(data).Within())
            {
                var admin = server.Client(AdminToken);
                await Send(admin, HttpMethod.Post, "/v1/providers", new JsonObject { ["name"] = "k3s1", ["driver"] = "k3s" }, HttpStatusCode.Created).Within();
                await Send(admin, HttpMethod.Post, "/v1/clusters", new JsonObject { ["name"] = "lab", ["provider"] = "k3s1", ["domain"] = "ops.example.com", ["credential"] = new JsonObject { ["kubeconfig"] = "apiVersion: v1\nkind: Config\n" } }, HttpStatusCode.Created).Within();

                // Four writers; the process is killed once 40 apps are acknowledged, with writes still under way.
                using var enough = new CancellationTokenSource();
                var writers = Enumerable.Range(0, 4).Select(w => Task.Run(async () =>
                {
                    for (var i = 0; ; i++)
                    {
                        var name = $"app-{w}-{i}";
                        var body = new JsonObject { ["name"] = name, ["cluster"] = "lab", ["compose"] = WebCompose }.ToJsonString();
                        HttpResponseMessage response;
                        try
                        {
                            response = await admin.PostAsync("/v1/apps", new StringContent(body, Encoding.UTF8, "application/json")).Within();
                        }
                        catch (HttpRequestException)
                        {
                            return;
                        }

                        if (response.StatusCode == HttpStatusCode.Created)
                        {
                            lock (acknowledged)
                            {
                                acknowledged.Add(name);
                                if (acknowledged.Count == 40)
                                {
                                    enough.Cancel();
                                }
                            }
                        }
                    }
                })).ToList();
                await Task.Delay(Timeout.Infinite, enough.Token).ContinueWith(_ => { }).WaitAsync(TimeSpan.FromMinutes(2));
                server.Kill();
                await Task.WhenAll(writers).WaitAsync(TimeSpan.FromMinutes(1));
            }

            await using (var again = await ServerProcess.StartAsync(data).Within())
            {
                var stored = (await ListAsync(again.Client(AdminToken), "/v1/apps").Within()).Select(a => a!["name"]!.GetValue<string>()).ToHashSet();
                List<string> copy;
                lock (acknowledged)
                {
                    copy = acknowledged.ToList();
                }

                Assert.True(copy.Count >= 40);
                Assert.All(copy, name => Assert.Contains(name, stored));

                // The administrator's token is the first start's: a restart makes no new one.
                Assert.Null(again.AdminTokenLine);
            }
        }
        finally
        {
            Directory.Delete(data, recursive: true);
        }
    }

    [Fact]
    public async Task A_new_store_without_a_configured_token_prints_a_generated_one_once()
    {
        var data = Directory.CreateTempSubdirectory("kompox-svc-token-").FullName;
        try
        {
            string token;
            await using (var first = await ServerProcess.StartAsync(data, adminToken: null).Within())
            {
                token = first.AdminTokenLine ?? throw new InvalidOperationException("no token line");
                Assert.Matches("^kpx_[A-Za-z0-9_-]{43}$", token);
                await Send(first.Client(token), HttpMethod.Get, "/v1/users", null, HttpStatusCode.OK).Within();
            }

            await using var second = await ServerProcess.StartAsync(data, adminToken: null).Within();
            Assert.Null(second.AdminTokenLine);
            await Send(second.Client(token), HttpMethod.Get, "/v1/users", null, HttpStatusCode.OK).Within();
            if (!OperatingSystem.IsWindows())
            {
                Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(data, "kompox.key")));
            }
        }
        finally
        {
            Directory.Delete(data, recursive: true);
        }
    }

    /// <summary>The built server program (src/Kompox.Service) as its own process, as Start-KompoxService runs it.</summary>
    private sealed class ServerProcess : IAsyncDisposable
    {
        private readonly Process process;

        private ServerProcess(Process process, Uri address, string? tokenLine)
        {
            this.process = process;
            Address = address;
            AdminTokenLine = tokenLine;
        }

        public Uri Address { get; }

        public string? AdminTokenLine { get; }

        public static async Task<ServerProcess> StartAsync(string data, string? adminToken = AdminToken)
        {
            var configuration = new DirectoryInfo(AppContext.BaseDirectory).Parent!.Name;
            var dll = Path.Combine(FindRoot(), "src", "Kompox.Service", "bin", configuration, "net10.0", "Kompox.Service.dll");
            var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            start.ArgumentList.Add(dll);
            start.ArgumentList.Add("--urls");
            start.ArgumentList.Add("http://127.0.0.1:0");
            start.Environment["Kompox__DataPath"] = data;
            start.Environment["Kompox__RateLimit__PermitsPerMinute"] = "100000";
            start.Environment["Logging__LogLevel__Default"] = "Warning";
            start.Environment["Logging__LogLevel__Microsoft.Hosting.Lifetime"] = "Information";
            if (adminToken is not null)
            {
                start.Environment["Kompox__AdminToken"] = adminToken;
            }

            var process = Process.Start(start)!;
            process.ErrorDataReceived += (_, _) => { };
            process.BeginErrorReadLine();

            // The server says where it listens once it does (Microsoft.Hosting.Lifetime); the token line comes before.
            string? token = null;
            using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(1));
            while (await process.StandardOutput.ReadLineAsync(timeout.Token).Within() is { } line)
            {
                if (line.StartsWith("Kompox administrator token: ", StringComparison.Ordinal))
                {
                    token = line["Kompox administrator token: ".Length..];
                }

                var at = line.IndexOf("Now listening on: ", StringComparison.Ordinal);
                if (at >= 0)
                {
                    _ = process.StandardOutput.ReadToEndAsync();
                    return new ServerProcess(process, new Uri(line[(at + "Now listening on: ".Length)..].Trim()), token);
                }
            }

            throw new InvalidOperationException($"the service exited ({process.ExitCode}) before listening");
        }

        public HttpClient Client(string token) => new() { BaseAddress = Address, DefaultRequestHeaders = { Authorization = new AuthenticationHeaderValue("Bearer", token) } };

        /// <summary>SIGKILL: no shutdown, no flush the process could do.</summary>
        public void Kill() => process.Kill(entireProcessTree: true);

        public async ValueTask DisposeAsync()
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }

            await process.WaitForExitAsync().Within();
            process.Dispose();
        }

        private static string FindRoot()
        {
            var directory = new DirectoryInfo(AppContext.BaseDirectory);
            while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "Kompox.slnx")))
            {
                directory = directory.Parent;
            }

            return directory!.FullName;
        }
    }
}
