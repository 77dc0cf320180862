namespace Kompox.Tests;

internal static class RepoPaths
{
    /// <summary>The repository root: the nearest directory above the test binaries that holds Kompox.slnx.</summary>
    public static string Root { get; } = FindRoot();

    public static string Data(params string[] parts) => Path.Combine(new[] { Root, "tests", "data" }.Concat(parts).ToArray());

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Kompox.slnx")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"no Kompox.slnx above {AppContext.BaseDirectory}");
    }
}

/// <summary>A directory that disappears with the test.</summary>
internal sealed class TempDir : IDisposable
{
    public TempDir()
    {
        Path = Directory.CreateTempSubdirectory("kompox-test-").FullName;
    }

    public string Path { get; }

    public string Write(string name, string text)
    {
        var full = System.IO.Path.Combine(Path, name);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(full)!);
        File.WriteAllText(full, text);
        return full;
    }

    public void Dispose() => Directory.Delete(Path, recursive: true);
}
