using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json.Nodes;
using System.Net;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Kompox.Conversion;
using Kompox.Model;

namespace Kompox.Kube;

/// <summary>
/// The app lock across hosts: a <c>coordination.k8s.io/v1</c> Lease named <see cref="LeaseName"/> in the app's
/// namespace, so that a runbook, the REST service and a laptop never change one app at the same time.
/// <para>
/// Every acquisition is its own holder: the identity is the machine, the process and a suffix drawn per acquisition.
/// Two PowerShell runspaces or two REST requests in one process therefore exclude each other through the Lease itself,
/// with the same rules as two hosts; an in-process gate in front of the Lease would be a second mechanism with its own
/// wake-up and timeout rules, and would not show up in the error another host gets.
/// </para>
/// <para>
/// The Lease is renewed every third of its duration on the context's clock while held, and released (holder cleared)
/// on dispose. A holder that dies stops renewing. Its renewTime is the holder's clock, which this machine's need not
/// agree with, so it is never compared with ours: as client-go's leaderelection.go does (<c>observedTime</c>,
/// <c>isLeaseValid</c>), a Lease held by someone else expires <c>leaseDurationSeconds</c> after this context last saw it
/// change (a new resourceVersion), on this context's clock. A caller that does not wait has never seen it expire, so a
/// held app is locked until its holder releases it or a waiting caller watches it go unrenewed for its duration.
/// Writes carry the resourceVersion they read, so two callers racing for a free Lease cannot both win: the loser gets
/// 409 and reads again.
/// </para>
/// <para>
/// The Lease carries no <c>kompox.dev/app-id</c> label on purpose: deploy prunes and destroy deletes the app's objects
/// by that label, and neither must delete the Lease it holds.
/// </para>
/// </summary>
public sealed class LeaseAppLock : IAppLock
{
    /// <summary>The Lease's name in the app's namespace.</summary>
    public const string LeaseName = "kompox-app-lock";

    /// <summary>The field manager of the namespace this lock creates when the app was never deployed; the deploy's own.</summary>
    public const string FieldManager = "kompox";

    private readonly Func<KompoxCluster, IKubernetes> clients;
    private readonly TimeProvider timeProvider;

    /// <summary>Per cluster and namespace: the Lease's resourceVersion last seen and when, on this context's clock.
    /// Kept for the context's lifetime, so a long-running service waits out a dead holder once, not per request.</summary>
    private readonly ConcurrentDictionary<(string Cluster, string Namespace), Observation> observed = new();

    /// <param name="clients">The client of a cluster: the context's, one per cluster for every operation.</param>
    public LeaseAppLock(Func<KompoxCluster, IKubernetes> clients, TimeProvider timeProvider)
    {
        this.clients = clients;
        this.timeProvider = timeProvider;
    }

