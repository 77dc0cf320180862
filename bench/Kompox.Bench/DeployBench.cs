using System.Diagnostics;
using Kompox.Config;
using Kompox.Conversion;
using Kompox.Drivers;
using Kompox.Model;
using Kompox.Operations;
using Kompox.Testing.KubeApi;

namespace Kompox.Bench;

/// <summary>
/// Requests and wall time of deploy and destroy for every golden app (tests/data/apps) against the Kubernetes API
/// test server, through AppOperations with the real LeaseAppLock and KubeconfigClientFactory, as New-KompoxApp and
/// Remove-KompoxApp run them. The test server reconciles a Deployment inside the request that writes it (ReplicaSet,
/// a Ready Pod, status), so the rollout is already instant: the first rollout read finds it done, which the "rollout
/// reads" column shows (1 per deploy; more would mean the times include poll sleeps). Printed, never asserted: the
/// bench fails only when an operation fails.
/// </summary>
internal static class DeployBench
{
    /// <summary>Timed rounds per app after the counted cycle (which also warms the JIT and the connections).</summary>
    private const int Rounds = 7;

    /// <summary>
    /// Target: a deploy costs at most 3 requests per applied object. One apply per object is the floor; the rest is a
    /// fixed part (the Lease, the disk state on the Namespace, the custom-host check, one prune list per kind, the
    /// rollout reads and the status) that does not grow with the objects. A golden app applies 10-20 objects, so 3 per
    /// object leaves room for that fixed part once, and catches any per-object read-before-write or retry creeping in.
    /// </summary>
    private const double RequestsPerObjectTarget = 3;

    /// <summary>
    /// Target: 100 ms per warm deploy with the rollout instant. The test server answers on loopback in well under a
    /// millisecond, so this is Kompox's own cost (conversion, serialisation, the client) over about 50 requests; against
    /// a real API server each request adds a network round trip, and this part should stay small beside them.
    /// </summary>
    private const double DeployMsTarget = 100;

    /// <summary>Target: a warm destroy (one DELETE per object, the prune lists, the Pod-gone check) in 100 ms, as deploy.</summary>
    private const double DestroyMsTarget = 100;

