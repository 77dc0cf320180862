using System.Diagnostics;
using k8s.Models;
using Kompox.Model;
using Kompox.Operations;
using Xunit;
using static Kompox.Tests.Conversion.ConversionFixtures;

namespace Kompox.Tests.Conversion;

/// <summary>
/// volumes_from, post_start/pre_stop and pre_start (issue 17, item 4), from the compose file through the engine to the
/// manifest, read back by kubectl. Each test states what Docker does and where that is written.
/// </summary>
public sealed class ServiceLifecycleTests
{
    private static (AppValidation Result, V1PodSpec? Pod) Convert(string yaml, string? composePath = null)
    {
        var app = App();
        app = new KompoxApp { Name = app.Name, Cluster = app.Cluster, Ingress = app.Ingress, Resources = app.Resources, Settings = app.Settings, Compose = yaml, ComposePath = composePath };
        var result = AppValidator.Validate(app, new AppValidationOptions { DiskId = K3sDisk });
        if (!result.IsValid)
        {
            return (result, null);
        }

        Assert.Empty(Testing.ManifestValidator.ValidateYaml(result.Yaml));
        Assert.Empty(Testing.KubectlReadBack.Differences(result.Yaml));
        return (result, k8s.KubernetesYaml.LoadAllFromString(result.Yaml).OfType<V1Deployment>().Single().Spec.Template.Spec);
    }

    private static V1Container Named(V1PodSpec pod, string name) => pod.Containers.Concat(pod.InitContainers ?? []).Single(c => c.Name == name);

    private static Dictionary<string, (string? SubPath, bool ReadOnly)> MountsOf(V1Container container) =>
        container.VolumeMounts.Where(m => m.Name == "data").ToDictionary(m => m.MountPath, m => ((string?)m.SubPath, m.ReadOnlyProperty == true));

    // moby daemon/volumes.go registerMountPoints, "Read volumes from other containers": every mount point of the source
    // (named, bind, anonymous: the same volume, CopyData false) at the same destination, RW only when the source's is and the
    // mode is not ro; the dependent's own mounts replace one at the same destination. compose-spec 05-services.md volumes_from.
    [Fact]
    public void Volumes_from_mounts_the_sources_volumes_at_the_same_places_read_only_with_ro()
    {
        var project = Directory.CreateTempSubdirectory("kompox-volumes-from-");
        try
        {
            Directory.CreateDirectory(Path.Combine(project.FullName, "conf"));
            VolumesFrom(Path.Combine(project.FullName, "compose.yml"));
        }
        finally
        {
            project.Delete(recursive: true);
        }
    }

    private static void VolumesFrom(string composePath)
    {
        var (result, pod) = Convert("""
            services:
              app:
                image: example/app:1.0
                volumes: ["data:/srv/data", "./conf:/etc/app:ro", "/var/cache/app", "logs:/var/log/app"]
              backup:
                image: example/backup:1.0
                volumes_from: ["app:ro"]
              sidekick:
                image: example/sidekick:1.0
                volumes_from: [app]
                volumes: ["other:/var/log/app"]
              relay:
                image: example/relay:1.0
                volumes_from: [sidekick]
            volumes:
              data:
              logs:
              other:
            """, composePath);
        Assert.Empty(result.Errors);
        var app = MountsOf(Named(pod!, "app"));
        Assert.Equal(("volumes/data", false), app["/srv/data"]);
        Assert.Equal(("binds/conf", true), app["/etc/app"]);
        Assert.Equal(("anonymous/app/var/cache/app", false), app["/var/cache/app"]);

        // :ro makes every inherited mount read-only; the anonymous volume is app's own directory, not a new one.
        var backup = MountsOf(Named(pod!, "backup"));
        Assert.Equal(app.Keys.Order(), backup.Keys.Order());
        Assert.All(backup, m => Assert.True(m.Value.ReadOnly));
        Assert.Equal(app.ToDictionary(m => m.Key, m => m.Value.SubPath), backup.ToDictionary(m => m.Key, m => m.Value.SubPath));

        // rw keeps what was read-only at the source read-only; the dependent's own volume takes its destination.
        var sidekick = MountsOf(Named(pod!, "sidekick"));
        Assert.Equal(("binds/conf", true), sidekick["/etc/app"]);
        Assert.Equal(("volumes/data", false), sidekick["/srv/data"]);
        Assert.Equal(("volumes/other", false), sidekick["/var/log/app"]);

        // Transitive: relay has what sidekick has, its own and what sidekick took from app.
        Assert.Equal(sidekick, MountsOf(Named(pod!, "relay")));

        // Docker fills a volume from the image only for the container that declares it (CopyData false for the others).
        var fills = pod!.InitContainers.Where(c => c.Name.StartsWith("kompox-fill-", StringComparison.Ordinal)).Select(c => c.Name).ToList();
        Assert.Equal(["kompox-fill-app-0", "kompox-fill-app-1", "kompox-fill-app-2", "kompox-fill-sidekick-0"], fills);

        // What only the source's image declares (Dockerfile VOLUME) is not known offline: said on each entry.
        var warning = Assert.Single(result.Warnings, w => w.Key == "services.backup.volumes_from[0]");
        Assert.Contains("Dockerfile VOLUME", warning.Message);
        Assert.Contains("declare each of them in the volumes of 'app'", warning.Message);
    }

