using System.Text;
using System.Text.RegularExpressions;

namespace Kompox.Tests;

/// <summary>
/// Every await of a signal in the tests has a bound (ARCHITECTURE.md, "Tests"), read from the test sources: a
/// TaskCompletionSource's task, a wait, a channel or stream read, a process's exit, a request or report the test waits for,
/// the fake clock's next wait, or all or any of several tasks. Without one, a signal that never comes hangs the whole run
/// instead of failing one test. The bound must be on the statement that awaits (<c>.Within()</c>, or <c>WaitAsync</c>
/// with a time).
/// </summary>
public class BoundedAwaitTests
{
    private static readonly string[] TestProjects = ["tests/Kompox.Engine.Tests", "tests/Kompox.Service.Tests"];

    /// <summary>What the statement awaits that may never come.</summary>
    private static readonly Regex Signal = new(
        @"\.Task\b(?!\s*[<(])|\bWaitAsync\(|\b(ReadAsync|WaitToReadAsync|ReadLineAsync|WaitForExitAsync|NextWaitAsync|StepUntilAsync|When\w*Async)\(|\bTask\.(WhenAll|WhenAny)\(",
        RegexOptions.CultureInvariant);

    /// <summary>
    /// A bound on the statement: the tests' <c>Within()</c>, or a <c>WaitAsync</c> given a time (anything but nothing or
    /// a token alone, whose timeout, if it has one, the check cannot see).
    /// </summary>
    private static readonly Regex Bound = new(
        @"\.Within\(\)|\bWaitAsync\((?!\s*\))(?![\w.]*[Tt]oken(\.None)?\s*\))|\.WhenCancelled\(\)",
        RegexOptions.CultureInvariant);

    [Fact]
    public void Every_await_of_a_signal_in_the_tests_has_a_bound()
    {
        var offences = TestProjects
            .SelectMany(project => Directory.EnumerateFiles(Path.Combine(RepoPaths.Root, project), "*.cs", SearchOption.AllDirectories))
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                && !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .OrderBy(f => f, StringComparer.Ordinal)
            .SelectMany(f => UnboundedAwaits(File.ReadAllText(f)).Select(line => $"{Path.GetRelativePath(RepoPaths.Root, f)}:{line}"))
            .ToList();

        Assert.True(offences.Count == 0, "an await of a signal without a bound (add .Within()): " + string.Join(", ", offences));
    }

    [Theory]
    [InlineData("await done.Task;")]
    [InlineData("var x = await gate.WaitAsync(token);")]
    [InlineData("await semaphore.WaitAsync();")]
    [InlineData("await gate.WaitAsync(CancellationToken.None);")]
    [InlineData("await gate.WaitAsync(linked.Token).ConfigureAwait(false);")]
    [InlineData("var item = await channel.Reader.ReadAsync();")]
    [InlineData("while (await reader.WaitToReadAsync(token)) { }")]
    [InlineData("await process.WaitForExitAsync();")]
    [InlineData("await server.WhenRequestedAsync(\"GET\", \"/api\",\n    CancellationToken.None);")]
    [InlineData("await progress.WhenAsync(r => r.Kind == ProgressKind.Warning);")]
    [InlineData("var due = await time.NextWaitAsync();")]
    [InlineData("await Task.WhenAll(a, b);")]
    [InlineData("var first = await Task.WhenAny(a, b);")]
    [InlineData("Assert.True((await done.Task).Ready);")]
    [InlineData("Run(async () => { await done.Task; }).Within();")]
    public void The_check_sees_an_unbounded_await_of_a_signal(string statement) =>
        Assert.Single(UnboundedAwaits("class C\n{\n    async Task M()\n    {\n        " + statement + "\n    }\n}\n"), 5);

    [Theory]
    [InlineData("await done.Task.Within();")]
    [InlineData("await gate.WaitAsync(TimeSpan.FromSeconds(30));")]
    [InlineData("await process.WaitForExitAsync(timeout.Token).WaitAsync(Limit);")]
    [InlineData("var due = await next.WaitAsync(Patience);")]
    [InlineData("await work.WaitAsync(TimeSpan.FromMinutes(1), token);")]
    [InlineData("var item = await channel.Reader.ReadAsync()\n    .Within();")]
    [InlineData("await Task.WhenAll(a, b).Within();")]
    [InlineData("await Task.WhenAll(a.Within(), b.Within());")]
    [InlineData("Assert.True((await done.Task.Within()).Ready);")]
    [InlineData("await token.WhenCancelled();")]
    [InlineData("var seen = server.WhenRequestedAsync(\"GET\", \"/api\", CancellationToken.None);")]
    [InlineData("await File.WriteAllTextAsync(path, text);")]
    [InlineData("// await done.Task;")]
    [InlineData("var text = \"await done.Task;\";")]
    [InlineData("var text = $\"{name}: await done.Task;\";")]
    [InlineData("var text = \"\"\"\n    await done.Task;\n    \"\"\";")]
    public void The_check_passes_a_bounded_await_and_what_is_no_await_of_a_signal(string statement) =>
        Assert.Empty(UnboundedAwaits("class C\n{\n    async Task M()\n    {\n        " + statement + "\n    }\n}\n"));

