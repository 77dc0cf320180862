using k8s.Models;
using Xunit;
using static Kompox.Tests.Validation.ValidationAssert;

namespace Kompox.Tests.Validation;

public class PodTemplateValidationTests
{
    private const string Pod = "spec.template.spec";

    [Fact]
    public void Pod_needs_at_least_one_container()
    {
        var app = new BaselineApp();
        app.PodSpec.Containers.Clear();
        Rejected(app, "Deployment", $"{Pod}.containers", "Required value");
    }

    [Fact]
    public void Container_name_must_be_a_dns_label()
    {
        var app = new BaselineApp();
        app.Web.Name = "Web_1";
        Rejected(app, "Deployment", $"{Pod}.containers[0].name", "RFC 1123 label");
    }

    [Fact]
    public void Container_names_are_unique_across_init_and_app_containers()
    {
        var app = new BaselineApp();
        app.PodSpec.InitContainers[0].Name = "db";
        Rejected(app, "Deployment", $"{Pod}.containers[1].name", "Duplicate value: \"db\"");
    }

    [Fact]
    public void Container_image_is_required()
    {
        var app = new BaselineApp();
        app.Db.Image = "";
        Rejected(app, "Deployment", $"{Pod}.containers[1].image", "Required value");
    }

    [Fact]
    public void Init_container_image_is_required()
    {
        var app = new BaselineApp();
        app.PodSpec.InitContainers[0].Image = null;
        Rejected(app, "Deployment", $"{Pod}.initContainers[0].image", "Required value");
    }

    // pkg/apis/core/validation/validation.go validateInitContainers: a plain init container may have no lifecycle; a
    // container's hooks go through validateLifecycle/validateHandler (one handler type) and validateExecAction (a command).
    [Fact]
    public void Lifecycle_hooks_need_one_handler_with_a_command_and_no_plain_init_container_has_them()
    {
        var exec = new V1LifecycleHandler { Exec = new V1ExecAction { Command = ["/bin/sh", "-c", "true"] } };
        var app = new BaselineApp();
        app.Web.Lifecycle = new V1Lifecycle { PostStart = exec, PreStop = exec };
        Accepted(app);

        app = new BaselineApp();
        app.PodSpec.InitContainers[0].Lifecycle = new V1Lifecycle { PostStart = exec };
        Rejected(app, "Deployment", $"{Pod}.initContainers[0].lifecycle", "may not be set for init containers without restartPolicy=Always");

        app = new BaselineApp();
        app.Web.Lifecycle = new V1Lifecycle { PreStop = new V1LifecycleHandler { Exec = new V1ExecAction { Command = [] } } };
        Rejected(app, "Deployment", $"{Pod}.containers[0].lifecycle.preStop.exec.command", "Required value");

        app = new BaselineApp();
        app.Web.Lifecycle = new V1Lifecycle { PostStart = new V1LifecycleHandler() };
        Rejected(app, "Deployment", $"{Pod}.containers[0].lifecycle.postStart", "must specify a handler type");
    }

    [Fact]
    public void Container_port_must_be_in_range()
    {
        var app = new BaselineApp();
        app.Web.Ports[0].ContainerPort = 70000;
        Rejected(app, "Deployment", $"{Pod}.containers[0].ports[0].containerPort", "must be between 1 and 65535, inclusive");
    }

    [Fact]
    public void Container_port_zero_is_required()
    {
        var app = new BaselineApp();
        app.Web.Ports[0].ContainerPort = 0;
        Rejected(app, "Deployment", $"{Pod}.containers[0].ports[0].containerPort", "Required value");
    }

    [Fact]
    public void Port_name_longer_than_15_is_rejected()
    {
        var app = new BaselineApp();
        app.Db.Ports[0].Name = "postgres-primary";
        Rejected(app, "Deployment", $"{Pod}.containers[1].ports[0].name", "must be no more than 15 characters");
    }

    [Fact]
    public void Port_name_needs_a_letter()
    {
        var app = new BaselineApp();
        app.Db.Ports[0].Name = "5432";
        Rejected(app, "Deployment", $"{Pod}.containers[1].ports[0].name", "must contain at least one letter (a-z)");
    }

    [Fact]
    public void Port_name_may_not_have_double_hyphens()
    {
        var app = new BaselineApp();
        app.Db.Ports[0].Name = "pg--main";
        Rejected(app, "Deployment", $"{Pod}.containers[1].ports[0].name", "must not contain consecutive hyphens");
    }

