using k8s.Models;

namespace Kompox.Testing;

/// <summary>apis/core/validation ValidateService (the parts a ClusterIP/LoadBalancer/ExternalName service uses).</summary>
internal static class ServiceRules
{
    private static readonly string[] ServiceTypes = ["ClusterIP", "NodePort", "LoadBalancer", "ExternalName"];
    private static readonly string[] Protocols = ["TCP", "UDP", "SCTP"];
    private static readonly string[] SessionAffinities = ["None", "ClientIP"];
    private static readonly string[] TrafficPolicies = ["Cluster", "Local"];

    public static void Validate(FieldErrors errors, V1Service service)
    {
        var spec = service.Spec;
        if (spec is null)
        {
            errors.Required("spec");
            return;
        }
        // Type is defaulted to ClusterIP by the apiserver before validation.
        var type = string.IsNullOrEmpty(spec.Type) ? "ClusterIP" : spec.Type;
        if (!ServiceTypes.Contains(type))
        {
            errors.NotSupported("spec.type", type, ServiceTypes);
        }
        var isHeadless = spec.ClusterIP == "None";
        var ports = spec.Ports ?? [];
        if (ports.Count == 0 && !isHeadless && type != "ExternalName")
        {
            errors.Required("spec.ports");
        }
        if (type == "ExternalName")
        {
            if (string.IsNullOrEmpty(spec.ExternalName))
            {
                errors.Required("spec.externalName");
            }
            else
            {
                errors.InvalidEach("spec.externalName", spec.ExternalName, NameRules.Dns1123Subdomain(spec.ExternalName.TrimEnd('.')));
            }
        }
        if (!string.IsNullOrEmpty(spec.ClusterIP) && !isHeadless)
        {
            errors.InvalidEach("spec.clusterIP", spec.ClusterIP, NameRules.IpAddress(spec.ClusterIP));
        }

        ValidatePorts(errors, ports, type);
        MetadataRules.ValidateLabels(errors, spec.Selector, "spec.selector");

        if (!string.IsNullOrEmpty(spec.SessionAffinity) && !SessionAffinities.Contains(spec.SessionAffinity))
        {
            errors.NotSupported("spec.sessionAffinity", spec.SessionAffinity, SessionAffinities);
        }
        if (!string.IsNullOrEmpty(spec.ExternalTrafficPolicy))
        {
            if (type is not ("NodePort" or "LoadBalancer"))
            {
                errors.Invalid("spec.externalTrafficPolicy", spec.ExternalTrafficPolicy, "may only be set for externally-accessible services");
            }
            else if (!TrafficPolicies.Contains(spec.ExternalTrafficPolicy))
            {
                errors.NotSupported("spec.externalTrafficPolicy", spec.ExternalTrafficPolicy, TrafficPolicies);
            }
        }
        if (!string.IsNullOrEmpty(spec.InternalTrafficPolicy) && !TrafficPolicies.Contains(spec.InternalTrafficPolicy))
        {
            errors.NotSupported("spec.internalTrafficPolicy", spec.InternalTrafficPolicy, TrafficPolicies);
        }
    }

    private static void ValidatePorts(FieldErrors errors, IList<V1ServicePort> ports, string type)
    {
        var requireName = ports.Count > 1;
        var names = new HashSet<string>(StringComparer.Ordinal);
        var portKeys = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < ports.Count; i++)
        {
            var port = ports[i];
            var portPath = $"spec.ports[{i}]";
            if (string.IsNullOrEmpty(port.Name))
            {
                if (requireName)
                {
                    errors.Required($"{portPath}.name");
                }
            }
            else
            {
                errors.InvalidEach($"{portPath}.name", port.Name, NameRules.Dns1123Label(port.Name));
                if (!names.Add(port.Name))
                {
                    errors.Duplicate($"{portPath}.name", port.Name);
                }
            }
            errors.InvalidEach($"{portPath}.port", port.Port, NameRules.PortNumber(port.Port));

            var protocol = string.IsNullOrEmpty(port.Protocol) ? "TCP" : port.Protocol;
            if (!Protocols.Contains(protocol))
            {
                errors.NotSupported($"{portPath}.protocol", protocol, Protocols);
            }
            if (!portKeys.Add($"{port.Port}/{protocol}"))
            {
                errors.Duplicate(portPath, $"{port.Port}/{protocol}");
            }

            // An unset or zero targetPort is defaulted to port by the apiserver before validation.
            if (port.TargetPort?.Value is { Length: > 0 } targetPort && targetPort != "0")
            {
                PodRules.ValidatePortNumberOrName(errors, port.TargetPort, $"{portPath}.targetPort");
            }
            if (port.NodePort is { } nodePort and not 0)
            {
                if (type is not ("NodePort" or "LoadBalancer"))
                {
                    errors.Forbidden($"{portPath}.nodePort", $"may not be used when `type` is '{type}'");
                }
                errors.InvalidEach($"{portPath}.nodePort", nodePort, NameRules.PortNumber(nodePort));
            }
            if (!string.IsNullOrEmpty(port.AppProtocol))
            {
                errors.InvalidEach($"{portPath}.appProtocol", port.AppProtocol, NameRules.QualifiedName(port.AppProtocol));
            }
        }
    }
}