    /// <summary>The lines of the awaits of a signal in <paramref name="source"/> whose statement has no bound.</summary>
    private static IEnumerable<int> UnboundedAwaits(string source)
    {
        var code = Code(source);
        // A statement ends at ';'; a block (a lambda's body, an initializer) is a statement of its own inside the one
        // around it, which goes on after the block. Each keeps where its characters are in the source.
        var around = new Stack<(StringBuilder Text, List<int> At)>();
        var current = (Text: new StringBuilder(), At: new List<int>());
        var found = new List<int>();

        void End()
        {
            var text = current.Text.ToString();
            var await = Regex.Match(text, @"\bawait\b(?!\s+(using|foreach)\b)");
            if (await.Success && Signal.IsMatch(text) && !Bound.IsMatch(text))
            {
                found.Add(LineOf(code, current.At[await.Index]));
            }

            current.Text.Clear();
            current.At.Clear();
        }

        for (var i = 0; i < code.Length; i++)
        {
            switch (code[i])
            {
                case '{':
                    around.Push(current);
                    current = (new StringBuilder(), new List<int>());
                    break;
                case '}' when around.Count > 0:
                    End();
                    current = around.Pop();
                    break;
                case ';':
                    End();
                    break;
                default:
                    current.Text.Append(code[i]);
                    current.At.Add(i);
                    break;
            }
        }

        return found.Distinct().Order();
    }

    private static int LineOf(string text, int index) => text.AsSpan(0, Math.Min(index, text.Length)).Count('\n') + 1;

    /// <summary>The source with comments and the contents of string and character literals blanked (lines kept).</summary>
    private static string Code(string s)
    {
        var code = s.ToCharArray();
        void Blank(int from, int to)
        {
            for (var k = from; k < Math.Min(to, s.Length); k++)
            {
                if (code[k] != '\n')
                {
                    code[k] = ' ';
                }
            }
        }

        var i = 0;
        while (i < s.Length)
        {
            if (s.AsSpan(i).StartsWith("//"))
            {
                var end = s.IndexOf('\n', i);
                end = end < 0 ? s.Length : end;
                Blank(i, end);
                i = end;
                continue;
            }

            if (s.AsSpan(i).StartsWith("/*"))
            {
                var end = s.IndexOf("*/", i + 2, StringComparison.Ordinal);
                end = end < 0 ? s.Length : end + 2;
                Blank(i, end);
                i = end;
                continue;
            }

            var literal = Regex.Match(s[i..Math.Min(s.Length, i + 8)], @"^(\$*@?\$*)(""{3,}|"")");
            if (s[i] is '"' or '$' or '@' && literal.Success)
            {
                var end = StringEnd(s, i + literal.Length, literal.Groups[1].Value, literal.Groups[2].Value);
                Blank(i, end);
                i = end;
                continue;
            }

            if (s[i] == '\'')
            {
                var ch = Regex.Match(s[i..Math.Min(s.Length, i + 10)], @"^'(\\[^']*|[^'\\])'");
                if (ch.Success)
                {
                    Blank(i, i + ch.Length);
                    i += ch.Length;
                    continue;
                }
            }

            i++;
        }

        return new string(code);
    }

    /// <summary>Where a string literal whose opening quotes end before <paramref name="i"/> ends.</summary>
    private static int StringEnd(string s, int i, string prefix, string quotes)
    {
        if (quotes.Length >= 3)
        {
            var end = s.IndexOf(quotes, i, StringComparison.Ordinal);
            return end < 0 ? s.Length : end + quotes.Length;
        }

        var verbatim = prefix.Contains('@');
        var interpolated = prefix.Contains('$');
        var holes = 0;
        while (i < s.Length)
        {
            var c = s[i];
            if (interpolated && c == '{')
            {
                if (holes == 0 && i + 1 < s.Length && s[i + 1] == '{')
                {
                    i += 2;
                    continue;
                }

                holes++;
            }
            else if (interpolated && c == '}' && holes > 0)
            {
                holes--;
            }
            else if (holes > 0 && c == '"')
            {
                // A string inside a hole.
                i = StringEnd(s, i + 1, "", "\"");
                continue;
            }
            else if (holes == 0 && verbatim && c == '"')
            {
                if (i + 1 < s.Length && s[i + 1] == '"')
                {
                    i += 2;
                    continue;
                }

                return i + 1;
            }
            else if (holes == 0 && !verbatim && c == '\\')
            {
                i += 2;
                continue;
            }
            else if (holes == 0 && c == '"')
            {
                return i + 1;
            }

            i++;
        }

        return s.Length;
    }
}
