namespace Kompox.Model;

/// <summary>
/// A rule that one value breaks, named by its key path (<c>app.resources.memory</c>) rather than by a place in a file:
/// the config reader turns the path into a line and column, the conversion into a diagnostic on kompoxops.yml, and a
/// REST service into a problem detail.
/// </summary>
public sealed record KeyProblem(string Key, string Message, Severity Severity = Severity.Error);
