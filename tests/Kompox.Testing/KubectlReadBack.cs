using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using k8s;
using k8s.Models;

namespace Kompox.Testing;

/// <summary>
/// Reads a manifest back the way a user's cluster tooling does: through the real kubectl (a YAML 1.1-ish reader), with
/// `kubectl label --local -f`, which parses every document without a cluster. Each document must come back as the
/// JSON the client serializes for the object it was written from, so a string kubectl would type as a number, bool or
/// null, or a value a YAML parser would bend, is reported with the object and the field that changed.
/// </summary>
public static class KubectlReadBack
{
    private const string Label = "kompox.dev/readback";

    /// <summary>
    /// Where kubectl reads <paramref name="yaml"/> differently from what its schema-typed reading means: the objects are
    /// loaded with the client's typed YAML reader, which types each value by its field, so this finds what a YAML 1.1
    /// reader would type otherwise (for manifests whose source objects a test does not have, such as a cmdlet's output).
    /// </summary>
    public static IReadOnlyList<string> Differences(string yaml)
    {
        var objects = KubernetesYaml.LoadAllFromString(yaml).Cast<IKubernetesObject>().ToList();

        // The typed reader turns an empty base64 value into null; the bytes meant are the empty ones kubectl reads.
        foreach (var secret in objects.OfType<V1Secret>().Where(s => s.Data is not null))
        {
            foreach (var key in secret.Data.Where(e => e.Value is null).Select(e => e.Key).ToList())
            {
                secret.Data[key] = Array.Empty<byte>();
            }
        }

        return Differences(yaml, objects);
    }

    /// <summary>Where kubectl reads <paramref name="yaml"/> back differently from <paramref name="objects"/>, document for document; empty when it reads them all unchanged.</summary>
    public static IReadOnlyList<string> Differences(string yaml, IReadOnlyList<IKubernetesObject> objects)
    {
        var read = ReadThroughKubectl(yaml);
        if (read.Count != objects.Count)
        {
            return new[] { $"kubectl read {read.Count} objects back from a manifest of {objects.Count}" };
        }

        var differences = new List<string>();
        for (var i = 0; i < objects.Count; i++)
        {
            var expected = JsonNode.Parse(KubernetesJson.Serialize(objects[i]))!;
            var actual = WithoutReadBackLabel(read[i], expected);
            if (FirstDifference(expected, actual, "") is { } difference)
            {
                differences.Add($"{objects[i].Kind}/{Name(expected)} reads back differently through kubectl at {difference}");
            }
        }

        return differences;
    }

    private static List<JsonNode> ReadThroughKubectl(string yaml)
    {
        var file = Path.Combine(Path.GetTempPath(), $"kompox-readback-{Guid.NewGuid():N}.yaml");
        File.WriteAllText(file, yaml, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false));
        try
        {
            var start = new ProcessStartInfo("kubectl")
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                StandardOutputEncoding = Encoding.UTF8,
            };
            foreach (var argument in new[] { "label", "--local", "-f", file, $"{Label}=1", "-o", "json" })
            {
                start.ArgumentList.Add(argument);
            }

            Process process;
            try
            {
                process = Process.Start(start)!;
            }
            catch (Win32Exception e)
            {
                throw new InvalidOperationException("kubectl must be on PATH: the manifest tests read every manifest back through it", e);
            }

            using (process)
            {
                var error = process.StandardError.ReadToEndAsync();
                var output = process.StandardOutput.ReadToEnd();
                process.WaitForExit();
                if (process.ExitCode != 0)
                {
                    throw new InvalidOperationException($"kubectl cannot read the manifest back: {error.Result}");
                }


                return ParseConcatenated(output);
            }
        }
        finally
        {
            File.Delete(file);
        }
    }

    /// <summary>kubectl prints one JSON object per document, one after the other.</summary>
    private static List<JsonNode> ParseConcatenated(string output)
    {
        var nodes = new List<JsonNode>();
        var reader = new Utf8JsonReader(Encoding.UTF8.GetBytes(output), new JsonReaderOptions { AllowMultipleValues = true });
        while (reader.Read())
        {
            nodes.Add(JsonNode.Parse(ref reader)!);
        }
        return nodes;
    }

    private static JsonNode WithoutReadBackLabel(JsonNode read, JsonNode expected)
    {
        var metadata = read["metadata"]!.AsObject();
        var labels = metadata["labels"]!.AsObject();
        labels.Remove(Label);
        if (labels.Count == 0 && expected["metadata"]?["labels"] is null)
        {
            metadata.Remove("labels");
        }
        return read;
    }

    private static string Name(JsonNode item) => item["metadata"]?["name"]?.GetValue<string>() ?? "(no name)";

    /// <summary>The path of the first value that differs and both values, or null when the trees are equal.</summary>
    private static string? FirstDifference(JsonNode? expected, JsonNode? actual, string path)
    {
        var here = path.Length == 0 ? "the root" : path;
        switch (expected, actual)
        {
            case (null, null):
                return null;
            case (JsonObject wrote, JsonObject read):
                foreach (var (key, value) in wrote)
                {
                    var child = $"{path}{(path.Length == 0 ? "" : ".")}{key}";
                    if (!read.ContainsKey(key))
                    {
                        return $"{child}: wrote {Show(value)}, kubectl dropped it";
                    }
                    if (FirstDifference(value, read[key], child) is { } difference)
                    {
                        return difference;
                    }
                }
                var extra = read.Select(p => p.Key).FirstOrDefault(key => !wrote.ContainsKey(key));
                return extra is null ? null : $"{path}{(path.Length == 0 ? "" : ".")}{extra}: kubectl read {Show(read[extra])}, which was not written";
            case (JsonArray wrote, JsonArray read):
                if (wrote.Count != read.Count)
                {
                    return $"{here}: wrote {wrote.Count} items, kubectl read {read.Count}";
                }
                for (var i = 0; i < wrote.Count; i++)
                {
                    if (FirstDifference(wrote[i], read[i], $"{path}[{i}]") is { } difference)
                    {
                        return difference;
                    }
                }
                return null;
            case (JsonValue wrote, JsonValue read) when SameScalar(wrote, read):
                return null;
            default:
                return $"{here}: wrote {Show(expected)}, kubectl read {Show(actual)}";
        }
    }

    private static bool SameScalar(JsonValue wrote, JsonValue read)
    {
        var kind = wrote.GetValueKind();
        if (kind != read.GetValueKind())
        {
            return false;
        }
        return kind == JsonValueKind.Number
            ? decimal.Parse(wrote.ToJsonString(), NumberStyles.Float, CultureInfo.InvariantCulture) == decimal.Parse(read.ToJsonString(), NumberStyles.Float, CultureInfo.InvariantCulture)
            : wrote.ToJsonString() == read.ToJsonString();
    }

    private static string Show(JsonNode? node) => node is null ? "null" : node.ToJsonString(new JsonSerializerOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
}
