using Azure.Core;
using Azure.Core.Pipeline;
using Azure.ResourceManager;
using Kompox.Drivers;
using Kompox.Model;
using Kompox.Operations;
using Kompox.Testing.FakeArm;
using Kompox.Tests.KubeApi;

namespace Kompox.Tests.Operations;

/// <summary>
/// Get-KompoxCluster on AKS says whether NetworkPolicy is enforced, from the managed cluster's
/// networkProfile.networkPolicy as Azure's managedClusters GET returns it (FakeArm, after
/// learn.microsoft.com/rest/api/aks/managed-clusters/get): without a policy engine the apps' NetworkPolicies are stored
/// and not enforced (learn.microsoft.com/azure/aks/use-network-policies).
/// </summary>
public sealed class ClusterNetworkPolicyTests : IAsyncLifetime
{
    private const string Subscription = "00000000-0000-0000-0000-000000000001";
    private readonly FakeArm arm = new();
    private readonly ConfigFileStore store = new();
    private KubeApiHarness harness = null!;

    public async Task InitializeAsync() => harness = await KubeApiHarness.StartAsync().Within();

    public async Task DisposeAsync()
    {
        await harness.DisposeAsync().Within();
        arm.Dispose();
    }

    [Theory]
    [InlineData("calico", "calico", true)]
    [InlineData("cilium", "cilium", true)]
    [InlineData("none", "none", false)]
    [InlineData(null, "none", false)]
    public async Task The_status_says_whether_NetworkPolicy_is_enforced_and_warns_when_it_is_not(string? armPolicy, string expected, bool enforced)
    {
        // Another cluster in the group with another engine: the status is the named cluster's.
        AddManagedCluster("other-aks", "azure");
        AddManagedCluster("my-aks", armPolicy);
        var progress = new RecordedProgress();

        var status = await Operations().GetStatusAsync(Cluster().Id, progress, CancellationToken.None).Within();

        Assert.Equal((expected, enforced), (status.NetworkPolicy, status.NetworkPolicyEnforced));
        Assert.Equal(!enforced, progress.Reports.Any(r => r.Kind == ProgressKind.Warning && r.Status.Contains("NetworkPolicies are not enforced", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task The_AKS_cluster_is_the_one_AZURE_AKS_CLUSTER_NAME_names()
    {
        AddManagedCluster("my-aks", "calico");
        AddManagedCluster("aks-prod-01", "none");

        var status = await Operations().GetStatusAsync(Cluster(aksName: "aks-prod-01").Id, null, CancellationToken.None).Within();

        Assert.Equal(("none", false), (status.NetworkPolicy, status.NetworkPolicyEnforced));
    }

    [Fact]
    public async Task A_cluster_Azure_does_not_have_is_unknown_naming_the_setting_and_a_provider_that_cannot_be_asked_is_a_warning()
    {
        AddManagedCluster("other-aks", "calico");
        var missing = new RecordedProgress();
        var status = await Operations().GetStatusAsync(Cluster().Id, missing, CancellationToken.None).Within();
        Assert.Null(status.NetworkPolicyEnforced);
        Assert.Contains(missing.Reports, r => r.Kind == ProgressKind.Warning && r.Status.Contains("AZURE_AKS_CLUSTER_NAME", StringComparison.Ordinal));

        var progress = new RecordedProgress();
        var refused = await Operations(token: "wrong").GetStatusAsync(Cluster().Id, progress, CancellationToken.None).Within();
        Assert.Null(refused.NetworkPolicy);
        Assert.Contains(progress.Reports, r => r.Kind == ProgressKind.Warning && r.Status.Contains("whether NetworkPolicy is enforced is unknown", StringComparison.Ordinal));
    }

    private ClusterOperations Operations(string? token = null)
    {
        var options = new ArmClientOptions
        {
            Environment = new ArmEnvironment(arm.Endpoint, "https://management.azure.com/"),
            Transport = new HttpClientTransport(arm.TrustingHandler()),
        };
        options.Retry.MaxRetries = 0;
        var drivers = new DriverFactory(TimeProvider.System, new AzureConnector(new StaticCredential(token ?? arm.Token), options));
        return new ClusterOperations(new KompoxContext(new KubeconfigClientFactory(), drivers, store, TimeProvider.System));
    }

    private void AddManagedCluster(string name, string? networkPolicy)
    {
        arm.ResourceGroups.Add("rg-aks");
        arm.Clusters.Add(new FakeManagedCluster(Subscription, "rg-aks", name, "japaneast", Guid.NewGuid().ToString(), $"MC_rg-aks_{name}_japaneast", [[]], NetworkPolicy: networkPolicy));
    }

    private KompoxCluster Cluster(string? aksName = null)
    {
        var provider = new KompoxProvider
        {
            Name = "aks1",
            Driver = "aks",
            Settings = new Dictionary<string, string> { ["AZURE_SUBSCRIPTION_ID"] = Subscription, ["AZURE_LOCATION"] = "japaneast" },
            Service = new KompoxService { Name = "ops" },
        };
        var cluster = new KompoxCluster
        {
            Name = "my-aks",
            Provider = provider,
            Auth = new ClusterAuth { Kubeconfig = harness.Kubeconfig },
            Ingress = new ClusterIngress(),
            Domain = "ops.example.com",
            Settings = aksName is null
                ? new Dictionary<string, string> { ["AZURE_RESOURCE_GROUP_NAME"] = "rg-aks" }
                : new Dictionary<string, string> { ["AZURE_RESOURCE_GROUP_NAME"] = "rg-aks", ["AZURE_AKS_CLUSTER_NAME"] = aksName },
        };
        store.Add(cluster);
        return cluster;
    }

    private sealed class StaticCredential(string token) : TokenCredential
    {
        public override AccessToken GetToken(TokenRequestContext requestContext, CancellationToken cancellationToken) => new(token, DateTimeOffset.UtcNow.AddHours(1));

        public override ValueTask<AccessToken> GetTokenAsync(TokenRequestContext requestContext, CancellationToken cancellationToken) => new(GetToken(requestContext, cancellationToken));
    }
}
