using Xunit;
using Kompox.Compose;

namespace Kompox.Tests.Compose;

public class InterpolationTests
{
    private static readonly Dictionary<string, string> Vars = new() { ["A"] = "a", ["EMPTY"] = "", ["B"] = "b" };

    [Theory]
    [InlineData("x${A}y", "xay")]
    [InlineData("$A-$B", "a-b")]
    [InlineData("${MISSING}", "")]
    [InlineData("${MISSING:-d}", "d")]
    [InlineData("${EMPTY:-d}", "d")]
    [InlineData("${EMPTY-d}", "")]
    [InlineData("${MISSING-d}", "d")]
    [InlineData("${A:+r}", "r")]
    [InlineData("${EMPTY:+r}", "")]
    [InlineData("${EMPTY+r}", "r")]
    [InlineData("${MISSING+r}", "")]
    [InlineData("$$A", "$A")]
    [InlineData("cost: $$5", "cost: $5")]
    [InlineData("${MISSING:-${B}}", "b")]
    [InlineData("${MISSING:-${ALSO_MISSING:-deep}}", "deep")]
    [InlineData("${A:-${NOPE:?unused}}", "a")]
    [InlineData("${MISSING:-{x}}", "{x}")]
    [InlineData("no dollars", "no dollars")]
    public void Expands(string text, string expected) => Assert.Equal(expected, Interpolation.Expand(text, Vars));

    [Theory]
    [InlineData("${MISSING:?set it}", "required variable MISSING is missing: set it")]
    [InlineData("${EMPTY:?set it}", "required variable EMPTY is empty: set it")]
    [InlineData("${MISSING?}", "required variable MISSING is missing")]
    public void RequiredVariablesFail(string text, string message) =>
        Assert.Equal(message, Assert.Throws<InterpolationException>(() => Interpolation.Expand(text, Vars)).Message);

    [Fact]
    public void EmptyButSetPassesTheNonColonRequiredForm() => Assert.Equal(string.Empty, Interpolation.Expand("${EMPTY?x}", Vars));

    [Theory]
    [InlineData("${A")]
    [InlineData("${}")]
    [InlineData("${1A}")]
    [InlineData("price $5")]
    [InlineData("end $")]
    [InlineData("${A:x}")]
    public void MalformedExpressionsFail(string text) => Assert.Throws<InterpolationException>(() => Interpolation.Expand(text, Vars));
}
