using Kompox.Drivers;
using Kompox.Model;

namespace Kompox.Tests.Rules;

public class SettingRuleTests
{
    private static readonly IProviderDriver Aks = ProviderDrivers.Find("aks")!;
    private static readonly IProviderDriver K3s = ProviderDrivers.Find("k3s")!;

    // A later pair replaces an earlier one of the same key, so a case can override the valid base value.
    private static List<KeyProblem> Check(IProviderDriver driver, SettingScope scope, params (string Key, string Value)[] settings)
    {
        var values = new Dictionary<string, string>();
        foreach (var (key, value) in settings)
        {
            values[key] = value;
        }

        return SettingSpec.CheckAll(driver, scope, values).ToList();
    }

    [Fact]
    public void Valid_settings_have_no_problems()
    {
        Assert.Empty(Check(Aks, SettingScope.Provider, ("AZURE_SUBSCRIPTION_ID", "00000000-0000-0000-0000-000000000001"), ("AZURE_LOCATION", "japaneast")));
        Assert.Empty(Check(Aks, SettingScope.App, ("AZURE_RESOURCE_GROUP_NAME", "rg-apps"), ("AZURE_DISK_SIZE", "64"), ("AZURE_DISK_TYPE", "Premium_LRS")));
        Assert.Empty(Check(K3s, SettingScope.Cluster, ("K3S_DATA_ROOT", "/srv/kompox"), ("K3S_NODE_NAME", "node1")));
        Assert.Empty(Check(K3s, SettingScope.App));
    }

    [Theory]
    [InlineData("AZURE_DISK_SIZE", "big", "is not a disk size")]
    [InlineData("AZURE_DISK_SIZE", "0", "is not a disk size")]
    [InlineData("AZURE_DISK_SIZE", "32768", "from 1 to 32767")]
    [InlineData("AZURE_DISK_TYPE", "premium", "is not a managed disk type")]
    [InlineData("AZURE_LOCATION", "Japan East", "is not an Azure region name")]
    [InlineData("AZURE_RESOURCE_GROUP_NAME", "rg.", "is not a resource group name")]
    public void A_wrong_value_is_an_error_under_its_key_path(string key, string value, string expected)
    {
        var problems = Check(Aks, SettingScope.App, ("AZURE_RESOURCE_GROUP_NAME", "rg-apps"), (key, value));

        var problem = Assert.Single(problems);
        Assert.Equal($"app.settings.{key}", problem.Key);
        Assert.Equal(Severity.Error, problem.Severity);
        Assert.Contains(expected, problem.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("aks-prod_01", null)]
    [InlineData("a", null)]
    [InlineData("-aks", "is not an AKS cluster name")]
    [InlineData("aks-", "is not an AKS cluster name")]
    [InlineData("aks.prod", "is not an AKS cluster name")]
    public void The_AKS_cluster_name_follows_Azures_naming_rules_for_managed_clusters(string value, string? expected)
    {
        // learn.microsoft.com/azure/azure-resource-manager/management/resource-name-rules (Microsoft.ContainerService,
        // managedClusters): 1-63 characters, alphanumerics, underscores and hyphens, starting and ending with an alphanumeric.
        var problems = Check(Aks, SettingScope.Cluster, ("AZURE_RESOURCE_GROUP_NAME", "rg-aks"), ("AZURE_AKS_CLUSTER_NAME", value));

        if (expected is null)
        {
            Assert.Empty(problems);
        }
        else
        {
            var problem = Assert.Single(problems);
            Assert.Equal(("cluster.settings.AZURE_AKS_CLUSTER_NAME", Severity.Error), (problem.Key, problem.Severity));
            Assert.Contains(expected, problem.Message, StringComparison.Ordinal);
        }

        Assert.NotEmpty(Check(Aks, SettingScope.Cluster, ("AZURE_RESOURCE_GROUP_NAME", "rg-aks"), ("AZURE_AKS_CLUSTER_NAME", new string('a', 64))));
    }

    [Fact]
    public void A_missing_required_setting_is_an_error_naming_what_it_is_for()
    {
        var problems = Check(Aks, SettingScope.Provider, ("AZURE_LOCATION", "japaneast"));

        var problem = Assert.Single(problems);
        Assert.Equal("provider.settings.AZURE_SUBSCRIPTION_ID", problem.Key);
        Assert.Equal("is required by driver 'aks' (Azure subscription holding the cluster and disks)", problem.Message);
    }

    [Fact]
    public void A_setting_the_driver_does_not_read_at_that_level_is_a_warning()
    {
        var problems = Check(K3s, SettingScope.Provider, ("K3S_NODE_NAME", "node1"));

        var problem = Assert.Single(problems);
        Assert.Equal(Severity.Warning, problem.Severity);
        Assert.Equal("provider.settings.K3S_NODE_NAME", problem.Key);
        Assert.Equal("driver 'k3s' does not read this setting at provider level (it reads none here)", problem.Message);

        var atApp = Assert.Single(Check(K3s, SettingScope.App, ("K3S_NODE_NAME", "node1")));
        Assert.StartsWith("driver 'k3s' does not read this setting at app level (it reads SNAPSHOT_INTERVAL, ", atApp.Message);
    }

    [Theory]
    [InlineData("K3S_DATA_ROOT", "srv/kompox")]
    [InlineData("K3S_DATA_ROOT", "/srv/../etc")]
    [InlineData("K3S_NODE_NAME", "Node_1")]
    public void K3s_cluster_settings_are_checked(string key, string value)
    {
        var problem = Assert.Single(Check(K3s, SettingScope.Cluster, (key, value)));

        Assert.Equal($"cluster.settings.{key}", problem.Key);
        Assert.StartsWith($"'{value}'", problem.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("aks", "wildcard-tls", true)]
    [InlineData("k3s", "wildcard-tls", true)]
    [InlineData("aks", "Wildcard_TLS", false)]
    [InlineData("k3s", "-tls", false)]
    public void Both_drivers_check_the_default_certificate_secret_of_the_ingress(string driver, string value, bool valid)
    {
        var settings = driver == "aks"
            ? new[] { ("AZURE_RESOURCE_GROUP_NAME", "rg-lab"), ("INGRESS_DEFAULT_CERT_SECRET", value) }
            : new[] { ("INGRESS_DEFAULT_CERT_SECRET", value) };

        var problems = Check(ProviderDrivers.Find(driver)!, SettingScope.Cluster, settings);

        if (valid)
        {
            Assert.Empty(problems);
        }
        else
        {
            var problem = Assert.Single(problems);
            Assert.Equal(("cluster.settings.INGRESS_DEFAULT_CERT_SECRET", Severity.Error), (problem.Key, problem.Severity));
        }
    }
}
