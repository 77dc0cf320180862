namespace Kompox.Drivers;

/// <summary>
/// What Kompox needs from a cloud or cluster flavour. A driver is stateless: whatever it must remember
/// lives in provider tags and namespace annotations.
/// </summary>
public interface IProviderDriver
{
    /// <summary>The value of <c>provider.driver</c>.</summary>
    string Name { get; }

    /// <summary>The settings the driver reads, at every scope.</summary>
    IReadOnlyList<SettingSpec> Settings { get; }
}

public static class ProviderDrivers
{
    public static IReadOnlyList<IProviderDriver> All { get; } = new IProviderDriver[] { new AksDriver(), new K3sDriver() };

    /// <summary>Drivers the spec plans but this version does not have.</summary>
    public static IReadOnlyList<string> Planned { get; } = new[] { "eks", "gke", "oke" };

    public static IProviderDriver? Find(string name) => All.FirstOrDefault(d => d.Name == name);
}
