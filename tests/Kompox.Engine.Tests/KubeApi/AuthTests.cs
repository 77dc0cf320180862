using k8s;
using k8s.Models;
using Microsoft.Extensions.Time.Testing;
using static Kompox.Tests.KubeApi.KubeApiHarness;

namespace Kompox.Tests.KubeApi;

public sealed class AuthTests
{
    /// <summary>The app's user access as section 6 describes it: a ServiceAccount bound to a read-only Role, and a short-lived token for it.</summary>
    private static async Task<(string Token, DateTime Expires)> ReaderTokenAsync(IKubernetes client, string ns, long? expirationSeconds = 600)
    {
        await client.CoreV1.CreateNamespacedServiceAccountAsync(new V1ServiceAccount { ApiVersion = "v1", Kind = "ServiceAccount", Metadata = new() { Name = "reader" } }, ns).Within();
        await client.RbacAuthorizationV1.CreateNamespacedRoleAsync(new V1Role
        {
            ApiVersion = "rbac.authorization.k8s.io/v1",
            Kind = "Role",
            Metadata = new() { Name = "reader" },
            Rules =
            [
                new() { ApiGroups = [""], Resources = ["pods", "pods/log", "services", "events"], Verbs = ["get", "list", "watch"] },
                new() { ApiGroups = ["apps"], Resources = ["deployments"], Verbs = ["get", "list", "watch"] },
                new() { ApiGroups = [""], Resources = ["configmaps"], Verbs = ["get"], ResourceNames = ["public"] },
            ],
        }, ns).Within();
        await client.RbacAuthorizationV1.CreateNamespacedRoleBindingAsync(new V1RoleBinding
        {
            ApiVersion = "rbac.authorization.k8s.io/v1",
            Kind = "RoleBinding",
            Metadata = new() { Name = "reader" },
            RoleRef = new() { ApiGroup = "rbac.authorization.k8s.io", Kind = "Role", Name = "reader" },
            Subjects = [new() { Kind = "ServiceAccount", Name = "reader", NamespaceProperty = ns }],
        }, ns).Within();
        var request = await client.CoreV1.CreateNamespacedServiceAccountTokenAsync(new Authenticationv1TokenRequest { Spec = new() { ExpirationSeconds = expirationSeconds } }, "reader", ns).Within();
        return (request.Status.Token, request.Status.ExpirationTimestamp ?? default);
    }

