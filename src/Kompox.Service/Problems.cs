using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Kompox.Service.Store;

namespace Kompox.Service;

/// <summary>The JSON every endpoint reads and writes: camelCase, enums as strings, nulls left out, unknown fields refused.</summary>
public static class ApiJson
{
    public static JsonSerializerOptions Options { get; } = Configure(new JsonSerializerOptions(JsonSerializerDefaults.Web));

    public static JsonSerializerOptions Configure(JsonSerializerOptions options)
    {
        options.PropertyNamingPolicy = JsonNamingPolicy.CamelCase;
        options.DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull;
        options.UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow;
        options.RespectRequiredConstructorParameters = true;
        options.RespectNullableAnnotations = true;
        if (!options.Converters.OfType<JsonStringEnumConverter>().Any())
        {
            options.Converters.Add(new JsonStringEnumConverter());
        }

        return options;
    }

    /// <summary>
    /// Reads a JSON request body of at most <see cref="ServiceOptions.MaxRequestBodyBytes"/>: anything that is not one
    /// object of <typeparamref name="T"/> (malformed, an unknown or missing field, a wrong type) is <c>InvalidRequest</c>,
    /// a larger body <c>RequestTooLarge</c>, before anything is done with it.
    /// </summary>
    public static async Task<T> ReadAsync<T>(HttpRequest request, long limit, CancellationToken cancellationToken)
    {
        if (request.ContentLength > limit)
        {
            throw TooLarge(limit);
        }

        if (request.ContentType is { } type && !type.StartsWith("application/json", StringComparison.OrdinalIgnoreCase))
        {
            throw Invalid($"the request body must be application/json, not {type}");
        }

        using var buffer = new MemoryStream();
        var chunk = new byte[16384];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, cancellationToken)) > 0)
        {
            if (buffer.Length + read > limit)
            {
                throw TooLarge(limit);
            }

            buffer.Write(chunk, 0, read);
        }

        if (buffer.Length == 0)
        {
            throw Invalid("the request has no body; send a JSON object");
        }

        try
        {
            return JsonSerializer.Deserialize<T>(buffer.GetBuffer().AsSpan(0, (int)buffer.Length), Options) ?? throw Invalid("the request body is null; send a JSON object");
        }
        catch (JsonException e)
        {
            // Said in the request's terms (its JSON path), never the server's type names.
            var at = e.Path is { Length: > 1 } path ? path : "the body";
            throw Invalid(e.Message.Contains("could not be mapped", StringComparison.Ordinal) ? $"the request body has an unknown field at {at}"
                : e.Message.Contains("missing required properties", StringComparison.Ordinal) ? $"the request body lacks a required field: {MissingFields(e.Message)}"
                : e.Message.Contains("null", StringComparison.OrdinalIgnoreCase) && e.Path is not null ? $"the request body has null at {at}, where a value is required"
                : $"the request body is not valid JSON of the expected shape at {at}{(e.LineNumber is { } line ? $" (line {line + 1}, byte {e.BytePositionInLine + 1})" : string.Empty)}");
        }
    }

    // STJ names them as "... missing required properties including: 'name', 'driver'."
    private static string MissingFields(string message) =>
        message.LastIndexOf(':') is var colon and > 0 ? message[(colon + 1)..].Trim().TrimEnd('.') : "see the API document";

    public static KompoxException Invalid(string message) => new("InvalidRequest", ErrorKind.InvalidArgument, message);

    public static KompoxException TooLarge(long limit) => new("RequestTooLarge", ErrorKind.InvalidArgument, $"the request body is larger than {limit} bytes");
}

/// <summary>Every error as RFC 9457 problem details carrying the engine's error id and remedy.</summary>
public static class Problems
{
    public const string TypeBase = "https://kompox.dev/problems/";

    public static int Status(KompoxException e) => e.ErrorId switch
    {
        "Unauthenticated" => StatusCodes.Status401Unauthorized,
        "Forbidden" => StatusCodes.Status403Forbidden,
        "RequestTooLarge" => StatusCodes.Status413PayloadTooLarge,
        "RateLimited" => StatusCodes.Status429TooManyRequests,
        _ => e.Kind switch
        {
            ErrorKind.InvalidArgument or ErrorKind.InvalidData => StatusCodes.Status400BadRequest,
            ErrorKind.NotFound => StatusCodes.Status404NotFound,
            ErrorKind.AlreadyExists or ErrorKind.Conflict or ErrorKind.Canceled => StatusCodes.Status409Conflict,
            ErrorKind.PermissionDenied => StatusCodes.Status403Forbidden,
            ErrorKind.Timeout => StatusCodes.Status504GatewayTimeout,
            ErrorKind.Unavailable => StatusCodes.Status503ServiceUnavailable,

            // The cluster or cloud refused the service's credentials: a fault upstream, not the caller's.
            ErrorKind.Unauthenticated => StatusCodes.Status502BadGateway,
            _ => StatusCodes.Status500InternalServerError,
        },
    };

