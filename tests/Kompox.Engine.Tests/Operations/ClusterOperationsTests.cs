using System.Net;
using System.Net.Sockets;
using Kompox.Model;
using Kompox.Operations;

namespace Kompox.Tests.Operations;

public sealed class ClusterOperationsTests : IDisposable
{
    private readonly OperationFixture fixture = new();

    public void Dispose() => fixture.Dispose();

    [Fact]
    public async Task Connect_asks_the_server_version_and_reports_the_request()
    {
        fixture.Kube.Answer("GET", "/version", HttpStatusCode.OK, """{"gitVersion":"v1.31.4+k3s1","platform":"linux/amd64"}""");
        var progress = new RecordedProgress();

        var connection = await new ClusterOperations(fixture.Context).ConnectAsync(fixture.App().Cluster.Id, progress, CancellationToken.None).Within();

        Assert.Equal(new ClusterConnection("ops/k3s1/lab", "v1.31.4+k3s1", "linux/amd64"), connection);
        Assert.True(progress.Reports.Any(r => r.Detail() == "GET /version/"), string.Join(", ", progress.Reports));
        Assert.Equal(100, progress.Reports.Last().Percent);
    }

    [Fact]
    public async Task Rejected_credentials_are_an_authentication_error()
    {
        fixture.Kube.Answer("GET", "/version", HttpStatusCode.Unauthorized, """{"kind":"Status","message":"Unauthorized","code":401}""");

        var error = await Assert.ThrowsAsync<KompoxException>(() => new ClusterOperations(fixture.Context).ConnectAsync(fixture.App().Cluster.Id, null, CancellationToken.None)).Within();

        Assert.Equal(("KubernetesUnauthenticated", ErrorKind.Unauthenticated), (error.ErrorId, error.Kind));
        Assert.Contains("GET /version/ answered 401: Unauthorized", error.Message);
    }

    [Fact]
    public async Task Cancellation_while_the_server_is_slow_is_honoured()
    {
        using var cancel = new CancellationTokenSource();
        fixture.Kube.BeforeAnswer = async token =>
        {
            cancel.Cancel();
            await Task.Delay(Timeout.Infinite, token);
        };

        var error = await Assert.ThrowsAsync<KompoxException>(() => new ClusterOperations(fixture.Context).ConnectAsync(fixture.App().Cluster.Id, null, cancel.Token)).Within();

        Assert.Equal(("OperationCanceled", ErrorKind.Canceled), (error.ErrorId, error.Kind));
    }

    [Fact]
    public async Task The_kubeconfig_factory_uses_the_clusters_kubeconfig_and_context()
    {
        // A port nothing listens on: the client is real, and so is the refused connection.
        // Bound but not listening: a connection to it is refused, and no other test can take the port meanwhile.
        using var closed = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        closed.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var port = ((IPEndPoint)closed.LocalEndPoint!).Port;
        var kubeconfig = Path.Combine(fixture.DataRoot, "kubeconfig");
        File.WriteAllText(kubeconfig, $"""
            apiVersion: v1
            kind: Config
            current-context: other
            clusters:
            - name: lab
              cluster: {"{"}server: "http://127.0.0.1:{port}"{"}"}
            - name: other
              cluster: {"{"}server: "http://127.0.0.1:1"{"}"}
            contexts:
            - name: lab
              context: {"{"}cluster: lab, user: me{"}"}
            - name: other
              context: {"{"}cluster: other, user: me{"}"}
            users:
            - name: me
              user: {"{"}token: t{"}"}
            """);
        var cluster = WithAuth(new ClusterAuth { Kubeconfig = kubeconfig, Context = "lab" });

        Assert.Equal($"http://127.0.0.1:{port}/", KubeconfigClientFactory.Configuration(cluster).Host.TrimEnd('/') + "/");
        var context = new KompoxContext(new KubeconfigClientFactory(), fixture.Context.Drivers, fixture.Store, fixture.Time, fixture.Context.AppLock);
        var error = await Assert.ThrowsAsync<KompoxException>(() => new ClusterOperations(context).ConnectAsync(cluster.Id, null, CancellationToken.None)).Within();
        Assert.Equal(("ConnectionFailed", ErrorKind.Unavailable), (error.ErrorId, error.Kind));
        Assert.Contains("ConnectionRefused", error.Message);

        Assert.Equal("InvalidKubeconfig", Assert.Throws<KompoxException>(() => KubeconfigClientFactory.Configuration(WithAuth(new ClusterAuth { Kubeconfig = kubeconfig, Context = "nope" }))).ErrorId);
        Assert.Equal("KubeconfigNotFound", Assert.Throws<KompoxException>(() => KubeconfigClientFactory.Configuration(WithAuth(new ClusterAuth { Kubeconfig = kubeconfig + ".missing" }))).ErrorId);
    }

    private KompoxCluster WithAuth(ClusterAuth auth)
    {
        var cluster = fixture.App().Cluster;
        var made = new KompoxCluster { Name = cluster.Name, Provider = cluster.Provider, Auth = auth, Ingress = cluster.Ingress, Domain = cluster.Domain, Settings = cluster.Settings };
        fixture.Store.Add(made);
        return made;
    }
}