    // compose-spec 05-services.md volumes_from: `container:name` is a container outside the project; compose-go
    // loader/normalize.go makes a service source an implicit depends_on, so an unknown or inactive one is refused as such.
    [Theory]
    [InlineData("volumes_from: [\"container:legacy\"]", "services.web.volumes_from[0]", "container 'legacy', which is not a service of this compose file")]
    [InlineData("volumes_from: [ghost]", "services.web.volumes_from[0]", "service 'ghost', which is not defined under services")]
    [InlineData("volumes_from: [tools]", "services.web.volumes_from[0]", "service 'tools', which its profiles leave out")]
    [InlineData("volumes_from: [\"db:rx\"]", "services.web.volumes_from[0]", "optionally followed by :ro or :rw")]
    public void Volumes_from_a_container_an_unknown_or_an_inactive_service_is_refused(string entry, string key, string message)
    {
        var (result, _) = Convert($"services:\n  web:\n    image: example/app:1.0\n    {entry}\n  db:\n    image: example/db:1.0\n  tools:\n    image: example/tools:1.0\n    profiles: [debug]\n");
        var error = Assert.Single(result.Errors);
        Assert.Equal(key, error.Key);
        Assert.Contains(message, error.Message);
    }

    [Fact]
    public void A_volumes_from_cycle_is_refused_naming_the_services()
    {
        var (result, _) = Convert("services:\n  a:\n    image: example/a:1.0\n    volumes_from: [b]\n  b:\n    image: example/b:1.0\n    volumes_from: [c]\n  c:\n    image: example/c:1.0\n    volumes_from: [a]\n");
        var error = Assert.Single(result.Errors);
        Assert.Contains("volumes_from cycle: a -> b -> c -> a", error.Message);
    }

    // compose-spec 05-services.md post_start/pre_stop and schema service_hook; docker/compose pkg/compose/hook.go runs a
    // service's hooks in order with docker exec and a failing one fails. The kubelet runs an exec hook's command as written
    // (pkg/kubelet/lifecycle/handlers.go): no $(VAR) expansion, so nothing is escaped.
    [Fact]
    public void One_hook_with_only_a_command_is_that_command()
    {
        var (result, pod) = Convert("services:\n  web:\n    image: example/app:1.0\n    post_start:\n      - command: [\"/app/warm\", \"$$(cost)\"]\n    pre_stop:\n      - command: /app/drain --wait 5\n");
        var lifecycle = Named(pod!, "web").Lifecycle;
        Assert.Equal(["/app/warm", "$(cost)"], lifecycle.PostStart.Exec.Command);
        Assert.Equal(["/app/drain", "--wait", "5"], lifecycle.PreStop.Exec.Command);
        Assert.DoesNotContain(result.Warnings, w => w.Key.Contains("post_start", StringComparison.Ordinal) || w.Key.Contains("pre_stop", StringComparison.Ordinal));
    }

    [Fact]
    public void Several_hooks_or_a_directory_or_environment_run_as_one_script_in_order_stopping_at_the_first_failure()
    {
        var (result, pod) = Convert("""
            services:
              web:
                image: example/app:1.0
                environment: { MODE: base }
                post_start:
                  - command: pwd
                    working_dir: /tmp
                  - command: printenv GREETING MODE
                    environment: { GREETING: "it's here", MODE: hook }
                  - command: printenv MODE
                  - command: ["false"]
                  - command: echo never
            """);
        var command = Named(pod!, "web").Lifecycle.PostStart.Exec.Command;
        Assert.Equal("/bin/sh", command[0]);
        Assert.Equal("-c", command[1]);
        Assert.Contains(result.Warnings, w => w.Key == "services.web.post_start" && w.Message.Contains("must have /bin/sh", StringComparison.Ordinal));
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        // The script itself, run by a real shell in the container's environment (MODE=base): in order, each hook with its
        // own directory and environment, and nothing after the hook that fails, whose status is the script's.
        var start = new ProcessStartInfo(command[0]) { RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var argument in command.Skip(1))
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment["MODE"] = "base";
        using var shell = Process.Start(start)!;
        var output = shell.StandardOutput.ReadToEnd();
        Assert.True(shell.WaitForExit(10_000));
        Assert.Equal("/tmp\nit's here\nhook\nbase\n", output);
        Assert.Equal(1, shell.ExitCode);
    }

