using System.Collections;
using System.Globalization;
using System.Management.Automation;
using Kompox.Operations.Remote;
using Kompox.PowerShell;
using Engine = Kompox.Model;

namespace Kompox.Cmdlets;

/// <summary>
/// Base of the cmdlets that administer the connected Kompox service (providers, clusters, users): they need a
/// connection (<c>NotConnected</c> otherwise), and a failure on one name is a non-terminating error, so that the other
/// names are still acted on. The service decides who may do what (an administrator's token; <c>Forbidden</c> otherwise).
/// </summary>
public abstract class KompoxServiceCmdlet : KompoxAsyncCmdlet
{
    private ServiceClient? service;

    /// <summary>The connection of the session.</summary>
    protected ServiceClient Service => service ?? throw new InvalidOperationException("BeginProcessing checks the connection");

    /// <summary>The connected service's name, the first part of the ids of its providers and clusters.</summary>
    protected string ServiceName => ServiceSession.Shown?.Name ?? string.Empty;

    protected override Task BeginProcessingAsync(CancellationToken cancellationToken)
    {
        service = ServiceSession.Current;
        if (service is null)
        {
            Fail(ServiceSession.NotConnected(MyInvocation.MyCommand.Name));
        }

        return Task.CompletedTask;
    }

    /// <summary>Runs one request; its failure is a non-terminating error and the result null, unless the pipeline is being stopped.</summary>
    protected async Task<T?> TryAsync<T>(Func<CancellationToken, Task<T>> request, CancellationToken cancellationToken)
        where T : class
    {
        try
        {
            return await request(cancellationToken);
        }
        catch (KompoxException) when (cancellationToken.IsCancellationRequested)
        {
            throw new OperationCanceledException(cancellationToken);
        }
        catch (KompoxException e)
        {
            WriteError(ToErrorRecord(e));
            return null;
        }
    }

    /// <summary>As <see cref="TryAsync{T}"/> for a request with no answer; false when it failed.</summary>
    protected async Task<bool> TryAsync(Func<CancellationToken, Task> request, CancellationToken cancellationToken) =>
        await TryAsync(async token => { await request(token); return string.Empty; }, cancellationToken) is not null;

    /// <summary>The provider as the cmdlets show one (the same type as from kompoxops.yml).</summary>
    protected KompoxProvider Shown(ServiceProvider provider) =>
        new(new Engine.KompoxProvider { Name = provider.Name, Driver = provider.Driver, Settings = provider.Settings ?? new Dictionary<string, string>(), Service = new Engine.KompoxService { Name = ServiceName } }, new KompoxService(new Engine.KompoxService { Name = ServiceName }));

    /// <summary>The cluster as the cmdlets show one; its provider's driver is filled in when the caller may read providers.</summary>
    protected static KompoxCluster Shown(ServiceCluster cluster, ServiceProvider? provider) => ServiceSession.Cluster(cluster, provider);

    /// <summary>
    /// -Settings as the service takes them: every value as invariant text. Over <paramref name="existing"/> when given
    /// (Set-*): the keys given replace theirs, a key given as $null is removed, the others are kept as they are (secret
    /// ones as <c>***</c>, which the service reads as "unchanged").
    /// </summary>
    internal static Dictionary<string, string> SettingsOf(Hashtable? given, IReadOnlyDictionary<string, string>? existing = null)
    {
        var settings = new Dictionary<string, string>(existing ?? new Dictionary<string, string>(), StringComparer.Ordinal);
        foreach (DictionaryEntry entry in given ?? new Hashtable())
        {
            var key = Convert.ToString(entry.Key, CultureInfo.InvariantCulture)!;
            var value = entry.Value is PSObject wrapped ? wrapped.BaseObject : entry.Value;
            if (value is null)
            {
                settings.Remove(key);
            }
            else
            {
                settings[key] = Convert.ToString(value, CultureInfo.InvariantCulture)!;
            }
        }

        return settings;
    }
}
