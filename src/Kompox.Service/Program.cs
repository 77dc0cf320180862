using System.Threading.RateLimiting;
using Kompox;
using Kompox.Drivers;
using Kompox.Kube;
using Kompox.Operations;
using Kompox.Service;
using Kompox.Service.Store;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

var builder = WebApplication.CreateBuilder(args);
var options = builder.Configuration.GetSection(ServiceOptions.Section).Get<ServiceOptions>() ?? new ServiceOptions();
builder.Services.Configure<ServiceOptions>(builder.Configuration.GetSection(ServiceOptions.Section));

// Uploads are streamed to disk and limited by the service itself (MaxUploadBytes), JSON bodies by MaxRequestBodyBytes.
builder.WebHost.ConfigureKestrel(kestrel => kestrel.Limits.MaxRequestBodySize = null);
builder.Services.Configure<JsonOptions>(json => ApiJson.Configure(json.SerializerOptions));
builder.Services.AddOpenApi(openApi => openApi.AddDocumentTransformer((document, _, _) =>
{
    // The document is checked in and compared: nothing in it depends on where the service listens.
    document.Servers?.Clear();
    document.Info.Title = "Kompox";
    document.Info.Version = ServiceApi.Version;
    return Task.CompletedTask;
}));

builder.Services.TryAddSingleton(TimeProvider.System);
builder.Services.AddKeyedSingleton<TimeProvider>(SnapshotPolicyTimer.ClockKey, (services, _) => services.GetRequiredService<TimeProvider>());
builder.Services.AddSingleton<KubeconfigFiles>();
builder.Services.AddSingleton(services =>
{
    var o = services.GetRequiredService<IOptions<ServiceOptions>>().Value;
    if (!Directory.Exists(o.DataPath))
    {
        // The store holds every credential (encrypted) and its key: owner-only.
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(o.DataPath);
        }
        else
        {
            Directory.CreateDirectory(o.DataPath, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
    }

    return ServiceStore.Open(o, SecretBox.Open(o), services.GetRequiredService<KubeconfigFiles>(), services.GetRequiredService<TimeProvider>());
});
builder.Services.AddSingleton(services => new Redactor([services.GetRequiredService<IOptions<ServiceOptions>>().Value.DataPath, services.GetRequiredService<KubeconfigFiles>().Directory]));
builder.Services.AddSingleton<IKubeClientFactory, ServiceKubeClients>();
builder.Services.AddSingleton(services =>
{
    var time = services.GetRequiredService<TimeProvider>();
    return new KompoxContext(services.GetRequiredService<IKubeClientFactory>(), new DriverFactory(time), services.GetRequiredService<ServiceStore>(), time);
});
builder.Services.AddSingleton<OperationRegistry>();
builder.Services.AddSingleton<ServiceApi>();
builder.Services.AddSingleton<SnapshotPolicyTimer>();
builder.Services.AddHostedService(services => services.GetRequiredService<SnapshotPolicyTimer>());

var authentication = builder.Services.AddAuthentication(Caller.Scheme)
    .AddPolicyScheme(Caller.Scheme, "Kompox token or Entra ID", scheme => scheme.ForwardDefaultSelector = http =>
    {
        string? header = http.Request.Headers.Authorization;
        var entra = http.RequestServices.GetRequiredService<IOptions<ServiceOptions>>().Value.Entra.Enabled;
        return entra && header is not null && header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) && !header["Bearer ".Length..].TrimStart().StartsWith(Tokens.Prefix, StringComparison.Ordinal)
            ? Caller.EntraScheme
            : Caller.TokenScheme;
    })
    .AddScheme<AuthenticationSchemeOptions, TokenAuthenticationHandler>(Caller.TokenScheme, null);
