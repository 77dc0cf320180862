using System.Text.RegularExpressions;

namespace Kompox.Tests.Yaml;

/// <summary>
/// How a YAML 1.1 reader types a plain scalar: the implicit resolvers of PyYAML (yaml/pyyaml lib/yaml/resolver.py,
/// the yaml.org/type regexps), which, unlike kubectl's Go reader, reads base 60 (<c>1:2</c> is the int 62,
/// <c>190:20:30.15</c> a float). kubectl cannot catch a base-60 number written plain; this can.
/// </summary>
internal static partial class Yaml11Resolver
{
    /// <summary>The tag a YAML 1.1 reader gives <paramref name="plain"/> written without quotes: str, or what it types it as.</summary>
    public static string Resolve(string plain) =>
        plain.Length > 0 && "yYnNtTfFoO".Contains(plain[0]) && Bool().IsMatch(plain) ? "bool"
        : plain.Length > 0 && "-+0123456789.".Contains(plain[0]) && Float().IsMatch(plain) ? "float"
        : plain.Length > 0 && "-+0123456789".Contains(plain[0]) && Int().IsMatch(plain) ? "int"
        : plain == "<<" ? "merge"
        : plain is "" or "~" or "null" or "Null" or "NULL" ? "null"
        : plain.Length > 0 && char.IsAsciiDigit(plain[0]) && Timestamp().IsMatch(plain) ? "timestamp"
        : plain == "=" ? "value"
        : "str";

    [GeneratedRegex(@"^(?:yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF)\z")]
    private static partial Regex Bool();

    [GeneratedRegex(@"^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))\z")]
    private static partial Regex Float();

    [GeneratedRegex(@"^(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+|[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+)\z")]
    private static partial Regex Int();

    [GeneratedRegex(@"^(?:[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]|[0-9][0-9][0-9][0-9]-[0-9][0-9]?-[0-9][0-9]?(?:[Tt]|[ \t]+)[0-9][0-9]?:[0-9][0-9]:[0-9][0-9](?:\.[0-9]*)?(?:[ \t]*(?:Z|[-+][0-9][0-9]?(?::[0-9][0-9])?))?)\z")]
    private static partial Regex Timestamp();
}
