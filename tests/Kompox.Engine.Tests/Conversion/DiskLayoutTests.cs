using k8s.Models;
using Kompox.Compose;
using Kompox.Conversion;
using Xunit;
using static Kompox.Tests.Conversion.AppConverterTests;
using static Kompox.Tests.Conversion.ConversionFixtures;

namespace Kompox.Tests.Conversion;

// Under Docker a named volume lives in /var/lib/docker/volumes/<project>_<name>/_data and a bind is the host directory
// (docs.docker.com/engine/storage/volumes/): they never share storage. On the app's one disk the layout (docs/en-US/
// about_Kompox_DiskLayout.md, version 1) keeps them apart with one root per kind.
public class DiskLayoutTests
{
    [Fact]
    public void A_named_volume_and_a_bind_below_a_directory_of_the_same_name_never_alias()
    {
        var db = Service("db", "postgres:16") with
        {
            Volumes = new[] { Volume("db", "/var/lib/postgresql/data", 0), Bind("./db/init", "/docker-entrypoint-initdb.d", 1, readOnly: true), Anonymous("/db", 2) },
        };
        var manifest = ConvertValid(App(), Project(new[] { db }, volumes: new[] { "db" }), K3sDisk);

        var subPaths = Find<V1Deployment>(manifest, "my-app").Spec.Template.Spec.Containers[0].VolumeMounts.ToDictionary(m => m.MountPath, m => m.SubPath);
        Assert.Equal("volumes/db", subPaths["/var/lib/postgresql/data"]);
        Assert.Equal("binds/db/init", subPaths["/docker-entrypoint-initdb.d"]);
        Assert.Equal("anonymous/db/db", subPaths["/db"]);
    }

    [Fact]
    public void The_persistent_volume_records_the_layout_version()
    {
        var volume = ConvertValid(App(), Project(Service("web")), K3sDisk).Objects.OfType<V1PersistentVolume>().Single();

        Assert.Equal("1", volume.Metadata.Annotations["kompox.dev/disk-layout"]);
    }

    [Theory]
    [InlineData("./conf\\nginx", "backslash")]
    [InlineData("./conf\nx", "control character")]
    [InlineData("./conf\u007f", "control character")]
    public void A_bind_path_the_layout_cannot_represent_is_refused(string source, string reason)
    {
        var error = Assert.Throws<KompoxValidationException>(() =>
            AppConverter.Convert(App(), Project(Service("web") with { Volumes = new[] { Bind(source, "/etc/nginx") } }), K3sDisk));

        var problem = Assert.Single(error.Problems);
        Assert.Equal("services.web.volumes[0]", problem.Key);
        Assert.Contains(reason, problem.Message);
    }

    [Fact]
    public void A_volume_subpath_or_anonymous_target_the_layout_cannot_represent_is_refused()
    {
        var web = Service("web") with { Volumes = new[] { Volume("v", "/data", 0, subPath: "a\\b"), Anonymous("/cache\t", 1) } };

        var error = Assert.Throws<KompoxValidationException>(() => AppConverter.Convert(App(), Project(new[] { web }, volumes: new[] { "v" }), K3sDisk));

        Assert.Equal(new[] { "services.web.volumes[0]", "services.web.volumes[1]" }, error.Problems.Select(p => p.Key));
    }
}
