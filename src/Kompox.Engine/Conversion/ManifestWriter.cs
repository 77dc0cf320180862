using System.Text;
using System.Text.Json;
using k8s;
using k8s.Models;
using Kompox.Yaml;

namespace Kompox.Conversion;

/// <summary>
/// Writes objects as one multi-document YAML stream that <c>kubectl apply -f</c> accepts and reads back to the same
/// values. The bytes depend only on the objects: documents in the given order, fields in the order the models declare
/// them, maps as the objects hold them (the converter sorts them), '\n' line ends on every platform.
/// </summary>
/// <remarks>
/// The objects become the JSON the client's serializer would write (<see cref="ModelJson"/>: quantities,
/// int-or-string, base64 bytes, omitted nulls); the YAML is written from that JSON so that no string is left plain
/// where a YAML 1.1 reader would type it.
/// </remarks>
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

            using var json = JsonDocument.Parse(ModelJson.ToNode(item)!.ToJsonString());
            text.Append("---\n");
            YamlEmitter.WriteDocument(text, json.RootElement);
        }

        return text.ToString();
    }
}
