using k8s.Models;
using Kompox.Compose;
using Kompox.Config;
using Kompox.Conversion;
using Xunit;
using static Kompox.Tests.Conversion.AppConverterTests;
using static Kompox.Tests.Conversion.ConversionFixtures;

namespace Kompox.Tests.Conversion;

/// <summary>The shipped example, read by the real loaders and converted: the path a deploy takes.</summary>
public class ExampleConversionTests
{
    private static AppManifest ConvertGiteaExample()
    {
        var config = KompoxConfig.Load(Path.Combine(RepoPaths.Root, "examples", "gitea", "kompoxops.yml"));
        var composePath = config.App.ComposePath!;
        var project = ComposeLoader.Load(config.App.Compose, composePath, Path.GetDirectoryName(composePath)!, config.App.Name, new Dictionary<string, string>());
        return ConvertValid(config.App, project, "gitea-disk-1", new AppConversionOptions { NodeName = "lab-node" });
    }

    [Fact]
    public void Gitea_example_converts_to_one_pod_behind_its_default_and_custom_hosts()
    {
        var manifest = ConvertGiteaExample();

        var pod = Find<V1Deployment>(manifest, "gitea").Spec.Template.Spec;
        Assert.Equal(new[] { "server" }, pod.Containers.Select(c => c.Name));

        // server depends_on db: db runs as a sidecar that starts first; it publishes no port, so it has no readiness probe.
        var db = pod.InitContainers.Single(c => c.Name == "db");
        Assert.Equal(("Always", null), (db.RestartPolicy, db.ReadinessProbe));
        Assert.Equal("volumes/gitea", pod.Containers.Single(c => c.Name == "server").VolumeMounts.Single().SubPath);
        Assert.Equal(new[] { "gitea.lab.apps.example.com" }, Find<V1Ingress>(manifest, "gitea-80").Spec.Rules.Select(r => r.Host));
        Assert.Equal(new[] { "git.example.org" }, Find<V1Ingress>(manifest, "gitea-80-custom").Spec.Rules.Select(r => r.Host));
        Assert.Equal("3000", Find<V1Service>(manifest, "gitea-80").Spec.Ports.Single().TargetPort.Value);
        Assert.Equal("1Gi", pod.Containers[0].Resources.Limits["memory"].ToString());
        Assert.Contains(manifest.Warnings, w => w.Key.EndsWith("restart", StringComparison.Ordinal));
    }

    [Fact]
    public void Gitea_example_manifest_is_stable()
    {
        Assert.Equal(ManifestWriter.Write(ConvertGiteaExample().Objects), ManifestWriter.Write(ConvertGiteaExample().Objects));
    }
}
