using System.Text;

namespace Kompox.Compose;

/// <summary>One <c>KEY=VALUE</c> line, its value interpolated; <see cref="Value"/> is null for a bare <c>KEY</c> (taken from the environment by the caller).</summary>
internal sealed record DotEnvEntry(string Key, string? Value, int Line);

/// <summary>A problem on one line. Messages never hold the file's text: the file may not be the user's own.</summary>
internal sealed record DotEnvProblem(int Line, string Message);

internal sealed record DotEnvResult(IReadOnlyList<DotEnvEntry> Entries, IReadOnlyList<DotEnvProblem> Errors, IReadOnlyList<DotEnvProblem> Warnings);

/// <summary>
/// The <c>.env</c> / <c>env_file</c> format as compose-go's dotenv parser reads it (dotenv/parser.go, godotenv.go):
/// <c>KEY=VALUE</c>, optional <c>export</c>, <c># comments</c>; single-quoted values are literal; double-quoted values
/// take <c>\n</c> and <c>\r</c> escapes (a backslash before any other character keeps that character, so <c>\$</c> is a
/// literal <c>$</c>) and may span
/// lines; unquoted values are trimmed and cut at <c> #</c>. Double-quoted and unquoted values are interpolated,
/// looking a variable up first among the file's earlier lines, then with the caller's lookup.
/// The <c>raw</c> format takes every value exactly as written after the first <c>=</c>.
/// </summary>
internal static class DotEnv
{
    public static DotEnvResult Parse(string text, Func<string, string?> lookup, bool raw = false)
    {
        var entries = new List<DotEnvEntry>();
        var errors = new List<DotEnvProblem>();
        var warnings = new List<DotEnvProblem>();
        var earlier = new Dictionary<string, string>(StringComparer.Ordinal);
        string? Lookup(string name) => earlier.TryGetValue(name, out var value) ? value : lookup(name);

        var lines = text.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            var lineNumber = i + 1;
            var line = lines[i].TrimStart();
            if (line.Trim().Length == 0 || line[0] == '#')
            {
                continue;
            }

            if (!raw && (line.StartsWith("export ", StringComparison.Ordinal) || line.StartsWith("export\t", StringComparison.Ordinal)))
            {
                line = line[7..].TrimStart();
            }

            var equals = line.IndexOf('=', StringComparison.Ordinal);
            var key = (equals < 0 ? line : line[..equals]).Trim();
            if (!IsVariableName(key))
            {
                errors.Add(new(lineNumber, "not a KEY=VALUE line: a variable name is letters, digits, '_', '.' and '-', and does not start with a digit"));
                continue;
            }

            if (equals < 0)
            {
                entries.Add(new(key, null, lineNumber));
                if (lookup(key) is { } inherited)
                {
                    earlier[key] = inherited;
                }

                continue;
            }

            var rest = line[(equals + 1)..];
            string? value;
            if (raw)
            {
                value = rest;
            }
            else
            {
                rest = rest.TrimStart();
                value = rest.StartsWith('\'') || rest.StartsWith('"')
                    ? Quoted(lines, ref i, rest, lineNumber, errors)
                    : Unquoted(rest);
                if (value is not null && !rest.StartsWith('\''))
                {
                    value = Expand(value, Lookup, lineNumber, errors, warnings);
                }
            }

            if (value is not null)
            {
                entries.Add(new(key, value, lineNumber));
                earlier[key] = value;
            }
        }

        return new DotEnvResult(entries, errors, warnings);
    }

    private static bool IsVariableName(string key) =>
        key.Length > 0 && Interpolation.IsNameStart(key[0]) && key.All(c => Interpolation.IsNameChar(c) || c is '.' or '-');

    private static string Unquoted(string rest)
    {
        var comment = rest.IndexOf(" #", StringComparison.Ordinal);
        var tabComment = rest.IndexOf("\t#", StringComparison.Ordinal);
        var cut = comment < 0 ? tabComment : tabComment < 0 ? comment : Math.Min(comment, tabComment);
        return (cut < 0 ? rest : rest[..cut]).Trim();
    }

    // A quoted value runs to its closing quote, on this line or a later one; a quote after a backslash does not close it.
    private static string? Quoted(string[] lines, ref int lineIndex, string rest, int lineNumber, List<DotEnvProblem> errors)
    {
        var quote = rest[0];
        var value = new StringBuilder();
        var part = rest[1..];
        var index = lineIndex;
        while (true)
        {
            for (var p = 0; p < part.Length; p++)
            {
                var c = part[p];
                if (c == quote)
                {
                    lineIndex = index;
                    return value.ToString();
                }

                if (c == '\\' && p + 1 < part.Length)
                {
                    p++;
                    var escaped = part[p];
                    if (quote == '\'')
                    {
                        // Single quotes keep everything, the backslash of an escaped quote too.
                        value.Append('\\').Append(escaped);
                    }
                    else
                    {
                        value.Append(escaped switch
                        {
                            'n' => "\n",
                            'r' => "\r",
                            '$' => "$$",
                            _ => escaped.ToString(),
                        });
                    }

                    continue;
                }

                value.Append(c);
            }

            if (index + 1 >= lines.Length)
            {
                errors.Add(new(lineNumber, quote == '\'' ? "a single quote opens a value that is never closed" : "a double quote opens a value that is never closed"));
                return null;
            }

            index++;
            value.Append('\n');
            part = lines[index];
        }
    }

    private static string? Expand(string value, Func<string, string?> lookup, int lineNumber, List<DotEnvProblem> errors, List<DotEnvProblem> warnings)
    {
        var unset = new List<string>();
        try
        {
            var expanded = Interpolation.Expand(value, lookup, unset);
            foreach (var _ in unset)
            {
                warnings.Add(new(lineNumber, "the value uses a variable that is not set; defaulting to a blank string"));
            }

            return expanded;
        }
        catch (InterpolationException)
        {
            errors.Add(new(lineNumber, "the value holds a ${...} expression that cannot be expanded (a required variable that is not set, or invalid syntax; write '$$' for a literal '$')"));
            return null;
        }
    }
}
