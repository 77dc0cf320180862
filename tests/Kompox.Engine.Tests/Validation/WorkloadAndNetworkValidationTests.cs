using k8s.Models;
using Xunit;
using static Kompox.Tests.Validation.ValidationAssert;

namespace Kompox.Tests.Validation;

public class DeploymentValidationTests
{
    [Fact]
    public void Replicas_may_not_be_negative()
    {
        var app = new BaselineApp();
        app.Deployment.Spec.Replicas = -1;
        Rejected(app, "Deployment", "spec.replicas", "must be greater than or equal to 0");
    }

    [Fact]
    public void Selector_is_required()
    {
        var app = new BaselineApp();
        app.Deployment.Spec.Selector = null;
        Rejected(app, "Deployment", "spec.selector", "Required value");
    }

    [Fact]
    public void Empty_selector_is_rejected()
    {
        var app = new BaselineApp();
        app.Deployment.Spec.Selector = new V1LabelSelector();
        Rejected(app, "Deployment", "spec.selector", "empty selector is invalid for deployment");
    }

    [Fact]
    public void Selector_must_match_template_labels()
    {
        var app = new BaselineApp();
        app.Deployment.Spec.Template.Metadata.Labels["app.kubernetes.io/name"] = "other-app";
        Rejected(app, "Deployment", "spec.template.metadata.labels", "`selector` does not match template `labels`");
    }

    [Fact]
    public void Selector_expression_is_matched_against_template_labels()
    {
        var app = new BaselineApp();
        app.Deployment.Spec.Selector.MatchExpressions =
        [
            new V1LabelSelectorRequirement { Key = "tier", OperatorProperty = "In", Values = ["web"] },
        ];
        Rejected(app, "Deployment", "spec.template.metadata.labels", "`selector` does not match template `labels`");
    }

    [Fact]
    public void Strategy_type_must_be_recreate_or_rolling_update()
    {
        var app = new BaselineApp();
        app.Deployment.Spec.Strategy.Type = "BlueGreen";
        Rejected(app, "Deployment", "spec.strategy.type", "Unsupported value: \"BlueGreen\"");
    }

    [Fact]
    public void Recreate_strategy_may_not_carry_rolling_update_settings()
    {
        var app = new BaselineApp();
        app.Deployment.Spec.Strategy.RollingUpdate = new V1RollingUpdateDeployment { MaxSurge = 1 };
        Rejected(app, "Deployment", "spec.strategy.rollingUpdate", "may not be specified when strategy `type` is 'Recreate'");
    }

    [Fact]
    public void Rolling_update_may_not_have_zero_surge_and_zero_unavailable()
    {
        var app = new BaselineApp();
        app.Deployment.Spec.Strategy = new V1DeploymentStrategy
        {
            Type = "RollingUpdate",
            RollingUpdate = new V1RollingUpdateDeployment { MaxSurge = 0, MaxUnavailable = "0%" },
        };
        Rejected(app, "Deployment", "spec.strategy.rollingUpdate.maxUnavailable", "may not be 0 when `maxSurge` is 0");
    }
}

public class ServiceValidationTests
{
    [Fact]
    public void Ports_are_required()
    {
        var app = new BaselineApp();
        app.Service.Spec.Ports.Clear();
        Rejected(app, "Service", "spec.ports", "Required value");
    }

    [Fact]
    public void Headless_service_may_have_no_ports()
    {
        var app = new BaselineApp();
        app.Service.Spec.Ports.Clear();
        app.Service.Spec.ClusterIP = "None";
        Accepted(app);
    }

    [Fact]
    public void Port_must_be_in_range()
    {
        var app = new BaselineApp();
        app.Service.Spec.Ports[0].Port = 0;
        Rejected(app, "Service", "spec.ports[0].port", "must be between 1 and 65535, inclusive");
    }

    [Fact]
    public void Numeric_target_port_must_be_in_range()
    {
        var app = new BaselineApp();
        app.Service.Spec.Ports[0].TargetPort = 65536;
        Rejected(app, "Service", "spec.ports[0].targetPort", "must be between 1 and 65535, inclusive");
    }

    [Fact]
    public void Zero_target_port_means_the_same_as_port()
    {
        var app = new BaselineApp();
        app.Service.Spec.Ports[0].TargetPort = 0;
        Accepted(app);
    }

    [Fact]
    public void Named_target_port_must_be_an_iana_name()
    {
        var app = new BaselineApp();
        app.Service.Spec.Ports[0].TargetPort = "web_http";
        Rejected(app, "Service", "spec.ports[0].targetPort", "must contain only alpha-numeric characters");
    }

    [Fact]
    public void Named_target_port_is_allowed()
    {
        var app = new BaselineApp();
        app.Service.Spec.Ports[0].TargetPort = "http";
        Accepted(app);
    }

    [Fact]
    public void Port_names_are_required_when_there_are_several_ports()
    {
        var app = new BaselineApp();
        app.Service.Spec.Ports.Add(new V1ServicePort { Port = 8443, TargetPort = 443 });
        Rejected(app, "Service", "spec.ports[1].name", "Required value");
    }

    [Fact]
    public void Port_names_are_unique()
    {
        var app = new BaselineApp();
        app.Service.Spec.Ports.Add(new V1ServicePort { Name = "http", Port = 8443, TargetPort = 443 });
        Rejected(app, "Service", "spec.ports[1].name", "Duplicate value: \"http\"");
    }

    [Fact]
    public void Port_protocol_must_be_supported()
    {
        var app = new BaselineApp();
        app.Service.Spec.Ports[0].Protocol = "tcp";
        Rejected(app, "Service", "spec.ports[0].protocol", "Unsupported value: \"tcp\"");
    }

