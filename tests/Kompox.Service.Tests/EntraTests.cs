using System.Net;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Kompox.Operations.Remote;
using Kompox.Testing.Entra;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.Extensions.DependencyInjection;
using static Kompox.Service.Tests.ServiceFixture;

namespace Kompox.Service.Tests;

/// <summary>
/// Entra ID access tokens against the model of the Microsoft identity platform in tests/Kompox.Testing/Entra
/// (EntraIdIssuer: the v2.0 metadata and key set, v2.0 access tokens as "Microsoft identity platform access tokens" and
/// "OpenID Connect on the Microsoft identity platform" on learn.microsoft.com describe them). The service is configured as
/// a deployment is (Kompox:Entra:Authority of one tenant, Kompox:Entra:Audience the API's client id); the host trusts the
/// issuer's certificate as a machine trusts login.microsoftonline.com's.
/// </summary>
public sealed class EntraTests : IAsyncLifetime
{
    private const string ClientId = "6e74172b-be56-4843-9ff4-e66a39bb12e3";
    private static readonly string AliceOid = Guid.NewGuid().ToString();
    private static readonly string BobOid = Guid.NewGuid().ToString();

    private readonly EntraIdIssuer issuer = new();
    private ServiceFixture service = null!;

    public async Task InitializeAsync()
    {
        service = await StartAsync(
            new Dictionary<string, string?> { ["Kompox:Entra:Authority"] = issuer.Authority(), ["Kompox:Entra:Audience"] = ClientId },
            services => services.Configure<JwtBearerOptions>(Caller.EntraScheme, jwt => jwt.BackchannelHttpHandler = issuer.TrustingHandler())).Within();
        await service.AddClusterAsync(initialize: false).Within();
        await Send(service.Admin, HttpMethod.Post, "/v1/users", new JsonObject { ["name"] = "alice", ["role"] = "user", ["entraObjectId"] = AliceOid }, HttpStatusCode.Created).Within();
        await Send(service.Admin, HttpMethod.Post, "/v1/users", new JsonObject { ["name"] = "bob", ["role"] = "user", ["entraObjectId"] = BobOid }, HttpStatusCode.Created).Within();
    }

    public async Task DisposeAsync()
    {
        await service.DisposeAsync().Within();
        issuer.Dispose();
    }

    [Fact]
    public async Task A_valid_token_acts_as_the_user_its_oid_names_and_sees_no_other_tenants_app()
    {
        var alice = service.Client(Token(AliceOid));
        var bob = service.Client(Token(BobOid));

        var made = await service.CreateAppAsync(alice, "web").Within();
        Assert.Equal("alice", made["owner"]!.GetValue<string>());
        Assert.Equal("web", Assert.Single(await ListAsync(alice, "/v1/apps").Within())!["name"]!.GetValue<string>());

        // bob's token is as valid as alice's: alice's app is not there for him, never forbidden.
        await ProblemAsync(bob, HttpMethod.Get, "/v1/apps/web", null, HttpStatusCode.NotFound, "AppNotFound").Within();
        await ProblemAsync(bob, HttpMethod.Get, "/v1/apps/web/snapshots", null, HttpStatusCode.NotFound, "AppNotFound").Within();
        Assert.Empty(await ListAsync(bob, "/v1/apps").Within());

        // A user, not an administrator: the admin routes are 403 for an Entra ID user as for a token's.
        await ProblemAsync(alice, HttpMethod.Get, "/v1/users", null, HttpStatusCode.Forbidden, "Forbidden").Within();
    }

    public static TheoryData<string> Refused => ["unknown oid", "wrong audience", "other tenant", "expired", "not yet valid", "another key", "alg none", "not a JWT"];

    [Theory]
    [MemberData(nameof(Refused))]
    public async Task A_token_the_service_must_not_accept_is_401_with_a_problem_and_changes_nothing(string why)
    {
        using var other = RSA.Create(2048);
        var now = DateTimeOffset.UtcNow;
        var request = new EntraTokenRequest { ObjectId = AliceOid, Audience = ClientId };
        var token = why switch
        {
            "unknown oid" => issuer.Issue(request with { ObjectId = Guid.NewGuid().ToString() }),
            "wrong audience" => issuer.Issue(request with { Audience = Guid.NewGuid().ToString() }),

            // The same keys sign every tenant's tokens: only the issuer tells another tenant's token apart.
            "other tenant" => issuer.Issue(request with { TenantId = Guid.NewGuid().ToString() }),

            // Beyond JwtBearer's clock skew (5 minutes, TokenValidationParameters.DefaultClockSkew).
            "expired" => issuer.Issue(request with { NotBefore = now.AddHours(-2), Lifetime = TimeSpan.FromHours(1) }),
            "not yet valid" => issuer.Issue(request with { NotBefore = now.AddHours(1) }),
            "another key" => issuer.Issue(request with { ForgedKey = other }),
            "alg none" => issuer.Issue(request with { Unsigned = true }),
            _ => "eyJhbGciOi.not-a-jwt",
        };
        var client = service.Client(token);

        var problem = await ProblemAsync(client, HttpMethod.Get, "/v1/apps", null, HttpStatusCode.Unauthorized, "Unauthenticated").Within();
        Assert.Contains("Entra ID", problem["detail"]!.GetValue<string>(), StringComparison.Ordinal);
        await ProblemAsync(client, HttpMethod.Post, "/v1/apps", new JsonObject { ["name"] = "web", ["cluster"] = "lab", ["compose"] = WebCompose }.ToJsonString(), HttpStatusCode.Unauthorized, "Unauthenticated").Within();
        Assert.Empty(await ListAsync(service.Admin, "/v1/apps").Within());

        // The same request with a valid token goes through, so what was refused is the token.
        Assert.Empty(await ListAsync(service.Client(Token(AliceOid)), "/v1/apps").Within());
    }