    /// <summary>The problem document of an error; paths of the service's own (its data, its kubeconfig files) are cut out.</summary>
    public static JsonObject Document(KompoxException e, string? instance, Func<string, string> redact, int? status = null)
    {
        var problem = new JsonObject
        {
            ["type"] = TypeBase + e.ErrorId,
            ["title"] = e.ErrorId,
            ["status"] = status ?? Status(e),
            ["detail"] = redact(e.Message),
            ["errorId"] = e.ErrorId,
        };
        if (e.Target is string target)
        {
            problem["target"] = redact(target);
        }

        if (e.Remedy is { } remedy)
        {
            var r = new JsonObject { ["kind"] = remedy.Kind.ToString() };
            if (remedy.Option is not null)
            {
                r["option"] = remedy.Option;
            }

            problem["remedy"] = r;
        }

        var problems = e is KompoxValidationException v ? v.Problems : e.Target as IReadOnlyList<Diagnostic>;
        if (problems is not null)
        {
            problem["problems"] = new JsonArray(problems.Select(p => (JsonNode)new JsonObject
            {
                ["severity"] = p.Severity.ToString(),
                ["file"] = redact(p.File),
                ["line"] = p.Line,
                ["column"] = p.Column,
                ["key"] = p.Key,
                ["message"] = redact(p.Message),
            }).ToArray());
        }

        if (instance is not null)
        {
            problem["instance"] = instance;
        }

        return problem;
    }

    /// <param name="status">The HTTP status when it is not the error's own (what routing answered: 404, 405, 415).</param>
    public static async Task WriteAsync(HttpContext context, KompoxException e, int? status = null)
    {
        Func<string, string> redact = context.RequestServices.GetService<Redactor>() is { } redactor ? redactor.Redact : s => s;
        context.Response.StatusCode = status ?? Status(e);
        context.Response.ContentType = "application/problem+json";
        await context.Response.WriteAsync(Document(e, context.Request.Path, redact, status).ToJsonString(), context.RequestAborted);
    }

    /// <summary>Turns what escapes an endpoint into problem details: an engine error as itself, anything else as <c>UnexpectedError</c> without its stack.</summary>
    public static async Task HandleAsync(HttpContext context, Func<Task> next)
    {
        try
        {
            await next();
        }
        catch (Exception e) when (!context.Response.HasStarted && (e is not OperationCanceledException || !context.RequestAborted.IsCancellationRequested))
        {
            var error = e switch
            {
                KompoxException k => k,
                BadHttpRequestException { StatusCode: StatusCodes.Status413PayloadTooLarge } => new KompoxException("RequestTooLarge", ErrorKind.InvalidArgument, "the request body is too large"),
                BadHttpRequestException bad => ApiJson.Invalid(bad.Message),
                _ => ErrorTranslation.Translate(e, $"{context.Request.Method} {context.Request.Path}", context.RequestAborted),
            };
            if (error.ErrorId == "UnexpectedError")
            {
                context.RequestServices.GetRequiredService<ILogger<ServiceStore>>().LogError(e, "{Method} {Path} failed", context.Request.Method, context.Request.Path);
                error = new KompoxException("UnexpectedError", ErrorKind.Internal, "the service failed unexpectedly; its log has the details");
            }

            await WriteAsync(context, error);
        }
    }
}

/// <summary>Cuts the service's own paths (its data directory, its private kubeconfig directory) out of what it answers.</summary>
public sealed class Redactor(IEnumerable<string> paths)
{
    private readonly IReadOnlyList<string> paths = paths.Where(p => !string.IsNullOrEmpty(p)).OrderByDescending(p => p.Length).ToList();

    public string Redact(string text)
    {
        foreach (var path in paths)
        {
            text = text.Replace(path.TrimEnd('/') + "/", string.Empty, StringComparison.Ordinal).Replace(path, "(service data)", StringComparison.Ordinal);
        }

        return text;
    }
}