    public static async Task RunAsync(string root)
    {
        var work = Directory.CreateTempSubdirectory("kompox-bench-deploy-").FullName;
        await using var server = await KubeApiServer.StartAsync();
        try
        {
            var kubeconfig = server.WriteKubeconfig(Path.Combine(work, "admin.kubeconfig"));
            var dataRoot = Directory.CreateDirectory(Path.Combine(work, "k3s")).FullName;
            var time = TimeProvider.System;
            // One context for the whole run, as a cmdlet invocation or the REST service keeps one: its client per cluster
            // serves every operation, so a warm deploy opens no connection of its own.
            var store = new Store.ConfigFileStore();
            await using var context = new KompoxContext(new Kube.KubeconfigClientFactory(), new DriverFactory(time), store, time) { AppLockTimeout = TimeSpan.Zero };
            var operations = new AppOperations(context);
            var results = new List<AppResult>();
            foreach (var dir in Directory.GetDirectories(Path.Combine(root, "tests", "data", "apps")).Order(StringComparer.Ordinal))
            {
                var app = OnTestServer(KompoxConfig.Load(Path.Combine(dir, "kompoxops.yml")).App, kubeconfig, dataRoot);
                store.Add(app);
                results.Add(await MeasureAsync(server, operations, app));
            }

            Print(results);
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    /// <summary>The golden app on a k3s cluster whose kubeconfig is the test server's and whose disks live under <paramref name="dataRoot"/>.</summary>
    private static KompoxApp OnTestServer(KompoxApp golden, string kubeconfig, string dataRoot)
    {
        var provider = new KompoxProvider { Name = "k3s1", Driver = "k3s", Settings = new Dictionary<string, string>(), Service = new KompoxService { Name = "bench" } };
        var cluster = new KompoxCluster
        {
            Name = "lab",
            Provider = provider,
            Auth = new ClusterAuth { Kubeconfig = kubeconfig },
            Ingress = new ClusterIngress(),
            Domain = "bench.example.com",
            Settings = new Dictionary<string, string> { ["K3S_DATA_ROOT"] = dataRoot },
        };
        return new KompoxApp
        {
            Name = golden.Name,
            Cluster = cluster,
            Compose = golden.Compose,
            ComposePath = golden.ComposePath,
            Ingress = golden.Ingress,
            Resources = golden.Resources,
            Settings = new Dictionary<string, string>(),
        };
    }

    private static async Task<AppResult> MeasureAsync(KubeApiServer server, AppOperations operations, KompoxApp app)
    {
        // The counted cycle: first deploy (creates the disk), the same deploy again, destroy.
        server.ClearRequests();
        var first = await DeployAsync(operations, app);
        var firstRequests = server.Requests;
        // The app's objects are applied by one field manager; the disk state on the Namespace has its own.
        var applied = firstRequests.Count(r => r.IsApply && !IsLease(r) && r.FieldManager != KompoxMetadata.DiskStateFieldManager);
        var deployment = $"/apis/apps/v1/namespaces/{first.Namespace}/deployments/{DeploymentName(server, first.Namespace)}";
        var rolloutReads = firstRequests.Count(r => r.Method == "GET" && r.Path == deployment);

        var kinds = firstRequests.Where(r => r.IsApply && !IsLease(r) && r.FieldManager != KompoxMetadata.DiskStateFieldManager).Select(r => KindOf(r.Path)).Distinct().Count();

        server.ClearRequests();
        await DeployAsync(operations, app);
        var repeatRequests = server.Requests;

        server.ClearRequests();
        var destroyed = await operations.DestroyAsync(app.Id, new DestroyOptions(), null, CancellationToken.None);
        var destroyRequests = server.Requests;

        // Warm rounds: deploy back onto the same disk, deploy again unchanged, destroy.
        var deployMs = new List<double>();
        var redeployMs = new List<double>();
        var destroyMs = new List<double>();
        for (var round = 0; round < Rounds; round++)
        {
            deployMs.Add(await TimeAsync(() => DeployAsync(operations, app)));
            redeployMs.Add(await TimeAsync(() => DeployAsync(operations, app)));
            destroyMs.Add(await TimeAsync(() => operations.DestroyAsync(app.Id, new DestroyOptions(), null, CancellationToken.None)));
        }

        return new AppResult(
            app.Name,
            applied,
            kinds,
            repeatRequests.Select(r => r.Connection).Distinct().Count(),
            repeatRequests.Where(r => !(r.IsApply && !IsLease(r))).Select(Describe).ToList(),
            firstRequests.Count,
            firstRequests.Count(IsLease),
            firstRequests.Where(r => !(r.IsApply && !IsLease(r) && r.FieldManager != KompoxMetadata.DiskStateFieldManager)).Select(Describe).ToList(),
            rolloutReads,
            repeatRequests.Count,
            repeatRequests.Count(r => r.Changed && !IsLease(r)),
            repeatRequests.Count(r => r.Changed && IsLease(r)),
            destroyed.Deleted.Count,
            destroyRequests.Count(r => r.Method == "DELETE" && !IsLease(r)),
            destroyRequests.Count,
            deployMs,
            redeployMs,
            destroyMs);
    }

    /// <summary>The app's Deployment, the one object whose rollout deploy waits for.</summary>
    private static string DeploymentName(KubeApiServer server, string ns) =>
        server.PeekAll("deployments", ns).Single()["metadata"]!["name"]!.ToString();

    private static async Task<AppStatus> DeployAsync(AppOperations operations, KompoxApp app)
    {
        var status = await operations.DeployAsync(app.Id, new DeployOptions(), null, CancellationToken.None);
        if (!status.Ready)
        {
            throw new InvalidOperationException($"{app.Name} deployed but is not ready ({string.Join(", ", status.Containers)}); the benchmark needs every golden app to run");
        }

        return status;
    }

    private static async Task<double> TimeAsync(Func<Task> operation)
    {
        var watch = Stopwatch.StartNew();
        await operation();
        return watch.Elapsed.TotalMilliseconds;
    }

    /// <summary>A request as "verb resource", e.g. "list pods" or "apply leases", to show what the fixed part is made of.</summary>
    private static string Describe(RecordedRequest request)
    {
        // /api/v1/... or /apis/<group>/<version>/..., then [namespaces/<ns>/]<plural>[/<name>[/<subresource>]].
        var segments = request.Path.Split('/', StringSplitOptions.RemoveEmptyEntries);
        var rest = segments.Skip(segments[0] == "api" ? 2 : 3).ToList();
        if (rest.Count > 2 && rest[0] == "namespaces")
        {
            rest = rest.Skip(2).ToList();
        }

        var resource = rest.Count > 2 ? $"{rest[0]}/{rest[2]}" : rest.FirstOrDefault() ?? request.Path;
        return $"{(request.IsApply ? "apply" : request.Verb)} {resource}";
    }

    /// <summary>The resource a request's path names, e.g. "deployments": one per kind.</summary>
    private static string KindOf(string path)
    {
        var segments = path.Split('/', StringSplitOptions.RemoveEmptyEntries);
        var rest = segments.Skip(segments[0] == "api" ? 2 : 3).ToList();
        return rest.Count > 2 && rest[0] == "namespaces" ? rest[2] : rest[0];
    }

    private static bool IsLease(RecordedRequest request) => request.Path.Contains("/leases", StringComparison.Ordinal);

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[(sorted.Count / 2) - 1] + sorted[sorted.Count / 2]) / 2;
    }

