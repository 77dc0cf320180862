using System.Text.Json.Nodes;
using k8s;
using Kompox.Conversion;
using Kompox.Drivers;
using Kompox.Model;
using Kompox.Operations;
using Kompox.Testing.KubeApi;
using Kompox.Tests.Apps;
using Kompox.Tests.KubeApi;
using Microsoft.Extensions.Time.Testing;

namespace Kompox.Tests.Operations;

/// <summary>Deploy, destroy and status of apps against the Kubernetes API test server, through the real kubeconfig client.</summary>
public sealed partial class AppDeploymentTests : IAsyncLifetime
{
    private const string TwoPorts = """
        services:
          web:
            image: nginx:1.27
            ports: ["8080:80", "9090:9090"]
            volumes: ["data:/usr/share/nginx/html"]
        volumes:
          data: {}
        """;

    /// <summary>Deploy options that fail on the first sight of a Pod in trouble, for tests that do not move the clock.</summary>
    private static readonly DeployOptions AtOnce = new() { FailAfter = TimeSpan.Zero };

    private readonly SteppedClock time = new(new FakeTimeProvider(new DateTimeOffset(2025, 8, 11, 12, 34, 56, TimeSpan.Zero)));
    private readonly string dataRoot = Directory.CreateTempSubdirectory("kompox-deploy-").FullName;
    private readonly ConfigFileStore store = new();
    private KubeApiHarness harness = null!;
    private KompoxContext? context;

    private KubeApiServer Server => harness.Server;

    public async Task InitializeAsync()
    {
        harness = await KubeApiHarness.StartAsync().Within();
        await harness.InstallIngressAsync().Within();
    }

    public async Task DisposeAsync()
    {
        if (context is not null)
        {
            await context.DisposeAsync().Within();
        }

        await harness.DisposeAsync().Within();
        Directory.Delete(dataRoot, recursive: true);
    }

    [Fact]
    public async Task The_first_deploy_creates_the_disk_applies_each_object_once_in_order_and_the_second_changes_nothing()
    {
        var app = App();
        var progress = new RecordedProgress();

        var status = await Operations().DeployAsync(app.Id, new DeployOptions(), progress, CancellationToken.None).Within();

        var expected = Plan(app, status.CurrentDiskId!);
        var applies = Server.Requests.Where(r => r.IsApply && r.FieldManager == KubeObjects.FieldManager).ToList();
        Assert.Equal(expected.Select(PathOf), applies.Select(r => r.Path));
        Assert.All(applies, r => Assert.Contains("force=true", r.Query));
        Assert.Single(Server.Requests, r => r.IsApply && r.FieldManager == KompoxMetadata.DiskStateFieldManager);
        Assert.True(Directory.Exists(Path.Combine(dataRoot, "disks", status.CurrentDiskId!)));
        Assert.True(File.Exists(Path.Combine(dataRoot, "disks", status.CurrentDiskId! + ".json")));
        Assert.True(status.Deployed);
        Assert.True(status.Ready);
        Assert.Equal("Running", status.PodPhase);
        Assert.Contains(progress.Reports, r => r.Status.StartsWith("applying Deployment ", StringComparison.Ordinal));
        Assert.Contains(progress.Reports, r => r.Detail()?.StartsWith("PATCH /apis/apps/v1/namespaces/", StringComparison.Ordinal) == true);

        Server.ClearRequests();
        var again = await Operations().DeployAsync(app.Id, new DeployOptions(), null, CancellationToken.None).Within();

        Assert.Equal(0, ChangingWrites());
        Assert.Equal(status.CurrentDiskId, again.CurrentDiskId);
        Assert.Equal(expected.Count, Server.Requests.Count(r => r.IsApply));
    }

    [Fact]
    public async Task A_removed_port_loses_its_Service_and_Ingress()
    {
        await Operations().DeployAsync(App(compose: TwoPorts).Id, new DeployOptions(), null, CancellationToken.None).Within();
        var ns = KubeNames.Namespace(App());
        var servicesBefore = Server.PeekAll("services", ns).Select(Name).ToList();
        var ingressesBefore = Server.PeekAll("ingresses", ns).Select(Name).ToList();
        Server.ClearRequests();

        await Operations().DeployAsync(App().Id, new DeployOptions(), null, CancellationToken.None).Within();

        var servicesAfter = Server.PeekAll("services", ns).Select(Name).ToList();
        var ingressesAfter = Server.PeekAll("ingresses", ns).Select(Name).ToList();
        Assert.Single(servicesAfter);
        Assert.Equal(servicesBefore.Count - 1, servicesAfter.Count);
        Assert.Equal(ingressesBefore.Count - 1, ingressesAfter.Count);
        var deletes = Server.Requests.Where(r => r.Method == "DELETE").Select(r => r.Path).ToList();
        var gone = servicesBefore.Except(servicesAfter).Single();
        Assert.Equal(new[] { $"/apis/networking.k8s.io/v1/namespaces/{ns}/ingresses/{gone}", $"/api/v1/namespaces/{ns}/services/{gone}" }, deletes);
    }

    [Fact]
    public async Task Going_back_to_an_earlier_compose_file_rolls_out_on_its_old_ReplicaSet()
    {
        await Operations().DeployAsync(App(compose: TwoPorts).Id, new DeployOptions(), null, CancellationToken.None).Within();
        var second = await Operations().DeployAsync(App().Id, new DeployOptions(), null, CancellationToken.None).Within();

        // The clock does not move: a rollout the server never finishes would wait forever, not time out.
        var back = await Operations().DeployAsync(App(compose: TwoPorts).Id, new DeployOptions(), null, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30));