    // Kubernetes runs a container's hooks as its user and with its privileges (the exec joins the container), so a hook that
    // needs others cannot be kept; a plain init container has no hooks (validateInitContainers).
    [Theory]
    [InlineData("user: \"1000\"", "    post_start:\n      - command: chown -R 1000 /data\n        user: root\n", "services.web.post_start[0].user", "Kubernetes runs a container's hooks as the container's user ('1000')")]
    [InlineData("", "    pre_stop:\n      - command: /flush\n        user: root\n", "services.web.pre_stop[0].user", "the container's user (its image's user)")]
    [InlineData("", "    post_start:\n      - command: sysctl -w x=1\n        privileged: true\n", "services.web.post_start[0].privileged", "privileged containers are not allowed")]
    public void A_hook_needing_another_user_or_privileges_is_refused(string user, string hooks, string key, string message)
    {
        var (result, _) = Convert($"services:\n  web:\n    image: example/app:1.0\n    {user}\n{hooks}");
        var error = Assert.Single(result.Errors);
        Assert.Equal(key, error.Key);
        Assert.Contains(message, error.Message);
    }

    [Fact]
    public void A_hook_as_the_services_own_user_is_kept_and_root_is_root_by_either_name()
    {
        var (_, pod) = Convert("services:\n  web:\n    image: example/app:1.0\n    user: \"0\"\n    post_start:\n      - command: /init\n        user: root\n");
        Assert.Equal(["/init"], Named(pod!, "web").Lifecycle.PostStart.Exec.Command);
    }

    [Fact]
    public void A_service_run_to_completion_before_others_cannot_keep_hooks_and_a_sidecar_can()
    {
        const string yaml = "services:\n  web:\n    image: example/app:1.0\n    depends_on:\n      migrate: { condition: CONDITION }\n  migrate:\n    image: example/migrate:1.0\n    post_start:\n      - command: /notify\n";
        var (refused, _) = Convert(yaml.Replace("CONDITION", "service_completed_successfully", StringComparison.Ordinal));
        var error = Assert.Single(refused.Errors);
        Assert.Equal("services.migrate.post_start", error.Key);
        Assert.Contains("runs as a Kubernetes init container, which has no lifecycle hooks", error.Message);

        var (_, pod) = Convert(yaml.Replace("CONDITION", "service_started", StringComparison.Ordinal));
        Assert.Equal(["/notify"], Named(pod!, "migrate").Lifecycle.PostStart.Exec.Command);
    }

