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
        return new ErrorRecord(e, e.ErrorId, Category(e.Kind), target);
    }

    protected void Fail(KompoxException e) => ThrowTerminatingError(ToErrorRecord(e));

    /// <summary>Resolves a path the user typed (PowerShell drives, '~', relative to the current location) to a file-system path.</summary>
    protected string FileSystemPath(string path) => SessionState.Path.GetUnresolvedProviderPathFromPSPath(path);

    /// <summary>Reads a kompoxops.yml as the user named it, passing its warnings on to the warning stream.</summary>
    protected ConfigResult LoadConfig(string path)
    {
        var full = FileSystemPath(path);
        WriteVerbose($"Reading {full}");
        var config = KompoxConfig.Load(full, path);
        foreach (var warning in config.Warnings)
        {
            WriteWarning(warning.ToString());
        }

        WriteVerbose($"Read app {config.App.Id} with compose file {config.App.ComposePath} ({config.App.Compose.Length} characters)");
        return config;
    }

    private static ErrorCategory Category(ErrorKind kind) => kind switch
    {
        ErrorKind.InvalidArgument => ErrorCategory.InvalidArgument,
        ErrorKind.InvalidData => ErrorCategory.InvalidData,
        ErrorKind.NotFound => ErrorCategory.ObjectNotFound,
        ErrorKind.AlreadyExists => ErrorCategory.ResourceExists,
        ErrorKind.PermissionDenied => ErrorCategory.PermissionDenied,
        _ => ErrorCategory.NotSpecified,
    };
}
