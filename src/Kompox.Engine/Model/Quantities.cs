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
    [GeneratedRegex(@"^\+?(?<number>[0-9]+(\.[0-9]*)?|\.[0-9]+)((?<suffix>[KMGTPE]i|[numkMGTPE])|[eE](?<exponent>[+-]?[0-9]+))?$")]
    private static partial Regex QuantityPattern();

    // What people write instead of a quantity: 1gb, 2g, 512 MB, 0.5cpu, 2 cores.
    [GeneratedRegex(@"^\s*(?<number>[0-9]+(\.[0-9]*)?|\.[0-9]+)\s*(?<unit>[A-Za-z]*)\s*$")]
    private static partial Regex NumberAndUnitPattern();

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
            return $"'{text}' is {cores.ToString("N0", CultureInfo.InvariantCulture)} cores ({suffix} means {SuffixName(suffix)}); did you mean {Number(text)}m?";
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
            return $"'{text}' is {value.ToString(CultureInfo.InvariantCulture)} bytes ({suffix} means {SuffixName(suffix)}){meant}";
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
        var factor = Factor(suffix);
        if (match.Groups["exponent"].Success)
        {
            if (!int.TryParse(match.Groups["exponent"].Value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var exponent) || exponent is < -18 or > 18)
            {
                return false;
            }

            factor = (decimal)Math.Pow(10, exponent);
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

    private static decimal Factor(string suffix) => suffix switch
    {
        "n" => 0.000000001m,
        "u" => 0.000001m,
        "m" => 0.001m,
        "k" => 1e3m,
        "M" => 1e6m,
        "G" => 1e9m,
        "T" => 1e12m,
        "P" => 1e15m,
        "E" => 1e18m,
        "Ki" => 1024m,
        "Mi" => 1024m * 1024,
        "Gi" => 1024m * 1024 * 1024,
        "Ti" => 1024m * 1024 * 1024 * 1024,
        "Pi" => 1024m * 1024 * 1024 * 1024 * 1024,
        "Ei" => 1024m * 1024 * 1024 * 1024 * 1024 * 1024,
        _ => 1m,
    };

    private static string SuffixName(string suffix) => suffix switch
    {
        "n" => "nano",
        "u" => "micro",
        "m" => "milli",
        "M" => "mega",
        _ => "mebi",
    };

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
