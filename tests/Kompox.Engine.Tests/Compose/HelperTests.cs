using Xunit;
using Kompox.Compose;

namespace Kompox.Tests.Compose;

public class HelperTests
{
    private static string? NoLookup(string name) => null;

    [Fact]
    public void DotEnvReadsQuotesExportsAndComments()
    {
        var result = DotEnv.Parse("# comment\nexport A=1\nB = two words # note\nC='single $x'\nD=\"line\\nnext \\\"q\\\"\"\nE\nF=\"multi\nline\"\n\n", NoLookup);
        Assert.Empty(result.Errors);
        var map = result.Entries.ToDictionary(e => e.Key, e => e.Value);
        Assert.Equal("1", map["A"]);
        Assert.Equal("two words", map["B"]);
        Assert.Equal("single $x", map["C"]);
        Assert.Equal("line\nnext \"q\"", map["D"]);
        Assert.Null(map["E"]);
        Assert.Equal("multi\nline", map["F"]);
    }

    // compose-go dotenv/parser.go: unquoted and double-quoted values are interpolated, earlier lines of the file
    // first, then the lookup; single-quoted values are literal. `format: raw` keeps every value as written.
    [Fact]
    public void DotEnvInterpolatesLikeComposeGo()
    {
        var result = DotEnv.Parse("HOST=db\nURL=postgres://${HOST}:${PORT:-5432}/$NAME\nQUOTED=\"${HOST}-x\"\nLITERAL='${HOST}'\nESCAPED=\"\\$HOST\"\nFROM_OUTSIDE=$OUTER\n",
            name => name == "OUTER" ? "outer" : null);
        var map = result.Entries.ToDictionary(e => e.Key, e => e.Value);
        Assert.Equal("postgres://db:5432/", map["URL"]);
        Assert.Equal("db-x", map["QUOTED"]);
        Assert.Equal("${HOST}", map["LITERAL"]);
        Assert.Equal("$HOST", map["ESCAPED"]);
        Assert.Equal("outer", map["FROM_OUTSIDE"]);
        Assert.Equal(2, Assert.Single(result.Warnings).Line);

        var raw = DotEnv.Parse("A=\"quoted\" # kept\nB=${HOST}\n# comment\n", NoLookup, raw: true);
        Assert.Equal(new[] { "A=\"quoted\" # kept", "B=${HOST}" }, raw.Entries.Select(e => $"{e.Key}={e.Value}"));
    }

    [Fact]
    public void DotEnvReportsBadLinesWithTheirNumberButNotTheirText()
    {
        var result = DotEnv.Parse("A=1\nroot:secret-XYZ:0\nB=\"open-XYZ\n", NoLookup);
        Assert.Equal(new[] { 2, 3 }, result.Errors.Select(e => e.Line));
        Assert.All(result.Errors, e => Assert.DoesNotContain("XYZ", e.Message));
        var required = DotEnv.Parse("A=${MISSING:?XYZ}\n", NoLookup);
        Assert.DoesNotContain("XYZ", Assert.Single(required.Errors).Message);
    }

    [Theory]
    [InlineData("echo hello", new[] { "echo", "hello" })]
    [InlineData("sh -c 'echo $HOME && ls'", new[] { "sh", "-c", "echo $HOME && ls" })]
    [InlineData("a \"b c\" d\\ e", new[] { "a", "b c", "d e" })]
    [InlineData("x\"y\"'z'", new[] { "xyz" })]
    [InlineData("say \"a \\\"q\\\" \\n\"", new[] { "say", "a \"q\" \\n" })]
    [InlineData("  spaced   out  ", new[] { "spaced", "out" })]
    [InlineData("empty '' arg", new[] { "empty", "", "arg" })]
    public void ShellWordsSplitLikeAShell(string text, string[] expected) => Assert.Equal(expected, ShellWords.Split(text));

    [Theory]
    [InlineData("'open")]
    [InlineData("\"open")]
    [InlineData("trailing\\")]
    public void ShellWordsRejectUnclosedQuotes(string text) => Assert.Throws<FormatException>(() => ShellWords.Split(text));

    // A quoted word is read back by a shell as exactly that word, whatever it holds (the hook scripts rely on it).
    [Theory]
    [InlineData("plain")]
    [InlineData("it's")]
    [InlineData("'")]
    [InlineData("$HOME `id` \\ \"q\" ; rm -rf / #")]
    [InlineData("")]
    [InlineData("two\nlines")]
    public void ShellWordsQuoteIsReadBackAsOneWord(string word) => Assert.Equal([word], ShellWords.Split(ShellWords.Quote(word)));

    [Theory]
    [InlineData("10s", 10_000)]
    [InlineData("1m30s", 90_000)]
    [InlineData("1h", 3_600_000)]
    [InlineData("500ms", 500)]
    [InlineData("1.5s", 1_500)]
    [InlineData("1h2m3s4ms", 3_723_004)]
    public void DurationsParse(string text, long milliseconds)
    {
        Assert.True(Units.TryParseDuration(text, out var duration));
        Assert.Equal(TimeSpan.FromMilliseconds(milliseconds), duration);
    }

    [Fact]
    public void MicrosecondsParse()
    {
        Assert.True(Units.TryParseDuration("2us", out var duration));
        Assert.Equal(20, duration.Ticks);
    }

    [Theory]
    [InlineData("10")]
    [InlineData("s")]
    [InlineData("10 s")]
    [InlineData("1d")]
    [InlineData("")]
    [InlineData("-5s")]
    public void BadDurationsFail(string text) => Assert.False(Units.TryParseDuration(text, out _));

    [Theory]
    [InlineData("512m", 512L * 1024 * 1024)]
    [InlineData("1g", 1024L * 1024 * 1024)]
    [InlineData("1gb", 1024L * 1024 * 1024)]
    [InlineData("1024k", 1024L * 1024)]
    [InlineData("300M", 300L * 1024 * 1024)]
    [InlineData("2Gi", 2L * 1024 * 1024 * 1024)]
    [InlineData("1048576", 1048576L)]
    [InlineData("100b", 100L)]
    public void ByteSizesParse(string text, long bytes)
    {
        Assert.True(Units.TryParseByteSize(text, out var parsed));
        Assert.Equal(bytes, parsed);
    }

    [Theory]
    [InlineData("lots")]
    [InlineData("1x")]
    [InlineData("-1m")]
    [InlineData("5ib")]
    public void BadByteSizesFail(string text) => Assert.False(Units.TryParseByteSize(text, out _));

    [Theory]
    [InlineData("0440", 0x120)]
    [InlineData("0o755", 0x1ED)]
    [InlineData("288", 288)]
    public void ModesAreOctalWithALeadingZero(string text, int mode)
    {
        Assert.True(Units.TryParseMode(text, out var parsed));
        Assert.Equal(mode, parsed);
    }
}
