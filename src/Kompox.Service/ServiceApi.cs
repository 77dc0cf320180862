using System.Security.Claims;
using System.Text.Json;
using Kompox.Drivers;
using Kompox.Model;
using Kompox.Operations;
using Kompox.Service.Store;
using Microsoft.Extensions.Options;

namespace Kompox.Service;

/// <summary>
/// What the endpoints do, over the one <see cref="KompoxContext"/> the service keeps for its lifetime: each checks the
/// caller and the request, then calls the same engine operation as the cmdlet that does the same thing.
/// </summary>
public sealed class ServiceApi(ServiceStore store, KompoxContext context, OperationRegistry operations, IOptions<ServiceOptions> options, TimeProvider time, Redactor redactor)
{
    public ServiceStore Store => store;

    public OperationRegistry Operations => operations;

    public ServiceOptions Options => options.Value;

    public AppOperations Apps { get; } = new(context);

    public DiskOperations Disks { get; } = new(context);

    public SnapshotOperations Snapshots { get; } = new(context);

    public ClusterOperations ClusterOps { get; } = new(context);

    public Redactor Redactor => redactor;

    public static string Version => typeof(KompoxException).Assembly.GetName().Version?.ToString(3) ?? "0.0.0";

    public Task<T> ReadAsync<T>(HttpContext http) => ApiJson.ReadAsync<T>(http.Request, Options.MaxRequestBodyBytes, http.RequestAborted);

    /// <summary>An optional body: none (or an empty one) gives <paramref name="none"/>.</summary>
    public async Task<T> ReadOptionalAsync<T>(HttpContext http, T none) =>
        http.Request.ContentLength is 0 || (http.Request.ContentLength is null && http.Request.ContentType is null) ? none : await ReadAsync<T>(http);

    // ---- names and views ----

    public static void CheckName(string name, string what)
    {
        if (Names.CheckDnsLabel(name) is { } problem)
        {
            throw new KompoxException("InvalidName", ErrorKind.InvalidArgument, $"{what} name {problem}") { Target = name };
        }
    }

    public static ProviderInfo View(ProviderRecord p) => new(p.Name, p.Driver, Masked(p.Settings));

    public static ClusterInfo View(ClusterRecord c, bool admin) => new(
        c.Name,
        c.Provider,
        c.Domain,
        new IngressInfo(c.IngressController, c.IngressNamespace),
        admin ? Masked(c.Settings) : null,
        admin ? new CredentialInfo(c.CredentialType, c.Context) : null);

    public AppInfo View(AppRecord a) => new(a.Name, store.AppId(a), a.Cluster, a.Owner, a.Compose, a.Ingress, a.Resources, a.Settings, a.CreatedAt, a.UpdatedAt);

    /// <summary>
    /// The JSON of an app listing (one owner's, or every app's for null), kept until the next change of the apps: the
    /// listing is what clients poll, and its answer is the same bytes until something changes.
    /// </summary>
    public byte[] AppListing(string? owner)
    {
        var version = store.AppsVersion;
        var key = owner ?? string.Empty;
        if (listings.TryGetValue(key, out var cached) && cached.Version == version)
        {
            return cached.Json;
        }

        var json = JsonSerializer.SerializeToUtf8Bytes(store.Apps(owner).Select(View).ToList(), ApiJson.Options);
        listings[key] = (version, json);
        return json;
    }

    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, (long Version, byte[] Json)> listings = new(StringComparer.Ordinal);

    public static UserInfo View(UserRecord u, string? token = null) => new(u.Name, u.Role, u.EntraObjectId, token);

    private static Dictionary<string, string> Masked(Dictionary<string, string> settings) =>
        settings.ToDictionary(e => e.Key, e => SecretBox.IsSecretKey(e.Key) ? SecretBox.Masked : e.Value, StringComparer.Ordinal);

    // ---- providers and clusters ----

    public ProviderRecord CheckProvider(ProviderBody body)
    {
        CheckName(body.Name, "provider");
        var driver = ProviderDrivers.Find(body.Driver)
            ?? throw new KompoxException("UnknownDriver", ErrorKind.InvalidArgument, $"provider {body.Name}: there is no driver '{body.Driver}'; the drivers are {string.Join(", ", ProviderDrivers.All.Select(d => d.Name))}") { Target = body.Driver };
        var settings = body.Settings ?? new Dictionary<string, string>();
        CheckSettings(driver, SettingScope.Provider, settings, body.Name);
        return new ProviderRecord(body.Name, driver.Name, settings);
    }

