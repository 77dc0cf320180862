using System.Globalization;
using System.Text.RegularExpressions;

namespace Kompox.Model;

/// <summary>
/// The app's CPU and memory budget (<c>app.resources</c>) as Kubernetes quantities. Kubernetes reads units that look
/// familiar differently from what people mean (<c>512m</c> of memory is 0.512 bytes, <c>500M</c> of CPU is 500 million
/// cores), so those are errors with the quantity the writer most likely meant.
/// </summary>
public static partial class Quantities
{
    public const string CpuKey = "cpu";
    public const string MemoryKey = "memory";

    // Kubernetes' quantity grammar: a decimal number with a binary (Ki..Ei) or decimal (n..E) suffix or an exponent.
    [GeneratedRegex(@"^\+?(?<number>[0-9]+(\.[0-9]*)?|\.[0-9]+)(?<suffix>[KMGTPE]i|[numkMGTPE]|[eE][+-]?[0-9]+)?$")]
    private static partial Regex QuantityPattern();

    // What people write instead of a quantity: 1gb, 2g, 512 MB, 0.5cpu, 2 cores.
    [GeneratedRegex(@"^\s*(?<number>[0-9]+(\.[0-9]*)?|\.[0-9]+)\s*(?<unit>[A-Za-z]*)\s*$")]
    private static partial Regex NumberAndUnitPattern();

    private static readonly Dictionary<string, (decimal Factor, string Name)> Suffixes = new(StringComparer.Ordinal)
    {
        [""] = (1m, "one"),
        ["n"] = (0.000000001m, "nano"),
        ["u"] = (0.000001m, "micro"),
        ["m"] = (0.001m, "milli"),
        ["k"] = (1e3m, "kilo"),
        ["M"] = (1e6m, "mega"),
        ["G"] = (1e9m, "giga"),
        ["T"] = (1e12m, "tera"),
        ["P"] = (1e15m, "peta"),
        ["E"] = (1e18m, "exa"),
        ["Ki"] = (1024m, "kibi"),
        ["Mi"] = (1024m * 1024, "mebi"),
        ["Gi"] = (1024m * 1024 * 1024, "gibi"),
        ["Ti"] = (1024m * 1024 * 1024 * 1024, "tebi"),
        ["Pi"] = (1024m * 1024 * 1024 * 1024 * 1024, "pebi"),
        ["Ei"] = (1024m * 1024 * 1024 * 1024 * 1024 * 1024, "exbi"),
    };

    private static readonly string[] CpuWords = { "cpu", "cpus", "core", "cores", "vcpu", "vcpus" };

    /// <summary>The problems of an <c>app.resources</c> mapping, by key path; keys other than cpu and memory are left to the reader.</summary>
    public static IEnumerable<KeyProblem> Check(IEnumerable<KeyValuePair<string, string>> resources)
    {
        foreach (var (key, text) in resources)
        {
            var problem = key switch
            {
                CpuKey => CheckCpu(text, out _),
                MemoryKey => CheckMemory(text, out _),
                _ => null,
            };
            if (problem is not null)
            {
                yield return new KeyProblem($"app.resources.{key}", problem);
            }
        }
    }

    /// <summary>Why <paramref name="text"/> is not a CPU amount, or null with the amount in millicores (rounded up, as Kubernetes does).</summary>
    public static string? CheckCpu(string text, out long millis)
    {
        millis = 0;
        if (!TryParse(text, out var cores, out var suffix))
        {
            return NumberAndUnitPattern().Match(text) is { Success: true } m && CpuHint(m.Groups["number"].Value, m.Groups["unit"].Value) is { } hint
                ? $"'{text}' is not a CPU quantity; did you mean {hint}?"
                : $"'{text}' is not a CPU quantity: write cores (2, 0.5) or millicores (500m)";
        }

        // Mega (M) and mebi (Mi) next to a number of CPUs are millicores mistyped: nobody budgets 500 million cores.
        if (suffix is "M" or "Mi")
        {
            return $"'{text}' is {cores.ToString("N0", CultureInfo.InvariantCulture)} cores ({suffix} means {Suffixes[suffix].Name}); did you mean {Number(text)}m?";
        }

        if (cores <= 0)
        {
            return $"'{text}' must be more than zero";
        }

        if (cores > long.MaxValue / 1000)
        {
            return $"'{text}' is more CPU than Kubernetes can count";
        }

        millis = (long)Math.Ceiling(cores * 1000);
        return null;
    }

