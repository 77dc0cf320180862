using System.Text;
using Azure.Core;
using Azure.Core.Pipeline;
using Azure.Identity;
using Azure.ResourceManager;
using Kompox.Drivers;
using Kompox.Model;
using Kompox.Operations;
using Kompox.Testing.FakeArm;
using static Kompox.Tests.Drivers.AksLab;

namespace Kompox.Tests.Drivers;

/// <summary>
/// The aks runtime as the module builds it, from the provider's settings alone, against the fake ARM: another cloud's
/// Resource Manager endpoint, a CA to trust for it, and a managed identity signing in through the App Service / Azure
/// Automation token endpoint (IDENTITY_ENDPOINT and IDENTITY_HEADER, learn.microsoft.com/azure/app-service/
/// overview-managed-identity, "REST endpoint reference"). Then what Azure.ResourceManager does with Resource Manager's
/// long-running operations ("Track asynchronous Azure operations", learn.microsoft.com/azure/azure-resource-manager/
/// management/async-operations) and its throttling ("Understand how Azure Resource Manager throttles requests",
/// .../request-limits-and-throttling), which the fake answers as those documents say.
/// </summary>
public sealed class AksCloudTests : IDisposable
{
    private readonly AksLab lab = new();
    private readonly Operations.RecordedProgress progress = new();
    private readonly string? savedEndpoint = Environment.GetEnvironmentVariable("IDENTITY_ENDPOINT");
    private readonly string? savedHeader = Environment.GetEnvironmentVariable("IDENTITY_HEADER");

    public AksCloudTests()
    {
        // What App Service and Azure Automation put in a process with a managed identity.
        Environment.SetEnvironmentVariable("IDENTITY_ENDPOINT", arm.ManagedIdentityEndpoint.ToString());
        Environment.SetEnvironmentVariable("IDENTITY_HEADER", arm.IdentityHeader);
    }

    private FakeArm arm => lab.Arm;

    public void Dispose()
    {
        Environment.SetEnvironmentVariable("IDENTITY_ENDPOINT", savedEndpoint);
        Environment.SetEnvironmentVariable("IDENTITY_HEADER", savedHeader);
        lab.Dispose();
    }

    [Fact]
    public async Task The_provider_settings_name_the_endpoint_its_ca_and_the_credential_and_every_request_goes_there_signed()
    {
        var runtime = SettingsRuntime();

        var disk = await runtime.CreateDiskAsync(App(), progress, CancellationToken.None).Within();

        Assert.Equal(disk.Id, Assert.Single(arm.Disks).Id);
        var token = Assert.Single(arm.Requests, r => r.Path == "/msi/token");
        Assert.Equal(arm.Endpoint.ToString(), token.Query["resource"]);
        Assert.All(arm.Requests.Where(r => r.Path != "/msi/token"), r => Assert.Equal($"Bearer {arm.Token}", r.Header("Authorization")));
    }

    // The system's trust is widened by the CA, never narrowed or skipped: what chains to another CA is refused.
    [Fact]
    public async Task The_ca_setting_trusts_what_chains_to_it_and_nothing_else()
    {
        using var other = new FakeArm();
        var endpoint = new Uri(arm.Endpoint, "msi/token");

        using (var trusting = new HttpClient(AzureConnector.TrustingHandler(Base64(arm.CertificatePem))))
        {
            Assert.Equal(System.Net.HttpStatusCode.Unauthorized, (await trusting.GetAsync(endpoint).Within()).StatusCode);
        }

        using var wrong = new HttpClient(AzureConnector.TrustingHandler(Base64(other.CertificatePem)));
        await Assert.ThrowsAsync<HttpRequestException>(() => wrong.GetAsync(endpoint)).Within();
        using var plain = new HttpClient();
        await Assert.ThrowsAsync<HttpRequestException>(() => plain.GetAsync(endpoint)).Within();
    }

