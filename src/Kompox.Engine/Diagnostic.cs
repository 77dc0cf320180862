namespace Kompox;

public enum Severity
{
    Error,
    Warning,
}

/// <summary>One problem found in a user's file, located so that an editor can jump to it.</summary>
/// <param name="Key">The key path, e.g. <c>app.name</c> or <c>services.db.ports[0]</c>.</param>
public sealed record Diagnostic(Severity Severity, string File, int Line, int Column, string Key, string Message)
{
    /// <summary>The compose service the problem is in, when it is in one.</summary>
    public string? Service { get; init; }

    public static Diagnostic Error(string file, SourceMark at, string key, string message) =>
        new(Severity.Error, file, at.Line, at.Column, key, message);

    public static Diagnostic Warning(string file, SourceMark at, string key, string message) =>
        new(Severity.Warning, file, at.Line, at.Column, key, message);

    public override string ToString()
    {
        var where = Line > 0 ? $"{File}:{Line}:{Column}" : File;
        return Key.Length > 0 ? $"{where} {Key}: {Message}" : $"{where}: {Message}";
    }
}

/// <summary>A 1-based line and column in a source file; line 0 means "the file as a whole".</summary>
public readonly record struct SourceMark(int Line, int Column)
{
    public static readonly SourceMark File = new(0, 0);
}
