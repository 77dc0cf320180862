using System.Management.Automation;
using System.Text;
using Kompox.Operations;
using Kompox.PowerShell;

namespace Kompox.Cmdlets;

/// <summary>
/// Runs a command in a service's container of an app, like <c>docker compose exec</c>: stdout comes down the pipeline
/// as lines, stderr as non-terminating errors (so <c>2&gt;&amp;1</c> merges them and <c>2&gt;$null</c> drops them, as
/// for a native command), and <c>$LASTEXITCODE</c> is the command's exit code. With -Interactive, a terminal session
/// on this console.
/// </summary>
[Cmdlet(VerbsLifecycle.Invoke, "KompoxAppCommand", DefaultParameterSetName = PathSet, SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low)]
[OutputType(typeof(string), typeof(KompoxAppCommandResult))]
public sealed class InvokeKompoxAppCommandCommand : KompoxAppCmdlet
{
    /// <summary>
    /// The app's kompoxops.yml, by name only (no position): the words after <c>--</c> are the command, never a path.
    /// </summary>
    [Parameter(ValueFromPipeline = true, ValueFromPipelineByPropertyName = true, ParameterSetName = PathSet)]
    [PathArgument]
    [ValidateNotNullOrEmpty]
    [SupportsWildcards]
    public new string[] Path
    {
        get => base.Path;
        set => base.Path = value;
    }

    /// <summary>The compose service whose container runs the command.</summary>
    [Parameter(Mandatory = true)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(ServiceCompleter))]
    public string Service { get; set; } = null!;

    /// <summary>The program and its arguments, not run through a shell; write them after <c>--</c>.</summary>
    [Parameter(Mandatory = true, ValueFromRemainingArguments = true)]
    [ValidateNotNullOrEmpty]
    public string[] Command { get; set; } = null!;

    /// <summary>A terminal session on this console: what is typed goes to the command, its output comes back as it is written.</summary>
    [Parameter]
    public SwitchParameter Interactive { get; set; }

    /// <summary>Write one object with the exit code, stdout and stderr instead of lines.</summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    /// <summary>Seconds the command may run; 0 (the default) for no limit.</summary>
    [Parameter]
    [ValidateRange(0, 86400)]
    public int Timeout { get; set; }

    protected override async Task ProcessRecordAsync(CancellationToken cancellationToken)
    {
        foreach (var app in InputResources(cancellationToken))
        {
            // The command may change the app's data: -WhatIf names it without running it.
            if (!ShouldProcess($"service {Service} of app {app.Id}", $"Run {string.Join(" ", Command)}"))
            {
                continue;
            }

            var options = new AppExecOptions
            {
                Service = Service,
                Command = Command,
                Timeout = Timeout > 0 ? TimeSpan.FromSeconds(Timeout) : null,
                Tty = Interactive,
                Stdin = Interactive ? Console.OpenStandardInput() : null,
                Stdout = Interactive ? Console.OpenStandardOutput() : null,
            };
            var result = await TryAsync(token => Apps(app).ExecAsync(app.Id, options, new ReporterProgress(Reporter), token), cancellationToken);
            if (result is null)
            {
                continue;
            }

            SessionState.PSVariable.Set("global:LASTEXITCODE", result.ExitCode);
            if (PassThru)
            {
                WriteObject(new KompoxAppCommandResult(result, app));
                continue;
            }

            foreach (var line in Lines(result.Stdout))
            {
                WriteObject(line);
            }

            foreach (var line in Lines(result.Stderr))
            {
                WriteError(new ErrorRecord(new RemoteException(line), "CommandStderr", ErrorCategory.NotSpecified, app) { ErrorDetails = new ErrorDetails(line) });
            }
        }
    }

    /// <summary>The text as lines, as PowerShell reads a native command's output: no empty last line for the final newline.</summary>
    private static IEnumerable<string> Lines(string text)
    {
        if (text.Length == 0)
        {
            yield break;
        }

        var lines = text.ReplaceLineEndings("\n").Split('\n');
        var count = lines[^1].Length == 0 ? lines.Length - 1 : lines.Length;
        for (var i = 0; i < count; i++)
        {
            yield return lines[i];
        }
    }
}
