using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Azure.Core;
using Azure.Core.Pipeline;
using Azure.Identity;
using Azure.ResourceManager;
using Kompox.Model;

namespace Kompox.Drivers;

/// <summary>
/// How the aks runtime reaches Azure: the Resource Manager endpoint, the credential and the HTTP transport. The default
/// takes them from the provider's settings: the cloud (<see cref="EndpointSetting"/>, the public cloud when absent), where
/// to sign in (<see cref="AuthorityHostSetting"/>), extra trusted CAs (<see cref="CaSetting"/>) and
/// <see cref="DefaultAzureCredential"/> as <c>AZURE_TOKEN_CREDENTIALS</c> narrows it. An embedding host may give its own
/// endpoint, credential and transport instead.
/// </summary>
public sealed class AzureConnector
{
    /// <summary>Provider setting: the Resource Manager endpoint of a sovereign cloud or an Azure Stack Hub.</summary>
    public const string EndpointSetting = "AZURE_RESOURCE_MANAGER_ENDPOINT";

    /// <summary>Provider setting: the Entra ID authority host the credentials sign in at.</summary>
    public const string AuthorityHostSetting = "AZURE_AUTHORITY_HOST";

    /// <summary>Provider setting: CA certificates (base64 of PEM) trusted besides the system's for Azure's endpoints.</summary>
    public const string CaSetting = "AZURE_CA";

    private readonly Func<KompoxProvider, TokenCredential>? credentials;
    private readonly ArmClientOptions? options;

    /// <param name="credential">Signs every Resource Manager request; SAS requests carry no token.</param>
    /// <param name="options">The endpoint (<see cref="ArmClientOptions.Environment"/>), the transport and the retries, shared by
    /// the Resource Manager client and the requests to the SAS URLs the disks grant.</param>
    public AzureConnector(TokenCredential credential, ArmClientOptions options)
        : this(_ => credential, options)
    {
    }

    /// <param name="credentials">Makes the credential of a provider; called once per provider and context.</param>
    /// <param name="options">As for <see cref="AzureConnector(TokenCredential, ArmClientOptions)"/>.</param>
    public AzureConnector(Func<KompoxProvider, TokenCredential> credentials, ArmClientOptions options)
    {
        this.credentials = credentials;
        this.options = options;
    }

    private AzureConnector()
    {
    }

    /// <summary>Azure as the provider's settings name it (the public cloud without them), signed in with <see cref="DefaultAzureCredential"/>.</summary>
    public static AzureConnector PublicCloud { get; } = new();

    /// <summary>
    /// The clouds whose Resource Manager endpoint Azure.ResourceManager and Azure.Identity know, with their token audience
    /// and Entra ID authority (<see cref="ArmEnvironment"/>, <see cref="AzureAuthorityHosts"/>; learn.microsoft.com/azure/
    /// china/resources-developer-guide, learn.microsoft.com/azure/azure-government/compare-azure-government-global-azure).
    /// </summary>
    private static readonly (ArmEnvironment Environment, Uri Authority)[] KnownClouds =
    [
        (ArmEnvironment.AzurePublicCloud, AzureAuthorityHosts.AzurePublicCloud),
        (ArmEnvironment.AzureChina, AzureAuthorityHosts.AzureChina),
        (ArmEnvironment.AzureGovernment, AzureAuthorityHosts.AzureGovernment),
    ];

    /// <summary>A Resource Manager client for the provider, with its credential: the caller keeps them for as long as it serves the provider.</summary>
    /// <remarks>Management is a signed pipeline to the same endpoint, for the resources the SDK client has no types for.</remarks>
    internal (ArmClient Arm, HttpPipeline Blobs, TokenCredential Credential, HttpPipeline Management, Uri Endpoint) Connect(KompoxProvider provider, string subscriptionId)
    {
        var (clientOptions, authority) = options is null ? FromSettings(provider) : (options, null);
        var credential = credentials?.Invoke(provider) ?? DefaultCredential(provider, clientOptions.Transport, authority);
        var arm = new ArmClient(credential, subscriptionId, clientOptions);
        var environment = clientOptions.Environment ?? ArmEnvironment.AzurePublicCloud;
        var management = HttpPipelineBuilder.Build(clientOptions, new BearerTokenAuthenticationPolicy(credential, environment.DefaultScope));
        return (arm, HttpPipelineBuilder.Build(clientOptions), credential, management, environment.Endpoint);
    }

