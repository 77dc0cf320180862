using System.Text;
using k8s;
using k8s.Models;
using Kompox.Compose;
using Kompox.Conversion;
using Xunit;
using static Kompox.Tests.Conversion.ConversionFixtures;

namespace Kompox.Tests.Conversion;

public class AppConverterTests
{
    internal static T Find<T>(AppManifest manifest, string name)
        where T : IKubernetesObject<V1ObjectMeta> =>
        manifest.Objects.OfType<T>().Single(o => o.Metadata.Name == name);

    private static AppManifest ConvertGitea(IReadOnlyDictionary<string, string>? ingress = null) =>
        ConvertValid(App(ingress: ingress), Gitea(), K3sDisk);

    [Fact]
    public void Namespace_is_named_after_app_and_hash_and_leaves_the_disk_state_to_its_own_apply()
    {
        var manifest = ConvertValid(App(), Gitea(), K3sDisk);

        var expected = $"k4x-my-app-{KubeNames.Base36Hash("ops/k3s1/my-app")}";
        Assert.Equal(expected, manifest.Namespace);
        var ns = Find<V1Namespace>(manifest, expected);
        Assert.Equal("kompox", ns.Metadata.Labels["app.kubernetes.io/managed-by"]);
        Assert.Equal("my-app", ns.Metadata.Labels["app.kubernetes.io/name"]);
        Assert.Equal("baseline", ns.Metadata.Labels["pod-security.kubernetes.io/enforce"]);
        Assert.Equal("ops/k3s1/lab/my-app", ns.Metadata.Annotations["kompox.dev/app"]);
        Assert.Equal("k3s", ns.Metadata.Annotations["kompox.dev/provider"]);
        Assert.False(ns.Metadata.Annotations.ContainsKey("kompox.dev/disk-current-id"));
        Assert.False(ns.Metadata.Annotations.ContainsKey("kompox.dev/disk-previous-id"));
    }

    [Fact]
    public void Every_object_is_labelled_and_namespaced_except_cluster_scoped_ones()
    {
        var manifest = ConvertGitea();
        foreach (var item in manifest.Objects)
        {
            Assert.Equal("kompox", item.Metadata.Labels["app.kubernetes.io/managed-by"]);
            Assert.Equal("my-app", item.Metadata.Labels["app.kubernetes.io/name"]);
            Assert.Equal(manifest.Namespace[^6..], item.Metadata.Labels["kompox.dev/app-id"]);
            Assert.False(string.IsNullOrEmpty(item.ApiVersion));
            Assert.False(string.IsNullOrEmpty(item.Kind));
            var clusterScoped = item is V1Namespace or V1PersistentVolume;
            Assert.Equal(clusterScoped ? null : manifest.Namespace, item.Metadata.NamespaceProperty);
        }
    }

    [Fact]
    public void Objects_come_in_kind_order_then_by_name()
    {
        var manifest = ConvertGitea(new Dictionary<string, string> { ["http_80"] = "git.example.org" });

        var kinds = manifest.Objects.Select(o => $"{o.Kind}/{o.Metadata.Name}").ToList();
        Assert.Equal(
            new[]
            {
                $"Namespace/{manifest.Namespace}",
                "ResourceQuota/my-app",
                "ServiceAccount/my-app-access",
                "Role/my-app-access",
                "RoleBinding/my-app-access",
                "NetworkPolicy/my-app",
                "Secret/my-app-env-db",
                "Secret/my-app-env-server",
                $"PersistentVolume/{manifest.Namespace}-{KubeNames.Base36Hash(K3sDisk)}",
                "PersistentVolumeClaim/my-app-data-1wmhoo",
                "Service/my-app-80",
                "Deployment/my-app",
                "Ingress/my-app-80",
                "Ingress/my-app-80-custom",
            },
            kinds);
    }

