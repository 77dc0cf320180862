namespace Kompox.Testing.Kubelogin;

/// <summary>
/// What <c>kubelogin get-token</c> (Azure/kubelogin) checks before it asks Entra ID for a token, in its order:
/// the flags (pkg/internal/token/options.go <c>AddFlags</c>, parsed by pflag: an unknown flag is an error),
/// <c>UpdateFromEnv</c> (the environment overrides the flags), <c>Validate</c> (a supported login method),
/// execCredentialPlugin.go (<c>server-id is required</c>), then the credential of the login method
/// (provider.go <c>NewAzIdentityCredential</c>; devicecodecredential.go, interactivebrowsercredential.go,
/// clientsecretcredential.go, clientcertcredential.go, workloadidentitycredential.go: "client ID cannot be empty", ...).
/// It returns kubelogin's error, or null when kubelogin would go on to sign in.
/// </summary>
public static class KubeloginGetToken
{
    private static readonly string[] SupportedLogins = ["devicecode", "interactive", "spn", "ropc", "msi", "azurecli", "azd", "workloadidentity", "azurepipelines"];

    /// <summary>options.go AddFlags: the string flags (with their shorthands) and the boolean ones.</summary>
    private static readonly Dictionary<string, string> StringFlags = new(StringComparer.Ordinal)
    {
        ["login"] = "login", ["l"] = "login", ["client-id"] = "client-id", ["client-secret"] = "client-secret",
        ["client-certificate"] = "client-certificate", ["client-certificate-password"] = "client-certificate-password",
        ["username"] = "username", ["password"] = "password", ["identity-resource-id"] = "identity-resource-id",
        ["server-id"] = "server-id", ["federated-token-file"] = "federated-token-file", ["authority-host"] = "authority-host",
        ["azure-pipelines-service-connection-id"] = "azure-pipelines-service-connection-id", ["token-cache-dir"] = "cache-dir",
        ["cache-dir"] = "cache-dir", ["tenant-id"] = "tenant-id", ["t"] = "tenant-id", ["subscription"] = "subscription",
        ["s"] = "subscription", ["environment"] = "environment", ["e"] = "environment", ["timeout"] = "timeout",
        ["pop-claims"] = "pop-claims", ["redirect-url"] = "redirect-url", ["login-hint"] = "login-hint",
    };

    private static readonly HashSet<string> BoolFlags = new(StringComparer.Ordinal)
    {
        "legacy", "use-azurerm-env-vars", "pop-enabled", "disable-environment-override", "disable-instance-discovery",
    };

    public static string? Check(IReadOnlyList<string> args, IReadOnlyDictionary<string, string>? environment = null)
    {
        var env = environment ?? new Dictionary<string, string>();
        if (args.Count == 0 || args[0] != "get-token")
        {
            return "the exec command is not get-token";
        }

        // NewOptions: the login method defaults to devicecode.
        var o = new Dictionary<string, string>(StringComparer.Ordinal) { ["login"] = "devicecode" };
        var flags = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 1; i < args.Count; i++)
        {
            var arg = args[i];
            var name = arg.TrimStart('-');
            string? value = null;
            if (name.Contains('=', StringComparison.Ordinal))
            {
                value = name[(name.IndexOf('=', StringComparison.Ordinal) + 1)..];
                name = name[..name.IndexOf('=', StringComparison.Ordinal)];
            }

            if (!arg.StartsWith('-') || (arg.StartsWith("--", StringComparison.Ordinal) ? name.Length < 2 : name.Length != 1))
            {
                return $"unexpected argument \"{arg}\"";
            }

            if (BoolFlags.Contains(name))
            {
                flags.Add(name);
                continue;
            }

            if (!StringFlags.TryGetValue(name, out var key))
            {
                return name.Length == 1 ? $"unknown shorthand flag: '{name}' in {arg}" : $"unknown flag: --{name}";
            }

            if (value is null)
            {
                if (++i >= args.Count)
                {
                    return $"flag needs an argument: {arg}";
                }

                value = args[i];
            }

            o[key] = value;
        }

        // UpdateFromEnv: unless disabled, the environment overrides the flags; the last variable read wins.
        if (!flags.Contains("disable-environment-override"))
        {
            string[][] sources = flags.Contains("use-azurerm-env-vars")
                ? [["client-id", "ARM_CLIENT_ID"], ["client-secret", "ARM_CLIENT_SECRET"], ["client-certificate", "ARM_CLIENT_CERTIFICATE_PATH"], ["tenant-id", "ARM_TENANT_ID"]]
                : [["client-id", "AAD_SERVICE_PRINCIPAL_CLIENT_ID"], ["client-id", "AZURE_CLIENT_ID"], ["client-secret", "AAD_SERVICE_PRINCIPAL_CLIENT_SECRET"], ["client-secret", "AZURE_CLIENT_SECRET"], ["client-certificate", "AAD_SERVICE_PRINCIPAL_CLIENT_CERTIFICATE"], ["client-certificate", "AZURE_CLIENT_CERTIFICATE_PATH"], ["tenant-id", "AZURE_TENANT_ID"]];
            foreach (var source in sources.Concat([["username", "AAD_USER_PRINCIPAL_NAME"], ["username", "AZURE_USERNAME"], ["password", "AAD_USER_PRINCIPAL_PASSWORD"], ["password", "AZURE_PASSWORD"], ["login", "AAD_LOGIN_METHOD"]]))
            {
                if (env.TryGetValue(source[1], out var value))
                {
                    o[source[0]] = value;
                }
            }

            if (o["login"] == "workloadidentity")
            {
                foreach (var source in new[] { new[] { "client-id", "AZURE_CLIENT_ID" }, ["federated-token-file", "AZURE_FEDERATED_TOKEN_FILE"], ["authority-host", "AZURE_AUTHORITY_HOST"] })
                {
                    if (env.TryGetValue(source[1], out var value))
                    {
                        o[source[0]] = value;
                    }
                }
            }
        }

        var login = o["login"];
        if (!SupportedLogins.Contains(login, StringComparer.Ordinal))
        {
            return $"'{login}' is not a supported login method. Supported method is one of {string.Join(", ", SupportedLogins)}";
        }

        if (string.IsNullOrEmpty(o.GetValueOrDefault("server-id")))
        {
            return "server-id is required";
        }

        string? Missing(params (string Key, string Error)[] required) =>
            required.Where(r => string.IsNullOrEmpty(o.GetValueOrDefault(r.Key))).Select(r => r.Error).FirstOrDefault();

        return login switch
        {
            "devicecode" or "interactive" => Missing(("client-id", "client ID cannot be empty"), ("tenant-id", "tenant ID cannot be empty")),
            "ropc" => Missing(("client-id", "client ID cannot be empty"), ("tenant-id", "tenant ID cannot be empty"), ("username", "username cannot be empty"), ("password", "password cannot be empty")),
            "spn" when !string.IsNullOrEmpty(o.GetValueOrDefault("client-certificate")) => Missing(("client-id", "client ID cannot be empty"), ("tenant-id", "tenant ID cannot be empty")),
            "spn" => Missing(("client-id", "client ID cannot be empty"), ("tenant-id", "tenant ID cannot be empty"), ("client-secret", "client secret cannot be empty")),
            "workloadidentity" => Missing(("client-id", "client ID cannot be empty"), ("tenant-id", "tenant ID cannot be empty"), ("federated-token-file", "federated token file cannot be empty")),
            _ => null, // azurecli, azd, msi: the Azure CLI, azd or the identity endpoint know who signs in.
        };
    }
}
