using System.Net;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Text.Json;
using Azure;
using Azure.Identity;
using k8s.Autorest;

namespace Kompox;

/// <summary>
/// The one place where exceptions of libraries and the OS become <see cref="KompoxException"/>s with stable ids.
/// Messages say what was being done and what failed, never the inner exception's text, which depends on the OS and
/// the culture; the inner exception is kept for developers.
/// </summary>
public static class ErrorTranslation
{
    /// <param name="doing">What the operation was doing, e.g. "listing disks of app ops/k3s1/lab/web".</param>
    /// <param name="cancellationToken">The caller's token: cancellation it asked for is <c>OperationCanceled</c>; any other is a timeout.</param>
    public static KompoxException Translate(Exception exception, string doing, CancellationToken cancellationToken)
    {
        return exception switch
        {
            KompoxException known => known,
            OperationCanceledException e when cancellationToken.IsCancellationRequested =>
                new KompoxException("OperationCanceled", ErrorKind.Canceled, $"{doing}: canceled", e),
            OperationCanceledException e =>
                new KompoxException("RequestTimedOut", ErrorKind.Timeout, $"{doing}: no answer in time", e),
            HttpOperationException e => FromKubernetes(e, doing),
            CredentialUnavailableException e =>
                new KompoxException("AzureCredentialUnavailable", ErrorKind.Unauthenticated, $"{doing}: no Azure credential is available (sign in with the Azure CLI or Azure PowerShell, use a managed identity, or set AZURE_TOKEN_CREDENTIALS on the provider)", e),
            AuthenticationFailedException e =>
                new KompoxException("AzureUnauthenticated", ErrorKind.Unauthenticated, $"{doing}: Microsoft Entra ID did not issue a token for Azure (check AZURE_TENANT_ID and the signed-in identity)", e),
            RequestFailedException { Status: 0, InnerException: { } inner } => Translate(inner, doing, cancellationToken),
            RequestFailedException e => FromAzure(e, doing),
            HttpRequestException e when Find<AuthenticationException>(e) is not null =>
                new KompoxException("TlsFailed", ErrorKind.Unauthenticated, $"{doing}: {TlsProblem}", e),
            HttpRequestException e =>
                new KompoxException("ConnectionFailed", ErrorKind.Unavailable, $"{doing}: cannot connect{SocketProblem(e)}", e),
            AuthenticationException e =>
                new KompoxException("TlsFailed", ErrorKind.Unauthenticated, $"{doing}: {TlsProblem}", e),
            SocketException e =>
                new KompoxException("ConnectionFailed", ErrorKind.Unavailable, $"{doing}: cannot connect{SocketProblem(e)}", e),
            UnauthorizedAccessException e =>
                new KompoxException("AccessDenied", ErrorKind.PermissionDenied, $"{doing}: access denied", e),
            IOException e =>
                new KompoxException("IOFailed", ErrorKind.Unavailable, $"{doing}: an I/O error occurred", e),
            _ => new KompoxException("UnexpectedError", ErrorKind.Internal, $"{doing}: unexpected {exception.GetType().FullName}; this is a fault in Kompox", exception),
        };
    }

    // An AuthenticationException from the handshake is, in practice, the server's certificate failing validation: the
    // kubeconfig's certificate authority did not sign it, or it names another host. The exception's own text, which
    // would tell more, depends on the OS.
    private const string TlsProblem =
        "the TLS handshake failed: the server's certificate is not trusted (it is not signed by the certificate authority the credentials name, such as certificate-authority-data in the kubeconfig, or it is not for this host)";

    /// <summary>
    /// The server did not answer at all: no connection, or no answer in time (not the caller's cancellation). A server
    /// that answers with an error, or whose certificate is refused, is up.
    /// </summary>
    public static bool IsUnanswered(Exception exception, CancellationToken cancellationToken) =>
        !cancellationToken.IsCancellationRequested && Translate(exception, string.Empty, cancellationToken).ErrorId is "ConnectionFailed" or "RequestTimedOut";

    /// <summary>Runs an operation's body, translating whatever escapes it.</summary>
    public static async Task<T> Guard<T>(string doing, CancellationToken cancellationToken, Func<Task<T>> body)
    {
        try
        {
            return await body().ConfigureAwait(false);
        }
        catch (Exception e) when (e is not KompoxException)
        {
            throw Translate(e, doing, cancellationToken);
        }
    }