    [Fact]
    public void Deployment_runs_one_pod_with_a_container_per_service()
    {
        var deployment = Find<V1Deployment>(ConvertGitea(), "my-app");

        Assert.Equal(1, deployment.Spec.Replicas);
        Assert.Equal("Recreate", deployment.Spec.Strategy.Type);
        Assert.Equal("my-app", deployment.Spec.Selector.MatchLabels["app.kubernetes.io/name"]);
        Assert.Equal("my-app", deployment.Spec.Template.Metadata.Labels["app.kubernetes.io/name"]);
        var pod = deployment.Spec.Template.Spec;
        Assert.Equal(new[] { "db", "server" }, pod.Containers.Select(c => c.Name));
        Assert.Equal("postgres:16-alpine", pod.Containers[0].Image);
        Assert.False(pod.AutomountServiceAccountToken);
        Assert.False(pod.EnableServiceLinks);
        var alias = Assert.Single(pod.HostAliases);
        Assert.Equal("127.0.0.1", alias.Ip);
        Assert.Equal(new[] { "db", "server" }, alias.Hostnames);
    }

    [Fact]
    public void Environment_goes_into_one_secret_per_service_and_the_deployment_holds_no_values()
    {
        var manifest = ConvertGitea();
        var deployment = Find<V1Deployment>(manifest, "my-app");
        var server = deployment.Spec.Template.Spec.Containers.Single(c => c.Name == "server");

        Assert.Null(server.Env);
        Assert.Equal("my-app-env-server", Assert.Single(server.EnvFrom).SecretRef.Name);
        var secret = Find<V1Secret>(manifest, "my-app-env-server");
        Assert.Equal("s3cret-password", Encoding.UTF8.GetString(secret.Data["GITEA__database__PASSWD"]));
        Assert.Equal("db:5432", Encoding.UTF8.GetString(secret.Data["GITEA__database__HOST"]));
        Assert.DoesNotContain("s3cret-password", ManifestWriter.Write(new[] { deployment }));
    }

    [Fact]
    public void A_service_without_environment_gets_no_secret()
    {
        var manifest = ConvertValid(App(), Project(Service("web")), K3sDisk);

        Assert.Empty(manifest.Objects.OfType<V1Secret>());
        Assert.Null(Find<V1Deployment>(manifest, "my-app").Spec.Template.Spec.Containers[0].EnvFrom);
    }

    [Fact]
    public void Ports_and_expose_become_named_container_ports()
    {
        var pod = Find<V1Deployment>(ConvertGitea(), "my-app").Spec.Template.Spec;

        var db = pod.Containers.Single(c => c.Name == "db");
        var server = pod.Containers.Single(c => c.Name == "server");
        Assert.Equal(("tcp-5432", 5432, "TCP"), Single(db.Ports));
        Assert.Equal(("tcp-3000", 3000, "TCP"), Single(server.Ports));

        static (string, int, string) Single(IList<V1ContainerPort> ports)
        {
            var port = Assert.Single(ports);
            return (port.Name, port.ContainerPort, port.Protocol);
        }
    }

    [Fact]
    public void Named_volumes_relative_binds_and_anonymous_volumes_are_subpaths_of_the_one_claim()
    {
        var web = Service("web") with
        {
            Volumes = new[]
            {
                Volume("content", "/srv/content", 0, readOnly: true),
                Bind("./conf/../etc//nginx", "/etc/nginx", 1, readOnly: true),
                Anonymous("/var/cache/nginx", 2),
                Volume("content", "/srv/uploads", 3, subPath: "uploads/./2025"),
            },
        };
        var manifest = ConvertValid(App(), Project(new[] { web }, volumes: new[] { "content" }), K3sDisk);
        var pod = Find<V1Deployment>(manifest, "my-app").Spec.Template.Spec;

        var mounts = pod.Containers[0].VolumeMounts.Select(m => (m.Name, m.MountPath, m.SubPath, m.ReadOnlyProperty)).ToList();
        Assert.Equal(
            new (string, string, string, bool?)[]
            {
                ("data", "/etc/nginx", "binds/etc/nginx", true),
                ("data", "/srv/content", "volumes/content", true),
                ("data", "/srv/uploads", "volumes/content/uploads/2025", null),
                ("data", "/var/cache/nginx", "anonymous/web/var/cache/nginx", null),
            },
            mounts);
        Assert.Equal("my-app-data-1wmhoo", pod.Volumes.Single(v => v.Name == "data").PersistentVolumeClaim.ClaimName);
    }

