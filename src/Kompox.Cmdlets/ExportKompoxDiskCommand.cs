using System.Management.Automation;
using Kompox.Operations;

namespace Kompox.Cmdlets;

/// <summary>
/// Writes a disk of apps to a file (k3s: a gzip-compressed tar archive of its files; aks: its fixed VHD image): the
/// app's current disk unless one is named or piped. The file appears only once it is whole.
/// </summary>
[Cmdlet(VerbsData.Export, "KompoxDisk", DefaultParameterSetName = PathSet, SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low)]
[OutputType(typeof(FileInfo))]
public sealed class ExportKompoxDiskCommand : KompoxDiskDataCmdlet
{
    /// <summary>The file to write. -Path names the app's kompoxops.yml, as for every app cmdlet.</summary>
    [Parameter(Mandatory = true)]
    [ValidateNotNullOrEmpty]
    public string OutFile { get; set; } = null!;

    /// <summary>The disk to export; none: the app's current disk.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(DiskIdCompleter))]
    public string? DiskId { get; set; }

    /// <summary>Replace -OutFile when it exists.</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    protected override async Task ProcessRecordAsync(CancellationToken cancellationToken)
    {
        var path = FileSystemPath(OutFile);
        foreach (var app in InputResources(cancellationToken))
        {
            var disk = DiskId is null ? "the current disk" : $"disk {DiskId}";
            if (!ShouldProcess(Target(app), $"Write {disk} to {path}{(Force ? " (replacing it if it exists)" : string.Empty)}"))
            {
                continue;
            }

            await RunAsync(token => Disks(app).ExportAsync(app.Id, DiskId, new ExportOptions { Path = path, Overwrite = Force }, Progress, token), file => file, cancellationToken);
        }
    }
}