    // compose-spec 05-services.md pre_start: steps run in order to exit 0 before the service, each in its own container (the
    // service's image unless named; the service's user only then), sharing its mounts and environment (overlaid by the
    // step's), in its working directory unless named, after what it depends on.
    [Fact]
    public void Pre_start_steps_are_init_containers_after_the_fill_and_dependencies_with_the_services_mounts_and_environment()
    {
        var (result, pod) = Convert("""
            services:
              web:
                image: example/app:1.0
                user: "1000"
                working_dir: /srv
                environment: { MODE: base, KEEP: yes }
                volumes: ["data:/data", "/var/cache/web"]
                tmpfs: ["/run/web"]
                depends_on:
                  db: { condition: service_started }
                pre_start:
                  - command: ["./manage.py", "migrate", "$$HOME"]
                    environment: { MODE: migrate }
                  - image: busybox:1.37
                    command: sh -c 'chown -R 1000:1000 /data'
                    user: "0"
                    working_dir: /
                    per_replica: true
              db:
                image: example/db:1.0
                volumes: ["db:/var/lib/db"]
                pre_start:
                  - command: ["/prepare"]
            volumes:
              data:
              db:
            """);
        Assert.DoesNotContain(result.Warnings, w => w.Key.Contains("pre_start", StringComparison.Ordinal));
        var order = pod!.InitContainers.Select(c => c.Name).ToList();
        Assert.Equal(
            ["kompox-tools", "kompox-fill-db-0", "kompox-fill-web-0", "kompox-fill-web-1", "db-pre-start-0", "db", "web-pre-start-0", "web-pre-start-1"],
            order);

        var web = Named(pod, "web");
        var first = Named(pod, "web-pre-start-0");
        Assert.Equal("example/app:1.0", first.Image);
        Assert.Null(first.Command);
        Assert.Equal(["./manage.py", "migrate", "$$HOME"], first.Args);
        Assert.Equal("/srv", first.WorkingDir);
        Assert.Equal(1000, first.SecurityContext.RunAsUser);
        Assert.Equal(web.VolumeMounts.Select(m => (m.Name, m.MountPath, m.SubPath)), first.VolumeMounts.Select(m => (m.Name, m.MountPath, m.SubPath)));
        Assert.Equal(web.Resources.Limits, first.Resources.Limits);
        Assert.Null(first.RestartPolicy);

        // The service's environment, then the step's own: the later envFrom source wins a key both hold.
        Assert.Equal(["my-app-env-web", "my-app-env-web-pre-start-0"], first.EnvFrom.Select(e => e.SecretRef.Name));
        var secret = k8s.KubernetesYaml.LoadAllFromString(result.Yaml).OfType<V1Secret>().Single(s => s.Metadata.Name == "my-app-env-web-pre-start-0");
        Assert.Equal("migrate", System.Text.Encoding.UTF8.GetString(secret.Data["MODE"]));

        var second = Named(pod, "web-pre-start-1");
        Assert.Equal("busybox:1.37", second.Image);
        Assert.Equal(["sh", "-c", "chown -R 1000:1000 /data"], second.Args);
        Assert.Equal("/", second.WorkingDir);
        Assert.Equal(0, second.SecurityContext.RunAsUser);
        Assert.Equal(["my-app-env-web"], second.EnvFrom.Select(e => e.SecretRef.Name));
    }

    [Fact]
    public void A_step_with_its_own_image_runs_as_that_images_user()
    {
        var (_, pod) = Convert("services:\n  web:\n    image: example/app:1.0\n    user: \"1000\"\n    pre_start:\n      - image: busybox:1.37\n        command: [\"true\"]\n");
        Assert.Null(Named(pod!, "web-pre-start-0").SecurityContext?.RunAsUser);
    }

    [Theory]
    [InlineData("      - command: [\"true\"]\n        privileged: true\n", "services.web.pre_start[0].privileged", "privileged containers are not allowed on a shared cluster (Pod Security baseline)")]
    [InlineData("      - command: [\"true\"]\n        user: app\n", "services.web.pre_start[0].user", "user 'app' is not numeric")]
    [InlineData("      - image: \"Busybox:latest\"\n", "services.web.pre_start[0].image", "")]
    public void A_step_goes_through_the_rules_of_a_services_own_container(string step, string key, string message)
    {
        var (result, _) = Convert($"services:\n  web:\n    image: example/app:1.0\n    pre_start:\n{step}");
        var error = Assert.Single(result.Errors);
        Assert.Equal(key, error.Key);
        Assert.Contains(message, error.Message);
    }

    // compose-spec schema service_hook: command is required, and only command, user, privileged, working_dir and environment
    // are known; pre_start adds image and per_replica.
    [Theory]
    [InlineData("post_start:\n      - user: \"0\"\n", "services.web.post_start[0].command", "is required")]
    [InlineData("pre_stop:\n      - command: []\n", "services.web.pre_stop[0].command", "is empty")]
    [InlineData("post_start:\n      - command: /x\n        image: busybox:1.37\n", "services.web.post_start[0].image", "is not a compose key here")]
    [InlineData("pre_start:\n      - command: /x\n        per_replica: maybe\n", "services.web.pre_start[0].per_replica", "")]
    public void A_hook_is_read_as_the_schema_says(string hooks, string key, string message)
    {
        var (result, _) = Convert($"services:\n  web:\n    image: example/app:1.0\n    {hooks}");
        var error = Assert.Single(result.Errors);
        Assert.Equal(key, error.Key);
        Assert.Contains(message, error.Message);
    }

    [Fact]
    public void A_service_may_not_take_a_step_containers_name()
    {
        var (result, _) = Convert("services:\n  web-pre-start-0:\n    image: example/app:1.0\n");
        Assert.Contains("a name Kompox keeps for its own containers", Assert.Single(result.Errors).Message);
    }
}
