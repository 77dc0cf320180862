using k8s.Models;

namespace Kompox.Testing;

/// <summary>
/// The Pod Security Standards "baseline" policy (kubernetes.io/docs/concepts/security/pod-security-standards), as the
/// PodSecurity admission plugin checks it. It is applied to every pod template: Kompox labels every namespace it
/// writes <c>pod-security.kubernetes.io/enforce: baseline</c>, so a template that breaks the policy never gets a
/// Pod (admission accepts the Deployment with a warning, then refuses each Pod its ReplicaSet creates).
/// </summary>
internal static class PodSecurityRules
{
    private const string Violation = "violates PodSecurity \"baseline:latest\": ";

    // capabilities_allowed_1_0 of kubernetes/pod-security-admission policy/check_capabilities_baseline.go; compared exactly.
    private static readonly string[] AllowedCapabilities =
    [
        "AUDIT_WRITE", "CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "MKNOD", "NET_BIND_SERVICE", "SETFCAP", "SETGID", "SETPCAP", "SETUID", "SYS_CHROOT",
    ];

    // sysctlsAllowedV1Dot0, V1Dot27, V1Dot29 and V1Dot32 of kubernetes/pod-security-admission policy/check_sysctls.go: the policy a
    // server of a given minor version enforces ("baseline:latest" is the server's own version).
    private static readonly string[] SysctlsV1Dot0 =
    [
        "kernel.shm_rmid_forced", "net.ipv4.ip_local_port_range", "net.ipv4.ip_unprivileged_port_start", "net.ipv4.tcp_syncookies", "net.ipv4.ping_group_range",
    ];

    private static readonly string[] SysctlsV1Dot27 = [.. SysctlsV1Dot0, "net.ipv4.ip_local_reserved_ports"];

    private static readonly string[] SysctlsV1Dot29 =
        [.. SysctlsV1Dot27, "net.ipv4.tcp_keepalive_time", "net.ipv4.tcp_fin_timeout", "net.ipv4.tcp_keepalive_intvl", "net.ipv4.tcp_keepalive_probes"];

    private static readonly string[] SysctlsV1Dot32 = [.. SysctlsV1Dot29, "net.ipv4.tcp_rmem", "net.ipv4.tcp_wmem"];

    private static string[] SafeSysctls(int minor) => minor >= 32 ? SysctlsV1Dot32 : minor >= 29 ? SysctlsV1Dot29 : minor >= 27 ? SysctlsV1Dot27 : SysctlsV1Dot0;

    private static readonly string[] SeLinuxTypes = ["container_t", "container_init_t", "container_kvm_t", "container_engine_t"];

    private const string AppArmorAnnotationPrefix = "container.apparmor.security.beta.kubernetes.io/";

    /// <summary>Checks the template against the baseline policy of Kubernetes 1.<paramref name="minor"/> (the newest the model knows by default).</summary>
    public static void ValidateBaseline(FieldErrors errors, V1PodTemplateSpec template, string templatePath, int minor = 32)
    {
        var spec = template.Spec;
        var path = $"{templatePath}.spec";
        ForbidTrue(errors, spec.HostNetwork, $"{path}.hostNetwork", "host namespaces");
        ForbidTrue(errors, spec.HostPID, $"{path}.hostPID", "host namespaces");
        ForbidTrue(errors, spec.HostIPC, $"{path}.hostIPC", "host namespaces");

        var volumes = spec.Volumes ?? [];
        for (var i = 0; i < volumes.Count; i++)
        {
            if (volumes[i].HostPath is not null)
            {
                errors.Forbidden($"{path}.volumes[{i}].hostPath", Violation + "hostPath volumes");
            }
        }

        var context = spec.SecurityContext;
        var contextPath = $"{path}.securityContext";
        ForbidTrue(errors, context?.WindowsOptions?.HostProcess, $"{contextPath}.windowsOptions.hostProcess", "hostProcess");
        ValidateAppArmorType(errors, context?.AppArmorProfile?.Type, $"{contextPath}.appArmorProfile.type");
        ValidateSeLinux(errors, context?.SeLinuxOptions, $"{contextPath}.seLinuxOptions");
        ValidateSeccompType(errors, context?.SeccompProfile?.Type, $"{contextPath}.seccompProfile.type");
        var sysctls = context?.Sysctls ?? [];
        for (var i = 0; i < sysctls.Count; i++)
        {
            if (!SafeSysctls(minor).Contains(sysctls[i].Name))
            {
                errors.Forbidden($"{contextPath}.sysctls[{i}].name", Violation + $"forbidden sysctls ({sysctls[i].Name})");
            }
        }

        foreach (var (key, value) in template.Metadata?.Annotations ?? new Dictionary<string, string>())
        {
            if (key.StartsWith(AppArmorAnnotationPrefix, StringComparison.Ordinal) && value != "runtime/default" && !value.StartsWith("localhost/", StringComparison.Ordinal))
            {
                errors.Forbidden($"{templatePath}.metadata.annotations[{key}]", Violation + $"forbidden AppArmor profile ({value})");
            }
        }

        ValidateContainers(errors, spec.InitContainers, $"{path}.initContainers");
        ValidateContainers(errors, spec.Containers, $"{path}.containers");
    }