    public (ClusterRecord Record, string? Kubeconfig) CheckCluster(ClusterBody body, ClusterRecord? old)
    {
        CheckName(body.Name, "cluster");
        if (Names.CheckDnsSubdomain(body.Domain) is { } domainProblem)
        {
            throw new KompoxException("InvalidDomain", ErrorKind.InvalidArgument, $"cluster {body.Name}: domain {domainProblem}") { Target = body.Domain };
        }

        var provider = store.Provider(body.Provider)
            ?? throw new KompoxException("ProviderNotFound", ErrorKind.NotFound, $"there is no provider {body.Provider}") { Target = body.Provider };
        var settings = body.Settings ?? new Dictionary<string, string>();
        CheckSettings(ProviderDrivers.Find(provider.Driver)!, SettingScope.Cluster, settings, body.Name);
        var ingress = new ClusterIngress();
        var credential = body.Credential;
        string type;
        if (credential is null)
        {
            type = old?.CredentialType ?? throw ApiJson.Invalid($"cluster {body.Name} needs a credential: {{\"kubeconfig\": \"<content>\", \"context\": \"...\"}} or {{\"inCluster\": true}}");
        }
        else if (credential.InCluster == true)
        {
            type = credential.Kubeconfig is null ? "inCluster" : throw ApiJson.Invalid($"cluster {body.Name}: give either a kubeconfig or inCluster, not both");
        }
        else
        {
            type = credential.Kubeconfig is not null || old?.CredentialType == "kubeconfig" ? "kubeconfig" : throw ApiJson.Invalid($"cluster {body.Name}: the credential has no kubeconfig");
        }

        var record = new ClusterRecord(
            body.Name,
            provider.Name,
            body.Domain,
            settings,
            body.Ingress?.Controller ?? old?.IngressController ?? ingress.Controller,
            body.Ingress?.Namespace ?? old?.IngressNamespace ?? ingress.Namespace,
            type,
            credential is null ? old?.Context : credential.Context,
            null);
        CheckName(record.IngressNamespace, "ingress namespace");
        return (record, credential?.Kubeconfig);
    }

    private static void CheckSettings(IProviderDriver driver, SettingScope scope, IReadOnlyDictionary<string, string> settings, string owner)
    {
        var errors = SettingSpec.CheckAll(driver, scope, settings).Where(p => p.Severity == Severity.Error).ToList();
        if (errors.Count > 0)
        {
            throw new KompoxException("InvalidSetting", ErrorKind.InvalidArgument, $"{scope.ToString().ToLowerInvariant()} {owner}: {string.Join("; ", errors.Select(e => $"{e.Key}: {e.Message}"))}")
            {
                Target = errors.Select(e => Diagnostic.Error(owner, SourceMark.File, e.Key, e.Message)).ToList(),
            };
        }
    }

    // ---- apps ----

    /// <summary>The caller's app by name; another user's app is <c>AppNotFound</c>, exactly as one that does not exist.</summary>
    public AppRecord App(ClaimsPrincipal caller, string name)
    {
        var app = store.App(name);
        if (app is null || (!caller.IsAdmin() && app.Owner != caller.Name()))
        {
            throw new KompoxException("AppNotFound", ErrorKind.NotFound, $"there is no app {name}") { Target = name };
        }

        return app;
    }

