using System.Text;

namespace Kompox.Yaml;

/// <summary>Reads a user's text file, refusing what no YAML file of ours can be: huge, empty, binary, or neither UTF-8 nor UTF-16 with a BOM.</summary>
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

    /// <summary>
    /// The bytes as text: UTF-8 (with or without a BOM), or UTF-16 little- or big-endian when a BOM says so, as Windows
    /// PowerShell 5.1's <c>Out-File</c> and <c>&gt;</c> write. Without a BOM, only valid UTF-8 free of NUL bytes is text.
    /// </summary>
    public static string Decode(byte[] bytes, string shownAs)
    {
        var text = Utf16(bytes, shownAs) ?? Utf8(bytes, shownAs);
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

    private static string? Utf16(byte[] bytes, string shownAs)
    {
        var bigEndian = bytes.Length >= 2 && bytes[0] == 0xFE && bytes[1] == 0xFF;
        var littleEndian = bytes.Length >= 2 && bytes[0] == 0xFF && bytes[1] == 0xFE;
        if (!bigEndian && !littleEndian)
        {
            return null;
        }

        var name = bigEndian ? "UTF-16BE" : "UTF-16LE";
        if (bytes.Length % 2 != 0)
        {
            throw Fail(shownAs, $"the file starts with a {name} byte order mark but has an odd number of bytes", "FileNotText", ErrorKind.InvalidData);
        }

        string text;
        try
        {
            text = new UnicodeEncoding(bigEndian, byteOrderMark: false, throwOnInvalidBytes: true).GetString(bytes, 2, bytes.Length - 2);
        }
        catch (DecoderFallbackException e)
        {
            throw Fail(shownAs, $"the file is not {name} text (invalid code unit at offset {e.Index + 2})", "FileNotText", ErrorKind.InvalidData);
        }

        // A UTF-32LE BOM (FF FE 00 00) reads as UTF-16LE with NUL characters: binary as far as YAML goes.
        var nul = text.IndexOf('\0', StringComparison.Ordinal);
        if (nul >= 0)
        {
            throw Fail(shownAs, $"the file is binary, not YAML text (NUL character at offset {(nul * 2) + 2})", "FileNotText", ErrorKind.InvalidData);
        }

        return text;
    }

    private static string Utf8(byte[] bytes, string shownAs)
    {
        var nul = Array.IndexOf(bytes, (byte)0);
        if (nul >= 0)
        {
            throw Fail(shownAs, $"the file is binary, not YAML text (NUL byte at offset {nul})", "FileNotText", ErrorKind.InvalidData);
        }

        try
        {
            return StrictUtf8.GetString(bytes);
        }
        catch (DecoderFallbackException e)
        {
            throw Fail(shownAs, $"the file is not UTF-8 text (invalid byte at offset {e.Index})", "FileNotText", ErrorKind.InvalidData);
        }
    }

    private static KompoxException Fail(string shownAs, string message, string errorId, ErrorKind kind) =>
        kind == ErrorKind.InvalidData
            ? new KompoxValidationException(errorId, shownAs, new[] { Diagnostic.Error(shownAs, SourceMark.File, string.Empty, message) })
            : new KompoxException(errorId, kind, $"{shownAs}: {message}") { Target = shownAs };
}
