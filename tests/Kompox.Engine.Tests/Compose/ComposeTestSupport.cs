using Xunit;
using Kompox.Compose;

namespace Kompox.Tests.Compose;

/// <summary>A temporary project directory, removed after the test.</summary>
public sealed class TempProject : IDisposable
{
    public TempProject()
    {
        Dir = Path.Combine(Path.GetTempPath(), "kompox-compose-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Dir);
    }

    public string Dir { get; }

    public TempProject With(string relativePath, string content)
    {
        var full = Path.Combine(Dir, relativePath);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        File.WriteAllText(full, content);
        return this;
    }

    public TempProject WithBytes(string relativePath, byte[] content)
    {
        var full = Path.Combine(Dir, relativePath);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        File.WriteAllBytes(full, content);
        return this;
    }

    /// <summary>A symbolic link at <paramref name="relativePath"/> to <paramref name="target"/> (absolute, or relative to the link).</summary>
    public TempProject WithLink(string relativePath, string target)
    {
        var full = Path.Combine(Dir, relativePath);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        File.CreateSymbolicLink(full, target);
        return this;
    }

    public void Dispose() => Directory.Delete(Dir, recursive: true);
}

internal static class Compose
{
    public static readonly IReadOnlyDictionary<string, string> NoEnvironment = new Dictionary<string, string>();

    public static ComposeProject Load(string yaml, IReadOnlyDictionary<string, string>? environment = null, string? dir = null, IReadOnlyCollection<string>? profiles = null) =>
        ComposeLoader.Load(yaml, "compose.yml", dir ?? Path.GetTempPath(), "app", environment ?? NoEnvironment, profiles);

    /// <summary>Every problem of a compose file that is refused, warnings included.</summary>
    public static IReadOnlyList<Diagnostic> Problems(string yaml, IReadOnlyDictionary<string, string>? environment = null, string? dir = null) =>
        Assert.Throws<KompoxValidationException>(() => Load(yaml, environment, dir)).Problems;

    public static ComposeService Service(string yaml, IReadOnlyDictionary<string, string>? environment = null, string? dir = null) =>
        Assert.Single(Load(yaml, environment, dir).Services);

    public static IReadOnlyList<Diagnostic> Errors(string yaml, IReadOnlyDictionary<string, string>? environment = null, string? dir = null)
    {
        var e = Assert.Throws<KompoxValidationException>(() => Load(yaml, environment, dir));
        Assert.Equal("InvalidCompose", e.ErrorId);
        return e.Problems.Where(p => p.Severity == Severity.Error).ToList();
    }

    public static Diagnostic Error(string yaml, string key, IReadOnlyDictionary<string, string>? environment = null, string? dir = null)
    {
        var errors = Errors(yaml, environment, dir);
        return Assert.Single(errors, e => e.Key == key);
    }

    public static Dictionary<string, string> Env(params string[] pairs) =>
        pairs.Select(p => p.Split('=', 2)).ToDictionary(p => p[0], p => p[1]);
}
