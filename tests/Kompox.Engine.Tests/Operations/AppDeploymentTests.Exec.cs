using System.Net;
using System.Net.Sockets;
using System.Text;
using Kompox.Conversion;
using Kompox.Operations;
using Kompox.Testing.KubeApi;

namespace Kompox.Tests.Operations;

/// <summary>
/// Exec, restart and port-forward of a deployed app against the API test server, whose exec and port-forward streams
/// follow kube-apiserver and the kubelet (KubeApiServer.Streams.cs); what the container does is the test's.
/// </summary>
public sealed partial class AppDeploymentTests
{
    private const string WebAndDb = """
        services:
          web:
            image: nginx:1.27
            ports: ["8080:80"]
            volumes: ["data:/usr/share/nginx/html"]
          db:
            image: mysql:8.4
        volumes:
          data: {}
        """;

    [Fact]
    public async Task Exec_returns_the_output_and_the_exit_code_the_container_gives()
    {
        var app = App(compose: WebAndDb);
        await Operations().DeployAsync(app.Id, new DeployOptions(), null, CancellationToken.None).Within();
        Server.InstallProgram(KubeNames.Namespace(app), "db", "mysql", ExecPrograms.Reply("1 row\n", "warning: insecure\n", 3));

        var result = await Operations().ExecAsync(app.Id, new AppExecOptions { Service = "db", Command = ["mysql", "-e", "select 1"] }, null, CancellationToken.None).Within();

        Assert.Equal(3, result.ExitCode);
        Assert.Equal("1 row\n", result.Stdout);
        Assert.Equal("warning: insecure\n", result.Stderr);
        var exec = Assert.Single(Server.Requests, r => r.Path.EndsWith("/exec", StringComparison.Ordinal));
        Assert.Equal(101, exec.StatusCode);
        Assert.Contains("command=mysql&command=-e&command=select%201&container=db", exec.Query, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Exec_feeds_stdin_to_its_end_and_the_command_sees_it_close()
    {
        var app = App();
        await Operations().DeployAsync(app.Id, new DeployOptions(), null, CancellationToken.None).Within();
        Server.InstallProgram(KubeNames.Namespace(app), "web", "cat", ExecPrograms.Cat);
        using var stdin = new MemoryStream(Encoding.UTF8.GetBytes("dump line 1\ndump line 2\n"));

        var result = await Operations().ExecAsync(app.Id, new AppExecOptions { Service = "web", Command = ["/bin/cat"], Stdin = stdin }, null, CancellationToken.None).Within();

        Assert.Equal(0, result.ExitCode);
        Assert.Equal("dump line 1\ndump line 2\n", result.Stdout);
    }

    [Fact]
    public async Task Exec_streams_output_to_the_callers_streams()
    {
        var app = App();
        await Operations().DeployAsync(app.Id, new DeployOptions(), null, CancellationToken.None).Within();
        Server.InstallProgram(KubeNames.Namespace(app), "web", "echo", ExecPrograms.Echo);
        using var stdout = new MemoryStream();

        var result = await Operations().ExecAsync(app.Id, new AppExecOptions { Service = "web", Command = ["echo", "hello", "world"], Stdout = stdout }, null, CancellationToken.None).Within();

        Assert.Equal("hello world\n", Encoding.UTF8.GetString(stdout.ToArray()));
        Assert.Equal("", result.Stdout);
    }

    [Fact]
    public async Task Exec_of_a_program_the_container_has_not_is_CommandNotFound()
    {
        var app = App();
        await Operations().DeployAsync(app.Id, new DeployOptions(), null, CancellationToken.None).Within();

        var error = await Assert.ThrowsAsync<KompoxException>(() => Operations().ExecAsync(app.Id, new AppExecOptions { Service = "web", Command = ["occ", "status"] }, null, CancellationToken.None).Within());

        Assert.Equal("CommandNotFound", error.ErrorId);
        Assert.Contains("has no program occ", error.Message, StringComparison.Ordinal);
        Assert.Contains("executable file not found in $PATH", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Exec_in_a_service_the_app_has_not_names_the_services_it_has()
    {
        var app = App(compose: WebAndDb);
        await Operations().DeployAsync(app.Id, new DeployOptions(), null, CancellationToken.None).Within();

        var error = await Assert.ThrowsAsync<KompoxException>(() => Operations().ExecAsync(app.Id, new AppExecOptions { Service = "wordpress", Command = ["ls"] }, null, CancellationToken.None).Within());

        Assert.Equal("UnknownService", error.ErrorId);
        Assert.True(error.Message.Contains("has no service wordpress; its services are db, web", StringComparison.Ordinal), error.Message);
        Assert.DoesNotContain(Server.Requests, r => r.Path.EndsWith("/exec", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Exec_in_an_app_not_deployed_or_not_running_says_so()
    {
        var app = App();
        var notDeployed = await Assert.ThrowsAsync<KompoxException>(() => Operations().ExecAsync(app.Id, new AppExecOptions { Service = "web", Command = ["ls"] }, null, CancellationToken.None).Within());
        Assert.Equal("AppNotDeployed", notDeployed.ErrorId);

        Server.FailNextRollout(RolloutFailure.CrashLoopBackOff(1, ["config missing"], container: "web"));
        await Assert.ThrowsAsync<KompoxException>(() => Operations().DeployAsync(app.Id, AtOnce, null, CancellationToken.None).Within());
        var notRunning = await Assert.ThrowsAsync<KompoxException>(() => Operations().ExecAsync(app.Id, new AppExecOptions { Service = "web", Command = ["ls"] }, null, CancellationToken.None).Within());

        Assert.Equal("AppNotRunning", notRunning.ErrorId);
        Assert.Contains("container web of Pod", notRunning.Message, StringComparison.Ordinal);
        Assert.Contains("waits (CrashLoopBackOff)", notRunning.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Restart_gives_a_new_Pod_on_the_same_disk_and_the_next_deploy_keeps_it()
    {
        var app = App();
        await Operations().DeployAsync(app.Id, new DeployOptions(), null, CancellationToken.None).Within();
        var ns = KubeNames.Namespace(app);
        var before = Server.PeekAll("pods", ns).Single();

        var result = await Operations().RestartAsync(app.Id, new AppRestartOptions(), null, CancellationToken.None).Within();

        var after = Server.PeekAll("pods", ns).Single();
        Assert.Equal(before["metadata"]!["name"]!.ToString(), result.PreviousPod);
        Assert.Equal(after["metadata"]!["name"]!.ToString(), result.Pod);
        Assert.NotEqual(result.PreviousPod, result.Pod);
        Assert.Equal(Claims(before), Claims(after));
        var deployment = Server.PeekAll("deployments", ns).Single();
        Assert.Equal("2025-08-11T12:34:56Z", deployment["spec"]!["template"]!["metadata"]!["annotations"]![AppRestart.Annotation]!.ToString());
        var patch = Assert.Single(Server.Requests, r => r.Method == "PATCH" && !r.IsApply && r.Path.Contains("/deployments/", StringComparison.Ordinal));
        Assert.Equal("application/strategic-merge-patch+json", patch.ContentType?.Split(';')[0]);
        Assert.Equal(AppRestart.FieldManager, patch.FieldManager);

        // The restart's annotation is not Kompox's apply's: the next deploy neither drops it nor restarts the Pod.
        await Operations().DeployAsync(app.Id, new DeployOptions(), null, CancellationToken.None).Within();
        Assert.Equal(result.Pod, Server.PeekAll("pods", ns).Single()["metadata"]!["name"]!.ToString());

        static string Claims(System.Text.Json.Nodes.JsonObject pod) =>
            string.Join(",", pod["spec"]!["volumes"]!.AsArray().Select(v => v?["persistentVolumeClaim"]?["claimName"]?.ToString()).Where(c => c is not null));
    }

    [Fact]
    public async Task Restart_of_an_app_not_deployed_says_so()
    {
        var error = await Assert.ThrowsAsync<KompoxException>(() => Operations().RestartAsync(App().Id, new AppRestartOptions(), null, CancellationToken.None).Within());

        Assert.Equal("AppNotDeployed", error.ErrorId);
    }

    [Fact]
    public async Task A_port_forward_listens_and_forwards_each_connection_to_the_services_port()
    {
        var app = App();
        await Operations().DeployAsync(app.Id, new DeployOptions(), null, CancellationToken.None).Within();
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        Server.ListenInPod(KubeNames.Namespace(app), 80, listener.LocalEndpoint);
        var serving = ServeUpperCaseAsync(listener);
        using var stop = new CancellationTokenSource();

        var events = Operations().ForwardPortAsync(app.Id, new AppPortForwardOptions { Service = "web", Port = 80 }, null, stop.Token).GetAsyncEnumerator();
        Assert.True(await events.MoveNextAsync().AsTask().Within());
        var listening = events.Current;
        Assert.Equal(AppPortForwardEventKind.Listening, listening.Kind);
        Assert.Equal(IPAddress.Loopback, listening.Local.Address);

        using (var connection = new TcpClient())
        {
            await connection.ConnectAsync(listening.Local).WaitAsync(TimeSpan.FromSeconds(10));
            var stream = connection.GetStream();
            await stream.WriteAsync(Encoding.ASCII.GetBytes("get /\n")).Within();
            var buffer = new byte[6];
            await stream.ReadExactlyAsync(buffer).AsTask().WaitAsync(TimeSpan.FromSeconds(10));
            Assert.Equal("GET /\n", Encoding.ASCII.GetString(buffer));
        }

        Assert.True(await events.MoveNextAsync().AsTask().Within());
        Assert.Equal(AppPortForwardEventKind.Connected, events.Current.Kind);
        Assert.Equal(Server.PeekAll("pods", KubeNames.Namespace(app)).Single()["metadata"]!["name"]!.ToString(), events.Current.Pod);
        Assert.True(await events.MoveNextAsync().AsTask().Within());
        Assert.Equal(AppPortForwardEventKind.Closed, events.Current.Kind);

        await stop.CancelAsync().Within();
        await Assert.ThrowsAnyAsync<Exception>(() => events.MoveNextAsync().AsTask().Within());
        await events.DisposeAsync().Within();
        listener.Stop();
        await serving.ContinueWith(_ => { }, TaskScheduler.Default).Within();
        var forward = Assert.Single(Server.Requests, r => r.Path.EndsWith("/portforward", StringComparison.Ordinal));
        Assert.Equal("?ports=80", forward.Query);
    }

    [Fact]
    public async Task A_port_forward_to_a_port_nothing_listens_on_reports_the_runtimes_refusal()
    {
        var app = App();
        await Operations().DeployAsync(app.Id, new DeployOptions(), null, CancellationToken.None).Within();
        using var stop = new CancellationTokenSource();
        var events = Operations().ForwardPortAsync(app.Id, new AppPortForwardOptions { Service = "web", Port = 5432 }, null, stop.Token).GetAsyncEnumerator();
        Assert.True(await events.MoveNextAsync().AsTask().Within());

        using (var connection = new TcpClient())
        {
            await connection.ConnectAsync(events.Current.Local).WaitAsync(TimeSpan.FromSeconds(10));
            Assert.Equal(0, await connection.GetStream().ReadAsync(new byte[1]).AsTask().WaitAsync(TimeSpan.FromSeconds(10)));
        }

        Assert.True(await events.MoveNextAsync().AsTask().Within());
        Assert.True(await events.MoveNextAsync().AsTask().Within());
        Assert.Equal(AppPortForwardEventKind.Failed, events.Current.Kind);
        Assert.Contains("connect: connection refused", events.Current.Error, StringComparison.Ordinal);
        await stop.CancelAsync().Within();
        await events.DisposeAsync().Within();
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
}
