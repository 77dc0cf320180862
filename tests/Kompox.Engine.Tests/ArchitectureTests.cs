using System.Text.RegularExpressions;

namespace Kompox.Tests;

/// <summary>The direction dependencies go between the engine's rooms (ARCHITECTURE.md), read from the sources.</summary>
public class ArchitectureTests
{
    private static readonly string Engine = Path.Combine(RepoPaths.Root, "src", "Kompox.Engine");

    [Fact]
    public void Only_the_use_cases_know_the_operations()
    {
        var offences = SourcesOutside("Operations").Where(f => Mentions(f, @"\bKompox\.Operations\b|^using Kompox\.Operations;")).ToList();
        Assert.True(offences.Count == 0, "reach up into Operations/: " + string.Join(", ", offences));
    }

    [Fact]
    public void The_pure_rooms_use_no_client_no_runtime_and_no_plumbing()
    {
        var pure = new[] { "Model", "Config", "Compose", "Conversion", "Yaml" };
        var offences = pure
            .SelectMany(room => Directory.EnumerateFiles(Path.Combine(Engine, room), "*.cs", SearchOption.AllDirectories))
            .Where(f => Mentions(f, @"^using Kompox\.(Kube|Store|Operations);|\bIKubernetes\b|\bIDriverRuntime\b|\bHttpClient\b|\bArmClient\b"))
            .Select(f => Path.GetRelativePath(Engine, f))
            .ToList();
        Assert.True(offences.Count == 0, "effects in a pure room: " + string.Join(", ", offences));
    }

    [Fact]
    public void The_check_sees_a_reference()
    {
        var file = Path.Combine(Engine, "Drivers", "DriverRuntime.cs");
        Assert.True(Mentions(file, @"^namespace Kompox\.Drivers;"));
        Assert.False(Mentions(file, @"^using Kompox\.Operations;"));
    }

    private static IEnumerable<string> SourcesOutside(string room) =>
        Directory.EnumerateFiles(Engine, "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                && !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                && !Path.GetRelativePath(Engine, f).StartsWith(room + Path.DirectorySeparatorChar, StringComparison.Ordinal));

    private static bool Mentions(string file, string pattern) =>
        File.ReadLines(file).Where(l => !l.TrimStart().StartsWith("//", StringComparison.Ordinal)).Any(l => Regex.IsMatch(l, pattern));
}
