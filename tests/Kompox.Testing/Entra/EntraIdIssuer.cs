using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Kompox.Testing.FakeArm;

namespace Kompox.Testing.Entra;

/// <summary>What a test asks the issuer to put in (or leave out of) one access token.</summary>
public sealed record EntraTokenRequest
{
    /// <summary>The user's object id (<c>oid</c>; also <c>sub</c> here, as both identify the user to one API).</summary>
    public required string ObjectId { get; init; }

    /// <summary>The <c>aud</c>: for a v2.0 access token the API's application (client) id.</summary>
    public required string Audience { get; init; }

    /// <summary>The tenant that issues it (<c>tid</c>, and the tenant part of <c>iss</c>); null for the issuer's own.</summary>
    public string? TenantId { get; init; }

    /// <summary>When it becomes valid (<c>nbf</c>, <c>iat</c>); null for now.</summary>
    public DateTimeOffset? NotBefore { get; init; }

    /// <summary>How long it is valid after <see cref="NotBefore"/>; Entra ID gives 60 to 90 minutes.</summary>
    public TimeSpan Lifetime { get; init; } = TimeSpan.FromMinutes(75);

    /// <summary>Signs with this key instead of the issuer's published one (a forged token); its <c>kid</c> is the published one's.</summary>
    public RSA? ForgedKey { get; init; }

    /// <summary>An unsecured JWT (RFC 7519 section 6, <c>alg: none</c>) with no signature.</summary>
    public bool Unsigned { get; init; }
}

/// <summary>
/// A model of the Microsoft identity platform (Entra ID) as an API that accepts its tokens sees it, served over HTTPS on
/// 127.0.0.1 and signing with keys of its own. From Microsoft's documentation:
/// - "OpenID Connect on the Microsoft identity platform" (learn.microsoft.com/entra/identity-platform/v2-protocols-oidc,
///   MicrosoftDocs/entra-docs docs/identity-platform/v2-protocols-oidc.md): the metadata document at
///   <c>{authority}/v2.0/.well-known/openid-configuration</c> for a tenant, whose <c>issuer</c> is
///   <c>https://login.microsoftonline.com/{tenant}/v2.0</c> and whose <c>jwks_uri</c> is
///   <c>https://login.microsoftonline.com/{tenant}/discovery/v2.0/keys</c>;
/// - "Microsoft identity platform access tokens" (learn.microsoft.com/entra/identity-platform/access-tokens): a v2.0 access
///   token is a JWT with header <c>typ</c> JWT, <c>alg</c> RS256 and the signing key's <c>kid</c>, and the claims
///   <c>aud</c> (the API's client id), <c>iss</c>, <c>iat</c>/<c>nbf</c>/<c>exp</c>, <c>oid</c>, <c>sub</c>, <c>tid</c>,
///   <c>azp</c>, <c>scp</c>, <c>ver</c> "2.0"; its validation section says the API checks the signature against the keys of
///   the metadata, the issuer, the audience and the lifetime;
/// - "Signing key rollover in the Microsoft identity platform" (learn.microsoft.com/entra/identity-platform/signing-key-rollover):
///   the keys are shared by every tenant (so the issuer is what tells tenants apart), several are published at a time, and
///   a new one can be used at any time: an API that meets an unknown <c>kid</c> reads the keys again.
/// The issuer string is the real one (the metadata served here claims login.microsoftonline.com), as the service compares
/// a token's <c>iss</c> with the metadata's <c>issuer</c>; only the documents' addresses point here.
/// </summary>
public sealed class EntraIdIssuer : IDisposable
{
    public const string Instance = "https://login.microsoftonline.com/";

    private readonly HttpsServer server;
    private readonly object gate = new();
    private readonly List<(string Kid, RSA Key, X509Certificate2 Certificate)> keys = [];
    private int keysServed;
    private TaskCompletionSource keysServedSignal = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public EntraIdIssuer(string? tenantId = null)
    {
        // Empty as null: PowerShell passes $null to a string parameter as "".
        TenantId = string.IsNullOrEmpty(tenantId) ? Guid.NewGuid().ToString() : tenantId;
        server = new HttpsServer(HandleAsync);
        AddKey();
    }

    /// <summary>The issuer's own tenant.</summary>
    public string TenantId { get; }