    [Fact]
    public async Task TokenFromTokenRequestIsLimitedByItsRole()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 5, 1, 12, 0, 0, TimeSpan.Zero));
        await using var harness = await StartAsync(time).Within();
        var admin = harness.Client();
        await harness.CreateNamespaceAsync(admin, "app").Within();
        await harness.CreateNamespaceAsync(admin, "other").Within();
        await admin.AppsV1.PatchNamespacedDeploymentAsync(Apply(Deployment("app", "web", ("web", "nginx:1.27"))), "web", "app", fieldManager: "kompox").Within();
        await admin.CoreV1.CreateNamespacedConfigMapAsync(ConfigMap("app", "public", new Dictionary<string, string>()), "app").Within();
        await admin.CoreV1.CreateNamespacedConfigMapAsync(ConfigMap("app", "private", new Dictionary<string, string>()), "app").Within();
        var (token, expires) = await ReaderTokenAsync(admin, "app").Within();
        Assert.Equal(new DateTime(2026, 5, 1, 12, 10, 0, DateTimeKind.Utc), expires.ToUniversalTime());

        var reader = harness.Client(harness.Server.WriteKubeconfig(Path.Combine(harness.Directory, "reader.kubeconfig"), token, "app"));
        var pod = Assert.Single((await reader.CoreV1.ListNamespacedPodAsync("app").Within()).Items);
        Assert.NotNull(await reader.CoreV1.ReadNamespacedPodAsync(pod.Metadata.Name, "app").Within());
        Assert.NotNull(await reader.AppsV1.ReadNamespacedDeploymentAsync("web", "app").Within());
        Assert.NotNull(await reader.CoreV1.ReadNamespacedConfigMapAsync("public", "app").Within());

        var (delete, status) = await FailureAsync(() => reader.CoreV1.DeleteNamespacedPodAsync(pod.Metadata.Name, "app")).Within();
        Assert.Equal(403, delete);
        Assert.Equal("Forbidden", status["reason"]!.ToString());
        Assert.Equal($"pods \"{pod.Metadata.Name}\" is forbidden: User \"system:serviceaccount:app:reader\" cannot delete resource \"pods\" in API group \"\" in the namespace \"app\"", status["message"]!.ToString());
        Assert.Equal(403, (await FailureAsync(() => reader.CoreV1.ReadNamespacedConfigMapAsync("private", "app")).Within()).Code);
        Assert.Equal(403, (await FailureAsync(() => reader.CoreV1.ListNamespacedSecretAsync("app")).Within()).Code);
        Assert.Equal(403, (await FailureAsync(() => reader.CoreV1.ListNamespacedPodAsync("other")).Within()).Code);
        Assert.Equal(403, (await FailureAsync(() => reader.AppsV1.PatchNamespacedDeploymentAsync(Apply(Deployment("app", "web", ("web", "nginx:1.28"))), "web", "app", fieldManager: "user")).Within()).Code);
        Assert.Equal(403, (await FailureAsync(() => reader.CoreV1.ListNamespaceAsync()).Within()).Code);
        Assert.NotNull(harness.Server.Peek("pods", "app", pod.Metadata.Name));

        time.Advance(TimeSpan.FromSeconds(601));
        Assert.Equal(401, (await FailureAsync(() => reader.CoreV1.ListNamespacedPodAsync("app")).Within()).Code);
    }

    [Fact]
    public async Task DeletingTheServiceAccountRevokesItsTokens()
    {
        await using var harness = await StartAsync().Within();
        var admin = harness.Client();
        await harness.CreateNamespaceAsync(admin, "app").Within();
        var (token, _) = await ReaderTokenAsync(admin, "app").Within();
        var reader = harness.Client(harness.Server.WriteKubeconfig(Path.Combine(harness.Directory, "reader.kubeconfig"), token, "app"));
        Assert.Empty((await reader.CoreV1.ListNamespacedPodAsync("app").Within()).Items);

        await admin.CoreV1.DeleteNamespacedServiceAccountAsync("reader", "app").Within();
        await admin.CoreV1.CreateNamespacedServiceAccountAsync(new V1ServiceAccount { ApiVersion = "v1", Kind = "ServiceAccount", Metadata = new() { Name = "reader" } }, "app").Within();
        Assert.Equal(401, (await FailureAsync(() => reader.CoreV1.ListNamespacedPodAsync("app")).Within()).Code);
    }

    [Fact]
    public async Task ClusterRoleBoundInANamespaceGrantsOnlyThere()
    {
        await using var harness = await StartAsync().Within();
        var admin = harness.Client();
        await harness.CreateNamespaceAsync(admin, "app").Within();
        await harness.CreateNamespaceAsync(admin, "other").Within();
        await admin.CoreV1.CreateNamespacedServiceAccountAsync(new V1ServiceAccount { ApiVersion = "v1", Kind = "ServiceAccount", Metadata = new() { Name = "ops" } }, "app").Within();
        await admin.RbacAuthorizationV1.CreateClusterRoleAsync(new V1ClusterRole
        {
            ApiVersion = "rbac.authorization.k8s.io/v1",
            Kind = "ClusterRole",
            Metadata = new() { Name = "secret-reader" },
            Rules = [new() { ApiGroups = [""], Resources = ["secrets"], Verbs = ["list"] }],
        }).Within();
        await admin.RbacAuthorizationV1.CreateNamespacedRoleBindingAsync(new V1RoleBinding
        {
            ApiVersion = "rbac.authorization.k8s.io/v1",
            Kind = "RoleBinding",
            Metadata = new() { Name = "ops" },
            RoleRef = new() { ApiGroup = "rbac.authorization.k8s.io", Kind = "ClusterRole", Name = "secret-reader" },
            Subjects = [new() { Kind = "ServiceAccount", Name = "ops", NamespaceProperty = "app" }],
        }, "other").Within();
        var token = (await admin.CoreV1.CreateNamespacedServiceAccountTokenAsync(new Authenticationv1TokenRequest { Spec = new() }, "ops", "app").Within()).Status.Token;
        var ops = harness.Client(harness.Server.WriteKubeconfig(Path.Combine(harness.Directory, "ops.kubeconfig"), token, null));
        Assert.Empty((await ops.CoreV1.ListNamespacedSecretAsync("other").Within()).Items);
        Assert.Equal(403, (await FailureAsync(() => ops.CoreV1.ListNamespacedSecretAsync("app")).Within()).Code);
    }

    [Fact]
    public async Task MissingOrUnknownTokenIsUnauthorizedAndShortTokensAreInvalid()
    {
        await using var harness = await StartAsync().Within();
        var (code, body) = await harness.RawAsync(HttpMethod.Get, "/api/v1/namespaces", token: null).Within();
        Assert.Equal(401, code);
        Assert.Contains("\"reason\":\"Unauthorized\"", body, StringComparison.Ordinal);
        Assert.Equal(401, (await harness.RawAsync(HttpMethod.Get, "/api", token: "not-a-token").Within()).Code);
        var stranger = harness.Client(harness.Server.WriteKubeconfig(Path.Combine(harness.Directory, "stranger.kubeconfig"), "not-a-token", null));
        Assert.Equal(401, (await FailureAsync(() => stranger.CoreV1.ListNamespaceAsync()).Within()).Code);

        var admin = harness.Client();
        await harness.CreateNamespaceAsync(admin, "app").Within();
        await admin.CoreV1.CreateNamespacedServiceAccountAsync(new V1ServiceAccount { ApiVersion = "v1", Kind = "ServiceAccount", Metadata = new() { Name = "reader" } }, "app").Within();
        var (tooShort, status) = await FailureAsync(() => admin.CoreV1.CreateNamespacedServiceAccountTokenAsync(new Authenticationv1TokenRequest { Spec = new() { ExpirationSeconds = 60 } }, "reader", "app")).Within();
        Assert.Equal(422, tooShort);
        Assert.Contains("spec.expirationSeconds", status["message"]!.ToString(), StringComparison.Ordinal);
        Assert.Equal(404, (await FailureAsync(() => admin.CoreV1.CreateNamespacedServiceAccountTokenAsync(new Authenticationv1TokenRequest { Spec = new() }, "nobody", "app")).Within()).Code);
    }

    [Fact]
    public async Task KubectlAuthCanIFollowsTheRole()
    {
        await using var harness = await StartAsync().Within();
        var admin = harness.Client();
        await harness.CreateNamespaceAsync(admin, "app").Within();
        var (token, _) = await ReaderTokenAsync(admin, "app").Within();
        var kubeconfig = harness.Server.WriteKubeconfig(Path.Combine(harness.Directory, "reader.kubeconfig"), token, "app");

        var allowed = await harness.KubectlWithAsync(kubeconfig, null, "auth", "can-i", "get", "pods", "-n", "app").Within();
        Assert.True(allowed.ExitCode == 0, allowed.Stderr);
        Assert.Equal("yes", allowed.Stdout.Trim());
        var denied = await harness.KubectlWithAsync(kubeconfig, null, "auth", "can-i", "delete", "pods", "-n", "app").Within();
        Assert.Equal((1, "no"), (denied.ExitCode, denied.Stdout.Trim()));
        var logs = await harness.KubectlWithAsync(kubeconfig, null, "auth", "can-i", "get", "pods", "--subresource=log", "-n", "app").Within();
        Assert.Equal("yes", logs.Stdout.Trim());
        var forbidden = await harness.KubectlWithAsync(kubeconfig, null, "get", "secrets", "-n", "app").Within();
        Assert.NotEqual(0, forbidden.ExitCode);
        Assert.Contains("forbidden", forbidden.Stderr, StringComparison.Ordinal);
    }
}
