using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json.Nodes;
using k8s;
using Kompox.Testing.KubeApi;

namespace Kompox.Tests.KubeApi;

/// <summary>
/// pods/exec and pods/portforward of the test server, against the real kubectl 1.32 (exec over v5.channel.k8s.io,
/// port-forward as SPDY tunneled in a WebSocket: KEP-4006, client-go tools/remotecommand/websocket.go and
/// tools/portforward/tunneling_dialer.go) and the real client (v4.channel.k8s.io: KubernetesClient Kubernetes.WebSocket.cs).
/// </summary>
public sealed class StreamTests
{
    private static async Task<(KubeApiHarness Harness, string Pod)> StartWithPodAsync()
    {
        var harness = await KubeApiHarness.StartAsync().Within();
        var client = harness.Client();
        await harness.CreateNamespaceAsync(client, "app").Within();
        await client.AppsV1.CreateNamespacedDeploymentAsync(KubeApiHarness.Deployment("app", "web", ("web", "nginx:1.27"), ("db", "mysql:8.4")), "app").Within();
        var pod = harness.Server.PeekAll("pods", "app").Single()["metadata"]!["name"]!.ToString();
        return (harness, pod);
    }

    [Fact]
    public async Task KubectlExecGetsOutputAndTheContainersExitCode()
    {
        var (harness, pod) = await StartWithPodAsync().Within();
        await using var _ = harness;
        harness.Server.InstallProgram("app", "db", "mysql", ExecPrograms.Reply("4 rows\n", "warning: password on the command line\n", 3));

        var (code, stdout, stderr) = await harness.KubectlAsync("exec", pod, "-n", "app", "-c", "db", "--", "mysql", "-e", "select 1").Within();

        Assert.True(stdout == "4 rows\n", stderr);
        Assert.Contains("warning: password on the command line", stderr, StringComparison.Ordinal);
        Assert.Contains("command terminated with exit code 3", stderr, StringComparison.Ordinal);
        Assert.Equal(3, code);
        Assert.Contains(harness.Server.Requests, r => r.Path == $"/api/v1/namespaces/app/pods/{pod}/exec" && r.StatusCode == 101);
    }

    [Fact]
    public async Task KubectlExecPassesStdinUntilItCloses()
    {
        var (harness, pod) = await StartWithPodAsync().Within();
        await using var _ = harness;
        harness.Server.InstallProgram("app", "web", "cat", ExecPrograms.Cat);

        // -i sends stdin; its end reaches the process as the v5 CLOSE signal, so cat ends and kubectl exits 0.
        var (code, stdout, stderr) = await harness.KubectlWithAsync(null, "line one\nline two\n", "exec", "-i", pod, "-n", "app", "-c", "web", "--", "cat").Within();

        Assert.True(code == 0, stderr);
        Assert.Equal("line one\nline two\n", stdout);
    }

