using k8s.Models;
using Xunit;
using static Kompox.Tests.Validation.ValidationAssert;

namespace Kompox.Tests.Validation;

/// <summary>The Pod Security Standards "baseline" checks, one mutation of the valid app each; init containers count as containers.</summary>
public class PodSecurityBaselineTests
{
    private const string Pod = "spec.template.spec";
    private const string Baseline = "violates PodSecurity \"baseline:latest\"";

    [Theory]
    [InlineData("hostNetwork")]
    [InlineData("hostPID")]
    [InlineData("hostIPC")]
    public void Host_namespaces_are_forbidden(string field)
    {
        var app = new BaselineApp();
        switch (field)
        {
            case "hostNetwork": app.PodSpec.HostNetwork = true; break;
            case "hostPID": app.PodSpec.HostPID = true; break;
            default: app.PodSpec.HostIPC = true; break;
        }
        Rejected(app, "Deployment", $"{Pod}.{field}", $"{Baseline}: host namespaces");
    }

    [Fact]
    public void Host_namespaces_set_to_false_are_accepted()
    {
        var app = new BaselineApp();
        app.PodSpec.HostNetwork = false;
        app.PodSpec.HostPID = false;
        app.PodSpec.HostIPC = false;
        Accepted(app);
    }

    [Fact]
    public void Privileged_containers_are_forbidden()
    {
        var app = new BaselineApp();
        app.Db.SecurityContext = new V1SecurityContext { Privileged = true };
        Rejected(app, "Deployment", $"{Pod}.containers[1].securityContext.privileged", $"{Baseline}: privileged");
    }

    [Fact]
    public void Privileged_init_containers_are_forbidden()
    {
        var app = new BaselineApp();
        app.PodSpec.InitContainers[0].SecurityContext = new V1SecurityContext { Privileged = true };
        Rejected(app, "Deployment", $"{Pod}.initContainers[0].securityContext.privileged", $"{Baseline}: privileged");
    }

    [Fact]
    public void Windows_host_process_is_forbidden_in_pods_and_containers()
    {
        var app = new BaselineApp();
        app.PodSpec.SecurityContext.WindowsOptions = new V1WindowsSecurityContextOptions { HostProcess = true };
        Rejected(app, "Deployment", $"{Pod}.securityContext.windowsOptions.hostProcess", $"{Baseline}: hostProcess");

        app = new BaselineApp();
        app.Web.SecurityContext.WindowsOptions = new V1WindowsSecurityContextOptions { HostProcess = true };
        Rejected(app, "Deployment", $"{Pod}.containers[0].securityContext.windowsOptions.hostProcess", $"{Baseline}: hostProcess");
    }

    // The standard's own list, as kubernetes/pod-security-admission policy/check_capabilities_baseline.go has it
    // (capabilities_allowed_1_0), kept apart from the validator's copy so that widening that copy fails a test here.
    private static readonly string[] BaselineAllows =
    [
        "AUDIT_WRITE", "CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "MKNOD", "NET_BIND_SERVICE", "SETFCAP", "SETGID", "SETPCAP", "SETUID", "SYS_CHROOT",
    ];

    // Every Linux capability (include/uapi/linux/capability.h), in the names Kubernetes takes.
    private static readonly string[] LinuxCapabilities =
    [
        "CHOWN", "DAC_OVERRIDE", "DAC_READ_SEARCH", "FOWNER", "FSETID", "KILL", "SETGID", "SETUID", "SETPCAP", "LINUX_IMMUTABLE",
        "NET_BIND_SERVICE", "NET_BROADCAST", "NET_ADMIN", "NET_RAW", "IPC_LOCK", "IPC_OWNER", "SYS_MODULE", "SYS_RAWIO", "SYS_CHROOT",
        "SYS_PTRACE", "SYS_PACCT", "SYS_ADMIN", "SYS_BOOT", "SYS_NICE", "SYS_RESOURCE", "SYS_TIME", "SYS_TTY_CONFIG", "MKNOD", "LEASE",
        "AUDIT_WRITE", "AUDIT_CONTROL", "SETFCAP", "MAC_OVERRIDE", "MAC_ADMIN", "SYSLOG", "WAKE_ALARM", "BLOCK_SUSPEND", "AUDIT_READ",
        "PERFMON", "BPF", "CHECKPOINT_RESTORE",
    ];

