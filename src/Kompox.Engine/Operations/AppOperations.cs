using System.Net;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Kompox.Conversion;
using Kompox.Drivers;
using Kompox.Model;

namespace Kompox.Operations;

/// <summary>Which disks the app's namespace names: the current one, and the one before it (for undoing a switch).</summary>
public sealed record AppDiskState(string? CurrentDiskId, string? PreviousDiskId)
{
    public static readonly AppDiskState None = new(null, null);

    /// <summary>The disk state the app's namespace holds; <see cref="None"/> for a namespace without it.</summary>
    public static AppDiskState Of(V1Namespace appNamespace)
    {
        var annotations = appNamespace.Metadata?.Annotations ?? new Dictionary<string, string>();
        return new AppDiskState(
            annotations.TryGetValue(KompoxMetadata.DiskCurrentAnnotation, out var current) ? current : null,
            annotations.TryGetValue(KompoxMetadata.DiskPreviousAnnotation, out var previous) ? previous : null);
    }

    /// <summary>
    /// The server-side apply body that sets exactly these annotations on the namespace, under field manager
    /// <see cref="KompoxMetadata.DiskStateFieldManager"/>. An id that is null is left out, so the apply removes it.
    /// The app's own apply (another field manager, without these annotations) never touches them.
    /// </summary>
    public V1Namespace PatchBody(string namespaceName)
    {
        var annotations = new SortedDictionary<string, string>(StringComparer.Ordinal);
        if (CurrentDiskId is not null)
        {
            annotations[KompoxMetadata.DiskCurrentAnnotation] = CurrentDiskId;
        }

        if (PreviousDiskId is not null)
        {
            annotations[KompoxMetadata.DiskPreviousAnnotation] = PreviousDiskId;
        }

        return new V1Namespace { ApiVersion = "v1", Kind = "Namespace", Metadata = new V1ObjectMeta { Name = namespaceName, Annotations = annotations } };
    }
}

/// <summary>
/// What can be done to an app. The cmdlets and the REST endpoints call this; in client mode a REST client implements it.
/// Every method reports progress, honours cancellation and raises only <see cref="KompoxException"/>s.
/// </summary>
public interface IAppOperations
{
    /// <summary>The app with this id, from the context's resource source.</summary>
    Task<KompoxApp> GetAsync(string appId, CancellationToken cancellationToken);

    /// <summary>Reads the app's compose file and converts it offline (draft command <c>app validate</c>); problems are in the result, not thrown.</summary>
    Task<AppValidation> ValidateAsync(KompoxApp app, AppValidationOptions options, IProgress<OperationProgress>? progress, CancellationToken cancellationToken);

    /// <summary>
    /// The manifest deploy applies: the app converted on <paramref name="disk"/>, a real disk of the app, with the
    /// PersistentVolume sized as the disk is and, for a driver that pins disks to a node, the node looked up in the cluster.
    /// </summary>
    Task<AppValidation> PlanAsync(KompoxApp app, DiskInfo disk, ComposeReadOptions options, IProgress<OperationProgress>? progress, CancellationToken cancellationToken);

    /// <summary>The disks the app's namespace names; <see cref="AppDiskState.None"/> when the app was never deployed.</summary>
    Task<AppDiskState> GetDiskStateAsync(KompoxApp app, IProgress<OperationProgress>? progress, CancellationToken cancellationToken);

    /// <summary>Writes the disk state on the app's existing namespace, holding the app's lock.</summary>
    Task SetDiskStateAsync(KompoxApp app, AppDiskState state, IProgress<OperationProgress>? progress, CancellationToken cancellationToken);

    /// <summary>
    /// Deploys the app (create or update): checks its hosts against the other apps, applies its namespace, then under the
    /// app's lock makes its first disk when it has none, applies every object by server-side apply, deletes the app's
    /// objects no longer desired and waits for the rollout. A second deploy of the same app changes nothing.
    /// </summary>
    /// <exception cref="KompoxException"><c>InvalidCompose</c>, <c>HostConflict</c>, <c>NodeNameRequired</c>, <c>AppLocked</c>, <c>KubernetesRejected</c> (naming what was applied), <c>RolloutFailed</c>, <c>RolloutTimeout</c>, and the connection errors.</exception>
    Task<AppStatus> DeployAsync(KompoxApp app, DeployOptions options, IProgress<OperationProgress>? progress, CancellationToken cancellationToken);

    /// <summary>What <see cref="DeployAsync"/> would do, found by reading the cluster only (for -WhatIf).</summary>
    Task<DeployPlan> PlanDeployAsync(KompoxApp app, ComposeReadOptions options, IProgress<OperationProgress>? progress, CancellationToken cancellationToken);

    /// <summary>
    /// Deletes every object of the app (PersistentVolume and claim included: their reclaim policy is Retain) under the
    /// app's lock and waits until its Pod is gone; keeps the namespace with its disk state, the disks and the
    /// snapshots, so that a later deploy comes back on the same disk. An app that was never deployed is a no-op
    /// (<see cref="AppDestroyResult.WasDeployed"/> false).
    /// </summary>
    Task<AppDestroyResult> DestroyAsync(KompoxApp app, IProgress<OperationProgress>? progress, CancellationToken cancellationToken);

