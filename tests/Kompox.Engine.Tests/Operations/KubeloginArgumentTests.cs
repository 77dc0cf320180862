using Kompox.Drivers;
using Kompox.Model;
using Kompox.Operations;
using Kompox.Testing.Kubelogin;

namespace Kompox.Tests.Operations;

/// <summary>
/// The exec arguments of a kubelogin kubeconfig, for every login mode, checked against what <c>kubelogin get-token</c>
/// checks before it signs in (Azure/kubelogin pkg/internal/token/options.go <c>Validate</c> and <c>UpdateFromEnv</c>,
/// execCredentialPlugin.go, and the credential of each mode, e.g. devicecodecredential.go "client ID cannot be empty"),
/// as <see cref="KubeloginGetToken"/> models them. The environment is the one each mode is documented to run in.
/// </summary>
public sealed class KubeloginArgumentTests
{
    private const string Tenant = "72f988bf-86f1-41af-91ab-2d7cd011db47";

    /// <summary>What each mode's own environment supplies (kubelogin docs/book/src/concepts/login-modes/*.md).</summary>
    private static readonly Dictionary<string, Dictionary<string, string>> Environments = new(StringComparer.Ordinal)
    {
        ["azurecli"] = [],
        ["azd"] = [],
        ["devicecode"] = [],
        ["interactive"] = [],
        ["msi"] = [],
        ["spn"] = new() { ["AAD_SERVICE_PRINCIPAL_CLIENT_ID"] = "0b9f3d1e-5c4a-4e8b-9a71-2f6d8c3b1a90", ["AAD_SERVICE_PRINCIPAL_CLIENT_SECRET"] = "s3cret" },
        // The AKS workload identity webhook injects these into the Pod.
        ["workloadidentity"] = new() { ["AZURE_CLIENT_ID"] = "0b9f3d1e-5c4a-4e8b-9a71-2f6d8c3b1a90", ["AZURE_TENANT_ID"] = Tenant, ["AZURE_FEDERATED_TOKEN_FILE"] = "/var/run/secrets/azure/tokens/azure-identity-token" },
    };

    public static TheoryData<string> Modes() => new(AppCredentialOptions.KubeloginLoginModes);

    [Theory]
    [MemberData(nameof(Modes))]
    public void With_the_providers_tenant_every_login_mode_gets_arguments_kubelogin_accepts(string mode)
    {
        var args = AppCredentialIssuer.KubeloginArguments(App(Tenant), mode);

        Assert.Null(KubeloginGetToken.Check(args, Environments[mode]));
        Assert.Equal(["get-token", "--login", mode, "--server-id", AksDriver.AksServerId], args.Take(5));
        Assert.Equal(Tenant, After(args, "--tenant-id"));
    }

    [Theory]
    [InlineData("devicecode")]
    [InlineData("interactive")]
    public void A_user_sign_in_names_the_AKS_client_that_az_aks_get_credentials_writes(string mode)
    {
        var args = AppCredentialIssuer.KubeloginArguments(App(Tenant), mode);

        Assert.Equal("80faf920-1908-4b52-b5ef-a8e7bedfc67a", After(args, "--client-id"));
        var without = args.ToList();
        without.RemoveRange(without.IndexOf("--client-id"), 2);
        Assert.Equal("client ID cannot be empty", KubeloginGetToken.Check(without));
    }

    [Theory]
    [InlineData("devicecode")]
    [InlineData("interactive")]
    public void A_user_sign_in_without_a_tenant_is_refused_instead_of_failing_in_kubelogin(string mode)
    {
        var error = Assert.Throws<KompoxException>(() => AppCredentialIssuer.KubeloginArguments(App(null), mode));

        Assert.Equal(("KubeloginTenantRequired", ErrorKind.InvalidArgument), (error.ErrorId, error.Kind));
        Assert.Contains("provider.settings.AZURE_TENANT_ID", error.Message);
        Assert.Equal(Remedy.ChangeOption("KubeloginLoginMode"), error.Remedy);
    }

    /// <summary>Without the setting, the modes that do not sign a user in take the tenant from where they run.</summary>
    [Theory]
    [InlineData("azurecli")]
    [InlineData("azd")]
    [InlineData("msi")]
    [InlineData("workloadidentity")]
    public void Without_a_tenant_the_other_modes_rely_on_their_environment(string mode)
    {
        var args = AppCredentialIssuer.KubeloginArguments(App(null), mode);

        Assert.DoesNotContain("--tenant-id", args);
        Assert.Null(KubeloginGetToken.Check(args, Environments[mode]));
    }

    [Fact]
    public void A_service_principal_without_a_tenant_needs_AZURE_TENANT_ID_where_kubelogin_runs()
    {
        var args = AppCredentialIssuer.KubeloginArguments(App(null), "spn");

        Assert.Equal("tenant ID cannot be empty", KubeloginGetToken.Check(args, Environments["spn"]));
        Assert.Null(KubeloginGetToken.Check(args, new Dictionary<string, string>(Environments["spn"]) { ["AZURE_TENANT_ID"] = Tenant }));
    }

    /// <summary>The model itself, against kubelogin's own refusals.</summary>
    [Theory]
    [InlineData(new[] { "get-token", "--login", "devicecode" }, "server-id is required")]
    [InlineData(new[] { "get-token", "--server-id", "x" }, "client ID cannot be empty")]
    [InlineData(new[] { "get-token", "--login", "password", "--server-id", "x" }, "'password' is not a supported login method. Supported method is one of devicecode, interactive, spn, ropc, msi, azurecli, azd, workloadidentity, azurepipelines")]
    [InlineData(new[] { "get-token", "--login", "azurecli", "--server-id", "x", "--tenant" }, "unknown flag: --tenant")]
    [InlineData(new[] { "get-token", "-l", "interactive", "--server-id=x", "--client-id", "c", "-t", "t" }, null)]
    [InlineData(new[] { "get-token", "--login", "spn", "--server-id", "x", "--client-id", "c", "--tenant-id", "t" }, "client secret cannot be empty")]
    public void The_kubelogin_model_refuses_as_kubelogin_does(string[] args, string? error) =>
        Assert.Equal(error, KubeloginGetToken.Check(args));

    private static string? After(IReadOnlyList<string> args, string flag) =>
        args.Select((a, i) => (a, i)).Where(p => p.a == flag).Select(p => args[p.i + 1]).SingleOrDefault();

    private static KompoxApp App(string? tenant)
    {
        var service = new KompoxService { Name = "ops" };
        var settings = new Dictionary<string, string> { ["AZURE_SUBSCRIPTION_ID"] = "00000000-0000-0000-0000-000000000001" };
        if (tenant is not null)
        {
            settings["AZURE_TENANT_ID"] = tenant;
        }

        var provider = new KompoxProvider { Name = "aks1", Driver = "aks", Settings = settings, Service = service };
        var cluster = new KompoxCluster { Name = "lab", Provider = provider, Auth = new ClusterAuth(), Ingress = new ClusterIngress(), Domain = "ops.example.com", Settings = new Dictionary<string, string>() };
        return new KompoxApp { Name = "web", Cluster = cluster, Compose = "services: {}", Ingress = new Dictionary<string, string>(), Resources = new Dictionary<string, string>(), Settings = new Dictionary<string, string>() };
    }
}
