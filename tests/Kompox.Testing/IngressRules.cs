using k8s.Models;

namespace Kompox.Testing;

/// <summary>apis/networking/validation ValidateIngress for networking.k8s.io/v1.</summary>
internal static class IngressRules
{
    private static readonly string[] PathTypes = ["Exact", "Prefix", "ImplementationSpecific"];
    private static readonly string[] InvalidPathSequences = ["//", "/./", "/../", "%2f", "%2F"];
    private static readonly string[] InvalidPathSuffixes = ["/..", "/."];

    public static void Validate(FieldErrors errors, V1Ingress ingress)
    {
        var spec = ingress.Spec;
        if (spec is null)
        {
            errors.Required("spec");
            return;
        }
        var rules = spec.Rules ?? [];
        if (spec.DefaultBackend is null && rules.Count == 0)
        {
            errors.Invalid("spec", "", "either `defaultBackend` or `rules` must be specified");
        }
        if (spec.DefaultBackend is not null)
        {
            ValidateBackend(errors, spec.DefaultBackend, "spec.defaultBackend");
        }
        for (var i = 0; i < rules.Count; i++)
        {
            ValidateRule(errors, rules[i], $"spec.rules[{i}]");
        }
        ValidateTls(errors, spec.Tls);
        if (!string.IsNullOrEmpty(spec.IngressClassName))
        {
            errors.InvalidEach("spec.ingressClassName", spec.IngressClassName, NameRules.Dns1123Subdomain(spec.IngressClassName));
        }
    }

    private static void ValidateRule(FieldErrors errors, V1IngressRule rule, string path)
    {
        if (!string.IsNullOrEmpty(rule.Host))
        {
            ValidateHost(errors, rule.Host, $"{path}.host");
        }
        if (rule.Http is null)
        {
            return;
        }
        var paths = rule.Http.Paths ?? [];
        if (paths.Count == 0)
        {
            errors.Required($"{path}.http.paths");
        }
        for (var i = 0; i < paths.Count; i++)
        {
            ValidatePath(errors, paths[i], $"{path}.http.paths[{i}]");
        }
    }

    /// <summary>Ingress and TLS hosts: DNS names (a leading "*." wildcard allowed), never IP addresses.</summary>
    private static void ValidateHost(FieldErrors errors, string host, string path)
    {
        if (NameRules.IsStrictIpAddress(host))
        {
            errors.Invalid(path, host, "must be a DNS name, not an IP address");
        }
        var problems = host.Contains('*', StringComparison.Ordinal)
            ? NameRules.WildcardDns1123Subdomain(host)
            : NameRules.Dns1123Subdomain(host);
        errors.InvalidEach(path, host, problems);
    }

    private static void ValidatePath(FieldErrors errors, V1HTTPIngressPath ingressPath, string path)
    {
        var value = ingressPath.Path ?? "";
        if (string.IsNullOrEmpty(ingressPath.PathType))
        {
            errors.Required($"{path}.pathType", "pathType must be specified");
        }
        else if (!PathTypes.Contains(ingressPath.PathType))
        {
            errors.NotSupported($"{path}.pathType", ingressPath.PathType, PathTypes);
        }
        else if (ingressPath.PathType is "Exact" or "Prefix")
        {
            if (!value.StartsWith('/'))
            {
                errors.Invalid($"{path}.path", value, "must be an absolute path");
            }
            foreach (var sequence in InvalidPathSequences.Where(sequence => value.Contains(sequence, StringComparison.Ordinal)))
            {
                errors.Invalid($"{path}.path", value, $"must not contain '{sequence}'");
            }
            foreach (var suffix in InvalidPathSuffixes.Where(suffix => value.EndsWith(suffix, StringComparison.Ordinal)))
            {
                errors.Invalid($"{path}.path", value, $"cannot end with '{suffix}'");
            }
        }
        else if (value.Length > 0 && !value.StartsWith('/'))
        {
            errors.Invalid($"{path}.path", value, "must be an absolute path");
        }
        if (ingressPath.Backend is null)
        {
            errors.Required($"{path}.backend");
        }
        else
        {
            ValidateBackend(errors, ingressPath.Backend, $"{path}.backend");
        }
    }

    private static void ValidateBackend(FieldErrors errors, V1IngressBackend backend, string path)
    {
        if (backend.Service is not null && backend.Resource is not null)
        {
            errors.Invalid(path, "", "cannot set both resource and service backends");
            return;
        }
        if (backend.Resource is { } resource)
        {
            if (string.IsNullOrEmpty(resource.Kind))
            {
                errors.Required($"{path}.resource.kind");
            }
            if (string.IsNullOrEmpty(resource.Name))
            {
                errors.Required($"{path}.resource.name");
            }
            return;
        }
        if (backend.Service is not { } service)
        {
            errors.Required(path, "one of `resource` or `service` must be specified");
            return;
        }
        if (string.IsNullOrEmpty(service.Name))
        {
            errors.Required($"{path}.service.name");
        }
        else
        {
            errors.InvalidEach($"{path}.service.name", service.Name, NameRules.Dns1035Label(service.Name));
        }
        var port = service.Port;
        var hasName = !string.IsNullOrEmpty(port?.Name);
        var hasNumber = port?.Number is not null and not 0;
        if (hasName && hasNumber)
        {
            errors.Invalid($"{path}.service.port", "", "cannot set both port name & port number");
        }
        else if (hasName)
        {
            errors.InvalidEach($"{path}.service.port.name", port!.Name, NameRules.IanaServiceName(port.Name));
        }
        else if (hasNumber)
        {
            errors.InvalidEach($"{path}.service.port.number", port!.Number!.Value, NameRules.PortNumber(port.Number.Value));
        }
        else
        {
            errors.Required($"{path}.service.port", "port name or number is required");
        }
    }

    private static void ValidateTls(FieldErrors errors, IList<V1IngressTLS>? tls)
    {
        if (tls is null)
        {
            return;
        }
        for (var i = 0; i < tls.Count; i++)
        {
            var entry = tls[i];
            var hosts = entry.Hosts ?? [];
            for (var h = 0; h < hosts.Count; h++)
            {
                var host = hosts[h] ?? "";
                var problems = host.Split('.')[0] == "*"
                    ? NameRules.WildcardDns1123Subdomain(host)
                    : NameRules.Dns1123Subdomain(host);
                errors.InvalidEach($"spec.tls[{i}].hosts[{h}]", host, problems);
            }
            if (!string.IsNullOrEmpty(entry.SecretName))
            {
                errors.InvalidEach($"spec.tls[{i}].secretName", entry.SecretName, NameRules.Dns1123Subdomain(entry.SecretName));
            }
        }
    }
}
