using System.Reflection;
using System.Text.Json.Serialization;
using k8s.Models;

namespace Kompox.Testing;

/// <summary>Pod template validation (apis/core/validation ValidatePodSpec and the container checks).</summary>
internal static class PodRules
{
    private static readonly string[] Protocols = ["TCP", "UDP", "SCTP"];
    private static readonly string[] PullPolicies = ["Always", "IfNotPresent", "Never"];
    private static readonly string[] DnsPolicies = ["ClusterFirstWithHostNet", "ClusterFirst", "Default", "None"];
    private static readonly string[] TerminationMessagePolicies = ["File", "FallbackToLogsOnError"];
    private static readonly string[] HttpSchemes = ["HTTP", "HTTPS"];
    private static readonly string[] ResourceFieldRefResources =
    [
        "limits.cpu", "limits.memory", "limits.ephemeral-storage",
        "requests.cpu", "requests.memory", "requests.ephemeral-storage",
    ];
    private static readonly string[] FieldRefPaths =
    [
        "metadata.name", "metadata.namespace", "metadata.uid", "spec.nodeName", "spec.serviceAccountName",
        "status.hostIP", "status.hostIPs", "status.podIP", "status.podIPs",
    ];

    private const int MaxFileMode = 0x1FF; // 0777 octal

    private static readonly IReadOnlyList<PropertyInfo> VolumeSourceProperties = VolumeSourcesOf(typeof(V1Volume));

    /// <summary>Validates a pod template whose pods may only restart with the given policies (Deployment: Always).</summary>
    public static void ValidatePodTemplate(FieldErrors errors, V1PodTemplateSpec? template, string path, IReadOnlyList<string> allowedRestartPolicies)
    {
        if (template is null)
        {
            errors.Required(path);
            return;
        }
        MetadataRules.ValidateTemplateMeta(errors, template.Metadata, $"{path}.metadata");
        var spec = template.Spec;
        var specPath = $"{path}.spec";
        if (spec is null)
        {
            errors.Required(specPath);
            return;
        }

        // RestartPolicy is defaulted to Always by the apiserver before validation.
        var restartPolicy = string.IsNullOrEmpty(spec.RestartPolicy) ? "Always" : spec.RestartPolicy;
        if (!allowedRestartPolicies.Contains(restartPolicy))
        {
            errors.NotSupported($"{specPath}.restartPolicy", restartPolicy, allowedRestartPolicies);
        }
        ValidatePodSpec(errors, spec, specPath);
        PodSecurityRules.ValidateBaseline(errors, template, path);
    }

    /// <summary>A Pod written directly: its spec as a template's, with every restart policy allowed (Pod Security is admission's, not validation's).</summary>
    public static void ValidatePod(FieldErrors errors, V1Pod pod)
    {
        if (pod.Spec is null)
        {
            errors.Required("spec");
            return;
        }
        string[] allowed = ["Always", "OnFailure", "Never"];
        var restartPolicy = string.IsNullOrEmpty(pod.Spec.RestartPolicy) ? "Always" : pod.Spec.RestartPolicy;
        if (!allowed.Contains(restartPolicy))
        {
            errors.NotSupported("spec.restartPolicy", restartPolicy, allowed);
        }
        ValidatePodSpec(errors, pod.Spec, "spec");
    }