    [Theory]
    [InlineData("https://management.chinacloudapi.cn", "https://management.chinacloudapi.cn", "https://login.chinacloudapi.cn/")]
    [InlineData("https://management.usgovcloudapi.net/", "https://management.usgovcloudapi.net", "https://login.microsoftonline.us/")]
    [InlineData("https://management.azure.com/", "https://management.azure.com/", "https://login.microsoftonline.com/")]
    [InlineData("https://management.local.azurestack.external/", "https://management.local.azurestack.external/", null)]
    public void A_known_clouds_endpoint_brings_its_audience_and_authority_and_another_endpoint_is_its_own_audience(string endpoint, string audience, string? authority)
    {
        var (options, host) = AzureConnector.FromSettings(Provider(new() { [AzureConnector.EndpointSetting] = endpoint }));

        Assert.Equal((new Uri(endpoint.TrimEnd('/') + "/"), audience), (options.Environment!.Value.Endpoint, options.Environment.Value.Audience));
        Assert.Equal(authority, host?.ToString());
        var (_, given) = AzureConnector.FromSettings(Provider(new() { [AzureConnector.EndpointSetting] = endpoint, [AzureConnector.AuthorityHostSetting] = "https://login.example.org/" }));
        Assert.Equal("https://login.example.org/", given!.ToString());
    }

    [Theory]
    [InlineData("AZURE_RESOURCE_MANAGER_ENDPOINT", "http://management.azure.com/")]
    [InlineData("AZURE_RESOURCE_MANAGER_ENDPOINT", "https://management.azure.com/?x=1")]
    [InlineData("AZURE_AUTHORITY_HOST", "login.microsoftonline.com")]
    [InlineData("AZURE_CA", "not base64!")]
    [InlineData("AZURE_CA", "aGVsbG8=")]
    public void A_wrong_value_is_refused_where_it_is_written(string setting, string value)
    {
        var problems = SettingSpec.CheckAll(new AksDriver(), SettingScope.Provider, new Dictionary<string, string>
        {
            ["AZURE_SUBSCRIPTION_ID"] = Subscription,
            ["AZURE_LOCATION"] = "japaneast",
            [setting] = value,
        }).ToList();

        Assert.Equal($"provider.settings.{setting}", Assert.Single(problems).Key);
    }

    // The status resource answers InProgress, then Succeeded; the SDK polls it (Azure-AsyncOperation, not Location, when
    // both are given) and then reads the resource (a PUT's final state is the resource itself).
    [Fact]
    public async Task A_create_answered_202_is_polled_until_it_succeeds_and_then_read()
    {
        arm.OperationPolls = 1;
        var runtime = SettingsRuntime();

        var disk = await runtime.CreateDiskAsync(App(), progress, CancellationToken.None).Within();

        var after = arm.Requests.SkipWhile(r => r.Method != "PUT").Select(r => (r.Method, Kind(r.Path))).ToList();
        Assert.Equal(new[] { ("PUT", "disk"), ("GET", "status"), ("GET", "status"), ("GET", "disk") }, after.Take(4));
        Assert.Equal(disk.Id, Assert.Single(arm.Disks).Id);
    }

    // Grant Access's result is at the Location URL once the operation has succeeded (final-state-via: location).
    [Fact]
    public async Task Granting_access_reads_the_sas_from_the_location_once_the_operation_succeeded_and_deletes_are_polled_too()
    {
        var runtime = SettingsRuntime();
        var app = App();
        var disk = await runtime.CreateDiskAsync(app, progress, CancellationToken.None).Within();

        var image = new byte[(20L << 20) + 512];
        new Random(1).NextBytes(image.AsSpan(4096, 8192));
        SparseBlob.VhdFooter(20L << 20).CopyTo(image, 20 << 20);
        var imported = await runtime.ImportDiskAsync(app, new MemoryStream(image), progress, CancellationToken.None).Within();

        using var exported = new MemoryStream();
        await runtime.ExportDiskAsync(app, imported.Id, exported, progress, CancellationToken.None).Within();
        await runtime.DeleteDiskAsync(app, disk.Id, CancellationToken.None).Within();

        Assert.Equal(image, exported.ToArray());
        Assert.Contains(arm.Requests, r => r.Method == "GET" && Kind(r.Path) == "status" && r.Query.GetValueOrDefault("monitor") == "true");
        var delete = arm.Requests.SkipWhile(r => r.Method != "DELETE").Select(r => (r.Method, Kind(r.Path))).Take(2);
        Assert.Equal(new[] { ("DELETE", "disk"), ("GET", "status") }, delete);
        Assert.Equal(imported.Id, Assert.Single(arm.Disks).Id);
    }

