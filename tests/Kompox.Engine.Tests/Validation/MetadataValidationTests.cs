using k8s.Models;
using Kompox.Testing;
using Xunit;
using static Kompox.Tests.Validation.ValidationAssert;

namespace Kompox.Tests.Validation;

public class MetadataValidationTests
{
    [Fact]
    public void Baseline_app_is_valid()
    {
        Accepted(new BaselineApp());
    }

    [Fact]
    public void AssertValid_lists_every_error_in_its_exception()
    {
        var app = new BaselineApp();
        app.Service.Metadata.Name = "8080-web";
        app.ConfigMap.Data["bad key"] = "x";

        var exception = Assert.Throws<ManifestValidationException>(() => ManifestValidator.AssertValid(app.Objects));

        Assert.Equal(2, exception.Errors.Count);
        Assert.Contains("Service/8080-web metadata.name: Invalid value: \"8080-web\"", exception.Message, StringComparison.Ordinal);
        Assert.Contains("ConfigMap/my-app-config data[bad key]", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AssertValid_accepts_the_baseline()
    {
        ManifestValidator.AssertValid(new BaselineApp().Objects);
    }

    [Fact]
    public void Missing_apiVersion_is_required()
    {
        var app = new BaselineApp();
        app.Deployment.ApiVersion = null;
        Rejected(app, "Deployment", "apiVersion", "Required value");
    }

    [Fact]
    public void ApiVersion_must_match_the_model_type()
    {
        var app = new BaselineApp();
        app.Deployment.ApiVersion = "extensions/v1beta1";
        Rejected(app, "Deployment", "apiVersion", "supported values: \"apps/v1\"");
    }

    [Fact]
    public void Kind_must_match_the_model_type()
    {
        var app = new BaselineApp();
        app.Ingress.Kind = "Route";
        Rejected(app, "Route", "kind", "supported values: \"Ingress\"");
    }

    [Fact]
    public void Missing_kind_is_required()
    {
        var app = new BaselineApp();
        app.ConfigMap.Kind = null;
        Rejected(app, "ConfigMap", "kind", "Required value");
    }

    [Fact]
    public void Metadata_name_is_required()
    {
        var app = new BaselineApp();
        app.ServiceAccount.Metadata.Name = null;
        Rejected(app, "ServiceAccount", "metadata.name", "name or generateName is required");
    }

    [Fact]
    public void Namespace_name_must_be_a_dns_label_not_a_subdomain()
    {
        var app = new BaselineApp();
        app.Namespace.Metadata.Name = "k4x.my-app";
        Rejected(app, "Namespace", "metadata.name", "RFC 1123 label");
    }

    [Fact]
    public void Namespace_name_longer_than_63_is_rejected()
    {
        var app = new BaselineApp();
        app.Namespace.Metadata.Name = new string('a', 64);
        Rejected(app, "Namespace", "metadata.name", "must be no more than 63 characters");
    }

    [Fact]
    public void Service_name_must_start_with_a_letter()
    {
        var app = new BaselineApp();
        app.Service.Metadata.Name = "8080-web";
        Rejected(app, "Service", "metadata.name", "DNS-1035 label");
    }

    [Fact]
    public void Subdomain_names_may_contain_dots_but_not_upper_case()
    {
        var app = new BaselineApp();
        app.ConfigMap.Metadata.Name = "my-app.Config";
        Rejected(app, "ConfigMap", "metadata.name", "RFC 1123 subdomain");
    }

    [Fact]
    public void Subdomain_names_longer_than_253_are_rejected()
    {
        var app = new BaselineApp();
        app.Secret.Metadata.Name = string.Join(".", Enumerable.Repeat(new string('s', 50), 6));
        Rejected(app, "Secret", "metadata.name", "must be no more than 253 characters");
    }

    [Fact]
    public void Namespaced_kinds_need_a_namespace()
    {
        var app = new BaselineApp();
        app.PersistentVolumeClaim.Metadata.NamespaceProperty = null;
        Rejected(app, "PersistentVolumeClaim", "metadata.namespace", "Required value");
    }

    [Fact]
    public void Cluster_scoped_persistent_volume_may_not_have_a_namespace()
    {
        var app = new BaselineApp();
        app.PersistentVolume.Metadata.NamespaceProperty = BaselineApp.NamespaceName;
        Rejected(app, "PersistentVolume", "metadata.namespace", "not allowed on this type");
    }

    [Fact]
    public void Namespace_object_may_not_have_a_namespace()
    {
        var app = new BaselineApp();
        app.Namespace.Metadata.NamespaceProperty = "default";
        Rejected(app, "Namespace", "metadata.namespace", "not allowed on this type");
    }

    [Fact]
    public void Label_key_prefix_must_be_a_dns_subdomain()
    {
        var app = new BaselineApp();
        app.Role.Metadata.Labels["Kompox_Dev/app"] = "x";
        Rejected(app, "Role", "metadata.labels", "prefix part a lowercase RFC 1123 subdomain");
    }

    [Fact]
    public void Label_key_with_two_slashes_is_rejected()
    {
        var app = new BaselineApp();
        app.Role.Metadata.Labels["a/b/c"] = "x";
        Rejected(app, "Role", "metadata.labels", "a qualified name must consist of");
    }

    [Fact]
    public void Label_key_name_part_longer_than_63_is_rejected()
    {
        var app = new BaselineApp();
        app.Role.Metadata.Labels["kompox.dev/" + new string('n', 64)] = "x";
        Rejected(app, "Role", "metadata.labels", "name part must be no more than 63 characters");
    }

    [Fact]
    public void Label_value_must_end_alphanumeric()
    {
        var app = new BaselineApp();
        app.Service.Metadata.Labels["app.kubernetes.io/name"] = "my-app-";
        Rejected(app, "Service", "metadata.labels", "a valid label must be an empty string or consist of");
    }

    [Fact]
    public void Label_value_longer_than_63_is_rejected()
    {
        var app = new BaselineApp();
        app.Service.Metadata.Labels["app.kubernetes.io/name"] = new string('v', 64);
        Rejected(app, "Service", "metadata.labels", "must be no more than 63 characters");
    }

    [Fact]
    public void Empty_label_value_is_allowed()
    {
        var app = new BaselineApp();
        app.Service.Metadata.Labels["kompox.dev/marker"] = "";
        Accepted(app);
    }

    [Fact]
    public void Annotation_key_must_be_a_qualified_name()
    {
        var app = new BaselineApp();
        app.Namespace.Metadata.Annotations["kompox.dev/disk current"] = "x";
        Rejected(app, "Namespace", "metadata.annotations", "name part must consist of");
    }

    [Fact]
    public void Annotations_may_not_exceed_256_KiB_in_total()
    {
        var app = new BaselineApp();
        app.Namespace.Metadata.Annotations["kompox.dev/big"] = new string('x', 256 * 1024);
        Rejected(app, "Namespace", "metadata.annotations", "Too long: may not be more than 262144 bytes");
    }

    [Fact]
    public void Two_objects_with_the_same_kind_namespace_and_name_are_a_duplicate()
    {
        var app = new BaselineApp();
        var copy = new V1ConfigMap
        {
            ApiVersion = "v1",
            Kind = "ConfigMap",
            Metadata = new V1ObjectMeta { Name = "my-app-config", NamespaceProperty = BaselineApp.NamespaceName },
        };

        var errors = ManifestValidator.Validate([.. app.Objects, copy]);

        var error = Assert.Single(errors);
        Assert.Equal(("ConfigMap", "metadata.name"), (error.Kind, error.Field));
        Assert.StartsWith("Duplicate value", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Error_renders_kind_name_field_and_message()
    {
        var error = new ManifestError("Service", "web", "spec.ports[0].port", "Invalid value: 0: must be between 1 and 65535, inclusive");
        Assert.Equal("Service/web spec.ports[0].port: Invalid value: 0: must be between 1 and 65535, inclusive", error.ToString());
    }
}