    [Fact]
    public async Task KubectlExecOfAMissingProgramFailsAsTheRuntimeSays()
    {
        var (harness, pod) = await StartWithPodAsync().Within();
        await using var _ = harness;

        var (code, _, stderr) = await harness.KubectlAsync("exec", pod, "-n", "app", "-c", "web", "--", "occ", "status").Within();

        Assert.NotEqual(0, code);
        Assert.Contains("exec: \"occ\": executable file not found in $PATH", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ExecNeedsAContainerNameWhenThePodHasSeveral()
    {
        var (harness, pod) = await StartWithPodAsync().Within();
        await using var _ = harness;

        var (code, _, stderr) = await harness.KubectlAsync("exec", pod, "-n", "app", "--", "ls").Within();

        // kubectl picks the first container itself (its default-container annotation or the first); the API needs a name.
        var (status, body) = await harness.RawAsync(HttpMethod.Post, $"/api/v1/namespaces/app/pods/{pod}/exec?command=ls", harness.Server.AdminToken).Within();
        Assert.Equal(400, status);
        Assert.Contains($"a container name must be specified for pod {pod}, choose one of: [web db]", body, StringComparison.Ordinal);
        Assert.NotEqual(0, code);
        Assert.Contains("executable file not found", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ClientExecOverV4GetsTheStatusOnTheErrorChannel()
    {
        var (harness, pod) = await StartWithPodAsync().Within();
        await using var _ = harness;
        harness.Server.InstallProgram("app", "web", "sh", ExecPrograms.Reply("out\n", "err\n", 2));
        var client = (Kubernetes)harness.Client();

        using var socket = await client.WebSocketNamespacedPodExecAsync(pod, "app", ["sh", "-c", "false"], "web", stdin: false, tty: false).Within();
        Assert.Equal("v4.channel.k8s.io", socket.SubProtocol);
        var channels = await ReadAllAsync(socket).Within();

        Assert.Equal("out\n", channels.GetValueOrDefault((byte)1));
        Assert.Equal("err\n", channels.GetValueOrDefault((byte)2));
        var status = JsonNode.Parse(channels[3])!;
        Assert.Equal("NonZeroExitCode", status["reason"]!.ToString());
        Assert.Equal("2", status["details"]!["causes"]![0]!["message"]!.ToString());
        Assert.Equal("ExitCode", status["details"]!["causes"]![0]!["reason"]!.ToString());
    }

    [Fact]
    public async Task ExecOfAPodNotRunningIsRefusedByTheKubelet()
    {
        var (harness, pod) = await StartWithPodAsync().Within();
        await using var _ = harness;
        var client = (Kubernetes)harness.Client();
        await client.CoreV1.DeleteNamespacedPodAsync(pod, "app").Within();

        await Assert.ThrowsAnyAsync<WebSocketException>(() => client.WebSocketNamespacedPodExecAsync(pod, "app", ["ls"], "web", tty: false)).Within();

        // The upgrade is refused with the Pod's 404 before any WebSocket opens.
        Assert.Contains(harness.Server.Requests, r => r.Path == $"/api/v1/namespaces/app/pods/{pod}/exec" && r.StatusCode == 404);
    }

    [Fact]
    public async Task ExecInAContainerThatDoesNotRunIsRefusedWithTheKubeletsWords()
    {
        await using var harness = await KubeApiHarness.StartAsync().Within();
        var client = harness.Client();
        await harness.CreateNamespaceAsync(client, "app").Within();
        harness.Server.FailNextRollout(RolloutFailure.CrashLoopBackOff(1, ["boom"], container: "web"));
        await client.AppsV1.CreateNamespacedDeploymentAsync(KubeApiHarness.Deployment("app", "web", ("web", "nginx:1.27")), "app").Within();
        var pod = harness.Server.PeekAll("pods", "app").Single()["metadata"]!["name"]!.ToString();
        harness.Server.InstallProgram("app", "web", "ls", ExecPrograms.Reply(""));

        // v5: the API server's translator opens the WebSocket, then reports the kubelet's refusal as a Status.
        var (code, _, stderr) = await harness.KubectlAsync("exec", pod, "-n", "app", "--", "ls").Within();
        Assert.NotEqual(0, code);
        Assert.Contains("container not found (\"web\")", stderr, StringComparison.Ordinal);

        // v4: proxied to the kubelet, which refuses the upgrade itself.
        await Assert.ThrowsAnyAsync<WebSocketException>(() => ((Kubernetes)client).WebSocketNamespacedPodExecAsync(pod, "app", ["ls"], "web", tty: false)).Within();
        Assert.Contains(harness.Server.Requests, r => r.Path.EndsWith("/exec", StringComparison.Ordinal) && r.StatusCode == 500);
    }

    [Fact]
    public async Task KubectlPortForwardReachesThePodsPortWithTheUserCredential()
    {
        var (harness, pod) = await StartWithPodAsync().Within();
        await using var _ = harness;
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        harness.Server.ListenInPod("app", 3306, listener.LocalEndpoint);
        var serving = ServeUpperCaseAsync(listener);

        // A user allowed only what Kompox's access Role allows (Conversion/Access.cs).
        var kubeconfig = await RestrictedKubeconfigAsync(harness).Within();
        var start = new ProcessStartInfo("kubectl") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        // ":3306": kubectl binds a random local port itself and prints it; one chosen here and released could be taken.
        foreach (var arg in new[] { "port-forward", "-n", "app", $"pod/{pod}", ":3306", "--kubeconfig=" + kubeconfig, "--cache-dir=" + Path.Combine(harness.Directory, "kubectl-cache") })
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment["HOME"] = harness.Directory;
        using var process = Process.Start(start)!;
        try
        {
            // kubectl prints "Forwarding from 127.0.0.1:PORT -> 3306" once it listens.
            var line = await process.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(30));
            var forwarding = System.Text.RegularExpressions.Regex.Match(line ?? "", @"^Forwarding from 127\.0\.0\.1:(\d+) -> 3306$");
            if (!forwarding.Success)
            {
                Assert.Fail(line + await ReadSomeAsync(process.StandardError).Within());
            }
            var localPort = int.Parse(forwarding.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);

            for (var i = 0; i < 2; i++)
            {
                using var connection = new TcpClient();
                await connection.ConnectAsync(IPAddress.Loopback, localPort).WaitAsync(TimeSpan.FromSeconds(10));
                var stream = connection.GetStream();
                await stream.WriteAsync(Encoding.ASCII.GetBytes($"hello {i}\n")).Within();
                connection.Client.Shutdown(SocketShutdown.Send);
                using var reader = new StreamReader(stream);
                Assert.Equal($"HELLO {i}\n", await reader.ReadToEndAsync().WaitAsync(TimeSpan.FromSeconds(10)));
            }
        }
        catch (SocketException e)
        {
            process.Kill(entireProcessTree: true);
            throw new InvalidOperationException("kubectl port-forward: " + await process.StandardError.ReadToEndAsync().Within() + string.Join("\n", harness.Server.Requests.Select(r => $"{r.Method} {r.Path}?{r.Query} {r.StatusCode}")), e);
        }
        finally
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync().Within();
        }

        listener.Stop();
        await serving.ContinueWith(_ => { }, TaskScheduler.Default).Within();
        Assert.Contains(harness.Server.Requests, r => r.Path == $"/api/v1/namespaces/app/pods/{pod}/portforward" && r.StatusCode == 101);
    }

    [Fact]
    public async Task KubectlPortForwardToAPortNobodyListensOnReportsTheRuntimesError()
    {
        var (harness, pod) = await StartWithPodAsync().Within();
        await using var _ = harness;
        var start = new ProcessStartInfo("kubectl") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in new[] { "port-forward", "-n", "app", pod, ":5432", "--kubeconfig=" + harness.Kubeconfig, "--cache-dir=" + Path.Combine(harness.Directory, "kubectl-cache") })
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment["HOME"] = harness.Directory;
        using var process = Process.Start(start)!;
        try
        {
            var line = await process.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(30));
            var forwarding = System.Text.RegularExpressions.Regex.Match(line ?? "", @"^Forwarding from 127\.0\.0\.1:(\d+) -> 5432$");
            if (!forwarding.Success)
            {
                Assert.Fail(line + await ReadSomeAsync(process.StandardError).Within());
            }
            var localPort = int.Parse(forwarding.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
            using var connection = new TcpClient();
            await connection.ConnectAsync(IPAddress.Loopback, localPort).WaitAsync(TimeSpan.FromSeconds(10));
            using var reader = new StreamReader(connection.GetStream());
            Assert.Equal("", await reader.ReadToEndAsync().WaitAsync(TimeSpan.FromSeconds(10)));

            // kubectl 1.32 ends on the error stream's message: "an error occurred forwarding ... connection refused".
            await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
            var stderr = await process.StandardError.ReadToEndAsync().Within();
            Assert.Contains("connect: connection refused", stderr, StringComparison.Ordinal);
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }
    }

    [Fact]
    public async Task ClientPortForwardOverV4StartsEachChannelWithThePort()
    {
        var (harness, pod) = await StartWithPodAsync().Within();
        await using var _ = harness;
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        harness.Server.ListenInPod("app", 8080, listener.LocalEndpoint);
        var serving = ServeUpperCaseAsync(listener);
        var client = (Kubernetes)harness.Client();

        using var socket = await client.WebSocketNamespacedPodPortForwardAsync(pod, "app", [8080], "v4.channel.k8s.io").Within();
        await socket.SendAsync((byte[])[0, .. Encoding.ASCII.GetBytes("abc\n")], WebSocketMessageType.Binary, true, CancellationToken.None).Within();
        var first = await ReceiveAsync(socket).Within();
        var second = await ReceiveAsync(socket).Within();
        var data = await ReceiveAsync(socket).Within();

        Assert.Equal(new byte[] { 0, 0x90, 0x1f }, first);
        Assert.Equal(new byte[] { 1, 0x90, 0x1f }, second);
        Assert.Equal("ABC\n", Encoding.ASCII.GetString(data.AsSpan(1)));
        await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None).Within();
        listener.Stop();
        await serving.ContinueWith(_ => { }, TaskScheduler.Default).Within();
    }

