using System.Runtime.CompilerServices;
using k8s;
using Kompox.Drivers;
using Kompox.Kube;
using Kompox.Model;
using Kompox.Store;

namespace Kompox.Operations;

/// <summary>What a public operation is, for the runner: its activity, what it acts on, and whether it holds the app.</summary>
/// <param name="Activity">What it does, e.g. "Deploying app ops/k3s1/lab/web": the progress activity and the start of its errors' messages.</param>
/// <param name="AppId">The app it acts on, resolved through the store; null for an operation on a cluster.</param>
/// <param name="ClusterId">The cluster it acts on when it acts on no app.</param>
internal sealed record OperationSpec(string Activity, string? AppId = null, string? ClusterId = null)
{
    /// <summary>The operation changes the app: its body runs holding the app's lock.</summary>
    public bool HoldsApp { get; init; }

    /// <summary>How long to wait for another holder of the app; null for the context's default.</summary>
    public TimeSpan? LockWait { get; init; }

    public static OperationSpec OnApp(string activity, string appId) => new(activity, AppId: appId);

    public static OperationSpec OnCluster(string activity, string clusterId) => new(activity, ClusterId: clusterId);
}

/// <summary>
/// Where every public operation runs, so that none can skip a step: it reports the start and the end of the activity,
/// resolves the app or cluster through the store, makes the clients inside the error guard (a broken kubeconfig is an
/// error of the operation, not a crash of the caller), routes the clients' request reports to this activity, takes the
/// app's lock when the operation changes the app (its loss cancels the body), and translates whatever escapes into a
/// <see cref="KompoxException"/>. The REST service hangs its logging, authorization and job records here too.
/// </summary>
internal sealed class OperationRunner
{
    private readonly KompoxContext context;

    public OperationRunner(KompoxContext context)
    {
        this.context = context;
    }

    public async Task<T> RunAsync<T>(OperationSpec spec, IProgress<OperationProgress>? progress, Func<OperationScope, CancellationToken, Task<T>> body, CancellationToken cancellationToken)
    {
        var scope = new OperationScope(context, spec.Activity, Sink(progress));
        var previous = RequestReporter.Current;
        RequestReporter.Current = (spec.Activity, scope.Progress);
        scope.Step("starting", 0);
        try
        {
            await ResolveAsync(scope, spec, cancellationToken).ConfigureAwait(false);
            var result = spec.HoldsApp
                ? await scope.HoldAppAsync(spec.LockWait, token => body(scope, token), cancellationToken).ConfigureAwait(false)
                : await body(scope, cancellationToken).ConfigureAwait(false);
            scope.Step("done", 100);
            return result;
        }
        catch (Exception e)
        {
            throw Failed(scope, e, cancellationToken);
        }
        finally
        {
            RequestReporter.Current = previous;
        }
    }

    public async IAsyncEnumerable<T> StreamAsync<T>(OperationSpec spec, IProgress<OperationProgress>? progress, Func<OperationScope, CancellationToken, IAsyncEnumerable<T>> body, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var scope = new OperationScope(context, spec.Activity, Sink(progress));
        RequestReporter.Current = (spec.Activity, scope.Progress);
        scope.Step("starting", 0);
        IAsyncEnumerator<T> items;
        try
        {
            await ResolveAsync(scope, spec, cancellationToken).ConfigureAwait(false);
            items = body(scope, cancellationToken).GetAsyncEnumerator(cancellationToken);
        }
        catch (Exception e)
        {
            throw Failed(scope, e, cancellationToken);
        }

        await using (items.ConfigureAwait(false))
        {
            while (true)
            {
                try
                {
                    if (!await items.MoveNextAsync().ConfigureAwait(false))
                    {
                        break;
                    }
                }
                catch (Exception e)
                {
                    throw Failed(scope, e, cancellationToken);
                }

                yield return items.Current;
            }
        }

        scope.Step("done", 100);
    }

    private static IProgress<OperationProgress> Sink(IProgress<OperationProgress>? progress) =>
        progress is null ? NoProgress.Instance : new TolerantProgress(progress);

    private async Task ResolveAsync(OperationScope scope, OperationSpec spec, CancellationToken cancellationToken)
    {
        if (spec.AppId is { } appId)
        {
            scope.App = await context.Store.RequireAppAsync(appId, cancellationToken).ConfigureAwait(false);
        }
        else if (spec.ClusterId is { } clusterId)
        {
            scope.Cluster = await context.Store.RequireClusterAsync(clusterId, cancellationToken).ConfigureAwait(false);
        }
    }

    private static KompoxException Failed(OperationScope scope, Exception e, CancellationToken cancellationToken)
    {
        var error = ErrorTranslation.Translate(e, scope.Doing, cancellationToken);
        scope.Step("failed", 100);
        return error;
    }
}

/// <summary>What the body of an operation works with: the resolved app or cluster, its clients and its progress.</summary>
internal sealed class OperationScope
{
    private readonly KompoxContext context;
    private KompoxApp? app;
    private KompoxCluster? cluster;
    private IKubernetes? kube;
    private Task<string?>? diskNode;

