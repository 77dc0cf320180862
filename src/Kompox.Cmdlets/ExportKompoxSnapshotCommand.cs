using System.Management.Automation;
using Kompox.Operations;

namespace Kompox.Cmdlets;

/// <summary>Writes a snapshot of apps to a file, in the format Export-KompoxDisk writes; the file appears only once it is whole.</summary>
[Cmdlet(VerbsData.Export, "KompoxSnapshot", DefaultParameterSetName = PathSet, SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low)]
[OutputType(typeof(FileInfo))]
public sealed class ExportKompoxSnapshotCommand : KompoxDiskDataCmdlet
{
    /// <summary>The snapshot to export.</summary>
    [Parameter(Mandatory = true, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(SnapshotIdCompleter))]
    public string SnapshotId { get; set; } = null!;

    /// <summary>The file to write. -Path names the app's kompoxops.yml, as for every app cmdlet.</summary>
    [Parameter(Mandatory = true)]
    [ValidateNotNullOrEmpty]
    public string OutFile { get; set; } = null!;

    /// <summary>Replace -OutFile when it exists.</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    protected override async Task ProcessRecordAsync(CancellationToken cancellationToken)
    {
        var path = FileSystemPath(OutFile);
        foreach (var app in InputResources(cancellationToken))
        {
            if (!ShouldProcess(Target(app), $"Write snapshot {SnapshotId} to {path}{(Force ? " (replacing it if it exists)" : string.Empty)}"))
            {
                continue;
            }

            await RunAsync(token => Snapshots(app).ExportAsync(app.Id, SnapshotId, new ExportOptions { Path = path, Overwrite = Force }, Progress, token), file => file, cancellationToken);
        }
    }
}
