using Kompox.Model;

namespace Kompox.Tests.Rules;

public class QuantityRuleTests
{
    [Theory]
    [InlineData("2", 2000)]
    [InlineData("500m", 500)]
    [InlineData("0.5", 500)]
    [InlineData(".25", 250)]
    [InlineData("1500m", 1500)]
    [InlineData("+1", 1000)]
    [InlineData("1e1", 10000)]
    [InlineData("0.0001", 1)]
    public void Cpu_quantities_are_read_in_millicores_rounded_up(string text, long expected)
    {
        Assert.Null(Quantities.CheckCpu(text, out var millis));
        Assert.Equal(expected, millis);
    }

    [Theory]
    [InlineData("512Mi", 512L * 1024 * 1024)]
    [InlineData("1Gi", 1024L * 1024 * 1024)]
    [InlineData("1.5Gi", 1536L * 1024 * 1024)]
    [InlineData("1G", 1_000_000_000L)]
    [InlineData("128974848", 128974848L)]
    [InlineData("129e6", 129_000_000L)]
    [InlineData("1E3", 1000L)]
    [InlineData("2E", 2_000_000_000_000_000_000L)]
    public void Memory_quantities_are_read_in_bytes(string text, long expected)
    {
        Assert.Null(Quantities.CheckMemory(text, out var bytes));
        Assert.Equal(expected, bytes);
    }

    [Theory]
    [InlineData("512m", "is 0.512 bytes (m means milli); did you mean 512Mi?")]
    [InlineData("1gb", "did you mean 1Gi?")]
    [InlineData("1GB", "did you mean 1Gi?")]
    [InlineData("2g", "did you mean 2Gi?")]
    [InlineData("512 MB", "did you mean 512Mi?")]
    [InlineData("64kb", "did you mean 64Ki?")]
    [InlineData("2gi", "did you mean 2Gi?")]
    [InlineData("lots", "is not a memory quantity: write bytes with a binary unit (512Mi, 2Gi)")]
    [InlineData("0", "must be more than zero")]
    [InlineData("0Gi", "must be more than zero")]
    [InlineData("-1Gi", "is not a memory quantity")]
    [InlineData("1.1Ki", "memory is a whole number of bytes")]
    [InlineData("100u", "(u means micro)")]
    [InlineData("9Ei", "more memory than Kubernetes can count")]
    [InlineData("1e40", "is not a memory quantity")]
    public void Memory_mistakes_are_errors_that_say_what_was_meant(string text, string expected)
    {
        var problem = Quantities.CheckMemory(text, out var bytes);

        Assert.NotNull(problem);
        Assert.Contains(expected, problem, StringComparison.Ordinal);
        Assert.StartsWith($"'{text}'", problem, StringComparison.Ordinal);
        Assert.Equal(0, bytes);
    }

    [Theory]
    [InlineData("0.5cpu", "did you mean 500m?")]
    [InlineData("2 cores", "did you mean 2?")]
    [InlineData("1.5vcpu", "did you mean 1500m?")]
    [InlineData("500M", "is 500,000,000 cores (M means mega); did you mean 500m?")]
    [InlineData("250Mi", "(Mi means mebi); did you mean 250m?")]
    [InlineData("500mi", "did you mean 500m?")]
    [InlineData("lots", "is not a CPU quantity: write cores (2, 0.5) or millicores (500m)")]
    [InlineData("0", "must be more than zero")]
    [InlineData("0m", "must be more than zero")]
    [InlineData("10E", "more CPU than Kubernetes can count")]
    public void Cpu_mistakes_are_errors_that_say_what_was_meant(string text, string expected)
    {
        var problem = Quantities.CheckCpu(text, out var millis);

        Assert.NotNull(problem);
        Assert.Contains(expected, problem, StringComparison.Ordinal);
        Assert.Equal(0, millis);
    }

    [Fact]
    public void A_resources_mapping_is_checked_key_by_key_under_its_key_path()
    {
        var problems = Quantities.Check(new Dictionary<string, string> { ["cpu"] = "500M", ["memory"] = "512m", ["gpu"] = "1" }).ToList();

        Assert.Equal(new[] { "app.resources.cpu", "app.resources.memory" }, problems.Select(p => p.Key));
        Assert.All(problems, p => Assert.Equal(Severity.Error, p.Severity));
    }
}
