using k8s;
using Kompox.Conversion;

namespace Kompox.Tests;

/// <summary>The engine tests' assertion over <see cref="Testing.KubectlReadBack"/>: what Kompox writes, kubectl reads back unchanged.</summary>
internal static class KubectlReadBack
{
    /// <summary>Writes the objects with <see cref="ManifestWriter"/> and asserts that kubectl reads each one back unchanged.</summary>
    public static void AssertSame(IEnumerable<IKubernetesObject> objects)
    {
        var list = objects.ToList();
        AssertSame(ManifestWriter.Write(list), list);
    }

    /// <summary>Asserts that kubectl reads <paramref name="yaml"/> back as <paramref name="objects"/>, document for document.</summary>
    public static void AssertSame(string yaml, IReadOnlyList<IKubernetesObject> objects)
    {
        var differences = Testing.KubectlReadBack.Differences(yaml, objects);
        Assert.True(differences.Count == 0, string.Join(Environment.NewLine, differences));
    }
}
