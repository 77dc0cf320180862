using System.Management.Automation.Runspaces;
using System.Runtime.CompilerServices;
using Kompox.Operations.Remote;
using Kompox.PowerShell;
using Engine = Kompox.Model;

namespace Kompox.Cmdlets;

/// <summary>
/// The Kompox service the session is connected to (Connect-KompoxService), per runspace: each runspace of a host (a
/// runbook's job, a test's runspace) has its own. While there is one, the app cmdlets given no app act on the service's
/// apps, and the apps the service returns carry it, so that they go on acting through it.
/// </summary>
internal static class ServiceSession
{
    private static readonly ConditionalWeakTable<Runspace, Connection> Connections = new();

    /// <summary>The client of the calling runspace's connection, or null.</summary>
    public static ServiceClient? Current => CurrentConnection?.Client;

    /// <summary>The calling runspace's connection, as Connect-KompoxService wrote it, or null.</summary>
    public static KompoxServiceConnection? Shown => CurrentConnection?.Shown;

    private static Connection? CurrentConnection =>
        Runspace.DefaultRunspace is { } runspace && Connections.TryGetValue(runspace, out var connection) ? connection : null;

    public static void Connect(ServiceClient client, KompoxServiceConnection shown)
    {
        var runspace = Runspace.DefaultRunspace ?? throw new InvalidOperationException("no runspace on this thread");
        Connections.AddOrUpdate(runspace, new Connection(client, shown));
    }

    /// <summary>Forgets the connection; the apps that carry it still reach the service until they are dropped.</summary>
    public static void Disconnect()
    {
        if (Runspace.DefaultRunspace is { } runspace)
        {
            Connections.Remove(runspace);
        }
    }

    private sealed record Connection(ServiceClient Client, KompoxServiceConnection Shown);

    /// <summary>The error of a cmdlet that needs a connection when there is none.</summary>
    public static KompoxException NotConnected(string what) =>
        new("NotConnected", ErrorKind.InvalidArgument, $"{what} needs a Kompox service: connect first with Connect-KompoxService -Uri <uri> -Token <token>");

    /// <summary>The service's app as the cmdlets show an app: linked to its cluster, provider and service, and to the connection.</summary>
    public static KompoxApp App(ServiceClient client, Engine.KompoxApp model)
    {
        var cluster = model.Cluster;
        var provider = new KompoxProvider(cluster.Provider, new KompoxService(cluster.Provider.Service));
        return new KompoxApp(model, new KompoxCluster(cluster, provider)) { Client = client };
    }

    /// <summary>A cluster of the connected service as the cmdlets show one; its provider's driver when the caller could read the provider.</summary>
    public static KompoxCluster Cluster(ServiceCluster cluster, ServiceProvider? provider)
    {
        var model = cluster.ToModel(Shown?.Name ?? string.Empty, provider?.Driver);
        return new KompoxCluster(model, new KompoxProvider(model.Provider, new KompoxService(model.Provider.Service)));
    }

    /// <summary>The service's apps of these names (all of the caller's when null), as the cmdlets show them.</summary>
    public static async Task<IReadOnlyList<KompoxApp>> AppsAsync(ServiceClient client, IEnumerable<ServiceApp> apps, CancellationToken cancellationToken) =>
        (await client.ToModelsAsync(apps, cancellationToken).ConfigureAwait(true)).Select(m => App(client, m)).ToList();
}
