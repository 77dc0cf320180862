using k8s.Models;
using Kompox.Compose;
using Kompox.Conversion;
using Xunit;
using static Kompox.Tests.Conversion.AppConverterTests;
using static Kompox.Tests.Conversion.ConversionFixtures;

namespace Kompox.Tests.Conversion;

// Docker: "If you start a container which creates a new volume, and the container has files or directories in the directory
// to be mounted, the directory's contents are copied into the volume" (docs.docker.com/engine/storage/volumes/#populate-a-
// volume-using-a-container), unless volume.nocopy (compose-spec 05-services.md volumes), and not for volume.subpath;
// the volume root takes the image directory's owner and mode (moby container/container_unix.go copyOwnership).
public class VolumeFillTests
{
    private static V1PodSpec Pod(ComposeProject project, AppConversionOptions? options = null) =>
        Find<V1Deployment>(ConvertValid(App(), project, K3sDisk, options), "my-app").Spec.Template.Spec;

    private static ComposeProject GrafanaAndNginx() => Project(
        new[]
        {
            Service("grafana", "grafana/grafana:11.2.0") with { Volumes = new[] { Volume("grafana", "/var/lib/grafana") } },
            Service("web", "nginx:1.27") with
            {
                Volumes = new[]
                {
                    Volume("html", "/usr/share/nginx/html", 0, readOnly: true),
                    Anonymous("/var/cache/nginx", 1),
                    Volume("html", "/srv/uploads", 2, subPath: "uploads"),
                    Volume("html", "/srv/empty", 3) with { NoCopy = true },
                    Bind("./conf", "/etc/nginx/conf.d", 4),
                },
            },
        },
        volumes: new[] { "grafana", "html" });

    // Docker docs, volumes: "If you start a container which creates a new volume, and the container has files or
    // directories in the directory to be mounted, the directory's contents are copied into the volume" (not with nocopy).
    [Fact]
    public void New_volumes_are_filled_from_the_service_image_by_service_then_target()
    {
        var pod = Pod(GrafanaAndNginx());

        Assert.Equal(new[] { "kompox-tools", "kompox-fill-grafana-0", "kompox-fill-web-0", "kompox-fill-web-1" }, pod.InitContainers.Select(c => c.Name));
        var fills = pod.InitContainers.Skip(1).Select(c => (c.Image, c.Command[^2], c.VolumeMounts.Single(m => m.Name == "data").SubPath)).ToList();
        Assert.Equal(
            new[]
            {
                ("grafana/grafana:11.2.0", "/var/lib/grafana", "volumes/grafana"),
                ("nginx:1.27", "/usr/share/nginx/html", "volumes/html"),
                ("nginx:1.27", "/var/cache/nginx", "anonymous/web/var/cache/nginx"),
            },
            fills);
    }

    [Fact]
    public void The_tools_container_copies_a_static_busybox_into_a_shared_empty_dir()
    {
        var pod = Pod(GrafanaAndNginx(), new AppConversionOptions { ToolsImage = "registry.example.org/busybox:1.37.0-musl" });

        var tools = pod.InitContainers[0];
        Assert.Equal("registry.example.org/busybox:1.37.0-musl", tools.Image);
        Assert.Equal(new[] { "/bin/busybox", "cp", "/bin/busybox", "/kompox-tools/busybox" }, tools.Command);
        Assert.Equal("kompox-tools", Assert.Single(tools.VolumeMounts).Name);
        Assert.NotNull(pod.Volumes.Single(v => v.Name == "kompox-tools").EmptyDir);
    }

    [Fact]
    public void A_fill_runs_busybox_as_root_with_the_paths_as_arguments_not_in_the_script()
    {
        var web = Service("web") with { Volumes = new[] { Volume("v", "/srv/it's $(HOME) dir") } };
        var fill = Pod(Project(new[] { web }, volumes: new[] { "v" })).InitContainers[1];

        Assert.Equal(new[] { "/kompox-tools/busybox", "sh", "-c" }, fill.Command.Take(3));
        var script = fill.Command[3];
        Assert.DoesNotContain("srv", script);
        Assert.Contains("cp -a", script);
        Assert.Contains("ls -A", script);
        Assert.Contains("chown", script);
        Assert.Contains("chmod", script);
        Assert.Equal(new[] { "kompox-fill", "/srv/it's $$(HOME) dir", "/kompox-volume" }, fill.Command.Skip(4));
        Assert.Equal((0L, 0L), (fill.SecurityContext.RunAsUser!.Value, fill.SecurityContext.RunAsGroup!.Value));
        var mounts = fill.VolumeMounts.ToDictionary(m => m.MountPath);
        Assert.Equal("volumes/v", mounts["/kompox-volume"].SubPath);
        Assert.True(mounts["/kompox-tools"].ReadOnlyProperty);
    }

    [Fact]
    public void Init_containers_have_limits_within_the_budget_and_small_requests()
    {
        var pod = Pod(GrafanaAndNginx());

        Assert.All(pod.InitContainers, c =>
        {
            Assert.Equal(("1", "2Gi"), (c.Resources.Limits["cpu"].ToString(), c.Resources.Limits["memory"].ToString()));
            Assert.Equal(("100m", "64Mi"), (c.Resources.Requests["cpu"].ToString(), c.Resources.Requests["memory"].ToString()));
        });
    }

    [Fact]
    public void Nothing_to_fill_means_no_init_containers()
    {
        var web = Service("web") with { Volumes = new[] { Bind("./conf", "/etc/nginx/conf.d"), Volume("v", "/data", 1) with { NoCopy = true } } };

        var pod = Pod(Project(new[] { web }, volumes: new[] { "v" }));

        Assert.Null(pod.InitContainers);
        Assert.DoesNotContain(pod.Volumes, v => v.Name == "kompox-tools");
    }

    [Theory]
    [InlineData("kompox-tools")]
    [InlineData("kompox_fill_web")]
    public void A_service_may_not_take_an_init_container_name(string name)
    {
        var error = Assert.Throws<KompoxValidationException>(() => AppConverter.Convert(App(), Project(Service(name)), K3sDisk));

        Assert.Equal($"services.{name}", Assert.Single(error.Problems).Key);
    }
}
