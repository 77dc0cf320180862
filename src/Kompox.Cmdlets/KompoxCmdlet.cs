using System.Collections.ObjectModel;
using System.Management.Automation;
using Kompox.Config;
using Kompox.PowerShell;

namespace Kompox.Cmdlets;

/// <summary>Base of every Kompox cmdlet: turns engine errors into ErrorRecords with stable ids and categories.</summary>
public abstract class KompoxCmdlet : PSCmdlet
{
    /// <summary>The same error as an ErrorRecord; <see cref="KompoxValidationException"/> carries its problems as the target.</summary>
    protected static ErrorRecord ToErrorRecord(KompoxException e)
    {
        var target = e is KompoxValidationException v ? v.Problems.Select(p => new KompoxDiagnostic(p)).ToArray() : e.Target;
        var record = new ErrorRecord(e, e.ErrorId, Category(e.Kind), target);
        if (e.Remedy is { } remedy)
        {
            // The engine says what can be done in no front end's words; here it is said with the cmdlets' own.
            var action = RecommendedAction(remedy);
            record.ErrorDetails = new ErrorDetails($"{e.Message}; {char.ToLowerInvariant(action[0])}{action[1..]}") { RecommendedAction = action };
        }

        return record;
    }

    /// <summary>A remedy in the cmdlets' terms: their parameters for the engine's options.</summary>
    internal static string RecommendedAction(Remedy remedy) => remedy.Kind switch
    {
        RemedyKind.WaitForApp => "Add -Wait to wait for the other operation on the app to end",
        RemedyKind.DeployFirst => "Deploy the app first with New-KompoxApp",
        RemedyKind.RunAgain => "Run the same command again: it goes on from what was done",
        RemedyKind.InspectApp => "Get-KompoxApp and Get-KompoxAppLog show the app's Pod, its containers and their logs",
        RemedyKind.ChangeOption => $"Give another value for {Parameter(remedy.Option)}",
        RemedyKind.OmitOption => $"Leave {Parameter(remedy.Option)} out",
        RemedyKind.Overwrite => "Add -Force to overwrite it",
        RemedyKind.RunOnNode => $"Run Kompox on node '{remedy.Option}', or use the Kompox service that runs there",
        RemedyKind.InitializeCluster => "Install the cluster ingress with Initialize-KompoxCluster first",
        _ => remedy.Kind.ToString(),
    };

    /// <summary>The parameter that sets an engine option; options are named as the cmdlets' parameters except where listed.</summary>
    private static string Parameter(string? option) => option switch
    {
        null => "the parameter",
        "Services" => "-Service",
        "KubeloginLoginMode" => "-LoginMode",
        _ => "-" + option,
    };

    protected void Fail(KompoxException e) => ThrowTerminatingError(ToErrorRecord(e));

    /// <summary>Resolves a path the user typed (PowerShell drives, '~', relative to the current location) to a file-system path.</summary>
    protected string FileSystemPath(string path) => SessionState.Path.GetUnresolvedProviderPathFromPSPath(path);