    public static async Task Guard(string doing, CancellationToken cancellationToken, Func<Task> body)
    {
        try
        {
            await body().ConfigureAwait(false);
        }
        catch (Exception e) when (e is not KompoxException)
        {
            throw Translate(e, doing, cancellationToken);
        }
    }

    private static KompoxException FromKubernetes(HttpOperationException e, string doing)
    {
        var status = e.Response?.StatusCode ?? 0;
        var request = e.Request is { } r ? $"{r.Method} {r.RequestUri?.AbsolutePath}" : "the request";

        // The API server's own Status message is English and culture-free, and it names the field a 422 is about.
        var said = StatusMessage(e.Response?.Content) is { } message ? $": {message}" : string.Empty;
        var text = $"{doing}: {request} answered {(int)status}{said}";
        return status switch
        {
            HttpStatusCode.Unauthorized => new KompoxException("KubernetesUnauthenticated", ErrorKind.Unauthenticated, $"{text} (the cluster did not accept the credentials; renew them)", e),
            HttpStatusCode.Forbidden => new KompoxException("KubernetesForbidden", ErrorKind.PermissionDenied, text, e),
            HttpStatusCode.NotFound => new KompoxException("KubernetesNotFound", ErrorKind.NotFound, text, e),
            HttpStatusCode.Conflict => new KompoxException("KubernetesConflict", ErrorKind.Conflict, text, e),
            HttpStatusCode.UnprocessableEntity => new KompoxException("KubernetesRejected", ErrorKind.InvalidData, text, e),
            >= HttpStatusCode.InternalServerError or HttpStatusCode.TooManyRequests =>
                new KompoxException("KubernetesUnavailable", ErrorKind.Unavailable, text, e),
            _ => new KompoxException("KubernetesRequestFailed", ErrorKind.Unavailable, text, e),
        };
    }

    private static KompoxException FromAzure(RequestFailedException e, string doing)
    {
        // ARM's error code is a stable token ("ResourceGroupNotFound"); its message and the exception's text are not kept.
        var code = string.IsNullOrEmpty(e.ErrorCode) ? string.Empty : " " + e.ErrorCode;
        var text = $"{doing}: Azure answered {e.Status}{code}";
        return e.Status switch
        {
            // A long-running operation that ends Failed is raised from the status poll's own 200, with the operation's
            // error (Azure.Core OperationInternal; "Track asynchronous Azure operations": status Failed and an error).
            >= 200 and < 300 => new KompoxException("AzureOperationFailed", ErrorKind.Unavailable, $"{doing}: Azure accepted the request, then its operation failed with{(code.Length == 0 ? " no error code" : code)}", e),
            401 => new KompoxException("AzureUnauthenticated", ErrorKind.Unauthenticated, $"{text} (the token was not accepted; sign in again)", e),
            403 => new KompoxException("AzureForbidden", ErrorKind.PermissionDenied, $"{text} (the signed-in identity lacks a role for this)", e),
            404 => new KompoxException("AzureNotFound", ErrorKind.NotFound, text, e),
            409 or 412 => new KompoxException("AzureConflict", ErrorKind.Conflict, text, e),
            429 => new KompoxException("AzureThrottled", ErrorKind.Unavailable, $"{text} (too many requests; try again later)", e),
            >= 500 => new KompoxException("AzureUnavailable", ErrorKind.Unavailable, text, e),
            >= 400 => new KompoxException("AzureRejected", ErrorKind.InvalidData, text, e),
            _ => new KompoxException("AzureRequestFailed", ErrorKind.Unavailable, text, e),
        };
    }

    /// <summary>The message of the API server's Status answer, if the content is one.</summary>
    internal static string? StatusMessage(string? content)
    {
        if (string.IsNullOrEmpty(content))
        {
            return null;
        }

        try
        {
            using var document = JsonDocument.Parse(content);
            return document.RootElement.ValueKind == JsonValueKind.Object
                && document.RootElement.TryGetProperty("message", out var message)
                && message.ValueKind == JsonValueKind.String
                    ? message.GetString()
                    : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    // The error code's name is the same on every OS and in every culture, unlike the socket's message.
    private static string SocketProblem(Exception e) =>
        Find<SocketException>(e) is { } socket ? $" ({socket.SocketErrorCode})" : string.Empty;

    private static T? Find<T>(Exception e)
        where T : Exception
    {
        for (Exception? inner = e; inner is not null; inner = inner.InnerException)
        {
            if (inner is T found)
            {
                return found;
            }
        }

        return null;
    }
}
