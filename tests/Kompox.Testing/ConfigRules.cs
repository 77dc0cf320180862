using System.Text;
using System.Text.Json;
using k8s.Models;

namespace Kompox.Testing;

/// <summary>apis/core/validation ValidateConfigMap and ValidateSecret.</summary>
internal static class ConfigRules
{
    /// <summary>Both kinds share the 1 MiB limit (core.MaxSecretSize), as etcd's request size does.</summary>
    public const int MaxDataSizeBytes = 1024 * 1024;

    public static void ValidateConfigMap(FieldErrors errors, V1ConfigMap configMap)
    {
        long totalSize = 0;
        var keys = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (key, value) in configMap.Data ?? new Dictionary<string, string>())
        {
            errors.InvalidEach($"data[{key}]", key, NameRules.ConfigMapKey(key));
            keys.Add(key);
            totalSize += Encoding.UTF8.GetByteCount(value ?? "");
        }
        foreach (var (key, value) in configMap.BinaryData ?? new Dictionary<string, byte[]>())
        {
            errors.InvalidEach($"binaryData[{key}]", key, NameRules.ConfigMapKey(key));
            if (keys.Contains(key))
            {
                errors.Invalid($"binaryData[{key}]", key, "duplicate of key present in data");
            }
            totalSize += value?.Length ?? 0;
        }
        if (totalSize > MaxDataSizeBytes)
        {
            errors.TooLong("data", MaxDataSizeBytes);
        }
    }

    public static void ValidateSecret(FieldErrors errors, V1Secret secret)
    {
        // The apiserver merges stringData into data (stringData wins) before validating, so validate that merge.
        var data = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        foreach (var (key, value) in secret.Data ?? new Dictionary<string, byte[]>())
        {
            data[key] = value ?? [];
        }
        foreach (var (key, value) in secret.StringData ?? new Dictionary<string, string>())
        {
            data[key] = Encoding.UTF8.GetBytes(value ?? "");
        }

        long totalSize = 0;
        foreach (var (key, value) in data)
        {
            errors.InvalidEach($"data[{key}]", key, NameRules.ConfigMapKey(key));
            totalSize += value.Length;
        }
        if (totalSize > MaxDataSizeBytes)
        {
            errors.TooLong("data", MaxDataSizeBytes);
        }
        ValidateTypeRequirements(errors, secret, data);
    }

    /// <summary>The built-in secret types promise certain keys; custom types (any other string) promise nothing.</summary>
    private static void ValidateTypeRequirements(FieldErrors errors, V1Secret secret, Dictionary<string, byte[]> data)
    {
        switch (secret.Type)
        {
            case "kubernetes.io/service-account-token":
                if (secret.Metadata?.Annotations?.TryGetValue("kubernetes.io/service-account.name", out var accountName) != true || string.IsNullOrEmpty(accountName))
                {
                    errors.Required("metadata.annotations[kubernetes.io/service-account.name]");
                }
                break;
            case "kubernetes.io/dockercfg":
                RequireJsonKey(errors, data, ".dockercfg");
                break;
            case "kubernetes.io/dockerconfigjson":
                RequireJsonKey(errors, data, ".dockerconfigjson");
                break;
            case "kubernetes.io/basic-auth":
                if (!data.ContainsKey("username") && !data.ContainsKey("password"))
                {
                    errors.Required("data[username]");
                    errors.Required("data[password]");
                }
                break;
            case "kubernetes.io/ssh-auth":
                if (!data.TryGetValue("ssh-privatekey", out var privateKey) || privateKey.Length == 0)
                {
                    errors.Required("data[ssh-privatekey]");
                }
                break;
            case "kubernetes.io/tls":
                if (!data.ContainsKey("tls.crt"))
                {
                    errors.Required("data[tls.crt]");
                }
                if (!data.ContainsKey("tls.key"))
                {
                    errors.Required("data[tls.key]");
                }
                break;
        }
    }

    private static void RequireJsonKey(FieldErrors errors, Dictionary<string, byte[]> data, string key)
    {
        if (!data.TryGetValue(key, out var content))
        {
            errors.Required($"data[{key}]");
            return;
        }
        try
        {
            using var document = JsonDocument.Parse(content);
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                errors.Invalid($"data[{key}]", "<secret contents redacted>", "must be a JSON object");
            }
        }
        catch (JsonException exception)
        {
            errors.Invalid($"data[{key}]", "<secret contents redacted>", exception.Message);
        }
    }
}
