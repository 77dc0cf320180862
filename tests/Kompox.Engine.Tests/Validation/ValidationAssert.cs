using Kompox.Testing;
using Xunit;

namespace Kompox.Tests.Validation;

internal static class ValidationAssert
{
    /// <summary>
    /// The app is rejected, every error points at exactly the one field the test broke, and one of them
    /// says why. Requiring all errors on that field keeps a mutation from passing because of some other fault.
    /// </summary>
    public static void Rejected(BaselineApp app, string kind, string field, string messageFragment)
    {
        var errors = ManifestValidator.Validate(app.Objects);
        Assert.NotEmpty(errors);
        Assert.All(errors, error =>
        {
            Assert.Equal(kind, error.Kind);
            Assert.Equal(field, error.Field);
        });
        Assert.True(
            errors.Any(error => error.Message.Contains(messageFragment, StringComparison.Ordinal)),
            $"no error says '{messageFragment}':{Environment.NewLine}{string.Join(Environment.NewLine, errors)}");
    }

    public static void Accepted(BaselineApp app)
    {
        var errors = ManifestValidator.Validate(app.Objects);
        Assert.True(errors.Count == 0, string.Join(Environment.NewLine, errors));
    }
}