    /// <summary>
    /// The files that <paramref name="paths"/> name, as Get-Item finds them: with <paramref name="literal"/> each path as
    /// written; otherwise wildcards are expanded by the provider, and a pattern that matches nothing is a non-terminating
    /// PathNotFound error. A path without wildcards is passed on even if missing, so the engine says what is wrong with it.
    /// </summary>
    /// <returns>Each file's full path, and how to name it in messages (the path as typed when it names one file).</returns>
    protected IEnumerable<(string Full, string ShownAs)> ResolveFiles(string[] paths, bool literal)
    {
        foreach (var path in paths)
        {
            if (literal || !WildcardPattern.ContainsWildcardCharacters(path))
            {
                string full;
                ProviderInfo provider;
                try
                {
                    full = SessionState.Path.GetUnresolvedProviderPathFromPSPath(path, out provider, out _);
                }
                catch (Exception e) when (e is ItemNotFoundException or System.Management.Automation.DriveNotFoundException or ProviderNotFoundException or NotSupportedException)
                {
                    InputFailed(new ErrorRecord(e, "PathNotFound", ErrorCategory.ObjectNotFound, path));
                    continue;
                }

                if (IsFileSystem(provider, path))
                {
                    // A PSPath (from Get-ChildItem) is provider-qualified: name the file by its file-system path instead.
                    yield return (full, path.Contains("::", StringComparison.Ordinal) ? full : path);
                }

                continue;
            }

            Collection<string> matches;
            ProviderInfo wildcardProvider;
            try
            {
                matches = SessionState.Path.GetResolvedProviderPathFromPSPath(path, out wildcardProvider);
            }
            catch (Exception e) when (e is ItemNotFoundException or System.Management.Automation.DriveNotFoundException or ProviderNotFoundException or NotSupportedException)
            {
                InputFailed(new ErrorRecord(e, "PathNotFound", ErrorCategory.ObjectNotFound, path));
                continue;
            }

            if (matches.Count == 0)
            {
                var e = new ItemNotFoundException($"Cannot find path '{path}' because it does not exist.");
                InputFailed(new ErrorRecord(e, "PathNotFound", ErrorCategory.ObjectNotFound, path));
                continue;
            }

            if (!IsFileSystem(wildcardProvider, path))
            {
                continue;
            }

            foreach (var match in matches)
            {
                yield return (match, match);
            }
        }
    }

    /// <summary>An input (a path, an object on the pipeline) could not be used: by default a non-terminating error, so the other inputs still count.</summary>
    protected virtual void InputFailed(ErrorRecord error) => WriteError(error);

    /// <summary>Reads a kompoxops.yml, passing its warnings on to the warning stream.</summary>
    /// <param name="full">The file-system path.</param>
    /// <param name="shownAs">The path as the user named it, for messages.</param>
    /// <param name="store">The store of the invocation's engine context, which keeps what was read; null to only read.</param>
    protected ConfigResult LoadConfig(string full, string shownAs, Store.ConfigFileStore? store = null)
    {
        WriteVerbose($"Reading {full}");
        var config = store is null ? KompoxConfig.Load(full, shownAs) : store.Load(full, shownAs);
        foreach (var warning in config.Warnings)
        {
            WriteWarning(warning.ToString());
        }

        WriteVerbose($"Read cluster {config.Cluster.Id} from {config.Service.ConfigPath}");
        foreach (var app in config.Apps)
        {
            WriteVerbose($"Read app {app.Id} with compose file {app.ComposePath} ({app.Compose.Length} characters)");
        }

        return config;
    }

    private bool IsFileSystem(ProviderInfo provider, string path)
    {
        if (provider.Name == "FileSystem")
        {
            return true;
        }

        var e = new ArgumentException($"'{path}' is on the {provider.Name} provider; a kompoxops.yml is a file: give a file-system path.");
        InputFailed(new ErrorRecord(e, "NotFileSystemPath", ErrorCategory.InvalidArgument, path));
        return false;
    }

    private static ErrorCategory Category(ErrorKind kind) => kind switch
    {
        ErrorKind.InvalidArgument => ErrorCategory.InvalidArgument,
        ErrorKind.InvalidData => ErrorCategory.InvalidData,
        ErrorKind.NotFound => ErrorCategory.ObjectNotFound,
        ErrorKind.AlreadyExists => ErrorCategory.ResourceExists,
        ErrorKind.Conflict => ErrorCategory.ResourceBusy,
        ErrorKind.Timeout => ErrorCategory.OperationTimeout,
        ErrorKind.Unavailable => ErrorCategory.ResourceUnavailable,
        ErrorKind.Unauthenticated => ErrorCategory.AuthenticationError,
        ErrorKind.Canceled => ErrorCategory.OperationStopped,
        ErrorKind.PermissionDenied => ErrorCategory.PermissionDenied,
        _ => ErrorCategory.NotSpecified,
    };
}
