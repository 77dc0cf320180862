using System.Text;

namespace Kompox.Compose;

/// <summary>Splits a command string into words the way a POSIX shell would, without expansions.</summary>
internal static class ShellWords
{
    /// <summary>
    /// One word for a POSIX shell script, taken literally: inside single quotes nothing is special but the quote itself,
    /// which closes, is written escaped and reopens (<c>'\''</c>). <see cref="Split"/> gives the word back.
    /// </summary>
    public static string Quote(string word) => $"'{word.Replace("'", "'\\''", StringComparison.Ordinal)}'";

    /// <exception cref="FormatException">A quote is not closed, or the text ends with a lone backslash.</exception>
    public static List<string> Split(string text)
    {
        var words = new List<string>();
        var word = new StringBuilder();
        var inWord = false;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c is ' ' or '\t' or '\n' or '\r')
            {
                if (inWord)
                {
                    words.Add(word.ToString());
                    word.Clear();
                    inWord = false;
                }

                continue;
            }

            inWord = true;
            switch (c)
            {
                case '\\':
                    if (i + 1 >= text.Length)
                    {
                        throw new FormatException("the command ends with a lone backslash");
                    }

                    i++;
                    // A backslash-newline joins lines, as in a shell script.
                    if (text[i] != '\n')
                    {
                        word.Append(text[i]);
                    }

                    break;
                case '\'':
                    var close = text.IndexOf('\'', i + 1);
                    if (close < 0)
                    {
                        throw new FormatException("a single quote is never closed");
                    }

                    word.Append(text, i + 1, close - i - 1);
                    i = close;
                    break;
                case '"':
                    i++;
                    while (true)
                    {
                        if (i >= text.Length)
                        {
                            throw new FormatException("a double quote is never closed");
                        }

                        if (text[i] == '"')
                        {
                            break;
                        }

                        // Inside double quotes a backslash only escapes the characters the shell gives meaning to.
                        if (text[i] == '\\' && i + 1 < text.Length && text[i + 1] is '"' or '\\' or '$' or '`')
                        {
                            i++;
                        }

                        word.Append(text[i]);
                        i++;
                    }

                    break;
                default:
                    word.Append(c);
                    break;
            }
        }

        if (inWord)
        {
            words.Add(word.ToString());
        }

        return words;
    }
}