    [Fact]
    public void TheSpdyDictionaryIsTheSpecsOne()
    {
        // SPDY/3 draft 2.6.10.1: 1423 bytes; its Adler-32 is the DICTID every SPDY/3 client's zlib header names.
        var dictionary = SpdyTunnel.Dictionary;
        Assert.Equal(1423, dictionary.Length);
        Assert.EndsWith("utf-,*,enq=0.", Encoding.ASCII.GetString(dictionary), StringComparison.Ordinal);
    }

    private static async Task<string> RestrictedKubeconfigAsync(KubeApiHarness harness)
    {
        var (code, _, stderr) = await harness.KubectlWithAsync(null, """
            apiVersion: v1
            kind: ServiceAccount
            metadata: {name: user, namespace: app}
            ---
            apiVersion: rbac.authorization.k8s.io/v1
            kind: Role
            metadata: {name: user, namespace: app}
            rules:
            - apiGroups: [""]
              resources: [pods, pods/log]
              verbs: [get, list, watch]
            - apiGroups: [""]
              resources: [pods/attach, pods/exec, pods/portforward]
              verbs: [create, get]
            ---
            apiVersion: rbac.authorization.k8s.io/v1
            kind: RoleBinding
            metadata: {name: user, namespace: app}
            roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: user}
            subjects: [{kind: ServiceAccount, name: user, namespace: app}]
            """, "apply", "-f", "-").Within();
        Assert.True(code == 0, stderr);
        var (tokenCode, token, tokenError) = await harness.KubectlAsync("create", "token", "user", "-n", "app").Within();
        Assert.True(tokenCode == 0, tokenError);
        return harness.Server.WriteKubeconfig(Path.Combine(harness.Directory, "user.kubeconfig"), token.Trim(), "app");
    }

