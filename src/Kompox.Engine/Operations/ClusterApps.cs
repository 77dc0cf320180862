using k8s;
using k8s.Models;
using Kompox.Conversion;
using Kompox.Model;

namespace Kompox.Operations;

/// <summary>One Kompox app found on a cluster by its namespace.</summary>
/// <param name="App">
/// The app, to act on by id: the store's when it holds one of that id (its config is at hand), else one made from the
/// namespace (<see cref="KompoxApp.FoundOnCluster"/>). Null for an app of another cluster id on the same cluster (a
/// config that names the cluster, its provider or service otherwise), which this cluster's resources cannot stand for.
/// </param>
/// <param name="Status">Its status, with the config it was last deployed from when the namespace says.</param>
public sealed record ClusterAppEntry(KompoxApp? App, AppStatus Status);

/// <summary>The apps of a cluster, as their namespaces tell them, whether or not their configs are at hand.</summary>
internal static class ClusterApps
{
    /// <summary>A label's or annotation's value; null when the object has none of that key.</summary>
    public static string? Value(IDictionary<string, string>? map, string key) => map is not null && map.TryGetValue(key, out var value) ? value : null;

    private static string NamespaceSelector => $"{KompoxMetadata.ManagedByLabel}={KompoxMetadata.ManagedByValue}";

    /// <summary>The namespaces of Kompox apps: labelled as Kompox's, with the app annotation the conversion writes.</summary>
    public static async Task<IReadOnlyList<V1Namespace>> NamespacesAsync(IKubernetes client, CancellationToken cancellationToken)
    {
        var namespaces = await client.CoreV1.ListNamespaceAsync(labelSelector: NamespaceSelector, cancellationToken: cancellationToken).ConfigureAwait(false);
        return namespaces.Items
            .Where(n => n.Metadata.Annotations?.ContainsKey(KompoxMetadata.AppAnnotation) == true)
            .OrderBy(n => n.Metadata.Annotations[KompoxMetadata.AppAnnotation], StringComparer.Ordinal)
            .ToList();
    }

    /// <summary>Every app on the scope's cluster; without <paramref name="includeRemoved"/> only those with a Deployment (Remove-KompoxApp keeps the namespace, with the disk state).</summary>
    public static async Task<IReadOnlyList<ClusterAppEntry>> ListAsync(OperationScope scope, bool includeRemoved, CancellationToken cancellationToken)
    {
        var cluster = scope.Cluster;
        scope.Step("listing the apps' namespaces", 10);
        var namespaces = await NamespacesAsync(scope.Kube, cancellationToken).ConfigureAwait(false);
        var entries = new List<ClusterAppEntry>();
        for (var i = 0; i < namespaces.Count; i++)
        {
            var ns = namespaces[i];
            var appId = ns.Metadata.Annotations[KompoxMetadata.AppAnnotation];
            scope.Step($"reading app {appId}", 10 + (i * 85 / namespaces.Count));
            var app = await AppOfAsync(scope, cluster, appId, ns, cancellationToken).ConfigureAwait(false);

            // Every object of the app carries the app-id label its namespace carries.
            var selector = $"{KompoxMetadata.AppIdLabel}={ClusterApps.Value(ns.Metadata.Labels, KompoxMetadata.AppIdLabel)}";
            var status = await AppStatusReader.ReadAsync(scope.Kube, appId, ns, selector, cancellationToken).ConfigureAwait(false);
            if (includeRemoved || status.Deployed)
            {
                entries.Add(new ClusterAppEntry(app, status));
            }
        }

        return entries;
    }

    private static async Task<KompoxApp?> AppOfAsync(OperationScope scope, KompoxCluster cluster, string appId, V1Namespace ns, CancellationToken cancellationToken)
    {
        var prefix = cluster.Id + "/";
        var name = appId.StartsWith(prefix, StringComparison.Ordinal) ? appId[prefix.Length..] : null;
        if (name is null || Names.CheckAppName(name) is not null)
        {
            return null;
        }

        var app = await scope.Context.Store.GetAppAsync(appId, cancellationToken).ConfigureAwait(false) ?? FromNamespace(cluster, name, ns);

        // A namespace whose name is not the app's (made or changed by hand) is not this app's to act on.
        return KubeNames.Namespace(app) == ns.Metadata.Name ? app : null;
    }

    /// <summary>An app known only from its namespace: enough to find its objects and disks by its id, with no compose file.</summary>
    public static KompoxApp FromNamespace(KompoxCluster cluster, string name, V1Namespace ns) => new()
    {
        Name = name,
        Cluster = cluster,
        Compose = string.Empty,
        Ingress = new Dictionary<string, string>(),
        Resources = new Dictionary<string, string>(),
        Settings = new Dictionary<string, string>(),
        ConfigPath = ClusterApps.Value(ns.Metadata.Annotations, KompoxMetadata.ConfigPathAnnotation),
        FoundOnCluster = true,
    };

    /// <summary>
    /// The apps deployed before from the app's kompoxops.yml on this machine whose names that file no longer holds: the
    /// app was renamed (a new name is a new app, on a new disk) or dropped from the file, and the old one still runs.
    /// </summary>
    public static async Task<IReadOnlyList<Diagnostic>> RenamedAsync(OperationScope scope, CancellationToken cancellationToken)
    {
        var app = scope.App;
        if (app.ConfigPath is null)
        {
            return Array.Empty<Diagnostic>();
        }

        scope.Step("looking for apps deployed from the same config", 25);
        var warnings = new List<Diagnostic>();
        foreach (var ns in await NamespacesAsync(scope.Kube, cancellationToken).ConfigureAwait(false))
        {
            var annotations = ns.Metadata.Annotations;
            var other = annotations[KompoxMetadata.AppAnnotation];
            if (other == app.Id
                || ClusterApps.Value(annotations, KompoxMetadata.ConfigPathAnnotation) != app.ConfigPath
                || ClusterApps.Value(annotations, KompoxMetadata.ConfigHostAnnotation) != scope.Context.Machine.HostName
                || app.ConfigAppNames.Any(n => other == $"{app.Cluster.Id}/{n}"))
            {
                continue;
            }

            var disk = AppDiskState.Of(ns).CurrentDiskId;
            warnings.Add(Diagnostic.Warning(
                app.ConfigPath,
                SourceMark.File,
                "app.name",
                $"{app.ConfigPath} deployed app {other} before (namespace {ns.Metadata.Name}, disk {disk ?? "none"}), which the file no longer names: "
                + $"app {app.Id} is another app, with a disk of its own; the old app keeps running on its disk until it is removed (the list of the cluster's apps shows it)"));
        }

        return warnings;
    }

    /// <summary>Writes where the app's config is on its namespace, so that the cluster tells which file deployed which app.</summary>
    public static void MarkConfig(AppManifest manifest, KompoxApp app, MachineIdentity machine)
    {
        if (app.ConfigPath is null)
        {
            return;
        }

        var ns = manifest.Objects.OfType<V1Namespace>().Single();
        ns.Metadata.Annotations ??= new SortedDictionary<string, string>(StringComparer.Ordinal);
        ns.Metadata.Annotations[KompoxMetadata.ConfigPathAnnotation] = app.ConfigPath;
        ns.Metadata.Annotations[KompoxMetadata.ConfigHostAnnotation] = machine.HostName;
    }
}
