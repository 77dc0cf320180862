using System.Numerics;
using System.Text.RegularExpressions;

namespace Kompox.Testing;

/// <summary>
/// A Kubernetes resource quantity ("500m", "1.5Gi", "1e3") held exactly as
/// mantissa × 10^decimalExponent × 2^binaryExponent, so that requests and limits compare without rounding.
/// k8s.Models.ResourceQuantity is not used for the syntax check because it accepts text the apiserver
/// rejects (" 1", "1 Gi").
/// </summary>
internal sealed partial class Quantity : IComparable<Quantity>
{
    // Beyond this the apiserver's own int64 scaled values overflow; refusing keeps BigInteger.Pow bounded.
    private const int MaxDecimalExponentMagnitude = 64;

    private static readonly Dictionary<string, int> DecimalSuffixExponents = new(StringComparer.Ordinal)
    {
        [""] = 0, ["n"] = -9, ["u"] = -6, ["m"] = -3, ["k"] = 3, ["M"] = 6, ["G"] = 9, ["T"] = 12, ["P"] = 15, ["E"] = 18,
    };

    private static readonly Dictionary<string, int> BinarySuffixExponents = new(StringComparer.Ordinal)
    {
        ["Ki"] = 10, ["Mi"] = 20, ["Gi"] = 30, ["Ti"] = 40, ["Pi"] = 50, ["Ei"] = 60,
    };

    // <signedNumber><suffix>; the suffix is a binary SI suffix, a decimal SI suffix, or an e/E exponent.
    [GeneratedRegex(@"^(?<sign>[+-]?)(?<int>[0-9]*)(?:\.(?<frac>[0-9]*))?(?:(?<bin>Ki|Mi|Gi|Ti|Pi|Ei)|[eE](?<exp>[+-]?[0-9]+)|(?<dec>[numkMGTPE]?))$")]
    private static partial Regex QuantityRegex();

    private readonly BigInteger mantissa;
    private readonly int decimalExponent;
    private readonly int binaryExponent;

    private Quantity(BigInteger mantissa, int decimalExponent, int binaryExponent)
    {
        this.mantissa = mantissa;
        this.decimalExponent = decimalExponent;
        this.binaryExponent = binaryExponent;
    }

    public const string SyntaxMessage = "must match the regex '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";

    public static Quantity Zero { get; } = new(BigInteger.Zero, 0, 0);

    public int Sign => mantissa.Sign;

    public bool IsInteger
    {
        get
        {
            var (numerator, denominator) = AsFraction();
            return BigInteger.Remainder(numerator, denominator).IsZero;
        }
    }

    public static bool TryParse(string? text, out Quantity quantity)
    {
        quantity = Zero;
        if (string.IsNullOrEmpty(text))
        {
            return false;
        }
        var match = QuantityRegex().Match(text);
        if (!match.Success)
        {
            return false;
        }
        var integerDigits = match.Groups["int"].Value;
        var fractionDigits = match.Groups["frac"].Value;
        if (integerDigits.Length == 0 && fractionDigits.Length == 0)
        {
            return false;
        }

        var decimalExponent = -fractionDigits.Length;
        var binaryExponent = 0;
        if (match.Groups["bin"].Success)
        {
            binaryExponent = BinarySuffixExponents[match.Groups["bin"].Value];
        }
        else if (match.Groups["exp"].Success)
        {
            if (!int.TryParse(match.Groups["exp"].Value, out var exponent) || Math.Abs(exponent) > MaxDecimalExponentMagnitude)
            {
                return false;
            }
            decimalExponent += exponent;
        }
        else
        {
            decimalExponent += DecimalSuffixExponents[match.Groups["dec"].Value];
        }

        var mantissa = BigInteger.Parse("0" + integerDigits + fractionDigits, System.Globalization.CultureInfo.InvariantCulture);
        if (match.Groups["sign"].Value == "-")
        {
            mantissa = -mantissa;
        }
        quantity = new Quantity(mantissa, decimalExponent, binaryExponent);
        return true;
    }

    public int CompareTo(Quantity? other)
    {
        if (other is null)
        {
            return 1;
        }
        var (leftNumerator, leftDenominator) = AsFraction();
        var (rightNumerator, rightDenominator) = other.AsFraction();
        return (leftNumerator * rightDenominator).CompareTo(rightNumerator * leftDenominator);
    }

    private (BigInteger Numerator, BigInteger Denominator) AsFraction()
    {
        var numerator = mantissa * BigInteger.Pow(2, binaryExponent);
        var denominator = BigInteger.One;
        if (decimalExponent >= 0)
        {
            numerator *= BigInteger.Pow(10, decimalExponent);
        }
        else
        {
            denominator = BigInteger.Pow(10, -decimalExponent);
        }
        return (numerator, denominator);
    }
}
