using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Kompox.Tests.Kube;

internal static class TestCertificates
{
    /// <summary>A self-signed certificate and its private key in PEM, as kubeconfigs name them: the engine checks both parse.</summary>
    public static (string Certificate, string Key) Create(string subject)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={subject}", key, HashAlgorithmName.SHA256);
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        return (certificate.ExportCertificatePem(), key.ExportPkcs8PrivateKeyPem());
    }
}
