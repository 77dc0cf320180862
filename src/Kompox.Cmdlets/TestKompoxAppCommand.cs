using System.Management.Automation;
using Kompox.PowerShell;

namespace Kompox.Cmdlets;

[Cmdlet(VerbsDiagnostic.Test, "KompoxApp", DefaultParameterSetName = PathSet)]
[OutputType(typeof(KompoxAppValidation))]
public sealed class TestKompoxAppCommand : KompoxAppCmdlet
{
    protected override void ProcessRecord()
    {
        try
        {
            if (InputApp() is { } app)
            {
                WriteObject(new KompoxAppValidation(Validate(app), app));
            }
        }
        catch (KompoxException e)
        {
            Fail(e);
        }
    }
}
