using System.Text.RegularExpressions;

namespace Kompox.Compose;

/// <summary>
/// Docker's image reference grammar (github.com/distribution/reference, regexp.go):
/// <c>[domain[:port]/]path[:tag][@digest]</c> with lowercase path components joined by <c>.</c>, <c>_</c>, <c>__</c>
/// or dashes, a tag of <c>[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}</c>, and a digest <c>algorithm:hex</c>.
/// </summary>
internal static partial class ImageReference
{
    // The name, without tag or digest, is at most 255 characters (reference.NameTotalLengthMax).
    private const int MaxNameLength = 255;

    private const string DomainComponent = "(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])";
    private const string Domain = "(?:" + DomainComponent + "(?:\\." + DomainComponent + ")*|\\[[a-fA-F0-9:]+\\])(?::[0-9]+)?";
    private const string PathComponent = "[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*";
    private const string Tag = "[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}";
    private const string Digest = "[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}";

    [GeneratedRegex("^(?<name>(?:" + Domain + "/)?" + PathComponent + "(?:/" + PathComponent + ")*)(?::" + Tag + ")?(?:@" + Digest + ")?$", RegexOptions.ExplicitCapture)]
    private static partial Regex Reference();

    /// <summary>Why <paramref name="image"/> is not a valid reference, or null when it is.</summary>
    public static string? Problem(string image)
    {
        if (image.Length == 0)
        {
            return "is empty; name an image like nginx:1.27 or ghcr.io/owner/app:tag";
        }

        var match = Reference().Match(image);
        if (match.Success)
        {
            return match.Groups["name"].Length > MaxNameLength ? $"the repository name is longer than {MaxNameLength} characters" : null;
        }

        var repository = image.Split('@')[0];
        var lastSlash = repository.LastIndexOf('/');
        var colon = repository.IndexOf(':', lastSlash + 1);
        var path = colon < 0 ? repository : repository[..colon];
        var pathAfterDomain = path.Contains('/', StringComparison.Ordinal) && path.Split('/')[0] is var first && (first.Contains('.') || first.Contains(':') || first == "localhost")
            ? path[(path.IndexOf('/', StringComparison.Ordinal) + 1)..]
            : path;
        if (pathAfterDomain.Any(char.IsUpper))
        {
            return $"'{image}' is not a valid image reference: the repository name must be lowercase";
        }

        if (colon >= 0 && colon == repository.Length - 1)
        {
            return $"'{image}' is not a valid image reference: the tag after ':' is empty (a variable that is not set?)";
        }

        return $"'{image}' is not a valid image reference; write it like [registry[:port]/]name[:tag][@digest], with a lowercase name and a tag of letters, digits, '_', '.' and '-'";
    }
}
