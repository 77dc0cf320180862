using k8s.Models;
using Xunit;
using static Kompox.Tests.Validation.ValidationAssert;

namespace Kompox.Tests.Validation;

public class NetworkPolicyValidationTests
{
    [Fact]
    public void Pod_selector_is_required()
    {
        var app = new BaselineApp();
        app.NetworkPolicy.Spec.PodSelector = null;
        Rejected(app, "NetworkPolicy", "spec.podSelector", "Required value");
    }

    [Fact]
    public void Peer_needs_a_selector_or_ip_block()
    {
        var app = new BaselineApp();
        app.NetworkPolicy.Spec.Ingress[0].FromProperty.Add(new V1NetworkPolicyPeer());
        Rejected(app, "NetworkPolicy", "spec.ingress[0].from[2]", "must specify a peer");
    }

    [Fact]
    public void Peer_may_not_mix_ip_block_and_selectors()
    {
        var app = new BaselineApp();
        app.NetworkPolicy.Spec.Ingress[0].FromProperty[0].IpBlock = new V1IPBlock { Cidr = "10.0.0.0/8" };
        Rejected(app, "NetworkPolicy", "spec.ingress[0].from[0]", "may not specify both ipBlock and another peer");
    }

    [Fact]
    public void Ip_block_cidr_must_be_valid()
    {
        var app = new BaselineApp();
        app.NetworkPolicy.Spec.Ingress[0].FromProperty.Add(new V1NetworkPolicyPeer { IpBlock = new V1IPBlock { Cidr = "10.0.0.0" } });
        Rejected(app, "NetworkPolicy", "spec.ingress[0].from[2].ipBlock.cidr", "must be a valid CIDR value");
    }

    [Fact]
    public void Ip_block_except_must_lie_inside_the_cidr()
    {
        var app = new BaselineApp();
        app.NetworkPolicy.Spec.Ingress[0].FromProperty.Add(new V1NetworkPolicyPeer
        {
            IpBlock = new V1IPBlock { Cidr = "10.1.2.3/16", Except = ["10.1.128.0/17", "10.2.0.0/24"] },
        });
        Rejected(app, "NetworkPolicy", "spec.ingress[0].from[2].ipBlock.except[1]", "must be a strict subset of `cidr`");
    }

    [Fact]
    public void Port_must_be_in_range()
    {
        var app = new BaselineApp();
        app.NetworkPolicy.Spec.Ingress[0].Ports[0].Port = 0;
        Rejected(app, "NetworkPolicy", "spec.ingress[0].ports[0].port", "must be between 1 and 65535, inclusive");
    }

    [Fact]
    public void Port_protocol_must_be_supported()
    {
        var app = new BaselineApp();
        app.NetworkPolicy.Spec.Ingress[0].Ports[0].Protocol = "ICMP";
        Rejected(app, "NetworkPolicy", "spec.ingress[0].ports[0].protocol", "Unsupported value: \"ICMP\"");
    }

    [Fact]
    public void End_port_may_not_be_below_port()
    {
        var app = new BaselineApp();
        app.NetworkPolicy.Spec.Ingress[0].Ports[0].EndPort = 79;
        Rejected(app, "NetworkPolicy", "spec.ingress[0].ports[0].endPort", "must be greater than or equal to `port`");
    }

    [Fact]
    public void Policy_type_must_be_supported()
    {
        var app = new BaselineApp();
        app.NetworkPolicy.Spec.PolicyTypes[0] = "ingress";
        Rejected(app, "NetworkPolicy", "spec.policyTypes[0]", "Unsupported value: \"ingress\"");
    }
}

public class ResourceQuotaValidationTests
{
    [Fact]
    public void Hard_quantity_may_not_be_negative()
    {
        var app = new BaselineApp();
        app.ResourceQuota.Spec.Hard["limits.cpu"] = new ResourceQuantity("-2");
        Rejected(app, "ResourceQuota", "spec.hard[limits.cpu]", "must be greater than or equal to 0");
    }

    [Fact]
    public void Hard_resource_must_be_a_quota_resource()
    {
        var app = new BaselineApp();
        app.ResourceQuota.Spec.Hard["gpus"] = new ResourceQuantity("1");
        Rejected(app, "ResourceQuota", "spec.hard[gpus]", "must be a standard resource for quota");
    }

    [Fact]
    public void Object_counts_must_be_whole_numbers()
    {
        var app = new BaselineApp();
        app.ResourceQuota.Spec.Hard["pods"] = new ResourceQuantity("1500m");
        Rejected(app, "ResourceQuota", "spec.hard[pods]", "must be an integer");
    }

    [Fact]
    public void Qualified_extended_resources_are_allowed()
    {
        var app = new BaselineApp();
        app.ResourceQuota.Spec.Hard["count/deployments.apps"] = new ResourceQuantity("1");
        app.ResourceQuota.Spec.Hard["requests.nvidia.com/gpu"] = new ResourceQuantity("0");
        Accepted(app);
    }
}

public class RbacValidationTests
{
    [Fact]
    public void Role_rule_needs_verbs()
    {
        var app = new BaselineApp();
        app.Role.Rules[1].Verbs.Clear();
        Rejected(app, "Role", "rules[1].verbs", "verbs must contain at least one value");
    }

    [Fact]
    public void Role_rule_needs_resources()
    {
        var app = new BaselineApp();
        app.Role.Rules[0].Resources = null;
        Rejected(app, "Role", "rules[0].resources", "resource rules must supply at least one resource");
    }

    [Fact]
    public void Namespaced_role_may_not_grant_non_resource_urls()
    {
        var app = new BaselineApp();
        app.Role.Rules.Add(new V1PolicyRule { NonResourceURLs = ["/healthz"], Verbs = ["get"] });
        Rejected(app, "Role", "rules[2].nonResourceURLs", "namespaced rules cannot apply to non-resource URLs");
    }

    [Fact]
    public void Role_ref_kind_must_be_role_or_cluster_role()
    {
        var app = new BaselineApp();
        app.RoleBinding.RoleRef.Kind = "ServiceAccount";
        Rejected(app, "RoleBinding", "roleRef.kind", "supported values: \"Role\", \"ClusterRole\"");
    }

    [Fact]
    public void Role_ref_api_group_must_be_rbac()
    {
        var app = new BaselineApp();
        app.RoleBinding.RoleRef.ApiGroup = "";
        Rejected(app, "RoleBinding", "roleRef.apiGroup", "supported values: \"rbac.authorization.k8s.io\"");
    }

    [Fact]
    public void Subject_needs_a_name()
    {
        var app = new BaselineApp();
        app.RoleBinding.Subjects[0].Name = null;
        Rejected(app, "RoleBinding", "subjects[0].name", "Required value");
    }

    [Fact]
    public void Subject_kind_must_be_supported()
    {
        var app = new BaselineApp();
        app.RoleBinding.Subjects[0].Kind = "Pod";
        Rejected(app, "RoleBinding", "subjects[0].kind", "Unsupported value: \"Pod\"");
    }

    [Fact]
    public void User_subject_needs_the_rbac_api_group()
    {
        var app = new BaselineApp();
        app.RoleBinding.Subjects.Add(new Rbacv1Subject { Kind = "User", Name = "alice@example.com" });
        Rejected(app, "RoleBinding", "subjects[1].apiGroup", "supported values: \"rbac.authorization.k8s.io\"");
    }

    [Fact]
    public void Role_name_may_not_contain_a_slash()
    {
        var app = new BaselineApp();
        app.Role.Metadata.Name = "my-app/user";
        Rejected(app, "Role", "metadata.name", "may not contain '/'");
    }
}
