using System.Management.Automation;
using Kompox.Config;

namespace Kompox.Cmdlets;

[Cmdlet(VerbsCommon.New, "KompoxConfig", SupportsShouldProcess = true)]
[OutputType(typeof(FileInfo))]
public sealed class NewKompoxConfigCommand : KompoxCmdlet
{
    [Parameter(Position = 0)]
    [ValidateNotNullOrEmpty]
    public string Path { get; set; } = KompoxConfig.DefaultFileName;

    [Parameter(Mandatory = true)]
    [ValidateSet("aks", "k3s")]
    public string Driver { get; set; } = null!;

    [Parameter]
    public SwitchParameter Force { get; set; }

    protected override void ProcessRecord()
    {
        var full = FileSystemPath(Path);
        try
        {
            var exists = File.Exists(ConfigTemplate.EnsureWritable(full, Force));
            var action = exists ? $"Overwrite with a kompoxops.yml template for driver '{Driver}'" : $"Write a kompoxops.yml template for driver '{Driver}'";
            if (ShouldProcess(full, action))
            {
                WriteVerbose($"Writing the {Driver} template to {full}");
                WriteObject(ConfigTemplate.Write(full, Driver, overwrite: Force));
            }
        }
        catch (KompoxException e)
        {
            Fail(e);
        }
    }
}
