using System.Management.Automation;

namespace FloorModule;

/// <summary>Reads a file and writes four objects made from it, as Import-KompoxConfig does with kompoxops.yml.</summary>
[Cmdlet(VerbsCommunications.Read, "FloorFile")]
[OutputType(typeof(FloorRecord))]
public sealed class ReadFloorFileCommand : PSCmdlet
{
    [Parameter(Mandatory = true, Position = 0)]
    public string Path { get; set; } = string.Empty;

    protected override void ProcessRecord()
    {
        var text = File.ReadAllText(SessionState.Path.GetUnresolvedProviderPathFromPSPath(Path));
        foreach (var kind in new[] { "Service", "Provider", "Cluster", "App" })
        {
            WriteObject(new FloorRecord(kind, text.Length));
        }
    }
}

public sealed record FloorRecord(string Kind, int Characters);
