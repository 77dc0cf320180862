using System.Collections;
using System.Management.Automation;
using Kompox.Config;
using Kompox.Operations;
using Kompox.PowerShell;

namespace Kompox.Cmdlets;

/// <summary>
/// Base of cmdlets that act on apps: from the pipeline (the objects Import-KompoxConfig writes) or from a
/// kompoxops.yml by path, and with the options every app operation reads its compose file with.
/// </summary>
public abstract class KompoxAppCmdlet : KompoxCmdlet
{
    protected const string AppSet = "App";
    protected const string PathSet = "Path";

    /// <summary>An App; the Service, Provider and Cluster that come with it down the pipeline are passed over.</summary>
    [Parameter(Mandatory = true, ValueFromPipeline = true, ParameterSetName = AppSet)]
    public KompoxResource App { get; set; } = null!;

    [Parameter(Position = 0, ParameterSetName = PathSet)]
    [ValidateNotNullOrEmpty]
    public string Path { get; set; } = KompoxConfig.DefaultFileName;

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? DiskId { get; set; }

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string[] Profile { get; set; } = Array.Empty<string>();

    /// <summary>The app this record is about, or null for another resource passed over on the pipeline.</summary>
    protected KompoxApp? InputApp()
    {
        if (ParameterSetName == PathSet)
        {
            return (KompoxApp)KompoxResources.From(LoadConfig(Path))[^1];
        }

        if (App is KompoxApp app)
        {
            return app;
        }

        if (!MyInvocation.ExpectingInput)
        {
            throw new KompoxException("NotAnApp", ErrorKind.InvalidArgument, $"-App takes an App; {App.Kind} {App.Id} is not one") { Target = App };
        }

        WriteVerbose($"Passing over {App.Kind} {App.Id}: {MyInvocation.MyCommand.Name} acts on apps");
        return null;
    }

    /// <summary>Reads the app's compose file and converts it, saying with -Verbose what is read.</summary>
    protected AppValidation Validate(KompoxApp app)
    {
        WriteVerbose($"Converting app {app.Id} (driver {app.Cluster.Provider.Driver}) from {app.ComposePath}" + (DiskId is null ? string.Empty : $" on disk {DiskId}"));
        var environment = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (DictionaryEntry entry in Environment.GetEnvironmentVariables())
        {
            environment[(string)entry.Key] = (string?)entry.Value ?? string.Empty;
        }

        return AppValidator.Validate(app.Model, new AppValidationOptions { Environment = environment, Profiles = Profile, DiskId = DiskId });
    }
}
