using Kompox.Service.Store;
using Microsoft.Extensions.Options;

namespace Kompox.Service;

/// <summary>
/// Applies every app's snapshot policy each <see cref="ServiceOptions.SnapshotPolicyInterval"/> and records the outcome
/// per app (<c>GET /v1/apps/{name}/snapshot-policy/last-run</c>). The engine's run is per app and never throws for a
/// failed snapshot, so one app's trouble does not stop the others.
/// </summary>
public sealed class SnapshotPolicyTimer(ServiceApi api, IOptions<ServiceOptions> options, [FromKeyedServices(SnapshotPolicyTimer.ClockKey)] TimeProvider clock, ILogger<SnapshotPolicyTimer> log) : BackgroundService
{
    public const string ClockKey = "snapshot-policy";

    /// <summary>Each completed pass over the apps, with how many it ran (tests await it instead of waiting).</summary>
    public event Action<int>? Passed;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.SnapshotPolicyInterval, clock);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                Passed?.Invoke(await RunAsync(stoppingToken));
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>One pass: every app's policy, in name order.</summary>
    public async Task<int> RunAsync(CancellationToken cancellationToken)
    {
        var count = 0;
        foreach (var app in api.Store.Apps(null))
        {
            try
            {
                api.RecordPolicyRun(app.Name, await api.Snapshots.ApplyPolicyAsync(api.Store.AppId(app), null, cancellationToken));
            }
            catch (KompoxException e)
            {
                // A setting with a wrong value (InvalidSetting), or an app gone meanwhile: recorded, and the next app goes on.
                api.RecordPolicyRun(app.Name, new Kompox.Operations.SnapshotPolicyResult(api.Store.AppId(app), Kompox.Operations.SnapshotPolicyOutcome.Failed, e.Message, null, [], [], [e]));
                log.LogWarning("snapshot policy of app {App}: {Error}", app.Name, e.Message);
            }

            count++;
        }

        return count;
    }
}
