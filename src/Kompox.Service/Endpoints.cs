using System.Security.Claims;
using System.Text.Json;
using System.Text.Json.Nodes;
using Kompox.Drivers;
using Kompox.Model;
using Kompox.Operations;
using Kompox.Service.Store;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Kompox.Service;

/// <summary>The routes: groups by resource, typed results, OpenAPI metadata (summary, body, answers) on every endpoint.</summary>
public static class Endpoints
{
    public static void Map(WebApplication app)
    {
        app.MapGet("/healthz", () => TypedResults.Text("ok")).AllowAnonymous().WithSummary("The process is alive").ExcludeFromDescription();
        app.MapGet("/readyz", (IServiceProvider services) => services.GetService<ServiceStore>() is not null
            ? Results.Text("ready")
            : Results.Text("not ready", statusCode: StatusCodes.Status503ServiceUnavailable)).AllowAnonymous().ExcludeFromDescription();

        var v1 = app.MapGroup("/v1").RequireAuthorization().ProducesProblem(StatusCodes.Status401Unauthorized).ProducesProblem(StatusCodes.Status429TooManyRequests);
        MapService(v1.MapGroup("/service").WithTags("service"));
        MapProviders(v1.MapGroup("/providers").WithTags("providers").RequireAuthorization(Caller.AdminPolicy).ProducesProblem(StatusCodes.Status403Forbidden));
        MapClusters(v1.MapGroup("/clusters").WithTags("clusters"));
        MapUsers(v1.MapGroup("/users").WithTags("users").RequireAuthorization(Caller.AdminPolicy).ProducesProblem(StatusCodes.Status403Forbidden));
        MapApps(v1.MapGroup("/apps").WithTags("apps").ProducesProblem(StatusCodes.Status404NotFound));
        MapOperations(v1.MapGroup("/operations").WithTags("operations").ProducesProblem(StatusCodes.Status404NotFound));
    }

