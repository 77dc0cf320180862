using System.Text.Json.Nodes;
using Kompox.Testing.KubeApi;

namespace Kompox.Tests.KubeApi;

public sealed class KubectlTests
{
    private const string Manifest = """
        apiVersion: v1
        kind: Namespace
        metadata:
          name: app
        ---
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: web
          namespace: app
          labels: {app.kubernetes.io/managed-by: kompox}
        spec:
          replicas: 1
          strategy: {type: Recreate}
          selector:
            matchLabels: {app: web}
          template:
            metadata:
              labels: {app: web}
            spec:
              containers:
              - name: web
                image: nginx:1.27
                ports:
                - containerPort: 80
                resources:
                  limits: {cpu: 500m, memory: 256Mi}
        """;

    [Fact]
    public async Task KubectlGetsNamespacesAsJson()
    {
        await using var harness = await KubeApiHarness.StartAsync().Within();
        var (code, stdout, stderr) = await harness.KubectlAsync("get", "namespaces", "-o", "json").Within();
        Assert.True(code == 0, stderr);
        var names = JsonNode.Parse(stdout)!["items"]!.AsArray().Select(i => i!["metadata"]!["name"]!.ToString()).ToList();
        Assert.Contains("default", names);
        Assert.Contains("kube-system", names);
    }

    [Fact]
    public async Task KubectlServerSideApplyThenGetPodsAndLogs()
    {
        await using var harness = await KubeApiHarness.StartAsync().Within();
        var apply = await harness.KubectlWithAsync(null, Manifest, "apply", "--server-side", "-f", "-").Within();
        Assert.True(apply.ExitCode == 0, apply.Stderr);
        Assert.Contains("deployment.apps/web serverside-applied", apply.Stdout, StringComparison.Ordinal);
        var applies = harness.Server.Requests.Where(r => r.IsApply).ToList();
        Assert.Equal(2, applies.Count);
        Assert.All(applies, r => Assert.Equal("kubectl", r.FieldManager));
        var version = harness.Server.Peek("deployments", "app", "web")!["metadata"]!["resourceVersion"]!.ToString();

        var again = await harness.KubectlWithAsync(null, Manifest, "apply", "--server-side", "-f", "-").Within();
        Assert.True(again.ExitCode == 0, again.Stderr);
        Assert.Equal(version, harness.Server.Peek("deployments", "app", "web")!["metadata"]!["resourceVersion"]!.ToString());

        var pods = await harness.KubectlAsync("get", "pods", "-n", "app", "-l", "app=web", "-o", "json").Within();
        Assert.True(pods.ExitCode == 0, pods.Stderr);
        var pod = Assert.Single(JsonNode.Parse(pods.Stdout)!["items"]!.AsArray())!;
        Assert.Equal("Running", pod["status"]!["phase"]!.ToString());
        var podName = pod["metadata"]!["name"]!.ToString();

        var ready = await harness.KubectlAsync("get", "deployment", "web", "-n", "app", "-o", "jsonpath={.status.readyReplicas}").Within();
        Assert.Equal("1", ready.Stdout);

        harness.Server.AppendLog("app", podName, "web", "GET / 200");
        harness.Server.AppendLog("app", podName, "web", "GET /health 200");
        var logs = await harness.KubectlAsync("logs", podName, "-n", "app", "--tail=1").Within();
        Assert.True(logs.ExitCode == 0, logs.Stderr);
        Assert.Equal("GET /health 200\n", logs.Stdout);

        var table = await harness.KubectlAsync("get", "pods", "-n", "app").Within();
        Assert.True(table.ExitCode == 0, table.Stderr);
        var row = table.Stdout.Split('\n')[1].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal([podName, "1/1", "Running", "0"], row[..4]);
        Assert.StartsWith("NAME", table.Stdout, StringComparison.Ordinal);

        var rollout = await harness.KubectlAsync("rollout", "status", "deployment/web", "-n", "app", "--timeout=10s").Within();
        Assert.True(rollout.ExitCode == 0, rollout.Stderr);
        Assert.Contains("successfully rolled out", rollout.Stdout, StringComparison.Ordinal);

        var events = await harness.KubectlAsync("get", "events", "-n", "app").Within();
        Assert.Contains("ScalingReplicaSet", events.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task KubectlSeesConflictsAndCrashLogs()
    {
        await using var harness = await KubeApiHarness.StartAsync().Within();
        harness.Server.FailNextRollout(RolloutFailure.CrashLoopBackOff(1, ["panic: config missing"]));
        Assert.Equal(0, (await harness.KubectlWithAsync(null, Manifest, "apply", "--server-side", "--field-manager=kompox", "-f", "-").Within()).ExitCode);

        var conflicting = Manifest.Replace("nginx:1.27", "nginx:1.28", StringComparison.Ordinal);
        var conflict = await harness.KubectlWithAsync(null, conflicting, "apply", "--server-side", "-f", "-").Within();
        Assert.NotEqual(0, conflict.ExitCode);
        Assert.Contains("conflict", conflict.Stderr, StringComparison.OrdinalIgnoreCase);
        Assert.Contains(".spec.template.spec.containers[name=\"web\"].image", conflict.Stderr, StringComparison.Ordinal);

        var pods = await harness.KubectlAsync("get", "pods", "-n", "app", "-o", "jsonpath={.items[0].metadata.name}").Within();
        var previous = await harness.KubectlAsync("logs", pods.Stdout, "-n", "app", "--previous").Within();
        Assert.True(previous.ExitCode == 0, previous.Stderr);
        Assert.Equal("panic: config missing\n", previous.Stdout);

        var forced = await harness.KubectlWithAsync(null, conflicting, "apply", "--server-side", "--force-conflicts", "-f", "-").Within();
        Assert.True(forced.ExitCode == 0, forced.Stderr);
        var running = await harness.KubectlAsync("get", "pods", "-n", "app", "-o", "jsonpath={.items[*].status.phase}").Within();
        Assert.Equal("Running", running.Stdout);
    }

    [Fact]
    public async Task KubectlCreatesAndDeletes()
    {
        await using var harness = await KubeApiHarness.StartAsync().Within();
        // kubectl create -f sends JSON; its generators (create namespace x) send protobuf, which the server reads only for TokenRequest.
        const string objects = """
            apiVersion: v1
            kind: Namespace
            metadata: {name: app}
            ---
            apiVersion: v1
            kind: ServiceAccount
            metadata: {name: reader, namespace: app}
            """;
        var created = await harness.KubectlWithAsync(null, objects, "create", "-f", "-").Within();
        Assert.True(created.ExitCode == 0, created.Stderr);
        var again = await harness.KubectlWithAsync(null, objects, "create", "-f", "-").Within();
        Assert.Contains("AlreadyExists", again.Stderr, StringComparison.Ordinal);
        var token = await harness.KubectlAsync("create", "token", "reader", "-n", "app", "--duration=20m").Within();
        Assert.True(token.ExitCode == 0, token.Stderr);
        Assert.False(string.IsNullOrWhiteSpace(token.Stdout));

        var delete = await harness.KubectlAsync("delete", "namespace", "app").Within();
        Assert.True(delete.ExitCode == 0, delete.Stderr);
        var missing = await harness.KubectlAsync("get", "serviceaccount", "reader", "-n", "app").Within();
        Assert.NotEqual(0, missing.ExitCode);
        Assert.Contains("NotFound", missing.Stderr, StringComparison.Ordinal);
    }
}
