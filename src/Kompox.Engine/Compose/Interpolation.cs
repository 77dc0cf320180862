using System.Text;

namespace Kompox.Compose;

/// <summary>A <c>${...}</c> expression that cannot be expanded; the message is shown to the user as is.</summary>
internal sealed class InterpolationException(string message) : Exception(message);

/// <summary>
/// Compose variable substitution: <c>$VAR</c>, <c>${VAR}</c>, <c>${VAR:-default}</c>, <c>${VAR-default}</c>,
/// <c>${VAR:?error}</c>, <c>${VAR?error}</c>, <c>${VAR:+replacement}</c>, <c>${VAR+replacement}</c> and <c>$$</c>.
/// Defaults and replacements may themselves hold expressions; they are only evaluated when used, so that
/// an unused <c>${B:?}</c> inside a default does not fail.
/// </summary>
internal static class Interpolation
{
    public static string Expand(string text, IReadOnlyDictionary<string, string> variables, ICollection<string>? unset = null) =>
        Expand(text, name => variables.TryGetValue(name, out var value) ? value : null, unset);

    /// <param name="lookup">A variable's value, or null when it is not set.</param>
    /// <param name="unset">Receives each variable used without a default that is not set (Docker warns about them and uses "").</param>
    public static string Expand(string text, Func<string, string?> lookup, ICollection<string>? unset = null)
    {
        if (!text.Contains('$', StringComparison.Ordinal))
        {
            return text;
        }

        var position = 0;
        return new Parser(text, lookup, unset).Expand(ref position, insideBraces: false, evaluate: true);
    }

    /// <summary>Docker Compose's own words for a variable that is not set (compose-go template.Substitute).</summary>
    public static string NotSetWarning(string name) => $"The \"{name}\" variable is not set. Defaulting to a blank string.";

    internal static bool IsNameStart(char c) => c is (>= 'A' and <= 'Z') or (>= 'a' and <= 'z') or '_';

    internal static bool IsNameChar(char c) => IsNameStart(c) || c is >= '0' and <= '9';

    private sealed class Parser(string text, Func<string, string?> lookup, ICollection<string>? unset)
    {
        // Reads up to the end of the text, or up to the '}' closing the enclosing ${...} when insideBraces.
        public string Expand(ref int position, bool insideBraces, bool evaluate)
        {
            var output = new StringBuilder();
            var depth = 0;
            while (position < text.Length)
            {
                var c = text[position];
                if (insideBraces && c == '}' && depth == 0)
                {
                    return output.ToString();
                }

                if (c != '$')
                {
                    // Braces that are not part of an expression still have to balance inside ${...}.
                    if (insideBraces && c == '{')
                    {
                        depth++;
                    }
                    else if (insideBraces && c == '}')
                    {
                        depth--;
                    }

                    output.Append(c);
                    position++;
                    continue;
                }

                position++;
                if (position >= text.Length)
                {
                    throw Invalid("a '$' at the end of the value");
                }

                var next = text[position];
                if (next == '$')
                {
                    output.Append('$');
                    position++;
                }
                else if (next == '{')
                {
                    position++;
                    output.Append(Braced(ref position, evaluate));
                }
                else if (IsNameStart(next))
                {
                    var start = position;
                    while (position < text.Length && IsNameChar(text[position]))
                    {
                        position++;
                    }

                    var name = text[start..position];
                    if (evaluate)
                    {
                        output.Append(Lookup(name));
                    }
                }
                else
                {
                    throw Invalid($"'${next}'");
                }
            }

            if (insideBraces)
            {
                throw new InterpolationException($"'${{' is never closed with '}}' in \"{text}\"");
            }

            return output.ToString();
        }

        private string Braced(ref int position, bool evaluate)
        {
            var start = position;
            while (position < text.Length && IsNameChar(text[position]))
            {
                position++;
            }

            var name = text[start..position];
            if (name.Length == 0 || !IsNameStart(name[0]))
            {
                throw Invalid($"'${{{Shorten(text[start..])}'; a variable name starts with a letter or '_'");
            }

            if (position >= text.Length)
            {
                throw new InterpolationException($"'${{' is never closed with '}}' in \"{text}\"");
            }

            var value = lookup(name);
            var isSet = value is not null;
            var isNonEmpty = isSet && value!.Length > 0;
            if (text[position] == '}')
            {
                position++;
                return evaluate ? Lookup(name) : string.Empty;
            }

            var colon = text[position] == ':';
            if (colon)
            {
                position++;
            }

            var op = position < text.Length ? text[position] : '\0';
            if (op is not ('-' or '?' or '+'))
            {
                throw Invalid($"'${{{name}{(colon ? ":" : string.Empty)}{op}'; expected '}}', ':-', '-', ':?', '?', ':+' or '+' after the name");
            }

            position++;
            var present = colon ? isNonEmpty : isSet;
            var useArgument = op switch
            {
                '-' => !present,
                '+' => present,
                _ => !present,
            };

            var argument = Expand(ref position, insideBraces: true, evaluate: evaluate && useArgument);
            position++; // the closing '}'
            if (!evaluate)
            {
                return string.Empty;
            }

            return op switch
            {
                '-' => present ? value! : argument,
                '+' => present ? argument : string.Empty,
                _ => present
                    ? value!
                    : throw new InterpolationException(
                        $"required variable {name} is {(isSet ? "empty" : "missing")}" + (argument.Length > 0 ? $": {argument}" : string.Empty)),
            };
        }

        private string Lookup(string name)
        {
            if (lookup(name) is { } value)
            {
                return value;
            }

            unset?.Add(name);
            return string.Empty;
        }

        private InterpolationException Invalid(string what) =>
            new($"invalid interpolation {what} in \"{Shorten(text)}\"; write '$$' for a literal '$'");

        private static string Shorten(string s) => s.Length > 60 ? s[..57] + "..." : s;
    }
}