    /// <summary>The app's status on its cluster; an app not deployed has one too.</summary>
    Task<AppStatus> GetStatusAsync(KompoxApp app, IProgress<OperationProgress>? progress, CancellationToken cancellationToken);

    /// <summary>
    /// The lines the containers of the app's Pod write, like <c>docker compose logs</c>: without
    /// <see cref="AppLogOptions.Follow"/> every container's lines merged by time; with it, the lines as they come, until
    /// cancelled. Each container's lines stay in their order.
    /// </summary>
    /// <exception cref="KompoxException"><c>AppNotDeployed</c>, <c>UnknownService</c>, <c>NoPreviousContainer</c>, <c>InvalidLogOptions</c>, and the cluster's errors.</exception>
    IAsyncEnumerable<AppLogLine> ReadLogsAsync(KompoxApp app, AppLogOptions options, IProgress<OperationProgress>? progress, CancellationToken cancellationToken);

    /// <summary>
    /// A kubeconfig for the deployed app's namespace only (SPEC 6): a TokenRequest token of the app's user ServiceAccount
    /// lasting <see cref="AppCredentialOptions.Duration"/>, or on AKS with <see cref="AppCredentialOptions.Kubelogin"/> the
    /// kubelogin exec plugin for the Entra ID principals bound to the app's Role.
    /// </summary>
    /// <exception cref="KompoxException"><c>InvalidDuration</c>, <c>KubeloginUnsupported</c>, <c>InvalidLoginMode</c>, <c>AppNotDeployed</c>, <c>NoAccessPrincipals</c>.</exception>
    Task<AppCredential> GetCredentialAsync(KompoxApp app, AppCredentialOptions options, IProgress<OperationProgress>? progress, CancellationToken cancellationToken);
}

public sealed partial class AppOperations : IAppOperations
{
    private readonly KompoxContext context;

    public AppOperations(KompoxContext context)
    {
        this.context = context;
    }

    public Task<AppStatus> DeployAsync(KompoxApp app, DeployOptions options, IProgress<OperationProgress>? progress, CancellationToken cancellationToken) =>
        new AppDeployment(context, this).DeployAsync(app, options, progress ?? NoProgress.Instance, cancellationToken);

    public Task<DeployPlan> PlanDeployAsync(KompoxApp app, ComposeReadOptions options, IProgress<OperationProgress>? progress, CancellationToken cancellationToken) =>
        new AppDeployment(context, this).PlanAsync(app, options, progress ?? NoProgress.Instance, cancellationToken);

    public Task<AppDestroyResult> DestroyAsync(KompoxApp app, IProgress<OperationProgress>? progress, CancellationToken cancellationToken) =>
        new AppDeployment(context, this).DestroyAsync(app, progress ?? NoProgress.Instance, cancellationToken);

    public Task<AppStatus> GetStatusAsync(KompoxApp app, IProgress<OperationProgress>? progress, CancellationToken cancellationToken)
    {
        var report = progress ?? NoProgress.Instance;
        var activity = $"Reading the status of app {app.Id}";
        var client = context.KubeClients.Create(app.Cluster, new RequestReporter(activity, report));
        return ErrorTranslation.Guard(ClusterOperations.Doing(activity, app.Cluster, client), cancellationToken, async () =>
        {
            report.Report(new OperationProgress(activity, "reading", 0));
            var status = await AppStatusReader.ReadAsync(client, app, cancellationToken).ConfigureAwait(false);
            report.Report(new OperationProgress(activity, "read", 100));
            return status;
        });
    }

    public Task<KompoxApp> GetAsync(string appId, CancellationToken cancellationToken) =>
        ErrorTranslation.Guard($"finding app {appId}", cancellationToken, () => context.Resources.GetAppAsync(appId, cancellationToken));

    public Task<AppValidation> ValidateAsync(KompoxApp app, AppValidationOptions options, IProgress<OperationProgress>? progress, CancellationToken cancellationToken)
    {
        var activity = $"Validating app {app.Id}";
        return ErrorTranslation.Guard(activity, cancellationToken, () =>
        {
            cancellationToken.ThrowIfCancellationRequested();
            (progress ?? NoProgress.Instance).Report(new OperationProgress(activity, $"converting {app.ComposePath ?? "the compose text"}", 0));
            var result = AppValidator.Validate(app, options);
            (progress ?? NoProgress.Instance).Report(new OperationProgress(activity, result.IsValid ? "valid" : $"{result.Errors.Count} errors", 100));
            return Task.FromResult(result);
        });
    }