        Assert.True(back.Ready);
        Assert.NotEqual(second.PodName, back.PodName);
        Assert.Equal(2, Server.PeekAll("replicasets", back.Namespace).Count);
    }

    [Fact]
    public async Task The_bound_volume_keeps_its_claim_and_binds_the_next_claim_when_its_claim_was_deleted()
    {
        var first = await Operations().DeployAsync(App().Id, new DeployOptions(), null, CancellationToken.None).Within();
        var claimName = Server.PeekAll("persistentvolumeclaims", first.Namespace).Single()["metadata"]!["name"]!.ToString();
        var volumeName = Server.PeekAll("persistentvolumes").Single()["metadata"]!["name"]!.ToString();
        string ClaimUid() => Server.Peek("persistentvolumeclaims", first.Namespace, claimName)!["metadata"]!["uid"]!.ToString();
        string? BoundUid() => Server.Peek("persistentvolumes", null, volumeName)!["spec"]!["claimRef"]?["uid"]?.ToString();
        Assert.Equal(ClaimUid(), BoundUid());

        // Deleted by hand: the volume is released, and the deploy's new claim must bind it again.
        await harness.Client().CoreV1.DeleteNamespacedPersistentVolumeClaimAsync(claimName, first.Namespace).Within();
        var again = await Operations().DeployAsync(App().Id, new DeployOptions(), null, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30));

        Assert.True(again.Ready);
        Assert.Equal(ClaimUid(), BoundUid());
        Assert.Equal("Bound", Server.Peek("persistentvolumeclaims", first.Namespace, claimName)!["status"]!["phase"]!.ToString());
    }

    [Fact]
    public async Task A_host_another_app_uses_is_a_conflict_before_anything_is_written()
    {
        await Operations().DeployAsync(App().Id, new DeployOptions(), null, CancellationToken.None).Within();
        var other = App(service: "other");
        Server.ClearRequests();
        var progress = new RecordedProgress();

        var error = await Assert.ThrowsAsync<KompoxException>(() => Operations().DeployAsync(other.Id, new DeployOptions(), progress, CancellationToken.None).Within());

        Assert.Equal(("HostConflict", ErrorKind.Conflict, other.Id), (error.ErrorId, error.Kind, error.Target));
        Assert.Contains($"is already used by app {App().Id}", error.Message);
        Assert.Contains("web-8080.", error.Message);
        Assert.EndsWith(". Nothing was written; change app.ingress or remove the other app", error.Message);
        Assert.Contains(progress.Reports, r => r.Kind == ProgressKind.Step && r.Status == "checking the hosts against the other apps");
        Assert.All(Server.Requests, r => Assert.Equal("GET", r.Method));
        Assert.Null(Server.Peek("namespaces", null, KubeNames.Namespace(other)));
    }

    [Fact]
    public async Task Every_host_in_conflict_is_named_one_after_the_other()
    {
        await Operations().DeployAsync(App(compose: TwoPorts).Id, new DeployOptions(), null, CancellationToken.None).Within();
        var other = App(service: "other", compose: TwoPorts);

        var error = await Assert.ThrowsAsync<KompoxException>(() => Operations().DeployAsync(other.Id, new DeployOptions(), null, CancellationToken.None).Within());

        var conflicts = error.Message[(error.Message.IndexOf(": ", StringComparison.Ordinal) + 2)..error.Message.IndexOf(". Nothing was written", StringComparison.Ordinal)].Split("; ");
        Assert.Equal(2, conflicts.Length);
        Assert.Contains(conflicts, c => c.StartsWith("web-8080.", StringComparison.Ordinal) && c.Contains($"is already used by app {App().Id} (Ingress ", StringComparison.Ordinal));
        Assert.Contains(conflicts, c => c.StartsWith("web-9090.", StringComparison.Ordinal) && c.Contains($"is already used by app {App().Id} (Ingress ", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(true, false)]
    [InlineData(false, false)]
    [InlineData(false, true)]
    public async Task An_Ingress_of_an_earlier_Kompox_without_the_app_id_label_is_another_apps_elsewhere_and_the_apps_own_in_its_namespace(bool inOwnNamespace, bool withOwnAppId)
    {
        // Kompox before the app-id label marked its Ingresses with app.kubernetes.io/managed-by only. One in another
        // namespace belongs to another app (one app per namespace); one in the app's own namespace is the app's. One
        // elsewhere that carries the app's own id is the app's too, wherever it is (the label names its app).
        var app = App();
        var ns = inOwnNamespace ? KubeNames.Namespace(app) : "k4x-legacy-abcdef";
        var labels = new Dictionary<string, string> { [KompoxMetadata.ManagedByLabel] = KompoxMetadata.ManagedByValue };
        if (withOwnAppId)
        {
            labels[KompoxMetadata.AppIdLabel] = KubeNames.AppHash(app);
        }

        var admin = harness.Client();
        await harness.CreateNamespaceAsync(admin, ns).Within();
        var host = $"web-8080.lab.ops.example.com";
        await admin.NetworkingV1.CreateNamespacedIngressAsync(
            new k8s.Models.V1Ingress
            {
                ApiVersion = "networking.k8s.io/v1",
                Kind = "Ingress",
                Metadata = new() { Name = "legacy", NamespaceProperty = ns, Labels = labels },
                Spec = new() { Rules = new List<k8s.Models.V1IngressRule> { new() { Host = host } } },
            },
            ns).Within();

        var deploy = Operations().DeployAsync(app.Id, new DeployOptions(), null, CancellationToken.None).Within();

        if (inOwnNamespace || withOwnAppId)
        {
            Assert.True((await deploy.Within()).Ready);
        }
        else
        {
            var error = await Assert.ThrowsAsync<KompoxException>(() => deploy).Within();
            Assert.Equal("HostConflict", error.ErrorId);
            Assert.Contains($"{host} is already used by app (unknown app in namespace {ns}) (Ingress {ns}/legacy)", error.Message);
        }
    }

    [Fact]
    public async Task Pruning_one_app_leaves_the_other_apps_objects_and_what_the_cluster_put_in_its_namespace()
    {
        // What the cluster puts in every namespace, as the test server models it: the "default" ServiceAccount of the
        // service account controller (kubernetes/kubernetes pkg/controller/serviceaccount/serviceaccounts_controller.go)
        // and kube-root-ca.crt of the root CA publisher (pkg/controller/certificates/rootcacertpublisher/publisher.go).
        var a = App(compose: TwoPorts);
        var b = App(name: "shop", compose: TwoPorts);
        var first = await Operations().DeployAsync(a.Id, new DeployOptions(), null, CancellationToken.None).Within();
        var other = await Operations().DeployAsync(b.Id, new DeployOptions(), null, CancellationToken.None).Within();
        var before = Snapshot(other.Namespace);

        await Operations().DeployAsync(App().Id, new DeployOptions(), null, CancellationToken.None).Within();

        Assert.Equal(before, Snapshot(other.Namespace));
        Assert.Single(Server.PeekAll("services", first.Namespace));
        Assert.NotNull(Server.Peek("serviceaccounts", first.Namespace, "default"));
        Assert.NotNull(Server.Peek("configmaps", first.Namespace, "kube-root-ca.crt"));

        // Nor does destroying one.
        await Operations().DestroyAsync(a.Id, new DestroyOptions(), null, CancellationToken.None).Within();
        Assert.Equal(before, Snapshot(other.Namespace));
        Assert.NotNull(Server.Peek("serviceaccounts", first.Namespace, "default"));
        Assert.NotNull(Server.Peek("configmaps", first.Namespace, "kube-root-ca.crt"));

        // The other app's objects, its cluster-wide PersistentVolume included, by kind and name.
        List<string> Snapshot(string ns) => new[] { "services", "ingresses", "serviceaccounts", "configmaps", "secrets", "persistentvolumeclaims", "deployments" }
            .SelectMany(plural => Server.PeekAll(plural, ns).Select(o => $"{plural}/{Name(o)}"))
            .Concat(Server.PeekAll("persistentvolumes").Where(pv => pv["spec"]!["claimRef"]!["namespace"]!.ToString() == ns).Select(pv => $"persistentvolumes/{Name(pv)}"))
            .Order(StringComparer.Ordinal)
            .ToList();
    }

    [Fact]
    public async Task ImagePullBackOff_fails_quoting_the_events_and_saying_the_objects_are_applied()
    {
        Server.FailNextRollout(RolloutFailure.ImagePullBackOff());

        var error = await Assert.ThrowsAsync<KompoxException>(() => Operations().DeployAsync(App().Id, AtOnce, null, CancellationToken.None).Within());

        Assert.Equal(("RolloutFailed", ErrorKind.Unavailable), (error.ErrorId, error.Kind));
        Assert.Contains("container web of Pod", error.Message);
        Assert.Contains("is in ImagePullBackOff", error.Message);
        Assert.Contains("Warning Failed: Failed to pull image \"nginx:1.27\"", error.Message);
        Assert.Contains("ARE applied", error.Message);
        Assert.Equal(Remedy.InspectApp, error.Remedy);
    }

    [Fact]
    public async Task CrashLoopBackOff_is_given_a_minute_then_quotes_the_exit_code_and_the_last_lines_of_the_previous_run()
    {
        var log = Enumerable.Range(1, 14).Select(i => $"line {i}").Append("fatal: cannot open /data/config").ToList();
        Server.FailNextRollout(RolloutFailure.CrashLoopBackOff(3, log));
        var options = new DeployOptions { PollInterval = TimeSpan.FromSeconds(5) };

        // Docker Compose would restart it too: a container that crashes while its database starts may come up later.
        var deploy = Operations().DeployAsync(App().Id, options, null, CancellationToken.None).Within();
        await time.StepUntilAsync(deploy, TimeSpan.FromSeconds(55)).Within();

        Assert.False(deploy.IsCompleted, "failed within the minute a crash loop is given");
        var moved = TimeSpan.FromSeconds(55) + await time.StepUntilAsync(deploy, TimeSpan.FromMinutes(4)).Within();
        Assert.True(deploy.IsCompleted && moved < TimeSpan.FromMinutes(2), $"still waiting {moved} after the start: the crash loop's minute, not the rollout's 5 minutes, should end it");

        var error = await Assert.ThrowsAsync<KompoxException>(() => deploy.WaitAsync(TimeSpan.FromSeconds(30)));

        Assert.Equal("RolloutFailed", error.ErrorId);
        Assert.Contains("is in CrashLoopBackOff", error.Message);
        Assert.Contains("last terminated: Error, exit code 3", error.Message);
        Assert.Contains("Last 10 log lines of container web (previous run):", error.Message);
        Assert.Contains("fatal: cannot open /data/config", error.Message);
        Assert.Contains("line 6", error.Message);
        Assert.DoesNotContain("line 5\n", error.Message.ReplaceLineEndings("\n") + "\n");
    }

    [Fact]
    public async Task An_unschedulable_Pod_fails_with_the_schedulers_message()
    {
        Server.FailNextRollout(RolloutFailure.Unschedulable());

        var error = await Assert.ThrowsAsync<KompoxException>(() => Operations().DeployAsync(App().Id, AtOnce, null, CancellationToken.None).Within());

        Assert.Equal("RolloutFailed", error.ErrorId);
        Assert.Contains("cannot be scheduled: 0/1 nodes are available: 1 Insufficient memory.", error.Message);
        Assert.Contains("Warning FailedScheduling", error.Message);
    }

    // Admission refusals. A Pod the API server refuses is never stored: the ReplicaSet controller records the answer as
    // the condition ReplicaFailure (reason FailedCreate) and a FailedCreate event (kubernetes/kubernetes
    // pkg/controller/replicaset/replica_set_utils.go calculateStatus, pkg/controller/controller_utils.go createPods); the
    // quota's answer is that of staging/src/k8s.io/apiserver/pkg/admission/plugin/resourcequota/controller.go CheckRequest.
    [Fact]
    public async Task An_administrators_quota_that_refuses_the_Pod_fails_the_deploy_within_a_minute_quoting_exceeded_quota()
    {
        var app = App();
        var ns = KubeNames.Namespace(app);
        using (var admin = harness.Client())
        {
            await harness.CreateNamespaceAsync(admin, ns).Within();
            await admin.CoreV1.CreateNamespacedResourceQuotaAsync(
                new k8s.Models.V1ResourceQuota
                {
                    ApiVersion = "v1",
                    Kind = "ResourceQuota",
                    Metadata = new() { Name = "team-limits", NamespaceProperty = ns },
                    Spec = new() { Hard = new Dictionary<string, k8s.Models.ResourceQuantity> { ["limits.memory"] = new("512Mi") } },
                },
                ns).Within();
        }

        var deploy = Operations().DeployAsync(app.Id, new DeployOptions { PollInterval = TimeSpan.FromSeconds(5) }, null, CancellationToken.None).Within();
        await time.StepUntilAsync(deploy, TimeSpan.FromSeconds(55)).Within();
        Assert.False(deploy.IsCompleted, "failed within the minute a refusal is given (a Recreate's old Pod may still count against the quota)");
        var moved = TimeSpan.FromSeconds(55) + await time.StepUntilAsync(deploy, TimeSpan.FromMinutes(4)).Within();

        var error = await Assert.ThrowsAsync<KompoxException>(() => deploy.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.True(moved < TimeSpan.FromMinutes(2), $"failed {moved} after the start, not within the minute's grace");
        Assert.Equal(("RolloutFailed", ErrorKind.Unavailable), (error.ErrorId, error.Kind));
        Assert.Contains("the API server refuses to create the Pod of ReplicaSet ", error.Message);
        Assert.Contains("is forbidden: exceeded quota: team-limits, requested: limits.memory=1Gi, used: limits.memory=0, limited: limits.memory=512Mi", error.Message);
        Assert.Contains("Warning FailedCreate: Error creating: pods \"", error.Message);
        Assert.Contains("ARE applied", error.Message);
    }

    [Fact]
    public async Task A_quota_whose_usage_is_not_counted_yet_is_waited_out_not_reported()
    {
        // Until the quota controller has counted a quota's usage, quota admission refuses every Pod with "status unknown
        // for quota" (CheckRequest's hasUsageStats); the ReplicaSet controller retries, and the Pod comes.
        Server.HoldQuotaUsage();
        var deploy = Operations().DeployAsync(App().Id, new DeployOptions { PollInterval = TimeSpan.FromSeconds(5) }, null, CancellationToken.None).Within();

        await time.StepUntilAsync(deploy, TimeSpan.FromMinutes(2)).Within();
        Assert.False(deploy.IsCompleted, "a transient quota status failed the deploy");
        var replicaSet = Assert.Single(Server.PeekAll("replicasets", KubeNames.Namespace(App())));
        Assert.Contains("status unknown for quota: ", replicaSet["status"]!["conditions"]![0]!["message"]!.ToString());

        Server.ReleaseQuotaUsage();
        await time.StepUntilAsync(deploy, TimeSpan.FromSeconds(10)).Within();

        Assert.True((await deploy.WaitAsync(TimeSpan.FromSeconds(30))).Ready);
    }

    // The safe sysctls newer Kubernetes added: kubernetes/kubernetes pkg/kubelet/sysctl/safe_sysctls.go and
    // staging/src/k8s.io/pod-security-admission/policy/check_sysctls.go (sysctlsAllowedV1Dot27, V1Dot29). The test
    // server's Pod Security admission enforces the policy of its own version, so an older one refuses the Pod.
    [Theory]
    [InlineData(28, "net.ipv4.tcp_keepalive_time", "1.29")]
    [InlineData(28, "net.ipv4.tcp_fin_timeout", "1.29")]
    [InlineData(26, "net.ipv4.ip_local_reserved_ports", "1.27")]
    [InlineData(29, "net.ipv4.tcp_keepalive_time", null)]
    [InlineData(27, "net.ipv4.ip_local_reserved_ports", null)]
    public async Task A_sysctl_safe_only_from_a_later_Kubernetes_is_refused_naming_the_version_before_anything_is_written(int minor, string sysctl, string? since)
    {
        Server.MinorVersion = minor;
        var compose = $$"""
            services:
              web:
                image: nginx:1.27
                ports: ["8080:80"]
                sysctls:
                  {{sysctl}}: "600"
            """;

        var deploy = Operations().DeployAsync(App(compose: compose).Id, new DeployOptions(), null, CancellationToken.None).Within();

        if (since is null)
        {
            Assert.True((await deploy.Within()).Ready);
            return;
        }

        var error = await Assert.ThrowsAsync<KompoxValidationException>(() => deploy).Within();
        Assert.Equal("InvalidCompose", error.ErrorId);
        Assert.Contains($"sysctls.{sysctl}", error.Message);
        Assert.Contains($"sysctl {sysctl} is safe only from Kubernetes {since} on, and the cluster runs 1.{minor}", error.Message);
        Assert.All(Server.Requests, r => Assert.Equal("GET", r.Method));
        Assert.Contains(Server.Requests, r => r.Path.TrimEnd('/') == "/version");
    }

    // Sidecar containers (restartable init containers, KEP-753) are on by default from Kubernetes 1.29
    // (kubernetes.io/docs/concepts/workloads/pods/sidecar-containers/); compose-spec depends_on conditions need them. The
    // plan converts for the version the cluster's /version reports, and on an older one says where each is lost.
    [Theory]
    [InlineData(28, true)]
    [InlineData(29, false)]
    public async Task Depends_on_conditions_on_a_server_older_than_1_29_are_each_a_warning(int minor, bool warned)
    {
        Server.MinorVersion = minor;
        var app = App(compose: """
            services:
              web:
                image: example/web:1
                ports: ["8080:80"]
                depends_on: { db: { condition: service_healthy } }
              db:
                image: postgres:16
                healthcheck: { test: ["CMD", "pg_isready"] }
            """);

        var plan = await Operations().PlanDeployAsync(app.Id, new DeployOptions(), null, CancellationToken.None).Within();

        Assert.Equal(warned, plan.Warnings.Any(w => w.Key == "services.web.depends_on.db" && w.Message.Contains($"the cluster runs Kubernetes 1.{minor}, older than 1.29", StringComparison.Ordinal)));
    }

    // Managed clusters write the minor with a "+" (EKS, GKE: "28+"); k3s and AKS a plain number; gitVersion says the same.
    [Theory]
    [InlineData("1", "28+", "v1.28.3-eks-4f4795d", "1.28")]
    [InlineData("1", "29+", "", "1.29")]
    [InlineData("1", "31", "v1.31.4+k3s1", "1.31")]
    [InlineData("", "", "v1.27.9", "1.27")]
    [InlineData("", "", "", null)]
    public void The_server_version_is_its_major_and_minor(string major, string minor, string gitVersion, string? expected)
    {
        var version = DeployApp.ServerVersion(new k8s.Models.VersionInfo { Major = major, Minor = minor, GitVersion = gitVersion });

        Assert.Equal(expected, version?.ToString());
    }

    [Fact]
    public async Task An_app_without_a_versioned_sysctl_does_not_ask_the_server_version()
    {
        await Operations().DeployAsync(App().Id, new DeployOptions(), null, CancellationToken.None).Within();

        Assert.DoesNotContain(Server.Requests, r => r.Path.TrimEnd('/') == "/version");
    }

    // What the kubelet quotes of a failed pull (kubernetes/kubernetes pkg/kubelet/images/image_manager.go pullImage: the
    // Failed event, and from 1.32 the back-off's waiting message) is the runtime's error: containerd's "...: not found",
    // a registry's "manifest unknown", or a timeout or rate limit that may pass.
    [Theory]
    [InlineData(ImagePullCause.NotFound, 32, "docker.io/library/nginx:1.27: not found")]
    [InlineData(ImagePullCause.ManifestUnknown, 32, "manifest unknown")]
    [InlineData(ImagePullCause.NotFound, 31, "docker.io/library/nginx:1.27: not found")]
    public async Task An_image_the_registry_does_not_have_fails_at_once(ImagePullCause cause, int minor, string quoted)
    {
        Server.MinorVersion = minor;
        Server.FailNextRollout(RolloutFailure.ImagePullBackOff(cause: cause));

        // The clock never moves: a deploy that waited for its grace minute would not end.
        var error = await Assert.ThrowsAsync<KompoxException>(() => Operations().DeployAsync(App().Id, new DeployOptions(), null, CancellationToken.None).Within());

        Assert.Equal("RolloutFailed", error.ErrorId);
        Assert.Contains("is in ImagePullBackOff", error.Message);
        Assert.Contains(quoted, error.Message);
    }

    [Theory]
    [InlineData(ImagePullCause.Timeout, "i/o timeout")]
    [InlineData(ImagePullCause.RateLimited, "429 Too Many Requests")]
    public async Task A_pull_that_may_pass_keeps_its_grace_minute(ImagePullCause cause, string quoted)
    {
        Server.FailNextRollout(RolloutFailure.ImagePullBackOff(cause: cause));

        var deploy = Operations().DeployAsync(App().Id, new DeployOptions { PollInterval = TimeSpan.FromSeconds(5) }, null, CancellationToken.None).Within();
        await time.StepUntilAsync(deploy, TimeSpan.FromSeconds(55)).Within();
        Assert.False(deploy.IsCompleted, "a pull that may pass failed within its minute");
        var moved = TimeSpan.FromSeconds(55) + await time.StepUntilAsync(deploy, TimeSpan.FromMinutes(4)).Within();

        var error = await Assert.ThrowsAsync<KompoxException>(() => deploy.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.True(moved < TimeSpan.FromMinutes(2), $"failed {moved} after the start");
        Assert.Equal("RolloutFailed", error.ErrorId);
        Assert.Contains(quoted, error.Message);
    }

    // A volume that cannot be attached or mounted shows only in events: FailedAttachVolume of the attach/detach
    // controller (pkg/controller/volume/attachdetach/reconciler/reconciler.go) and FailedMount of the kubelet
    // (pkg/volume/util/operationexecutor/operation_generator.go); the containers wait in ContainerCreating.
    [Theory]
    [InlineData("FailedMount", "MountVolume.SetUp failed for volume \"k4x-web-pv\" : mount failed: exit status 32")]
    [InlineData("FailedAttachVolume", "Multi-Attach error for volume \"k4x-web-pv\" Volume is already exclusively attached to one node and can't be attached to another")]
    public async Task A_volume_that_cannot_be_attached_or_mounted_fails_after_the_grace_minute_quoting_the_event(string reason, string message)
    {
        Server.FailNextRollout(reason == "FailedMount" ? RolloutFailure.FailedMount(message) : RolloutFailure.FailedAttachVolume(message));

        var deploy = Operations().DeployAsync(App().Id, new DeployOptions { PollInterval = TimeSpan.FromSeconds(5) }, null, CancellationToken.None).Within();
        await time.StepUntilAsync(deploy, TimeSpan.FromSeconds(55)).Within();
        Assert.False(deploy.IsCompleted, "a disk that may still come failed within its minute");
        var moved = TimeSpan.FromSeconds(55) + await time.StepUntilAsync(deploy, TimeSpan.FromMinutes(4)).Within();

        var error = await Assert.ThrowsAsync<KompoxException>(() => deploy.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.True(moved < TimeSpan.FromMinutes(2), $"failed {moved} after the start, not after the grace minute");
        Assert.Equal("RolloutFailed", error.ErrorId);
        Assert.Contains($"its volumes are not ready ({reason}: {message})", error.Message);
    }

    [Fact]
    public async Task A_Pod_that_never_gets_ready_times_out_on_the_contexts_clock()
    {
        Server.FailNextRollout(RolloutFailure.NeverReady());
        var options = new DeployOptions { Timeout = TimeSpan.FromSeconds(30), PollInterval = TimeSpan.FromSeconds(5) };
        var progress = new RecordedProgress();

        var deploy = Operations().DeployAsync(App().Id, options, progress, CancellationToken.None).Within();
        await time.StepUntilAsync(deploy, TimeSpan.FromMinutes(10)).Within();

        var error = await Assert.ThrowsAsync<KompoxException>(() => deploy.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Equal(("RolloutTimeout", ErrorKind.Timeout), (error.ErrorId, error.Kind));
        Assert.Contains("did not finish in 30 s (updated 1/1, available 0/1, Pod ", error.Message);
        Assert.Contains("Warning Unhealthy: Readiness probe failed", error.Message);
        Assert.Contains(progress.Reports, r => r.Status.StartsWith("waiting for the rollout", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Cancelling_while_the_rollout_is_waited_for_stops_at_once()
    {
        Server.FailNextRollout(RolloutFailure.NeverReady());
        using var cancel = new CancellationTokenSource();
        var progress = new CancelOnWait(cancel);

        var error = await Assert.ThrowsAsync<KompoxException>(() => Operations().DeployAsync(App().Id, new DeployOptions(), progress, cancel.Token).WaitAsync(TimeSpan.FromSeconds(30)));

        Assert.Equal(("OperationCanceled", ErrorKind.Canceled), (error.ErrorId, error.Kind));
    }

    [Fact]
    public async Task An_object_the_server_rejects_is_named_with_what_was_applied_before_it()
    {
        var app = App();
        var ns = KubeNames.Namespace(app);
        var deploymentName = AppValidator.Validate(app, new AppValidationOptions()).Documents.Single(d => d.Kind == "Deployment").Name;
        // A Deployment of that name made by hand, with another selector: the selector cannot change (422).
        using (var client = harness.Client())
        {
            await harness.CreateNamespaceAsync(client, ns).Within();
            await client.AppsV1.CreateNamespacedDeploymentAsync(
                new k8s.Models.V1Deployment
                {
                    ApiVersion = "apps/v1",
                    Kind = "Deployment",
                    Metadata = new() { Name = deploymentName, NamespaceProperty = ns },
                    Spec = new()
                    {
                        Selector = new() { MatchLabels = new Dictionary<string, string> { ["by"] = "hand" } },
                        Template = new()
                        {
                            Metadata = new() { Labels = new Dictionary<string, string> { ["by"] = "hand" } },
                            Spec = new() { Containers = new List<k8s.Models.V1Container> { new() { Name = "x", Image = "busybox:1.37" } } },
                        },
                    },
                },
                ns).Within();
        }

        var error = await Assert.ThrowsAsync<KompoxException>(() => Operations().DeployAsync(app.Id, new DeployOptions(), null, CancellationToken.None).Within());

        Assert.Equal(("KubernetesRejected", ErrorKind.InvalidData), (error.ErrorId, error.Kind));
        Assert.Contains($"applying Deployment {ns}/{deploymentName}", error.Message);
        Assert.Contains("answered 422", error.Message);
        Assert.Contains($"Applied before it: Namespace {ns}, ", error.Message);
        Assert.Contains($"Not applied: Deployment {ns}/{deploymentName}, Ingress ", error.Message);
        Assert.Equal($"Deployment {ns}/{deploymentName}", error.Target);
    }

    // A compose platform is the Pod's kubernetes.io/arch selector; kubelets label their node with their GOARCH
    // (kubelet_node_status.go initialNode). With no node of that architecture the Pod could never be scheduled.
    [Fact]
    public async Task A_platform_no_node_runs_is_refused_naming_the_nodes_architectures_before_anything_is_written()
    {
        const string compose = "services:\n  worker:\n    image: busybox:1.37\n    command: [sleep, infinity]\n    platform: linux/ARCH\n";

        var error = await Assert.ThrowsAsync<KompoxException>(() => Operations().DeployAsync(App(name: "worker", compose: compose.Replace("ARCH", "arm64", StringComparison.Ordinal)).Id, new DeployOptions(), null, CancellationToken.None).Within());

        Assert.Equal(("PlatformUnavailable", ErrorKind.Conflict), (error.ErrorId, error.Kind));
        Assert.Contains("asks for platform linux/arm64 (compose platform), but no node of cluster ops/k3s1/lab runs arm64 (its nodes run amd64)", error.Message);
        Assert.Equal(0, ChangingWrites());

        var status = await Operations().DeployAsync(App(name: "worker", compose: compose.Replace("ARCH", "amd64", StringComparison.Ordinal)).Id, new DeployOptions(), null, CancellationToken.None).Within();
        Assert.True(status.Ready);
    }

    [Fact]
    public async Task Several_nodes_without_K3S_NODE_NAME_is_a_clear_error_and_no_disk_is_made()
    {
        Server.AddNode("kompox-node-2");

        var error = await Assert.ThrowsAsync<KompoxException>(() => Operations().DeployAsync(App().Id, new DeployOptions(), null, CancellationToken.None).Within());

        Assert.Equal(("NodeNameRequired", ErrorKind.InvalidArgument), (error.ErrorId, error.Kind));
        Assert.Contains("has 2 nodes (kompox-node-1, kompox-node-2)", error.Message);
        Assert.Contains("K3S_NODE_NAME", error.Message);
        Assert.False(Directory.Exists(Path.Combine(dataRoot, "disks")) && Directory.EnumerateFileSystemEntries(Path.Combine(dataRoot, "disks")).Any());
    }

    [Fact]
    public async Task K3S_NODE_NAME_picks_the_node_on_a_cluster_of_several_and_the_volume_matches_its_hostname_label()
    {
        // A node whose name differs from its kubernetes.io/hostname label (kubelet_node_status.go initialNode labels the
        // node with the kubelet's host name, not its name): nodeAffinity on that label must carry the label's value.
        Server.AddNode("kompox-node-2", hostname: "lab-host-2", machineId: Here.MachineId);

        var status = await Operations(Here).DeployAsync(App(settings: new Dictionary<string, string> { ["K3S_NODE_NAME"] = "kompox-node-2" }).Id, new DeployOptions(), null, CancellationToken.None).Within();

        var volume = Server.PeekAll("persistentvolumes").Single();
        var term = volume["spec"]!["nodeAffinity"]!["required"]!["nodeSelectorTerms"]![0]!["matchExpressions"]![0]!;
        Assert.Equal(("kubernetes.io/hostname", "lab-host-2"), (term["key"]!.ToString(), term["values"]![0]!.ToString()));
        Assert.True(status.Ready);
    }

    [Fact]
    public async Task A_K3S_NODE_NAME_that_is_no_node_of_the_cluster_is_refused_naming_the_nodes_and_no_disk_is_made()
    {
        var error = await Assert.ThrowsAsync<KompoxException>(() => Operations().DeployAsync(App(settings: new Dictionary<string, string> { ["K3S_NODE_NAME"] = "lab-node1" }).Id, new DeployOptions(), null, CancellationToken.None).Within());

        Assert.Equal(("NodeNotFound", ErrorKind.InvalidArgument), (error.ErrorId, error.Kind));
        Assert.Contains("'lab-node1', which is no node of the cluster (it has kompox-node-1)", error.Message);
        Assert.False(Directory.Exists(Path.Combine(dataRoot, "disks")));
        Assert.Equal(0, ChangingWrites());
    }

    /// <summary>
    /// The node's machine as the kubelet reports it: nodeInfo.machineID (pkg/kubelet/nodestatus/setters.go MachineInfo,
    /// from cAdvisor's /etc/machine-id) and the kubernetes.io/hostname label; a k3s disk is a directory on that machine.
    /// </summary>
    [Theory]
    [InlineData("lab-vm", "0a1b2c3d4e5f60718293a4b5c6d7e8f9")]
    [InlineData("ops-laptop", "0a1b2c3d4e5f60718293a4b5c6d7e8f9")]
    public async Task Deploying_from_another_machine_than_the_k3s_node_is_refused_before_anything_is_written_naming_the_node(string nodeHost, string nodeMachineId)
    {
        // The second case shares the host name with this machine: the machine ids still tell them apart.
        Server.PresentNodeAs(nodeHost, nodeMachineId);
        Server.ClearRequests();

        var error = await Assert.ThrowsAsync<KompoxException>(() => Operations(Laptop).DeployAsync(App().Id, new DeployOptions(), null, CancellationToken.None).Within());

        Assert.Equal(("NotOnDiskNode", ErrorKind.Conflict), (error.ErrorId, error.Kind));
        Assert.Contains($"on node 'kompox-node-1' (host name '{nodeHost}', machine id {nodeMachineId})", error.Message);
        Assert.Contains("Kompox runs on 'ops-laptop' (machine id 99999999999999999999999999999999)", error.Message);
        Assert.Contains("Run Kompox on node 'kompox-node-1', or use the Kompox service that runs there", error.Message);
        Assert.Equal(Remedy.RunOnNode("kompox-node-1"), error.Remedy);
        Assert.False(Directory.Exists(Path.Combine(dataRoot, "disks")));
        Assert.Equal(0, Server.CountChangingWrites());
    }

    [Fact]
    public async Task The_k3s_node_without_a_machine_id_is_this_machine_by_its_hostname_label()
    {
        Server.PresentNodeAs(Laptop.HostName, machineId: null);

        var status = await Operations(Laptop).DeployAsync(App().Id, new DeployOptions(), null, CancellationToken.None).Within();

        Assert.True(Directory.Exists(Path.Combine(dataRoot, "disks", status.CurrentDiskId!)));
    }

    [Fact]
    public async Task An_app_whose_config_names_another_ingress_namespace_than_the_installed_one_is_refused_naming_it()
    {
        var error = await Assert.ThrowsAsync<KompoxException>(() => Operations().DeployAsync(App(ingressNamespace: "ingress").Id, new DeployOptions(), null, CancellationToken.None).Within());

        Assert.Equal(("IngressNotInstalled", ErrorKind.Conflict), (error.ErrorId, error.Kind));
        Assert.Contains("names ingress namespace 'ingress' (cluster.ingress.namespace), but Kompox's ingress on cluster ops/k3s1/lab runs in namespace 'traefik'", error.Message);
        Assert.Contains("Set cluster.ingress.namespace to 'traefik'", error.Message);
        Assert.False(Directory.Exists(Path.Combine(dataRoot, "disks")));
        Assert.Equal(0, ChangingWrites());
    }

    [Fact]
    public async Task An_app_with_hosts_on_a_cluster_never_initialized_is_refused_and_one_without_hosts_deploys()
    {
        using var client = harness.Client();
        await client.AppsV1.DeleteNamespacedDeploymentAsync("traefik", "traefik").Within();

        var error = await Assert.ThrowsAsync<KompoxException>(() => Operations().DeployAsync(App().Id, new DeployOptions(), null, CancellationToken.None).Within());
        var status = await Operations().DeployAsync(App(name: "worker", compose: "services:\n  worker:\n    image: busybox:1.37\n    command: [sleep, infinity]\n").Id, new DeployOptions(), null, CancellationToken.None).Within();

        Assert.Equal(("IngressNotInstalled", Remedy.InitializeCluster), (error.ErrorId, error.Remedy));
        Assert.Contains("has no Kompox ingress (no Deployment traefik/traefik managed by Kompox)", error.Message);
        Assert.True(status.Ready);
    }

    [Fact]
    public async Task Destroy_deletes_exactly_the_apps_objects_keeps_the_namespace_and_disk_and_deploy_comes_back_on_it()
    {
        var app = App();
        var first = await Operations().DeployAsync(app.Id, new DeployOptions(), null, CancellationToken.None).Within();
        var applied = Plan(app, first.CurrentDiskId!).Where(o => o.Kind != "Namespace").ToList();
        var ns = first.Namespace;
        Server.ClearRequests();

        var result = await Operations().DestroyAsync(app.Id, new DestroyOptions(), null, CancellationToken.None).Within();

        Assert.True(result.WasDeployed);
        Assert.Equal(applied.OrderBy(o => o.ToString(), StringComparer.Ordinal), result.Deleted.OrderBy(o => o.ToString(), StringComparer.Ordinal));
        var deletes = Server.Requests.Where(r => r.Method == "DELETE").ToList();
        Assert.Equal(applied.Select(PathOf).Order(StringComparer.Ordinal), deletes.Select(r => r.Path).Order(StringComparer.Ordinal));
        Assert.Equal("Ingress", result.Deleted[0].Kind);
        Assert.Equal("ResourceQuota", result.Deleted[^1].Kind);
        Assert.Empty(Server.PeekAll("pods", ns));
        Assert.Empty(Server.PeekAll("persistentvolumes"));
        var annotations = Server.Peek("namespaces", null, ns)!["metadata"]!["annotations"]!;
        Assert.Equal(first.CurrentDiskId, annotations[KompoxMetadata.DiskCurrentAnnotation]!.ToString());
        Assert.Equal(app.Id, annotations[KompoxMetadata.AppAnnotation]!.ToString());
        Assert.True(Directory.Exists(Path.Combine(dataRoot, "disks", first.CurrentDiskId!)));
        var status = await Operations().GetStatusAsync(app.Id, null, CancellationToken.None).Within();
        Assert.False(status.Deployed);
        Assert.Equal(first.CurrentDiskId, status.CurrentDiskId);

        var again = await Operations().DeployAsync(app.Id, new DeployOptions(), null, CancellationToken.None).Within();

        Assert.Equal(first.CurrentDiskId, again.CurrentDiskId);
        Assert.True(again.Ready);
        Assert.Single(Directory.GetDirectories(Path.Combine(dataRoot, "disks")));
    }

    [Fact]
    public async Task Destroying_an_app_never_deployed_does_nothing()
    {
        var result = await Operations().DestroyAsync(App().Id, new DestroyOptions(), null, CancellationToken.None).Within();

        Assert.False(result.WasDeployed);
        Assert.Empty(result.Deleted);
        Assert.All(Server.Requests, r => Assert.Equal("GET", r.Method));
    }

    [Fact]
    public async Task The_status_tells_the_pod_its_containers_the_urls_and_the_disks()
    {
        var app = App(ingress: new Dictionary<string, string> { ["http_8080"] = "www.example.org" });
        var before = await Operations().GetStatusAsync(app.Id, null, CancellationToken.None).Within();
        Assert.Equal((false, false, null, 0), (before.Deployed, before.Ready, before.PodName, before.Containers.Count));
        Assert.Null(before.CurrentDiskId);

        await Operations().DeployAsync(app.Id, new DeployOptions(), null, CancellationToken.None).Within();
        var status = await Operations().GetStatusAsync(app.Id, null, CancellationToken.None).Within();

        Assert.Equal(app.Id, status.AppId);
        Assert.Equal(KubeNames.Namespace(app), status.Namespace);
        Assert.True(status.Ready);
        var pod = Server.PeekAll("pods", status.Namespace).Single();
        Assert.Equal(pod["metadata"]!["name"]!.ToString(), status.PodName);
        var web = Assert.Single(status.Containers);
        Assert.Equal(new AppContainerStatus("web", "nginx:1.27", "Running", null, null, true, 0, null, null), web);
        var hosts = Server.PeekAll("ingresses", status.Namespace).SelectMany(i => i["spec"]!["rules"]!.AsArray()).Select(r => "https://" + r!["host"]).Order(StringComparer.Ordinal);
        Assert.Equal(hosts, status.Urls);
        Assert.Contains("https://www.example.org", status.Urls);
        Assert.Equal(2, status.Urls.Count);
        Assert.NotNull(status.CurrentDiskId);
        Assert.Null(status.PreviousDiskId);
    }

    [Fact]
    public async Task The_plan_reads_only_and_says_whether_a_disk_would_be_made()
    {
        var app = App();
        var plan = await Operations().PlanDeployAsync(app.Id, new DeployOptions(), null, CancellationToken.None).Within();

        Assert.True(plan.CreatesDisk);
        Assert.DoesNotContain(plan.Apply, o => o.Kind == "PersistentVolume");
        Assert.Contains(plan.Apply, o => o.Kind == "Deployment");
        Assert.All(Server.Requests, r => Assert.Equal("GET", r.Method));

        var status = await Operations().DeployAsync(App(compose: TwoPorts).Id, new DeployOptions(), null, CancellationToken.None).Within();
        Server.ClearRequests();
        var next = await Operations().PlanDeployAsync(App().Id, new DeployOptions { Compare = true }, null, CancellationToken.None).Within();

        Assert.False(next.CreatesDisk);
        Assert.Equal(status.CurrentDiskId, next.DiskId);
        Assert.Equal(Plan(app, status.CurrentDiskId!), next.Apply);
        Assert.Equal(new[] { "Ingress", "Service" }, next.Prune.Select(o => o.Kind));

        // Compared by the server's dry run: the Deployment loses a port, the quota and the volume stay as they are.
        Assert.Equal(PlannedAction.Change, next.Changes.Single(c => c.Object.Kind == "Deployment").Action);
        Assert.Equal(PlannedAction.Unchanged, next.Changes.Single(c => c.Object.Kind == "ResourceQuota").Action);
        Assert.Equal(PlannedAction.Unchanged, next.Changes.Single(c => c.Object.Kind == "PersistentVolume").Action);
        Assert.Equal(PlannedAction.Unchanged, next.Changes.Single(c => c.Object.Kind == "Namespace").Action);
        Assert.All(Server.Requests, r => Assert.True(r.Method == "GET" || r.Query.Contains("dryRun=All", StringComparison.Ordinal), $"{r.Method} {r.Path}?{r.Query}"));
        Assert.Equal(0, ChangingWrites());
    }

    [Fact]
    public async Task The_plan_carries_the_conversion_warnings_but_not_the_missing_disk_deploy_makes()
    {
        var app = App(compose: """
            services:
              web:
                image: nginx:1.27
                environment: [ "GREETING=${NGINX_TAG_NOT_SET_ANYWHERE}" ]
                ports: ["8080:80"]
            """);

        var plan = await Operations().PlanDeployAsync(app.Id, new DeployOptions(), null, CancellationToken.None).Within();

        Assert.True(plan.CreatesDisk);
        Assert.Contains(plan.Warnings, w => w.Message.Contains("NGINX_TAG_NOT_SET_ANYWHERE", StringComparison.Ordinal));
        Assert.DoesNotContain(plan.Warnings, w => w.Message.Contains("no disk", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_deploy_while_another_holder_has_the_apps_lease_names_it_and_writes_nothing()
    {
        var app = App();
        await Operations().DeployAsync(app.Id, new DeployOptions(), null, CancellationToken.None).Within();
        await using var other = await TestLocks.Lease(time).AcquireLeaseAsync(app, TimeSpan.Zero, null, CancellationToken.None).Within();
        Server.ClearRequests();

        var error = await Assert.ThrowsAsync<KompoxException>(() => Operations().DeployAsync(App(compose: TwoPorts).Id, new DeployOptions(), null, CancellationToken.None).Within());

        Assert.Equal(("AppLocked", ErrorKind.Conflict), (error.ErrorId, error.Kind));
        Assert.Contains(other.HolderIdentity, error.Message);
        Assert.Equal(0, ChangingWrites());
        Assert.DoesNotContain(Server.Requests, r => r.Method != "GET");
    }

    public static TheoryData<string> GoldenApps() => AppCorpus.Folders("apps");

    [Theory]
    [MemberData(nameof(GoldenApps))]
    public async Task Every_golden_app_deploys_and_destroys_cleanly(string name)
    {
        var golden = AppCorpus.Load("apps", name).App;
        var app = new KompoxApp
        {
            Name = golden.Name,
            Cluster = App().Cluster,
            Compose = golden.Compose,
            ComposePath = golden.ComposePath,
            Ingress = golden.Ingress,
            Resources = golden.Resources,
            Settings = new Dictionary<string, string>(),
        };
        store.Add(app);

        var status = await Operations().DeployAsync(app.Id, new DeployOptions(), null, CancellationToken.None).Within();

        Assert.True(status.Ready, string.Join(", ", status.Containers));
        var applied = Plan(app, status.CurrentDiskId!).Where(o => o.Kind != "Namespace").ToList();
        var result = await Operations().DestroyAsync(app.Id, new DestroyOptions(), null, CancellationToken.None).Within();
        Assert.Equal(applied.Count, result.Deleted.Count);
        Assert.Empty(Server.PeekAll("pods", status.Namespace));
        Assert.NotNull(Server.Peek("namespaces", null, status.Namespace));
    }

    private int ChangingWrites() =>
        Server.Requests.Count(r => r.Changed && !r.Path.Contains("/leases", StringComparison.Ordinal));

    private List<KubeObjectRef> Plan(KompoxApp app, string diskId)
    {
        var disk = new K3sRuntime(dataRoot, time).GetDiskAsync(app, diskId, CancellationToken.None).Result;
        var nodeName = app.Cluster.Settings.ContainsKey("K3S_NODE_NAME") ? null : Server.NodeName;
        return AppValidatorAccess.Objects(app, disk, nodeName).Select(KubeObjectRef.Of).ToList();
    }

    private static string PathOf(KubeObjectRef o)
    {
        var (prefix, plural) = o.Kind switch
        {
            "Namespace" => ("/api/v1", "namespaces"),
            "ResourceQuota" => ("/api/v1", "resourcequotas"),
            "ServiceAccount" => ("/api/v1", "serviceaccounts"),
            "ConfigMap" => ("/api/v1", "configmaps"),
            "Secret" => ("/api/v1", "secrets"),
            "PersistentVolume" => ("/api/v1", "persistentvolumes"),
            "PersistentVolumeClaim" => ("/api/v1", "persistentvolumeclaims"),
            "Service" => ("/api/v1", "services"),
            "Role" => ("/apis/rbac.authorization.k8s.io/v1", "roles"),
            "RoleBinding" => ("/apis/rbac.authorization.k8s.io/v1", "rolebindings"),
            "NetworkPolicy" => ("/apis/networking.k8s.io/v1", "networkpolicies"),
            "Ingress" => ("/apis/networking.k8s.io/v1", "ingresses"),
            "Deployment" => ("/apis/apps/v1", "deployments"),
            _ => throw new ArgumentException(o.Kind),
        };
        return o.Namespace is null ? $"{prefix}/{plural}/{o.Name}" : $"{prefix}/namespaces/{o.Namespace}/{plural}/{o.Name}";
    }

    private static string Name(JsonObject o) => o["metadata"]!["name"]!.ToString();

    /// <summary>A machine the tests say the context runs on, other than the node's unless a test presents the node as it.</summary>
    private static readonly MachineIdentity Laptop = new("ops-laptop", "99999999999999999999999999999999");

    /// <summary>This machine as the harness presents the node, declared to the context rather than read again.</summary>
    private static readonly MachineIdentity Here = new(ThisMachine.HostName, ThisMachine.MachineId ?? "00000000000000000000000000000001");

    /// <summary>The operations of the test's one context: its clients live as long as the test, as a cmdlet invocation's do.</summary>
    /// <param name="machine">The machine the context runs on; by default this one.</param>
    private AppOperations Operations(MachineIdentity? machine = null) =>
        new(context ??= new KompoxContext(new KubeconfigClientFactory(), new DriverFactory(time), store, time) { AppLockTimeout = TimeSpan.Zero, Machine = machine ?? MachineIdentity.Current });

    private KompoxApp App(string service = "ops", string compose = OperationFixture.Compose, IReadOnlyDictionary<string, string>? ingress = null, IReadOnlyDictionary<string, string>? settings = null, string name = "web", string ingressNamespace = "traefik", string? composePath = null)
    {
        var provider = new KompoxProvider { Name = "k3s1", Driver = "k3s", Settings = new Dictionary<string, string>(), Service = new KompoxService { Name = service } };
        var clusterSettings = new Dictionary<string, string>(settings ?? new Dictionary<string, string>()) { ["K3S_DATA_ROOT"] = dataRoot };
        var cluster = new KompoxCluster
        {
            Name = "lab",
            Provider = provider,
            Auth = new ClusterAuth { Kubeconfig = harness.Kubeconfig },
            Ingress = new ClusterIngress { Namespace = ingressNamespace },
            Domain = "ops.example.com",
            Settings = clusterSettings,
        };
        var app = new KompoxApp
        {
            Name = name,
            Cluster = cluster,
            Compose = compose,
            ComposePath = composePath,
            Ingress = ingress ?? new Dictionary<string, string>(),
            Resources = new Dictionary<string, string> { ["cpu"] = "1", ["memory"] = "1Gi" },
            Settings = new Dictionary<string, string>(),
        };
        store.Add(app);
        return app;
    }

    /// <summary>Cancels as soon as the operation says it waits for the rollout, as Ctrl+C would.</summary>
    private sealed class CancelOnWait(CancellationTokenSource cancel) : IProgress<OperationProgress>
    {
        public void Report(OperationProgress value)
        {
            if (value.Status.StartsWith("waiting for the rollout", StringComparison.Ordinal))
            {
                cancel.Cancel();
            }
        }
    }

    /// <summary>The objects deploy should apply, converted here independently of the operation.</summary>
    private static class AppValidatorAccess
    {
        public static IReadOnlyList<IKubernetesObject<k8s.Models.V1ObjectMeta>> Objects(KompoxApp app, DiskInfo disk, string? nodeName)
        {
            var project = Kompox.Compose.ComposeLoader.Load(app.Compose, app.ComposePath ?? "compose.yml", app.ComposePath is null ? null : Path.GetDirectoryName(app.ComposePath), app.Name, new Dictionary<string, string>(), Array.Empty<string>());
            return AppConverter.Convert(app, project, disk, new AppConversionOptions { NodeName = nodeName }).Objects;
        }
    }
}