    /// <summary>
    /// The endpoint, its token audience and its authority from the provider's settings. A known cloud's endpoint brings its
    /// audience and authority; another endpoint (an Azure Stack Hub) is its own audience and signs in where
    /// <see cref="AuthorityHostSetting"/> says. <see cref="CaSetting"/> makes one transport, shared by Resource Manager,
    /// the disks' SAS downloads and the credential's sign-in requests.
    /// </summary>
    internal static (ArmClientOptions Options, Uri? Authority) FromSettings(KompoxProvider provider)
    {
        var clientOptions = new ArmClientOptions();
        Uri? authority = null;
        if (provider.Settings.GetValueOrDefault(EndpointSetting) is { } endpointText)
        {
            var endpoint = new Uri(endpointText.EndsWith('/') ? endpointText : endpointText + "/");
            var known = KnownClouds.Where(c => c.Environment.Endpoint == endpoint).Select(c => ((ArmEnvironment Environment, Uri Authority)?)c).FirstOrDefault();
            clientOptions.Environment = known?.Environment ?? new ArmEnvironment(endpoint, endpoint.ToString());
            authority = known?.Authority;
        }

        if (provider.Settings.GetValueOrDefault(AuthorityHostSetting) is { } host)
        {
            authority = new Uri(host);
        }

        if (provider.Settings.GetValueOrDefault(CaSetting) is { } ca)
        {
            clientOptions.Transport = new HttpClientTransport(TrustingHandler(ca));
        }

        return (clientOptions, authority);
    }

    /// <summary>
    /// Accepts what the system trusts, and a certificate that chains to one of the given CAs (base64 of PEM) with its name
    /// matching the host: the system's trust is widened, never narrowed, and no name check is skipped.
    /// </summary>
    internal static HttpClientHandler TrustingHandler(string caBase64)
    {
        var roots = new X509Certificate2Collection();
        roots.ImportFromPem(Encoding.UTF8.GetString(Convert.FromBase64String(caBase64)));
        return new HttpClientHandler
        {
            ServerCertificateCustomValidationCallback = (_, certificate, _, errors) =>
            {
                if (errors == SslPolicyErrors.None)
                {
                    return true;
                }

                if (certificate is null || errors != SslPolicyErrors.RemoteCertificateChainErrors)
                {
                    return false;
                }

                using var chain = new X509Chain();
                chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
                chain.ChainPolicy.CustomTrustStore.AddRange(roots);
                chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
                return chain.Build(certificate);
            },
        };
    }

    /// <summary>
    /// <see cref="DefaultAzureCredential"/> narrowed as <c>AZURE_TOKEN_CREDENTIALS</c> narrows it, from the provider's
    /// setting rather than the process's environment, so two providers in one session can differ. Without the setting,
    /// the credential reads the environment variable itself.
    /// </summary>
    internal static TokenCredential DefaultCredential(KompoxProvider provider, HttpPipelineTransport? transport = null, Uri? authority = null)
    {
        var options = new DefaultAzureCredentialOptions();
        if (transport is not null)
        {
            options.Transport = transport;
        }

        if (authority is not null)
        {
            options.AuthorityHost = authority;
        }

        if (provider.Settings.GetValueOrDefault("AZURE_TENANT_ID") is { } tenant)
        {
            options.TenantId = tenant;
        }

        if (provider.Settings.GetValueOrDefault("AZURE_TOKEN_CREDENTIALS") is not { } only)
        {
            return new DefaultAzureCredential(options);
        }

        bool Keep(string name, bool developerTool) =>
            only.Equals(name, StringComparison.OrdinalIgnoreCase)
            || (developerTool && only.Equals("dev", StringComparison.OrdinalIgnoreCase))
            || (!developerTool && only.Equals("prod", StringComparison.OrdinalIgnoreCase));

        options.ExcludeEnvironmentCredential = !Keep("EnvironmentCredential", developerTool: false);
        options.ExcludeWorkloadIdentityCredential = !Keep("WorkloadIdentityCredential", developerTool: false);
        options.ExcludeManagedIdentityCredential = !Keep("ManagedIdentityCredential", developerTool: false);
        options.ExcludeVisualStudioCredential = !Keep("VisualStudioCredential", developerTool: true);
        options.ExcludeAzureCliCredential = !Keep("AzureCliCredential", developerTool: true);
        options.ExcludeAzurePowerShellCredential = !Keep("AzurePowerShellCredential", developerTool: true);
        options.ExcludeAzureDeveloperCliCredential = !Keep("AzureDeveloperCliCredential", developerTool: true);
        options.ExcludeInteractiveBrowserCredential = true;
        return new DefaultAzureCredential(options);
    }
}