    private static void ValidateContainers(FieldErrors errors, IList<V1Container>? containers, string path)
    {
        for (var c = 0; c < (containers?.Count ?? 0); c++)
        {
            var container = containers![c];
            var containerPath = $"{path}[{c}]";
            var ports = container.Ports ?? [];
            for (var p = 0; p < ports.Count; p++)
            {
                if (ports[p].HostPort is not (null or 0))
                {
                    errors.Forbidden($"{containerPath}.ports[{p}].hostPort", Violation + $"hostPort (container \"{container.Name}\" uses hostPort {ports[p].HostPort})");
                }
            }

            var context = container.SecurityContext;
            var contextPath = $"{containerPath}.securityContext";
            if (context is null)
            {
                continue;
            }
            ForbidTrue(errors, context.Privileged, $"{contextPath}.privileged", "privileged");
            ForbidTrue(errors, context.WindowsOptions?.HostProcess, $"{contextPath}.windowsOptions.hostProcess", "hostProcess");
            var added = context.Capabilities?.Add ?? [];
            for (var i = 0; i < added.Count; i++)
            {
                if (!AllowedCapabilities.Contains(added[i]))
                {
                    errors.Forbidden($"{contextPath}.capabilities.add[{i}]", Violation + $"non-default capabilities (container \"{container.Name}\" must not include \"{added[i]}\")");
                }
            }
            ValidateAppArmorType(errors, context.AppArmorProfile?.Type, $"{contextPath}.appArmorProfile.type");
            ValidateSeLinux(errors, context.SeLinuxOptions, $"{contextPath}.seLinuxOptions");
            ValidateSeccompType(errors, context.SeccompProfile?.Type, $"{contextPath}.seccompProfile.type");
            if (context.ProcMount is not (null or "Default"))
            {
                errors.Forbidden($"{contextPath}.procMount", Violation + $"procMount (container \"{container.Name}\" must not set procMount={context.ProcMount})");
            }
        }
    }

    private static void ForbidTrue(FieldErrors errors, bool? value, string path, string check)
    {
        if (value == true)
        {
            errors.Forbidden(path, Violation + check);
        }
    }

    private static void ValidateAppArmorType(FieldErrors errors, string? type, string path)
    {
        if (type is not (null or "RuntimeDefault" or "Localhost"))
        {
            errors.Forbidden(path, Violation + $"forbidden AppArmor profile ({type})");
        }
    }

    private static void ValidateSeccompType(FieldErrors errors, string? type, string path)
    {
        if (type == "Unconfined")
        {
            errors.Forbidden(path, Violation + "seccompProfile (type must not be Unconfined)");
        }
    }

    private static void ValidateSeLinux(FieldErrors errors, V1SELinuxOptions? options, string path)
    {
        if (options is null)
        {
            return;
        }
        if (!string.IsNullOrEmpty(options.Type) && !SeLinuxTypes.Contains(options.Type))
        {
            errors.Forbidden($"{path}.type", Violation + $"seLinuxOptions (type \"{options.Type}\" is not allowed)");
        }
        if (!string.IsNullOrEmpty(options.User))
        {
            errors.Forbidden($"{path}.user", Violation + "seLinuxOptions (user may not be set)");
        }
        if (!string.IsNullOrEmpty(options.Role))
        {
            errors.Forbidden($"{path}.role", Violation + "seLinuxOptions (role may not be set)");
        }
    }
}
