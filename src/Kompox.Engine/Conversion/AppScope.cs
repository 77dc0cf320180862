using k8s.Models;
using Kompox.Model;

namespace Kompox.Conversion;

/// <summary>The app and its namespace, which every object's metadata repeats.</summary>
internal sealed record AppScope(KompoxApp App, string Namespace)
{
    public string AppName => App.Name;

    /// <summary>The disk the app is converted on; null when converted without one.</summary>
    public string? DiskId { get; init; }

    /// <summary>The one claim every compose volume is a sub-directory of: <see cref="KubeNames.Claim"/>.</summary>
    public string ClaimName => KubeNames.Claim(App.Name, DiskId);

    public SortedDictionary<string, string> Labels() => new(StringComparer.Ordinal)
    {
        [KompoxMetadata.ManagedByLabel] = KompoxMetadata.ManagedByValue,
        [KompoxMetadata.NameLabel] = App.Name,
        [KompoxMetadata.AppIdLabel] = KubeNames.AppHash(App),
    };

    /// <summary>Metadata of an object in the app's namespace.</summary>
    public V1ObjectMeta Metadata(string name, IDictionary<string, string>? annotations = null) => new()
    {
        Name = name,
        NamespaceProperty = Namespace,
        Labels = Labels(),
        Annotations = annotations,
    };

    /// <summary>Metadata of a cluster-scoped object (Namespace, PersistentVolume).</summary>
    public V1ObjectMeta ClusterMetadata(string name, IDictionary<string, string>? labels = null, IDictionary<string, string>? annotations = null) => new()
    {
        Name = name,
        Labels = labels ?? Labels(),
        Annotations = annotations,
    };
}
