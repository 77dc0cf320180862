using Xunit;

namespace Kompox.Tests.Conversion;

// Manifests are written through AtomicFile; the mode matters because they hold the apps' Secrets.
public class AtomicFileTests
{
    [Fact]
    public void A_file_written_with_a_mode_has_it_and_replaces_a_more_open_one()
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        var dir = Directory.CreateTempSubdirectory("kompox-atomic-");
        try
        {
            var path = Path.Combine(dir.FullName, "manifest.yaml");
            File.WriteAllText(path, "old");
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);

            AtomicFile.Write(path, "kind: Secret\n", overwrite: true, UnixFileMode.UserRead | UnixFileMode.UserWrite);

            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
            Assert.Equal("kind: Secret\n", File.ReadAllText(path));
            Assert.Equal(new[] { "manifest.yaml" }, dir.GetFiles().Select(f => f.Name));
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }
}
