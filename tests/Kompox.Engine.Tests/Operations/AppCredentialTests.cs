using k8s;
using k8s.Autorest;
using k8s.Models;
using Kompox.Conversion;
using Kompox.Drivers;
using Kompox.Model;
using Kompox.Operations;
using Kompox.Testing.KubeApi;
using Kompox.Tests.KubeApi;

namespace Kompox.Tests.Operations;

/// <summary>
/// The user kubeconfig against the test API server, onto which the app's converted manifest is applied server-side
/// (the stand-in for deploy); the server's clock is the fixture's fake one, so expiry times are exact.
/// </summary>
public sealed class AppCredentialTests : IAsyncLifetime
{
    private const string EntraUser = "ann@contoso.com";
    private const string EntraServicePrincipal = "0b9f3d1e-5c4a-4e8b-9a71-2f6d8c3b1a90";
    private const string EntraGroup = "7c1e2d3f-4a5b-4c6d-8e9f-0a1b2c3d4e5f";

    private readonly OperationFixture fixture = new();
    private KubeApiHarness harness = null!;

    public async Task InitializeAsync() => harness = await KubeApiHarness.StartAsync(fixture.Time).Within();

    public async Task DisposeAsync()
    {
        await harness.DisposeAsync().Within();
        fixture.Dispose();
    }

    [Fact]
    public async Task The_token_authenticates_as_the_apps_ServiceAccount_for_the_duration_asked()
    {
        var app = App();
        await DeployAsync(app).Within();
        var ns = KubeNames.Namespace(app);

        var credential = await Operations().GetCredentialAsync(app.Id, new AppCredentialOptions { Duration = TimeSpan.FromHours(2) }, null, CancellationToken.None).Within();

        Assert.Equal(fixture.Time.GetUtcNow().AddHours(2), credential.ExpiresAt);
        Assert.Equal(ns, credential.Namespace);
        Assert.Equal("web-access", credential.ServiceAccount);
        Assert.Equal($"system:serviceaccount:{ns}:web-access", credential.User);
        Assert.Equal(harness.Server.BaseUri.GetLeftPart(UriPartial.Authority), credential.Server);
        Assert.False(credential.Kubelogin);

        var client = ClientOf(credential);
        var pods = await client.CoreV1.ListNamespacedPodAsync(ns).Within();
        Assert.Single(pods.Items);

        // The server's refusal names who the token is: the ServiceAccount.
        var refused = await Assert.ThrowsAsync<HttpOperationException>(() => client.CoreV1.ListNamespacedSecretAsync(ns)).Within();
        Assert.Equal(403, (int)refused.Response.StatusCode);
        Assert.Contains($"User \"system:serviceaccount:{ns}:web-access\"", System.Text.Json.Nodes.JsonNode.Parse(refused.Response.Content)!["message"]!.GetValue<string>());

        // The token expires when the TokenRequest said.
        fixture.Time.Advance(TimeSpan.FromHours(2));
        var expired = await Assert.ThrowsAsync<HttpOperationException>(() => client.CoreV1.ListNamespacedPodAsync(ns)).Within();
        Assert.Equal(401, (int)expired.Response.StatusCode);
    }

    [Fact]
    public async Task The_Role_allows_reading_logs_exec_attach_and_port_forward_and_no_change_to_anything()
    {
        var app = App();
        await DeployAsync(app).Within();
        var ns = KubeNames.Namespace(app);
        var credential = await Operations().GetCredentialAsync(app.Id, new AppCredentialOptions(), null, CancellationToken.None).Within();
        Assert.Equal(fixture.Time.GetUtcNow().AddHours(1), credential.ExpiresAt);
        var client = ClientOf(credential);

        var reads = new[] { ("", "pods", ""), ("", "pods", "log"), ("", "services", ""), ("", "events", ""), ("apps", "deployments", ""), ("apps", "replicasets", ""), ("events.k8s.io", "events", "") };
        foreach (var (group, resource, sub) in reads)
        {
            foreach (var verb in new[] { "get", "list", "watch" })
            {
                Assert.True(await CanAsync(client, verb, group, resource, sub, ns).Within(), $"{verb} {resource}/{sub}");
                Assert.False(await CanAsync(client, verb, group, resource, sub, "default").Within(), $"{verb} {resource}/{sub} in another namespace");
            }
        }

        foreach (var sub in new[] { "exec", "attach", "portforward" })
        {
            Assert.True(await CanAsync(client, "create", "", "pods", sub, ns).Within(), $"create pods/{sub}");
            Assert.True(await CanAsync(client, "get", "", "pods", sub, ns).Within(), $"get pods/{sub}");
        }

        // Nothing else may be created, changed or deleted, in the namespace or outside it; secrets cannot even be read.
        foreach (var resource in ResourceCatalog.All)
        {
            foreach (var sub in new[] { "", "status" })
            {
                foreach (var verb in new[] { "create", "update", "patch", "delete", "deletecollection" })
                {
                    Assert.False(await CanAsync(client, verb, resource.Group, resource.Plural, sub, resource.Namespaced ? ns : "").Within(), $"{verb} {resource.QualifiedName}/{sub}");
                }
            }
        }

        Assert.False(await CanAsync(client, "create", "", "serviceaccounts", "token", ns).Within());
        Assert.False(await CanAsync(client, "get", "", "secrets", "", ns).Within());
        Assert.False(await CanAsync(client, "list", "", "configmaps", "", ns).Within());
    }

