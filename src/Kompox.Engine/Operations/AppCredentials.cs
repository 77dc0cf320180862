using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Kompox.Conversion;
using Kompox.Drivers;
using Kompox.Kube;
using Kompox.Model;

namespace Kompox.Operations;

/// <summary>What kind of user kubeconfig <see cref="IAppOperations.GetCredentialAsync"/> makes.</summary>
public sealed record AppCredentialOptions
{
    /// <summary>The shortest token the TokenRequest API issues.</summary>
    public static readonly TimeSpan MinimumDuration = TimeSpan.FromMinutes(10);

    /// <summary>The longest: the API takes expirationSeconds up to 2^32.</summary>
    public static readonly TimeSpan MaximumDuration = TimeSpan.FromSeconds(1L << 32);

    public static readonly TimeSpan DefaultDuration = TimeSpan.FromHours(1);

    /// <summary>How long the ServiceAccount token lasts; the API server may shorten it (the result's ExpiresAt says).</summary>
    public TimeSpan Duration { get; init; } = DefaultDuration;

    /// <summary>
    /// On AKS: a kubeconfig for the Entra ID principals bound to the app's Role, authenticating through the
    /// <c>kubelogin</c> exec plugin (login mode <see cref="KubeloginLoginMode"/>), with no token in the file.
    /// </summary>
    public bool Kubelogin { get; init; }

    /// <summary>kubelogin's <c>--login</c>: azurecli (the signed-in Azure CLI), devicecode, interactive, spn, msi, workloadidentity, azd.</summary>
    public string KubeloginLoginMode { get; init; } = "azurecli";

    /// <summary>kubelogin's login modes (its <c>get-token --login</c> values).</summary>
    public static IReadOnlyList<string> KubeloginLoginModes { get; } = new[] { "azurecli", "azd", "devicecode", "interactive", "msi", "spn", "workloadidentity" };

    /// <summary>Why <paramref name="duration"/> cannot be a token's lifetime; null when it can.</summary>
    public static string? CheckDuration(TimeSpan duration) =>
        duration < MinimumDuration
            ? $"the duration {duration.ToString("c", CultureInfo.InvariantCulture)} is shorter than 10 minutes, the shortest token Kubernetes issues"
            : duration > MaximumDuration
                ? $"the duration {duration.ToString("c", CultureInfo.InvariantCulture)} is longer than 2^32 seconds, the longest token Kubernetes issues"
                : null;
}

/// <summary>A kubeconfig that reaches only the app's namespace, with the Role of SPEC 6.</summary>
/// <param name="Kubeconfig">The kubeconfig's YAML: one cluster, one user, one context (the current one) whose namespace is the app's.</param>
/// <param name="Server">The API server's URL, as the cluster's own kubeconfig names it.</param>
/// <param name="User">Who the credential authenticates as: <c>system:serviceaccount:&lt;ns&gt;:&lt;name&gt;</c>, or the Entra ID principals bound to the Role for kubelogin.</param>
/// <param name="ServiceAccount">The app's user ServiceAccount (<c>&lt;app&gt;-access</c>), whose RoleBinding grants the Role.</param>
/// <param name="ExpiresAt">When the token expires, as the API server said; null for kubelogin, whose tokens kubelogin renews.</param>
/// <param name="ContextName">The kubeconfig's context (and cluster and user) name.</param>
public sealed record AppCredential(
    string AppId,
    string Kubeconfig,
    string Server,
    string Namespace,
    string User,
    string ServiceAccount,
    DateTimeOffset? ExpiresAt,
    string ContextName,
    bool Kubelogin)
{
    /// <summary>Writes <see cref="Kubeconfig"/> to <paramref name="path"/> with mode 0600 from its creation, whole or not at all.</summary>
    /// <exception cref="KompoxException"><c>OutputFileExists</c> when the file exists and <paramref name="overwrite"/> is false; <c>FileWriteFailed</c>, <c>DirectoryNotFound</c>.</exception>
    public FileInfo WriteTo(string path, bool overwrite)
    {
        if (!overwrite && File.Exists(path))
        {
            throw new KompoxException("OutputFileExists", ErrorKind.AlreadyExists, $"{path} exists") { Target = path, Remedy = Remedy.Overwrite };
        }

        return AtomicFile.Write(path, Kubeconfig, overwrite, AtomicFile.OwnerOnly);
    }
}

