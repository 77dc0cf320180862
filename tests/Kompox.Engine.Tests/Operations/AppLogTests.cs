using k8s;
using k8s.Models;
using Kompox.Conversion;
using Kompox.Model;
using Kompox.Operations;
using Kompox.Tests.KubeApi;
using Kompox.Testing.KubeApi;

namespace Kompox.Tests.Operations;

/// <summary>An app's logs read from the Kubernetes API test server through the real kubeconfig client.</summary>
public sealed class AppLogTests : IAsyncLifetime
{
    private const string TwoServices = """
        services:
          web:
            image: nginx:1.27
            ports: ["8080:80"]
          worker:
            image: busybox:1.36
            command: ["sh", "-c", "sleep infinity"]
        """;

    private static readonly DateTimeOffset Start = new(2025, 8, 11, 12, 0, 0, TimeSpan.Zero);
    private readonly OperationFixture fixture = new();
    private KubeApiHarness harness = null!;

    public async Task InitializeAsync() => harness = await KubeApiHarness.StartAsync().Within();

    public async Task DisposeAsync()
    {
        await harness.DisposeAsync().Within();
        fixture.Dispose();
    }

    [Fact]
    public async Task Every_container_is_read_and_the_lines_are_merged_by_time_each_container_in_its_order()
    {
        var app = App();
        var pod = await DeployAsync(app).Within();
        Log(pod, "web", 0, "web starting");
        Log(pod, "worker", 1, "worker starting");
        Log(pod, "web", 2, "web listening on :80");
        Log(pod, "worker", 2, "worker tick");
        Log(pod, "web", 3, "GET / 200");
        var progress = new RecordedProgress();

        var lines = await ReadAsync(app, new AppLogOptions(), progress).Within();

        Assert.Equal(
            ["web | web starting", "worker | worker starting", "web | web listening on :80", "worker | worker tick", "web | GET / 200"],
            lines.Select(l => l.ToString()));
        Assert.Equal(Start.AddSeconds(1), lines[1].Timestamp);
        Assert.Equal(TimeSpan.Zero, lines[1].Timestamp.Offset);
        var logRequests = harness.Server.Requests.Where(r => r.Path.EndsWith("/log", StringComparison.Ordinal)).ToList();
        Assert.Equal(2, logRequests.Count);
        Assert.All(logRequests, r => Assert.Contains("timestamps=true", r.Query));
        Assert.Contains(progress.Reports, r => r.Detail()?.StartsWith($"GET /api/v1/namespaces/{KubeNames.Namespace(app)}/pods?labelSelector=kompox.dev%2Fapp-id%3D{KubeNames.AppHash(app)}", StringComparison.Ordinal) == true);
        Assert.Contains(progress.Reports, r => r.Detail()?.Contains($"/pods/{pod}/log?container=worker", StringComparison.Ordinal) == true);
        Assert.Equal(100, progress.Reports.Last().Percent);
    }

    [Fact]
    public async Task A_service_filter_and_tail_read_the_last_lines_of_that_container_only()
    {
        var app = App();
        var pod = await DeployAsync(app).Within();
        for (var i = 1; i <= 5; i++)
        {
            Log(pod, "web", i, $"web line {i}");
            Log(pod, "worker", i, $"worker line {i}");
        }

        var lines = await ReadAsync(app, new AppLogOptions { Services = ["web"], Tail = 2 }).Within();

        Assert.Equal(["web line 4", "web line 5"], lines.Select(l => l.Message));
        var request = Assert.Single(harness.Server.Requests, r => r.Path.EndsWith("/log", StringComparison.Ordinal));
        Assert.Contains("container=web", request.Query);
        Assert.Contains("tailLines=2", request.Query);
    }

    [Fact]
    public async Task Since_sends_whole_seconds_and_leaves_out_older_lines()
    {
        var app = App();
        var pod = await DeployAsync(app).Within();
        var now = DateTimeOffset.UtcNow;
        harness.Server.AppendLog(KubeNames.Namespace(app), pod, "web", "an hour ago", at: now.AddHours(-1));
        harness.Server.AppendLog(KubeNames.Namespace(app), pod, "web", "just now", at: now.AddSeconds(-1));

        var lines = await ReadAsync(app, new AppLogOptions { Services = ["web"], Since = TimeSpan.FromMinutes(10.5) }).Within();

        Assert.Equal(["just now"], lines.Select(l => l.Message));
        Assert.Contains("sinceSeconds=630", Assert.Single(harness.Server.Requests, r => r.Path.EndsWith("/log", StringComparison.Ordinal)).Query);
    }

