using Kompox.Drivers;

namespace Kompox.Operations;

/// <summary>
/// What can be done to an app, by its id (<c>{service}/{provider}/{cluster}/{app}</c>), which the context's store
/// resolves. The cmdlets and the REST endpoints call this; in client mode a REST client implements it. Every method runs
/// through the context's <see cref="OperationRunner"/>: it reports its start and end, honours cancellation and raises
/// only <see cref="KompoxException"/>s.
/// </summary>
public interface IAppOperations
{
    /// <summary>Reads the app's compose file and converts it offline (draft command <c>app validate</c>); problems are in the result, not thrown.</summary>
    Task<AppValidation> ValidateAsync(string appId, AppValidationOptions options, IProgress<OperationProgress>? progress, CancellationToken cancellationToken);

    /// <summary>
    /// What a deploy would do, found by reading the cluster only: the app converted once, its hosts checked against the
    /// other apps, its disk and node found, and with <see cref="DeployOptions.Compare"/> each object's change.
    /// </summary>
    /// <exception cref="KompoxException"><c>InvalidCompose</c>, <c>HostConflict</c>, <c>IngressNotInstalled</c>, <c>NodeNameRequired</c>, <c>NodeNotFound</c>, <c>NotOnDiskNode</c>, and the cluster's errors.</exception>
    Task<DeployPlan> PlanDeployAsync(string appId, DeployOptions options, IProgress<OperationProgress>? progress, CancellationToken cancellationToken);

    /// <summary>
    /// Applies a plan under the app's lock: makes the app's first disk when it has none, applies every object by
    /// server-side apply, deletes the app's objects no longer desired and waits for the rollout. A second deploy of the
    /// same app changes nothing.
    /// </summary>
    /// <exception cref="KompoxException"><c>AppLocked</c>, <c>DeployPlanOutdated</c> (the app's disk changed since the plan), <c>KubernetesRejected</c> (naming what was applied), <c>RolloutFailed</c>, <c>RolloutTimeout</c>, and the connection errors.</exception>
    Task<AppStatus> DeployAsync(DeployPlan plan, IProgress<OperationProgress>? progress, CancellationToken cancellationToken);

    /// <summary>Plans and applies in one call: what the REST service's deploy does, and so what a client of it calls.</summary>
    Task<AppStatus> DeployAsync(string appId, DeployOptions options, IProgress<OperationProgress>? progress, CancellationToken cancellationToken);

    /// <summary>
    /// Deletes every object of the app (PersistentVolume and claim included: their reclaim policy is Retain) under the
    /// app's lock and waits until its Pod is gone; keeps the namespace with its disk state, the disks and the
    /// snapshots, so that a later deploy comes back on the same disk. An app that was never deployed is a no-op
    /// (<see cref="AppDestroyResult.WasDeployed"/> false).
    /// </summary>
    Task<AppDestroyResult> DestroyAsync(string appId, DestroyOptions options, IProgress<OperationProgress>? progress, CancellationToken cancellationToken);

    /// <summary>The app's status on its cluster; an app not deployed has one too.</summary>
    Task<AppStatus> GetStatusAsync(string appId, IProgress<OperationProgress>? progress, CancellationToken cancellationToken);

    /// <summary>
    /// The lines the containers of the app's Pod write, like <c>docker compose logs</c>: without
    /// <see cref="AppLogOptions.Follow"/> every container's lines merged by time; with it, the lines as they come, until
    /// cancelled. Each container's lines stay in their order.
    /// </summary>
    /// <exception cref="KompoxException"><c>AppNotDeployed</c>, <c>UnknownService</c>, <c>NoPreviousContainer</c>, <c>InvalidLogOptions</c>, and the cluster's errors.</exception>
    IAsyncEnumerable<AppLogLine> ReadLogsAsync(string appId, AppLogOptions options, IProgress<OperationProgress>? progress, CancellationToken cancellationToken);

    /// <summary>
    /// A kubeconfig for the deployed app's namespace only (SPEC 6): a TokenRequest token of the app's user ServiceAccount
    /// lasting <see cref="AppCredentialOptions.Duration"/>, or on AKS with <see cref="AppCredentialOptions.Kubelogin"/> the
    /// kubelogin exec plugin for the Entra ID principals bound to the app's Role.
    /// </summary>
    /// <exception cref="KompoxException"><c>InvalidDuration</c>, <c>KubeloginUnsupported</c>, <c>InvalidLoginMode</c>, <c>AppNotDeployed</c>, <c>NoAccessPrincipals</c>.</exception>
    Task<AppCredential> GetCredentialAsync(string appId, AppCredentialOptions options, IProgress<OperationProgress>? progress, CancellationToken cancellationToken);

