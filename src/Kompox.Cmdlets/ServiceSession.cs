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
    private static readonly ConditionalWeakTable<Runspace, ServiceClient> Connections = new();

    /// <summary>The connection of the calling runspace, or null.</summary>
    public static ServiceClient? Current =>
        Runspace.DefaultRunspace is { } runspace && Connections.TryGetValue(runspace, out var client) ? client : null;

    public static void Connect(ServiceClient client)
    {
        var runspace = Runspace.DefaultRunspace ?? throw new InvalidOperationException("no runspace on this thread");
        Connections.AddOrUpdate(runspace, client);
    }

    /// <summary>Forgets the connection; the apps that carry it still reach the service until they are dropped.</summary>
    public static ServiceClient? Disconnect()
    {
        var current = Current;
        if (current is not null)
        {
            Connections.Remove(Runspace.DefaultRunspace!);
        }

        return current;
    }

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

    /// <summary>The service's apps of these names (all of the caller's when null), as the cmdlets show them.</summary>
    public static async Task<IReadOnlyList<KompoxApp>> AppsAsync(ServiceClient client, IEnumerable<ServiceApp> apps, CancellationToken cancellationToken) =>
        (await client.ToModelsAsync(apps, cancellationToken).ConfigureAwait(true)).Select(m => App(client, m)).ToList();
}
