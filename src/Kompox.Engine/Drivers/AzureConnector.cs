using Azure.Core;
using Azure.Core.Pipeline;
using Azure.Identity;
using Azure.ResourceManager;
using Kompox.Model;

namespace Kompox.Drivers;

/// <summary>
/// How the aks runtime reaches Azure: the Resource Manager endpoint, the credential and the HTTP transport. The default
/// is the public cloud with <see cref="DefaultAzureCredential"/> as the provider's settings configure it; tests give an
/// endpoint of their own with a credential and a transport that trusts it.
/// </summary>
public sealed class AzureConnector
{
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

    /// <summary>The public cloud, signed in with <see cref="DefaultAzureCredential"/> per provider.</summary>
    public static AzureConnector PublicCloud { get; } = new();

    /// <summary>A Resource Manager client for the provider, with its credential: the caller keeps them for as long as it serves the provider.</summary>
    /// <remarks>Management is a signed pipeline to the same endpoint, for the resources the SDK client has no types for.</remarks>
    internal (ArmClient Arm, HttpPipeline Blobs, TokenCredential Credential, HttpPipeline Management, Uri Endpoint) Connect(KompoxProvider provider, string subscriptionId)
    {
        var clientOptions = options ?? new ArmClientOptions();
        var credential = credentials?.Invoke(provider) ?? DefaultCredential(provider);
        var arm = new ArmClient(credential, subscriptionId, clientOptions);
        var environment = clientOptions.Environment ?? ArmEnvironment.AzurePublicCloud;
        var management = HttpPipelineBuilder.Build(clientOptions, new BearerTokenAuthenticationPolicy(credential, environment.DefaultScope));
        return (arm, HttpPipelineBuilder.Build(clientOptions), credential, management, environment.Endpoint);
    }

    /// <summary>
    /// A pipeline that signs requests to Resource Manager with <paramref name="credential"/>, and Resource Manager's
    /// endpoint: for the resource types no SDK package of this assembly covers (AKS managed clusters).
    /// </summary>
    internal (HttpPipeline Pipeline, Uri Endpoint) ArmRequests(TokenCredential credential)
    {
        var clientOptions = options ?? new ArmClientOptions();
        var environment = clientOptions.Environment ?? ArmEnvironment.AzurePublicCloud;
        return (HttpPipelineBuilder.Build(clientOptions, new BearerTokenAuthenticationPolicy(credential, environment.DefaultScope)), environment.Endpoint);
    }

    /// <summary>
    /// <see cref="DefaultAzureCredential"/> narrowed as <c>AZURE_TOKEN_CREDENTIALS</c> narrows it, from the provider's
    /// setting rather than the process's environment, so two providers in one session can differ. Without the setting,
    /// the credential reads the environment variable itself.
    /// </summary>
    internal static TokenCredential DefaultCredential(KompoxProvider provider)
    {
        var options = new DefaultAzureCredentialOptions();
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