    [Fact]
    public void Tmpfs_becomes_a_memory_empty_dir_with_its_size()
    {
        var web = Service("web") with
        {
            Tmpfs = new[] { new ComposeTmpfs("/run", 64L * 1024 * 1024, "tmpfs[0]", At), new ComposeTmpfs("/tmp", null, "tmpfs[1]", At) },
        };
        var pod = Find<V1Deployment>(ConvertValid(App(), Project(web), K3sDisk), "my-app").Spec.Template.Spec;

        var run = pod.Volumes.Single(v => v.Name == pod.Containers[0].VolumeMounts.Single(m => m.MountPath == "/run").Name);
        Assert.Equal("Memory", run.EmptyDir.Medium);
        Assert.Equal("64Mi", run.EmptyDir.SizeLimit.ToString());
        var tmp = pod.Volumes.Single(v => v.Name == pod.Containers[0].VolumeMounts.Single(m => m.MountPath == "/tmp").Name);
        Assert.Null(tmp.EmptyDir.SizeLimit);
        Assert.All(pod.Volumes, v => Assert.Null(Kompox.Model.Names.CheckDnsLabel(v.Name)));
    }

    [Fact]
    public void Configs_and_secrets_become_objects_mounted_read_only_at_their_targets()
    {
        var web = Service("web") with
        {
            Configs = new[] { new ComposeFileMount("nginx_conf", "/etc/nginx/nginx.conf", null, "configs[0]", At) },
            Secrets = new[] { new ComposeFileMount("db_password", "/run/secrets/db_password", Convert.ToInt32("440", 8), "secrets[0]", At) },
        };
        var project = Project(
            new[] { web },
            configs: new Dictionary<string, string> { ["nginx_conf"] = "worker_processes 1;\n", ["unused"] = "x" },
            secrets: new Dictionary<string, string> { ["db_password"] = "hunter2" });
        var manifest = ConvertValid(App(), project, K3sDisk);

        var configMap = Find<V1ConfigMap>(manifest, "my-app-config-nginx-conf");
        Assert.Equal("worker_processes 1;\n", configMap.Data["content"]);
        Assert.Equal("hunter2", Encoding.UTF8.GetString(Find<V1Secret>(manifest, "my-app-secret-db-password").Data["content"]));
        Assert.Single(manifest.Objects.OfType<V1ConfigMap>());

        var pod = Find<V1Deployment>(manifest, "my-app").Spec.Template.Spec;
        var configMount = pod.Containers[0].VolumeMounts.Single(m => m.MountPath == "/etc/nginx/nginx.conf");
        Assert.Equal(("config-nginx-conf", "content", true), (configMount.Name, configMount.SubPath, configMount.ReadOnlyProperty));
        var secretMount = pod.Containers[0].VolumeMounts.Single(m => m.MountPath == "/run/secrets/db_password");
        Assert.Equal(("secret-db-password-440", "content", true), (secretMount.Name, secretMount.SubPath, secretMount.ReadOnlyProperty));
        var secretVolume = pod.Volumes.Single(v => v.Name == "secret-db-password-440").Secret;
        Assert.Equal("my-app-secret-db-password", secretVolume.SecretName);
        Assert.Equal(Convert.ToInt32("440", 8), Assert.Single(secretVolume.Items).Mode);
    }

