using k8s;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using k8s.Models;
using Kompox.Model;
using Kompox.Operations;
using Kompox.Tests.KubeApi;
using Kompox.Testing.KubeApi;

namespace Kompox.Tests.Operations;

/// <summary>Cluster operations refused by the test server, through the real kubeconfig client: 403 and an untrusted certificate.</summary>
public sealed class ClusterFailureTests : IAsyncLifetime
{
    private readonly OperationFixture fixture = new();
    private KubeApiHarness harness = null!;

    public async Task InitializeAsync() => harness = await KubeApiHarness.StartAsync().Within();

    public async Task DisposeAsync()
    {
        await harness.DisposeAsync().Within();
        fixture.Dispose();
    }

    private string Server => harness.Server.BaseUri.GetLeftPart(UriPartial.Authority);

    [Fact]
    public async Task A_token_that_may_do_nothing_is_forbidden_naming_the_server_the_request_and_the_user()
    {
        var admin = harness.Client();
        await admin.CoreV1.CreateNamespacedServiceAccountAsync(new V1ServiceAccount { ApiVersion = "v1", Kind = "ServiceAccount", Metadata = new() { Name = "nobody" } }, "default").Within();
        var token = (await admin.CoreV1.CreateNamespacedServiceAccountTokenAsync(new Authenticationv1TokenRequest { Spec = new() }, "nobody", "default").Within()).Status.Token;
        var kubeconfig = harness.Server.WriteKubeconfig(Path.Combine(harness.Directory, "nobody.kubeconfig"), token, null);
        harness.Server.ClearRequests();

        var error = await Assert.ThrowsAsync<KompoxException>(() => Operations().InitializeIngressAsync(Cluster(kubeconfig).Id, null, CancellationToken.None)).Within();

        Assert.Equal(("KubernetesForbidden", ErrorKind.PermissionDenied), (error.ErrorId, error.Kind));
        Assert.Contains($"(server {Server}, context kompox-test)", error.Message);
        // The first request is the look for k3s's bundled Traefik, before anything is written.
        Assert.Contains("GET /apis/apps/v1/namespaces/kube-system/deployments answered 403: ", error.Message);
        Assert.Contains("User \"system:serviceaccount:default:nobody\" cannot list resource \"deployments\"", error.Message);
        Assert.Equal(0, harness.Server.CountChangingWrites());
    }

    [Fact]
    public async Task A_server_certificate_the_kubeconfig_does_not_trust_is_a_tls_error_saying_so()
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=another-ca", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        using var otherCa = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
        var own = Convert.ToBase64String(Encoding.UTF8.GetBytes(KubeApiServer.CertificatePem));
        var other = Convert.ToBase64String(Encoding.UTF8.GetBytes(otherCa.ExportCertificatePem()));
        var text = File.ReadAllText(harness.Kubeconfig);
        Assert.Contains(own, text);
        var kubeconfig = Path.Combine(harness.Directory, "other-ca.kubeconfig");
        File.WriteAllText(kubeconfig, text.Replace(own, other, StringComparison.Ordinal));
        harness.Server.ClearRequests();

        var error = await Assert.ThrowsAsync<KompoxException>(() => Operations().GetStatusAsync(Cluster(kubeconfig).Id, null, CancellationToken.None)).Within();

        Assert.Equal(("TlsFailed", ErrorKind.Unauthenticated), (error.ErrorId, error.Kind));
        Assert.Contains($"(server {Server}, context kompox-test)", error.Message);
        Assert.Contains("the server's certificate is not trusted", error.Message);
        Assert.Empty(harness.Server.Requests);
    }

    private ClusterOperations Operations() =>
        new(new KompoxContext(new KubeconfigClientFactory(), fixture.Context.Drivers, fixture.Store, fixture.Time, fixture.Context.AppLock));

    private KompoxCluster Cluster(string kubeconfig)
    {
        var cluster = fixture.App().Cluster;
        var made = new KompoxCluster
        {
            Name = cluster.Name,
            Provider = cluster.Provider,
            Auth = new ClusterAuth { Kubeconfig = kubeconfig, Context = "kompox-test" },
            Ingress = new ClusterIngress { Namespace = "traefik" },
            Domain = "example.com",
            Settings = new Dictionary<string, string>(),
        };
        fixture.Store.Add(made);
        return made;
    }
}
