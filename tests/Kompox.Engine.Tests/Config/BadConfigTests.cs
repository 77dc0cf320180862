using Kompox.Config;

namespace Kompox.Tests.Config;

public class BadConfigTests
{
    public static TheoryData<string> Cases()
    {
        var data = new TheoryData<string>();
        foreach (var dir in Directory.GetDirectories(RepoPaths.Data("bad-configs")).Order(StringComparer.Ordinal))
        {
            data.Add(Path.GetFileName(dir));
        }

        return data;
    }

    [Fact]
    public void There_are_at_least_twenty_cases() => Assert.True(Cases().Count >= 20);

    [Theory]
    [MemberData(nameof(Cases))]
    public void Each_case_fails_with_its_error_id_and_messages(string name)
    {
        var dir = RepoPaths.Data("bad-configs", name);
        var expect = File.ReadAllLines(Path.Combine(dir, "expect.txt")).Where(l => l.Length > 0).ToArray();

        var e = Assert.ThrowsAny<KompoxException>(() => KompoxConfig.Load(Path.Combine(dir, "kompoxops.yml"), "kompoxops.yml"));

        Assert.Equal(expect[0], e.ErrorId);
        foreach (var fragment in expect.Skip(1))
        {
            Assert.Contains(fragment, e.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void A_50_MB_file_is_refused_before_it_is_read()
    {
        using var temp = new TempDir();
        var path = Path.Combine(temp.Path, "kompoxops.yml");
        using (var stream = File.Create(path))
        {
            stream.SetLength(50L * 1024 * 1024);
        }

        var e = Assert.IsType<KompoxValidationException>(Assert.ThrowsAny<KompoxException>(() => KompoxConfig.Load(path, "kompoxops.yml")));

        Assert.Equal("FileTooLarge", e.ErrorId);
        Assert.Contains("52,428,800 bytes", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_missing_file_is_not_found()
    {
        using var temp = new TempDir();
        var e = Assert.ThrowsAny<KompoxException>(() => KompoxConfig.Load(Path.Combine(temp.Path, "kompoxops.yml"), "kompoxops.yml"));
        Assert.Equal("FileNotFound", e.ErrorId);
        Assert.Equal(ErrorKind.NotFound, e.Kind);
    }

    [Fact]
    public void A_symlinked_compose_file_leading_outside_the_directory_is_refused()
    {
        using var outside = new TempDir();
        using var temp = new TempDir();
        var secret = outside.Write("compose.yml", "services: {}\n");
        File.CreateSymbolicLink(Path.Combine(temp.Path, "compose.yml"), secret);
        var config = temp.Write("kompoxops.yml", ValidConfigTests.K3sConfig);

        var e = Assert.IsType<KompoxValidationException>(Assert.ThrowsAny<KompoxException>(() => KompoxConfig.Load(config, "kompoxops.yml")));

        Assert.Contains("app.compose: 'compose.yml' points outside the directory", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Every_problem_is_reported_in_file_order_with_its_position()
    {
        var dir = RepoPaths.Data("bad-configs", "resources-invalid");
        var e = Assert.IsType<KompoxValidationException>(Assert.ThrowsAny<KompoxException>(() => KompoxConfig.Load(Path.Combine(dir, "kompoxops.yml"), "kompoxops.yml")));

        Assert.Collection(
            e.Problems,
            p => Assert.Equal(("app.resources.cpu", 16, 10), (p.Key, p.Line, p.Column)),
            p => Assert.Equal(("app.resources.gpu", 18, 5), (p.Key, p.Line, p.Column)));
    }
}
