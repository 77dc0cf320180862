namespace Kompox;

/// <summary>What went wrong, in terms a front end (cmdlet, REST) can map to its own error categories.</summary>
public enum ErrorKind
{
    InvalidArgument,
    InvalidData,
    NotFound,
    AlreadyExists,
    PermissionDenied,
}

/// <summary>An error the user can act on; <see cref="ErrorId"/> is stable and documented.</summary>
public class KompoxException : Exception
{
    public KompoxException(string errorId, ErrorKind kind, string message, Exception? inner = null)
        : base(message, inner)
    {
        ErrorId = errorId;
        Kind = kind;
    }

    public string ErrorId { get; }

    public ErrorKind Kind { get; }

    /// <summary>The file, name or object the error is about, when there is one.</summary>
    public object? Target { get; init; }
}

/// <summary>A file failed validation; every problem found is reported at once.</summary>
public sealed class KompoxValidationException : KompoxException
{
    public KompoxValidationException(string errorId, string file, IReadOnlyList<Diagnostic> problems)
        : base(errorId, ErrorKind.InvalidData, FormatMessage(file, problems))
    {
        Problems = problems;
        Target = file;
    }

    public IReadOnlyList<Diagnostic> Problems { get; }

    private static string FormatMessage(string file, IReadOnlyList<Diagnostic> problems)
    {
        var errors = problems.Where(p => p.Severity == Severity.Error).ToList();
        var head = errors.Count == 1 ? $"{file} has 1 error:" : $"{file} has {errors.Count} errors:";
        return head + Environment.NewLine + string.Join(Environment.NewLine, errors.Select(p => "  " + p));
    }
}
