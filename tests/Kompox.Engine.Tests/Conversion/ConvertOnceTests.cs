using Kompox.Compose;
using Kompox.Conversion;
using Kompox.Drivers;
using Kompox.Tests.Apps;

namespace Kompox.Tests.Conversion;

/// <summary>
/// A deploy converts the compose project once, before it knows the disk (a first deploy makes the disk later), and adds
/// the disk's PersistentVolume and claim when it has it: that must give exactly the objects converting on the disk gives.
/// </summary>
public class ConvertOnceTests
{
    public static TheoryData<string> GoldenApps() => AppCorpus.Folders("apps");

    [Theory]
    [MemberData(nameof(GoldenApps))]
    public void Adding_the_disk_to_the_deploy_conversion_gives_the_conversion_on_the_disk(string name)
    {
        var app = AppCorpus.Load("apps", name).App;
        var project = ComposeLoader.Load(app.Compose, app.ComposePath!, Path.GetDirectoryName(app.ComposePath), app.Name, new Dictionary<string, string>(), Array.Empty<string>());
        var disk = new DiskInfo(DiskId(app, "20250811123456-abc123"), app.Id, DateTimeOffset.UnixEpoch, 7L << 30);
        const string node = "node-7";

        var onDisk = AppConverter.Convert(app, project, disk, new AppConversionOptions { NodeName = node });
        var withoutDisk = AppConverter.Convert(app, project, (string?)null, new AppConversionOptions { DiskCreatedAtDeploy = true });
        var added = AppConverter.WithDisk(app, withoutDisk, disk, node);

        Assert.DoesNotContain(withoutDisk.Objects, o => o.Kind is "PersistentVolume" or "PersistentVolumeClaim");
        Assert.Equal(ManifestWriter.Write(onDisk.Objects), ManifestWriter.Write(added.Objects));

        // Adding again (a plan re-based on another disk) replaces, never duplicates.
        var other = disk with { Id = DiskId(app, "20250812000000-zzz999") };
        Assert.Equal(ManifestWriter.Write(AppConverter.Convert(app, project, other, new AppConversionOptions { NodeName = node }).Objects), ManifestWriter.Write(AppConverter.WithDisk(app, added, other, node).Objects));
    }

    /// <summary>A disk id of the app's driver: a directory name on k3s, a managed disk's resource id on aks.</summary>
    private static string DiskId(Model.KompoxApp app, string suffix) =>
        app.Cluster.Provider.Driver == "aks"
            ? $"/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-apps/providers/Microsoft.Compute/disks/{app.Name}-{suffix}"
            : $"{app.Name}-{suffix}";
}