    private static void Print(IReadOnlyList<AppResult> results)
    {
        Console.WriteLine();
        Console.WriteLine($"Deploy and destroy against the Kubernetes API test server (rollout instant), {results.Count} golden apps, {Rounds} warm rounds each, medians");
        Console.WriteLine();
        Console.WriteLine($"{"app",-12} {"objects",7} | {"first deploy: requests",22} {"per object",10} {"lease",5} {"rollout reads",13} | {"repeat: requests",16} {"changing",8} {"lease",5} | {"destroy: requests",17} {"DELETE",6} {"deleted",7} | {"deploy",9} {"repeat",9} {"destroy",9}");
        foreach (var r in results)
        {
            Console.WriteLine($"{r.App,-12} {r.Objects,7} | {r.FirstRequests,22} {r.FirstPerObject,10:N2} {r.FirstLease,5} {r.RolloutReads,13} | {r.RepeatRequests,16} {r.RepeatChanging,8} {r.RepeatLeaseChanging,5} | {r.DestroyRequests,17} {r.DestroyDeletes,6} {r.Deleted,7} | {Median(r.DeployMs),6:N1} ms {Median(r.RedeployMs),6:N1} ms {Median(r.DestroyMs),6:N1} ms");
        }

        var sample = results[0];
        Console.WriteLine();
        var fixedParts = results.Select(r => r.FirstOverhead.Count).Distinct().Order().ToList();
        var others = fixedParts.Count == 1 ? "the same for every app" : $"from {fixedParts[0]} to {fixedParts[^1]} across the apps";
        Console.WriteLine($"{sample.App}'s first deploy beyond its {sample.Objects} applies ({sample.FirstOverhead.Count} requests, {others}): "
            + string.Join(", ", sample.FirstOverhead.GroupBy(d => d).Select(g => g.Count() == 1 ? g.Key : $"{g.Key} x{g.Count()}")));

        Console.WriteLine($"{sample.App}'s unchanged redeploy beyond its {sample.Objects} applies ({sample.RepeatOverhead.Count} requests): "
            + string.Join(", ", sample.RepeatOverhead.GroupBy(d => d).Select(g => g.Count() == 1 ? g.Key : $"{g.Key} x{g.Count()}")));

        var perObject = results.Sum(r => r.FirstRequests) / (double)results.Sum(r => r.Objects);
        var worstRepeat = results.MaxBy(r => r.RepeatRequests / (double)r.RepeatBudget)!;
        var worstPerObject = results.Max(r => r.FirstPerObject);
        var deletesPerObject = results.Sum(r => r.DestroyDeletes) / (double)results.Sum(r => r.Deleted);
        var deploy = Median(results.SelectMany(r => r.DeployMs));
        var redeploy = Median(results.SelectMany(r => r.RedeployMs));
        var destroy = Median(results.SelectMany(r => r.DestroyMs));
        Console.WriteLine();
        Console.WriteLine($"{"first deploy, requests per applied object",-48} {perObject,8:N2}     (worst app {worstPerObject:N2})");
        Console.WriteLine($"{"  against the target of 3 per object",-48} {perObject / RequestsPerObjectTarget,8:N2}x    (target < 1.00x; worst app {worstPerObject / RequestsPerObjectTarget:N2}x)");
        Console.WriteLine($"{"repeated deploy, requests / (objects + kinds + 8)",-48} {results.Sum(r => r.RepeatRequests) / (double)results.Sum(r => r.RepeatBudget),8:N2}x    (target <= 1.00x; worst app {worstRepeat.App} {worstRepeat.RepeatRequests}/{worstRepeat.RepeatBudget} = {worstRepeat.RepeatRequests / (double)worstRepeat.RepeatBudget:N2}x)");
        Console.WriteLine($"{"repeated deploy, connections to the API server",-48} {results.Max(r => r.RepeatConnections),8}     (at most, over the apps; target <= 2, 1.00x = {results.Max(r => r.RepeatConnections) / 2.0:N2}x)");
        Console.WriteLine($"{"repeated deploy, changing writes (not the Lease)",-48} {results.Sum(r => r.RepeatChanging),8}     (should be 0; the Lease's own: {results.Sum(r => r.RepeatLeaseChanging)})");
        Console.WriteLine($"{"destroy, DELETEs per deleted object",-48} {deletesPerObject,8:N2}     (should be 1.00)");
        Console.WriteLine($"{"deploy onto the current disk, warm (median)",-48} {deploy,8:N1} ms  {deploy / DeployMsTarget,5:N2}x the {DeployMsTarget:N0} ms target (target < 1.00x)");
        Console.WriteLine($"{"repeated deploy, nothing changed (median)",-48} {redeploy,8:N1} ms  {redeploy / DeployMsTarget,5:N2}x the {DeployMsTarget:N0} ms target");
        Console.WriteLine($"{"destroy, warm (median)",-48} {destroy,8:N1} ms  {destroy / DestroyMsTarget,5:N2}x the {DestroyMsTarget:N0} ms target (target < 1.00x)");
    }

    private sealed record AppResult(
        string App,
        int Objects,
        int Kinds,
        int RepeatConnections,
        List<string> RepeatOverhead,
        int FirstRequests,
        int FirstLease,
        List<string> FirstOverhead,
        int RolloutReads,
        int RepeatRequests,
        int RepeatChanging,
        int RepeatLeaseChanging,
        int Deleted,
        int DestroyDeletes,
        int DestroyRequests,
        List<double> DeployMs,
        List<double> RedeployMs,
        List<double> DestroyMs)
    {
        public double FirstPerObject => FirstRequests / (double)Objects;

        /// <summary>What an unchanged redeploy may send: one apply per object, one list per kind (the prune), and 8 more.</summary>
        public int RepeatBudget => Objects + Kinds + 8;
    }
}
