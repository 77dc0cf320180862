using System.Management.Automation;
using Kompox.Config;
using Kompox.PowerShell;

namespace Kompox.Cmdlets;

[Cmdlet(VerbsData.Import, "KompoxConfig")]
[OutputType(typeof(KompoxService), typeof(KompoxProvider), typeof(KompoxCluster), typeof(KompoxApp))]
public sealed class ImportKompoxConfigCommand : KompoxCmdlet
{
    [Parameter(Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [Alias("FullName")]
    [ValidateNotNullOrEmpty]
    public string Path { get; set; } = KompoxConfig.DefaultFileName;

    protected override void ProcessRecord()
    {
        var full = ResolveNewPath(Path);
        WriteVerbose($"Reading {full}");
        try
        {
            var config = KompoxConfig.Load(full, Path);
            foreach (var warning in config.Warnings)
            {
                WriteWarning(warning.ToString());
            }

            WriteVerbose($"Read app {config.App.Id} with compose file {config.App.ComposePath} ({config.App.Compose.Length} characters)");
            var service = new KompoxService(config.Service);
            var provider = new KompoxProvider(config.Provider, service);
            var cluster = new KompoxCluster(config.Cluster, provider);
            WriteObject(service);
            WriteObject(provider);
            WriteObject(cluster);
            WriteObject(new KompoxApp(config.App, cluster));
        }
        catch (KompoxException e)
        {
            Fail(e);
        }
    }
}
