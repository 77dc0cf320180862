namespace Kompox.Testing;

/// <summary>Thrown by <see cref="ManifestValidator.AssertValid"/>; the message lists every error, one per line.</summary>
public sealed class ManifestValidationException : Exception
{
    public ManifestValidationException(IReadOnlyList<ManifestError> errors)
        : base($"{errors.Count} manifest error(s):{Environment.NewLine}{string.Join(Environment.NewLine, errors)}")
    {
        Errors = errors;
    }

    public IReadOnlyList<ManifestError> Errors { get; }
}
