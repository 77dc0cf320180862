using Kompox.Testing;
using Xunit;

namespace Kompox.Tests.Validation;

/// <summary>
/// Documents are checked as written, before the typed loader drops unknown keys or takes a number for a string:
/// kube-apiserver's strict field validation refuses both.
/// </summary>
public class SchemaValidationTests
{
    private const string Deployment = """
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: my-app
          namespace: k4x-my-app-a1b2c3
        spec:
          replicas: 1
          selector:
            matchLabels:
              app.kubernetes.io/name: my-app
          template:
            metadata:
              labels:
                app.kubernetes.io/name: my-app
            spec:
              containers:
              - name: web
                image: nginx:1.27
                env:
                - name: MODE
                  value: "0x1F"
                ports:
                - containerPort: 80
                resources:
                  limits:
                    cpu: 1
                    memory: 256Mi
                readinessProbe:
                  httpGet:
                    port: 80
                    path: /
        """;

    [Fact]
    public void A_document_with_only_declared_fields_of_the_right_types_passes() =>
        Assert.Empty(ManifestValidator.ValidateYaml(Deployment));

    [Theory]
    [InlineData("      - name: web\n", "      - name: web\n        foo: bar\n", "spec.template.spec.containers[0].foo")]
    [InlineData("  replicas: 1\n", "  replicas: 1\n  replica: 2\n", "spec.replica")]
    [InlineData("  name: my-app\n", "  name: my-app\n  label:\n    a: b\n", "metadata.label")]
    [InlineData("kind: Deployment\n", "kind: Deployment\nstatus2: {}\n", "status2")]
    public void Unknown_fields_are_reported_with_their_path(string find, string replace, string field)
    {
        var error = Assert.Single(ManifestValidator.ValidateYaml(Deployment.Replace(find, replace, StringComparison.Ordinal)));

        Assert.Equal(("Deployment", "my-app", field), (error.Kind, error.Name, error.Field));
        Assert.Equal($"unknown field \"{field}\": field not declared in schema", error.Message);
    }

    [Theory]
    [InlineData("value: \"0x1F\"", "value: 0x1F", "spec.template.spec.containers[0].env[0].value", "must be a string; kubectl reads this YAML scalar as an integer")]
    [InlineData("value: \"0x1F\"", "value: yes", "spec.template.spec.containers[0].env[0].value", "must be a string; kubectl reads this YAML scalar as a boolean")]
    [InlineData("value: \"0x1F\"", "value: .inf", "spec.template.spec.containers[0].env[0].value", "must be a string; kubectl reads this YAML scalar as a floating-point number")]
    [InlineData("replicas: 1", "replicas: \"1\"", "spec.replicas", "must be an integer; kubectl reads this YAML scalar as a string")]
    [InlineData("name: web", "name: 1_000", "spec.template.spec.containers[0].name", "must be a string")]
    [InlineData("containerPort: 80", "containerPort: {port: 80}", "spec.template.spec.containers[0].ports[0].containerPort", "must be an integer")]
    [InlineData("port: 80", "port: 8.5", "spec.template.spec.containers[0].readinessProbe.httpGet.port", "must be an integer or a string")]
    public void Values_kubectl_types_differently_from_the_field_are_reported(string find, string replace, string field, string message)
    {
        var errors = ManifestValidator.ValidateYaml(Deployment.Replace(find, replace, StringComparison.Ordinal));

        Assert.Contains(errors, e => e.Field == field && e.Message.Contains(message, StringComparison.Ordinal));
        Assert.All(errors, e => Assert.Equal(field, e.Field));
    }

    [Theory]
    [InlineData("cpu: 1", "cpu: \"1\"")]
    [InlineData("cpu: 1", "cpu: 0.5")]
    [InlineData("port: 80", "port: http")]
    [InlineData("value: \"0x1F\"", "value: '0x1F'")]
    [InlineData("value: \"0x1F\"", "value: 0x1Fz")]
    [InlineData("value: \"0x1F\"", "value: ~")]
    public void Quantities_int_or_strings_quoted_and_null_values_are_accepted(string find, string replace) =>
        Assert.Empty(ManifestValidator.ValidateYaml(Deployment.Replace(find, replace, StringComparison.Ordinal)));
}
