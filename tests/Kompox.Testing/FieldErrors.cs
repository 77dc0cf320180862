using System.Globalization;

namespace Kompox.Testing;

/// <summary>
/// Collects the errors of one object. The message shapes follow k8s.io/apimachinery's field.Error
/// ("Required value", "Invalid value: \"x\": ...", "Unsupported value: ...") so that a failing test
/// reads like the answer a real cluster would give.
/// </summary>
internal sealed class FieldErrors
{
    private readonly string kind;
    private readonly string name;
    private readonly List<ManifestError> errors;

    public FieldErrors(string kind, string name, List<ManifestError> errors)
    {
        this.kind = kind;
        this.name = name;
        this.errors = errors;
    }

    public void Required(string field, string detail = "") =>
        Add(field, detail.Length == 0 ? "Required value" : $"Required value: {detail}");

    public void Invalid(string field, object? value, string detail) =>
        Add(field, $"Invalid value: {Render(value)}: {detail}");

    public void NotSupported(string field, object? value, IEnumerable<string> supported) =>
        Add(field, $"Unsupported value: {Render(value)}: supported values: {string.Join(", ", supported.Select(s => Render(s)))}");

    public void Duplicate(string field, object? value) => Add(field, $"Duplicate value: {Render(value)}");

    public void NotFound(string field, object? value) => Add(field, $"Not found: {Render(value)}");

    public void Forbidden(string field, string detail) => Add(field, $"Forbidden: {detail}");

    /// <summary>The wording of kube-apiserver's strict field validation.</summary>
    public void UnknownField(string field) => Add(field, $"unknown field \"{field}\": field not declared in schema");

    public void TooLong(string field, int maxBytes) => Add(field, $"Too long: may not be more than {maxBytes} bytes");

    /// <summary>Reports every message of a syntax rule (they come back as a list, like apimachinery's IsXxx functions).</summary>
    public void InvalidEach(string field, object? value, IEnumerable<string> messages)
    {
        foreach (var message in messages)
        {
            Invalid(field, value, message);
        }
    }

    private void Add(string field, string message) => errors.Add(new ManifestError(kind, name, field, message));

    private static string Render(object? value) => value switch
    {
        null => "null",
        string text => "\"" + text.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"",
        IFormattable number => number.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };
}
