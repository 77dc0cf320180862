using System.Management.Automation;
using System.Net;
using System.Security;
using Kompox.Operations.Remote;
using Kompox.PowerShell;

namespace Kompox.Cmdlets;

/// <summary>
/// Connects the session to a Kompox service: the app, disk and snapshot cmdlets then act on the caller's apps there, and
/// the provider, cluster and user cmdlets on its registrations. The token is checked by reading the service first.
/// </summary>
[Cmdlet(VerbsCommunications.Connect, "KompoxService", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low)]
[OutputType(typeof(KompoxServiceConnection))]
public sealed class ConnectKompoxServiceCommand : KompoxAsyncCmdlet
{
    /// <summary>The service's address, e.g. <c>http://127.0.0.1:5080/</c>; what Start-KompoxService writes binds by property name.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNull]
    public Uri Uri { get; set; } = null!;

    /// <summary>A bearer token of the service, as a SecureString or as text (which is converted).</summary>
    [Parameter(Mandatory = true, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNull]
    [SecureStringTransformation]
    public SecureString Token { get; set; } = null!;

    protected override async Task ProcessRecordAsync(CancellationToken cancellationToken)
    {
        if (!ShouldProcess(Uri.ToString(), "Connect the session to the Kompox service"))
        {
            return;
        }

        ServiceClient client;
        try
        {
            client = new ServiceClient(Uri, new NetworkCredential(string.Empty, Token).Password);
        }
        catch (KompoxException e)
        {
            Fail(e);
            return;
        }

        ServiceInfo info;
        try
        {
            info = await client.GetServiceAsync(cancellationToken);
        }
        catch (KompoxException e)
        {
            client.Dispose();
            Fail(e);
            return;
        }

        var connection = new KompoxServiceConnection(client.Uri, info);
        ServiceSession.Connect(client, connection);
        WriteObject(connection);
    }

    /// <summary>Takes a token as text too (what Start-KompoxService and New-KompoxUser write), kept as a SecureString.</summary>
    private sealed class SecureStringTransformationAttribute : ArgumentTransformationAttribute
    {
        public override object Transform(EngineIntrinsics engineIntrinsics, object inputData) =>
            (inputData is PSObject wrapped ? wrapped.BaseObject : inputData) switch
            {
                string text => new NetworkCredential(string.Empty, text).SecurePassword,
                var other => other,
            };
    }
}
