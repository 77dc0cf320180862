using Kompox.Drivers;

namespace Kompox.Config;

/// <summary>The commented kompoxops.yml a new user starts from (draft command <c>kompoxops init</c>).</summary>
public static class ConfigTemplate
{
    public static string For(string driver)
    {
        if (ProviderDrivers.Find(driver) is null)
        {
            throw new KompoxException("UnknownDriver", ErrorKind.InvalidArgument, $"unknown driver '{driver}'; use one of: {string.Join(", ", ProviderDrivers.All.Select(d => d.Name))}") { Target = driver };
        }

        using var stream = typeof(ConfigTemplate).Assembly.GetManifestResourceStream($"Kompox.Config.Templates.{driver}.yml")
            ?? throw new InvalidOperationException($"the template for driver '{driver}' is missing from the engine assembly");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    /// <summary>Writes the template to <paramref name="path"/>, whole or not at all, and never over an existing file unless <paramref name="overwrite"/>.</summary>
    public static FileInfo Write(string path, string driver, bool overwrite)
    {
        var text = For(driver);
        return AtomicFile.Write(EnsureWritable(path, overwrite), text, overwrite);
    }

    /// <summary>Fails the way <see cref="Write"/> would before anything is written; returns the full path.</summary>
    public static string EnsureWritable(string path, bool overwrite)
    {
        var full = Path.GetFullPath(path);
        if (Directory.Exists(full))
        {
            throw new KompoxException("PathIsDirectory", ErrorKind.InvalidArgument, $"{path} is a directory; give the path of the file to write, e.g. {Path.Combine(path, KompoxConfig.DefaultFileName)}") { Target = path };
        }

        if (File.Exists(full) && !overwrite)
        {
            throw new KompoxException("ConfigFileExists", ErrorKind.AlreadyExists, $"{path} already exists; use -Force to overwrite it") { Target = path };
        }

        return AtomicFile.InExistingDirectory(full);
    }
}
