using Kompox.Config;
using Kompox.Store;

namespace Kompox.Tests.Config;

/// <summary>One cluster, many apps (issue 16): a kompoxops.yml as a YAML stream of apps, and app files that name a shared cluster file.</summary>
public class ManyAppsConfigTests
{
    private const string Cluster = """
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
          domain: apps.example.com
        """;

    private const string Compose = "services:\n  web:\n    image: nginx:1.27\n";

    private static string App(string name, string compose) => $"app:\n  name: {name}\n  compose: {compose}\n";

    // YAML 1.2.2 chapter 9: a stream of documents; the first holds what the apps share, each later one an app.
    [Fact]
    public void A_stream_holds_the_cluster_then_one_app_per_document_sharing_it()
    {
        using var temp = new TempDir();
        temp.Write("wordpress/compose.yml", Compose);
        temp.Write("nextcloud/compose.yml", Compose);
        temp.Write("grafana/compose.yml", Compose);
        var path = temp.Write("kompoxops.yml", $"{Cluster}\n---\n{App("wordpress", "wordpress/compose.yml")}---\n{App("nextcloud", "nextcloud/compose.yml")}...\n---\n{App("grafana", "grafana/compose.yml")}");

        var config = KompoxConfig.Load(path);

        Assert.Equal(new[] { "ops/k3s1/lab/wordpress", "ops/k3s1/lab/nextcloud", "ops/k3s1/lab/grafana" }, config.Apps.Select(a => a.Id));
        Assert.All(config.Apps, a => Assert.Same(config.Cluster, a.Cluster));
        Assert.All(config.Apps, a => Assert.Equal(path, a.ConfigPath));
        Assert.All(config.Apps, a => Assert.Equal(new[] { "wordpress", "nextcloud", "grafana" }, a.ConfigAppNames));
        Assert.Equal(Path.Combine(temp.Path, "nextcloud", "compose.yml"), config.Apps[1].ComposePath);
        var e = Assert.Throws<KompoxException>(() => config.App);
        Assert.Equal("NotOneApp", e.ErrorId);
        Assert.Contains("3 apps (wordpress, nextcloud, grafana)", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_old_one_app_form_still_reads_and_a_file_without_an_app_defines_a_cluster()
    {
        using var temp = new TempDir();
        temp.Write("compose.yml", Compose);

        var one = KompoxConfig.Load(temp.Write("kompoxops.yml", $"{Cluster}\n{App("web", "compose.yml")}"));
        var clusterOnly = KompoxConfig.Load(temp.Write("cluster.yml", Cluster));

        Assert.Equal("ops/k3s1/lab/web", one.App.Id);
        Assert.Equal(new[] { "web" }, one.App.ConfigAppNames);
        Assert.Empty(clusterOnly.Apps);
        Assert.Equal("ops/k3s1/lab", clusterOnly.Cluster.Id);
    }

    [Fact]
    public void An_app_file_takes_its_cluster_from_the_cluster_file_it_names()
    {
        using var temp = new TempDir();
        var clusterFile = temp.Write("cluster.yml", $"{Cluster}\n  settings:\n    K3S_DATA_ROOT: /srv/kompox\n{App("ignored", "not-there.yml")}");
        temp.Write("blog/compose.yml", Compose);
        var appFile = temp.Write("blog/kompoxops.yml", $"version: 1\ncluster:\n  file: ../cluster.yml\n{App("blog", "compose.yml")}");

        var config = KompoxConfig.Load(appFile, "blog/kompoxops.yml");

        var app = config.App;
        Assert.Equal("ops/k3s1/lab/blog", app.Id);
        Assert.Equal("/srv/kompox", app.Cluster.Settings["K3S_DATA_ROOT"]);
        Assert.Equal(clusterFile, config.Service.ConfigPath);
        Assert.Equal(appFile, app.ConfigPath);
        Assert.Equal(Path.Combine(temp.Path, "blog", "compose.yml"), app.ComposePath);
    }

    [Fact]
    public void A_problem_in_the_cluster_file_is_located_in_it()
    {
        using var temp = new TempDir();
        temp.Write("cluster.yml", Cluster.Replace("driver: k3s", "driver: k9s", StringComparison.Ordinal));
        temp.Write("blog/compose.yml", Compose);
        var appFile = temp.Write("blog/kompoxops.yml", $"version: 1\ncluster:\n  file: ../cluster.yml\n{App("blog", "compose.yml")}");

        var e = Assert.IsType<KompoxValidationException>(Assert.ThrowsAny<KompoxException>(() => KompoxConfig.Load(appFile, "blog/kompoxops.yml")));

        var problem = Assert.Single(e.Problems);
        Assert.Equal(Path.Combine("blog", "../cluster.yml"), problem.File);
        Assert.Equal((6, 11, "provider.driver"), (problem.Line, problem.Column, problem.Key));
    }

    [Fact]
    public async Task Two_files_defining_one_cluster_differently_are_refused_naming_both()
    {
        using var temp = new TempDir();
        temp.Write("a/compose.yml", Compose);
        temp.Write("b/compose.yml", Compose);
        var a = temp.Write("a/kompoxops.yml", $"{Cluster}\n{App("a", "compose.yml")}");
        var b = temp.Write("b/kompoxops.yml", $"{Cluster.Replace("apps.example.com", "other.example.com", StringComparison.Ordinal)}\n{App("b", "compose.yml")}");
        var store = new ConfigFileStore();
        store.Load(a);

        var e = Assert.Throws<KompoxException>(() => store.Load(b));

        Assert.Equal("ClusterConflict", e.ErrorId);
        Assert.Contains($"cluster ops/k3s1/lab is defined differently in {a} and {b} (cluster.domain differ)", e.Message, StringComparison.Ordinal);
        Assert.Null(await store.GetAppAsync("ops/k3s1/lab/b", CancellationToken.None).Within());

        // An equal copy, and the same file read again after a change, are no conflict.
        store.Load(a);
        temp.Write("a/kompoxops.yml", $"{Cluster.Replace("apps.example.com", "new.example.com", StringComparison.Ordinal)}\n{App("a", "compose.yml")}");
        store.Load(a);
        Assert.Equal("new.example.com", (await store.GetClusterAsync("ops/k3s1/lab", CancellationToken.None).Within())!.Domain);
        temp.Write("a/kompoxops.yml", $"{Cluster}\n{App("a", "compose.yml")}");
        store.Load(a);
    }

    [Fact]
    public void The_app_template_for_an_existing_cluster_reads_back_with_that_cluster()
    {
        using var temp = new TempDir();
        var clusterFile = temp.Write("cluster.yml", Cluster);
        temp.Write("shop/compose.yml", Compose);
        var appFile = Path.Combine(temp.Path, "shop", "kompoxops.yml");

        ConfigTemplate.WriteForCluster(appFile, "k3s", "../cluster.yml", overwrite: false, new ConfigTemplateOptions { AppName = "shop" });
        var config = KompoxConfig.Load(appFile);

        Assert.Equal("ops/k3s1/lab/shop", config.App.Id);
        Assert.Equal(clusterFile, config.Service.ConfigPath);
        Assert.Contains("  file: ../cluster.yml\n", File.ReadAllText(appFile), StringComparison.Ordinal);
        Assert.Equal("InvalidDomain", Assert.Throws<KompoxException>(() => ConfigTemplate.ForCluster("k3s", "../cluster.yml", new ConfigTemplateOptions { Domain = "x.example.com" })).ErrorId);
    }
}