    /// <summary>
    /// Runs a command in a service's container of the app's running Pod, like <c>docker compose exec</c>: its stdin from
    /// <see cref="AppExecOptions.Stdin"/>, its output collected or streamed, its exit code returned (a non-zero one is no
    /// error). Changes nothing Kompox keeps, so it holds no lock.
    /// </summary>
    /// <exception cref="KompoxException"><c>AppNotDeployed</c>, <c>AppNotRunning</c>, <c>UnknownService</c>, <c>InvalidCommand</c>, <c>CommandNotFound</c>, <c>ExecFailed</c>, <c>ExecTimeout</c>, <c>ExecUnsupported</c>, and the cluster's errors.</exception>
    Task<AppExecResult> ExecAsync(string appId, AppExecOptions options, IProgress<OperationProgress>? progress, CancellationToken cancellationToken);

    /// <summary>
    /// Restarts the app's Pod as <c>kubectl rollout restart</c> does, under the app's lock, and waits for the new Pod to
    /// be Ready; the disk stays.
    /// </summary>
    /// <exception cref="KompoxException"><c>AppNotDeployed</c>, <c>AppLocked</c>, <c>RolloutFailed</c>, <c>RolloutTimeout</c>, and the cluster's errors.</exception>
    Task<AppRestartResult> RestartAsync(string appId, AppRestartOptions options, IProgress<OperationProgress>? progress, CancellationToken cancellationToken);

    /// <summary>
    /// Forwards a local port to a service's port in the app's Pod until cancelled: the first event says where it
    /// listens, the next ones tell of each connection.
    /// </summary>
    /// <exception cref="KompoxException"><c>AppNotDeployed</c>, <c>AppNotRunning</c>, <c>UnknownService</c>, <c>InvalidPort</c>, <c>LocalPortInUse</c>, and the cluster's errors.</exception>
    IAsyncEnumerable<AppPortForwardEvent> ForwardPortAsync(string appId, AppPortForwardOptions options, IProgress<OperationProgress>? progress, CancellationToken cancellationToken);

    /// <summary>
    /// Copies the project's bound directories onto the app's current disk, never over what the disk has (the app's files
    /// are kept, directories merge), holding the app's lock; with <see cref="SeedBindsOptions.DryRun"/> it only says what
    /// it would copy, holding no lock. A deploy does the same once, on a disk's first deploy. On aks the copy goes through a
    /// Pod that mounts the disk, with the app stopped around it (<see cref="SeedBindsOptions.Timeout"/>).
    /// </summary>
    /// <exception cref="KompoxException"><c>NoCurrentDisk</c>, <c>AppNotDeployed</c> (aks: the disk's claim is not applied), <c>SeedFailed</c> and <c>AppStopTimeout</c> (aks), <c>SeedUnsupported</c> (a driver that cannot), <c>InvalidArchive</c>, <c>AppLocked</c>, and the cluster's errors.</exception>
    Task<SeedResult> SeedBindsAsync(string appId, SeedBindsOptions options, IProgress<OperationProgress>? progress, CancellationToken cancellationToken);

    /// <summary>The disks the app's namespace names; <see cref="AppDiskState.None"/> when the app was never deployed.</summary>
    Task<AppDiskState> GetDiskStateAsync(string appId, IProgress<OperationProgress>? progress, CancellationToken cancellationToken);

    /// <summary>Writes the disk state on the app's namespace, holding the app's lock.</summary>
    /// <param name="lockWait">How long to wait for another operation holding the app; null for the context's default.</param>
    Task SetDiskStateAsync(string appId, AppDiskState state, TimeSpan? lockWait, IProgress<OperationProgress>? progress, CancellationToken cancellationToken);
}

/// <summary>The app operations of a context; each method names its activity and hands its use case to the runner.</summary>
public sealed class AppOperations : IAppOperations
{
    private readonly KompoxContext context;

    public AppOperations(KompoxContext context)
    {
        this.context = context;
    }

    private OperationRunner Runner => context.Runner;

    public Task<AppValidation> ValidateAsync(string appId, AppValidationOptions options, IProgress<OperationProgress>? progress, CancellationToken cancellationToken) =>
        Runner.RunAsync(OperationSpec.OnApp($"Validating app {appId}", appId), progress, (scope, token) => AppValidator.ValidateAsync(scope, options, token), cancellationToken);

    public Task<DeployPlan> PlanDeployAsync(string appId, DeployOptions options, IProgress<OperationProgress>? progress, CancellationToken cancellationToken) =>
        Runner.RunAsync(OperationSpec.OnApp($"Planning the deploy of app {appId}", appId), progress, (scope, token) => DeployApp.PlanAsync(scope, options, token), cancellationToken);

    public Task<AppStatus> DeployAsync(DeployPlan plan, IProgress<OperationProgress>? progress, CancellationToken cancellationToken) =>
        Runner.RunAsync(
            OperationSpec.OnApp($"Deploying app {plan.AppId}", plan.AppId),
            progress,
            (scope, token) => DeployApp.DeployAsync(scope, plan, token),
            cancellationToken);