    [Fact]
    public async Task A_new_signing_key_is_read_from_the_key_set_when_a_token_names_it()
    {
        var alice = service.Client(Token(AliceOid));
        Assert.Empty(await ListAsync(alice, "/v1/apps").Within());
        var read = issuer.KeysServed;

        issuer.RotateKey();
        var rotated = service.Client(Token(AliceOid));

        // The first token with an unknown kid makes JwtBearer ask its ConfigurationManager for the keys again
        // (JwtBearerHandler: RefreshOnIssuerKeyNotFound); the key set is read once more...
        var (first, _, _) = await RawAsync(rotated, HttpMethod.Get, "/v1/apps", null).Within();
        await issuer.KeysServedAfterAsync(read).Within();

        // ...and applied on the ConfigurationManager's own task, which gives no signal: from then on the new key's tokens
        // are accepted. Asked again until they are; the bound turns "never" into a failure, not a time to do it in.
        async Task AcceptedAsync()
        {
            for (var status = first; status != HttpStatusCode.OK;)
            {
                await Task.Yield();
                (status, _, _) = await RawAsync(rotated, HttpMethod.Get, "/v1/apps", null).Within();
            }
        }

        await AcceptedAsync().Within();

        // Tokens signed before the rotation keep working: the old key is still published.
        Assert.Empty(await ListAsync(alice, "/v1/apps").Within());
    }

    [Fact]
    public async Task The_services_own_tokens_keep_working_beside_Entra_ID()
    {
        var token = (await Send(service.Admin, HttpMethod.Post, "/v1/users/alice/token", null, HttpStatusCode.OK).Within())["token"]!.GetValue<string>();
        var byToken = service.Client(token);
        var byEntra = service.Client(Token(AliceOid));

        await service.CreateAppAsync(byToken, "web").Within();

        // One user, two ways in: each sees the same app.
        Assert.Equal("alice", (await Send(byEntra, HttpMethod.Get, "/v1/apps/web", null, HttpStatusCode.OK).Within())["owner"]!.GetValue<string>());
        Assert.Equal("alice", (await Send(byToken, HttpMethod.Get, "/v1/apps/web", null, HttpStatusCode.OK).Within())["owner"]!.GetValue<string>());
        await ProblemAsync(service.Client("kpx_not-a-token-of-this-service"), HttpMethod.Get, "/v1/apps", null, HttpStatusCode.Unauthorized, "Unauthenticated").Within();
    }

    [Fact]
    public async Task Client_mode_connects_with_an_Entra_ID_access_token_and_a_refused_one_is_the_same_error_as_locally()
    {
        // ServiceClient is what Connect-KompoxService -Token builds: the token is sent as it is, whatever it is.
        using var client = new ServiceClient(new Uri("http://localhost/"), Token(AliceOid), service.Handler());
        await service.CreateAppAsync(service.Client(Token(AliceOid)), "web").Within();

        Assert.Equal("kompox", (await client.GetServiceAsync(CancellationToken.None).Within()).Name);
        Assert.Equal("web", Assert.Single(await client.ListAppsAsync(null, CancellationToken.None).Within()).Name);

        using var stranger = new ServiceClient(new Uri("http://localhost/"), issuer.Issue(new EntraTokenRequest { ObjectId = Guid.NewGuid().ToString(), Audience = ClientId }), service.Handler());
        var error = await Assert.ThrowsAsync<KompoxException>(() => stranger.GetServiceAsync(CancellationToken.None).Within());
        Assert.Equal(("Unauthenticated", ErrorKind.Unauthenticated), (error.ErrorId, error.Kind));
    }

    private string Token(string oid) => issuer.Issue(new EntraTokenRequest { ObjectId = oid, Audience = ClientId });
}