    [Fact]
    public void Selector_labels_are_validated()
    {
        var app = new BaselineApp();
        app.Service.Spec.Selector["app.kubernetes.io/name"] = "my app";
        Rejected(app, "Service", "spec.selector", "a valid label must be an empty string");
    }

    [Fact]
    public void Service_type_must_be_supported()
    {
        var app = new BaselineApp();
        app.Service.Spec.Type = "Internal";
        Rejected(app, "Service", "spec.type", "Unsupported value: \"Internal\"");
    }
}

public class IngressValidationTests
{
    private const string Path0 = "spec.rules[0].http.paths[0]";

    [Fact]
    public void Host_must_be_a_lowercase_dns_name()
    {
        var app = new BaselineApp();
        app.Ingress.Spec.Rules[0].Host = "My-App.example.com";
        Rejected(app, "Ingress", "spec.rules[0].host", "RFC 1123 subdomain");
    }

    [Fact]
    public void Host_may_not_be_an_ip_address()
    {
        var app = new BaselineApp();
        app.Ingress.Spec.Rules[0].Host = "10.0.0.1";
        Rejected(app, "Ingress", "spec.rules[0].host", "must be a DNS name, not an IP address");
    }

    [Fact]
    public void Wildcard_host_is_allowed_as_the_first_label()
    {
        var app = new BaselineApp();
        app.Ingress.Spec.Rules[0].Host = "*.my-aks.ops.kompox.dev";
        app.Ingress.Spec.Tls[0].Hosts[0] = "*.my-aks.ops.kompox.dev";
        Accepted(app);
    }

    [Fact]
    public void Wildcard_elsewhere_in_the_host_is_rejected()
    {
        var app = new BaselineApp();
        app.Ingress.Spec.Rules[0].Host = "my-app.*.kompox.dev";
        Rejected(app, "Ingress", "spec.rules[0].host", "a wildcard DNS-1123 subdomain must start with '*.'");
    }

    [Fact]
    public void Prefix_path_must_start_with_a_slash()
    {
        var app = new BaselineApp();
        app.Ingress.Spec.Rules[0].Http.Paths[0].Path = "api";
        Rejected(app, "Ingress", $"{Path0}.path", "must be an absolute path");
    }

    [Fact]
    public void Path_may_not_contain_dot_segments()
    {
        var app = new BaselineApp();
        app.Ingress.Spec.Rules[0].Http.Paths[0].Path = "/api/../admin";
        Rejected(app, "Ingress", $"{Path0}.path", "must not contain '/../'");
    }

    [Fact]
    public void Path_type_is_required()
    {
        var app = new BaselineApp();
        app.Ingress.Spec.Rules[0].Http.Paths[0].PathType = null;
        Rejected(app, "Ingress", $"{Path0}.pathType", "pathType must be specified");
    }

    [Fact]
    public void Path_type_must_be_supported()
    {
        var app = new BaselineApp();
        app.Ingress.Spec.Rules[0].Http.Paths[0].PathType = "Regex";
        Rejected(app, "Ingress", $"{Path0}.pathType", "Unsupported value: \"Regex\"");
    }

    [Fact]
    public void Backend_may_not_set_both_service_and_resource()
    {
        var app = new BaselineApp();
        app.Ingress.Spec.Rules[0].Http.Paths[0].Backend.Resource = new V1TypedLocalObjectReference { Kind = "Bucket", Name = "static" };
        Rejected(app, "Ingress", $"{Path0}.backend", "cannot set both resource and service backends");
    }

    [Fact]
    public void Backend_needs_service_or_resource()
    {
        var app = new BaselineApp();
        app.Ingress.Spec.Rules[0].Http.Paths[0].Backend.Service = null;
        Rejected(app, "Ingress", $"{Path0}.backend", "one of `resource` or `service` must be specified");
    }

    [Fact]
    public void Backend_port_may_not_have_both_name_and_number()
    {
        var app = new BaselineApp();
        app.Ingress.Spec.Rules[0].Http.Paths[0].Backend.Service.Port.Name = "http";
        Rejected(app, "Ingress", $"{Path0}.backend.service.port", "cannot set both port name & port number");
    }

    [Fact]
    public void Backend_port_needs_name_or_number()
    {
        var app = new BaselineApp();
        app.Ingress.Spec.Rules[0].Http.Paths[0].Backend.Service.Port.Number = null;
        Rejected(app, "Ingress", $"{Path0}.backend.service.port", "port name or number is required");
    }

    [Fact]
    public void Backend_service_name_must_be_a_dns_1035_label()
    {
        var app = new BaselineApp();
        app.Ingress.Spec.Rules[0].Http.Paths[0].Backend.Service.Name = "8080-web";
        Rejected(app, "Ingress", $"{Path0}.backend.service.name", "DNS-1035 label");
    }

    [Fact]
    public void Tls_hosts_must_be_dns_names()
    {
        var app = new BaselineApp();
        app.Ingress.Spec.Tls[0].Hosts[0] = "my_app.example.com";
        Rejected(app, "Ingress", "spec.tls[0].hosts[0]", "RFC 1123 subdomain");
    }

    [Fact]
    public void Ingress_class_name_must_be_a_dns_subdomain()
    {
        var app = new BaselineApp();
        app.Ingress.Spec.IngressClassName = "Traefik";
        Rejected(app, "Ingress", "spec.ingressClassName", "RFC 1123 subdomain");
    }

    [Fact]
    public void Ingress_needs_rules_or_a_default_backend()
    {
        var app = new BaselineApp();
        app.Ingress.Spec.Rules = null;
        Rejected(app, "Ingress", "spec", "either `defaultBackend` or `rules` must be specified");
    }
}
