using System.Management.Automation;
using Kompox.Config;
using Kompox.Drivers;

namespace Kompox.Cmdlets;

[Cmdlet(VerbsCommon.New, "KompoxConfig", SupportsShouldProcess = true, DefaultParameterSetName = DriverSet)]
[OutputType(typeof(FileInfo))]
public sealed class NewKompoxConfigCommand : KompoxCmdlet
{
    private const string DriverSet = "Driver";
    private const string ClusterSet = "Cluster";

    [Parameter(Position = 0)]
    [ValidateNotNullOrEmpty]
    public string Path { get; set; } = KompoxConfig.DefaultFileName;

    /// <summary>The provider driver, in any case (<c>AKS</c> is <c>aks</c>).</summary>
    [Parameter(Mandatory = true, ParameterSetName = DriverSet)]
    [ValidateDriver]
    [ArgumentCompleter(typeof(DriverNames))]
    public string Driver { get; set; } = null!;

    /// <summary>The app's name; the template's <c>my-app</c> when not given.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Name { get; set; }

    /// <summary>The compose file relative to the config's directory; found as Docker Compose finds it when not given.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? ComposePath { get; set; }

    /// <summary>The cluster's DNS domain.</summary>
    [Parameter(ParameterSetName = DriverSet)]
    [ValidateNotNullOrEmpty]
    public string? Domain { get; set; }

    /// <summary>
    /// An existing cluster, as a Cluster object or the kompoxops.yml (or cluster file) that defines it: the new config
    /// names that file in <c>cluster.file</c> instead of repeating the service, provider and cluster.
    /// </summary>
    [Parameter(Mandatory = true, ParameterSetName = ClusterSet)]
    [ClusterArgument]
    public PowerShell.KompoxResource Cluster { get; set; } = null!;

    [Parameter]
    public SwitchParameter Force { get; set; }

    protected override void ProcessRecord()
    {
        var full = FileSystemPath(Path);
        try
        {
            var exists = File.Exists(ConfigTemplate.EnsureWritable(full, Force));
            var options = new ConfigTemplateOptions { AppName = Name, ComposePath = ComposePath ?? FindComposeFile(full), Domain = Domain };
            if (ParameterSetName == ClusterSet)
            {
                WriteForCluster(full, exists, options);
                return;
            }

            var driver = ProviderDrivers.FindIgnoringCase(Driver)!.Name;

            // Fails on a bad -Name, -ComposePath or -Domain before anything is asked or written.
            _ = ConfigTemplate.For(driver, options);
            var action = exists ? $"Overwrite with a kompoxops.yml template for driver '{driver}'" : $"Write a kompoxops.yml template for driver '{driver}'";
            if (ShouldProcess(full, action))
            {
                WriteVerbose($"Writing the {driver} template to {full}");
                WriteObject(ConfigTemplate.Write(full, driver, overwrite: Force, options));
            }
        }
        catch (KompoxException e)
        {
            Fail(e);
        }
    }

    private void WriteForCluster(string full, bool exists, ConfigTemplateOptions options)
    {
        if (Cluster is not PowerShell.KompoxCluster cluster || cluster.Model.Provider.Service.ConfigPath is not { } clusterFile)
        {
            Fail(new KompoxException("NotACluster", ErrorKind.InvalidArgument, $"-Cluster takes a Cluster read from a file, or that file; {Cluster.Kind} {Cluster.Id} is not one") { Target = Cluster.Id });
            return;
        }

        // cluster.file is relative to the new config, so that the two can move together.
        var relative = System.IO.Path.GetRelativePath(System.IO.Path.GetDirectoryName(full)!, clusterFile);
        var driver = cluster.Provider.Driver;
        _ = ConfigTemplate.ForCluster(driver, relative, options);
        var action = $"{(exists ? "Overwrite with" : "Write")} a kompoxops.yml for an app of cluster {cluster.Id}, defined in {clusterFile}";
        if (ShouldProcess(full, action))
        {
            WriteVerbose($"Writing an app config that names {relative} to {full}");
            WriteObject(ConfigTemplate.WriteForCluster(full, driver, relative, overwrite: Force, options));
        }
    }

    private string? FindComposeFile(string configPath)
    {
        var directory = System.IO.Path.GetDirectoryName(configPath)!;
        if (ConfigTemplate.FindComposeFile(directory) is { } found)
        {
            WriteVerbose($"Found the compose file {found} in {directory}");
            return found;
        }

        WriteWarning($"No compose file in {directory} (looked for {string.Join(", ", ConfigTemplate.ComposeFileNames)}); app.compose names compose.yml: write it there, or give -ComposePath.");
        return null;
    }

    /// <summary>-Driver names a driver the engine has, in any case; checked when the parameter is bound.</summary>
    private sealed class ValidateDriverAttribute : ValidateArgumentsAttribute
    {
        protected override void Validate(object arguments, EngineIntrinsics engineIntrinsics)
        {
            if (arguments is not string name || ProviderDrivers.FindIgnoringCase(name) is null)
            {
                throw new ValidationMetadataException($"'{arguments}' is not a driver of this version; use one of: {string.Join(", ", ProviderDrivers.All.Select(d => d.Name))}");
            }
        }
    }

    /// <summary>Tab completion of -Driver from the drivers the engine has.</summary>
    private sealed class DriverNames : IArgumentCompleter
    {
        public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete, System.Management.Automation.Language.CommandAst commandAst, System.Collections.IDictionary fakeBoundParameters) =>
            ProviderDrivers.All.Select(d => d.Name).Where(n => n.StartsWith(wordToComplete, StringComparison.OrdinalIgnoreCase)).Select(n => new CompletionResult(n));
    }
}