    private static async Task ServeUpperCaseAsync(TcpListener listener)
    {
        while (true)
        {
            var connection = await listener.AcceptTcpClientAsync().Within();
            _ = Task.Run(async () =>
            {
                using (connection)
                {
                    var stream = connection.GetStream();
                    var buffer = new byte[1024];
                    int n;
                    while ((n = await stream.ReadAsync(buffer).Within()) > 0)
                    {
                        await stream.WriteAsync(Encoding.ASCII.GetBytes(Encoding.ASCII.GetString(buffer, 0, n).ToUpperInvariant())).Within();
                    }
                }
            });
        }
    }

    private static async Task<string> ReadSomeAsync(StreamReader reader)
    {
        var buffer = new char[4096];
        var n = await reader.ReadAsync(buffer).AsTask().WaitAsync(TimeSpan.FromSeconds(5)).ContinueWith(t => t.IsCompletedSuccessfully ? t.Result : 0, TaskScheduler.Default).Within();
        return new string(buffer, 0, n);
    }

    private static async Task<byte[]> ReceiveAsync(WebSocket socket)
    {
        using var message = new MemoryStream();
        var buffer = new byte[4096];
        WebSocketReceiveResult result;
        do
        {
            result = await socket.ReceiveAsync(buffer, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10));
            message.Write(buffer, 0, result.Count);
        }
        while (!result.EndOfMessage);
        return message.ToArray();
    }

    private static async Task<Dictionary<byte, string>> ReadAllAsync(WebSocket socket)
    {
        var channels = new Dictionary<byte, StringBuilder>();
        while (true)
        {
            var message = await ReceiveAsync(socket).Within();
            if (socket.State != WebSocketState.Open || message.Length == 0)
            {
                break;
            }

            channels.TryAdd(message[0], new StringBuilder());
            channels[message[0]].Append(Encoding.UTF8.GetString(message, 1, message.Length - 1));
        }

        return channels.ToDictionary(c => c.Key, c => c.Value.ToString());
    }
}
