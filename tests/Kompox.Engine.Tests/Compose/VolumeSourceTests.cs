using Kompox.Model;
using Kompox.Operations;
using Kompox.Tests.Conversion;
using Xunit;
using static Kompox.Tests.Compose.Compose;

namespace Kompox.Tests.Compose;

/// <summary>
/// Top-level volumes that are not the app's to make (issue 17, item 5). compose-spec 07-volumes.md: `external: true`
/// volumes are not created by Compose, which "returns an error if the volume doesn't exist"; `driver_opts` are the
/// driver's, and the local driver hands type, o and device to mount(8) (moby volume/local/local_unix.go), so
/// `o: bind` binds a host path and `type: nfs`/`cifs` mounts a remote share.
/// </summary>
public sealed class VolumeSourceTests
{
    private const string Mounting = "services:\n  db:\n    image: postgres:16\n    volumes: [\"data:/var/lib/postgresql/data\"]\n";

    [Fact]
    public void An_external_volume_gets_a_warning_of_its_own_not_the_no_effect_summary()
    {
        var project = Load(Mounting + "volumes:\n  data:\n    external: true\n");
        Assert.True(project.Volumes["data"].External);
        var warning = Assert.Single(project.Warnings, w => w.Key == "volumes.data.external");
        Assert.False(warning.NoEffect);
        Assert.False(warning.Routine);
        Assert.Contains("docker compose does not create it", warning.Message);
        Assert.Contains("volumes/data", warning.Message);

        // The legacy form external: { name: ... } is external as well (compose-go types.External).
        Assert.True(Load(Mounting + "volumes:\n  data:\n    external: { name: pgdata }\n").Volumes["data"].External);
        Assert.False(Load(Mounting + "volumes:\n  data:\n    external: false\n").Volumes["data"].External);
    }

    [Fact]
    public void Driver_opts_binding_a_host_path_are_refused_as_an_absolute_bind()
    {
        var error = Error(Mounting + "volumes:\n  data:\n    driver: local\n    driver_opts: { type: none, o: bind, device: /srv/pg }\n", "volumes.data.driver_opts");
        Assert.Contains("binds the host path '/srv/pg'", error.Message);
        Assert.Contains("absolute bind mount", error.Message);
    }

    [Theory]
    [InlineData("{ type: nfs, o: \"addr=10.0.0.5,rw,nfsvers=4\", device: \":/exports/pg\" }", "NFS share 10.0.0.5:/exports/pg")]
    [InlineData("{ type: cifs, o: \"addr=files.example.com,username=u\", device: //files.example.com/pg }", "CIFS share //files.example.com/pg")]
    public void Driver_opts_mounting_a_remote_share_are_refused_naming_the_remote(string options, string named)
    {
        var error = Error(Mounting + $"volumes:\n  data:\n    driver_opts: {options}\n", "volumes.data.driver_opts");
        Assert.Contains(named, error.Message);
    }

    [Fact]
    public void Other_driver_options_and_drivers_are_warned_about_each()
    {
        var project = Load(Mounting + "volumes:\n  data:\n    driver: rexray/ebs\n    driver_opts: { type: tmpfs, device: tmpfs, o: size=100m }\n");
        var opts = Assert.Single(project.Warnings, w => w.Key == "volumes.data.driver_opts");
        Assert.False(opts.NoEffect);
        Assert.Contains("(type tmpfs) are not used", opts.Message);
        var driver = Assert.Single(project.Warnings, w => w.Key == "volumes.data.driver");
        Assert.False(driver.NoEffect);
        Assert.Contains("'rexray/ebs' is not used", driver.Message);
    }

    // Through the engine's validate path: the external volume is still a directory of the app's disk, and the manifest reads back through kubectl.
    [Fact]
    public void An_app_with_an_external_volume_converts_with_the_warning()
    {
        var yaml = Mounting + "volumes:\n  data:\n    external: true\n";
        var app = ConversionFixtures.App();
        app = new KompoxApp { Name = app.Name, Cluster = app.Cluster, Ingress = app.Ingress, Resources = app.Resources, Settings = app.Settings, Compose = yaml };
        var validation = AppValidator.Validate(app, new AppValidationOptions { DiskId = ConversionFixtures.K3sDisk });
        Assert.True(validation.IsValid, string.Join("\n", validation.Errors));
        Assert.Contains(validation.Warnings, w => w.Key == "volumes.data.external");
        Assert.Empty(Testing.KubectlReadBack.Differences(validation.Yaml));
        var pod = k8s.KubernetesYaml.LoadAllFromString(validation.Yaml).OfType<k8s.Models.V1Deployment>().Single().Spec.Template.Spec;
        Assert.Equal("volumes/data", pod.Containers.Single(c => c.Name == "db").VolumeMounts.Single(m => m.MountPath == "/var/lib/postgresql/data").SubPath);
    }
}
