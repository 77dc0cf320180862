using System.Collections.ObjectModel;

namespace Kompox;

/// <summary>What went wrong, in terms a front end (cmdlet, REST) can map to its own error categories.</summary>
public enum ErrorKind
{
    InvalidArgument,
    InvalidData,
    NotFound,
    AlreadyExists,
    PermissionDenied,

    /// <summary>The request is valid but clashes with the current state: another caller holds the app, the disk is current.</summary>
    Conflict,
    Timeout,

    /// <summary>The cluster, cloud or file system could not be reached or did not answer; trying again later may work.</summary>
    Unavailable,

    /// <summary>Credentials are missing, expired or not accepted, or the server's identity could not be verified.</summary>
    Unauthenticated,
    Canceled,

    /// <summary>A fault in Kompox itself; the inner exception says more to a developer.</summary>
    Internal,
}

/// <summary>An error the user can act on; <see cref="ErrorId"/> is stable and listed in <see cref="KompoxErrors"/>.</summary>
public class KompoxException : Exception
{
    private readonly object? target;

    // Every id raised is in KompoxErrors with this kind; a test reads the sources to hold that, so a user never meets
    // a fault of the catalogue in place of their error.
    public KompoxException(string errorId, ErrorKind kind, string message, Exception? inner = null)
        : base(message, inner)
    {
        ErrorId = errorId;
        Kind = kind;
    }

    public string ErrorId { get; }

    public ErrorKind Kind { get; }

    /// <summary>What the user can do about it, in no front end's words; each front end renders it (a cmdlet parameter, a REST query option).</summary>
    public Remedy? Remedy { get; init; }

    /// <summary>
    /// What the error is about: a string (a file, a name, an id) or a list of <see cref="Diagnostic"/>, so that every front
    /// end can serialise it. Anything else given is kept as its text.
    /// </summary>
    public object? Target
    {
        get => target;
        init => target = value switch
        {
            null or string => value,
            IEnumerable<Diagnostic> problems => problems.ToList().AsReadOnly(),
            _ => value.ToString(),
        };
    }
}

/// <summary>The kinds of thing a user can do about an error; a front end words each in its own syntax.</summary>
public enum RemedyKind
{
    /// <summary>Another operation holds the app: wait for it to finish (the operation can wait for the app's lock).</summary>
    WaitForApp,

    /// <summary>The app must be deployed first.</summary>
    DeployFirst,

    /// <summary>Run the same operation again: what it did so far is kept, and it goes on from there.</summary>
    RunAgain,

    /// <summary>Look at the app's status and logs to see why.</summary>
    InspectApp,

    /// <summary>Give another value for the option <see cref="Remedy.Option"/> (e.g. a duration in the allowed range).</summary>
    ChangeOption,

    /// <summary>Leave the option <see cref="Remedy.Option"/> out.</summary>
    OmitOption,

    /// <summary>Allow the existing file <see cref="Remedy.Option"/> names to be overwritten.</summary>
    Overwrite,

    /// <summary>Run Kompox on the node <see cref="Remedy.Option"/> names (or use the Kompox service running there): the disks are directories on it.</summary>
    RunOnNode,

    /// <summary>Install the cluster ingress (the cluster's initialization) first.</summary>
    InitializeCluster,
}

/// <summary>What the user can do about an error.</summary>
/// <param name="Option">The engine option it is about (e.g. <c>Duration</c> of the credential options), for front ends to map to their own parameter.</param>
public sealed record Remedy(RemedyKind Kind, string? Option = null)
{
    public static readonly Remedy WaitForApp = new(RemedyKind.WaitForApp);
    public static readonly Remedy DeployFirst = new(RemedyKind.DeployFirst);
    public static readonly Remedy RunAgain = new(RemedyKind.RunAgain);
    public static readonly Remedy InspectApp = new(RemedyKind.InspectApp);
    public static readonly Remedy Overwrite = new(RemedyKind.Overwrite);
    public static readonly Remedy InitializeCluster = new(RemedyKind.InitializeCluster);