    /// <summary>Why <paramref name="text"/> is not an amount of memory, or null with the amount in bytes.</summary>
    public static string? CheckMemory(string text, out long bytes)
    {
        bytes = 0;
        if (!TryParse(text, out var value, out var suffix))
        {
            return NumberAndUnitPattern().Match(text) is { Success: true } m && MemoryHint(m.Groups["number"].Value, m.Groups["unit"].Value) is { } hint
                ? $"'{text}' is not a Kubernetes quantity; did you mean {hint}?"
                : $"'{text}' is not a memory quantity: write bytes with a binary unit (512Mi, 2Gi)";
        }

        if (suffix is "m" or "u" or "n")
        {
            var meant = suffix == "m" ? $"; did you mean {Number(text)}Mi?" : string.Empty;
            return $"'{text}' is {value.ToString(CultureInfo.InvariantCulture)} bytes ({suffix} means {Suffixes[suffix].Name}){meant}";
        }

        if (value <= 0)
        {
            return $"'{text}' must be more than zero";
        }

        if (value != decimal.Truncate(value))
        {
            return $"'{text}' is {value.ToString(CultureInfo.InvariantCulture)} bytes; memory is a whole number of bytes (e.g. 512Mi)";
        }

        if (value > long.MaxValue)
        {
            return $"'{text}' is more memory than Kubernetes can count";
        }

        bytes = (long)value;
        return null;
    }

    private static bool TryParse(string text, out decimal value, out string suffix)
    {
        value = 0;
        suffix = string.Empty;
        var match = QuantityPattern().Match(text);
        if (!match.Success)
        {
            return false;
        }

        var number = decimal.Parse(match.Groups["number"].Value, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture);
        suffix = match.Groups["suffix"].Value;
        decimal factor;
        if (Suffixes.TryGetValue(suffix, out var known))
        {
            factor = known.Factor;
        }
        else if (int.TryParse(suffix[1..], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var exponent) && exponent is >= -18 and <= 18)
        {
            factor = (decimal)Math.Pow(10, exponent);
        }
        else
        {
            return false;
        }

        try
        {
            value = number * factor;
        }
        catch (OverflowException)
        {
            return false;
        }

        return true;
    }

    private static string Number(string text) => QuantityPattern().Match(text).Groups["number"].Value;

    private static string? CpuHint(string number, string unit)
    {
        var lower = unit.ToLowerInvariant();
        if (lower is "m" or "mi" or "millicores" or "mcpu")
        {
            return $"{number}m";
        }

        if (!CpuWords.Contains(lower) || !decimal.TryParse(number, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var cores) || cores <= 0)
        {
            return null;
        }

        var millis = Math.Ceiling(cores * 1000);
        return millis % 1000 == 0 ? (millis / 1000).ToString(CultureInfo.InvariantCulture) : $"{millis.ToString(CultureInfo.InvariantCulture)}m";
    }

    // Docker and most tools read k, m, g (with or without b) as binary units; Kubernetes spells them Ki, Mi, Gi.
    private static string? MemoryHint(string number, string unit) => unit.ToLowerInvariant() switch
    {
        "b" or "byte" or "bytes" => number,
        "k" or "kb" or "ki" or "kib" => $"{number}Ki",
        "m" or "mb" or "mi" or "mib" => $"{number}Mi",
        "g" or "gb" or "gi" or "gib" => $"{number}Gi",
        "t" or "tb" or "ti" or "tib" => $"{number}Ti",
        _ => null,
    };
}
