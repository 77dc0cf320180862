using Kompox.Testing;

namespace Kompox.Service.Tests;

/// <summary>The manifests that host the service pass the API server's validation as the test suite models it (tests/Kompox.Testing: ManifestValidator, from kubernetes/kubernetes validation).</summary>
public sealed class DeploymentManifestTests
{
    [Theory]
    [InlineData("kompox-service.yaml")]
    [InlineData("kompox-service-k3s.yaml")]
    public void The_manifests_are_valid(string file)
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (!File.Exists(Path.Combine(directory!.FullName, "Kompox.slnx")))
        {
            directory = directory.Parent;
        }

        var yaml = File.ReadAllText(Path.Combine(directory.FullName, "src", "Kompox.Service", "deploy", file));
        var errors = ManifestValidator.ValidateYaml(yaml).Select(e => e.ToString()).ToList();

        // The validator enforces baseline Pod Security as Kompox labels its app namespaces; the k3s variant needs the
        // node (host network, hostPath) and labels its own namespace privileged, which the API server then admits.
        if (yaml.Contains("pod-security.kubernetes.io/enforce: privileged", StringComparison.Ordinal))
        {
            errors.RemoveAll(e => e.Contains("violates PodSecurity \"baseline:latest\"", StringComparison.Ordinal));
        }

        Assert.True(errors.Count == 0, string.Join(Environment.NewLine, errors));
        Assert.Contains("kind: Deployment", yaml, StringComparison.Ordinal);
        Assert.Contains("kind: Service", yaml, StringComparison.Ordinal);
    }
}