    public static Remedy RunOnNode(string node) => new(RemedyKind.RunOnNode, node);

    public static Remedy ChangeOption(string option) => new(RemedyKind.ChangeOption, option);

    public static Remedy OmitOption(string option) => new(RemedyKind.OmitOption, option);
}

/// <summary>A file failed validation; every problem found is reported at once.</summary>
public sealed class KompoxValidationException : KompoxException
{
    public KompoxValidationException(string errorId, string file, IReadOnlyList<Diagnostic> problems)
        : base(errorId, ErrorKind.InvalidData, FormatMessage(file, problems))
    {
        Problems = problems;
        Target = file;
    }

    public IReadOnlyList<Diagnostic> Problems { get; }

    private static string FormatMessage(string file, IReadOnlyList<Diagnostic> problems)
    {
        var errors = problems.Where(p => p.Severity == Severity.Error).ToList();
        var head = errors.Count == 1 ? $"{file} has 1 error:" : $"{file} has {errors.Count} errors:";
        return head + Environment.NewLine + string.Join(Environment.NewLine, errors.Select(p => "  " + p));
    }
}

/// <summary>
/// Every error id the engine raises, with its kind: the contract front ends document and map (cmdlet error ids,
/// REST problem types). An id never changes meaning; a new failure gets a new id.
/// </summary>
public static class KompoxErrors
{
    public static IReadOnlyDictionary<string, ErrorKind> All { get; } = new ReadOnlyDictionary<string, ErrorKind>(new Dictionary<string, ErrorKind>(StringComparer.Ordinal)
    {
        // Files the user names.
        ["FileNotFound"] = ErrorKind.NotFound,
        ["FileIsDirectory"] = ErrorKind.InvalidArgument,
        ["FileTooLarge"] = ErrorKind.InvalidData,
        ["FileNotText"] = ErrorKind.InvalidData,
        ["FileEmpty"] = ErrorKind.InvalidData,
        ["FileUnreadable"] = ErrorKind.PermissionDenied,
        ["FileWriteFailed"] = ErrorKind.PermissionDenied,
        ["DirectoryNotFound"] = ErrorKind.NotFound,
        ["PathIsDirectory"] = ErrorKind.InvalidArgument,
        ["ConfigFileExists"] = ErrorKind.AlreadyExists,

        // Values given to a cmdlet.
        ["InvalidAppName"] = ErrorKind.InvalidArgument,
        ["InvalidComposePath"] = ErrorKind.InvalidArgument,
        ["InvalidDomain"] = ErrorKind.InvalidArgument,
        ["NotAnApp"] = ErrorKind.InvalidArgument,
        ["NotACluster"] = ErrorKind.InvalidArgument,

        // Validation of the user's files.
        ["InvalidYaml"] = ErrorKind.InvalidData,
        ["InvalidConfig"] = ErrorKind.InvalidData,
        ["InvalidCompose"] = ErrorKind.InvalidData,
        ["InvalidSetting"] = ErrorKind.InvalidArgument,
        ["UnknownDriver"] = ErrorKind.InvalidArgument,

        // Apps and their objects.
        ["AppNotFound"] = ErrorKind.NotFound,
        ["AppLocked"] = ErrorKind.Conflict,
        ["AppLeaseLost"] = ErrorKind.Conflict,
        ["AppNotDeployed"] = ErrorKind.NotFound,
        ["AppStarting"] = ErrorKind.Unavailable,

        // User credentials (Get-KompoxAppCredential).
        ["InvalidDuration"] = ErrorKind.InvalidArgument,
        ["KubeloginUnsupported"] = ErrorKind.InvalidArgument,
        ["InvalidLoginMode"] = ErrorKind.InvalidArgument,
        ["KubeloginTenantRequired"] = ErrorKind.InvalidArgument,
        ["NoAccessPrincipals"] = ErrorKind.Conflict,
        ["OutputFileExists"] = ErrorKind.AlreadyExists,
        ["NodeNameRequired"] = ErrorKind.InvalidArgument,
        ["NodeNotFound"] = ErrorKind.InvalidArgument,
        ["NotOnDiskNode"] = ErrorKind.Conflict,
        ["BundledIngressPresent"] = ErrorKind.Conflict,
        ["IngressNotInstalled"] = ErrorKind.Conflict,
        ["HostConflict"] = ErrorKind.Conflict,
        ["RolloutFailed"] = ErrorKind.Unavailable,
        ["RolloutTimeout"] = ErrorKind.Timeout,
        ["DestroyTimeout"] = ErrorKind.Timeout,
        ["VolumeTerminating"] = ErrorKind.Timeout,
        ["UnknownService"] = ErrorKind.InvalidArgument,
        ["NoPreviousContainer"] = ErrorKind.NotFound,
        ["InvalidLogOptions"] = ErrorKind.InvalidArgument,

        // Commands and ports of a running app (Invoke-KompoxAppCommand, Restart-KompoxApp, Start-KompoxPortForward).
        ["AppNotRunning"] = ErrorKind.Unavailable,
        ["InvalidCommand"] = ErrorKind.InvalidArgument,
        ["CommandNotFound"] = ErrorKind.NotFound,
        ["ExecFailed"] = ErrorKind.Unavailable,
        ["ExecTimeout"] = ErrorKind.Timeout,
        ["ExecUnsupported"] = ErrorKind.Unavailable,
        ["InvalidPort"] = ErrorKind.InvalidArgument,
        ["LocalPortInUse"] = ErrorKind.Conflict,

        // Disks and snapshots.
        ["InvalidDiskId"] = ErrorKind.InvalidArgument,
        ["DiskNotFound"] = ErrorKind.NotFound,
        ["ExternalVolumeMissing"] = ErrorKind.NotFound,
        ["PlatformUnavailable"] = ErrorKind.Conflict,
        ["DiskIsCurrent"] = ErrorKind.Conflict,
        ["SnapshotNotFound"] = ErrorKind.NotFound,
        ["InvalidDiskMetadata"] = ErrorKind.InvalidData,
        ["InvalidArchive"] = ErrorKind.InvalidData,
        ["MoveNotSupported"] = ErrorKind.InvalidArgument,
        ["InvalidMoveDestination"] = ErrorKind.InvalidArgument,
        ["NoCurrentDisk"] = ErrorKind.NotFound,
        ["InvalidDiskSource"] = ErrorKind.InvalidArgument,
        ["AppStopTimeout"] = ErrorKind.Timeout,
        ["SnapshotHookFailed"] = ErrorKind.Conflict,
        ["AdoptUnsupported"] = ErrorKind.InvalidArgument,
        ["DiskOutsideProvider"] = ErrorKind.InvalidArgument,
        ["DiskOwnedByOtherApp"] = ErrorKind.Conflict,
        ["SeedUnsupported"] = ErrorKind.InvalidArgument,
        ["SeedFailed"] = ErrorKind.Unavailable,

        // Clusters.
        ["KubeconfigNotFound"] = ErrorKind.NotFound,
        ["InvalidKubeconfig"] = ErrorKind.InvalidData,
        ["ClusterNotFound"] = ErrorKind.NotFound,
        ["ProviderNotFound"] = ErrorKind.NotFound,
        ["DeployPlanOutdated"] = ErrorKind.Conflict,
        ["ResourceInUse"] = ErrorKind.Conflict,

        // One cluster, many apps (issue 16).
        ["ClusterConflict"] = ErrorKind.Conflict,
        ["NotOneApp"] = ErrorKind.InvalidArgument,
        ["ConfigHasNoApp"] = ErrorKind.InvalidArgument,
        ["AppConfigNotAtHand"] = ErrorKind.InvalidArgument,
        ["AppOfAnotherCluster"] = ErrorKind.InvalidArgument,

        // The REST service (src/Kompox.Service): its callers, their requests and its own resources.
        ["Unauthenticated"] = ErrorKind.Unauthenticated,
        ["Forbidden"] = ErrorKind.PermissionDenied,
        ["InvalidRequest"] = ErrorKind.InvalidArgument,
        ["RequestTooLarge"] = ErrorKind.InvalidArgument,
        ["RateLimited"] = ErrorKind.Unavailable,
        ["InvalidName"] = ErrorKind.InvalidArgument,
        ["AppExists"] = ErrorKind.AlreadyExists,
        ["AppDeployed"] = ErrorKind.Conflict,
        ["ProviderExists"] = ErrorKind.AlreadyExists,
        ["ClusterExists"] = ErrorKind.AlreadyExists,
        ["UserExists"] = ErrorKind.AlreadyExists,
        ["UserNotFound"] = ErrorKind.NotFound,
        ["OperationNotFound"] = ErrorKind.NotFound,

        // The Kompox service, from its clients (Connect-KompoxService, Start-KompoxService and client mode).
        ["InvalidServiceUri"] = ErrorKind.InvalidArgument,
        ["ServiceUnreachable"] = ErrorKind.Unavailable,
        ["ServiceRequestFailed"] = ErrorKind.Internal,
        ["ServiceAnswerInvalid"] = ErrorKind.InvalidData,
        ["ServiceOperationFailed"] = ErrorKind.Internal,
        ["NotInClientMode"] = ErrorKind.InvalidArgument,
        ["NotConnected"] = ErrorKind.InvalidArgument,
        ["AppRequired"] = ErrorKind.InvalidArgument,
        ["AspNetCoreRuntimeMissing"] = ErrorKind.NotFound,
        ["ServiceProgramNotFound"] = ErrorKind.NotFound,
        ["ServiceStartFailed"] = ErrorKind.Unavailable,
        ["ServiceStartTimeout"] = ErrorKind.Timeout,
        ["ServiceProcessNotFound"] = ErrorKind.NotFound,

        // Effects that failed, translated from third-party exceptions by ErrorTranslation.
        ["KubernetesUnauthenticated"] = ErrorKind.Unauthenticated,
        ["KubernetesForbidden"] = ErrorKind.PermissionDenied,
        ["KubernetesNotFound"] = ErrorKind.NotFound,
        ["KubernetesConflict"] = ErrorKind.Conflict,
        ["KubernetesRejected"] = ErrorKind.InvalidData,
        ["KubernetesUnavailable"] = ErrorKind.Unavailable,
        ["KubernetesRequestFailed"] = ErrorKind.Unavailable,
        ["AzureUnauthenticated"] = ErrorKind.Unauthenticated,
        ["AzureCredentialUnavailable"] = ErrorKind.Unauthenticated,
        ["AzureForbidden"] = ErrorKind.PermissionDenied,
        ["AzureNotFound"] = ErrorKind.NotFound,
        ["AzureConflict"] = ErrorKind.Conflict,
        ["AzureThrottled"] = ErrorKind.Unavailable,
        ["AzureUnavailable"] = ErrorKind.Unavailable,
        ["AzureRejected"] = ErrorKind.InvalidData,
        ["AzureRequestFailed"] = ErrorKind.Unavailable,
        ["AzureOperationFailed"] = ErrorKind.Unavailable,
        ["ClusterCannotUseDisks"] = ErrorKind.PermissionDenied,
        ["DiskRegionMismatch"] = ErrorKind.InvalidArgument,
        ["DiskZoneRequired"] = ErrorKind.InvalidArgument,
        ["ConnectionFailed"] = ErrorKind.Unavailable,
        ["TlsFailed"] = ErrorKind.Unauthenticated,
        ["RequestTimedOut"] = ErrorKind.Timeout,
        ["OperationCanceled"] = ErrorKind.Canceled,
        ["IOFailed"] = ErrorKind.Unavailable,
        ["AccessDenied"] = ErrorKind.PermissionDenied,
        ["UnexpectedError"] = ErrorKind.Internal,
    });
}
