using System.Security.Claims;
using System.Text.Encodings.Web;
using Kompox.Service.Store;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace Kompox.Service;

/// <summary>Who calls: the user a bearer token (or an Entra ID token's <c>oid</c>) maps to.</summary>
public static class Caller
{
    public const string Scheme = "Kompox";
    public const string TokenScheme = "KompoxToken";
    public const string EntraScheme = "Entra";
    public const string AdminPolicy = "admin";

    /// <summary>The claim the rate limit partitions by: one per token (its hash), or per Entra user.</summary>
    public const string PartitionClaim = "kompox:partition";

    public static string Name(this ClaimsPrincipal user) => user.Identity?.Name ?? throw new InvalidOperationException("the caller is not authenticated");

    public static bool IsAdmin(this ClaimsPrincipal user) => user.IsInRole(Roles.Admin);

    public static ClaimsIdentity Identity(UserRecord user, string partition, string scheme) => new(
        [new Claim(ClaimTypes.Name, user.Name), new Claim(ClaimTypes.Role, user.Role), new Claim(PartitionClaim, partition)],
        scheme,
        ClaimTypes.Name,
        ClaimTypes.Role);

    public static KompoxException Unauthenticated(string why) => new("Unauthenticated", ErrorKind.Unauthenticated, why);

    public static KompoxException Forbidden(string why) => new("Forbidden", ErrorKind.PermissionDenied, why);
}

/// <summary>Bearer tokens issued by the service (<c>kpx_…</c>), looked up by their SHA-256.</summary>
public sealed class TokenAuthenticationHandler(IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder, ServiceStore store)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        string? header = Request.Headers.Authorization;
        if (string.IsNullOrEmpty(header))
        {
            return Task.FromResult(AuthenticateResult.NoResult());
        }

        if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return Task.FromResult(AuthenticateResult.Fail("not a bearer token"));
        }

        var token = header["Bearer ".Length..].Trim();
        var user = store.UserByToken(token);
        if (user is null)
        {
            return Task.FromResult(AuthenticateResult.Fail("unknown token"));
        }

        var principal = new ClaimsPrincipal(Caller.Identity(user, "t:" + Tokens.Hash(token)[..16], Scheme.Name));
        return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(principal, Scheme.Name)));
    }

    protected override Task HandleChallengeAsync(AuthenticationProperties properties) =>
        Problems.WriteAsync(Context, Caller.Unauthenticated(Request.Headers.Authorization.Count == 0
            ? "the request has no bearer token; send Authorization: Bearer <token>"
            : "the bearer token is not valid (unknown, replaced or malformed)"));

    protected override Task HandleForbiddenAsync(AuthenticationProperties properties) =>
        Problems.WriteAsync(Context, Caller.Forbidden($"user {Context.User.Identity?.Name} may not {Request.Method} {Request.Path}: it needs the administrator role"));
}