    /// <summary>Plans and applies the plan: what a caller that shows no plan first does.</summary>
    public async Task<AppStatus> DeployAsync(string appId, DeployOptions options, IProgress<OperationProgress>? progress, CancellationToken cancellationToken) =>
        await DeployAsync(await PlanDeployAsync(appId, options, progress, cancellationToken).ConfigureAwait(false), progress, cancellationToken).ConfigureAwait(false);

    public Task<AppDestroyResult> DestroyAsync(string appId, DestroyOptions options, IProgress<OperationProgress>? progress, CancellationToken cancellationToken) =>
        Runner.RunAsync(OperationSpec.OnApp($"Destroying app {appId}", appId), progress, (scope, token) => DestroyApp.RunAsync(scope, options, token), cancellationToken);

    public Task<AppStatus> GetStatusAsync(string appId, IProgress<OperationProgress>? progress, CancellationToken cancellationToken) =>
        Runner.RunAsync(OperationSpec.OnApp($"Reading the status of app {appId}", appId), progress, (scope, token) => AppStatusReader.ReadAsync(scope.Kube, scope.App, token), cancellationToken);

    public IAsyncEnumerable<AppLogLine> ReadLogsAsync(string appId, AppLogOptions options, IProgress<OperationProgress>? progress, CancellationToken cancellationToken) =>
        Runner.StreamAsync(OperationSpec.OnApp($"Reading the logs of app {appId}", appId), progress, (scope, token) => AppLogs.ReadAsync(scope, options, token), cancellationToken);

    public Task<AppCredential> GetCredentialAsync(string appId, AppCredentialOptions options, IProgress<OperationProgress>? progress, CancellationToken cancellationToken) =>
        Runner.RunAsync(OperationSpec.OnApp($"Issuing a credential for app {appId}", appId), progress, (scope, token) => AppCredentialIssuer.IssueAsync(scope, options, token), cancellationToken);

    public Task<AppExecResult> ExecAsync(string appId, AppExecOptions options, IProgress<OperationProgress>? progress, CancellationToken cancellationToken) =>
        Runner.RunAsync(OperationSpec.OnApp($"Running a command in service {options.Service} of app {appId}", appId), progress, (scope, token) => AppExec.RunAsync(scope, options, token), cancellationToken);

    public Task<AppRestartResult> RestartAsync(string appId, AppRestartOptions options, IProgress<OperationProgress>? progress, CancellationToken cancellationToken) =>
        Runner.RunAsync(OperationSpec.OnApp($"Restarting app {appId}", appId) with { HoldsApp = true, LockWait = options.LockWait }, progress, (scope, token) => AppRestart.RunAsync(scope, options, token), cancellationToken);

    public IAsyncEnumerable<AppPortForwardEvent> ForwardPortAsync(string appId, AppPortForwardOptions options, IProgress<OperationProgress>? progress, CancellationToken cancellationToken) =>
        Runner.StreamAsync(OperationSpec.OnApp($"Forwarding port {options.Port} of service {options.Service} of app {appId}", appId), progress, (scope, token) => AppPortForward.RunAsync(scope, options, token), cancellationToken);

    public Task<SeedResult> SeedBindsAsync(string appId, SeedBindsOptions options, IProgress<OperationProgress>? progress, CancellationToken cancellationToken) =>
        Runner.RunAsync(
            OperationSpec.OnApp($"{(options.DryRun ? "Planning the copy of" : "Copying")} the bound directories of app {appId} onto its disk", appId) with { HoldsApp = !options.DryRun, LockWait = options.LockWait },
            progress,
            (scope, token) => SeedBinds.RunAsync(scope, options, token),
            cancellationToken);

    public Task<AppDiskState> GetDiskStateAsync(string appId, IProgress<OperationProgress>? progress, CancellationToken cancellationToken) =>
        Runner.RunAsync(OperationSpec.OnApp($"Reading the disk state of app {appId}", appId), progress, AppDiskStates.ReadAsync, cancellationToken);

    public Task SetDiskStateAsync(string appId, AppDiskState state, TimeSpan? lockWait, IProgress<OperationProgress>? progress, CancellationToken cancellationToken) =>
        Runner.RunAsync(
            OperationSpec.OnApp($"Setting the disk state of app {appId}", appId) with { HoldsApp = true, LockWait = lockWait },
            progress,
            async (scope, token) =>
            {
                scope.Step($"current {state.CurrentDiskId ?? "none"}, previous {state.PreviousDiskId ?? "none"}", 10);
                await AppDiskStates.ApplyAsync(scope.Kube, scope.App, state, token).ConfigureAwait(false);
                return true;
            },
            cancellationToken);
}
