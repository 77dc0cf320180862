using System.Globalization;
using System.Text.RegularExpressions;

namespace Kompox.Compose;

/// <summary>Compose's duration (<c>1m30s</c>) and byte size (<c>512m</c>, <c>1gb</c>) notations.</summary>
internal static partial class Units
{
    [GeneratedRegex(@"\G(\d+(?:\.\d+)?|\.\d+)(ns|us|µs|ms|s|m|h)")]
    private static partial Regex DurationPart();

    [GeneratedRegex(@"^(\d+(?:\.\d+)?)\s*([kmgt]?)(b|ib|i)?$", RegexOptions.IgnoreCase)]
    private static partial Regex ByteSizePattern();

    /// <summary>Go-style durations: one or more number+unit pairs (<c>ns us ms s m h</c>), e.g. <c>1h2m3.5s</c>.</summary>
    public static bool TryParseDuration(string text, out TimeSpan duration)
    {
        duration = TimeSpan.Zero;
        var s = text.Trim();
        if (s.Length == 0)
        {
            return false;
        }

        var position = 0;
        decimal ticks = 0;
        while (position < s.Length)
        {
            var match = DurationPart().Match(s, position);
            if (!match.Success)
            {
                return false;
            }

            var number = decimal.Parse(match.Groups[1].Value, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture);
            var ticksPerUnit = match.Groups[2].Value switch
            {
                "ns" => 0.01m,
                "us" or "µs" => 10m,
                "ms" => TimeSpan.TicksPerMillisecond,
                "s" => TimeSpan.TicksPerSecond,
                "m" => TimeSpan.TicksPerMinute,
                _ => TimeSpan.TicksPerHour,
            };
            ticks += number * ticksPerUnit;
            if (ticks > TimeSpan.MaxValue.Ticks)
            {
                return false;
            }

            position += match.Length;
        }

        duration = TimeSpan.FromTicks((long)Math.Round(ticks));
        return true;
    }

    /// <summary>Sizes with binary units: <c>1024</c>, <c>64k</c>, <c>512m</c>, <c>1g</c>, <c>1gb</c>, <c>300M</c>, <c>2Gi</c>.</summary>
    public static bool TryParseByteSize(string text, out long bytes)
    {
        bytes = 0;
        var match = ByteSizePattern().Match(text.Trim());
        if (!match.Success)
        {
            return false;
        }

        var number = decimal.Parse(match.Groups[1].Value, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture);
        var multiplier = match.Groups[2].Value.ToLowerInvariant() switch
        {
            "k" => 1024m,
            "m" => 1024m * 1024,
            "g" => 1024m * 1024 * 1024,
            "t" => 1024m * 1024 * 1024 * 1024,
            _ => 1m,
        };

        // "ib" without a unit letter ("5ib") is not a size.
        if (match.Groups[2].Value.Length == 0 && match.Groups[3].Value.StartsWith("i", StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        var value = number * multiplier;
        if (value > long.MaxValue)
        {
            return false;
        }

        bytes = (long)Math.Round(value);
        return true;
    }

    /// <summary>A file mode: octal when written with a leading 0 or 0o (<c>0440</c>, <c>0o440</c>), as compose reads it; decimal otherwise.</summary>
    public static bool TryParseMode(string text, out int mode)
    {
        mode = 0;
        var s = text.Trim();
        string digits;
        int radix;
        if (s.StartsWith("0o", StringComparison.OrdinalIgnoreCase))
        {
            (digits, radix) = (s[2..], 8);
        }
        else if (s.Length > 1 && s[0] == '0')
        {
            (digits, radix) = (s[1..], 8);
        }
        else
        {
            (digits, radix) = (s, 10);
        }

        if (digits.Length == 0 || digits.Length > 6 || !digits.All(c => c >= '0' && c <= (radix == 8 ? '7' : '9')))
        {
            return false;
        }

        mode = Convert.ToInt32(digits, radix);
        // 07777: permission bits plus setuid, setgid and sticky.
        return mode <= 4095;
    }
}