    // A Failed status carries ARM's error: the SDK raises it with the error's code, and the engine names the operation.
    [Fact]
    public async Task An_operation_that_fails_after_it_was_accepted_is_an_error_naming_azures_code()
    {
        var runtime = SettingsRuntime();
        var app = App();
        var disk = await runtime.CreateDiskAsync(app, progress, CancellationToken.None).Within();
        arm.FailOperation = r => r.Method == "DELETE" ? new ArmError("InternalOperationError", "The disk could not be deleted.") : null;

        var error = await Assert.ThrowsAsync<KompoxException>(() => runtime.DeleteDiskAsync(app, disk.Id, CancellationToken.None)).Within();

        Assert.Equal("AzureOperationFailed", error.ErrorId);
        Assert.EndsWith("operation failed with InternalOperationError", error.Message, StringComparison.Ordinal);
        Assert.Single(arm.Disks);
    }

    // The SDK's retry policy waits what Retry-After says and sends the request again (Azure.Core RetryPolicy: 429 is
    // retried, 3 times by default); the fake's bucket of one write refills in four seconds (on the system's clock, as the
    // SDK's wait is: a bucket refilled in one second was full again when a loaded machine took that long between the two
    // creates, and nothing was throttled).
    [Fact]
    public async Task A_throttled_request_is_retried_after_retry_after_and_then_succeeds()
    {
        arm.Throttle = new ArmThrottle(BucketSize: 1, RefillPerSecond: 0.25) { Kinds = new HashSet<string> { "writes" } };
        var runtime = SettingsRuntime();
        var app = App();
        await runtime.CreateDiskAsync(app, progress, CancellationToken.None).Within();

        var second = await runtime.CreateDiskAsync(app, progress, CancellationToken.None).Within();

        Assert.Equal(1, arm.ThrottledRequests);
        Assert.Equal(3, arm.Requests.Count(r => r.Method == "PUT"));
        Assert.Contains(arm.Disks, d => d.Id == second.Id);
    }

    private static string Base64(string pem) => Convert.ToBase64String(Encoding.UTF8.GetBytes(pem));

    private static string Kind(string path) =>
        path.Contains("/DiskOperations/", StringComparison.Ordinal) ? "status" : path.Contains("/disks/", StringComparison.Ordinal) ? "disk" : path;

    /// <summary>The runtime as the module makes it: the public-cloud connector, with the provider's settings naming the fake.</summary>
    private AksRuntime SettingsRuntime(bool ca = true, string? caPem = null)
    {
        var settings = new Dictionary<string, string>
        {
            [AzureConnector.EndpointSetting] = arm.Endpoint.ToString(),
            ["AZURE_TOKEN_CREDENTIALS"] = "ManagedIdentityCredential",
        };
        if (ca)
        {
            settings[AzureConnector.CaSetting] = Convert.ToBase64String(Encoding.UTF8.GetBytes(caPem ?? arm.CertificatePem));
        }

        var app = App(Provider(settings));
        return (AksRuntime)new DriverFactory(lab.Time, AzureConnector.PublicCloud).Runtime(app.Cluster);
    }

    private KompoxApp App(KompoxProvider? provider = null) =>
        AksLab.App(provider: provider ?? Provider(new() { [AzureConnector.EndpointSetting] = arm.Endpoint.ToString() }));
}