    public OperationScope(KompoxContext context, string activity, IProgress<OperationProgress> progress)
    {
        this.context = context;
        Activity = activity;
        Progress = progress;
    }

    public string Activity { get; }

    public IProgress<OperationProgress> Progress { get; }

    public KompoxContext Context => context;

    /// <summary>The app the operation acts on.</summary>
    public KompoxApp App
    {
        get => app ?? throw new InvalidOperationException($"{Activity} acts on no app");
        set
        {
            app = value;
            cluster = value.Cluster;
        }
    }

    /// <summary>The cluster the operation acts on: the app's, or the one it was given.</summary>
    public KompoxCluster Cluster
    {
        get => cluster ?? throw new InvalidOperationException($"{Activity} acts on no cluster");
        set => cluster = value;
    }

    /// <summary>The cluster's client, the context's one; made on first use.</summary>
    public IKubernetes Kube => kube ??= context.Kube(Cluster);

    /// <summary>
    /// The disks and snapshots of the cluster's provider, once <see cref="DiskNodeAsync"/> has found that this machine
    /// may touch them: every use of disks goes through here.
    /// </summary>
    public async Task<IDriverRuntime> RuntimeAsync(CancellationToken cancellationToken)
    {
        await DiskNodeAsync(cancellationToken).ConfigureAwait(false);
        return context.Runtime(Cluster);
    }

    /// <summary>
    /// The runtime for an operation that only reads or copies disks (list, export, snapshot), which must work while the
    /// cluster is down, when a backup matters most: as <see cref="RuntimeAsync"/>, but when the cluster's API server does
    /// not answer (<see cref="ErrorTranslation.IsUnanswered"/>; an error it answers with fails as before) the runtime of a
    /// driver whose disks are on this machine (k3s) is used without the node check. The caller then acts only on disks of
    /// the app it finds under this machine's data root (a disk id it does not find is <c>DiskNotFound</c>; a list that
    /// finds none fails with <see cref="Unanswered"/>): they are the evidence the check would have given. A driver whose
    /// disks are in the cloud (aks) makes no node check and needs no cluster in the first place.
    /// </summary>
    public async Task<IDriverRuntime> RuntimeOfflineAllowedAsync(CancellationToken cancellationToken)
    {
        try
        {
            return await RuntimeAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (Driver.DisksOnNode && ErrorTranslation.IsUnanswered(e, cancellationToken))
        {
            Unanswered = ErrorTranslation.Translate(e, Doing, cancellationToken);
            Warn(Diagnostic.Warning(Cluster.Provider.Service.ConfigPath ?? "kompoxops.yml", SourceMark.File, "cluster.settings.K3S_NODE_NAME", $"the API server of cluster {Cluster.Name} does not answer ({Unanswered.Message}); using the app's disks found under this machine's data root without checking that it is the disk node"));
            return context.Runtime(Cluster);
        }
    }

    /// <summary>Why <see cref="RuntimeOfflineAllowedAsync"/> went on without the cluster; null when the cluster answered.</summary>
    public KompoxException? Unanswered { get; private set; }

    /// <summary>The hostname label of the node the cluster's disks live on, checked to be this machine; null for a driver whose disks any node reaches. Asked once per operation.</summary>
    public Task<string?> DiskNodeAsync(CancellationToken cancellationToken) => diskNode ??= DiskNode.FindAsync(this, cancellationToken);

    public IProviderDriver Driver => context.Drivers.Driver(Cluster.Provider.Driver);

    public TimeProvider Time => context.TimeProvider;

    /// <summary>What errors say the operation was doing: once the cluster's client is made, with its server and context, so that a failure to connect names them.</summary>
    public string Doing =>
        kube is null || cluster is null
            ? Activity
            : $"{Activity} (server {kube.BaseUri.GetLeftPart(UriPartial.Authority)}, context {cluster.Auth.Context ?? "(current)"})";

    /// <summary>
    /// Runs <paramref name="body"/> holding the app's lock, for an operation that must look at the cluster before it
    /// knows it changes the app (destroy takes no lock for an app that was never deployed); the rest hold it through
    /// <see cref="OperationSpec.HoldsApp"/>.
    /// </summary>
    /// <param name="wait">How long to wait for another holder; null for the context's default.</param>
    public Task<T> HoldAppAsync<T>(TimeSpan? wait, Func<CancellationToken, Task<T>> body, CancellationToken cancellationToken) =>
        context.AppLock.RunExclusiveAsync(App, wait ?? context.AppLockTimeout, Progress, body, cancellationToken);

    public void Step(string status, int? percent = null) => Progress.Report(new OperationProgress(Activity, status, percent));

    public void Detail(string message) => Progress.Report(OperationProgress.Detail(Activity, message));

    public void Warn(Diagnostic warning) => Progress.Report(OperationProgress.Warn(Activity, warning));
}