    /// <summary>
    /// The app checked as the engine checks it before anything is stored: its name, its settings for the driver, its
    /// snapshot policy, and its compose converted offline (<c>InvalidCompose</c> with every problem).
    /// </summary>
    public AppRecord CheckApp(AppRecord app)
    {
        if (Names.CheckAppName(app.Name) is { } problem)
        {
            throw new KompoxException("InvalidAppName", ErrorKind.InvalidArgument, $"app name {problem}") { Target = app.Name };
        }

        var clusterRecord = store.Cluster(app.Cluster)
            ?? throw new KompoxException("ClusterNotFound", ErrorKind.NotFound, $"there is no cluster {app.Cluster}") { Target = app.Cluster };
        var driver = ProviderDrivers.Find(store.Provider(clusterRecord.Provider)!.Driver)!;
        CheckSettings(driver, SettingScope.App, app.Settings.Where(s => !s.Key.StartsWith("SNAPSHOT_", StringComparison.Ordinal)).ToDictionary(), app.Name);

        // The model without the cluster's credential: the check is offline, and writes no kubeconfig.
        var cluster = store.Model(clusterRecord with { KubeconfigCipher = null });
        var model = ServiceStore.Model(app, cluster);
        SnapshotPolicy.Of(model);
        var validation = AppValidator.Validate(model, new AppValidationOptions());
        if (!validation.IsValid)
        {
            throw validation.Error();
        }

        return app;
    }

    public async Task<bool> IsDeployedAsync(AppRecord app, CancellationToken cancellationToken) =>
        (await Apps.GetStatusAsync(store.AppId(app), null, cancellationToken)).Deployed;

    public ServiceOperation Start(ClaimsPrincipal caller, string kind, AppRecord? app, Func<IProgress<OperationProgress>, CancellationToken, Task<object?>> work, Func<Task>? cleanup = null) =>
        operations.Start(kind, app?.Name, caller.Name(), work, cleanup);

    public static IResult Accepted(ServiceOperation operation) =>
        TypedResults.Accepted($"/v1/operations/{operation.Id}", operation.ToJson());

    // ---- files ----

    /// <summary>A private directory under the data path for uploads and exports on their way; emptied at start.</summary>
    public string TransferDirectory
    {
        get
        {
            var path = Path.Combine(Options.DataPath, "transfer");
            Directory.CreateDirectory(path);
            return path;
        }
    }

    /// <summary>The request body, streamed to a private file in constant memory, at most <see cref="ServiceOptions.MaxUploadBytes"/>.</summary>
    public async Task<string> ReceiveAsync(HttpContext http)
    {
        var limit = Options.MaxUploadBytes;
        if (http.Request.ContentLength > limit)
        {
            throw ApiJson.TooLarge(limit);
        }

        // The name is the service's own: nothing of the request (no file name, no path) is used.
        var path = Path.Combine(TransferDirectory, $"upload-{Guid.NewGuid():N}");
        try
        {
            await using var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16, useAsync: true);
            var buffer = new byte[1 << 16];
            long total = 0;
            int read;
            while ((read = await http.Request.Body.ReadAsync(buffer, http.RequestAborted)) > 0)
            {
                total += read;
                if (total > limit)
                {
                    throw ApiJson.TooLarge(limit);
                }

                await file.WriteAsync(buffer.AsMemory(0, read), http.RequestAborted);
            }
        }
        catch
        {
            File.Delete(path);
            throw;
        }

        return path;
    }

    /// <summary>Runs an export into a private file and answers it as a stream; the file goes when the response is sent.</summary>
    public async Task<IResult> DownloadAsync(AppRecord app, string name, Func<ExportOptions, Task> export)
    {
        var path = Path.Combine(TransferDirectory, $"export-{Guid.NewGuid():N}");
        try
        {
            await export(new ExportOptions { Path = path });
            var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Delete, 1 << 16, FileOptions.Asynchronous | FileOptions.DeleteOnClose);
            var gzip = store.Provider(store.Cluster(app.Cluster)!.Provider)!.Driver == "k3s";
            return TypedResults.Stream(stream, gzip ? "application/gzip" : "application/octet-stream", gzip ? $"{name}.tar.gz" : $"{name}.vhd");
        }
        catch
        {
            File.Delete(path);
            throw;
        }
    }

    // ---- snapshot policy ----

    public PolicyRunInfo RecordPolicyRun(string appName, SnapshotPolicyResult result)
    {
        var run = new PolicyRunInfo(time.GetUtcNow(), result.AppId, result.Outcome, result.Message, result.Taken, result.Kept, result.Pruned, result.Errors.Select(e => Problems.Document(e, null, redactor.Redact)).ToList());
        store.SavePolicyRun(appName, JsonSerializer.Serialize(run, ApiJson.Options));
        return run;
    }
}
