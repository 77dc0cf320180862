using Kompox.Config;

namespace Kompox.Tests.Config;

public class ValidConfigTests
{
    internal const string K3sConfig = """
        version: 1
        service:
          name: ops
        provider:
          name: k3s1
          driver: k3s
        cluster:
          name: lab
          auth:
            type: kubectl
            kubeconfig: ~/.kube/lab.yaml
          domain: apps.example.com
        app:
          name: web
          compose: compose.yml
        """;

    private const string Compose = "services:\n  web:\n    image: nginx:1.27\n";

    // app.compose as a list is `docker compose -f compose.yml -f prod.yml` (docker/compose docs/reference/compose.md):
    // the files after the first are kept, in order, to be merged over it; one file leaves the loader to look for more.
    [Fact]
    public void App_compose_takes_a_list_of_files_to_merge_in_order()
    {
        using var temp = new TempDir();
        temp.Write("compose.yml", Compose);
        temp.Write("prod.yml", "services:\n  web:\n    image: nginx:prod\n");
        var config = temp.Write("kompoxops.yml", K3sConfig.Replace("compose: compose.yml", "compose: [compose.yml, prod.yml]", StringComparison.Ordinal));

        var app = KompoxConfig.Load(config).App;

        Assert.Equal(Path.Combine(temp.Path, "compose.yml"), app.ComposePath);
        var overrides = Assert.Single(app.ComposeOverrides!);
        Assert.Equal(Path.Combine(temp.Path, "prod.yml"), overrides.Path);
        Assert.Contains("nginx:prod", overrides.Text, StringComparison.Ordinal);

        Assert.Null(KompoxConfig.Load(temp.Write("kompoxops.yml", K3sConfig)).App.ComposeOverrides);
        var e = Assert.IsType<KompoxValidationException>(Assert.ThrowsAny<KompoxException>(() =>
            KompoxConfig.Load(temp.Write("kompoxops.yml", K3sConfig.Replace("compose: compose.yml", "compose: [compose.yml, missing.yml]", StringComparison.Ordinal)))));
        Assert.Contains("app.compose[1]: compose file 'missing.yml' not found", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_bundled_example_loads_with_linked_resources()
    {
        var result = KompoxConfig.Load(Path.Combine(RepoPaths.Root, "examples", "gitea", "kompoxops.yml"));

        Assert.Equal("ops/k3s1/lab/gitea", result.App.Id);
        Assert.Same(result.Cluster, result.App.Cluster);
        Assert.Same(result.Provider, result.Cluster.Provider);
        Assert.Same(result.Service, result.Provider.Service);
        Assert.Equal("lab.apps.example.com", result.Cluster.AppDomain);
        Assert.Equal("git.example.org", result.App.Ingress["http_80"]);
        Assert.Equal("2Gi", result.App.Resources["memory"]);
        Assert.Contains("image: postgres:16-alpine", result.App.Compose, StringComparison.Ordinal);
        Assert.Empty(result.Warnings);
    }

    [Fact]
    public void Defaults_fill_the_optional_sections_and_home_is_expanded()
    {
        using var temp = new TempDir();
        temp.Write("compose.yml", Compose);
        var result = KompoxConfig.Load(temp.Write("kompoxops.yml", K3sConfig));

        Assert.Equal("traefik", result.Cluster.Ingress.Controller);
        Assert.Equal("traefik", result.Cluster.Ingress.Namespace);
        Assert.Equal(Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".kube/lab.yaml"), result.Cluster.Auth.Kubeconfig);
        Assert.Empty(result.App.Ingress);
        Assert.Empty(result.App.Resources);
    }

    [Fact]
    public void Settings_the_driver_does_not_read_are_warnings_with_their_position()
    {
        using var temp = new TempDir();
        temp.Write("compose.yml", Compose);
        var text = K3sConfig.Replace("  domain: apps.example.com", "  domain: apps.example.com\n  settings:\n    K3S_DATA_ROOTS: /srv", StringComparison.Ordinal);
        var result = KompoxConfig.Load(temp.Write("kompoxops.yml", text), "kompoxops.yml");

        var warning = Assert.Single(result.Warnings);
        Assert.Equal("kompoxops.yml:14:21 cluster.settings.K3S_DATA_ROOTS: driver 'k3s' does not read this setting at cluster level (it reads K3S_DATA_ROOT, K3S_NODE_NAME, INGRESS_DEFAULT_CERT_SECRET, API_SERVER_URL, API_SERVER_CA, RUNTIME_CLASSES)", warning.ToString());
        Assert.Equal("/srv", result.Cluster.Settings["K3S_DATA_ROOTS"]);
    }

    [Theory]
    [InlineData("k3s", "API_SERVER_URL: https://k3s.example.com:6443", null)]
    [InlineData("aks", "API_SERVER_URL: https://k3s.example.com:6443", null)]
    [InlineData("k3s", "API_SERVER_URL: http://k3s.example.com:6443", "cluster.settings.API_SERVER_URL: 'http://k3s.example.com:6443' is not an https URL of an API server")]
    [InlineData("k3s", "API_SERVER_CA: not-base64!", "cluster.settings.API_SERVER_CA: is not base64")]
    [InlineData("k3s", "API_SERVER_CA: aGVsbG8=", "cluster.settings.API_SERVER_CA: is base64, but not of a PEM certificate")]
    public void The_user_facing_API_server_settings_are_read_by_every_driver_and_checked(string driver, string setting, string? error)
    {
        using var temp = new TempDir();
        temp.Write("compose.yml", Compose);
        var text = ConfigTemplate.For(driver);
        // The top-level key, at a line start: the templates' comments say "cluster:" too.
        var at = text.IndexOf("  settings:\n", text.IndexOf("\ncluster:", StringComparison.Ordinal), StringComparison.Ordinal) + "  settings:\n".Length;
        var path = temp.Write("kompoxops.yml", text.Insert(at, $"    {setting}\n"));

        if (error is null)
        {
            var result = KompoxConfig.Load(path, "kompoxops.yml");
            Assert.DoesNotContain(result.Warnings, w => w.Key.Contains("API_SERVER", StringComparison.Ordinal));
        }
        else
        {
            var failure = Assert.ThrowsAny<KompoxValidationException>(() => KompoxConfig.Load(path, "kompoxops.yml"));
            Assert.Contains(failure.Problems, p => p.ToString().Contains(error, StringComparison.Ordinal));
        }
    }

    [Fact]
    public void Numbers_in_settings_are_kept_as_written()
    {
        using var temp = new TempDir();
        temp.Write("compose.yml", Compose);
        var result = KompoxConfig.Load(temp.Write("kompoxops.yml", ConfigTemplate.For("aks")));

        Assert.Equal("32", result.App.Settings["AZURE_DISK_SIZE"]);
    }

    [Fact]
    public void Extension_keys_and_merge_keys_are_allowed()
    {
        using var temp = new TempDir();
        temp.Write("compose.yml", Compose);
        var text = "x-auth: &auth\n  type: kubectl\n" + K3sConfig.Replace("  auth:\n    type: kubectl\n    kubeconfig: ~/.kube/lab.yaml", "  auth:\n    <<: *auth\n  x-note: hello", StringComparison.Ordinal);
        var result = KompoxConfig.Load(temp.Write("kompoxops.yml", text));

        Assert.Equal("kubectl", result.Cluster.Auth.Type);
        Assert.Null(result.Cluster.Auth.Kubeconfig);
    }
}