    [Fact]
    public void Port_names_are_unique_within_a_container()
    {
        var app = new BaselineApp();
        app.Web.Ports.Add(new V1ContainerPort { Name = "http", ContainerPort = 8080 });
        Rejected(app, "Deployment", $"{Pod}.containers[0].ports[1].name", "Duplicate value: \"http\"");
    }

    [Fact]
    public void Same_port_name_in_two_containers_is_allowed()
    {
        var app = new BaselineApp();
        app.Db.Ports[0].Name = "http";
        Accepted(app);
    }

    [Fact]
    public void Port_protocol_must_be_tcp_udp_or_sctp()
    {
        var app = new BaselineApp();
        app.Web.Ports[0].Protocol = "HTTP";
        Rejected(app, "Deployment", $"{Pod}.containers[0].ports[0].protocol", "Unsupported value: \"HTTP\"");
    }

    [Fact]
    public void Host_port_may_be_claimed_once_per_pod()
    {
        var app = new BaselineApp();
        app.Web.Ports[0].HostPort = 8080;
        app.Db.Ports[0].HostPort = 8080;

        // Pod Security baseline forbids every host port besides; the duplicate is still reported as the apiserver does.
        var errors = Kompox.Testing.ManifestValidator.Validate(app.Objects);
        Assert.Contains(errors, e => e.Field == $"{Pod}.containers[1].ports[0].hostPort" && e.Message.Contains("Duplicate value: \"8080/TCP\"", StringComparison.Ordinal));
        Assert.All(errors.Where(e => !e.Message.Contains("Duplicate", StringComparison.Ordinal)), e => Assert.Contains("baseline:latest\": hostPort", e.Message, StringComparison.Ordinal));
    }

    [Fact]
    public void Env_name_may_not_start_with_a_digit()
    {
        var app = new BaselineApp();
        app.Web.Env[0].Name = "1DB_HOST";
        Rejected(app, "Deployment", $"{Pod}.containers[0].env[0].name", "a valid environment variable name");
    }

    [Fact]
    public void Env_valueFrom_with_two_sources_is_rejected()
    {
        var app = new BaselineApp();
        app.Db.Env[0].ValueFrom.ConfigMapKeyRef = new V1ConfigMapKeySelector { Name = "my-app-config", Key = "pw" };
        Rejected(app, "Deployment", $"{Pod}.containers[1].env[0].valueFrom", "may not have more than one field specified at a time");
    }

    [Fact]
    public void Env_valueFrom_without_a_source_is_rejected()
    {
        var app = new BaselineApp();
        app.Db.Env[0].ValueFrom = new V1EnvVarSource();
        Rejected(app, "Deployment", $"{Pod}.containers[1].env[0].valueFrom", "must specify one of");
    }

    [Fact]
    public void Env_secretKeyRef_needs_a_key()
    {
        var app = new BaselineApp();
        app.Db.Env[0].ValueFrom.SecretKeyRef.Key = "";
        Rejected(app, "Deployment", $"{Pod}.containers[1].env[0].valueFrom.secretKeyRef.key", "Required value");
    }

    [Fact]
    public void Env_fieldRef_path_must_be_supported()
    {
        var app = new BaselineApp();
        app.Web.Env[1].ValueFrom.FieldRef.FieldPath = "spec.containers";
        Rejected(app, "Deployment", $"{Pod}.containers[0].env[1].valueFrom.fieldRef.fieldPath", "Unsupported value");
    }

    [Fact]
    public void EnvFrom_prefix_must_be_an_env_name()
    {
        var app = new BaselineApp();
        app.Web.EnvFrom[0].Prefix = "9_";
        Rejected(app, "Deployment", $"{Pod}.containers[0].envFrom[0].prefix", "a valid environment variable name");
    }

    [Fact]
    public void EnvFrom_needs_exactly_one_source()
    {
        var app = new BaselineApp();
        app.Web.EnvFrom[0].ConfigMapRef = new V1ConfigMapEnvSource { Name = "my-app-config" };
        Rejected(app, "Deployment", $"{Pod}.containers[0].envFrom[0]", "may not have more than one field specified at a time");
    }

    [Fact]
    public void Volume_names_are_unique()
    {
        var app = new BaselineApp();
        app.PodSpec.Volumes.Add(new V1Volume { Name = "secrets", EmptyDir = new V1EmptyDirVolumeSource() });
        Rejected(app, "Deployment", $"{Pod}.volumes[4].name", "Duplicate value: \"secrets\"");
    }

