using System.Net;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Text.RegularExpressions;
using k8s.Autorest;
using Kompox.Operations;

namespace Kompox.Tests.Operations;

public class ErrorTranslationTests
{
    private const string Inner = "inner text that depends on the OS";

    public static TheoryData<Exception, string, ErrorKind> Table() => new()
    {
        { Kube(HttpStatusCode.Unauthorized), "KubernetesUnauthenticated", ErrorKind.Unauthenticated },
        { Kube(HttpStatusCode.Forbidden), "KubernetesForbidden", ErrorKind.PermissionDenied },
        { Kube(HttpStatusCode.NotFound), "KubernetesNotFound", ErrorKind.NotFound },
        { Kube(HttpStatusCode.Conflict), "KubernetesConflict", ErrorKind.Conflict },
        { Kube(HttpStatusCode.UnprocessableEntity), "KubernetesRejected", ErrorKind.InvalidData },
        { Kube(HttpStatusCode.ServiceUnavailable), "KubernetesUnavailable", ErrorKind.Unavailable },
        { Kube(HttpStatusCode.TooManyRequests), "KubernetesUnavailable", ErrorKind.Unavailable },
        { Kube(HttpStatusCode.BadRequest), "KubernetesRequestFailed", ErrorKind.Unavailable },
        { new HttpRequestException(Inner, new SocketException((int)SocketError.ConnectionRefused)), "ConnectionFailed", ErrorKind.Unavailable },
        { new HttpRequestException(Inner, new AuthenticationException(Inner)), "TlsFailed", ErrorKind.Unauthenticated },
        { new AuthenticationException(Inner), "TlsFailed", ErrorKind.Unauthenticated },
        { new SocketException((int)SocketError.HostNotFound), "ConnectionFailed", ErrorKind.Unavailable },
        { new TaskCanceledException(Inner), "RequestTimedOut", ErrorKind.Timeout },
        { new OperationCanceledException(Inner), "RequestTimedOut", ErrorKind.Timeout },
        { new UnauthorizedAccessException(Inner), "AccessDenied", ErrorKind.PermissionDenied },
        { new IOException(Inner), "IOFailed", ErrorKind.Unavailable },
        { new FileNotFoundException(Inner), "IOFailed", ErrorKind.Unavailable },
        { new InvalidOperationException(Inner), "UnexpectedError", ErrorKind.Internal },
    };

    [Theory]
    [MemberData(nameof(Table))]
    public void Third_party_exceptions_get_a_stable_id_and_no_os_text(Exception exception, string errorId, ErrorKind kind)
    {
        var error = ErrorTranslation.Translate(exception, "listing disks of app a", CancellationToken.None);

        Assert.Equal((errorId, kind), (error.ErrorId, error.Kind));
        Assert.StartsWith("listing disks of app a: ", error.Message);
        Assert.DoesNotContain(Inner, error.Message);
        Assert.Same(exception, error.InnerException);
    }

    [Fact]
    public void Cancellation_the_caller_asked_for_is_not_a_timeout()
    {
        using var cancel = new CancellationTokenSource();
        cancel.Cancel();

        var error = ErrorTranslation.Translate(new TaskCanceledException(), "deploying", cancel.Token);

        Assert.Equal(("OperationCanceled", ErrorKind.Canceled), (error.ErrorId, error.Kind));
    }

    [Fact]
    public void A_kubernetes_error_names_the_request_and_the_servers_own_message()
    {
        var error = ErrorTranslation.Translate(Kube(HttpStatusCode.UnprocessableEntity), "deploying", CancellationToken.None);

        Assert.Equal("deploying: PATCH /api/v1/namespaces/x answered 422: spec.replicas: Invalid value", error.Message);
    }

    [Fact]
    public async Task Guard_passes_kompox_errors_through_and_translates_the_rest()
    {
        var own = new KompoxException("DiskNotFound", ErrorKind.NotFound, "no disk");

        Assert.Same(own, await Assert.ThrowsAsync<KompoxException>(() => ErrorTranslation.Guard("x", CancellationToken.None, () => Task.FromException(own))).Within());
        Assert.Equal("IOFailed", (await Assert.ThrowsAsync<KompoxException>(() => ErrorTranslation.Guard<int>("x", CancellationToken.None, () => throw new IOException())).Within()).ErrorId);
    }

    [Fact]
    public void Every_id_raised_is_in_the_catalogue_with_its_kind()
    {
        // Ids written in the engine's and the cmdlets' source as the first argument of an error, or as an error id constant.
        var pattern = new Regex("""(?:Kompox(?:Validation)?Exception|Fail\([^"]*|new)\(\s*"([A-Z][A-Za-z]+)"|ErrorId = "([A-Z][A-Za-z]+)"|"([A-Z][A-Za-z]+)", ErrorKind\.([A-Za-z]+)""");
        var found = new[] { "Kompox.Engine", "Kompox.Cmdlets" }
            .SelectMany(project => Directory.EnumerateFiles(Path.Combine(RepoPaths.Root, "src", project), "*.cs", SearchOption.AllDirectories))
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .SelectMany(f => pattern.Matches(File.ReadAllText(f)))
            .Select(m => (Id: new[] { m.Groups[1], m.Groups[2], m.Groups[3] }.First(g => g.Success).Value, Kind: m.Groups[4].Success ? m.Groups[4].Value : null))
            .Where(x => x.Id.Length > 0)
            .ToList();

        Assert.Contains(found, x => x.Id == "InvalidCompose");
        Assert.Contains(found, x => x.Id == "FileEmpty");
        Assert.Contains(found, x => x.Id == "NotAnApp");
        Assert.All(found, x =>
        {
            Assert.True(KompoxErrors.All.ContainsKey(x.Id), $"{x.Id} is not in KompoxErrors");
            if (x.Kind is not null)
            {
                Assert.Equal(x.Kind, KompoxErrors.All[x.Id].ToString());
            }
        });
    }

    [Fact]
    public void A_target_is_a_string_or_a_list_of_diagnostics()
    {
        var problems = new[] { new Diagnostic(Severity.Error, "f", 1, 1, "k", "m") };

        Assert.Equal("42", new KompoxException("AppNotFound", ErrorKind.NotFound, "x") { Target = 42 }.Target);
        Assert.Equal(problems, Assert.IsAssignableFrom<IReadOnlyList<Diagnostic>>(new KompoxException("AppNotFound", ErrorKind.NotFound, "x") { Target = problems }.Target));
    }

    private static HttpOperationException Kube(HttpStatusCode status) => new(Inner)
    {
        Request = new HttpRequestMessageWrapper(new HttpRequestMessage(HttpMethod.Patch, "https://kube.test/api/v1/namespaces/x"), "{}"),
        Response = new HttpResponseMessageWrapper(new HttpResponseMessage(status), """{"kind":"Status","message":"spec.replicas: Invalid value"}"""),
    };
}
