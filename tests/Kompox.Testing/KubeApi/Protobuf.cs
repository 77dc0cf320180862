using System.Text;
using System.Text.Json.Nodes;

namespace Kompox.Testing.KubeApi;

/// <summary>
/// kubectl's typed clients send request bodies as Kubernetes protobuf (application/vnd.kubernetes.protobuf): the "k8s\0"
/// magic, then a runtime.Unknown whose field 2 holds the object. The server reads the two bodies kubectl sends that way
/// for the commands it supports (auth can-i: SelfSubjectAccessReview; create token: TokenRequest) and answers in JSON,
/// which client-go decodes by the response's content type.
/// </summary>
internal static class Protobuf
{
    public const string ContentType = "application/vnd.kubernetes.protobuf";

    /// <summary>The SelfSubjectAccessReview or TokenRequest in <paramref name="body"/> as the JSON the server reads.</summary>
    public static JsonObject Decode(byte[] body, string kind)
    {
        var raw = Unwrap(body);
        var message = Read(raw);
        return kind switch
        {
            "SelfSubjectAccessReview" => new JsonObject { ["spec"] = AccessReviewSpec(Message(message, 2)) },
            "TokenRequest" => new JsonObject { ["spec"] = TokenRequestSpec(Message(message, 2)) },
            _ => throw ApiError.BadRequest($"{kind} cannot be sent as protobuf to this server"),
        };
    }

    private static JsonObject AccessReviewSpec(Dictionary<int, List<object>> spec)
    {
        var attributes = Message(spec, 1);
        string[] names = ["", "namespace", "verb", "group", "version", "resource", "subresource", "name"];
        var json = new JsonObject();
        for (var field = 1; field < names.Length; field++)
        {
            if (String(attributes, field) is { } value)
            {
                json[names[field]] = value;
            }
        }
        return new JsonObject { ["resourceAttributes"] = json };
    }

    private static JsonObject TokenRequestSpec(Dictionary<int, List<object>> spec)
    {
        var json = new JsonObject();
        if (spec.TryGetValue(1, out var audiences))
        {
            json["audiences"] = new JsonArray(audiences.OfType<byte[]>().Select(a => (JsonNode?)JsonValue.Create(Encoding.UTF8.GetString(a))).ToArray());
        }
        if (spec.TryGetValue(4, out var seconds) && seconds[0] is ulong value)
        {
            json["expirationSeconds"] = (long)value;
        }
        return json;
    }

    private static byte[] Unwrap(byte[] body)
    {
        if (body.Length < 4 || body[0] != 'k' || body[1] != '8' || body[2] != 's' || body[3] != 0)
        {
            throw ApiError.BadRequest("the protobuf body does not start with the Kubernetes magic");
        }
        var unknown = Read(body.AsSpan(4).ToArray());
        return unknown.TryGetValue(2, out var raw) && raw[0] is byte[] bytes ? bytes : [];
    }

    private static Dictionary<int, List<object>> Message(Dictionary<int, List<object>> message, int field) =>
        message.TryGetValue(field, out var values) && values[0] is byte[] bytes ? Read(bytes) : [];

    private static string? String(Dictionary<int, List<object>> message, int field) =>
        message.TryGetValue(field, out var values) && values[0] is byte[] bytes ? Encoding.UTF8.GetString(bytes) : null;

    /// <summary>The fields of one message: varints as ulong, length-delimited values as bytes; fixed-width values are skipped.</summary>
    private static Dictionary<int, List<object>> Read(byte[] data)
    {
        var fields = new Dictionary<int, List<object>>();
        var position = 0;
        while (position < data.Length)
        {
            var key = Varint(data, ref position);
            var field = (int)(key >> 3);
            object value;
            switch (key & 7)
            {
                case 0:
                    value = Varint(data, ref position);
                    break;
                case 2:
                    var length = (int)Varint(data, ref position);
                    if (length < 0 || position + length > data.Length)
                    {
                        throw ApiError.BadRequest("the protobuf body is truncated");
                    }
                    value = data.AsSpan(position, length).ToArray();
                    position += length;
                    break;
                case 1:
                    position += 8;
                    continue;
                case 5:
                    position += 4;
                    continue;
                default:
                    throw ApiError.BadRequest("the protobuf body uses an unsupported wire type");
            }
            if (!fields.TryGetValue(field, out var list))
            {
                list = [];
                fields[field] = list;
            }
            list.Add(value);
        }
        return fields;
    }

    private static ulong Varint(byte[] data, ref int position)
    {
        ulong result = 0;
        for (var shift = 0; shift < 64; shift += 7)
        {
            if (position >= data.Length)
            {
                throw ApiError.BadRequest("the protobuf body is truncated");
            }
            var b = data[position++];
            result |= (ulong)(b & 0x7f) << shift;
            if ((b & 0x80) == 0)
            {
                return result;
            }
        }
        throw ApiError.BadRequest("the protobuf body has a malformed varint");
    }
}