    [Fact]
    public void Volume_name_must_be_a_dns_label()
    {
        var app = new BaselineApp();
        app.PodSpec.Volumes.Add(new V1Volume { Name = "cache.v1", EmptyDir = new V1EmptyDirVolumeSource() });
        Rejected(app, "Deployment", $"{Pod}.volumes[4].name", "RFC 1123 label");
    }

    [Fact]
    public void Volume_with_two_sources_is_rejected()
    {
        var app = new BaselineApp();
        app.PodSpec.Volumes[3].HostPath = new V1HostPathVolumeSource { Path = "/tmp" };
        Rejected(app, "Deployment", $"{Pod}.volumes[3].hostPath", "may not specify more than 1 volume type");
    }

    [Fact]
    public void Volume_without_a_source_is_rejected()
    {
        var app = new BaselineApp();
        app.PodSpec.Volumes[3].EmptyDir = null;
        Rejected(app, "Deployment", $"{Pod}.volumes[3]", "must specify a volume type");
    }

    [Fact]
    public void Volume_mount_must_name_an_existing_volume()
    {
        var app = new BaselineApp();
        app.Web.VolumeMounts[2].Name = "scratch";
        Rejected(app, "Deployment", $"{Pod}.containers[0].volumeMounts[2].name", "Not found: \"scratch\"");
    }

    [Fact]
    public void Mount_path_must_be_absolute()
    {
        var app = new BaselineApp();
        app.Web.VolumeMounts[2].MountPath = "tmp";
        Rejected(app, "Deployment", $"{Pod}.containers[0].volumeMounts[2].mountPath", "must be an absolute path");
    }

    [Fact]
    public void Mount_paths_are_unique_within_a_container()
    {
        var app = new BaselineApp();
        app.Web.VolumeMounts[2].MountPath = "/usr/share/nginx/html";
        Rejected(app, "Deployment", $"{Pod}.containers[0].volumeMounts[2].mountPath", "must be unique");
    }

    [Fact]
    public void SubPath_may_not_climb_out_of_the_volume()
    {
        var app = new BaselineApp();
        app.Db.VolumeMounts[0].SubPath = "db/../../etc";
        Rejected(app, "Deployment", $"{Pod}.containers[1].volumeMounts[0].subPath", "must not contain '..'");
    }

    [Fact]
    public void SubPath_must_be_relative()
    {
        var app = new BaselineApp();
        app.Db.VolumeMounts[0].SubPath = "/db";
        Rejected(app, "Deployment", $"{Pod}.containers[1].volumeMounts[0].subPath", "must be a relative path");
    }

    [Fact]
    public void Probe_with_two_handlers_is_rejected()
    {
        var app = new BaselineApp();
        app.Web.LivenessProbe.HttpGet = new V1HTTPGetAction { Path = "/", Port = 80 };
        Rejected(app, "Deployment", $"{Pod}.containers[0].livenessProbe.httpGet", "may not specify more than 1 handler type");
    }

    [Fact]
    public void Probe_without_a_handler_is_rejected()
    {
        var app = new BaselineApp();
        app.Db.LivenessProbe.TcpSocket = null;
        Rejected(app, "Deployment", $"{Pod}.containers[1].livenessProbe", "must specify a handler type");
    }

    [Fact]
    public void Exec_probe_needs_a_command()
    {
        var app = new BaselineApp();
        app.Web.LivenessProbe.Exec.Command = [];
        Rejected(app, "Deployment", $"{Pod}.containers[0].livenessProbe.exec.command", "Required value");
    }

    [Fact]
    public void Probe_period_may_not_be_negative()
    {
        var app = new BaselineApp();
        app.Web.LivenessProbe.PeriodSeconds = -1;
        Rejected(app, "Deployment", $"{Pod}.containers[0].livenessProbe.periodSeconds", "must be greater than or equal to 0");
    }

    [Fact]
    public void Probe_initial_delay_may_not_be_negative()
    {
        var app = new BaselineApp();
        app.Web.LivenessProbe.InitialDelaySeconds = -5;
        Rejected(app, "Deployment", $"{Pod}.containers[0].livenessProbe.initialDelaySeconds", "must be greater than or equal to 0");
    }

