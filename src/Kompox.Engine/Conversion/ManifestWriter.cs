using System.Text;
using k8s;
using k8s.Models;

namespace Kompox.Conversion;

/// <summary>
/// Writes objects as one multi-document YAML stream that <c>kubectl apply -f</c> accepts. The bytes depend only on
/// the objects: documents in the given order, maps as the objects hold them (the converter sorts them), '\n' line
/// ends on every platform.
/// </summary>
public static class ManifestWriter
{
    public static string Write(IEnumerable<IKubernetesObject> objects)
    {
        var text = new StringBuilder();
        foreach (var item in objects)
        {
            if (string.IsNullOrEmpty(item.ApiVersion) || string.IsNullOrEmpty(item.Kind))
            {
                throw new ArgumentException($"a {item.GetType().Name} without apiVersion or kind cannot be applied", nameof(objects));
            }

            var yaml = KubernetesYaml.Serialize(item).Replace("\r\n", "\n", StringComparison.Ordinal);
            text.Append("---\n").Append(yaml);
            if (!yaml.EndsWith('\n'))
            {
                text.Append('\n');
            }
        }

        return text.ToString();
    }
}
