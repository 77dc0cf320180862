using System.Management.Automation;
using Kompox.Config;
using Kompox.PowerShell;

namespace Kompox.Cmdlets;

[Cmdlet(VerbsData.Import, "KompoxConfig", DefaultParameterSetName = PathSet)]
[OutputType(typeof(KompoxService), typeof(KompoxProvider), typeof(KompoxCluster), typeof(KompoxApp))]
public sealed class ImportKompoxConfigCommand : KompoxCmdlet
{
    private const string PathSet = "Path";
    private const string LiteralPathSet = "LiteralPath";

    /// <summary>kompoxops.yml files; wildcards are expanded.</summary>
    [Parameter(Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true, ParameterSetName = PathSet)]
    [PathArgument]
    [ValidateNotNullOrEmpty]
    [SupportsWildcards]
    public string[] Path { get; set; } = { KompoxConfig.DefaultFileName };

    /// <summary>kompoxops.yml files named exactly; what Get-ChildItem writes binds here by its PSPath.</summary>
    [Parameter(Mandatory = true, ValueFromPipelineByPropertyName = true, ParameterSetName = LiteralPathSet)]
    [Alias("PSPath", "LP", "FullName")]
    [PathArgument(files: true)]
    [ValidateNotNullOrEmpty]
    public string[] LiteralPath { get; set; } = null!;

    // The files of one invocation share a store, so that two that define one cluster differently are an error.
    private readonly Store.ConfigFileStore store = new();

    protected override void ProcessRecord()
    {
        var literal = ParameterSetName == LiteralPathSet;
        foreach (var (full, shownAs) in ResolveFiles(literal ? LiteralPath : Path, literal))
        {
            try
            {
                WriteObject(KompoxResources.From(LoadConfig(full, shownAs, store)), enumerateCollection: true);
            }
            catch (KompoxException e)
            {
                InputFailed(ToErrorRecord(e));
            }
        }
    }
}
