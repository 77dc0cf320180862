using System.Management.Automation;
using Kompox.Operations;
using Kompox.Operations.Remote;
using Kompox.PowerShell;

namespace Kompox.Cmdlets;

/// <summary>
/// Shows apps on their cluster: deployed or not, ready, the Pod and its containers, the URLs and the disks. Connected to a
/// Kompox service, it shows the caller's apps there: those named by -Name, or every one when no app is given. With
/// -Cluster, every Kompox app the cluster runs, found by its namespace, whether or not its config is at hand.
/// </summary>
[Cmdlet(VerbsCommon.Get, "KompoxApp", DefaultParameterSetName = PathSet)]
[OutputType(typeof(KompoxAppStatus))]
public sealed class GetKompoxAppCommand : KompoxAppCmdlet
{
    private const string NameSet = "Name";
    private const string ClusterSet = "Cluster";

    /// <summary>Client mode: the names of the caller's apps in the connected Kompox service.</summary>
    [Parameter(Mandatory = true, ParameterSetName = NameSet)]
    [ValidateNotNullOrEmpty]
    public string[] Name { get; set; } = null!;

    /// <summary>The cluster whose apps to list: a Cluster object, or the kompoxops.yml or cluster file that defines it.</summary>
    [Parameter(Mandatory = true, ParameterSetName = ClusterSet)]
    [ClusterArgument]
    public KompoxResource Cluster { get; set; } = null!;

    /// <summary>With -Cluster, also the apps Remove-KompoxApp took down (their namespaces keep the disk state).</summary>
    [Parameter(ParameterSetName = ClusterSet)]
    public SwitchParameter IncludeRemoved { get; set; }

    protected override async Task ProcessRecordAsync(CancellationToken cancellationToken)
    {
        if (ParameterSetName == ClusterSet)
        {
            await ListClusterAsync(cancellationToken);
            return;
        }

        var service = ServiceSession.Current;
        if (ParameterSetName == NameSet || (service is not null && ParameterSetName == PathSet && !MyInvocation.BoundParameters.ContainsKey(nameof(Path))))
        {
            if (service is null)
            {
                Fail(ServiceSession.NotConnected("Get-KompoxApp -Name"));
                return;
            }

            foreach (var app in await ServiceAppsAsync(service, cancellationToken))
            {
                await WriteStatusAsync(app, cancellationToken);
            }

            return;
        }

        foreach (var app in InputResources(cancellationToken))
        {
            await WriteStatusAsync(app, cancellationToken);
        }
    }

    /// <summary>The apps -Name names (each missing one a non-terminating <c>AppNotFound</c>), or every app of the caller.</summary>
    private async Task<IReadOnlyList<KompoxApp>> ServiceAppsAsync(ServiceClient service, CancellationToken cancellationToken)
    {
        if (ParameterSetName != NameSet)
        {
            return await TryAsync(async token => await ServiceSession.AppsAsync(service, await service.ListAppsAsync(null, token), token), cancellationToken) ?? [];
        }

        var found = new List<ServiceApp>();
        foreach (var name in Name)
        {
            if (await TryAsync(token => service.GetAppAsync(name, token), cancellationToken) is { } app)
            {
                found.Add(app);
            }
        }

        return found.Count == 0 ? [] : await TryAsync(token => ServiceSession.AppsAsync(service, found, token), cancellationToken) ?? [];
    }

    private Task WriteStatusAsync(KompoxApp app, CancellationToken cancellationToken) =>
        RunAsync(
            token => Apps(app).GetStatusAsync(app.Id, new ReporterProgress(Reporter), token),
            status => new KompoxAppStatus(status, app),
            cancellationToken);

    private async Task ListClusterAsync(CancellationToken cancellationToken)
    {
        if (Cluster is not KompoxCluster cluster)
        {
            Fail(new KompoxException("NotACluster", ErrorKind.InvalidArgument, $"-Cluster takes a Cluster or the file that defines it; {Cluster.Kind} {Cluster.Id} is not one") { Target = Cluster.Id });
            return;
        }

        // The apps whose configs came with the cluster are at hand: the engine lists them as they are, so they stay deployable.
        Store.Add(cluster.Model);
        foreach (var configured in cluster.ConfiguredApps)
        {
            Store.Add(configured.Model);
        }

        var entries = await TryAsync(token => new ClusterOperations(Context).ListAppsAsync(cluster.Id, IncludeRemoved, new ReporterProgress(Reporter), token), cancellationToken);
        foreach (var entry in entries ?? Array.Empty<ClusterAppEntry>())
        {
            var app = entry.App is null ? null : cluster.ConfiguredApps.FirstOrDefault(a => ReferenceEquals(a.Model, entry.App)) ?? new KompoxApp(entry.App, cluster);
            WriteObject(new KompoxAppStatus(entry.Status, app));
        }
    }
}
