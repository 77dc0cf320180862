using Kompox.Model;

namespace Kompox.Drivers;

/// <summary>Where a setting is written in kompoxops.yml.</summary>
public enum SettingScope
{
    Provider,
    Cluster,
    App,
}

/// <summary>One key a driver reads from <c>settings</c>; <see cref="Check"/> returns why a value is wrong, or null.</summary>
public sealed record SettingSpec(string Name, SettingScope Scope, bool Required, string Description, Func<string, string?> Check)
{
    /// <summary>
    /// The problems of one <c>settings</c> mapping under the driver's rules, by key path (<c>app.settings.AZURE_DISK_SIZE</c>):
    /// a wrong value or a missing required key is an error; a key the driver does not read at this scope is a warning,
    /// because it is most likely misspelt or written at the wrong level.
    /// </summary>
    public static IEnumerable<KeyProblem> CheckAll(IProviderDriver driver, SettingScope scope, IReadOnlyDictionary<string, string> settings)
    {
        var level = scope.ToString().ToLowerInvariant();
        var section = $"{level}.settings";
        var specs = driver.Settings.Where(s => s.Scope == scope).ToList();
        foreach (var (key, value) in settings.OrderBy(e => e.Key, StringComparer.Ordinal))
        {
            var spec = specs.FirstOrDefault(s => s.Name == key);
            if (spec is null)
            {
                var known = specs.Count == 0 ? "it reads none here" : $"it reads {string.Join(", ", specs.Select(s => s.Name))}";
                yield return new KeyProblem($"{section}.{key}", $"driver '{driver.Name}' does not read this setting at {level} level ({known})", Severity.Warning);
            }
            else if (spec.Check(value) is { } problem)
            {
                yield return new KeyProblem($"{section}.{key}", problem);
            }
        }

        foreach (var spec in specs.Where(s => s.Required && !settings.ContainsKey(s.Name)))
        {
            yield return new KeyProblem($"{section}.{spec.Name}", $"is required by driver '{driver.Name}' ({spec.Description})");
        }
    }
}
