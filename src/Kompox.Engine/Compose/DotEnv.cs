using System.Text;

namespace Kompox.Compose;

/// <summary>One <c>KEY=VALUE</c> line; <see cref="Value"/> is null for a bare <c>KEY</c> (taken from the environment by the caller).</summary>
internal sealed record DotEnvEntry(string Key, string? Value, int Line);

internal sealed record DotEnvError(int Line, string Message);

/// <summary>
/// The <c>.env</c> / <c>env_file</c> format: <c>KEY=VALUE</c>, optional <c>export</c>, <c># comments</c>,
/// single quotes (literal), double quotes (with <c>\n</c>, <c>\t</c>, <c>\"</c>, <c>\\</c> escapes, may span lines),
/// unquoted values trimmed and cut at <c> #</c>.
/// </summary>
internal static class DotEnv
{
    public static (IReadOnlyList<DotEnvEntry> Entries, IReadOnlyList<DotEnvError> Errors) Parse(string text)
    {
        var entries = new List<DotEnvEntry>();
        var errors = new List<DotEnvError>();
        var lines = text.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            var lineNumber = i + 1;
            var line = lines[i].Trim();
            if (line.Length == 0 || line[0] == '#')
            {
                continue;
            }

            if (line.StartsWith("export ", StringComparison.Ordinal) || line.StartsWith("export\t", StringComparison.Ordinal))
            {
                line = line[7..].TrimStart();
            }

            var equals = line.IndexOf('=', StringComparison.Ordinal);
            var key = (equals < 0 ? line : line[..equals]).Trim();
            if (key.Length == 0 || !Interpolation.IsNameStart(key[0]) || !key.All(c => Interpolation.IsNameChar(c) || c is '.' or '-'))
            {
                errors.Add(new(lineNumber, $"'{Shorten(key)}' is not a variable name; lines are KEY=VALUE"));
                continue;
            }

            if (equals < 0)
            {
                entries.Add(new(key, null, lineNumber));
                continue;
            }

            var rest = line[(equals + 1)..].TrimStart();
            if (rest.StartsWith('\''))
            {
                var close = rest.IndexOf('\'', 1);
                if (close < 0)
                {
                    errors.Add(new(lineNumber, $"the value of {key} opens a single quote that is never closed"));
                    continue;
                }

                entries.Add(new(key, rest[1..close], lineNumber));
            }
            else if (rest.StartsWith('"'))
            {
                var value = ReadDoubleQuoted(lines, ref i, rest[1..]);
                if (value is null)
                {
                    errors.Add(new(lineNumber, $"the value of {key} opens a double quote that is never closed"));
                    continue;
                }

                entries.Add(new(key, value, lineNumber));
            }
            else
            {
                var comment = rest.IndexOf(" #", StringComparison.Ordinal);
                var tabComment = rest.IndexOf("\t#", StringComparison.Ordinal);
                var cut = comment < 0 ? tabComment : tabComment < 0 ? comment : Math.Min(comment, tabComment);
                entries.Add(new(key, (cut < 0 ? rest : rest[..cut]).Trim(), lineNumber));
            }
        }

        return (entries, errors);
    }

    // A double-quoted value may continue on the following lines until its closing quote.
    private static string? ReadDoubleQuoted(string[] lines, ref int lineIndex, string firstPart)
    {
        var value = new StringBuilder();
        var part = firstPart;
        while (true)
        {
            for (var p = 0; p < part.Length; p++)
            {
                var c = part[p];
                if (c == '"')
                {
                    return value.ToString();
                }

                if (c == '\\' && p + 1 < part.Length)
                {
                    p++;
                    value.Append(part[p] switch
                    {
                        'n' => '\n',
                        't' => '\t',
                        'r' => '\r',
                        var other => other,
                    });
                    continue;
                }

                value.Append(c);
            }

            if (lineIndex + 1 >= lines.Length)
            {
                return null;
            }

            lineIndex++;
            value.Append('\n');
            part = lines[lineIndex];
        }
    }

    private static string Shorten(string s) => s.Length > 40 ? s[..37] + "..." : s;
}