    /// <summary>How long a holder keeps the app without renewing; a dead holder's Lease frees after this.</summary>
    public TimeSpan LeaseDuration { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>How often a waiter reads the Lease again.</summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>The identity this process's holders start with: machine name and process id.</summary>
    public static string ProcessIdentity { get; } = $"{Environment.MachineName}/{Environment.ProcessId.ToString(CultureInfo.InvariantCulture)}";

    public async Task<T> RunExclusiveAsync<T>(KompoxApp app, TimeSpan timeout, IProgress<OperationProgress> progress, Func<CancellationToken, Task<T>> body, CancellationToken cancellationToken)
    {
        await using var lease = await AcquireLeaseAsync(app, timeout, progress, cancellationToken).ConfigureAwait(false);
        return await AppLockHold.RunAsync(app, lease.Lost, LeaseDuration, body, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Takes the app's Lease, waiting up to <paramref name="timeout"/>; the holder renews it until disposed and tells when it was lost.</summary>
    internal Task<AppLease> AcquireLeaseAsync(KompoxApp app, TimeSpan timeout, IProgress<OperationProgress>? progress, CancellationToken cancellationToken)
    {
        // The client that takes the Lease also renews it on the clock's timer, after the caller's step may have ended.
        IProgress<OperationProgress> report = progress is null ? NoProgress.Instance : new TolerantProgress(progress);
        var activity = $"Waiting for app {app.Id}";
        var ns = KubeNames.Namespace(app);
        // A named method rather than a lambda, so that mutation testing can compile its mutants one by one.
        return ErrorTranslation.Guard($"taking the lease {ns}/{LeaseName} of app {app.Id}", cancellationToken, () => TakeLeaseAsync(app, ns, timeout, report, activity, cancellationToken));
    }

    private async Task<AppLease> TakeLeaseAsync(KompoxApp app, string ns, TimeSpan timeout, IProgress<OperationProgress> report, string activity, CancellationToken cancellationToken)
    {
        var client = clients(app.Cluster);
        var identity = $"{ProcessIdentity}/{Guid.NewGuid().ToString("N")[..8]}";
        var started = timeProvider.GetUtcNow();
        var createdNamespace = false;
        var races = 0;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var now = timeProvider.GetUtcNow();
            var current = await ReadAsync(client, ns, cancellationToken).ConfigureAwait(false);
            V1Lease? taken = null; // assigned on every path; initialized so that a mutant removing one assignment compiles
            if (current is null)
            {
                taken = await CreateAsync(client, ns, identity, now, cancellationToken).ConfigureAwait(false);
                if (taken is null && !createdNamespace && !await NamespaceExistsAsync(client, ns, cancellationToken).ConfigureAwait(false))
                {
                    // Only disk operations on a never-deployed app get here: deploy applies the namespace first.
                    report.Report(OperationProgress.Detail(activity, $"creating namespace {ns} for the app's lease"));
                    await client.CoreV1.PatchNamespaceAsync(
                        new V1Patch(AppConverter.AppNamespace(app), V1Patch.PatchType.ApplyPatch),
                        ns,
                        fieldManager: FieldManager,
                        force: true,
                        cancellationToken: cancellationToken).ConfigureAwait(false);
                    createdNamespace = true;
                }
            }
            else if (FreeAt(app, current, now) is var expires && expires <= now)
            {
                taken = await TakeOverAsync(client, current, identity, now, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                var waited = now - started;
                if (waited >= timeout)
                {
                    throw Locked(app, current, expires, timeout);
                }

                report.Report(new OperationProgress(activity, $"held by {current.Spec.HolderIdentity} until {expires:u} unless renewed"));
                var pause = timeout - waited < PollInterval ? timeout - waited : PollInterval;
                await Task.Delay(pause, timeProvider, cancellationToken).ConfigureAwait(false);
                continue;
            }

            if (taken is not null)
            {
                report.Report(OperationProgress.Detail(activity, $"holding lease {ns}/{LeaseName} as {identity}"));
                report.Report(new OperationProgress(activity, "the app is ours", 100));
                return new AppLease(client, app, taken, LeaseDuration, timeProvider, report);
            }

            // Someone else wrote the Lease between our read and our write (409): read it again, at once the first
            // few times; a Lease that keeps changing (or a namespace that cannot take it) is waited for like a holder.
            if (++races > 3)
            {
                if (timeProvider.GetUtcNow() - started >= timeout)
                {
                    throw new KompoxException("AppLocked", ErrorKind.Conflict, $"app {app.Id} is busy: its lease {ns}/{LeaseName} changed under every attempt to take it") { Target = app.Id, Remedy = Remedy.WaitForApp };
                }

                await Task.Delay(PollInterval, timeProvider, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private static KompoxException Locked(KompoxApp app, V1Lease lease, DateTimeOffset expires, TimeSpan timeout)
    {
        var since = lease.Spec.AcquireTime is { } acquired ? $" since {Utc(acquired):u}" : string.Empty;
        var waited = timeout > TimeSpan.Zero ? $"; waited {timeout.TotalSeconds.ToString("0", CultureInfo.InvariantCulture)} s" : string.Empty;
        return new KompoxException(
            "AppLocked",
            ErrorKind.Conflict,
            $"app {app.Id} is busy: {lease.Spec.HolderIdentity} holds it{since}, and its lease expires at {expires:u} unless renewed{waited}")
        {
            Target = app.Id,
            Remedy = Remedy.WaitForApp,
        };
    }

    /// <summary>
    /// When another holder's claim lapses on this context's clock: the duration it declared after this context first saw
    /// the Lease's current resourceVersion (client-go leaderelection.go: <c>observedTime + leaseDuration</c>). The
    /// holder's renewTime is on its clock and is not used. A Lease seen for the first time is seen <paramref name="now"/>.
    /// </summary>
    private DateTimeOffset FreeAt(KompoxApp app, V1Lease lease, DateTimeOffset now)
    {
        if (string.IsNullOrEmpty(lease.Spec?.HolderIdentity))
        {
            // Released: nobody holds it.
            return DateTimeOffset.MinValue;
        }

        var version = lease.Metadata.ResourceVersion;
        var seen = observed.AddOrUpdate(
            (app.Cluster.Id, KubeNames.Namespace(app)),
            _ => new Observation(version, now),
            (_, last) => last.ResourceVersion == version ? last : new Observation(version, now));
        return seen.At.AddSeconds(lease.Spec.LeaseDurationSeconds ?? 0);
    }

    private sealed record Observation(string ResourceVersion, DateTimeOffset At);

    /// <summary>When this process's own Lease lapses: its last renewal (or acquisition), on this process's clock, plus the duration it declared.</summary>
    internal static DateTimeOffset ExpiresAt(V1Lease lease)
    {
        var renewed = lease.Spec.RenewTime ?? lease.Spec.AcquireTime;
        var seconds = lease.Spec.LeaseDurationSeconds ?? 0;
        return renewed is { } time ? Utc(time).AddSeconds(seconds) : DateTimeOffset.MinValue;
    }

    // MicroTime is UTC on the wire; the client may hand it back as local or unspecified time.
    private static DateTimeOffset Utc(DateTime time) =>
        new(time.Kind == DateTimeKind.Local ? time.ToUniversalTime() : DateTime.SpecifyKind(time, DateTimeKind.Utc));

    private static async Task<V1Lease?> ReadAsync(IKubernetes client, string ns, CancellationToken cancellationToken)
    {
        try
        {
            return await client.CoordinationV1.ReadNamespacedLeaseAsync(LeaseName, ns, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (HttpOperationException e) when (e.Response?.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    private static async Task<bool> NamespaceExistsAsync(IKubernetes client, string ns, CancellationToken cancellationToken)
    {
        try
        {
            await client.CoreV1.ReadNamespaceAsync(ns, cancellationToken: cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (HttpOperationException e) when (e.Response?.StatusCode == HttpStatusCode.NotFound)
        {
            return false;
        }
    }

    /// <returns>The created Lease; null when it could not be created (someone created it first, or the namespace is missing).</returns>
    private async Task<V1Lease?> CreateAsync(IKubernetes client, string ns, string identity, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var lease = new V1Lease
        {
            ApiVersion = "coordination.k8s.io/v1",
            Kind = "Lease",
            Metadata = new V1ObjectMeta { Name = LeaseName, NamespaceProperty = ns },
            Spec = new V1LeaseSpec(),
        };
        Hold(lease, identity, now, newHolder: true);
        try
        {
            return await LeaseWrites.CreateAsync(client, lease, ns, cancellationToken).ConfigureAwait(false);
        }
        catch (HttpOperationException e) when (e.Response?.StatusCode is HttpStatusCode.Conflict or HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    private async Task<V1Lease?> TakeOverAsync(IKubernetes client, V1Lease lease, string identity, DateTimeOffset now, CancellationToken cancellationToken)
    {
        Hold(lease, identity, now, newHolder: true);
        try
        {
            // The body carries the resourceVersion read: if anyone wrote the Lease since, the server answers 409.
            return await LeaseWrites.ReplaceAsync(client, lease, cancellationToken).ConfigureAwait(false);
        }
        catch (HttpOperationException e) when (e.Response?.StatusCode is HttpStatusCode.Conflict or HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    private void Hold(V1Lease lease, string identity, DateTimeOffset now, bool newHolder)
    {
        var spec = lease.Spec;
        if (newHolder)
        {
            // client-go leaderelection.go (tryAcquireOrRenew) counts every acquisition of an existing record by a new
            // holder, a released one included; a Lease being created (no resourceVersion yet) starts at 0.
            spec.LeaseTransitions = lease.Metadata.ResourceVersion is null ? 0 : (spec.LeaseTransitions ?? 0) + 1;
            spec.HolderIdentity = identity;
            spec.AcquireTime = now.UtcDateTime;
        }

        spec.LeaseDurationSeconds = (int)Math.Ceiling(LeaseDuration.TotalSeconds);
        spec.RenewTime = now.UtcDateTime;
    }
}

/// <summary>
/// A held app Lease: renewed on the clock until disposed. When a renewal finds the Lease taken by someone else (this
/// process stalled longer than the duration, and another holder took over), <see cref="Lost"/> is cancelled and a
/// warning is reported; an operation that links its token with <see cref="Lost"/> stops instead of interleaving.
/// </summary>
public sealed class AppLease : IAsyncDisposable
{
    /// <summary>How long releasing may take before the Lease is left to expire on its own.</summary>
    private static readonly TimeSpan ReleaseTimeout = TimeSpan.FromSeconds(10);

    private readonly IKubernetes client;
    private readonly KompoxApp app;
    private readonly TimeSpan duration;
    private readonly TimeProvider timeProvider;
    private readonly IProgress<OperationProgress> progress;
    private readonly CancellationTokenSource lost = new();
    private readonly SemaphoreSlim writing = new(1, 1);
    private readonly ITimer renewal;
    private V1Lease lease;
    private int disposed;

    internal AppLease(IKubernetes client, KompoxApp app, V1Lease lease, TimeSpan duration, TimeProvider timeProvider, IProgress<OperationProgress> progress)
    {
        this.client = client;
        this.app = app;
        this.lease = lease;
        this.duration = duration;
        this.timeProvider = timeProvider;
        this.progress = progress;
        var period = duration / 3;
        renewal = timeProvider.CreateTimer(_ => _ = RenewAsync(), null, period, period);
    }

    /// <summary>Machine, process and the suffix of this acquisition, as the Lease's holderIdentity says.</summary>
    public string HolderIdentity => lease.Spec.HolderIdentity;

    /// <summary>Cancelled when another holder has taken the Lease over.</summary>
    public CancellationToken Lost => lost.Token;

    /// <summary>When the Lease lapses unless renewed again.</summary>
    public DateTimeOffset ExpiresAt => LeaseAppLock.ExpiresAt(lease);

    /// <summary>Renews now (the timer calls this every third of the duration); false once the Lease is lost or released.</summary>
    internal async Task<bool> RenewAsync()
    {
        if (Volatile.Read(ref disposed) != 0 || lost.IsCancellationRequested || !await writing.WaitAsync(0).ConfigureAwait(false))
        {
            // A tick while the previous renewal still runs is passed over: the Lease lasts three ticks.
            return false;
        }

        var activity = $"Holding app {app.Id}";
        (bool Renewed, string? Failure) outcome;
        try
        {
            outcome = Volatile.Read(ref disposed) == 0 ? await RenewHeldAsync(activity).ConfigureAwait(false) : (false, null);
        }
        finally
        {
            writing.Release();
        }

        // Reported once the next tick may renew again, so that whoever reads it sees the lease's state settled (a
        // failure says "trying again": a tick right after it must not find the previous renewal still running).
        if (outcome.Failure is { } failure)
        {
            Report(OperationProgress.Detail(activity, $"renewal failed, trying again: {failure}"));
        }

        if (outcome.Renewed)
        {
            Report(OperationProgress.Detail(activity, $"renewed lease {lease.Metadata.NamespaceProperty}/{LeaseAppLock.LeaseName} until {ExpiresAt:u}"));
        }

        return outcome.Renewed;
    }

    /// <summary>Renews under the write lock; a failure that leaves the Lease alive comes back to be reported after it.</summary>
    private async Task<(bool Renewed, string? Failure)> RenewHeldAsync(string activity)
    {
        try
        {
            var renewed = Copy(lease);
            renewed.Spec.RenewTime = timeProvider.GetUtcNow().UtcDateTime;
            try
            {
                lease = await LeaseWrites.ReplaceAsync(client, renewed, CancellationToken.None).ConfigureAwait(false);
                return (true, null);
            }
            catch (HttpOperationException e) when (e.Response?.StatusCode is HttpStatusCode.Conflict or HttpStatusCode.NotFound)
            {
                // Someone wrote the Lease: if it is still ours (e.g. an admin edited a label), renew on the new version.
                var current = await client.CoordinationV1.ReadNamespacedLeaseAsync(LeaseAppLock.LeaseName, lease.Metadata.NamespaceProperty).ConfigureAwait(false);
                if (current.Spec?.HolderIdentity != HolderIdentity)
                {
                    LoseTo(current.Spec?.HolderIdentity, activity);
                    return (false, null);
                }

                current.Spec.RenewTime = timeProvider.GetUtcNow().UtcDateTime;
                lease = await LeaseWrites.ReplaceAsync(client, current, CancellationToken.None).ConfigureAwait(false);
                return (true, null);
            }
        }
        catch (Exception e) when (e is HttpOperationException or HttpRequestException or OperationCanceledException or IOException)
        {
            // A renewal that fails (the API server is briefly away) is tried again on the next tick; the Lease lasts
            // three ticks, so only a longer outage loses it, and the next renewal then reports who took it.
            var error = ErrorTranslation.Translate(e, $"renewing the lease of app {app.Id}", CancellationToken.None);
            if (timeProvider.GetUtcNow() >= ExpiresAt)
            {
                Report(OperationProgress.Detail(activity, $"renewal failed, trying again: {error.Message}"));
                LoseTo(null, activity);
                return (false, null);
            }

            return (false, error.Message);
        }
    }

    private void Report(OperationProgress value) => progress.Report(value);

    private void LoseTo(string? holder, string activity)
    {
        var who = string.IsNullOrEmpty(holder) ? "the lease expired before it could be renewed" : $"{holder} took it over";
        Report(OperationProgress.Warn(activity, Diagnostic.Warning(app.Id, SourceMark.File, string.Empty, $"lost the lease of the app: {who}; stopping")));
        lost.Cancel();
    }

    /// <summary>Stops renewing and clears the holder, so the next caller does not wait for the Lease to expire.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref disposed, 1) != 0)
        {
            return;
        }

        await renewal.DisposeAsync().ConfigureAwait(false);
        await writing.WaitAsync().ConfigureAwait(false);
        try
        {
            if (lost.IsCancellationRequested)
            {
                return;
            }

            var released = Copy(lease);
            released.Spec.HolderIdentity = null;
            released.Spec.AcquireTime = null;
            released.Spec.RenewTime = null;
            // Bounded, not cancellable: it runs when the work ends, Ctrl+C included, and must not hang on a server gone away.
            using var bound = new CancellationTokenSource(ReleaseTimeout, timeProvider);
            try
            {
                await LeaseWrites.ReplaceAsync(client, released, bound.Token).ConfigureAwait(false);
                Report(OperationProgress.Detail($"Holding app {app.Id}", $"released lease {lease.Metadata.NamespaceProperty}/{LeaseAppLock.LeaseName}"));
            }
            catch (Exception e) when (e is HttpOperationException or HttpRequestException or OperationCanceledException or IOException)
            {
                // Not released: the Lease expires on its own within its duration, and the next caller takes it then.
                Report(OperationProgress.Detail($"Holding app {app.Id}", $"could not release the lease; it expires at {ExpiresAt:u}"));
            }
        }
        finally
        {
            // lost is not disposed: callers may still hold its token, linked into their own.
            writing.Release();
        }
    }

    private static V1Lease Copy(V1Lease lease) => KubernetesJson.Deserialize<V1Lease>(KubernetesJson.Serialize(lease));
}

/// <summary>
/// Lease writes with their MicroTime fields as kube-apiserver decodes them. apimachinery's micro_time.go parses
/// acquireTime and renewTime with exactly six fraction digits (RFC3339Micro) and answers 400 otherwise; the client's
/// serializer drops the fraction of a whole second, so the body is written here rather than by the typed client.
/// </summary>
internal static class LeaseWrites
{
    private const string Group = "coordination.k8s.io";
    private const string Version = "v1";
    private const string Plural = "leases";

    public static async Task<V1Lease> CreateAsync(IKubernetes client, V1Lease lease, string ns, CancellationToken cancellationToken) =>
        Read(await client.CustomObjects.CreateNamespacedCustomObjectAsync(Body(lease), Group, Version, ns, Plural, cancellationToken: cancellationToken).ConfigureAwait(false));

    /// <summary>PUT of the whole Lease; it carries the resourceVersion read, so a stale write is 409.</summary>
    public static async Task<V1Lease> ReplaceAsync(IKubernetes client, V1Lease lease, CancellationToken cancellationToken) =>
        Read(await client.CustomObjects.ReplaceNamespacedCustomObjectAsync(Body(lease), Group, Version, lease.Metadata.NamespaceProperty, Plural, lease.Metadata.Name, cancellationToken: cancellationToken).ConfigureAwait(false));

    /// <summary>The Lease's JSON with acquireTime and renewTime in RFC3339Micro: UTC, six fraction digits, Z.</summary>
    internal static JsonObject Body(V1Lease lease)
    {
        var body = JsonNode.Parse(KubernetesJson.Serialize(lease))!.AsObject();
        if (body["spec"] is JsonObject spec)
        {
            Micro(spec, "acquireTime", lease.Spec.AcquireTime);
            Micro(spec, "renewTime", lease.Spec.RenewTime);
        }

        return body;
    }

    private static void Micro(JsonObject spec, string field, DateTime? time)
    {
        if (time is { } t)
        {
            spec[field] = (t.Kind == DateTimeKind.Local ? t.ToUniversalTime() : t).ToString("yyyy'-'MM'-'dd'T'HH':'mm':'ss'.'ffffff'Z'", CultureInfo.InvariantCulture);
        }
    }

    // The custom-objects API hands back the body as a JsonElement.
    private static V1Lease Read(object response) => KubernetesJson.Deserialize<V1Lease>(((System.Text.Json.JsonElement)response).GetRawText());
}