/// <summary>Makes the user kubeconfig of an app (SPEC 6): a TokenRequest for its ServiceAccount, or kubelogin on AKS.</summary>
internal static class AppCredentialIssuer
{
    public static async Task<AppCredential> IssueAsync(OperationScope scope, AppCredentialOptions options, CancellationToken cancellationToken)
    {
        if (AppCredentialOptions.CheckDuration(options.Duration) is { } problem)
        {
            throw new KompoxException("InvalidDuration", ErrorKind.InvalidArgument, problem) { Target = "Duration", Remedy = Remedy.ChangeOption("Duration") };
        }

        var app = scope.App;
        var activity = scope.Activity;
        var progress = scope.Progress;
        var driver = scope.Driver;
        if (options.Kubelogin && !driver.SupportsKubelogin)
        {
            throw new KompoxException(
                "KubeloginUnsupported",
                ErrorKind.InvalidArgument,
                $"a kubelogin credential is for AKS clusters with Entra ID; cluster {app.Cluster.Id} uses driver {driver.Name}, whose users authenticate with the app's ServiceAccount token")
            {
                Target = app.Id,
                Remedy = Remedy.OmitOption("Kubelogin"),
            };
        }

        if (options.Kubelogin && !AppCredentialOptions.KubeloginLoginModes.Contains(options.KubeloginLoginMode, StringComparer.Ordinal))
        {
            throw new KompoxException("InvalidLoginMode", ErrorKind.InvalidArgument, $"'{options.KubeloginLoginMode}' is not a kubelogin login mode; use one of {string.Join(", ", AppCredentialOptions.KubeloginLoginModes)}") { Target = "KubeloginLoginMode", Remedy = Remedy.ChangeOption("KubeloginLoginMode") };
        }

        var endpoint = UserEndpoint(scope, scope.Context.Endpoint(app.Cluster));
        var client = scope.Kube;
        var ns = KubeNames.Namespace(app);
        var account = Access.Name(new AppScope(app, ns));
        var contextName = $"{app.Name}-{app.Cluster.Name}";
        return options.Kubelogin
            ? await KubeloginAsync(app, options, client, endpoint, ns, account, contextName, activity, progress, cancellationToken).ConfigureAwait(false)
            : await TokenAsync(app, options, client, endpoint, ns, account, contextName, activity, progress, cancellationToken).ConfigureAwait(false);
    }

