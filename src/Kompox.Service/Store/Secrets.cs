using System.Security.Cryptography;
using System.Text;

namespace Kompox.Service.Store;

/// <summary>
/// Encrypts the secrets the store keeps (cluster kubeconfigs, provider settings naming a secret) with AES-256-GCM under
/// the service's key, so that the database file alone gives none of them away.
/// </summary>
public sealed class SecretBox
{
    private const string Prefix = "enc:v1:";
    private readonly byte[] key;

    public SecretBox(byte[] key)
    {
        if (key.Length != 32)
        {
            throw new ArgumentException("the encryption key must be 32 bytes", nameof(key));
        }

        this.key = key;
    }

    /// <summary>The key <c>Kompox:EncryptionKey</c> gives, else the one in <c>kompox.key</c>, made owner-only on first use.</summary>
    public static SecretBox Open(ServiceOptions options)
    {
        if (!string.IsNullOrEmpty(options.EncryptionKey))
        {
            return new SecretBox(Convert.FromBase64String(options.EncryptionKey));
        }

        var path = Path.Combine(options.DataPath, "kompox.key");
        if (!File.Exists(path))
        {
            var made = RandomNumberGenerator.GetBytes(32);
            var temp = path + ".new";
            var create = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
            if (!OperatingSystem.IsWindows())
            {
                create.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            }

            using (var file = new FileStream(temp, create))
            {
                file.Write(made);
                file.Flush(flushToDisk: true);
            }

            // A key half written by a killed process is never taken: it appears whole or not at all.
            File.Move(temp, path, overwrite: false);
        }

        return new SecretBox(File.ReadAllBytes(path));
    }

    public string Encrypt(string plain)
    {
        var nonce = RandomNumberGenerator.GetBytes(12);
        var data = Encoding.UTF8.GetBytes(plain);
        var cipher = new byte[data.Length];
        var tag = new byte[16];
        using var aes = new AesGcm(key, 16);
        aes.Encrypt(nonce, data, cipher, tag);
        return Prefix + Convert.ToBase64String([.. nonce, .. tag, .. cipher]);
    }

    public string Decrypt(string stored)
    {
        if (!stored.StartsWith(Prefix, StringComparison.Ordinal))
        {
            throw new InvalidDataException("a stored secret is not encrypted");
        }

        var all = Convert.FromBase64String(stored[Prefix.Length..]);
        var plain = new byte[all.Length - 28];
        using var aes = new AesGcm(key, 16);
        aes.Decrypt(all.AsSpan(0, 12), all.AsSpan(28), all.AsSpan(12, 16), plain);
        return Encoding.UTF8.GetString(plain);
    }

    /// <summary>Whether a setting's value is a secret: its key ends in SECRET, PASSWORD, TOKEN or KEY.</summary>
    public static bool IsSecretKey(string key) =>
        new[] { "SECRET", "PASSWORD", "TOKEN", "KEY" }.Any(s => key.EndsWith(s, StringComparison.OrdinalIgnoreCase));

    public const string Masked = "***";
}
