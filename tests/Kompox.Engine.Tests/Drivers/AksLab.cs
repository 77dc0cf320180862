using Azure.Core;
using Azure.Core.Pipeline;
using Azure.ResourceManager;
using Kompox.Drivers;
using Kompox.Model;
using Kompox.Testing.FakeArm;
using Microsoft.Extensions.Time.Testing;

namespace Kompox.Tests.Drivers;

/// <summary>
/// The fake ARM lab of the aks tests, new for each test: the apps' resource group, the regional AKS cluster "lab" in its
/// own group, whose identity is Contributor on the apps' group as the AKS docs ask, and a fake clock. The app "web" of
/// provider aks1 keeps its disks (2 GiB) in the apps' group.
/// </summary>
internal sealed class AksLab : IDisposable
{
    public const string Subscription = "00000000-0000-0000-0000-000000000001";
    public const string Group = "rg-apps";
    public const string ClusterGroup = "rg-aks";
    public const string ClusterPrincipal = "5e2a7c1d-3b4f-4a6e-9d8c-1f0e2b3a4c5d";

    /// <summary>A lab with more resource groups than the apps' and the cluster's.</summary>
    public AksLab(params string[] otherGroups)
    {
        Arm.ResourceGroups.Add(Group);
        foreach (var group in otherGroups)
        {
            Arm.ResourceGroups.Add(group);
        }

        Arm.ResourceGroups.Add(ClusterGroup);
        Arm.Clusters.Add(new FakeManagedCluster(Subscription, ClusterGroup, "lab", "japaneast", ClusterPrincipal, "MC_rg-aks_lab_japaneast", [[]]));
        Arm.RoleAssignments.Add(new FakeRoleAssignment($"/subscriptions/{Subscription}/resourceGroups/{Group}", ClusterPrincipal, FakeArm.ContributorRole));
    }

    public FakeArm Arm { get; } = new();

    public FakeTimeProvider Time { get; } = new(new DateTimeOffset(2025, 8, 11, 12, 34, 56, TimeSpan.Zero));

    /// <summary>The provider aks1 in the lab's subscription and region, with these settings too.</summary>
    public static KompoxProvider Provider(Dictionary<string, string>? settings = null)
    {
        settings ??= new Dictionary<string, string>();
        settings["AZURE_SUBSCRIPTION_ID"] = Subscription;
        settings["AZURE_LOCATION"] = "japaneast";
        return new KompoxProvider { Name = "aks1", Driver = "aks", Settings = settings, Service = new KompoxService { Name = "ops" } };
    }

    /// <summary>An app on the lab's cluster whose disks go in <paramref name="group"/>; no disk type setting when null.</summary>
    public static KompoxApp App(string name = "web", string group = Group, string? diskType = "StandardSSD_LRS", KompoxProvider? provider = null)
    {
        var settings = new Dictionary<string, string> { ["AZURE_RESOURCE_GROUP_NAME"] = group, ["AZURE_DISK_SIZE"] = "2" };
        if (diskType is not null)
        {
            settings["AZURE_DISK_TYPE"] = diskType;
        }

        return new KompoxApp
        {
            Name = name,
            Cluster = new KompoxCluster
            {
                Name = "lab",
                Provider = provider ?? Provider(),
                Auth = new ClusterAuth(),
                Ingress = new ClusterIngress(),
                Domain = "ops.example.com",
                Settings = new Dictionary<string, string> { ["AZURE_RESOURCE_GROUP_NAME"] = ClusterGroup },
            },
            Compose = Operations.OperationFixture.Compose,
            Ingress = new Dictionary<string, string>(),
            Resources = new Dictionary<string, string>(),
            Settings = settings,
        };
    }

    /// <summary>The aks runtime of <see cref="App"/> against the fake, signed in with its token unless told otherwise.</summary>
    public AksRuntime Runtime(TokenCredential? credential = null) =>
        (AksRuntime)new DriverFactory(Time, Connector(credential ?? new StaticCredential(Arm.Token))).Runtime(App().Cluster);

    /// <summary>A connector to the fake that trusts its certificate, without the SDK's retries.</summary>
    public AzureConnector Connector(TokenCredential credential)
    {
        var options = new ArmClientOptions
        {
            Environment = new ArmEnvironment(Arm.Endpoint, "https://management.azure.com/"),
            Transport = new HttpClientTransport(Arm.TrustingHandler()),
        };
        options.Retry.MaxRetries = 0;
        return new AzureConnector(credential, options);
    }

    public void Dispose() => Arm.Dispose();

    /// <summary>The fake's token; it expires an hour after it is asked for, so the SDK never asks again within a test.</summary>
    public sealed class StaticCredential(string token) : TokenCredential
    {
        public override AccessToken GetToken(TokenRequestContext requestContext, CancellationToken cancellationToken) => new(token, DateTimeOffset.UtcNow.AddHours(1));

        public override ValueTask<AccessToken> GetTokenAsync(TokenRequestContext requestContext, CancellationToken cancellationToken) => new(GetToken(requestContext, cancellationToken));
    }
}