    private static async Task<AppCredential> TokenAsync(KompoxApp app, AppCredentialOptions options, IKubernetes client, KubeEndpoint endpoint, string ns, string account, string contextName, string activity, IProgress<OperationProgress> progress, CancellationToken cancellationToken)
    {
        progress.Report(new OperationProgress(activity, $"requesting a token for ServiceAccount {ns}/{account}", 0));
        var request = new Authenticationv1TokenRequest
        {
            ApiVersion = "authentication.k8s.io/v1",
            Kind = "TokenRequest",
            Spec = new V1TokenRequestSpec { ExpirationSeconds = (long)options.Duration.TotalSeconds },
        };
        Authenticationv1TokenRequest issued;
        try
        {
            issued = await client.CoreV1.CreateNamespacedServiceAccountTokenAsync(request, account, ns, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (HttpOperationException e) when (e.Response?.StatusCode == HttpStatusCode.NotFound)
        {
            throw NotDeployed(app, $"ServiceAccount {ns}/{account}", e);
        }

        var expires = issued.Status?.ExpirationTimestamp is { } stamp
            ? new DateTimeOffset(stamp.Kind == DateTimeKind.Local ? stamp.ToUniversalTime() : DateTime.SpecifyKind(stamp, DateTimeKind.Utc))
            : (DateTimeOffset?)null;
        var user = $"system:serviceaccount:{ns}:{account}";
        var userEntry = new StringBuilder()
            .Append("    token: ").Append(Quote(issued.Status?.Token ?? throw new KompoxException("KubernetesRequestFailed", ErrorKind.Unavailable, $"requesting a token for ServiceAccount {ns}/{account}: the answer holds no token"))).Append('\n');
        progress.Report(new OperationProgress(activity, $"token for {user} until {expires:u}", 100));
        return new AppCredential(app.Id, Kubeconfig(endpoint, contextName, ns, userEntry.ToString()), endpoint.Server, ns, user, account, expires, contextName, false);
    }

    private static async Task<AppCredential> KubeloginAsync(KompoxApp app, AppCredentialOptions options, IKubernetes client, KubeEndpoint endpoint, string ns, string account, string contextName, string activity, IProgress<OperationProgress> progress, CancellationToken cancellationToken)
    {
        var args = KubeloginArguments(app, options.KubeloginLoginMode);
        progress.Report(new OperationProgress(activity, $"reading RoleBinding {ns}/{account}", 0));
        V1RoleBinding binding;
        try
        {
            binding = await client.RbacAuthorizationV1.ReadNamespacedRoleBindingAsync(account, ns, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (HttpOperationException e) when (e.Response?.StatusCode == HttpStatusCode.NotFound)
        {
            throw NotDeployed(app, $"RoleBinding {ns}/{account}", e);
        }

        var principals = (binding.Subjects ?? new List<Rbacv1Subject>()).Where(s => s.Kind is "User" or "Group").Select(s => $"{s.Kind} {s.Name}").ToList();
        if (principals.Count == 0)
        {
            throw new KompoxException(
                "NoAccessPrincipals",
                ErrorKind.Conflict,
                $"app {app.Id}: RoleBinding {ns}/{account} binds no Entra ID principal, so a kubelogin kubeconfig would be refused; name them in app.settings {AksDriver.AccessUsersSetting} or {AksDriver.AccessGroupsSetting} and deploy the app again")
            {
                Target = app.Id,
            };
        }


        var userEntry = new StringBuilder()
            .Append("    exec:\n")
            .Append("      apiVersion: client.authentication.k8s.io/v1beta1\n")
            .Append("      command: kubelogin\n")
            .Append("      args:\n");
        foreach (var arg in args)
        {
            userEntry.Append("      - ").Append(Quote(arg)).Append('\n');
        }

        userEntry.Append("      interactiveMode: ").Append(options.KubeloginLoginMode is "devicecode" or "interactive" ? "IfAvailable" : "Never").Append('\n')
            .Append("      provideClusterInfo: false\n");
        progress.Report(new OperationProgress(activity, $"kubelogin ({options.KubeloginLoginMode}) for {string.Join(", ", principals)}", 100));
        return new AppCredential(app.Id, Kubeconfig(endpoint, contextName, ns, userEntry.ToString()), endpoint.Server, ns, string.Join(", ", principals), account, null, contextName, true);
    }

    /// <summary>
    /// Where users reach the API server: the cluster's <see cref="ApiServerSettings.Url"/> (with its CA when given), else
    /// the operator's own address, with a warning when that is one only the operator reaches: a loopback address (k3s's
    /// own kubeconfig names https://127.0.0.1:6443) or the in-cluster Service address of a Pod.
    /// </summary>
    private static KubeEndpoint UserEndpoint(OperationScope scope, KubeEndpoint own)
    {
        var settings = scope.Cluster.Settings;
        if (settings.TryGetValue(ApiServerSettings.Url, out var url) && url.Length > 0)
        {
            // The server name the operator's kubeconfig checks is for its own address, not this one.
            return own with
            {
                Server = url.TrimEnd('/'),
                CertificateAuthorityData = settings.TryGetValue(ApiServerSettings.Ca, out var ca) && ca.Length > 0 ? ca : own.CertificateAuthorityData,
                TlsServerName = null,
                InCluster = false,
            };
        }

        var why = own.InCluster
            ? "the in-cluster address of the API server, which only Pods reach"
            : Uri.TryCreate(own.Server, UriKind.Absolute, out var uri) && (uri.IsLoopback || uri.Host.StartsWith("kubernetes.default", StringComparison.OrdinalIgnoreCase))
                ? "an address on the operator's own machine or cluster network, which users elsewhere do not reach"
                : null;
        if (why is not null)
        {
            scope.Warn(Diagnostic.Warning(scope.Cluster.Id, SourceMark.File, $"cluster.settings.{ApiServerSettings.Url}", $"the kubeconfig names the API server {own.Server}, {why}; set cluster.settings.{ApiServerSettings.Url} (and {ApiServerSettings.Ca} when its certificate has another CA) to the address users reach"));
        }

        return own;
    }

    /// <summary>
    /// <c>kubelogin get-token</c>'s arguments for a login mode, each mode given what its credential needs (Azure/kubelogin
    /// pkg/internal/token: options.go, execCredentialPlugin.go, provider.go and the credential of each mode). Every mode
    /// needs the AKS server id. devicecode and interactive sign a user in through a public client: the AKS AAD client that
    /// <c>az aks get-credentials</c> writes, in the cluster's tenant; without a tenant kubelogin fails ("tenant ID cannot be
    /// empty"), so that is refused here. spn, msi and workloadidentity take their identity from the environment kubelogin
    /// runs in (AZURE_CLIENT_ID, AZURE_CLIENT_SECRET, AZURE_FEDERATED_TOKEN_FILE, ...), which overrides these flags.
    /// </summary>
    internal static IReadOnlyList<string> KubeloginArguments(KompoxApp app, string loginMode)
    {
        var args = new List<string> { "get-token", "--login", loginMode, "--server-id", AksDriver.AksServerId };
        var hasTenant = app.Cluster.Provider.Settings.TryGetValue("AZURE_TENANT_ID", out var tenant);
        if (loginMode is "devicecode" or "interactive")
        {
            if (!hasTenant)
            {
                throw new KompoxException(
                    "KubeloginTenantRequired",
                    ErrorKind.InvalidArgument,
                    $"kubelogin login mode {loginMode} signs in to a tenant, and provider {app.Cluster.Provider.Id} names none: set provider.settings.AZURE_TENANT_ID to the tenant of cluster {app.Cluster.Id}, or use login mode azurecli")
                {
                    Target = "KubeloginLoginMode",
                    Remedy = Remedy.ChangeOption("KubeloginLoginMode"),
                };
            }

            args.AddRange(new[] { "--client-id", AksDriver.AksClientId });
        }

        if (hasTenant)
        {
            args.AddRange(new[] { "--tenant-id", tenant! });
        }

        return args;
    }

    private static KompoxException NotDeployed(KompoxApp app, string missing, Exception inner) =>
        new("AppNotDeployed", ErrorKind.NotFound, $"app {app.Id} is not deployed on cluster {app.Cluster.Id} ({missing} does not exist)", inner) { Target = app.Id, Remedy = Remedy.DeployFirst };

    /// <summary>The kubeconfig; every free-form value is a JSON string, which YAML reads as the same string.</summary>
    private static string Kubeconfig(KubeEndpoint endpoint, string name, string ns, string userEntry)
    {
        var text = new StringBuilder()
            .Append("apiVersion: v1\n")
            .Append("kind: Config\n")
            .Append("clusters:\n")
            .Append("- name: ").Append(Quote(name)).Append('\n')
            .Append("  cluster:\n")
            .Append("    server: ").Append(Quote(endpoint.Server)).Append('\n');
        if (endpoint.CertificateAuthorityData is { } ca)
        {
            text.Append("    certificate-authority-data: ").Append(Quote(ca)).Append('\n');
        }

        if (endpoint.TlsServerName is { } serverName)
        {
            text.Append("    tls-server-name: ").Append(Quote(serverName)).Append('\n');
        }

        if (endpoint.InsecureSkipTlsVerify)
        {
            text.Append("    insecure-skip-tls-verify: true\n");
        }

        return text
            .Append("users:\n")
            .Append("- name: ").Append(Quote(name)).Append('\n')
            .Append("  user:\n")
            .Append(userEntry)
            .Append("contexts:\n")
            .Append("- name: ").Append(Quote(name)).Append('\n')
            .Append("  context:\n")
            .Append("    cluster: ").Append(Quote(name)).Append('\n')
            .Append("    user: ").Append(Quote(name)).Append('\n')
            .Append("    namespace: ").Append(Quote(ns)).Append('\n')
            .Append("current-context: ").Append(Quote(name)).Append('\n')
            .ToString();
    }

    // Relaxed escaping keeps '+' and '/' of base64 as they are; the quotes and control characters are still escaped.
    private static readonly JsonSerializerOptions QuoteOptions = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private static string Quote(string value) => JsonSerializer.Serialize(value, QuoteOptions);
}
