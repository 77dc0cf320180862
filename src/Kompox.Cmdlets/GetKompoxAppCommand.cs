using System.Management.Automation;
using Kompox.Operations;
using Kompox.PowerShell;

namespace Kompox.Cmdlets;

/// <summary>Shows apps on their cluster: deployed or not, ready, the Pod and its containers, the URLs and the disks.</summary>
[Cmdlet(VerbsCommon.Get, "KompoxApp", DefaultParameterSetName = PathSet)]
[OutputType(typeof(KompoxAppStatus))]
public sealed class GetKompoxAppCommand : KompoxAppCmdlet
{
    protected override async Task ProcessRecordAsync(CancellationToken cancellationToken)
    {
        foreach (var app in InputResources(cancellationToken))
        {
            await RunAsync(
                token => Apps.GetStatusAsync(app.Id, new ReporterProgress(Reporter), token),
                status => new KompoxAppStatus(status, app),
                cancellationToken);
        }
    }
}
