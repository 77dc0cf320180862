using System.Management.Automation;
using Kompox.Operations;
using Kompox.PowerShell;

namespace Kompox.Cmdlets;

/// <summary>
/// Makes a new disk of apps from a file (k3s: a .tar or .tar.gz archive of the disk's files; aks: a fixed VHD image), or
/// on aks adopts an existing managed disk by tagging it. The app stays on its current disk.
/// </summary>
[Cmdlet(VerbsData.Import, "KompoxDisk", DefaultParameterSetName = PathSet, SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(KompoxDisk))]
public sealed class ImportKompoxDiskCommand : KompoxDiskDataCmdlet
{
    /// <summary>The file to import. -Path names the app's kompoxops.yml, as for every app cmdlet.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? InFile { get; set; }

    /// <summary>aks: the resource id of a managed disk in the app's resource group to adopt instead of importing a file.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? ResourceId { get; set; }

    /// <summary>Wait for another operation holding the app (up to 5 minutes) instead of failing at once.</summary>
    [Parameter]
    public SwitchParameter Wait { get; set; }

    protected override async Task BeginProcessingAsync(CancellationToken cancellationToken)
    {
        if ((InFile is null) == (ResourceId is null))
        {
            Fail(new KompoxException("InvalidDiskSource", ErrorKind.InvalidArgument, "give either -InFile (a file to import) or -ResourceId (a managed disk to adopt)"));
        }

        await base.BeginProcessingAsync(cancellationToken);
    }

    protected override async Task ProcessRecordAsync(CancellationToken cancellationToken)
    {
        var file = InFile is null ? null : FileSystemPath(InFile);
        foreach (var app in InputResources(cancellationToken))
        {
            var action = file is null ? $"Adopt managed disk {ResourceId} as a disk (tagging it; it does not become current)" : $"Import {file} as a new disk (it does not become current)";
            if (!ShouldProcess(Target(app), action))
            {
                continue;
            }

            await RunAsync(
                token => file is null
                    ? Disks(app).AdoptAsync(app.Id, ResourceId!, LockWait(Wait), Progress, token)
                    : Disks(app).ImportAsync(app.Id, new ImportOptions { Path = file, LockWait = LockWait(Wait) }, Progress, token),
                disk => new KompoxDisk(disk, app),
                cancellationToken);
        }
    }
}
