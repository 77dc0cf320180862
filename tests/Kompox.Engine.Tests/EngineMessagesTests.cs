using System.Text.RegularExpressions;

namespace Kompox.Tests;

/// <summary>
/// The engine speaks no front end's syntax: its messages name no cmdlet and no PowerShell parameter, since a REST user
/// has neither. What a user can do about an error travels as a structured Remedy, which each front end words. Read from
/// the engine's sources, so that a new message is checked too.
/// </summary>
public partial class EngineMessagesTests
{
    [Fact]
    public void No_string_of_the_engine_names_a_cmdlet_or_a_parameter()
    {
        var offences = new List<string>();
        var engine = Path.Combine(RepoPaths.Root, "src", "Kompox.Engine");
        foreach (var file in Directory.EnumerateFiles(engine, "*.cs", SearchOption.AllDirectories).Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal)))
        {
            var lines = File.ReadAllLines(file);
            for (var i = 0; i < lines.Length; i++)
            {
                // Regular expressions are patterns, not messages.
                if (lines[i].Contains("GeneratedRegex", StringComparison.Ordinal) || lines[i].TrimStart().StartsWith("//", StringComparison.Ordinal))
                {
                    continue;
                }

                foreach (Match literal in StringLiteral().Matches(lines[i]))
                {
                    foreach (Match found in FrontEndSyntax().Matches(literal.Value))
                    {
                        offences.Add($"{Path.GetRelativePath(engine, file)}:{i + 1}: {found.Value} in {literal.Value}");
                    }
                }
            }
        }

        Assert.True(offences.Count == 0, string.Join(Environment.NewLine, offences));
    }

    [Theory]
    [InlineData("\"deploy it with New-KompoxApp first\"")]
    [InlineData("$\"app {id} is busy; -Wait waits for it\"")]
    [InlineData("\"sign in with Connect-AzAccount\"")]
    [InlineData("$\"{path} exists; give -Force to overwrite it\"")]
    public void The_check_finds_what_it_is_for(string line)
    {
        var literal = StringLiteral().Match(line);
        Assert.True(literal.Success);
        Assert.True(FrontEndSyntax().IsMatch(literal.Value), line);
    }

    [Theory]
    [InlineData("\"CMD-SHELL\"")]
    [InlineData("\"yyyy-MM-ddTHH:mm:ssZ\"")]
    [InlineData("$\"{name}-{stamp}-{random}\"")]
    [InlineData("\"Content-Range\"")]
    [InlineData("\"kube-system\"")]
    public void Ordinary_strings_pass(string line) => Assert.False(FrontEndSyntax().IsMatch(StringLiteral().Match(line).Value), line);

    // A C# string literal, plain or interpolated, on one line.
    [GeneratedRegex(@"\$?""(?:[^""\\]|\\.)*""")]
    private static partial Regex StringLiteral();

    // A cmdlet (an approved verb, a dash, a capitalised noun) or a parameter (a dash before a capitalised word at a word's start).
    [GeneratedRegex(@"\b(?:Get|Set|New|Remove|Add|Clear|Connect|Disconnect|Import|Export|Initialize|Invoke|Start|Stop|Restart|Switch|Test|ConvertTo|ConvertFrom|Move|Restore|Update|Install)-[A-Z][A-Za-z]+|(?<![\w-])-[A-Z][a-z]+[A-Za-z]*\b")]
    private static partial Regex FrontEndSyntax();
}
