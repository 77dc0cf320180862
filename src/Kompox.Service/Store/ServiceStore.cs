using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Kompox.Model;
using Kompox.Store;
using LiteDB;
using JsonSerializer = System.Text.Json.JsonSerializer;

namespace Kompox.Service.Store;

/// <summary>
/// The service's resources, users, finished operations and snapshot-policy runs in one LiteDB file, behind the engine's
/// store port. Every change is committed to the file before the call returns (so an acknowledged change survives a
/// kill -9); reads come from a copy in memory that each committed change updates, so listing does not wait on the file.
/// </summary>
public sealed class ServiceStore : IResourceStore, IDisposable
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.General);
    private readonly object gate = new();
    private readonly LiteDatabase db;
    private readonly SecretBox secrets;
    private readonly KubeconfigFiles kubeconfigs;
    private readonly ConcurrentDictionary<string, ProviderRecord> providers = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, ClusterRecord> clusters = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, AppRecord> apps = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, UserRecord> users = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, string> userByTokenHash = new(StringComparer.Ordinal);
    private string serviceName;
    private long appsVersion;

    private ServiceStore(LiteDatabase db, SecretBox secrets, KubeconfigFiles kubeconfigs, string serviceName)
    {
        this.db = db;
        this.secrets = secrets;
        this.kubeconfigs = kubeconfigs;
        this.serviceName = serviceName;
    }

    /// <summary>The administrator's token when this start made a new store and generated it; null otherwise.</summary>
    public string? GeneratedAdminToken { get; private set; }

    public string ServiceName => Volatile.Read(ref serviceName);

    /// <summary>Changes with every committed change of the service's name, a cluster or an app: what an app listing shows.</summary>
    public long AppsVersion => Interlocked.Read(ref appsVersion);

    /// <summary>Opens (or makes) the store under <see cref="ServiceOptions.DataPath"/>; a new store gets the service and its administrator.</summary>
    public static ServiceStore Open(ServiceOptions options, SecretBox secrets, KubeconfigFiles kubeconfigs, TimeProvider time)
    {
        Directory.CreateDirectory(options.DataPath);
        var db = new LiteDatabase(new ConnectionString { Filename = Path.Combine(options.DataPath, "kompox.db"), Connection = ConnectionType.Direct });
        try
        {
            var meta = db.GetCollection("meta").FindById("service");
            var store = new ServiceStore(db, secrets, kubeconfigs, meta?["data"].AsString ?? options.ServiceName);
            store.Load();
            if (meta is null)
            {
                var token = options.AdminToken;
                if (string.IsNullOrEmpty(token))
                {
                    token = Tokens.New();
                    store.GeneratedAdminToken = token;
                }

                // The administrator first, the service record last: a start killed in between makes a new store again.
                store.Write("users", "admin", new UserRecord("admin", Roles.Admin, null, Tokens.Hash(token), time.GetUtcNow()));
                store.AddUserToCache(new UserRecord("admin", Roles.Admin, null, Tokens.Hash(token), time.GetUtcNow()));
                db.GetCollection("meta").Upsert(new BsonDocument { ["_id"] = "service", ["data"] = store.serviceName });
            }

            store.PruneOperations(time.GetUtcNow() - TimeSpan.FromHours(24));
            return store;
        }
        catch
        {
            db.Dispose();
            throw;
        }
    }

    private void Load()
    {
        foreach (var p in All<ProviderRecord>("providers"))
        {
            providers[p.Name] = p;
        }

        foreach (var c in All<ClusterRecord>("clusters"))
        {
            clusters[c.Name] = c;
        }

        foreach (var a in All<AppRecord>("apps"))
        {
            apps[a.Name] = a;
        }

        foreach (var u in All<UserRecord>("users"))
        {
            AddUserToCache(u);
        }
    }

    private IEnumerable<T> All<T>(string collection) =>
        db.GetCollection(collection).FindAll().Select(d => JsonSerializer.Deserialize<T>(d["data"].AsString, Json)!).ToList();

    private void Write<T>(string collection, string id, T record) =>
        db.GetCollection(collection).Upsert(new BsonDocument { ["_id"] = id, ["data"] = JsonSerializer.Serialize(record, Json) });

    private void AddUserToCache(UserRecord user)
    {
        if (users.TryGetValue(user.Name, out var old))
        {
            userByTokenHash.TryRemove(old.TokenHash, out _);
        }

        users[user.Name] = user;
        userByTokenHash[user.TokenHash] = user.Name;
    }

    public void Dispose() => db.Dispose();

    // ---- service ----

    public void SetServiceName(string name)
    {
        lock (gate)
        {
            if (!providers.IsEmpty)
            {
                throw new KompoxException("ResourceInUse", ErrorKind.Conflict, $"service {ServiceName} has providers; its name is part of every id and cannot change now") { Target = ServiceName };
            }

            db.GetCollection("meta").Upsert(new BsonDocument { ["_id"] = "service", ["data"] = name });
            Volatile.Write(ref serviceName, name);
            Interlocked.Increment(ref appsVersion);
        }
    }

    // ---- providers ----

    public IReadOnlyList<ProviderRecord> Providers() => providers.Values.OrderBy(p => p.Name, StringComparer.Ordinal).ToList();

    public ProviderRecord? Provider(string name) => providers.GetValueOrDefault(name);

    /// <param name="create">True to refuse an existing one (<c>ProviderExists</c>), false to refuse a missing one.</param>
    public void PutProvider(ProviderRecord provider, bool create)
    {
        lock (gate)
        {
            var exists = providers.TryGetValue(provider.Name, out var old);
            Exists(exists, create, "Provider", provider.Name);
            var settings = SealSettings(provider.Settings, old?.Settings);
            var record = provider with { Settings = settings };
            Write("providers", record.Name, record);
            providers[record.Name] = record;
        }
    }

    public bool DeleteProvider(string name)
    {
        lock (gate)
        {
            InUse("provider", name, clusters.Values.Where(c => c.Provider == name).Select(c => $"cluster {c.Name}"));
            db.GetCollection("providers").Delete(name);
            return providers.TryRemove(name, out _);
        }
    }

    // ---- clusters ----

    public IReadOnlyList<ClusterRecord> Clusters() => clusters.Values.OrderBy(c => c.Name, StringComparer.Ordinal).ToList();

    public ClusterRecord? Cluster(string name) => clusters.GetValueOrDefault(name);

    /// <param name="kubeconfig">The kubeconfig content to store encrypted; null keeps the stored credential when updating.</param>
    public void PutCluster(ClusterRecord cluster, string? kubeconfig, bool create)
    {
        lock (gate)
        {
            var exists = clusters.TryGetValue(cluster.Name, out var old);
            Exists(exists, create, "Cluster", cluster.Name);
            if (!providers.ContainsKey(cluster.Provider))
            {
                throw new KompoxException("ProviderNotFound", ErrorKind.NotFound, $"cluster {cluster.Name} names provider {cluster.Provider}, which is not stored") { Target = cluster.Provider };
            }

            var cipher = kubeconfig is not null ? secrets.Encrypt(kubeconfig) : cluster.CredentialType == "kubeconfig" ? old?.KubeconfigCipher : null;
            var record = cluster with { Settings = SealSettings(cluster.Settings, old?.Settings), KubeconfigCipher = cipher };
            Write("clusters", record.Name, record);
            clusters[record.Name] = record;
            Interlocked.Increment(ref appsVersion);
        }
    }

    public bool DeleteCluster(string name)
    {
        lock (gate)
        {
            InUse("cluster", name, apps.Values.Where(a => a.Cluster == name).Select(a => $"app {a.Name}"));
            db.GetCollection("clusters").Delete(name);
            return clusters.TryRemove(name, out _);
        }
    }

    // ---- apps ----

    public IReadOnlyList<AppRecord> Apps(string? owner) =>
        apps.Values.Where(a => owner is null || a.Owner == owner).OrderBy(a => a.Name, StringComparer.Ordinal).ToList();

    public AppRecord? App(string name) => apps.GetValueOrDefault(name);

    public void PutApp(AppRecord app, bool create)
    {
        lock (gate)
        {
            Exists(apps.ContainsKey(app.Name), create, "App", app.Name);
            if (!clusters.ContainsKey(app.Cluster))
            {
                throw new KompoxException("ClusterNotFound", ErrorKind.NotFound, $"there is no cluster {app.Cluster}") { Target = app.Cluster };
            }

            Write("apps", app.Name, app);
            apps[app.Name] = app;
            Interlocked.Increment(ref appsVersion);
        }
    }

    public bool DeleteApp(string name)
    {
        lock (gate)
        {
            db.GetCollection("apps").Delete(name);
            var removed = apps.TryRemove(name, out _);
            Interlocked.Increment(ref appsVersion);
            return removed;
        }
    }

    // ---- users ----

    public IReadOnlyList<UserRecord> Users() => users.Values.OrderBy(u => u.Name, StringComparer.Ordinal).ToList();

    public UserRecord? User(string name) => users.GetValueOrDefault(name);

    public UserRecord? UserByToken(string token) =>
        userByTokenHash.TryGetValue(Tokens.Hash(token), out var name) ? users.GetValueOrDefault(name) : null;

    public UserRecord? UserByEntraObjectId(string objectId) =>
        users.Values.FirstOrDefault(u => string.Equals(u.EntraObjectId, objectId, StringComparison.OrdinalIgnoreCase));

    public void PutUser(UserRecord user, bool create)
    {
        lock (gate)
        {
            Exists(users.ContainsKey(user.Name), create, "User", user.Name);
            Write("users", user.Name, user);
            AddUserToCache(user);
        }
    }

    public bool DeleteUser(string name)
    {
        lock (gate)
        {
            InUse("user", name, apps.Values.Where(a => a.Owner == name).Select(a => $"app {a.Name}"));
            db.GetCollection("users").Delete(name);
            if (users.TryRemove(name, out var old))
            {
                userByTokenHash.TryRemove(old.TokenHash, out _);
                return true;
            }

            return false;
        }
    }

    // ---- finished operations and snapshot-policy runs (JSON as the API shows them) ----

    public void SaveOperation(string id, string owner, DateTimeOffset finishedAt, string json)
    {
        lock (gate)
        {
            db.GetCollection("operations").Upsert(new BsonDocument { ["_id"] = id, ["owner"] = owner, ["finished"] = finishedAt.UtcDateTime, ["data"] = json });
        }
    }

    public (string Owner, string Json)? Operation(string id)
    {
        var doc = db.GetCollection("operations").FindById(id);
        return doc is null ? null : (doc["owner"].AsString, doc["data"].AsString);
    }

    public void PruneOperations(DateTimeOffset before)
    {
        lock (gate)
        {
            db.GetCollection("operations").DeleteMany(Query.LT("finished", before.UtcDateTime));
        }
    }

    public void SavePolicyRun(string app, string json)
    {
        lock (gate)
        {
            db.GetCollection("policyRuns").Upsert(new BsonDocument { ["_id"] = app, ["data"] = json });
        }
    }

    public string? PolicyRun(string app) => db.GetCollection("policyRuns").FindById(app)?["data"].AsString;

    // ---- the engine's port ----

    /// <summary>A stored setting's value as the engine reads it (decrypted).</summary>
    public string Open(string stored) => stored.StartsWith("enc:v1:", StringComparison.Ordinal) ? secrets.Decrypt(stored) : stored;

    public KompoxService Service() => new() { Name = ServiceName };

    public KompoxProvider Model(ProviderRecord p) => new()
    {
        Name = p.Name,
        Driver = p.Driver,
        Settings = p.Settings.ToDictionary(e => e.Key, e => Open(e.Value), StringComparer.Ordinal),
        Service = Service(),
    };

    public KompoxCluster Model(ClusterRecord c)
    {
        var provider = providers.GetValueOrDefault(c.Provider) ?? throw new KompoxException("ProviderNotFound", ErrorKind.NotFound, $"there is no provider {c.Provider}") { Target = c.Provider };
        return new KompoxCluster
        {
            Name = c.Name,
            Provider = Model(provider),
            Auth = new ClusterAuth
            {
                Kubeconfig = c.KubeconfigCipher is null ? null : kubeconfigs.PathFor(c.Name, secrets.Decrypt(c.KubeconfigCipher)),
                Context = c.Context,
            },
            Ingress = new ClusterIngress { Controller = c.IngressController, Namespace = c.IngressNamespace },
            Domain = c.Domain,
            Settings = c.Settings.ToDictionary(e => e.Key, e => Open(e.Value), StringComparer.Ordinal),
        };
    }

    /// <summary>The app as the engine sees it: its compose is stored text (no file, <see cref="KompoxApp.ComposePath"/> null).</summary>
    public KompoxApp Model(AppRecord a)
    {
        var cluster = clusters.GetValueOrDefault(a.Cluster) ?? throw new KompoxException("ClusterNotFound", ErrorKind.NotFound, $"there is no cluster {a.Cluster}") { Target = a.Cluster };
        return Model(a, Model(cluster));
    }

    public static KompoxApp Model(AppRecord a, KompoxCluster cluster) => new()
    {
        Name = a.Name,
        Cluster = cluster,
        Compose = a.Compose,
        Ingress = a.Ingress,
        Resources = a.Resources,
        Settings = a.Settings,
        Owner = a.Owner,
    };

    public string AppId(AppRecord a)
    {
        var cluster = clusters.GetValueOrDefault(a.Cluster);
        return $"{ServiceName}/{cluster?.Provider}/{a.Cluster}/{a.Name}";
    }

    public Task<KompoxService?> GetServiceAsync(CancellationToken cancellationToken) => Task.FromResult<KompoxService?>(Service());

    public Task PutServiceAsync(KompoxService service, CancellationToken cancellationToken)
    {
        if (service.Name != ServiceName)
        {
            SetServiceName(service.Name);
        }

        return Task.CompletedTask;
    }

    public Task<IReadOnlyList<KompoxProvider>> ListProvidersAsync(CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<KompoxProvider>>(Providers().Select(Model).ToList());

    public Task<KompoxProvider?> GetProviderAsync(string providerId, CancellationToken cancellationToken) =>
        Task.FromResult(Segments(providerId, 2) is { } s && providers.TryGetValue(s[1], out var p) ? Model(p) : null);

    public Task PutProviderAsync(KompoxProvider provider, CancellationToken cancellationToken)
    {
        PutProvider(new ProviderRecord(provider.Name, provider.Driver, new Dictionary<string, string>(provider.Settings)), create: !providers.ContainsKey(provider.Name));
        return Task.CompletedTask;
    }

    public Task<bool> DeleteProviderAsync(string providerId, CancellationToken cancellationToken) =>
        Task.FromResult(Segments(providerId, 2) is { } s && DeleteProvider(s[1]));

    public Task<IReadOnlyList<KompoxCluster>> ListClustersAsync(string? providerId, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<KompoxCluster>>(Clusters().Select(Model).Where(c => providerId is null || c.Provider.Id == providerId).ToList());

    public Task<KompoxCluster?> GetClusterAsync(string clusterId, CancellationToken cancellationToken) =>
        Task.FromResult(Segments(clusterId, 3) is { } s && clusters.TryGetValue(s[2], out var c) && c.Provider == s[1] ? Model(c) : null);

    /// <summary>A cluster given as a model: its kubeconfig file's content is what is stored (encrypted).</summary>
    public Task PutClusterAsync(KompoxCluster cluster, CancellationToken cancellationToken)
    {
        var kubeconfig = cluster.Auth.Kubeconfig is { } path ? File.ReadAllText(path) : null;
        var record = new ClusterRecord(cluster.Name, cluster.Provider.Name, cluster.Domain, new Dictionary<string, string>(cluster.Settings), cluster.Ingress.Controller, cluster.Ingress.Namespace, kubeconfig is null ? "inCluster" : "kubeconfig", cluster.Auth.Context, null);
        PutCluster(record, kubeconfig, create: !clusters.ContainsKey(cluster.Name));
        return Task.CompletedTask;
    }

    public Task<bool> DeleteClusterAsync(string clusterId, CancellationToken cancellationToken) =>
        Task.FromResult(Segments(clusterId, 3) is { } s && DeleteCluster(s[2]));

    public Task<IReadOnlyList<KompoxApp>> ListAppsAsync(AppFilter filter, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<KompoxApp>>(Apps(filter.Owner).Select(Model).Where(filter.Matches).OrderBy(a => a.Id, StringComparer.Ordinal).ToList());

    public Task<KompoxApp?> GetAppAsync(string appId, CancellationToken cancellationToken)
    {
        if (Segments(appId, 4) is not { } s || !apps.TryGetValue(s[3], out var record))
        {
            return Task.FromResult<KompoxApp?>(null);
        }

        var app = Model(record);
        return Task.FromResult(app.Id == appId ? app : null);
    }

    public Task PutAppAsync(KompoxApp app, CancellationToken cancellationToken)
    {
        var old = apps.GetValueOrDefault(app.Name);
        var now = DateTimeOffset.UtcNow;
        PutApp(
            new AppRecord(app.Name, app.Cluster.Name, app.Owner ?? old?.Owner ?? "admin", app.Compose, new(app.Ingress), new(app.Resources), new(app.Settings), old?.CreatedAt ?? now, now),
            create: old is null);
        return Task.CompletedTask;
    }

    public Task<bool> DeleteAppAsync(string appId, CancellationToken cancellationToken) =>
        Task.FromResult(Segments(appId, 4) is { } s && DeleteApp(s[3]));

    private string[]? Segments(string id, int count)
    {
        var s = id.Split('/');
        return s.Length == count && s[0] == ServiceName ? s : null;
    }

    /// <summary>Secret settings encrypted; a value given as <c>***</c> keeps the stored one (what a client read back and sends again).</summary>
    private Dictionary<string, string> SealSettings(Dictionary<string, string> given, Dictionary<string, string>? stored)
    {
        var sealedSettings = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, value) in given)
        {
            if (value == SecretBox.Masked && stored?.GetValueOrDefault(key) is { } kept)
            {
                sealedSettings[key] = kept;
            }
            else
            {
                sealedSettings[key] = SecretBox.IsSecretKey(key) ? secrets.Encrypt(value) : value;
            }
        }

        return sealedSettings;
    }

    private static void Exists(bool exists, bool create, string what, string name)
    {
        if (create && exists)
        {
            throw new KompoxException($"{what}Exists", ErrorKind.AlreadyExists, $"{what.ToLowerInvariant()} {name} exists") { Target = name };
        }

        if (!create && !exists)
        {
            throw new KompoxException($"{what}NotFound", ErrorKind.NotFound, $"there is no {what.ToLowerInvariant()} {name}") { Target = name };
        }
    }

    private static void InUse(string what, string name, IEnumerable<string> users)
    {
        var list = users.OrderBy(u => u, StringComparer.Ordinal).ToList();
        if (list.Count > 0)
        {
            throw new KompoxException("ResourceInUse", ErrorKind.Conflict, $"{what} {name} still has {string.Join(", ", list)}; delete those first") { Target = name };
        }
    }
}

/// <summary>Bearer tokens: <c>kpx_</c> and 32 random bytes in base64url; only their SHA-256 is stored.</summary>
public static class Tokens
{
    public const string Prefix = "kpx_";

    public static string New() => Prefix + Base64Url(RandomNumberGenerator.GetBytes(32));

    public static string Hash(string token) => Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(token)));

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