    public Task<AppValidation> PlanAsync(KompoxApp app, DiskInfo disk, ComposeReadOptions options, IProgress<OperationProgress>? progress, CancellationToken cancellationToken)
    {
        var activity = $"Planning app {app.Id} on disk {disk.Id}";
        var report = progress ?? NoProgress.Instance;
        return ErrorTranslation.Guard(activity, cancellationToken, async () =>
        {
            if (disk.AppId != app.Id)
            {
                throw new KompoxException("DiskNotFound", ErrorKind.NotFound, $"disk {disk.Id} belongs to app {disk.AppId}, not {app.Id}") { Target = disk.Id };
            }

            report.Report(new OperationProgress(activity, "finding the node", 0));
            var nodeName = await NodeNameAsync(app, context.KubeClients.Create(app.Cluster, new RequestReporter(activity, report)), cancellationToken).ConfigureAwait(false);

            report.Report(new OperationProgress(activity, "converting", 50));
            var conversion = new AppConversionOptions { NodeName = nodeName };
            var result = AppValidator.Convert(app, options, project => AppConverter.Convert(app, project, disk, conversion));
            report.Report(new OperationProgress(activity, result.IsValid ? "planned" : $"{result.Errors.Count} errors", 100));
            return result;
        });
    }

    public Task<AppDiskState> GetDiskStateAsync(KompoxApp app, IProgress<OperationProgress>? progress, CancellationToken cancellationToken)
    {
        var activity = $"Reading the disk state of app {app.Id}";
        return ErrorTranslation.Guard(activity, cancellationToken, async () =>
        {
            var client = context.KubeClients.Create(app.Cluster, new RequestReporter(activity, progress ?? NoProgress.Instance));
            var ns = await ClusterOperations.ReadOrNullAsync(() => client.CoreV1.ReadNamespaceAsync(KubeNames.Namespace(app), cancellationToken: cancellationToken)).ConfigureAwait(false);
            return ns is null ? AppDiskState.None : AppDiskState.Of(ns);
        });
    }

    public Task SetDiskStateAsync(KompoxApp app, AppDiskState state, IProgress<OperationProgress>? progress, CancellationToken cancellationToken)
    {
        var activity = $"Setting the disk state of app {app.Id}";
        return ErrorTranslation.Guard(activity, cancellationToken, async () =>
        {
            var report = progress ?? NoProgress.Instance;
            await using var held = await context.AppLock.AcquireAsync(app, context.AppLockTimeout, report, cancellationToken).ConfigureAwait(false);
            await AppLease.WhileHeldAsync(held, async token =>
            {
                report.Report(new OperationProgress(activity, $"current {state.CurrentDiskId ?? "none"}, previous {state.PreviousDiskId ?? "none"}", 0));
                await ApplyDiskStateAsync(app, state, activity, report, token).ConfigureAwait(false);
                report.Report(new OperationProgress(activity, "done", 100));
            }, cancellationToken).ConfigureAwait(false);
        });
    }

    public Task<AppCredential> GetCredentialAsync(KompoxApp app, AppCredentialOptions options, IProgress<OperationProgress>? progress, CancellationToken cancellationToken)
    {
        var activity = $"Issuing a credential for app {app.Id}";
        return ErrorTranslation.Guard(activity, cancellationToken, () =>
            new AppCredentialIssuer(context).IssueAsync(app, options, activity, progress ?? NoProgress.Instance, cancellationToken));
    }

    /// <summary>The disk state patch for callers that hold the app's lock already (deploy, disk switch).</summary>
    internal async Task ApplyDiskStateAsync(KompoxApp app, AppDiskState state, string activity, IProgress<OperationProgress> progress, CancellationToken cancellationToken)
    {
        var client = context.KubeClients.Create(app.Cluster, new RequestReporter(activity, progress));
        var name = KubeNames.Namespace(app);
        await client.CoreV1.PatchNamespaceAsync(
            new V1Patch(state.PatchBody(name), V1Patch.PatchType.ApplyPatch),
            name,
            fieldManager: KompoxMetadata.DiskStateFieldManager,
            force: true,
            cancellationToken: cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// The node for a driver that pins disks to one and whose cluster names none: the cluster's only node. Null when the
    /// driver needs none or the cluster's settings name it.
    /// </summary>
    /// <exception cref="KompoxException"><c>NodeNameRequired</c> when the cluster has several nodes (or none).</exception>
    internal async Task<string?> NodeNameAsync(KompoxApp app, IKubernetes client, CancellationToken cancellationToken)
    {
        if (!context.Drivers.Driver(app.Cluster.Provider.Driver).NeedsNodeName(app.Cluster))
        {
            return null;
        }

        var nodes = await client.CoreV1.ListNodeAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
        if (nodes.Items.Count == 1)
        {
            return nodes.Items[0].Metadata.Name;
        }

        // Which node holds the disks is the user's knowledge, not Kompox's: guessing would put the data on the wrong node.
        var names = nodes.Items.Count == 0 ? "no nodes" : $"{nodes.Items.Count} nodes ({string.Join(", ", nodes.Items.Select(n => n.Metadata.Name).OrderBy(n => n, StringComparer.Ordinal))})";
        throw new KompoxException(
            "NodeNameRequired",
            ErrorKind.InvalidArgument,
            $"cluster '{app.Cluster.Name}' has {names} and does not set K3S_NODE_NAME; set cluster.settings.K3S_NODE_NAME to the node holding the app disks")
        { Target = app.Cluster.Id };
    }
}