if (options.Entra.Enabled)
{
    authentication.AddJwtBearer(Caller.EntraScheme, jwt =>
    {
        jwt.Authority = options.Entra.Authority;
        jwt.Audience = options.Entra.Audience;
        jwt.MapInboundClaims = false;
        jwt.Events = new JwtBearerEvents
        {
            // A valid Entra ID token is a user only when its object id is one a user was given.
            OnTokenValidated = context =>
            {
                var oid = context.Principal?.FindFirst("oid")?.Value;
                var user = oid is null ? null : context.HttpContext.RequestServices.GetRequiredService<ServiceStore>().UserByEntraObjectId(oid);
                if (user is null)
                {
                    context.Fail("no user has this Entra ID object id");
                    return Task.CompletedTask;
                }

                context.Principal = new System.Security.Claims.ClaimsPrincipal(Caller.Identity(user, "e:" + oid, Caller.EntraScheme));
                return Task.CompletedTask;
            },
            OnChallenge = async context =>
            {
                context.HandleResponse();
                await Problems.WriteAsync(context.HttpContext, Caller.Unauthenticated("the Entra ID token is not valid for this service, or no user has its object id"));
            },
            OnForbidden = context => Problems.WriteAsync(context.HttpContext, Caller.Forbidden($"user {context.HttpContext.User.Identity?.Name} may not {context.Request.Method} {context.Request.Path}: it needs the administrator role")),
        };
    });
}

builder.Services.AddAuthorization(authorization => authorization.AddPolicy(Caller.AdminPolicy, policy => policy.RequireRole(Roles.Admin)));
builder.Services.AddRateLimiter(limiter =>
{
    limiter.GlobalLimiter = PartitionedRateLimiter.Create<HttpContext, string>(http =>
        http.User.FindFirst(Caller.PartitionClaim)?.Value is { } partition
            ? RateLimitPartition.GetFixedWindowLimiter(partition, _ => new FixedWindowRateLimiterOptions
            {
                PermitLimit = Math.Max(1, options.RateLimit.PermitsPerMinute),
                Window = TimeSpan.FromMinutes(1),
                QueueLimit = 0,
            })
            : RateLimitPartition.GetNoLimiter(string.Empty));
    limiter.OnRejected = async (context, token) =>
    {
        context.HttpContext.Response.Headers.RetryAfter = "60";
        await Problems.WriteAsync(context.HttpContext, new KompoxException("RateLimited", ErrorKind.Unavailable, $"more than {options.RateLimit.PermitsPerMinute} requests in a minute with this token; wait and try again"));
    };
});

var app = builder.Build();

// The store opens before the service listens: /readyz answers ready once it is open, and a new store's generated
// administrator token is written once, as its own line.
var store = app.Services.GetRequiredService<ServiceStore>();
if (store.GeneratedAdminToken is { } generated)
{
    Console.WriteLine($"Kompox administrator token: {generated}");
}

var api = app.Services.GetRequiredService<ServiceApi>();
foreach (var stale in Directory.EnumerateFiles(api.TransferDirectory))
{
    File.Delete(stale);
}

app.Use((context, next) => Problems.HandleAsync(context, next));
app.UseStatusCodePages(async status =>
{
    // What routing answers itself (no such route, a wrong method) is a problem document too.
    var http = status.HttpContext;
    var code = http.Response.StatusCode;
    if (code is StatusCodes.Status404NotFound or StatusCodes.Status405MethodNotAllowed or StatusCodes.Status415UnsupportedMediaType && !http.Response.HasStarted)
    {
        var why = code == StatusCodes.Status415UnsupportedMediaType
            ? $"{http.Request.Method} {http.Request.Path} does not take {http.Request.ContentType ?? "a body without a content type"}"
            : $"there is no {http.Request.Method} {http.Request.Path}";
        await Problems.WriteAsync(http, new KompoxException("InvalidRequest", code == StatusCodes.Status404NotFound ? ErrorKind.NotFound : ErrorKind.InvalidArgument, why), code);
    }
});
app.UseAuthentication();
app.UseRateLimiter();
app.UseAuthorization();
app.MapOpenApi("/openapi/{documentName}.json").AllowAnonymous();
Endpoints.Map(app);
app.Lifetime.ApplicationStopped.Register(() =>
{
    app.Services.GetRequiredService<KompoxContext>().DisposeAsync().AsTask().GetAwaiter().GetResult();
});

app.Run();

/// <summary>The program, for the in-process tests' WebApplicationFactory.</summary>
public partial class Program;