    public static TheoryData<string> AllowedCapabilities => new(BaselineAllows);

    // What the baseline does not allow: the other Linux capabilities (NET_RAW among them: container runtimes grant it by
    // default, the standard does not), ALL, and names that only look allowed, since upstream compares them exactly.
    public static TheoryData<string> ForbiddenCapabilities => new(LinuxCapabilities.Except(BaselineAllows).Concat(["ALL", "chown", "CAP_CHOWN", "CHOWN "]));

    [Theory]
    [MemberData(nameof(ForbiddenCapabilities))]
    public void A_capability_the_baseline_does_not_allow_is_forbidden_in_containers_and_init_containers(string capability)
    {
        var app = new BaselineApp();
        app.Web.SecurityContext.Capabilities = new V1Capabilities { Add = ["NET_BIND_SERVICE", capability], Drop = ["ALL"] };
        Rejected(app, "Deployment", $"{Pod}.containers[0].securityContext.capabilities.add[1]", $"{Baseline}: non-default capabilities (container \"web\" must not include \"{capability}\")");

        app = new BaselineApp();
        app.PodSpec.InitContainers[0].SecurityContext = new V1SecurityContext { Capabilities = new V1Capabilities { Add = [capability] } };
        Rejected(app, "Deployment", $"{Pod}.initContainers[0].securityContext.capabilities.add[0]", $"must not include \"{capability}\"");
    }

    [Theory]
    [MemberData(nameof(AllowedCapabilities))]
    public void A_capability_the_baseline_allows_is_accepted_in_containers_and_init_containers(string capability)
    {
        var app = new BaselineApp();
        app.Web.SecurityContext.Capabilities = new V1Capabilities { Add = [capability], Drop = ["ALL"] };
        app.PodSpec.InitContainers[0].SecurityContext = new V1SecurityContext { Capabilities = new V1Capabilities { Add = [capability] } };
        Accepted(app);
    }

    [Fact]
    public void Host_path_volumes_are_forbidden()
    {
        var app = new BaselineApp();
        app.PodSpec.Volumes.Add(new V1Volume { Name = "host", HostPath = new V1HostPathVolumeSource { Path = "/var/run" } });
        Rejected(app, "Deployment", $"{Pod}.volumes[4].hostPath", $"{Baseline}: hostPath volumes");
    }

    [Fact]
    public void Host_ports_are_forbidden()
    {
        var app = new BaselineApp();
        app.Web.Ports[0].HostPort = 8080;
        Rejected(app, "Deployment", $"{Pod}.containers[0].ports[0].hostPort", $"{Baseline}: hostPort");
    }

    [Fact]
    public void Host_port_zero_means_none()
    {
        var app = new BaselineApp();
        app.Web.Ports[0].HostPort = 0;
        Accepted(app);
    }

    [Fact]
    public void AppArmor_allows_only_the_runtime_default_and_localhost_profiles()
    {
        var app = new BaselineApp();
        app.PodSpec.SecurityContext.AppArmorProfile = new V1AppArmorProfile { Type = "RuntimeDefault" };
        app.Db.SecurityContext = new V1SecurityContext { AppArmorProfile = new V1AppArmorProfile { Type = "Localhost", LocalhostProfile = "k8s-db" } };
        Accepted(app);

        app.Web.SecurityContext.AppArmorProfile = new V1AppArmorProfile { Type = "Unconfined" };
        Rejected(app, "Deployment", $"{Pod}.containers[0].securityContext.appArmorProfile.type", "forbidden AppArmor profile (Unconfined)");
    }