    [Fact]
    public void Liveness_success_threshold_must_be_one()
    {
        var app = new BaselineApp();
        app.Web.LivenessProbe.SuccessThreshold = 2;
        Rejected(app, "Deployment", $"{Pod}.containers[0].livenessProbe.successThreshold", "must be 1");
    }

    [Fact]
    public void Readiness_success_threshold_may_be_more_than_one()
    {
        var app = new BaselineApp();
        app.Web.ReadinessProbe.SuccessThreshold = 2;
        Accepted(app);
    }

    [Fact]
    public void Named_http_probe_port_must_be_an_iana_name()
    {
        var app = new BaselineApp();
        app.Web.ReadinessProbe.HttpGet.Port = "HTTP";
        Rejected(app, "Deployment", $"{Pod}.containers[0].readinessProbe.httpGet.port", "must contain only alpha-numeric characters");
    }

    [Fact]
    public void Init_container_without_restart_policy_may_not_have_probes()
    {
        var app = new BaselineApp();
        app.PodSpec.InitContainers[0].LivenessProbe = new V1Probe { Exec = new V1ExecAction { Command = ["true"] } };
        Rejected(app, "Deployment", $"{Pod}.initContainers[0].livenessProbe", "may not be set for init containers");
    }

    [Fact]
    public void Negative_resource_quantity_is_rejected()
    {
        var app = new BaselineApp();
        app.Web.Resources.Requests["cpu"] = new ResourceQuantity("-1");
        Rejected(app, "Deployment", $"{Pod}.containers[0].resources.requests[cpu]", "must be greater than or equal to 0");
    }

    [Fact]
    public void Request_above_limit_is_rejected()
    {
        var app = new BaselineApp();
        app.Web.Resources.Requests["memory"] = new ResourceQuantity("2Gi");
        Rejected(app, "Deployment", $"{Pod}.containers[0].resources.requests[memory]", "must be less than or equal to memory limit of 1Gi");
    }

    [Fact]
    public void Request_equal_to_limit_in_other_units_is_allowed()
    {
        var app = new BaselineApp();
        app.Web.Resources.Requests["memory"] = new ResourceQuantity("1073741824");
        app.Web.Resources.Requests["cpu"] = new ResourceQuantity("1000m");
        Accepted(app);
    }

    [Fact]
    public void Unqualified_resource_name_must_be_standard()
    {
        var app = new BaselineApp();
        app.Db.Resources.Limits["gpu"] = new ResourceQuantity("1");
        Rejected(app, "Deployment", $"{Pod}.containers[1].resources.limits[gpu]", "must be a standard resource for containers");
    }

    [Fact]
    public void RunAsUser_may_not_be_negative()
    {
        var app = new BaselineApp();
        app.Web.SecurityContext.RunAsUser = -1;
        Rejected(app, "Deployment", $"{Pod}.containers[0].securityContext.runAsUser", "must be between 0 and 2147483647, inclusive");
    }

    [Fact]
    public void Host_alias_ip_must_be_an_ip_address()
    {
        var app = new BaselineApp();
        app.PodSpec.HostAliases[0].Ip = "localhost";
        Rejected(app, "Deployment", $"{Pod}.hostAliases[0].ip", "must be a valid IP address");
    }

    [Fact]
    public void Host_alias_ip_in_shorthand_form_is_rejected()
    {
        var app = new BaselineApp();
        app.PodSpec.HostAliases[0].Ip = "127.1";
        Rejected(app, "Deployment", $"{Pod}.hostAliases[0].ip", "must be a valid IP address");
    }

    [Fact]
    public void Host_alias_hostnames_must_be_dns_subdomains()
    {
        var app = new BaselineApp();
        app.PodSpec.HostAliases[0].Hostnames[1] = "My_DB";
        Rejected(app, "Deployment", $"{Pod}.hostAliases[0].hostnames[1]", "RFC 1123 subdomain");
    }

    [Fact]
    public void Deployment_pods_must_restart_always()
    {
        var app = new BaselineApp();
        app.PodSpec.RestartPolicy = "OnFailure";
        Rejected(app, "Deployment", $"{Pod}.restartPolicy", "supported values: \"Always\"");
    }

    [Fact]
    public void Template_labels_are_validated()
    {
        var app = new BaselineApp();
        app.Deployment.Spec.Template.Metadata.Annotations["bad key!"] = "x";
        Rejected(app, "Deployment", "spec.template.metadata.annotations", "name part must consist of");
    }
}