    [Fact]
    public async Task An_unknown_service_is_an_error_naming_the_services_there_are()
    {
        var app = App();
        await DeployAsync(app).Within();

        var error = await Assert.ThrowsAsync<KompoxException>(() => ReadAsync(app, new AppLogOptions { Services = ["web", "db"] })).Within();

        Assert.Equal(("UnknownService", ErrorKind.InvalidArgument), (error.ErrorId, error.Kind));
        Assert.Contains("no service db; its services are web, worker", error.Message);
        Assert.DoesNotContain(harness.Server.Requests, r => r.Path.EndsWith("/log", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Previous_reads_the_run_before_the_restart_and_a_container_that_never_restarted_is_an_error()
    {
        var app = App();
        harness.Server.FailNextRollout(RolloutFailure.CrashLoopBackOff(1, ["config missing", "exiting"], container: "worker"));
        await DeployAsync(app).Within();

        var previous = await ReadAsync(app, new AppLogOptions { Previous = true }).Within();
        var error = await Assert.ThrowsAsync<KompoxException>(() => ReadAsync(app, new AppLogOptions { Services = ["web"], Previous = true })).Within();

        Assert.Equal(["worker | config missing", "worker | exiting"], previous.Select(l => l.ToString()));
        Assert.Contains("previous=true", Assert.Single(harness.Server.Requests, r => r.Path.EndsWith("/log", StringComparison.Ordinal)).Query);
        Assert.Equal(("NoPreviousContainer", ErrorKind.NotFound), (error.ErrorId, error.Kind));
        Assert.Contains("web of Pod", error.Message);
        Assert.Contains("never restarted", error.Message);
    }

    [Fact]
    public async Task Follow_sends_the_lines_written_later_as_they_come_until_cancelled()
    {
        var app = App();
        var pod = await DeployAsync(app).Within();
        Log(pod, "web", 0, "before");
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await using var lines = new AppOperations(Context()).ReadLogsAsync(app.Id, new AppLogOptions { Follow = true }, null, cancel.Token).GetAsyncEnumerator(cancel.Token);

        Assert.True(await lines.MoveNextAsync().AsTask().Within());
        Assert.Equal("web | before", lines.Current.ToString());
        var next = lines.MoveNextAsync().AsTask();

        // Both containers' follow streams have started (the server records a follow as it starts, having taken what it
        // sends at once): the worker's is empty, so nothing more is due, and every line written from now on is sent as
        // it comes. A line that was not written would be what the next read returns instead of the one written below.
        await Task.WhenAll(new[] { "web", "worker" }.Select(c => harness.Server.WhenRequestedAsync(r => r.Verb == "get" && r.Path.EndsWith($"/pods/{pod}/log", StringComparison.Ordinal) && r.Query.Contains($"container={c}", StringComparison.Ordinal) && r.Query.Contains("follow=true", StringComparison.Ordinal), cancel.Token))).Within();
        Assert.False(next.IsCompleted, "a line came that was not written");
        Log(pod, "worker", 5, "worker came later");
        Assert.True(await next.Within());
        Assert.Equal("worker | worker came later", lines.Current.ToString());
        Log(pod, "web", 6, "web came later");
        Assert.True(await lines.MoveNextAsync().AsTask().Within());
        Assert.Equal("web | web came later", lines.Current.ToString());

        var waiting = lines.MoveNextAsync().AsTask();
        cancel.Cancel();
        Assert.Equal("OperationCanceled", (await Assert.ThrowsAsync<KompoxException>(() => waiting.Within())).ErrorId);
        Assert.All(harness.Server.Requests.Where(r => r.Path.EndsWith("/log", StringComparison.Ordinal)), r => Assert.Contains("follow=true", r.Query));
    }

    [Fact]
    public async Task An_app_that_is_not_deployed_is_a_clear_error()
    {
        var app = App();

        var error = await Assert.ThrowsAsync<KompoxException>(() => ReadAsync(app, new AppLogOptions())).Within();

        Assert.Equal(("AppNotDeployed", ErrorKind.NotFound), (error.ErrorId, error.Kind));
        Assert.Contains($"app {app.Id} is not deployed", error.Message);
    }

    [Fact]
    public async Task Bad_options_are_refused_before_anything_is_sent()
    {
        var app = App();

        var tail = await Assert.ThrowsAsync<KompoxException>(() => ReadAsync(app, new AppLogOptions { Tail = -1 })).Within();
        var since = await Assert.ThrowsAsync<KompoxException>(() => ReadAsync(app, new AppLogOptions { Since = TimeSpan.Zero })).Within();

        Assert.Equal(("InvalidLogOptions", "Tail"), (tail.ErrorId, tail.Target));
        Assert.Equal(("InvalidLogOptions", "Since"), (since.ErrorId, since.Target));
        Assert.Empty(harness.Server.Requests);
    }

    [Fact]
    public void During_a_rollout_the_newest_running_pod_is_read_else_the_newest()
    {
        static V1Pod Pod(string name, string phase, int minute) => new()
        {
            Metadata = new() { Name = name, CreationTimestamp = Start.UtcDateTime.AddMinutes(minute) },
            Status = new() { Phase = phase },
        };

        Assert.Equal("old", AppLogs.LogPod([Pod("old", "Running", 0), Pod("new", "Pending", 5)])!.Metadata.Name);
        Assert.Equal("newer", AppLogs.LogPod([Pod("old", "Running", 0), Pod("newer", "Running", 5)])!.Metadata.Name);
        Assert.Equal("new", AppLogs.LogPod([Pod("old", "Failed", 0), Pod("new", "Pending", 5)])!.Metadata.Name);
        Assert.Null(AppLogs.LogPod([]));
    }

    [Theory]
    [InlineData("2025-08-11T12:00:01.123456789Z hello world", "2025-08-11T12:00:01.1234567+00:00", "hello world")]
    [InlineData("2025-08-11T12:00:01Z  indented", "2025-08-11T12:00:01.0000000+00:00", " indented")]
    [InlineData("2025-08-11T14:00:01.5+02:00 x", "2025-08-11T12:00:01.5000000+00:00", "x")]
    [InlineData("no timestamp here", "2025-08-11T12:00:00.0000000+00:00", "no timestamp here")]
    public void A_line_is_split_at_its_timestamp_and_the_time_is_utc(string text, string at, string message)
    {
        var line = AppLogs.ParseLogLine("web", text, Start);

        Assert.Equal((DateTimeOffset.Parse(at, System.Globalization.CultureInfo.InvariantCulture), TimeSpan.Zero, message), (line.Timestamp, line.Timestamp.Offset, line.Message));
    }

    [Fact]
    public async Task The_logs_of_a_Pod_still_in_its_init_containers_say_the_app_is_starting()
    {
        // The kubelet answers pods/log of a container waiting for the init containers with 400 "container ... is
        // waiting to start: PodInitializing" (kubernetes/kubernetes pkg/kubelet/kubelet_pods.go validateContainerLogStatus),
        // as the test server does. A volume filled from the image gives the Pod its init containers.
        var app = fixture.App(kubeconfig: harness.Kubeconfig, compose: OperationFixture.Compose);
        harness.Server.FailNextRollout(RolloutFailure.Initializing());
        var pod = await DeployAsync(app).Within();

        var error = await Assert.ThrowsAsync<KompoxException>(() => ReadAsync(app, new AppLogOptions())).Within();

        Assert.Equal(("AppStarting", ErrorKind.Unavailable), (error.ErrorId, error.Kind));
        Assert.Equal($"app {app.Id} is starting: container web of Pod {pod} has not started yet (PodInitializing: the Pod's init containers still run); its log begins when it starts", error.Message);
        Assert.Equal(Remedy.RunAgain, error.Remedy);
    }

    private void Log(string pod, string container, int second, string line) =>
        harness.Server.AppendLog(KubeNames.Namespace(App()), pod, container, line, at: Start.AddSeconds(second));

    private async Task<List<AppLogLine>> ReadAsync(KompoxApp app, AppLogOptions options, IProgress<OperationProgress>? progress = null)
    {
        var lines = new List<AppLogLine>();
        // Bounded: a read that hangs ends as OperationCanceled and fails the test instead of hanging the suite.
        using var bound = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        await foreach (var line in new AppOperations(Context()).ReadLogsAsync(app.Id, options, progress, bound.Token))
        {
            lines.Add(line);
        }

        return lines;
    }

    /// <summary>
    /// Puts the app's Pod on the server as a deploy would: the Namespace and the Deployment of its converted manifest,
    /// server-side applied; the server's rollout makes the Pod. Returns the Pod's name.
    /// </summary>
    private async Task<string> DeployAsync(KompoxApp app)
    {
        var plan = AppValidator.Validate(app, new AppValidationOptions());
        Assert.True(plan.IsValid, string.Join("\n", plan.Errors));
        var client = harness.Client();
        var ns = KubernetesYaml.Deserialize<V1Namespace>(Assert.Single(plan.Documents, d => d.Kind == "Namespace").Yaml);
        await client.CoreV1.PatchNamespaceAsync(KubeApiHarness.Apply(ns), ns.Metadata.Name, fieldManager: "kompox", force: true).Within();
        var deployment = KubernetesYaml.Deserialize<V1Deployment>(Assert.Single(plan.Documents, d => d.Kind == "Deployment").Yaml);
        await client.AppsV1.PatchNamespacedDeploymentAsync(KubeApiHarness.Apply(deployment), deployment.Metadata.Name, ns.Metadata.Name, fieldManager: "kompox", force: true).Within();
        var pod = Assert.Single(harness.Server.PeekAll("pods", ns.Metadata.Name));
        harness.Server.ClearRequests();
        return pod["metadata"]!["name"]!.ToString();
    }

    private KompoxContext Context() =>
        new(new KubeconfigClientFactory(), fixture.Context.Drivers, fixture.Store, fixture.Time, fixture.Context.AppLock);

    private KompoxApp App() => fixture.App(kubeconfig: harness.Kubeconfig, compose: TwoServices);
}