    private static RouteHandlerBuilder Body<T>(this RouteHandlerBuilder route)
        where T : notnull =>
        route.Accepts<T>("application/json").ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status413PayloadTooLarge);

    private static RouteHandlerBuilder Operation(this RouteHandlerBuilder route) =>
        route.Produces<JsonObject>(StatusCodes.Status202Accepted);

    private static void MapService(RouteGroupBuilder group)
    {
        group.MapGet("/", (ServiceApi api) => TypedResults.Ok(new ServiceInfo(api.Store.ServiceName, ServiceApi.Version)))
            .WithName("GetService").WithSummary("The service's name and version");
        group.MapPut("/", async Task<Ok<ServiceInfo>> (HttpContext http, ServiceApi api) =>
        {
            var body = await api.ReadAsync<ServiceUpdate>(http);
            ServiceApi.CheckName(body.Name, "service");
            api.Store.SetServiceName(body.Name);
            return TypedResults.Ok(new ServiceInfo(api.Store.ServiceName, ServiceApi.Version));
        }).RequireAuthorization(Caller.AdminPolicy).Body<ServiceUpdate>().ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status409Conflict)
            .WithName("SetService").WithSummary("Renames the service (administrators; only while it has no providers)");
    }

    private static void MapProviders(RouteGroupBuilder group)
    {
        group.MapGet("/", (ServiceApi api) => TypedResults.Ok(api.Store.Providers().Select(ServiceApi.View).ToList()))
            .WithName("ListProviders").WithSummary("Every provider; secret settings as ***");
        group.MapPost("/", async Task<Created<ProviderInfo>> (HttpContext http, ServiceApi api) =>
        {
            var record = api.CheckProvider(await api.ReadAsync<ProviderBody>(http));
            api.Store.PutProvider(record, create: true);
            return TypedResults.Created($"/v1/providers/{record.Name}", ServiceApi.View(api.Store.Provider(record.Name)!));
        }).Body<ProviderBody>().ProducesProblem(StatusCodes.Status409Conflict).WithName("CreateProvider").WithSummary("Registers a provider");
        group.MapGet("/{name}", Ok<ProviderInfo> (string name, ServiceApi api) =>
            TypedResults.Ok(ServiceApi.View(api.Store.Provider(name) ?? throw NotFound("Provider", name))))
            .ProducesProblem(StatusCodes.Status404NotFound).WithName("GetProvider").WithSummary("One provider");
        group.MapPut("/{name}", async Task<Ok<ProviderInfo>> (string name, HttpContext http, ServiceApi api) =>
        {
            var body = await api.ReadAsync<ProviderBody>(http);
            SameName(name, body.Name);
            api.Store.PutProvider(api.CheckProvider(body), create: false);
            return TypedResults.Ok(ServiceApi.View(api.Store.Provider(name)!));
        }).Body<ProviderBody>().ProducesProblem(StatusCodes.Status404NotFound).WithName("SetProvider").WithSummary("Changes a provider (a secret setting sent as *** keeps its value)");
        group.MapDelete("/{name}", NoContent (string name, ServiceApi api) =>
            api.Store.DeleteProvider(name) ? TypedResults.NoContent() : throw NotFound("Provider", name))
            .ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict).WithName("DeleteProvider").WithSummary("Removes a provider without clusters");
    }

    private static void MapClusters(RouteGroupBuilder group)
    {
        group.MapGet("/", (ClaimsPrincipal caller, ServiceApi api) => TypedResults.Ok(api.Store.Clusters().Select(c => ServiceApi.View(c, caller.IsAdmin())).ToList()))
            .WithName("ListClusters").WithSummary("Every cluster (users: name, provider, domain and ingress only)");
        group.MapPost("/", async Task<Created<ClusterInfo>> (HttpContext http, ServiceApi api) =>
        {
            var (record, kubeconfig) = api.CheckCluster(await api.ReadAsync<ClusterBody>(http), null);
            api.Store.PutCluster(record, kubeconfig, create: true);
            return TypedResults.Created($"/v1/clusters/{record.Name}", ServiceApi.View(api.Store.Cluster(record.Name)!, true));
        }).RequireAuthorization(Caller.AdminPolicy).Body<ClusterBody>().ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status409Conflict)
            .WithName("CreateCluster").WithSummary("Registers a cluster with its credential (stored encrypted, never returned)");
        group.MapGet("/{name}", Ok<ClusterInfo> (string name, ClaimsPrincipal caller, ServiceApi api) =>
            TypedResults.Ok(ServiceApi.View(api.Store.Cluster(name) ?? throw NotFound("Cluster", name), caller.IsAdmin())))
            .ProducesProblem(StatusCodes.Status404NotFound).WithName("GetCluster").WithSummary("One cluster");
        group.MapPut("/{name}", async Task<Ok<ClusterInfo>> (string name, HttpContext http, ServiceApi api) =>
        {
            var body = await api.ReadAsync<ClusterBody>(http);
            SameName(name, body.Name);
            var old = api.Store.Cluster(name) ?? throw NotFound("Cluster", name);
            var (record, kubeconfig) = api.CheckCluster(body, old);
            api.Store.PutCluster(record, kubeconfig, create: false);
            return TypedResults.Ok(ServiceApi.View(api.Store.Cluster(name)!, true));
        }).RequireAuthorization(Caller.AdminPolicy).Body<ClusterBody>().ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status404NotFound)
            .WithName("SetCluster").WithSummary("Changes a cluster; without a credential the stored one stays");
        group.MapDelete("/{name}", NoContent (string name, ServiceApi api) =>
            api.Store.DeleteCluster(name) ? TypedResults.NoContent() : throw NotFound("Cluster", name))
            .RequireAuthorization(Caller.AdminPolicy).ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict)
            .WithName("DeleteCluster").WithSummary("Removes a cluster without apps");
        group.MapPost("/{name}/initialize", IResult (string name, ClaimsPrincipal caller, ServiceApi api) =>
        {
            var id = api.Store.Model(api.Store.Cluster(name) ?? throw NotFound("Cluster", name)).Id;
            return ServiceApi.Accepted(api.Start(caller, "initialize", null, async (progress, token) => await api.ClusterOps.InitializeIngressAsync(id, progress, token)));
        }).RequireAuthorization(Caller.AdminPolicy).Operation().ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status404NotFound)
            .WithName("InitializeCluster").WithSummary("Installs or updates the cluster ingress (Initialize-KompoxCluster)");
        group.MapGet("/{name}/ingress", async Task<Ok<ClusterStatus>> (string name, HttpContext http, ServiceApi api) =>
        {
            var id = api.Store.Model(api.Store.Cluster(name) ?? throw NotFound("Cluster", name)).Id;
            return TypedResults.Ok(await api.ClusterOps.GetStatusAsync(id, null, http.RequestAborted));
        }).RequireAuthorization(Caller.AdminPolicy).ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status404NotFound)
            .WithName("GetClusterIngress").WithSummary("The cluster's ingress address and status (Get-KompoxCluster)");
    }

    private static void MapUsers(RouteGroupBuilder group)
    {
        group.MapGet("/", (ServiceApi api) => TypedResults.Ok(api.Store.Users().Select(u => ServiceApi.View(u)).ToList()))
            .WithName("ListUsers").WithSummary("Every user (no tokens)");
        group.MapPost("/", async Task<Created<UserInfo>> (HttpContext http, ServiceApi api, TimeProvider time) =>
        {
            var body = await api.ReadAsync<UserBody>(http);
            ServiceApi.CheckName(body.Name, "user");
            if (!Roles.IsValid(body.Role))
            {
                throw ApiJson.Invalid($"user {body.Name}: role '{body.Role}' is neither {Roles.Admin} nor {Roles.User}");
            }

            var token = Tokens.New();
            var user = new UserRecord(body.Name, body.Role, body.EntraObjectId, Tokens.Hash(token), time.GetUtcNow());
            api.Store.PutUser(user, create: true);
            return TypedResults.Created($"/v1/users/{user.Name}", ServiceApi.View(user, token));
        }).Body<UserBody>().ProducesProblem(StatusCodes.Status409Conflict).WithName("CreateUser").WithSummary("Adds a user; the answer holds its token, shown only this once");
        group.MapGet("/{name}", Ok<UserInfo> (string name, ServiceApi api) => TypedResults.Ok(ServiceApi.View(api.Store.User(name) ?? throw NotFound("User", name))))
            .ProducesProblem(StatusCodes.Status404NotFound).WithName("GetUser").WithSummary("One user");
        group.MapDelete("/{name}", NoContent (string name, ClaimsPrincipal caller, ServiceApi api) =>
        {
            if (name == caller.Name())
            {
                throw new KompoxException("ResourceInUse", ErrorKind.Conflict, $"user {name} is the caller; another administrator removes it") { Target = name };
            }

            return api.Store.DeleteUser(name) ? TypedResults.NoContent() : throw NotFound("User", name);
        }).ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict).WithName("DeleteUser").WithSummary("Removes a user without apps");
        group.MapPost("/{name}/token", Ok<UserInfo> (string name, ServiceApi api) =>
        {
            var user = api.Store.User(name) ?? throw NotFound("User", name);
            var token = Tokens.New();
            var renewed = user with { TokenHash = Tokens.Hash(token) };
            api.Store.PutUser(renewed, create: false);
            return TypedResults.Ok(ServiceApi.View(renewed, token));
        }).ProducesProblem(StatusCodes.Status404NotFound).WithName("RenewUserToken").WithSummary("A new token for the user; the old one stops working");
    }

    private static void MapApps(RouteGroupBuilder group)
    {
        group.MapGet("/", (ClaimsPrincipal caller, ServiceApi api, string? owner) =>
            TypedResults.Bytes(api.AppListing(caller.IsAdmin() ? owner : caller.Name()), "application/json"))
            .Produces<List<AppInfo>>()
            .WithName("ListApps").WithSummary("The caller's apps (administrators: every app, or one owner's with ?owner=)");
        group.MapPost("/", async Task<Created<AppInfo>> (HttpContext http, ClaimsPrincipal caller, ServiceApi api, TimeProvider time) =>
        {
            var body = await api.ReadAsync<AppBody>(http);
            var now = time.GetUtcNow();
            var app = api.CheckApp(new AppRecord(body.Name, body.Cluster, caller.Name(), body.Compose, body.Ingress ?? [], body.Resources ?? [], body.Settings ?? [], now, now));
            api.Store.PutApp(app, create: true);
            return TypedResults.Created($"/v1/apps/{app.Name}", api.View(app));
        }).Body<AppBody>().ProducesProblem(StatusCodes.Status409Conflict).WithName("CreateApp").WithSummary("Registers an app owned by the caller; its compose is checked by the engine first");

        var one = group.MapGroup("/{name}");
        one.MapGet("/", Ok<AppInfo> (string name, ClaimsPrincipal caller, ServiceApi api) => TypedResults.Ok(api.View(api.App(caller, name))))
            .WithName("GetApp").WithSummary("One app");
        one.MapPut("/", async Task<Ok<AppInfo>> (string name, HttpContext http, ClaimsPrincipal caller, ServiceApi api, TimeProvider time) =>
        {
            var old = api.App(caller, name);
            var body = await api.ReadAsync<AppUpdate>(http);
            SameName(name, body.Name ?? name);
            if (body.Cluster is not null && body.Cluster != old.Cluster)
            {
                throw ApiJson.Invalid($"app {name} is on cluster {old.Cluster}; an app's cluster does not change here (Move-KompoxApp moves it)");
            }

            var app = api.CheckApp(old with { Compose = body.Compose, Ingress = body.Ingress ?? [], Resources = body.Resources ?? [], Settings = body.Settings ?? [], UpdatedAt = time.GetUtcNow() });
            api.Store.PutApp(app, create: false);
            return TypedResults.Ok(api.View(app));
        }).Body<AppUpdate>().WithName("SetApp").WithSummary("Changes an app's compose, ingress, resources and settings (deploy to apply)");
        one.MapDelete("/", async Task<NoContent> (string name, HttpContext http, ClaimsPrincipal caller, ServiceApi api) =>
        {
            var app = api.App(caller, name);
            if (await api.IsDeployedAsync(app, http.RequestAborted))
            {
                throw new KompoxException("AppDeployed", ErrorKind.Conflict, $"app {name} is deployed on cluster {app.Cluster}; destroy it first (POST /v1/apps/{name}/destroy)") { Target = name };
            }

            api.Store.DeleteApp(name);
            return TypedResults.NoContent();
        }).ProducesProblem(StatusCodes.Status409Conflict).WithName("DeleteApp").WithSummary("Removes the app's registration (not deployed); its disks and snapshots stay");

        one.MapPost("/deploy", async Task<IResult> (string name, HttpContext http, ClaimsPrincipal caller, ServiceApi api) =>
        {
            var app = api.App(caller, name);
            var body = await api.ReadOptionalAsync(http, new DeployBody(null));
            var id = api.Store.AppId(app);
            var options = new DeployOptions { Profiles = body.Profiles ?? [] };
            return ServiceApi.Accepted(api.Start(caller, "deploy", app, async (progress, token) => await api.Apps.DeployAsync(id, options, progress, token)));
        }).Body<DeployBody>().Operation().WithName("DeployApp").WithSummary("Deploys the app (New-KompoxApp); the operation's result is its status");
        one.MapPost("/destroy", IResult (string name, ClaimsPrincipal caller, ServiceApi api) =>
        {
            var app = api.App(caller, name);
            var id = api.Store.AppId(app);
            return ServiceApi.Accepted(api.Start(caller, "destroy", app, async (progress, token) => await api.Apps.DestroyAsync(id, new DestroyOptions(), progress, token)));
        }).Operation().WithName("DestroyApp").WithSummary("Deletes the app's objects, keeping its namespace, disks and snapshots (Remove-KompoxApp)");
        one.MapPost("/restart", IResult (string name, ClaimsPrincipal caller, ServiceApi api) =>
        {
            var app = api.App(caller, name);
            var id = api.Store.AppId(app);
            return ServiceApi.Accepted(api.Start(caller, "restart", app, async (progress, token) => await api.Apps.RestartAsync(id, new AppRestartOptions(), progress, token)));
        }).Operation().WithName("RestartApp").WithSummary("Restarts the app's Pod (Restart-KompoxApp)");
        one.MapGet("/status", async Task<Ok<AppStatus>> (string name, HttpContext http, ClaimsPrincipal caller, ServiceApi api) =>
            TypedResults.Ok(await api.Apps.GetStatusAsync(api.Store.AppId(api.App(caller, name)), null, http.RequestAborted)))
            .WithName("GetAppStatus").WithSummary("The app's status on its cluster (Get-KompoxApp)");
        one.MapGet("/logs", async Task (string name, HttpContext http, ClaimsPrincipal caller, ServiceApi api, string[]? service, int? tail, string? since, bool? follow) =>
        {
            var app = api.App(caller, name);
            TimeSpan? sinceSpan = null;
            if (since is not null)
            {
                sinceSpan = SnapshotPolicy.ParseDuration(since) ?? throw new KompoxException("InvalidLogOptions", ErrorKind.InvalidArgument, $"since '{since}' is not a duration such as 10m, 2h or 1d") { Target = since, Remedy = Remedy.ChangeOption("Since") };
            }

            var options = new AppLogOptions { Services = service is { Length: > 0 } ? service : null, Tail = tail, Since = sinceSpan, Follow = follow == true };
            await using var lines = api.Apps.ReadLogsAsync(api.Store.AppId(app), options, null, http.RequestAborted).GetAsyncEnumerator(http.RequestAborted);

            // The first line (or the error) before the answer starts, so that a refusal is still a problem document.
            var more = await lines.MoveNextAsync();
            http.Response.ContentType = "application/x-ndjson";
            await http.Response.StartAsync(http.RequestAborted);
            try
            {
                while (more)
                {
                    var line = lines.Current;
                    await http.Response.WriteAsync(JsonSerializer.Serialize(new LogLine(line.Timestamp, line.Service, line.Service, line.Message), ApiJson.Options) + "\n", http.RequestAborted);
                    await http.Response.Body.FlushAsync(http.RequestAborted);
                    more = await lines.MoveNextAsync();
                }
            }
            catch (OperationCanceledException) when (http.RequestAborted.IsCancellationRequested)
            {
                // The client went away: a followed log ends here.
            }
        }).Produces<LogLine>(StatusCodes.Status200OK, "application/x-ndjson").WithName("GetAppLogs").WithSummary("The containers' lines as NDJSON; with follow=true streamed until the client disconnects (Get-KompoxAppLog)");
        one.MapPost("/credentials", async Task<Ok<AppCredentialInfo>> (string name, HttpContext http, ClaimsPrincipal caller, ServiceApi api) =>
        {
            var app = api.App(caller, name);
            var body = await api.ReadOptionalAsync(http, new CredentialRequest(null));
            var options = new AppCredentialOptions { Duration = body.Duration ?? AppCredentialOptions.DefaultDuration };
            var credential = await api.Apps.GetCredentialAsync(api.Store.AppId(app), options, null, http.RequestAborted);
            return TypedResults.Ok(new AppCredentialInfo(credential.Kubeconfig, credential.ExpiresAt, credential.Namespace));
        }).Body<CredentialRequest>().WithName("GetAppCredential").WithSummary("A kubeconfig for the app's namespace only (Get-KompoxAppCredential)");

        MapDisks(one.MapGroup("/disks"));
        MapSnapshots(one);
    }

    private static void MapDisks(RouteGroupBuilder disks)
    {
        disks.MapGet("/", async Task<Ok<IReadOnlyList<DiskInfo>>> (string name, HttpContext http, ClaimsPrincipal caller, ServiceApi api) =>
            TypedResults.Ok(await api.Disks.ListAsync(api.Store.AppId(api.App(caller, name)), null, http.RequestAborted)))
            .WithName("ListDisks").WithSummary("The app's disks, newest first, the current one marked (Get-KompoxDisk)");
        disks.MapPost("/", IResult (string name, ClaimsPrincipal caller, ServiceApi api) =>
        {
            var app = api.App(caller, name);
            var id = api.Store.AppId(app);
            return ServiceApi.Accepted(api.Start(caller, "disk-create", app, async (progress, token) => await api.Disks.CreateAsync(id, null, progress, token)));
        }).Operation().WithName("CreateDisk").WithSummary("A new empty disk (New-KompoxDisk)");
        disks.MapPost("/{diskId}/switch", IResult (string name, string diskId, ClaimsPrincipal caller, ServiceApi api) =>
        {
            var app = api.App(caller, name);
            var id = api.Store.AppId(app);
            return ServiceApi.Accepted(api.Start(caller, "disk-switch", app, async (progress, token) => await api.Disks.SwitchAsync(id, diskId, null, progress, token)));
        }).Operation().WithName("SwitchDisk").WithSummary("Makes the disk the app's current one (Switch-KompoxDisk)");
        disks.MapDelete("/{diskId}", IResult (string name, string diskId, ClaimsPrincipal caller, ServiceApi api) =>
        {
            var app = api.App(caller, name);
            var id = api.Store.AppId(app);
            return ServiceApi.Accepted(api.Start(caller, "disk-delete", app, async (progress, token) => await api.Disks.DeleteAsync(id, diskId, null, progress, token)));
        }).Operation().WithName("DeleteDisk").WithSummary("Deletes a disk that is not current (Remove-KompoxDisk)");
        disks.MapPost("/import", async Task<IResult> (string name, HttpContext http, ClaimsPrincipal caller, ServiceApi api) =>
        {
            var app = api.App(caller, name);
            var id = api.Store.AppId(app);
            var file = await api.ReceiveAsync(http);
            return ServiceApi.Accepted(api.Start(
                caller,
                "disk-import",
                app,
                async (progress, token) => await api.Disks.ImportAsync(id, new ImportOptions { Path = file }, progress, token),
                () =>
                {
                    File.Delete(file);
                    return Task.CompletedTask;
                }));
        }).Accepts<Stream>("application/octet-stream").Operation().ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .WithName("ImportDisk").WithSummary("A new disk from the uploaded archive (k3s: .tar or .tar.gz; aks: a fixed VHD), streamed (Import-KompoxDisk)");
        disks.MapGet("/{diskId}/export", async Task<IResult> (string name, string diskId, HttpContext http, ClaimsPrincipal caller, ServiceApi api) =>
        {
            var app = api.App(caller, name);
            var id = api.Store.AppId(app);
            return await api.DownloadAsync(app, $"{name}-{diskId}", options => api.Disks.ExportAsync(id, diskId == "current" ? null : diskId, options, null, http.RequestAborted));
        }).Produces(StatusCodes.Status200OK, contentType: "application/gzip").WithName("ExportDisk").WithSummary("The disk's content as a download (disks/current/export: the current disk) (Export-KompoxDisk)");
    }

    private static void MapSnapshots(RouteGroupBuilder one)
    {
        var snapshots = one.MapGroup("/snapshots");
        snapshots.MapGet("/", async Task<Ok<IReadOnlyList<SnapshotInfo>>> (string name, HttpContext http, ClaimsPrincipal caller, ServiceApi api) =>
            TypedResults.Ok(await api.Snapshots.ListAsync(api.Store.AppId(api.App(caller, name)), null, http.RequestAborted)))
            .WithName("ListSnapshots").WithSummary("The app's snapshots, newest first (Get-KompoxSnapshot)");
        snapshots.MapPost("/", async Task<IResult> (string name, HttpContext http, ClaimsPrincipal caller, ServiceApi api) =>
        {
            var app = api.App(caller, name);
            var body = await api.ReadOptionalAsync(http, new SnapshotBody(null, null));
            var id = api.Store.AppId(app);
            var options = new SnapshotOptions { DiskId = body.DiskId, StopApp = body.StopApp == true };
            return ServiceApi.Accepted(api.Start(caller, "snapshot-create", app, async (progress, token) => await api.Snapshots.CreateAsync(id, options, progress, token)));
        }).Body<SnapshotBody>().Operation().WithName("CreateSnapshot").WithSummary("A snapshot of the current disk or the one named (New-KompoxSnapshot)");
        snapshots.MapPost("/{snapshotId}/restore", async Task<IResult> (string name, string snapshotId, HttpContext http, ClaimsPrincipal caller, ServiceApi api) =>
        {
            var app = api.App(caller, name);
            var body = await api.ReadOptionalAsync(http, new RestoreBody(null));
            var id = api.Store.AppId(app);
            return ServiceApi.Accepted(api.Start(caller, "snapshot-restore", app, async (progress, token) => body.Switch == true
                ? await api.Snapshots.RestoreAndSwitchAsync(id, snapshotId, null, progress, token)
                : await api.Snapshots.RestoreAsync(id, snapshotId, progress, token)));
        }).Body<RestoreBody>().Operation().WithName("RestoreSnapshot").WithSummary("A new disk from the snapshot, with switch=true made current (Restore-KompoxSnapshot)");
        snapshots.MapGet("/{snapshotId}/export", async Task<IResult> (string name, string snapshotId, HttpContext http, ClaimsPrincipal caller, ServiceApi api) =>
        {
            var app = api.App(caller, name);
            var id = api.Store.AppId(app);
            return await api.DownloadAsync(app, $"{name}-{snapshotId}", options => api.Snapshots.ExportAsync(id, snapshotId, options, null, http.RequestAborted));
        }).Produces(StatusCodes.Status200OK, contentType: "application/gzip").WithName("ExportSnapshot").WithSummary("The snapshot's content as a download (Export-KompoxSnapshot)");
        snapshots.MapPut("/{snapshotId}/pin", async Task<Ok<SnapshotInfo>> (string name, string snapshotId, HttpContext http, ClaimsPrincipal caller, ServiceApi api) =>
        {
            var app = api.App(caller, name);
            var body = await api.ReadAsync<PinBody>(http);
            return TypedResults.Ok(await api.Snapshots.SetPinnedAsync(api.Store.AppId(app), snapshotId, body.Pinned, null, http.RequestAborted));
        }).Body<PinBody>().WithName("PinSnapshot").WithSummary("Pins or unpins a snapshot (Set-KompoxSnapshot)");
        snapshots.MapDelete("/{snapshotId}", IResult (string name, string snapshotId, ClaimsPrincipal caller, ServiceApi api) =>
        {
            var app = api.App(caller, name);
            var id = api.Store.AppId(app);
            return ServiceApi.Accepted(api.Start(caller, "snapshot-delete", app, async (progress, token) => await api.Snapshots.DeleteAsync(id, snapshotId, progress, token)));
        }).Operation().WithName("DeleteSnapshot").WithSummary("Deletes a snapshot (Remove-KompoxSnapshot)");

        var policy = one.MapGroup("/snapshot-policy");
        policy.MapGet("/", Ok<SnapshotPolicyInfo> (string name, ClaimsPrincipal caller, ServiceApi api) =>
            TypedResults.Ok(PolicyOf(api.App(caller, name))))
            .WithName("GetSnapshotPolicy").WithSummary("The app's SNAPSHOT_* settings");
        policy.MapPut("/", async Task<Ok<SnapshotPolicyInfo>> (string name, HttpContext http, ClaimsPrincipal caller, ServiceApi api, TimeProvider time) =>
        {
            var old = api.App(caller, name);
            var body = await api.ReadAsync<SnapshotPolicyInfo>(http);
            var known = SnapshotPolicy.Settings.Select(s => s.Name).ToHashSet(StringComparer.Ordinal);
            if (body.Settings.Keys.FirstOrDefault(k => !known.Contains(k)) is { } unknown)
            {
                throw new KompoxException("InvalidSetting", ErrorKind.InvalidArgument, $"app {name}: '{unknown}' is not a snapshot policy setting; they are {string.Join(", ", known)}") { Target = unknown };
            }

            var settings = old.Settings.Where(s => !known.Contains(s.Key)).Concat(body.Settings).ToDictionary(StringComparer.Ordinal);
            var app = api.CheckApp(old with { Settings = settings, UpdatedAt = time.GetUtcNow() });
            api.Store.PutApp(app, create: false);
            return TypedResults.Ok(PolicyOf(app));
        }).Body<SnapshotPolicyInfo>().WithName("SetSnapshotPolicy").WithSummary("Replaces the app's SNAPSHOT_* settings, checked by the engine's snapshot policy");
        policy.MapGet("/last-run", IResult (string name, ClaimsPrincipal caller, ServiceApi api) =>
        {
            var app = api.App(caller, name);
            var run = api.Store.PolicyRun(app.Name);
            return run is null ? TypedResults.NoContent() : TypedResults.Text(run, "application/json");
        }).Produces<PolicyRunInfo>().Produces(StatusCodes.Status204NoContent).WithName("GetSnapshotPolicyRun").WithSummary("The last run's outcome the background timer (or a run) recorded; 204 before the first");
        policy.MapPost("/run", IResult (string name, ClaimsPrincipal caller, ServiceApi api) =>
        {
            var app = api.App(caller, name);
            var id = api.Store.AppId(app);
            return ServiceApi.Accepted(api.Start(caller, "snapshot-policy", app, async (progress, token) =>
                api.RecordPolicyRun(app.Name, await api.Snapshots.ApplyPolicyAsync(id, progress, token))));
        }).Operation().WithName("RunSnapshotPolicy").WithSummary("Runs the app's snapshot policy once now (Invoke-KompoxSnapshotPolicy)");
    }

    private static void MapOperations(RouteGroupBuilder group)
    {
        group.MapGet("/{id}", Ok<JsonObject> (string id, ClaimsPrincipal caller, ServiceApi api) =>
            TypedResults.Ok(api.Operations.Find(id, caller.Name(), caller.IsAdmin()) ?? throw NotFound("Operation", id)))
            .WithName("GetOperation").WithSummary("A long operation's state, progress, and result or problem");
        group.MapDelete("/{id}", Accepted<JsonObject> (string id, ClaimsPrincipal caller, ServiceApi api) =>
        {
            var admin = caller.IsAdmin();
            if (api.Operations.Running(id, caller.Name(), admin) is { } operation)
            {
                operation.Cancel.Cancel();
                return TypedResults.Accepted($"/v1/operations/{id}", operation.ToJson());
            }

            return TypedResults.Accepted($"/v1/operations/{id}", api.Operations.Find(id, caller.Name(), admin) ?? throw NotFound("Operation", id));
        }).WithName("CancelOperation").WithSummary("Cancels a running operation; it ends cancelled, leaving nothing half-made");
    }

    private static SnapshotPolicyInfo PolicyOf(AppRecord app) =>
        new(app.Settings.Where(s => s.Key.StartsWith("SNAPSHOT_", StringComparison.Ordinal)).ToDictionary(StringComparer.Ordinal));

    private static KompoxException NotFound(string what, string name) =>
        new($"{what}NotFound", ErrorKind.NotFound, $"there is no {what.ToLowerInvariant()} {name}") { Target = name };

    private static void SameName(string route, string body)
    {
        if (route != body)
        {
            throw ApiJson.Invalid($"the body names '{body}' but the address names '{route}'");
        }
    }
}
