using System.Text.Json.Nodes;

namespace Kompox.Testing.KubeApi;

/// <summary>A failed request, answered with a metav1.Status as kube-apiserver writes it.</summary>
internal sealed class ApiError : Exception
{
    public ApiError(int code, string reason, string message, JsonObject? details = null)
        : base(message)
    {
        Code = code;
        Reason = reason;
        Details = details;
    }

    public int Code { get; }

    public string Reason { get; }

    public JsonObject? Details { get; }

    public JsonObject ToStatus()
    {
        var status = new JsonObject
        {
            ["kind"] = "Status",
            ["apiVersion"] = "v1",
            ["metadata"] = new JsonObject(),
            ["status"] = "Failure",
            ["message"] = Message,
            ["reason"] = Reason,
        };
        if (Details is not null)
        {
            status["details"] = Details.DeepClone();
        }
        status["code"] = Code;
        return status;
    }

    public static ApiError NotFound(ResourceType resource, string name) =>
        new(404, "NotFound", $"{resource.QualifiedName} \"{name}\" not found", DetailsOf(resource, name));

    public static ApiError NamespaceNotFound(string ns) =>
        new(404, "NotFound", $"namespaces \"{ns}\" not found", new JsonObject { ["name"] = ns, ["kind"] = "namespaces" });

    public static ApiError AlreadyExists(ResourceType resource, string name) =>
        new(409, "AlreadyExists", $"{resource.QualifiedName} \"{name}\" already exists", DetailsOf(resource, name));

    public static ApiError Modified(ResourceType resource, string name) =>
        new(409, "Conflict", $"Operation cannot be fulfilled on {resource.QualifiedName} \"{name}\": the object has been modified; please apply your changes to the latest version and try again", DetailsOf(resource, name));

    public static ApiError BadRequest(string message) => new(400, "BadRequest", message);

    /// <summary>403 from an admission plugin, as admission.NewForbidden words it (k8s.io/apiserver pkg/admission/errors.go).</summary>
    public static ApiError Forbidden(ResourceType resource, string name, string reason) =>
        new(403, "Forbidden", $"{resource.QualifiedName} \"{name}\" is forbidden: {reason}", DetailsOf(resource, name));

    /// <summary>422 Invalid: one cause per field error, the message listing them as kube-apiserver does.</summary>
    public static ApiError Invalid(ResourceType resource, string name, IReadOnlyList<(string Field, string Message)> errors)
    {
        var causes = new JsonArray();
        foreach (var (field, message) in errors)
        {
            causes.Add(new JsonObject { ["reason"] = CauseReason(message), ["message"] = message, ["field"] = field });
        }
        var listed = errors.Select(e => $"{e.Field}: {e.Message}").ToList();
        var text = listed.Count == 1 ? listed[0] : $"[{string.Join(", ", listed)}]";
        var details = DetailsOf(resource, name);
        details["kind"] = resource.Kind;
        details["causes"] = causes;
        var kind = resource.Group.Length == 0 ? resource.Kind : $"{resource.Kind}.{resource.Group}";
        return new ApiError(422, "Invalid", $"{kind} \"{name}\" is invalid: {text}", details);
    }

    private static string CauseReason(string message) =>
        message.StartsWith("Required value", StringComparison.Ordinal) ? "FieldValueRequired"
        : message.StartsWith("Unsupported value", StringComparison.Ordinal) ? "FieldValueNotSupported"
        : message.StartsWith("Duplicate value", StringComparison.Ordinal) ? "FieldValueDuplicate"
        : message.StartsWith("Forbidden", StringComparison.Ordinal) ? "FieldValueForbidden"
        : message.StartsWith("Too long", StringComparison.Ordinal) ? "FieldValueTooLong"
        : message.StartsWith("Not found", StringComparison.Ordinal) ? "FieldValueNotFound"
        : "FieldValueInvalid";

    private static JsonObject DetailsOf(ResourceType resource, string name)
    {
        var details = new JsonObject { ["name"] = name };
        if (resource.Group.Length > 0)
        {
            details["group"] = resource.Group;
        }
        details["kind"] = resource.Plural;
        return details;
    }
}
