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
        try
        {
            WriteObject(KompoxResources.From(LoadConfig(Path)), enumerateCollection: true);
        }
        catch (KompoxException e)
        {
            Fail(e);
        }
    }
}