    [Fact]
    public async Task A_duration_under_ten_minutes_is_refused_naming_the_parameter_before_any_request()
    {
        var app = App();
        harness.Server.ClearRequests();

        var error = await Assert.ThrowsAsync<KompoxException>(() => Operations().GetCredentialAsync(app.Id, new AppCredentialOptions { Duration = TimeSpan.FromMinutes(9) }, null, CancellationToken.None)).Within();

        Assert.Equal(("InvalidDuration", ErrorKind.InvalidArgument), (error.ErrorId, error.Kind));
        Assert.Contains("the duration 00:09:00", error.Message);
        Assert.Empty(harness.Server.Requests);
        Assert.Null(AppCredentialOptions.CheckDuration(TimeSpan.FromMinutes(10)));
    }

    [Fact]
    public async Task An_app_that_was_never_deployed_has_no_credential()
    {
        var error = await Assert.ThrowsAsync<KompoxException>(() => Operations().GetCredentialAsync(App().Id, new AppCredentialOptions(), null, CancellationToken.None)).Within();

        Assert.Equal(("AppNotDeployed", ErrorKind.NotFound), (error.ErrorId, error.Kind));
        Assert.Equal(Remedy.DeployFirst, error.Remedy);
    }

    [Fact]
    public async Task Kubelogin_is_refused_on_k3s()
    {
        var app = App();
        await DeployAsync(app).Within();

        var error = await Assert.ThrowsAsync<KompoxException>(() => Operations().GetCredentialAsync(app.Id, new AppCredentialOptions { Kubelogin = true }, null, CancellationToken.None)).Within();

        Assert.Equal(("KubeloginUnsupported", ErrorKind.InvalidArgument), (error.ErrorId, error.Kind));
        Assert.Contains("k3s", error.Message);
    }

    [Fact]
    public async Task On_AKS_the_Entra_principals_of_the_settings_are_bound_and_the_kubelogin_kubeconfig_holds_no_token()
    {
        var app = App("aks", new Dictionary<string, string>
        {
            [AksDriver.AccessUsersSetting] = $"{EntraUser}, {EntraServicePrincipal}",
            [AksDriver.AccessGroupsSetting] = EntraGroup,
        });
        await DeployAsync(app).Within();
        var ns = KubeNames.Namespace(app);

        var binding = await harness.Client().RbacAuthorizationV1.ReadNamespacedRoleBindingAsync("web-access", ns).Within();
        Assert.Equal(
            new[] { ("ServiceAccount", "web-access"), ("Group", EntraGroup), ("User", EntraServicePrincipal), ("User", EntraUser) },
            binding.Subjects.Select(s => (s.Kind, s.Name)));

        var credential = await Operations().GetCredentialAsync(app.Id, new AppCredentialOptions { Kubelogin = true }, null, CancellationToken.None).Within();

        Assert.True(credential.Kubelogin);
        Assert.Null(credential.ExpiresAt);
        Assert.Contains(EntraUser, credential.User);
        Assert.DoesNotContain("token:", credential.Kubeconfig);
        var config = KubernetesYaml.Deserialize<k8s.KubeConfigModels.K8SConfiguration>(credential.Kubeconfig);
        var exec = config.Users.Single().UserCredentials.ExternalExecution;
        Assert.Equal("kubelogin", exec.Command);
        Assert.Equal(new[] { "get-token", "--login", "azurecli", "--server-id", AksDriver.AksServerId }, exec.Arguments);
        Assert.Equal(ns, config.Contexts.Single().ContextDetails.Namespace);
    }

