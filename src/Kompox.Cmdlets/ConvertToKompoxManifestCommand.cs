using System.Management.Automation;
using System.Text;
using Kompox.Operations;
using Kompox.PowerShell;

namespace Kompox.Cmdlets;

[Cmdlet(VerbsData.ConvertTo, "KompoxManifest", DefaultParameterSetName = PathSet, SupportsShouldProcess = true)]
[OutputType(typeof(string), typeof(FileInfo))]
public sealed class ConvertToKompoxManifestCommand : KompoxConversionCmdlet
{
    private readonly StringBuilder collected = new();
    private readonly List<string> apps = new();
    private bool failed;

    /// <summary>Write all apps' manifests to this file instead of the pipeline.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? OutFile { get; set; }

    protected override async Task ProcessRecordAsync(CancellationToken cancellationToken)
    {
        await foreach (var (app, result) in ValidatedApps(cancellationToken))
        {

            WriteAppWarnings(app, result.Warnings);
            if (!result.IsValid)
            {
                InputFailed(ToErrorRecord(result.Error()));
                continue;
            }

            if (OutFile is null)
            {
                WriteObject(result.Yaml);
            }
            else
            {
                collected.Append(result.Yaml);
                apps.Add(app.Id);
            }
        }
    }

    /// <summary>-OutFile is written whole or not at all: one input that fails keeps the file as it was.</summary>
    protected override void InputFailed(ErrorRecord error)
    {
        failed = true;
        base.InputFailed(error);
    }

    protected override Task EndProcessingAsync(CancellationToken cancellationToken)
    {
        if (OutFile is null || apps.Count == 0)
        {
            return Task.CompletedTask;
        }

        var full = FileSystemPath(OutFile);
        if (failed)
        {
            WriteWarning($"Nothing was written to {full}: an app failed validation.");
            return Task.CompletedTask;
        }

        if (ShouldProcess(full, $"Write the manifests of {string.Join(", ", apps)}"))
        {
            try
            {
                // Manifests carry the apps' Secrets (environment values, compose secrets) in plain base64.
                WriteObject(AtomicFile.Write(full, collected.ToString(), overwrite: true, AtomicFile.OwnerOnly));
            }
            catch (KompoxException e)
            {
                Fail(e);
            }
        }

        return Task.CompletedTask;
    }
}
