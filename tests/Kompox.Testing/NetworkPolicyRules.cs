using k8s.Models;

namespace Kompox.Testing;

/// <summary>apis/networking/validation ValidateNetworkPolicy.</summary>
internal static class NetworkPolicyRules
{
    private static readonly string[] Protocols = ["TCP", "UDP", "SCTP"];
    private static readonly string[] PolicyTypes = ["Ingress", "Egress"];

    public static void Validate(FieldErrors errors, V1NetworkPolicy policy)
    {
        var spec = policy.Spec;
        if (spec is null)
        {
            errors.Required("spec");
            return;
        }
        // An absent podSelector means "all pods" to the apiserver; the published schema lists it as required,
        // and a generator that leaves it out has most likely forgotten it, so it is demanded explicitly.
        if (spec.PodSelector is null)
        {
            errors.Required("spec.podSelector");
        }
        MetadataRules.ValidateLabelSelector(errors, spec.PodSelector, "spec.podSelector");

        var ingress = spec.Ingress ?? [];
        for (var i = 0; i < ingress.Count; i++)
        {
            ValidatePorts(errors, ingress[i].Ports, $"spec.ingress[{i}].ports");
            ValidatePeers(errors, ingress[i].FromProperty, $"spec.ingress[{i}].from");
        }
        var egress = spec.Egress ?? [];
        for (var i = 0; i < egress.Count; i++)
        {
            ValidatePorts(errors, egress[i].Ports, $"spec.egress[{i}].ports");
            ValidatePeers(errors, egress[i].To, $"spec.egress[{i}].to");
        }

        var policyTypes = spec.PolicyTypes ?? [];
        for (var i = 0; i < policyTypes.Count; i++)
        {
            if (!PolicyTypes.Contains(policyTypes[i]))
            {
                errors.NotSupported($"spec.policyTypes[{i}]", policyTypes[i], PolicyTypes);
            }
        }
        if (policyTypes.Count > PolicyTypes.Length)
        {
            errors.Invalid("spec.policyTypes", string.Join(",", policyTypes), "may not specify more than two policyTypes");
        }
    }

    private static void ValidatePorts(FieldErrors errors, IList<V1NetworkPolicyPort>? ports, string path)
    {
        if (ports is null)
        {
            return;
        }
        for (var i = 0; i < ports.Count; i++)
        {
            var port = ports[i];
            var portPath = $"{path}[{i}]";
            if (!string.IsNullOrEmpty(port.Protocol) && !Protocols.Contains(port.Protocol))
            {
                errors.NotSupported($"{portPath}.protocol", port.Protocol, Protocols);
            }
            var portText = port.Port?.Value;
            int? portNumber = null;
            if (!string.IsNullOrEmpty(portText))
            {
                PodRules.ValidatePortNumberOrName(errors, port.Port, $"{portPath}.port");
                if (int.TryParse(portText, out var number))
                {
                    portNumber = number;
                }
            }
            if (port.EndPort is not { } endPort)
            {
                continue;
            }
            if (string.IsNullOrEmpty(portText))
            {
                errors.Required($"{portPath}.port", "must be specified when endPort is specified");
            }
            else if (portNumber is null)
            {
                errors.Invalid($"{portPath}.endPort", endPort, "may not be specified when `port` is non-numeric");
            }
            else if (endPort < portNumber)
            {
                errors.Invalid($"{portPath}.endPort", endPort, "must be greater than or equal to `port`");
            }
            errors.InvalidEach($"{portPath}.endPort", endPort, NameRules.PortNumber(endPort));
        }
    }

    private static void ValidatePeers(FieldErrors errors, IList<V1NetworkPolicyPeer>? peers, string path)
    {
        if (peers is null)
        {
            return;
        }
        for (var i = 0; i < peers.Count; i++)
        {
            var peer = peers[i];
            var peerPath = $"{path}[{i}]";
            var selectorCount = (peer.PodSelector is null ? 0 : 1) + (peer.NamespaceSelector is null ? 0 : 1);
            if (selectorCount == 0 && peer.IpBlock is null)
            {
                errors.Required(peerPath, "must specify a peer");
            }
            else if (peer.IpBlock is not null && selectorCount > 0)
            {
                errors.Forbidden(peerPath, "may not specify both ipBlock and another peer");
            }
            MetadataRules.ValidateLabelSelector(errors, peer.PodSelector, $"{peerPath}.podSelector");
            MetadataRules.ValidateLabelSelector(errors, peer.NamespaceSelector, $"{peerPath}.namespaceSelector");
            if (peer.IpBlock is { } ipBlock)
            {
                ValidateIpBlock(errors, ipBlock, $"{peerPath}.ipBlock");
            }
        }
    }

    private static void ValidateIpBlock(FieldErrors errors, V1IPBlock block, string path)
    {
        if (string.IsNullOrEmpty(block.Cidr))
        {
            errors.Required($"{path}.cidr");
            return;
        }
        var cidrProblems = NameRules.Cidr(block.Cidr);
        errors.InvalidEach($"{path}.cidr", block.Cidr, cidrProblems);
        if (cidrProblems.Count > 0 || block.Except is null)
        {
            return;
        }
        NameRules.TryParseCidr(block.Cidr, out var network);
        for (var i = 0; i < block.Except.Count; i++)
        {
            var except = block.Except[i];
            var exceptProblems = NameRules.Cidr(except);
            errors.InvalidEach($"{path}.except[{i}]", except, exceptProblems);
            if (exceptProblems.Count > 0)
            {
                continue;
            }
            NameRules.TryParseCidr(except, out var exceptNetwork);
            if (!network.Contains(exceptNetwork.BaseAddress) || exceptNetwork.PrefixLength <= network.PrefixLength)
            {
                errors.Invalid($"{path}.except[{i}]", except, "must be a strict subset of `cidr`");
            }
        }
    }
}