    [Fact]
    public async Task Kubelogin_without_principals_on_the_Role_is_refused_naming_the_settings()
    {
        var app = App("aks", new Dictionary<string, string>());
        await DeployAsync(app).Within();

        var error = await Assert.ThrowsAsync<KompoxException>(() => Operations().GetCredentialAsync(app.Id, new AppCredentialOptions { Kubelogin = true }, null, CancellationToken.None)).Within();

        Assert.Equal("NoAccessPrincipals", error.ErrorId);
        Assert.Contains(AksDriver.AccessUsersSetting, error.Message);
    }

    [Theory]
    [InlineData(AksDriver.AccessUsersSetting, "ann")]
    [InlineData(AksDriver.AccessUsersSetting, " , ")]
    [InlineData(AksDriver.AccessGroupsSetting, "developers")]
    public void Malformed_access_settings_are_named(string setting, string value)
    {
        var app = App("aks", new Dictionary<string, string> { [setting] = value });

        var error = Assert.Throws<KompoxException>(() => new AksDriver().AccessSubjects(app));
        Assert.Equal("InvalidSetting", error.ErrorId);
        Assert.Contains($"app.settings.{setting}", error.Message);
        Assert.Contains(new AksDriver().Settings, s => s.Name == setting && s.Scope == SettingScope.App && s.Check(value) is not null);
    }

    [Fact]
    public void The_endpoint_is_the_cluster_part_of_the_clusters_own_kubeconfig()
    {
        var dir = harness.Directory;
        File.WriteAllText(Path.Combine(dir, "ca.pem"), Kube.TestCertificates.Create("lab-ca").Certificate);   // a real one: the CA is checked to parse
        var kubeconfig = Path.Combine(dir, "lab.kubeconfig");
        File.WriteAllText(kubeconfig, """
            apiVersion: v1
            kind: Config
            current-context: lab
            clusters:
            - name: lab
              cluster: {server: "https://10.0.0.1:6443", certificate-authority: ca.pem, tls-server-name: kube.lab.internal}
            - name: edge
              cluster: {server: "https://edge:6443", insecure-skip-tls-verify: true}
            contexts:
            - name: lab
              context: {cluster: lab, user: me}
            - name: edge
              context: {cluster: edge, user: me}
            users:
            - name: me
              user: {token: t}
            """);

        var lab = KubeconfigClientFactory.Endpoint(Cluster(new ClusterAuth { Kubeconfig = kubeconfig }));
        Assert.Equal(new KubeEndpoint("https://10.0.0.1:6443", Convert.ToBase64String(File.ReadAllBytes(Path.Combine(dir, "ca.pem"))), "kube.lab.internal", false), lab);
        var edge = KubeconfigClientFactory.Endpoint(Cluster(new ClusterAuth { Kubeconfig = kubeconfig, Context = "edge" }));
        Assert.Equal(new KubeEndpoint("https://edge:6443", null, null, true), edge);
        Assert.Equal("InvalidKubeconfig", Assert.Throws<KompoxException>(() => KubeconfigClientFactory.Endpoint(Cluster(new ClusterAuth { Kubeconfig = kubeconfig, Context = "nope" }))).ErrorId);
    }

    /// <summary>
    /// k3s writes its own kubeconfig with server https://127.0.0.1:6443 (k3s-io/k3s pkg/cli/server: the admin kubeconfig
    /// names the loopback address), which the test server's kubeconfig names too: users elsewhere reach the address the
    /// cluster's API_SERVER_URL names, with its CA when given.
    /// </summary>
    [Fact]
    public async Task With_API_SERVER_URL_the_kubeconfig_names_that_address_and_its_CA_and_nothing_is_warned()
    {
        var otherCa = Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"));
        var app = App(clusterSettings: new Dictionary<string, string> { ["API_SERVER_URL"] = "https://k3s.example.com:6443", ["API_SERVER_CA"] = otherCa });
        await DeployAsync(app).Within();
        var progress = new RecordedProgress();

        var credential = await Operations().GetCredentialAsync(app.Id, new AppCredentialOptions(), progress, CancellationToken.None).Within();

        Assert.Equal("https://k3s.example.com:6443", credential.Server);
        Assert.Contains("    server: \"https://k3s.example.com:6443\"\n", credential.Kubeconfig);
        Assert.Contains($"    certificate-authority-data: \"{otherCa}\"\n", credential.Kubeconfig);
        Assert.DoesNotContain(progress.Reports, r => r.Kind == ProgressKind.Warning);

        // Without a CA of its own, the operator's kubeconfig's CA stays.
        var sameCa = App(name: "api", clusterSettings: new Dictionary<string, string> { ["API_SERVER_URL"] = "https://k3s.example.com:6443" });
        await DeployAsync(sameCa).Within();
        var kept = await Operations().GetCredentialAsync(sameCa.Id, new AppCredentialOptions(), null, CancellationToken.None).Within();
        Assert.Contains($"    certificate-authority-data: \"{Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(Kompox.Testing.KubeApi.KubeApiServer.CertificatePem))}\"\n", kept.Kubeconfig);
    }

