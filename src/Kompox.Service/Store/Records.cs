namespace Kompox.Service.Store;

/// <summary>A provider as stored: settings naming a secret hold ciphertext (<see cref="SecretBox"/>).</summary>
public sealed record ProviderRecord(string Name, string Driver, Dictionary<string, string> Settings);

/// <summary>A cluster as stored: the kubeconfig content encrypted, or the service's in-cluster identity.</summary>
public sealed record ClusterRecord(
    string Name,
    string Provider,
    string Domain,
    Dictionary<string, string> Settings,
    string IngressController,
    string IngressNamespace,
    string CredentialType,
    string? Context,
    string? KubeconfigCipher);

public sealed record AppRecord(
    string Name,
    string Cluster,
    string Owner,
    string Compose,
    Dictionary<string, string> Ingress,
    Dictionary<string, string> Resources,
    Dictionary<string, string> Settings,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt);

public static class Roles
{
    public const string Admin = "admin";
    public const string User = "user";

    public static bool IsValid(string role) => role is Admin or User;
}

/// <summary>A user: only the SHA-256 hash of its token is kept.</summary>
public sealed record UserRecord(string Name, string Role, string? EntraObjectId, string TokenHash, DateTimeOffset CreatedAt);