    private static void ValidatePodSpec(FieldErrors errors, V1PodSpec spec, string path)
    {
        var volumeNames = ValidateVolumes(errors, spec.Volumes, $"{path}.volumes");

        if (spec.Containers is null || spec.Containers.Count == 0)
        {
            errors.Required($"{path}.containers");
        }

        var containerNames = new HashSet<string>(StringComparer.Ordinal);
        var hostPorts = new HashSet<string>(StringComparer.Ordinal);
        ValidateContainerList(errors, spec.InitContainers, $"{path}.initContainers", isInit: true, volumeNames, containerNames, hostPorts);
        ValidateContainerList(errors, spec.Containers, $"{path}.containers", isInit: false, volumeNames, containerNames, hostPorts);

        if (!string.IsNullOrEmpty(spec.DnsPolicy) && !DnsPolicies.Contains(spec.DnsPolicy))
        {
            errors.NotSupported($"{path}.dnsPolicy", spec.DnsPolicy, DnsPolicies);
        }
        if (!string.IsNullOrEmpty(spec.ServiceAccountName))
        {
            errors.InvalidEach($"{path}.serviceAccountName", spec.ServiceAccountName, NameRules.Dns1123Subdomain(spec.ServiceAccountName));
        }
        if (spec.TerminationGracePeriodSeconds is < 0)
        {
            errors.Invalid($"{path}.terminationGracePeriodSeconds", spec.TerminationGracePeriodSeconds.Value, "must be greater than or equal to 0");
        }
        // pkg/apis/core/validation/validation.go ValidatePodSpec: "if len(spec.Hostname) > 0 { ValidateDNS1123Label(spec.Hostname, ...) }".
        if (!string.IsNullOrEmpty(spec.Hostname))
        {
            errors.InvalidEach($"{path}.hostname", spec.Hostname, NameRules.Dns1123Label(spec.Hostname));
        }
        // ValidatePodSpec: "if spec.RuntimeClassName != nil { ValidateRuntimeClassName(...) }", a DNS-1123 subdomain.
        if (spec.RuntimeClassName is not null)
        {
            errors.InvalidEach($"{path}.runtimeClassName", spec.RuntimeClassName, NameRules.Dns1123Subdomain(spec.RuntimeClassName));
        }
        MetadataRules.ValidateLabels(errors, spec.NodeSelector, $"{path}.nodeSelector");
        ValidateImagePullSecrets(errors, spec.ImagePullSecrets, $"{path}.imagePullSecrets");
        ValidateHostAliases(errors, spec.HostAliases, $"{path}.hostAliases");
        ValidatePodSecurityContext(errors, spec.SecurityContext, $"{path}.securityContext");
    }