    [Fact]
    public async Task Without_API_SERVER_URL_a_loopback_server_address_is_warned_naming_it()
    {
        var app = App();
        await DeployAsync(app).Within();
        var progress = new RecordedProgress();

        var credential = await Operations().GetCredentialAsync(app.Id, new AppCredentialOptions(), progress, CancellationToken.None).Within();

        var server = harness.Server.BaseUri.GetLeftPart(UriPartial.Authority);
        Assert.StartsWith("https://127.0.0.1:", server);
        Assert.Equal(server, credential.Server);
        var warning = Assert.Single(progress.Reports, r => r.Kind == ProgressKind.Warning);
        Assert.Contains($"the kubeconfig names the API server {server}, an address on the operator's own machine", warning.Status);
        Assert.Contains("set cluster.settings.API_SERVER_URL", warning.Status);
    }

    private AppOperations Operations() =>
        new(new KompoxContext(new KubeconfigClientFactory(), new DriverFactory(fixture.Time), fixture.Store, fixture.Time, new InProcessAppLock(fixture.Time)));

    private KompoxCluster Cluster(ClusterAuth auth, KompoxCluster? like = null)
    {
        var cluster = like ?? fixture.App().Cluster;
        return new KompoxCluster { Name = cluster.Name, Provider = cluster.Provider, Auth = auth, Ingress = cluster.Ingress, Domain = cluster.Domain, Settings = cluster.Settings };
    }

    private KompoxApp App(string driver = "k3s", IReadOnlyDictionary<string, string>? settings = null, IReadOnlyDictionary<string, string>? clusterSettings = null, string name = "web")
    {
        var app = fixture.App(name: name, driver: driver);
        var cluster = Cluster(new ClusterAuth { Kubeconfig = harness.Kubeconfig }, app.Cluster);
        if (clusterSettings is not null)
        {
            cluster = new KompoxCluster { Name = cluster.Name, Provider = cluster.Provider, Auth = cluster.Auth, Ingress = cluster.Ingress, Domain = cluster.Domain, Settings = cluster.Settings.Concat(clusterSettings).ToDictionary() };
        }

        var made = new KompoxApp
        {
            Name = app.Name,
            Cluster = cluster,
            Compose = app.Compose,
            Ingress = app.Ingress,
            Resources = app.Resources,
            Settings = settings ?? app.Settings,
        };
        fixture.Store.Add(made);
        return made;
    }

    /// <summary>Applies the app's converted manifest with kubectl's server-side apply, as deploy would, and lets its Pod run.</summary>
    private async Task DeployAsync(KompoxApp app)
    {
        var validation = AppValidator.Validate(app, new AppValidationOptions());
        Assert.True(validation.IsValid, string.Join("\n", validation.Errors));
        var (code, stdout, stderr) = await harness.KubectlWithAsync(null, validation.Yaml, "apply", "--server-side", "--field-manager=kompox", "-f", "-").Within();
        Assert.True(code == 0, stdout + stderr);
    }

    private static IKubernetes ClientOf(AppCredential credential)
    {
        using var stream = new MemoryStream(System.Text.Encoding.UTF8.GetBytes(credential.Kubeconfig));
        return new Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigFile(stream));
    }

    private static async Task<bool> CanAsync(IKubernetes client, string verb, string group, string resource, string subresource, string ns)
    {
        var review = await client.AuthorizationV1.CreateSelfSubjectAccessReviewAsync(new V1SelfSubjectAccessReview
        {
            ApiVersion = "authorization.k8s.io/v1",
            Kind = "SelfSubjectAccessReview",
            Spec = new V1SelfSubjectAccessReviewSpec
            {
                ResourceAttributes = new V1ResourceAttributes { Verb = verb, Group = group, Resource = resource, Subresource = subresource, NamespaceProperty = ns },
            },
        }).Within();
        return review.Status.Allowed;
    }
}
