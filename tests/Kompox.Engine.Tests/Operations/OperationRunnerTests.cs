using System.Reflection;
using Kompox.Conversion;
using Kompox.Drivers;
using Kompox.Model;
using Kompox.Operations;

namespace Kompox.Tests.Operations;

/// <summary>
/// Every public operation runs through the one runner: found by reflection over the operation interfaces, so that a new
/// operation that skips it fails here. Each reports its start and its end and turns a third-party exception into a
/// KompoxException.
/// </summary>
public sealed class OperationRunnerTests : IDisposable
{
    private readonly OperationFixture fixture = new();

    public static TheoryData<string> PublicOperations()
    {
        var data = new TheoryData<string>();
        foreach (var method in Operations())
        {
            data.Add(Name(method));
        }

        return data;
    }

    public void Dispose() => fixture.Dispose();

    [Theory]
    [MemberData(nameof(PublicOperations))]
    public async Task Every_public_operation_reports_start_and_end_and_translates_a_third_party_exception(string name)
    {
        var method = Operations().Single(m => Name(m) == name);
        var app = fixture.App();
        var store = new BrokenStore(new InvalidOperationException("the database file is locked"));
        await using var context = new KompoxContext(fixture.Kube, new DriverFactory(fixture.Time), store, fixture.Time, new InProcessAppLock(fixture.Time));
        var progress = new RecordedProgress();

        var error = await Assert.ThrowsAsync<KompoxException>(() => InvokeAsync(method, context, app, progress)).Within();

        Assert.Equal(("UnexpectedError", ErrorKind.Internal), (error.ErrorId, error.Kind));
        Assert.IsType<InvalidOperationException>(error.InnerException);
        var reports = progress.Reports.Where(r => r.Kind == ProgressKind.Step).ToList();
        Assert.True(reports.Count >= 2, $"{name} reported {reports.Count} steps");
        Assert.Equal((0, "starting"), (reports[0].Percent, reports[0].Status));
        Assert.Equal((100, "failed"), (reports[^1].Percent, reports[^1].Status));
        Assert.All(reports, r => Assert.Equal(reports[0].Activity, r.Activity));
        Assert.StartsWith(reports[0].Activity, error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(PublicOperations))]
    public async Task An_unknown_app_or_cluster_is_not_found_through_every_operation(string name)
    {
        var method = Operations().Single(m => Name(m) == name);
        var app = fixture.App();
        var nowhere = new KompoxApp { Name = "nope", Cluster = app.Cluster, Compose = app.Compose, Ingress = app.Ingress, Resources = app.Resources, Settings = app.Settings };
        var cluster = new KompoxCluster { Name = "nowhere", Provider = app.Cluster.Provider, Auth = app.Cluster.Auth, Ingress = app.Cluster.Ingress, Domain = app.Cluster.Domain, Settings = app.Cluster.Settings };
        var unknown = new KompoxApp { Name = "nope", Cluster = cluster, Compose = app.Compose, Ingress = app.Ingress, Resources = app.Resources, Settings = app.Settings };

        var error = await Assert.ThrowsAsync<KompoxException>(() => InvokeAsync(method, fixture.Context, method.DeclaringType == typeof(IClusterOperations) ? unknown : nowhere, new RecordedProgress())).Within();

        Assert.Contains(error.ErrorId, new[] { "AppNotFound", "ClusterNotFound" });
        Assert.Empty(fixture.Kube.Requests);
    }

    public static TheoryData<string, string> OperationsOnBrokenKubeconfigs()
    {
        var data = new TheoryData<string, string>();
        // A move of the fixture's k3s apps is refused (MoveNotSupported) before any cluster is reached; the fixture's app
        // has no snapshot policy, so applying it is skipped without reaching the cluster.
        foreach (var method in Operations().Where(m => m.Name is not nameof(IAppOperations.ValidateAsync) and not nameof(IDiskOperations.MoveAsync) and not nameof(ISnapshotOperations.ApplyPolicyAsync)))
        {
            foreach (var broken in new[] { "truncated", "binary", "missing client key" })
            {
                data.Add(Name(method), broken);
            }
        }

        return data;
    }

