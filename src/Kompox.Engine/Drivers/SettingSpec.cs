namespace Kompox.Drivers;

/// <summary>Where a setting is written in kompoxops.yml.</summary>
public enum SettingScope
{
    Provider,
    Cluster,
    App,
}

/// <summary>One key a driver reads from <c>settings</c>; <see cref="Check"/> returns why a value is wrong, or null.</summary>
public sealed record SettingSpec(string Name, SettingScope Scope, bool Required, string Description, Func<string, string?> Check);
