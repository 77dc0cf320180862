using Kompox.Config;

namespace Kompox.Tests.Config;

public class ConfigTemplateTests
{
    [Theory]
    [InlineData("aks", "ops/aks1/my-aks/my-app")]
    [InlineData("k3s", "ops/k3s1/my-k3s/my-app")]
    public void Each_template_is_valid_once_its_compose_file_exists(string driver, string id)
    {
        using var temp = new TempDir();
        var path = Path.Combine(temp.Path, "kompoxops.yml");
        ConfigTemplate.Write(path, driver, overwrite: false);
        temp.Write("compose.yml", "services:\n  web:\n    image: nginx:1.27\n");

        var result = KompoxConfig.Load(path);

        Assert.Equal(id, result.App.Id);
        Assert.Equal(driver, result.Provider.Driver);
        Assert.Empty(result.Warnings);
    }

    [Fact]
    public void An_existing_file_is_kept_unless_overwrite_is_asked()
    {
        using var temp = new TempDir();
        var path = temp.Write("kompoxops.yml", "mine");

        var e = Assert.ThrowsAny<KompoxException>(() => ConfigTemplate.Write(path, "k3s", overwrite: false));

        Assert.Equal("ConfigFileExists", e.ErrorId);
        Assert.Equal(ErrorKind.AlreadyExists, e.Kind);
        Assert.Equal("mine", File.ReadAllText(path));

        ConfigTemplate.Write(path, "k3s", overwrite: true);
        Assert.StartsWith("# kompoxops.yml", File.ReadAllText(path), StringComparison.Ordinal);
        Assert.Single(Directory.GetFiles(temp.Path));
    }

    [Fact]
    public void Unknown_drivers_and_missing_directories_are_refused()
    {
        using var temp = new TempDir();
        Assert.Equal("UnknownDriver", Assert.ThrowsAny<KompoxException>(() => ConfigTemplate.Write(Path.Combine(temp.Path, "k.yml"), "gke", false)).ErrorId);
        Assert.Equal("DirectoryNotFound", Assert.ThrowsAny<KompoxException>(() => ConfigTemplate.Write(Path.Combine(temp.Path, "no", "k.yml"), "aks", false)).ErrorId);
        Assert.Equal("PathIsDirectory", Assert.ThrowsAny<KompoxException>(() => ConfigTemplate.Write(temp.Path, "aks", true)).ErrorId);
        Assert.Empty(Directory.GetFileSystemEntries(temp.Path));
    }
}
