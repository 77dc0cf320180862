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

    /// <summary>
    /// A warning that a key the user wrote has no effect in one Pod (<c>restart</c>, <c>depends_on</c>, <c>deploy.placement</c> ...):
    /// true to its file, but routine, so front ends may summarise these apart from warnings that change what runs.
    /// </summary>
    public bool NoEffect { get; init; }

    /// <summary>
    /// A warning that holds for every run of an unchanged app (a key with no effect in one Pod, no disk given to an offline
    /// conversion): front ends say these once per app in a summary, with the details for whoever asks.
    /// </summary>
    public bool Routine { get; init; }

    /// <summary>Where the problem is, short enough for a table: the file name without its directory, and line and column when known (<c>compose.yml:12:5</c>).</summary>
    public string Location
    {
        get
        {
            var name = System.IO.Path.GetFileName(File);
            if (name.Length == 0)
            {
                name = File;
            }

            return Line > 0 ? $"{name}:{Line}:{Column}" : name;
        }
    }

    public static Diagnostic Error(string file, SourceMark at, string key, string message) =>
        new(Severity.Error, file, at.Line, at.Column, key, message);

    public static Diagnostic Warning(string file, SourceMark at, string key, string message) =>
        new(Severity.Warning, file, at.Line, at.Column, key, message);

    /// <summary>A warning that <paramref name="key"/> has no effect in one Pod; see <see cref="NoEffect"/>.</summary>
    public static Diagnostic NoEffectWarning(string file, SourceMark at, string key, string message) =>
        new(Severity.Warning, file, at.Line, at.Column, key, message) { NoEffect = true, Routine = true };

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

    /// <summary>
    /// The file the mark is in when it is not the one the reader reports for (a compose override file merged into
    /// the app's compose file); null for that file itself.
    /// </summary>
    public string? Source { get; init; }
}
