using System.Text;
using k8s.Models;
using Kompox.Compose;
using Kompox.Conversion;
using Xunit;
using static Kompox.Tests.Conversion.AppConverterTests;
using static Kompox.Tests.Conversion.ConversionFixtures;

namespace Kompox.Tests.Conversion;

// Docker bind-mounts a host file onto the target file (docs.docker.com/engine/storage/bind-mounts/). A subPath of the disk
// that does not exist is created as a directory by the kubelet (kubernetes.io/docs/concepts/storage/volumes/#using-subpath),
// so the file is carried in a ConfigMap and mounted with subPath, which gives exactly that one file.
public class FileBindTests
{
    private static readonly byte[] NginxConf = Encoding.UTF8.GetBytes("worker_processes 1;\n");

    // Docker docs, bind mounts: binding a file mounts that file at the target; on a disk subPath the kubelet would
    // create a directory there instead, so the file travels in a ConfigMap.
    [Fact]
    public void A_bound_file_is_a_read_only_config_map_mount_of_that_file()
    {
        var web = Service("web") with { Volumes = new[] { File("./nginx.conf", "/etc/nginx/nginx.conf", NginxConf) } };
        var manifest = ConvertValid(App(), Project(web), K3sDisk);

        var configMap = Assert.Single(manifest.Objects.OfType<V1ConfigMap>());
        Assert.Matches("^my-app-file-[0-9a-z]{6}$", configMap.Metadata.Name);
        Assert.Equal("worker_processes 1;\n", configMap.Data["content"]);
        var pod = Find<V1Deployment>(manifest, "my-app").Spec.Template.Spec;
        var mount = Assert.Single(pod.Containers[0].VolumeMounts);
        Assert.Equal(("/etc/nginx/nginx.conf", "content", true), (mount.MountPath, mount.SubPath, mount.ReadOnlyProperty));
        Assert.Equal(configMap.Metadata.Name, pod.Volumes.Single(v => v.Name == mount.Name).ConfigMap.Name);
        Assert.Empty(manifest.Warnings);
    }

    // Docker's bind keeps the file's mode, so a bound entrypoint script stays runnable; the ConfigMap default (0644) would not.
    [Fact]
    public void A_bound_executable_keeps_its_execute_bit_and_other_files_the_default_mode()
    {
        var web = Service("web") with
        {
            Volumes = new[] { File("./start.sh", "/start.sh", NginxConf, 0) with { FileExecutable = true }, File("./app.ini", "/etc/app.ini", NginxConf, 1) },
        };
        var pod = Find<V1Deployment>(ConvertValid(App(), Project(web), K3sDisk), "my-app").Spec.Template.Spec;

        int? ModeAt(string target) => pod.Volumes.Single(v => v.Name == pod.Containers[0].VolumeMounts.Single(m => m.MountPath == target).Name).ConfigMap.DefaultMode;
        Assert.Equal(Convert.ToInt32("755", 8), ModeAt("/start.sh"));
        Assert.Null(ModeAt("/etc/app.ini"));
    }

    [Fact]
    public void Binary_content_is_binary_data_byte_for_byte()
    {
        var bytes = new byte[] { 0x89, 0x50, 0x4e, 0x47, 0xff, 0x00 };
        var web = Service("web") with { Volumes = new[] { File("./logo.png", "/srv/logo.png", bytes) } };

        var configMap = Assert.Single(ConvertValid(App(), Project(web), K3sDisk).Objects.OfType<V1ConfigMap>());

        Assert.Null(configMap.Data);
        Assert.Equal(bytes, configMap.BinaryData["content"]);
    }

    [Fact]
    public void One_config_map_per_distinct_path_shared_by_services()
    {
        var web = Service("web") with { Volumes = new[] { File("./conf/app.ini", "/etc/app.ini", NginxConf, 0), File("./other.ini", "/etc/other.ini", NginxConf, 1) } };
        var worker = Service("worker") with { Volumes = new[] { File("./conf/../conf/app.ini", "/app.ini", NginxConf) } };

        var names = ConvertValid(App(), Project(web, worker), K3sDisk).Objects.OfType<V1ConfigMap>().Select(c => c.Metadata.Name).ToList();

        Assert.Equal(2, names.Count);
        Assert.Equal(names.Order(StringComparer.Ordinal), names);
    }

    [Fact]
    public void A_changed_file_changes_the_config_hash_so_the_pod_restarts()
    {
        static string Hash(string content)
        {
            var web = Service("web") with { Volumes = new[] { File("./app.ini", "/etc/app.ini", Encoding.UTF8.GetBytes(content)) } };
            return Find<V1Deployment>(ConvertValid(App(), Project(web), K3sDisk), "my-app").Spec.Template.Metadata.Annotations["kompox.dev/config-hash"];
        }

        Assert.Equal(Hash("a=1"), Hash("a=1"));
        Assert.NotEqual(Hash("a=1"), Hash("a=2"));
    }

    [Fact]
    public void A_writable_bound_file_warns_that_it_is_read_only()
    {
        var web = Service("web") with { Volumes = new[] { File("./app.ini", "/etc/app.ini", NginxConf, readOnly: false) } };

        var warning = Assert.Single(ConvertValid(App(), Project(web), K3sDisk).Warnings);

        Assert.Equal("services.web.volumes[0]", warning.Key);
        Assert.Contains("read-only", warning.Message);
    }

    [Fact]
    public void A_file_larger_than_a_config_map_holds_is_refused()
    {
        var web = Service("web") with { Volumes = new[] { File("./big.bin", "/big.bin", new byte[(1024 * 1024) + 1]) } };

        var error = Assert.Throws<KompoxValidationException>(() => AppConverter.Convert(App(), Project(web), K3sDisk));

        var problem = Assert.Single(error.Problems);
        Assert.Equal("services.web.volumes[0]", problem.Key);
        Assert.Contains("1 MiB", problem.Message);
    }
}
