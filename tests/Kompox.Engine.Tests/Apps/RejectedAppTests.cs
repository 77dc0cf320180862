namespace Kompox.Tests.Apps;

/// <summary>Compose files that must be refused as a whole, through the same path the cmdlets take.</summary>
public class RejectedAppTests
{
    public static TheoryData<string> Cases() => AppCorpus.Folders("bad-compose");

    [Fact]
    public void There_are_at_least_thirty_cases() => Assert.True(Cases().Count >= 30);

    [Theory]
    [MemberData(nameof(Cases))]
    public void Is_refused_with_errors_naming_the_service_and_key(string name)
    {
        var config = AppCorpus.Load("bad-compose", name);
        var result = AppCorpus.Validate(config, AppCorpus.DiskId(config));

        Assert.False(result.IsValid);
        Assert.Empty(result.Documents);
        Assert.Equal(string.Empty, result.Yaml);
        var errors = result.Errors.Select(AppCorpus.Show).ToList();
        foreach (var line in File.ReadAllLines(RepoPaths.Data("bad-compose", name, "expect.txt")).Where(l => l.Length > 0))
        {
            Assert.True(errors.Any(e => e.Contains(line, StringComparison.Ordinal)), $"no error contains '{line}'; errors:\n{string.Join("\n", errors)}");
        }
    }
}
