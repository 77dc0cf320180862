using System.Text;

namespace Kompox.Yaml;

/// <summary>Reads a user's text file, refusing what no YAML file of ours can be: huge, empty, binary or not UTF-8.</summary>
public static class TextFile
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <param name="path">Full path of the file.</param>
    /// <param name="shownAs">How the file is named in errors (usually the path the user wrote).</param>
    /// <param name="maxBytes">Largest size accepted.</param>
    public static string Read(string path, string shownAs, long maxBytes)
    {
        var info = new FileInfo(path);
        if (Directory.Exists(path))
        {
            throw Fail(shownAs, "is a directory, not a file", "FileIsDirectory", ErrorKind.InvalidArgument);
        }

        if (!info.Exists)
        {
            throw new KompoxException("FileNotFound", ErrorKind.NotFound, $"{shownAs}: file not found (looked for {path})") { Target = path };
        }

        if (info.Length > maxBytes)
        {
            throw Fail(shownAs, $"the file is {info.Length:N0} bytes; at most {maxBytes:N0} bytes are accepted", "FileTooLarge", ErrorKind.InvalidData);
        }

        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new KompoxException("FileUnreadable", ErrorKind.PermissionDenied, $"{shownAs}: cannot read the file {path} ({(e is UnauthorizedAccessException ? "access denied" : "I/O error")})", e) { Target = path };
        }

        return Decode(bytes, shownAs);
    }

    public static string Decode(byte[] bytes, string shownAs)
    {
        var nul = Array.IndexOf(bytes, (byte)0);
        if (nul >= 0)
        {
            throw Fail(shownAs, $"the file is binary, not YAML text (NUL byte at offset {nul})", "FileNotText", ErrorKind.InvalidData);
        }

        string text;
        try
        {
            text = StrictUtf8.GetString(bytes);
        }
        catch (DecoderFallbackException e)
        {
            throw Fail(shownAs, $"the file is not UTF-8 text (invalid byte at offset {e.Index})", "FileNotText", ErrorKind.InvalidData);
        }

        if (text.Length > 0 && text[0] == '\uFEFF')
        {
            text = text[1..];
        }

        if (string.IsNullOrWhiteSpace(text))
        {
            throw Fail(shownAs, "the file is empty", "FileEmpty", ErrorKind.InvalidData);
        }

        return text;
    }

    private static KompoxException Fail(string shownAs, string message, string errorId, ErrorKind kind) =>
        kind == ErrorKind.InvalidData
            ? new KompoxValidationException(errorId, shownAs, new[] { Diagnostic.Error(shownAs, SourceMark.File, string.Empty, message) })
            : new KompoxException(errorId, kind, $"{shownAs}: {message}") { Target = shownAs };
}