    private static HashSet<string> ValidateVolumes(FieldErrors errors, IList<V1Volume>? volumes, string path)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        if (volumes is null)
        {
            return names;
        }
        for (var i = 0; i < volumes.Count; i++)
        {
            var volume = volumes[i];
            var volumePath = $"{path}[{i}]";
            if (string.IsNullOrEmpty(volume.Name))
            {
                errors.Required($"{volumePath}.name");
            }
            else
            {
                errors.InvalidEach($"{volumePath}.name", volume.Name, NameRules.Dns1123Label(volume.Name));
                if (!names.Add(volume.Name))
                {
                    errors.Duplicate($"{volumePath}.name", volume.Name);
                }
            }
            ValidateVolumeSource(errors, volume, volumePath);
        }
        return names;
    }

    private static void ValidateVolumeSource(FieldErrors errors, V1Volume volume, string path)
    {
        var sources = VolumeSourceProperties.Where(property => property.GetValue(volume) is not null).ToList();
        if (sources.Count == 0)
        {
            errors.Required(path, "must specify a volume type");
            return;
        }
        foreach (var extra in sources.Skip(1))
        {
            errors.Forbidden($"{path}.{JsonName(extra)}", "may not specify more than 1 volume type");
        }
        if (sources.Count > 1)
        {
            return;
        }

        if (volume.ConfigMap is { } configMap)
        {
            var sourcePath = $"{path}.configMap";
            if (string.IsNullOrEmpty(configMap.Name))
            {
                errors.Required($"{sourcePath}.name");
            }
            else
            {
                errors.InvalidEach($"{sourcePath}.name", configMap.Name, NameRules.Dns1123Subdomain(configMap.Name));
            }
            ValidateFileMode(errors, configMap.DefaultMode, $"{sourcePath}.defaultMode");
            ValidateKeyToPaths(errors, configMap.Items, $"{sourcePath}.items");
        }
        else if (volume.Secret is { } secret)
        {
            var sourcePath = $"{path}.secret";
            if (string.IsNullOrEmpty(secret.SecretName))
            {
                errors.Required($"{sourcePath}.secretName");
            }
            else
            {
                errors.InvalidEach($"{sourcePath}.secretName", secret.SecretName, NameRules.Dns1123Subdomain(secret.SecretName));
            }
            ValidateFileMode(errors, secret.DefaultMode, $"{sourcePath}.defaultMode");
            ValidateKeyToPaths(errors, secret.Items, $"{sourcePath}.items");
        }
        else if (volume.PersistentVolumeClaim is { } claim)
        {
            if (string.IsNullOrEmpty(claim.ClaimName))
            {
                errors.Required($"{path}.persistentVolumeClaim.claimName");
            }
            else
            {
                errors.InvalidEach($"{path}.persistentVolumeClaim.claimName", claim.ClaimName, NameRules.Dns1123Subdomain(claim.ClaimName));
            }
        }
        else if (volume.EmptyDir is { } emptyDir)
        {
            if (!string.IsNullOrEmpty(emptyDir.Medium) && emptyDir.Medium is not ("Memory" or "HugePages") && !emptyDir.Medium.StartsWith("HugePages-", StringComparison.Ordinal))
            {
                errors.NotSupported($"{path}.emptyDir.medium", emptyDir.Medium, ["", "Memory", "HugePages"]);
            }
            if (emptyDir.SizeLimit is not null)
            {
                var sizeLimit = ResourceRules.ValidateQuantity(errors, emptyDir.SizeLimit, $"{path}.emptyDir.sizeLimit");
                if (sizeLimit is { Sign: 0 })
                {
                    errors.Invalid($"{path}.emptyDir.sizeLimit", emptyDir.SizeLimit.ToString(), "must be greater than zero");
                }
            }
        }
        else if (volume.HostPath is { } hostPath)
        {
            ValidateHostPath(errors, hostPath, $"{path}.hostPath");
        }
        else if (volume.Projected is { } projected)
        {
            ValidateFileMode(errors, projected.DefaultMode, $"{path}.projected.defaultMode");
            if (projected.Sources is null || projected.Sources.Count == 0)
            {
                // An empty projection mounts nothing; the apiserver accepts it but it is never what a generator meant.
                errors.Required($"{path}.projected.sources");
                return;
            }
            for (var i = 0; i < projected.Sources.Count; i++)
            {
                var source = projected.Sources[i];
                var sourcePath = $"{path}.projected.sources[{i}]";
                ValidateKeyToPaths(errors, source.ConfigMap?.Items, $"{sourcePath}.configMap.items");
                ValidateKeyToPaths(errors, source.Secret?.Items, $"{sourcePath}.secret.items");
                ValidateDownwardApiModes(errors, source.DownwardAPI?.Items, $"{sourcePath}.downwardAPI.items");
            }
        }
        else if (volume.DownwardAPI is { } downwardApi)
        {
            ValidateFileMode(errors, downwardApi.DefaultMode, $"{path}.downwardAPI.defaultMode");
            ValidateDownwardApiModes(errors, downwardApi.Items, $"{path}.downwardAPI.items");
        }
    }

    public static void ValidateHostPath(FieldErrors errors, V1HostPathVolumeSource hostPath, string path)
    {
        if (string.IsNullOrEmpty(hostPath.Path))
        {
            errors.Required($"{path}.path");
            return;
        }
        if (HasBacksteps(hostPath.Path))
        {
            errors.Invalid($"{path}.path", hostPath.Path, "must not contain '..'");
        }
        string[] types = ["", "DirectoryOrCreate", "Directory", "FileOrCreate", "File", "Socket", "CharDevice", "BlockDevice"];
        if (hostPath.Type is not null && !types.Contains(hostPath.Type))
        {
            errors.NotSupported($"{path}.type", hostPath.Type, types);
        }
    }

    private static void ValidateKeyToPaths(FieldErrors errors, IList<V1KeyToPath>? items, string path)
    {
        if (items is null)
        {
            return;
        }
        for (var i = 0; i < items.Count; i++)
        {
            var item = items[i];
            var itemPath = $"{path}[{i}]";
            if (string.IsNullOrEmpty(item.Key))
            {
                errors.Required($"{itemPath}.key");
            }
            ValidateRelativePath(errors, item.Path, $"{itemPath}.path", required: true);
            ValidateFileMode(errors, item.Mode, $"{itemPath}.mode");
        }
    }

    private static void ValidateDownwardApiModes(FieldErrors errors, IList<V1DownwardAPIVolumeFile>? items, string path)
    {
        for (var i = 0; i < (items?.Count ?? 0); i++)
        {
            ValidateFileMode(errors, items![i].Mode, $"{path}[{i}].mode");
        }
    }

    private static void ValidateFileMode(FieldErrors errors, int? mode, string path)
    {
        if (mode is < 0 or > MaxFileMode)
        {
            errors.Invalid(path, mode.Value, "must be a number between 0 and 0777 (octal), both inclusive");
        }
    }

    /// <summary>Paths inside a volume (subPath, items[].path): relative and never climbing out with "..".</summary>
    private static void ValidateRelativePath(FieldErrors errors, string? value, string path, bool required)
    {
        if (string.IsNullOrEmpty(value))
        {
            if (required)
            {
                errors.Required(path);
            }
            return;
        }
        if (value.StartsWith('/'))
        {
            errors.Invalid(path, value, "must be a relative path");
        }
        if (HasBacksteps(value))
        {
            errors.Invalid(path, value, "must not contain '..'");
        }
    }

    private static bool HasBacksteps(string value) =>
        value.Replace('\\', '/').Split('/').Any(part => part == "..");

    private static void ValidateContainerList(
        FieldErrors errors,
        IList<V1Container>? containers,
        string path,
        bool isInit,
        HashSet<string> volumeNames,
        HashSet<string> containerNames,
        HashSet<string> hostPorts)
    {
        if (containers is null)
        {
            return;
        }
        for (var i = 0; i < containers.Count; i++)
        {
            var container = containers[i];
            var containerPath = $"{path}[{i}]";
            if (container is null)
            {
                errors.Required(containerPath);
                continue;
            }
            if (string.IsNullOrEmpty(container.Name))
            {
                errors.Required($"{containerPath}.name");
            }
            else
            {
                errors.InvalidEach($"{containerPath}.name", container.Name, NameRules.Dns1123Label(container.Name));
                if (!containerNames.Add(container.Name))
                {
                    errors.Duplicate($"{containerPath}.name", container.Name);
                }
            }
            ValidateContainer(errors, container, containerPath, isInit, volumeNames, hostPorts);
        }
    }

    private static void ValidateContainer(FieldErrors errors, V1Container container, string path, bool isInit, HashSet<string> volumeNames, HashSet<string> hostPorts)
    {
        if (string.IsNullOrEmpty(container.Image))
        {
            errors.Required($"{path}.image");
        }
        else if (container.Image.Trim() != container.Image)
        {
            errors.Invalid($"{path}.image", container.Image, "must not have leading or trailing whitespace");
        }
        if (!string.IsNullOrEmpty(container.ImagePullPolicy) && !PullPolicies.Contains(container.ImagePullPolicy))
        {
            errors.NotSupported($"{path}.imagePullPolicy", container.ImagePullPolicy, PullPolicies);
        }
        if (!string.IsNullOrEmpty(container.TerminationMessagePolicy) && !TerminationMessagePolicies.Contains(container.TerminationMessagePolicy))
        {
            errors.NotSupported($"{path}.terminationMessagePolicy", container.TerminationMessagePolicy, TerminationMessagePolicies);
        }

        var isSidecar = false;
        if (container.RestartPolicy is not null)
        {
            if (!isInit)
            {
                errors.Forbidden($"{path}.restartPolicy", "may not be set for non-init containers");
            }
            else if (container.RestartPolicy != "Always")
            {
                errors.NotSupported($"{path}.restartPolicy", container.RestartPolicy, ["Always"]);
            }
            else
            {
                isSidecar = true;
            }
        }

        ValidatePorts(errors, container.Ports, $"{path}.ports", hostPorts);
        ValidateEnv(errors, container.Env, $"{path}.env");
        ValidateEnvFrom(errors, container.EnvFrom, $"{path}.envFrom");
        ValidateVolumeMounts(errors, container.VolumeMounts, $"{path}.volumeMounts", volumeNames);

        if (isInit && !isSidecar)
        {
            // Plain init containers run to completion, so the kubelet has nothing to probe.
            ForbidProbe(errors, container.LivenessProbe, $"{path}.livenessProbe");
            ForbidProbe(errors, container.ReadinessProbe, $"{path}.readinessProbe");
            ForbidProbe(errors, container.StartupProbe, $"{path}.startupProbe");

            // validateInitContainers: "if ctr.Lifecycle != nil" for a container without restartPolicy Always, Forbidden.
            if (container.Lifecycle is not null)
            {
                errors.Forbidden($"{path}.lifecycle", "may not be set for init containers without restartPolicy=Always");
            }
        }
        else
        {
            ValidateLifecycle(errors, container.Lifecycle, $"{path}.lifecycle");
            ValidateProbe(errors, container.LivenessProbe, $"{path}.livenessProbe", successMustBeOne: true, isReadiness: false);
            ValidateProbe(errors, container.ReadinessProbe, $"{path}.readinessProbe", successMustBeOne: false, isReadiness: true);
            ValidateProbe(errors, container.StartupProbe, $"{path}.startupProbe", successMustBeOne: true, isReadiness: false);
        }

        ResourceRules.ValidateContainerResources(errors, container.Resources, $"{path}.resources");
        ValidateSecurityContext(errors, container.SecurityContext, $"{path}.securityContext");
    }

    // pkg/apis/core/validation/validation.go validateLifecycle: postStart and preStop each go through validateHandler, which
    // wants exactly one handler type ("must specify a handler type", "may not specify more than 1 handler type");
    // validateExecAction requires a command ("if len(exec.Command) == 0 { Required(fldPath.Child("command"), "") }").
    private static void ValidateLifecycle(FieldErrors errors, V1Lifecycle? lifecycle, string path)
    {
        if (lifecycle is null)
        {
            return;
        }

        foreach (var (handler, name) in new[] { (lifecycle.PostStart, "postStart"), (lifecycle.PreStop, "preStop") })
        {
            if (handler is null)
            {
                continue;
            }

            var handlerPath = $"{path}.{name}";
            var types = new (object? Value, string Name)[] { (handler.Exec, "exec"), (handler.HttpGet, "httpGet"), (handler.TcpSocket, "tcpSocket"), (handler.Sleep, "sleep") }
                .Where(t => t.Value is not null).ToList();
            if (types.Count == 0)
            {
                errors.Required(handlerPath, "must specify a handler type");
                continue;
            }

            foreach (var extra in types.Skip(1))
            {
                errors.Forbidden($"{handlerPath}.{extra.Name}", "may not specify more than 1 handler type");
            }

            if (types[0].Name == "exec" && (handler.Exec.Command is null || handler.Exec.Command.Count == 0))
            {
                errors.Required($"{handlerPath}.exec.command");
            }
        }
    }

    private static void ForbidProbe(FieldErrors errors, V1Probe? probe, string path)
    {
        if (probe is not null)
        {
            errors.Forbidden(path, "may not be set for init containers without restartPolicy=Always");
        }
    }

    private static void ValidatePorts(FieldErrors errors, IList<V1ContainerPort>? ports, string path, HashSet<string> hostPorts)
    {
        if (ports is null)
        {
            return;
        }
        var portNames = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < ports.Count; i++)
        {
            var port = ports[i];
            var portPath = $"{path}[{i}]";
            if (!string.IsNullOrEmpty(port.Name))
            {
                errors.InvalidEach($"{portPath}.name", port.Name, NameRules.IanaServiceName(port.Name));
                if (!portNames.Add(port.Name))
                {
                    errors.Duplicate($"{portPath}.name", port.Name);
                }
            }
            if (port.ContainerPort == 0)
            {
                errors.Required($"{portPath}.containerPort");
            }
            else
            {
                errors.InvalidEach($"{portPath}.containerPort", port.ContainerPort, NameRules.PortNumber(port.ContainerPort));
            }
            // Protocol is defaulted to TCP by the apiserver before validation.
            var protocol = string.IsNullOrEmpty(port.Protocol) ? "TCP" : port.Protocol;
            if (!Protocols.Contains(protocol))
            {
                errors.NotSupported($"{portPath}.protocol", protocol, Protocols);
            }
            if (port.HostPort is { } hostPort and not 0)
            {
                errors.InvalidEach($"{portPath}.hostPort", hostPort, NameRules.PortNumber(hostPort));
                var hostPortKey = $"{port.HostIP}/{hostPort}/{protocol}";
                if (!hostPorts.Add(hostPortKey))
                {
                    errors.Duplicate($"{portPath}.hostPort", $"{hostPort}/{protocol}");
                }
            }
            if (!string.IsNullOrEmpty(port.HostIP))
            {
                errors.InvalidEach($"{portPath}.hostIP", port.HostIP, NameRules.IpAddress(port.HostIP));
            }
        }
    }

    private static void ValidateEnv(FieldErrors errors, IList<V1EnvVar>? env, string path)
    {
        if (env is null)
        {
            return;
        }
        for (var i = 0; i < env.Count; i++)
        {
            var variable = env[i];
            var variablePath = $"{path}[{i}]";
            if (string.IsNullOrEmpty(variable.Name))
            {
                errors.Required($"{variablePath}.name");
            }
            else
            {
                errors.InvalidEach($"{variablePath}.name", variable.Name, NameRules.EnvVarName(variable.Name));
            }
            if (variable.ValueFrom is not null)
            {
                ValidateEnvVarSource(errors, variable, $"{variablePath}.valueFrom");
            }
        }
    }

    private static void ValidateEnvVarSource(FieldErrors errors, V1EnvVar variable, string path)
    {
        var source = variable.ValueFrom;
        var present = new List<string>();
        if (source.FieldRef is not null) present.Add("fieldRef");
        if (source.ResourceFieldRef is not null) present.Add("resourceFieldRef");
        if (source.ConfigMapKeyRef is not null) present.Add("configMapKeyRef");
        if (source.SecretKeyRef is not null) present.Add("secretKeyRef");
        if (source.FileKeyRef is not null) present.Add("fileKeyRef");

        if (present.Count == 0)
        {
            errors.Invalid(path, "", "must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`");
        }
        else if (present.Count > 1)
        {
            errors.Invalid(path, "", "may not have more than one field specified at a time");
        }
        if (!string.IsNullOrEmpty(variable.Value))
        {
            errors.Invalid(path, "", "may not be specified when `value` is not empty");
        }
        if (present.Count != 1)
        {
            return;
        }

        if (source.ConfigMapKeyRef is { } configMapKey)
        {
            ValidateKeySelector(errors, configMapKey.Name, configMapKey.Key, $"{path}.configMapKeyRef");
        }
        else if (source.SecretKeyRef is { } secretKey)
        {
            ValidateKeySelector(errors, secretKey.Name, secretKey.Key, $"{path}.secretKeyRef");
        }
        else if (source.FieldRef is { } fieldRef)
        {
            ValidateFieldRef(errors, fieldRef, $"{path}.fieldRef");
        }
        else if (source.ResourceFieldRef is { } resourceFieldRef)
        {
            if (string.IsNullOrEmpty(resourceFieldRef.Resource))
            {
                errors.Required($"{path}.resourceFieldRef.resource");
            }
            else if (!ResourceFieldRefResources.Contains(resourceFieldRef.Resource))
            {
                errors.NotSupported($"{path}.resourceFieldRef.resource", resourceFieldRef.Resource, ResourceFieldRefResources);
            }
        }
    }

    private static void ValidateKeySelector(FieldErrors errors, string? name, string? key, string path)
    {
        if (string.IsNullOrEmpty(name))
        {
            errors.Required($"{path}.name");
        }
        else
        {
            errors.InvalidEach($"{path}.name", name, NameRules.Dns1123Subdomain(name));
        }
        if (string.IsNullOrEmpty(key))
        {
            errors.Required($"{path}.key");
        }
        else
        {
            errors.InvalidEach($"{path}.key", key, NameRules.ConfigMapKey(key));
        }
    }

    private static void ValidateFieldRef(FieldErrors errors, V1ObjectFieldSelector fieldRef, string path)
    {
        if (string.IsNullOrEmpty(fieldRef.FieldPath))
        {
            errors.Required($"{path}.fieldPath");
            return;
        }
        var fieldPath = fieldRef.FieldPath;
        var isSubscript = (fieldPath.StartsWith("metadata.labels['", StringComparison.Ordinal)
                           || fieldPath.StartsWith("metadata.annotations['", StringComparison.Ordinal))
                          && fieldPath.EndsWith("']", StringComparison.Ordinal);
        if (!isSubscript && !FieldRefPaths.Contains(fieldPath))
        {
            errors.NotSupported($"{path}.fieldPath", fieldPath, FieldRefPaths.Concat(["metadata.labels['<KEY>']", "metadata.annotations['<KEY>']"]));
        }
    }

    private static void ValidateEnvFrom(FieldErrors errors, IList<V1EnvFromSource>? envFrom, string path)
    {
        if (envFrom is null)
        {
            return;
        }
        for (var i = 0; i < envFrom.Count; i++)
        {
            var source = envFrom[i];
            var sourcePath = $"{path}[{i}]";
            if (!string.IsNullOrEmpty(source.Prefix))
            {
                errors.InvalidEach($"{sourcePath}.prefix", source.Prefix, NameRules.EnvVarName(source.Prefix));
            }
            var count = (source.ConfigMapRef is null ? 0 : 1) + (source.SecretRef is null ? 0 : 1);
            if (count == 0)
            {
                errors.Invalid(sourcePath, "", "must specify one of: `configMapRef` or `secretRef`");
            }
            else if (count > 1)
            {
                errors.Invalid(sourcePath, "", "may not have more than one field specified at a time");
            }
            if (source.ConfigMapRef is { } configMapRef)
            {
                ValidateReferencedName(errors, configMapRef.Name, $"{sourcePath}.configMapRef.name");
            }
            if (source.SecretRef is { } secretRef)
            {
                ValidateReferencedName(errors, secretRef.Name, $"{sourcePath}.secretRef.name");
            }
        }
    }

    private static void ValidateReferencedName(FieldErrors errors, string? name, string path)
    {
        if (string.IsNullOrEmpty(name))
        {
            errors.Required(path);
        }
        else
        {
            errors.InvalidEach(path, name, NameRules.Dns1123Subdomain(name));
        }
    }

    private static void ValidateVolumeMounts(FieldErrors errors, IList<V1VolumeMount>? mounts, string path, HashSet<string> volumeNames)
    {
        if (mounts is null)
        {
            return;
        }
        var mountPaths = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < mounts.Count; i++)
        {
            var mount = mounts[i];
            var mountPath = $"{path}[{i}]";
            if (string.IsNullOrEmpty(mount.Name))
            {
                errors.Required($"{mountPath}.name");
            }
            else if (!volumeNames.Contains(mount.Name))
            {
                errors.NotFound($"{mountPath}.name", mount.Name);
            }
            if (string.IsNullOrEmpty(mount.MountPath))
            {
                errors.Required($"{mountPath}.mountPath");
            }
            else
            {
                if (!mountPaths.Add(mount.MountPath))
                {
                    errors.Invalid($"{mountPath}.mountPath", mount.MountPath, "must be unique");
                }
                // The apiserver leaves this to the runtime, which refuses to start a Linux container with a relative mount target.
                if (!mount.MountPath.StartsWith('/'))
                {
                    errors.Invalid($"{mountPath}.mountPath", mount.MountPath, "must be an absolute path");
                }
            }
            ValidateRelativePath(errors, mount.SubPath, $"{mountPath}.subPath", required: false);
            if (!string.IsNullOrEmpty(mount.SubPath) && !string.IsNullOrEmpty(mount.SubPathExpr))
            {
                errors.Invalid($"{mountPath}.subPathExpr", mount.SubPathExpr, "subPathExpr and subPath are mutually exclusive");
            }
            ValidateRelativePath(errors, mount.SubPathExpr, $"{mountPath}.subPathExpr", required: false);
        }
    }

    private static void ValidateProbe(FieldErrors errors, V1Probe? probe, string path, bool successMustBeOne, bool isReadiness)
    {
        if (probe is null)
        {
            return;
        }
        ValidateProbeHandler(errors, probe, path);

        // Zero and unset are both replaced by the defaults (1, 10, 1, 3) before validation; negatives are rejected.
        ValidateNonNegative(errors, probe.InitialDelaySeconds, $"{path}.initialDelaySeconds");
        ValidateNonNegative(errors, probe.TimeoutSeconds, $"{path}.timeoutSeconds");
        ValidateNonNegative(errors, probe.PeriodSeconds, $"{path}.periodSeconds");
        ValidateNonNegative(errors, probe.SuccessThreshold, $"{path}.successThreshold");
        ValidateNonNegative(errors, probe.FailureThreshold, $"{path}.failureThreshold");

        var successThreshold = probe.SuccessThreshold is null or 0 ? 1 : probe.SuccessThreshold.Value;
        if (successMustBeOne && successThreshold != 1)
        {
            errors.Invalid($"{path}.successThreshold", successThreshold, "must be 1");
        }
        if (probe.TerminationGracePeriodSeconds is { } grace)
        {
            if (isReadiness)
            {
                errors.Invalid($"{path}.terminationGracePeriodSeconds", grace, "must not be set for readinessProbes");
            }
            else if (grace <= 0)
            {
                errors.Invalid($"{path}.terminationGracePeriodSeconds", grace, "must be greater than 0");
            }
        }
    }

    private static void ValidateProbeHandler(FieldErrors errors, V1Probe probe, string path)
    {
        var handlers = new List<string>();
        if (probe.Exec is not null) handlers.Add("exec");
        if (probe.HttpGet is not null) handlers.Add("httpGet");
        if (probe.TcpSocket is not null) handlers.Add("tcpSocket");
        if (probe.Grpc is not null) handlers.Add("grpc");

        if (handlers.Count == 0)
        {
            errors.Required(path, "must specify a handler type");
            return;
        }
        foreach (var extra in handlers.Skip(1))
        {
            errors.Forbidden($"{path}.{extra}", "may not specify more than 1 handler type");
        }
        if (probe.Exec is { } exec && (exec.Command is null || exec.Command.Count == 0))
        {
            errors.Required($"{path}.exec.command");
        }
        if (probe.HttpGet is { } httpGet)
        {
            ValidatePortNumberOrName(errors, httpGet.Port, $"{path}.httpGet.port");
            if (!string.IsNullOrEmpty(httpGet.Scheme) && !HttpSchemes.Contains(httpGet.Scheme))
            {
                errors.NotSupported($"{path}.httpGet.scheme", httpGet.Scheme, HttpSchemes);
            }
        }
        if (probe.TcpSocket is { } tcpSocket)
        {
            ValidatePortNumberOrName(errors, tcpSocket.Port, $"{path}.tcpSocket.port");
        }
        if (probe.Grpc is { } grpc)
        {
            errors.InvalidEach($"{path}.grpc.port", grpc.Port, NameRules.PortNumber(grpc.Port));
        }
    }

    /// <summary>An IntOrString port: a number 1-65535 or an IANA service name.</summary>
    public static void ValidatePortNumberOrName(FieldErrors errors, IntOrString? port, string path)
    {
        if (port?.Value is not { Length: > 0 } text)
        {
            errors.Required(path);
            return;
        }
        if (int.TryParse(text, System.Globalization.NumberStyles.AllowLeadingSign, System.Globalization.CultureInfo.InvariantCulture, out var number))
        {
            errors.InvalidEach(path, number, NameRules.PortNumber(number));
        }
        else
        {
            errors.InvalidEach(path, text, NameRules.IanaServiceName(text));
        }
    }

    private static void ValidateNonNegative(FieldErrors errors, long? value, string path)
    {
        if (value is < 0)
        {
            errors.Invalid(path, value.Value, "must be greater than or equal to 0");
        }
    }

    private static void ValidateImagePullSecrets(FieldErrors errors, IList<V1LocalObjectReference>? references, string path)
    {
        if (references is null)
        {
            return;
        }
        for (var i = 0; i < references.Count; i++)
        {
            ValidateReferencedName(errors, references[i].Name, $"{path}[{i}].name");
        }
    }

    private static void ValidateHostAliases(FieldErrors errors, IList<V1HostAlias>? aliases, string path)
    {
        if (aliases is null)
        {
            return;
        }
        for (var i = 0; i < aliases.Count; i++)
        {
            var alias = aliases[i];
            var aliasPath = $"{path}[{i}]";
            if (string.IsNullOrEmpty(alias.Ip))
            {
                errors.Required($"{aliasPath}.ip");
            }
            else
            {
                errors.InvalidEach($"{aliasPath}.ip", alias.Ip, NameRules.IpAddress(alias.Ip));
            }
            if (alias.Hostnames is null)
            {
                continue;
            }
            for (var h = 0; h < alias.Hostnames.Count; h++)
            {
                var hostname = alias.Hostnames[h] ?? "";
                errors.InvalidEach($"{aliasPath}.hostnames[{h}]", hostname, NameRules.Dns1123Subdomain(hostname));
            }
        }
    }

    private static void ValidatePodSecurityContext(FieldErrors errors, V1PodSecurityContext? context, string path)
    {
        if (context is null)
        {
            return;
        }
        ValidateId(errors, context.RunAsUser, $"{path}.runAsUser");
        ValidateId(errors, context.RunAsGroup, $"{path}.runAsGroup");
        ValidateId(errors, context.FsGroup, $"{path}.fsGroup");
        if (context.SupplementalGroups is not null)
        {
            for (var i = 0; i < context.SupplementalGroups.Count; i++)
            {
                ValidateId(errors, context.SupplementalGroups[i], $"{path}.supplementalGroups[{i}]");
            }
        }
    }

    private static void ValidateSecurityContext(FieldErrors errors, V1SecurityContext? context, string path)
    {
        if (context is null)
        {
            return;
        }
        ValidateId(errors, context.RunAsUser, $"{path}.runAsUser");
        ValidateId(errors, context.RunAsGroup, $"{path}.runAsGroup");
        if (context.Privileged == true && context.AllowPrivilegeEscalation == false)
        {
            errors.Invalid(path, "", "cannot set `allowPrivilegeEscalation` to false and `privileged` to true");
        }
    }

    private static void ValidateId(FieldErrors errors, long? id, string path)
    {
        if (id is < 0 or > int.MaxValue)
        {
            errors.Invalid(path, id.Value, "must be between 0 and 2147483647, inclusive");
        }
    }

    /// <summary>The source properties of a volume-like type, found by their type (every source type ends in "VolumeSource").</summary>
    public static IReadOnlyList<PropertyInfo> VolumeSourcesOf(Type type) =>
        type.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(property => property.PropertyType.Name.EndsWith("VolumeSource", StringComparison.Ordinal))
            .OrderBy(property => JsonName(property), StringComparer.Ordinal)
            .ToList();

    public static string JsonName(PropertyInfo property) =>
        property.GetCustomAttribute<JsonPropertyNameAttribute>()?.Name ?? property.Name;
}
