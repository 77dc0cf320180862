using System.Management.Automation;
using Kompox.Operations;
using Kompox.PowerShell;

namespace Kompox.Cmdlets;

[Cmdlet(VerbsCommon.Get, "KompoxAppCredential", DefaultParameterSetName = PathSet, SupportsShouldProcess = true)]
[OutputType(typeof(KompoxAppCredential))]
public sealed class GetKompoxAppCredentialCommand : KompoxAppCmdlet
{
    private string? writtenFor;

    /// <summary>How long the token lasts: at least 10 minutes; 1 hour by default.</summary>
    [Parameter]
    [ValidateTokenDuration]
    public TimeSpan Duration { get; set; } = AppCredentialOptions.DefaultDuration;

    /// <summary>On AKS: a kubeconfig that signs the user in through kubelogin (Entra ID) instead of holding a token.</summary>
    [Parameter]
    public SwitchParameter Kubelogin { get; set; }

    /// <summary>kubelogin's login mode with -Kubelogin; azurecli (the signed-in Azure CLI) by default.</summary>
    [Parameter]
    [ArgumentCompleter(typeof(KubeloginLoginModes))]
    [ValidateNotNullOrEmpty]
    public string LoginMode { get; set; } = new AppCredentialOptions().KubeloginLoginMode;

    /// <summary>Write the kubeconfig to this file, readable by its owner only (mode 0600).</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? OutFile { get; set; }

    /// <summary>Overwrite the -OutFile file if it exists.</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    protected override async Task ProcessRecordAsync(CancellationToken cancellationToken)
    {
        foreach (var app in InputResources(cancellationToken))
        {
            var path = OutFile is null ? null : FileSystemPath(OutFile);
            if (path is not null && !ShouldProcess(path, $"Write a kubeconfig for app {app.Id}"))
            {
                continue;
            }

            if (path is not null && writtenFor is not null)
            {
                InputFailed(ToErrorRecord(new KompoxException("OutputFileExists", ErrorKind.AlreadyExists, $"-OutFile takes one app: {path} already holds the kubeconfig of app {writtenFor}") { Target = path }));
                continue;
            }

            var options = new AppCredentialOptions { Duration = Duration, Kubelogin = Kubelogin, KubeloginLoginMode = LoginMode };
            var credential = await TryAsync(
                async token =>
                {
                    var made = await Apps(app).GetCredentialAsync(app.Id, options, new ReporterProgress(Reporter), token);
                    if (path is not null)
                    {
                        WriteVerbose($"Writing {path} (mode 0600)");
                        made.WriteTo(path, Force);
                    }

                    return made;
                },
                cancellationToken);
            if (credential is not null)
            {
                writtenFor = path is null ? writtenFor : app.Id;
                WriteObject(new KompoxAppCredential(credential, app, path));
            }
        }
    }

    /// <summary>Tab completion of kubelogin's login modes, as the engine knows them; the engine refuses others (<c>InvalidLoginMode</c>).</summary>
    private sealed class KubeloginLoginModes : IArgumentCompleter
    {
        public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete, System.Management.Automation.Language.CommandAst commandAst, System.Collections.IDictionary fakeBoundParameters) =>
            AppCredentialOptions.KubeloginLoginModes
                .Where(m => m.StartsWith(wordToComplete, StringComparison.OrdinalIgnoreCase))
                .Select(m => new CompletionResult(m));
    }

    /// <summary>-Duration as the TokenRequest API takes it; a shorter one is a parameter error, before anything is sent.</summary>
    private sealed class ValidateTokenDurationAttribute : ValidateArgumentsAttribute
    {
        protected override void Validate(object arguments, EngineIntrinsics engineIntrinsics)
        {
            if (arguments is TimeSpan duration && AppCredentialOptions.CheckDuration(duration) is { } problem)
            {
                throw new ValidationMetadataException(problem);
            }
        }
    }
}