    /// <summary>Every operation that reaches the cluster (all but the offline validation) fails alike on a kubeconfig it cannot use.</summary>
    [Theory]
    [MemberData(nameof(OperationsOnBrokenKubeconfigs))]
    public async Task Every_operation_on_the_cluster_says_InvalidKubeconfig_naming_a_kubeconfig_it_cannot_use(string name, string broken)
    {
        var method = Operations().Single(m => Name(m) == name);
        var path = Path.Combine(fixture.DataRoot, "broken.kubeconfig");
        var (certificate, _) = Kube.TestCertificates.Create("admin");
        File.WriteAllText(Path.Combine(fixture.DataRoot, "admin.crt"), certificate);
        const string Kubeconfig = """
            apiVersion: v1
            kind: Config
            clusters:
            - name: lab
              cluster: {server: "https://127.0.0.1:6443"}
            users:
            - name: admin
              user: {client-certificate: admin.crt, client-key: admin.key}
            contexts:
            - name: lab
              context: {cluster: lab, user: admin}
            current-context: lab
            """;
        switch (broken)
        {
            case "truncated":
                File.WriteAllText(path, Kubeconfig[..(Kubeconfig.IndexOf("users:", StringComparison.Ordinal) + 20)]);
                break;
            case "binary":
                File.WriteAllBytes(path, [0x7f, 0x45, 0x4c, 0x46, 0x02, 0x01, 0x00, 0x00, 0xff, 0xfe, 0x00, 0x13]);
                break;
            default:
                File.WriteAllText(path, Kubeconfig);
                break;
        }

        var app = fixture.App(kubeconfig: path);
        await using var context = new KompoxContext(new KubeconfigClientFactory(), new DriverFactory(fixture.Time), fixture.Store, fixture.Time);

        var error = await Assert.ThrowsAsync<KompoxException>(() => InvokeAsync(method, context, app, new RecordedProgress())).Within();

        Assert.Equal(("InvalidKubeconfig", ErrorKind.InvalidData), (error.ErrorId, error.Kind));
        Assert.Contains(path, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_operation_that_loses_the_apps_lock_stops_with_AppLeaseLost_and_writes_no_more()
    {
        var appLock = new InProcessAppLock(fixture.Time);
        await using var context = new KompoxContext(fixture.Kube, new DriverFactory(fixture.Time), fixture.Store, fixture.Time, appLock);
        var app = fixture.App();
        var requested = new TaskCompletionSource();
        fixture.Kube.BeforeAnswer = async token =>
        {
            requested.TrySetResult();
            await Task.Delay(Timeout.Infinite, token);
        };

        var setting = new AppOperations(context).SetDiskStateAsync(app.Id, new AppDiskState("disk-b", "disk-a"), null, null, CancellationToken.None);
        await requested.Task.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.True(appLock.Lose(app.Id));

        var error = await Assert.ThrowsAsync<KompoxException>(() => setting.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal(("AppLeaseLost", ErrorKind.Conflict), (error.ErrorId, error.Kind));
        Assert.Single(fixture.Kube.Requests);
    }

    /// <summary>The public methods of the operation interfaces, which the front ends call.</summary>
    private static IEnumerable<MethodInfo> Operations() =>
        new[] { typeof(IAppOperations), typeof(IClusterOperations), typeof(IDiskOperations), typeof(ISnapshotOperations) }.SelectMany(t => t.GetMethods());

    private static string Name(MethodInfo method) =>
        $"{method.DeclaringType!.Name}.{method.Name}({string.Join(", ", method.GetParameters().Select(p => p.ParameterType.Name))})";

    /// <summary>Calls the method on the context's implementation with arguments for <paramref name="app"/>, and waits for it (a stream is read to its end).</summary>
    private static async Task InvokeAsync(MethodInfo method, KompoxContext context, KompoxApp app, IProgress<OperationProgress> progress)
    {
        object target = method.DeclaringType == typeof(IAppOperations) ? new AppOperations(context)
            : method.DeclaringType == typeof(IClusterOperations) ? new ClusterOperations(context)
            : method.DeclaringType == typeof(ISnapshotOperations) ? new SnapshotOperations(context)
            : new DiskOperations(context);
        var arguments = method.GetParameters().Select(p => Argument(p, app, progress)).ToArray();
        var result = method.Invoke(target, arguments);
        switch (result)
        {
            case Task task:
                await task.WaitAsync(TimeSpan.FromSeconds(30));
                break;
            case IAsyncEnumerable<AppLogLine> lines:
                await foreach (var _ in lines)
                {
                }

                break;
            case IAsyncEnumerable<AppPortForwardEvent> events:
                await foreach (var _ in events)
                {
                }

                break;
            default:
                throw new InvalidOperationException($"{Name(method)} returns {result?.GetType().Name}, which this test does not know how to wait for");
        }
    }

    private static object? Argument(ParameterInfo parameter, KompoxApp app, IProgress<OperationProgress> progress)
    {
        var type = parameter.ParameterType;
        return parameter.Name switch
        {
            "appId" => app.Id,
            "clusterId" => app.Cluster.Id,
            "diskId" => "web-20250811123456-abc123",
            "destinationAppId" => app.Id,
            "snapshotId" => "web-20250811123456-def456",
            "resourceId" => "/subscriptions/s/resourceGroups/g/providers/Microsoft.Compute/disks/d",
            "pinned" => true,
            "includeRemoved" => true,
            _ when type == typeof(CancellationToken) => CancellationToken.None,
            _ when type == typeof(IProgress<OperationProgress>) => progress,
            _ when type == typeof(TimeSpan?) => null,
            _ when type == typeof(AppDiskState) => AppDiskState.None,
            _ when type == typeof(DeployPlan) => Plan(app),
            _ when type == typeof(AppExecOptions) => new AppExecOptions { Service = "web", Command = ["ls"] },
            _ when type == typeof(AppPortForwardOptions) => new AppPortForwardOptions { Service = "web", Port = 80 },
            _ when type.IsClass && type.GetConstructor(Type.EmptyTypes) is { } constructor => constructor.Invoke(null),
            _ => throw new InvalidOperationException($"no argument for {parameter.Name} of type {type.Name}; teach the test the new operation's parameter"),
        };
    }

    /// <summary>A plan as PlanDeployAsync makes it for an app never deployed: converted offline, a first disk to make.</summary>
    private static DeployPlan Plan(KompoxApp app)
    {
        AppManifest? manifest = null;
        AppValidator.Convert(app, new ComposeReadOptions(), project => manifest = AppConverter.Convert(app, project, (string?)null, new AppConversionOptions { DiskCreatedAtDeploy = true }));
        return new DeployPlan(app.Id, manifest!.Namespace, true, null, manifest.Objects.Select(o => new PlannedChange(KubeObjectRef.Of(o), PlannedAction.Apply)).ToList(), manifest.Warnings)
        {
            Manifest = manifest,
            Options = new DeployOptions(),
        };
    }

    /// <summary>A store whose lookups fail as a third-party database would (the interface re-implemented, so its lookups are these).</summary>
    private sealed class BrokenStore(Exception error) : InMemoryResourceStore, IResourceStore
    {
        public new Task<KompoxApp?> GetAppAsync(string appId, CancellationToken cancellationToken) => throw error;

        public new Task<KompoxCluster?> GetClusterAsync(string clusterId, CancellationToken cancellationToken) => throw error;
    }
}
