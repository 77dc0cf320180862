using System.Text.Json.Nodes;

namespace Kompox.Tests.KubeApi;

public sealed class KubectlTests
{
    [Fact]
    public async Task KubectlGetsNamespacesAsJson()
    {
        await using var harness = await KubeApiHarness.StartAsync();
        var (code, stdout, stderr) = await harness.KubectlAsync("get", "namespaces", "-o", "json");
        Assert.True(code == 0, stderr);
        var names = JsonNode.Parse(stdout)!["items"]!.AsArray().Select(i => i!["metadata"]!["name"]!.ToString()).ToList();
        Assert.Contains("default", names);
        Assert.Contains("kube-system", names);
    }
}