    [Fact]
    public void Config_hash_changes_when_a_config_or_environment_value_changes()
    {
        static string Hash(string config, string password)
        {
            var web = Service("web") with
            {
                Environment = new Dictionary<string, string> { ["PASSWORD"] = password },
                Configs = new[] { new ComposeFileMount("app", "/app.conf", null, "configs[0]", At) },
            };
            var manifest = ConvertValid(App(), Project(new[] { web }, configs: new Dictionary<string, string> { ["app"] = config }), K3sDisk);
            return Find<V1Deployment>(manifest, "my-app").Spec.Template.Metadata.Annotations["kompox.dev/config-hash"];
        }

        var original = Hash("a=1", "p1");
        Assert.Matches("^[0-9a-f]{64}$", original);
        Assert.Equal(original, Hash("a=1", "p1"));
        Assert.NotEqual(original, Hash("a=2", "p1"));
        Assert.NotEqual(original, Hash("a=1", "p2"));
    }

    [Fact]
    public void Numeric_user_sets_run_as_user_and_group_and_capabilities_pass_through()
    {
        var web = Service("web") with
        {
            User = "1000:2000",
            CapAdd = new[] { "NET_BIND_SERVICE" },
            CapDrop = new[] { "ALL" },
            ReadOnlyRootFilesystem = true,
        };
        var db = Service("db") with { User = "999" };
        var pod = Find<V1Deployment>(ConvertValid(App(), Project(web, db), K3sDisk), "my-app").Spec.Template.Spec;

        var webContext = pod.Containers.Single(c => c.Name == "web").SecurityContext;
        Assert.Equal((1000L, 2000L), (webContext.RunAsUser!.Value, webContext.RunAsGroup!.Value));
        Assert.Equal(new[] { "NET_BIND_SERVICE" }, webContext.Capabilities.Add);
        Assert.Equal(new[] { "ALL" }, webContext.Capabilities.Drop);
        Assert.True(webContext.ReadOnlyRootFilesystem);
        var dbContext = pod.Containers.Single(c => c.Name == "db").SecurityContext;
        Assert.Equal(999L, dbContext.RunAsUser);
        Assert.Null(dbContext.RunAsGroup);
    }

    // Docker resolves user names in the image's /etc/passwd; root is uid and gid 0 in every image, so it needs no lookup.
    [Theory]
    [InlineData("root", 0L, null)]
    [InlineData("root:root", 0L, 0L)]
    [InlineData("1000:root", 1000L, 0L)]
    public void Root_by_name_runs_as_uid_0(string user, long uid, long? gid)
    {
        var pod = Find<V1Deployment>(ConvertValid(App(), Project(Service("web") with { User = user }), K3sDisk), "my-app").Spec.Template.Spec;

        var context = pod.Containers.Single().SecurityContext;
        Assert.Equal((uid, gid), (context.RunAsUser!.Value, context.RunAsGroup));
    }

    [Fact]
    public void Entrypoint_command_and_working_dir_map_to_command_args_and_working_dir()
    {
        var web = Service("web") with { Entrypoint = new[] { "/entry.sh" }, Command = new[] { "serve", "--port", "80" }, WorkingDir = "/app", Tty = true, StdinOpen = true };
        var container = Find<V1Deployment>(ConvertValid(App(), Project(web), K3sDisk), "my-app").Spec.Template.Spec.Containers[0];

        Assert.Equal(new[] { "/entry.sh" }, container.Command);
        Assert.Equal(new[] { "serve", "--port", "80" }, container.Args);
        Assert.Equal("/app", container.WorkingDir);
        Assert.True(container.Tty);
        Assert.True(container.Stdin);
    }

    [Fact]
    public void Service_names_become_dns_labels_and_hosts_keep_the_service_name()
    {
        var pod = Find<V1Deployment>(ConvertValid(App(), Project(Service("Web_Front"), Service("db.main")), K3sDisk), "my-app").Spec.Template.Spec;

        Assert.Equal(new[] { "db-main", "web-front" }, pod.Containers.Select(c => c.Name));
        Assert.Equal(new[] { "db-main", "db.main", "web-front" }, pod.HostAliases[0].Hostnames);
    }
}
