namespace Kompox.Service;

/// <summary>The service's configuration section <c>Kompox</c> (appsettings.json, <c>Kompox__X</c>, <c>--Kompox:X=</c>).</summary>
public sealed class ServiceOptions
{
    public const string Section = "Kompox";

    /// <summary>Directory of the store (<c>kompox.db</c>) and its key (<c>kompox.key</c>).</summary>
    public string DataPath { get; set; } = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData, Environment.SpecialFolderOption.Create), "kompox", "service");

    /// <summary>The encryption key in base64 (32 bytes); null to use (or make) <c>kompox.key</c>.</summary>
    public string? EncryptionKey { get; set; }

    /// <summary>The Service's name on a new store.</summary>
    public string ServiceName { get; set; } = "kompox";

    /// <summary>The administrator's token on the first start of a new store; null to generate one.</summary>
    public string? AdminToken { get; set; }

    public EntraOptions Entra { get; set; } = new();

    public TimeSpan SnapshotPolicyInterval { get; set; } = TimeSpan.FromMinutes(15);

    public RateLimitOptions RateLimit { get; set; } = new();

    public long MaxRequestBodyBytes { get; set; } = 4L << 20;

    public long MaxUploadBytes { get; set; } = 1L << 40;
}

public sealed class EntraOptions
{
    public string? Authority { get; set; }

    public string? Audience { get; set; }

    public bool Enabled => !string.IsNullOrEmpty(Authority) && !string.IsNullOrEmpty(Audience);
}

public sealed class RateLimitOptions
{
    public int PermitsPerMinute { get; set; } = 600;
}