    [Fact]
    public void AppArmor_annotations_allow_only_the_runtime_default_and_localhost_profiles()
    {
        var app = new BaselineApp();
        var annotations = app.Deployment.Spec.Template.Metadata.Annotations;
        annotations["container.apparmor.security.beta.kubernetes.io/db"] = "localhost/k8s-db";
        Accepted(app);

        annotations["container.apparmor.security.beta.kubernetes.io/web"] = "unconfined";
        Rejected(app, "Deployment", "spec.template.metadata.annotations[container.apparmor.security.beta.kubernetes.io/web]", "forbidden AppArmor profile (unconfined)");
    }

    [Fact]
    public void SELinux_allows_only_the_container_types()
    {
        var app = new BaselineApp();
        app.PodSpec.SecurityContext.SeLinuxOptions = new V1SELinuxOptions { Type = "container_init_t", Level = "s0:c123,c456" };
        Accepted(app);

        app.Web.SecurityContext.SeLinuxOptions = new V1SELinuxOptions { Type = "spc_t" };
        Rejected(app, "Deployment", $"{Pod}.containers[0].securityContext.seLinuxOptions.type", "type \"spc_t\" is not allowed");
    }

    [Theory]
    [InlineData("user")]
    [InlineData("role")]
    public void SELinux_user_and_role_may_not_be_set(string field)
    {
        var app = new BaselineApp();
        app.PodSpec.SecurityContext.SeLinuxOptions = field == "user" ? new V1SELinuxOptions { User = "system_u" } : new V1SELinuxOptions { Role = "system_r" };
        Rejected(app, "Deployment", $"{Pod}.securityContext.seLinuxOptions.{field}", $"{field} may not be set");
    }

    [Fact]
    public void Proc_mount_must_be_the_default()
    {
        var app = new BaselineApp();
        app.Web.SecurityContext.ProcMount = "Default";
        Accepted(app);

        app.Web.SecurityContext.ProcMount = "Unmasked";
        Rejected(app, "Deployment", $"{Pod}.containers[0].securityContext.procMount", "must not set procMount=Unmasked");
    }

    [Fact]
    public void Seccomp_may_not_be_unconfined_for_the_pod()
    {
        var app = new BaselineApp();
        app.PodSpec.SecurityContext.SeccompProfile = new V1SeccompProfile { Type = "Unconfined" };
        Rejected(app, "Deployment", $"{Pod}.securityContext.seccompProfile.type", $"{Baseline}: seccompProfile");
    }

    [Fact]
    public void Seccomp_may_not_be_unconfined_for_an_init_container()
    {
        var app = new BaselineApp();
        app.PodSpec.SecurityContext.SeccompProfile = new V1SeccompProfile { Type = "RuntimeDefault" };
        app.PodSpec.InitContainers[0].SecurityContext = new V1SecurityContext { SeccompProfile = new V1SeccompProfile { Type = "Unconfined" } };
        Rejected(app, "Deployment", $"{Pod}.initContainers[0].securityContext.seccompProfile.type", $"{Baseline}: seccompProfile");
    }

    [Fact]
    public void Only_safe_sysctls_are_allowed()
    {
        var app = new BaselineApp();
        app.PodSpec.SecurityContext.Sysctls = [new V1Sysctl { Name = "net.ipv4.ip_unprivileged_port_start", Value = "0" }, new V1Sysctl { Name = "net.ipv4.tcp_keepalive_time", Value = "600" }];
        Accepted(app);

        app.PodSpec.SecurityContext.Sysctls.Add(new V1Sysctl { Name = "net.core.somaxconn", Value = "1024" });
        Rejected(app, "Deployment", $"{Pod}.securityContext.sysctls[2].name", "forbidden sysctls (net.core.somaxconn)");
    }
}
