using Kompox.Compose;
using Kompox.Config;
using Kompox.Conversion;
using Kompox.Operations;

namespace Kompox.Tests.Apps;

/// <summary>The app folders under tests/data and how the tests validate them: no process environment leaks in.</summary>
internal static class AppCorpus
{
    public static TheoryData<string> Folders(string corpus)
    {
        var data = new TheoryData<string>();
        foreach (var dir in Directory.GetDirectories(RepoPaths.Data(corpus)).Order(StringComparer.Ordinal))
        {
            data.Add(Path.GetFileName(dir));
        }

        return data;
    }

    public static ConfigResult Load(string corpus, string name) =>
        KompoxConfig.Load(RepoPaths.Data(corpus, name, "kompoxops.yml"), $"{name}/kompoxops.yml");

    /// <summary>A disk id of the app's driver, as its first disk would have.</summary>
    public static string DiskId(ConfigResult config) => config.Provider.Driver switch
    {
        "aks" => $"/subscriptions/{config.Provider.Settings["AZURE_SUBSCRIPTION_ID"]}/resourceGroups/{config.App.Settings["AZURE_RESOURCE_GROUP_NAME"]}/providers/Microsoft.Compute/disks/{config.App.Name}-disk-1",
        _ => $"{config.App.Name}-disk-1",
    };

    public static AppValidation Validate(ConfigResult config, string? diskId) =>
        AppValidator.Validate(config.App, new AppValidationOptions { DiskId = diskId });

    /// <summary>The objects <see cref="Validate"/> writes, for the tests that compare the written YAML with its source.</summary>
    public static AppManifest Convert(ConfigResult config, string? diskId)
    {
        var app = config.App;
        var project = ComposeLoader.Load(app.Compose, app.ComposePath!, Path.GetDirectoryName(app.ComposePath)!, app.Name, new Dictionary<string, string>(), Array.Empty<string>());
        return AppConverter.Convert(app, project, diskId);
    }

    /// <summary>A diagnostic as a user reads it, with the repository's location taken out so expectations travel.</summary>
    public static string Show(Diagnostic d) => d.ToString().Replace(RepoPaths.Data() + Path.DirectorySeparatorChar, string.Empty, StringComparison.Ordinal);
}