    /// <summary>The authority an API is configured with for a tenant: <c>https://127.0.0.1:port/{tenant}/v2.0</c> (login.microsoftonline.com's place).</summary>
    public string Authority(string? tenantId = null) => $"{server.Endpoint}{(string.IsNullOrEmpty(tenantId) ? TenantId : tenantId)}/v2.0";

    /// <summary>The <c>iss</c> of the tenant's v2.0 tokens and its metadata's <c>issuer</c>.</summary>
    public static string Issuer(string tenantId) => $"{Instance}{tenantId}/v2.0";

    /// <summary>How many times the key set (the <c>jwks_uri</c>) was read.</summary>
    public int KeysServed => Volatile.Read(ref keysServed);

    /// <summary>A handler that trusts this issuer's TLS certificate and no other, for the API's metadata requests.</summary>
    public HttpClientHandler TrustingHandler() => server.TrustingHandler();

    /// <summary>The TLS certificate, for a process that must trust it (PEM).</summary>
    public string CertificatePem => server.Certificate.ExportCertificatePem();

    /// <summary>Waits until the key set has been read more than <paramref name="count"/> times.</summary>
    public async Task KeysServedAfterAsync(int count)
    {
        while (true)
        {
            Task next;
            lock (gate)
            {
                if (keysServed > count)
                {
                    return;
                }

                next = keysServedSignal.Task;
            }

            await next.ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Publishes a new signing key and signs from now on with it; the old key stays published (Entra ID lists several), so
    /// tokens already issued keep validating.
    /// </summary>
    public string RotateKey() => AddKey();

    /// <summary>A valid access token of this tenant for the user and the API (PowerShell calls this one).</summary>
    public string Issue(string objectId, string audience, string? tenantId = null) =>
        Issue(new EntraTokenRequest { ObjectId = objectId, Audience = audience, TenantId = string.IsNullOrEmpty(tenantId) ? null : tenantId });

    /// <summary>An access token as Entra ID issues one (v2.0, RS256 with the current key unless the request says otherwise).</summary>
    public string Issue(EntraTokenRequest request)
    {
        (string Kid, RSA Key, X509Certificate2 _) current;
        lock (gate)
        {
            current = keys[^1];
        }

        var tenant = request.TenantId ?? TenantId;
        var notBefore = request.NotBefore ?? DateTimeOffset.UtcNow;
        var header = request.Unsigned
            ? new JsonObject { ["typ"] = "JWT", ["alg"] = "none" }
            : new JsonObject { ["typ"] = "JWT", ["alg"] = "RS256", ["kid"] = current.Kid };
        var payload = new JsonObject
        {
            ["aud"] = request.Audience,
            ["iss"] = Issuer(tenant),
            ["iat"] = notBefore.ToUnixTimeSeconds(),
            ["nbf"] = notBefore.ToUnixTimeSeconds(),
            ["exp"] = (notBefore + request.Lifetime).ToUnixTimeSeconds(),
            ["aio"] = Base64Url(RandomNumberGenerator.GetBytes(24)),
            ["azp"] = "04b07795-8ddb-461a-bbee-02f9e1bf7b46",
            ["azpacr"] = "0",
            ["name"] = "Test User",
            ["oid"] = request.ObjectId,
            ["preferred_username"] = "user@example.onmicrosoft.com",
            ["rh"] = "0.test.",
            ["scp"] = "access_as_user",
            ["sub"] = request.ObjectId,
            ["tid"] = tenant,
            ["uti"] = Base64Url(RandomNumberGenerator.GetBytes(16)),
            ["ver"] = "2.0",
        };
        var signingInput = Base64Url(Encoding.UTF8.GetBytes(header.ToJsonString())) + "." + Base64Url(Encoding.UTF8.GetBytes(payload.ToJsonString()));
        if (request.Unsigned)
        {
            // RFC 7519 section 6.1: an unsecured JWT ends with an empty signature.
            return signingInput + ".";
        }

        var signature = (request.ForgedKey ?? current.Key).SignData(Encoding.ASCII.GetBytes(signingInput), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        return signingInput + "." + Base64Url(signature);
    }

    public void Dispose()
    {
        server.Dispose();
        lock (gate)
        {
            foreach (var (_, key, certificate) in keys)
            {
                key.Dispose();
                certificate.Dispose();
            }
        }
    }

    private string AddKey()
    {
        // Entra ID's keys are RSA 2048 with a self-signed certificate in x5c; the kid is the certificate's thumbprint in base64url.
        var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=accounts.accesscontrol.windows.net", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddYears(1));
        var kid = Base64Url(certificate.GetCertHash());
        lock (gate)
        {
            keys.Add((kid, key, certificate));
        }

        return kid;
    }

    private Task<FakeResponse> HandleAsync(FakeRequest request)
    {
        // Paths as login.microsoftonline.com serves them, for any tenant: the documents are public.
        var parts = request.Path.Split('?')[0].Trim('/').Split('/');
        if (request.Method == "GET" && parts is [var tenant, "v2.0", ".well-known", "openid-configuration"])
        {
            return Task.FromResult(FakeResponse.Json(200, Metadata(tenant).ToJsonString()));
        }

        if (request.Method == "GET" && parts is [_, "discovery", "v2.0", "keys"])
        {
            var json = KeySet().ToJsonString();
            lock (gate)
            {
                keysServed++;
                keysServedSignal.TrySetResult();
                keysServedSignal = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            }

            return Task.FromResult(FakeResponse.Json(200, json));
        }

        return Task.FromResult(FakeResponse.Json(404, """{"error":"invalid_request","error_description":"AADSTS90002: not found"}"""));
    }

    private JsonObject Metadata(string tenant) => new()
    {
        ["token_endpoint"] = $"{Instance}{tenant}/oauth2/v2.0/token",
        ["token_endpoint_auth_methods_supported"] = new JsonArray("client_secret_post", "private_key_jwt", "client_secret_basic"),
        ["jwks_uri"] = $"{server.Endpoint}{tenant}/discovery/v2.0/keys",
        ["response_modes_supported"] = new JsonArray("query", "fragment", "form_post"),
        ["subject_types_supported"] = new JsonArray("pairwise"),
        ["id_token_signing_alg_values_supported"] = new JsonArray("RS256"),
        ["response_types_supported"] = new JsonArray("code", "id_token", "code id_token", "id_token token"),
        ["scopes_supported"] = new JsonArray("openid", "profile", "email", "offline_access"),
        ["issuer"] = Issuer(tenant),
        ["request_uri_parameter_supported"] = false,
        ["userinfo_endpoint"] = "https://graph.microsoft.com/oidc/userinfo",
        ["authorization_endpoint"] = $"{Instance}{tenant}/oauth2/v2.0/authorize",
        ["device_authorization_endpoint"] = $"{Instance}{tenant}/oauth2/v2.0/devicecode",
        ["http_logout_supported"] = true,
        ["frontchannel_logout_supported"] = true,
        ["end_session_endpoint"] = $"{Instance}{tenant}/oauth2/v2.0/logout",
        ["claims_supported"] = new JsonArray("sub", "iss", "cloud_instance_name", "cloud_instance_host_name", "cloud_graph_host_name", "msgraph_host", "aud", "exp", "iat", "auth_time", "acr", "nonce", "preferred_username", "name", "tid", "ver", "at_hash", "c_hash", "email"),
        ["kerberos_endpoint"] = $"{Instance}{tenant}/kerberos",
        ["tenant_region_scope"] = "EU",
        ["cloud_instance_name"] = "microsoftonline.com",
        ["cloud_graph_host_name"] = "graph.windows.net",
        ["msgraph_host"] = "graph.microsoft.com",
        ["rbac_url"] = "https://pas.windows.net",
    };

    private JsonObject KeySet()
    {
        var list = new JsonArray();
        lock (gate)
        {
            foreach (var (kid, key, certificate) in keys)
            {
                var parameters = key.ExportParameters(includePrivateParameters: false);
                list.Add(new JsonObject
                {
                    ["kty"] = "RSA",
                    ["use"] = "sig",
                    ["kid"] = kid,
                    ["x5t"] = kid,
                    ["n"] = Base64Url(parameters.Modulus!),
                    ["e"] = Base64Url(parameters.Exponent!),
                    ["x5c"] = new JsonArray(Convert.ToBase64String(certificate.RawData)),
                    ["cloud_instance_name"] = "microsoftonline.com",
                    ["issuer"] = $"{Instance}{{tenantid}}/v2.0",
                });
            }
        }

        return new JsonObject { ["keys"] = list };
    }

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
