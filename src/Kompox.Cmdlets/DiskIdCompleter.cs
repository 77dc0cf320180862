using System.Collections;
using System.Management.Automation;
using System.Management.Automation.Language;
using Kompox.Config;
using Kompox.Drivers;
using Kompox.PowerShell;
using Engine = Kompox.Model;

namespace Kompox.Cmdlets;

/// <summary>
/// Tab completion of -DiskId: the app's disks as the provider lists them (newest first), the app being the -App given,
/// else the one of -Path or -LiteralPath, else kompoxops.yml in the current location. Quiet on failure: a provider that
/// cannot be reached, or a file that cannot be read, completes nothing (the cmdlet reports it when run), and a slow
/// provider is given up after a few seconds.
/// </summary>
public sealed class DiskIdCompleter : IArgumentCompleter
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(5);

    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete, CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        try
        {
            var prefix = wordToComplete.Trim('\'', '"');
            if (AppOf(fakeBoundParameters) is not { } app)
            {
                return Array.Empty<CompletionResult>();
            }

            using var cancel = new CancellationTokenSource(Patience);
            var disks = new DriverFactory(TimeProvider.System).Runtime(app.Cluster).ListDisksAsync(app, cancel.Token).WaitAsync(Patience).GetAwaiter().GetResult();
            return disks
                .Where(d => d.Id.StartsWith(prefix, StringComparison.OrdinalIgnoreCase) || Name(d.Id).StartsWith(prefix, StringComparison.OrdinalIgnoreCase))
                .Select(d => new CompletionResult(Quoted(d.Id), Name(d.Id), CompletionResultType.ParameterValue, $"{d.Id} ({d.CreatedAt:yyyy-MM-dd HH:mm:ss}Z, {DiskInfo.Quantity(d.SizeBytes)})"))
                .ToList();
        }
        catch (Exception)
        {
            return Array.Empty<CompletionResult>();
        }
    }

    /// <summary>An aks disk id is a resource id, whose last segment is what a person recognises.</summary>
    private static string Name(string id) => id[(id.LastIndexOf('/') + 1)..];

    private static string Quoted(string id) => id.Contains(' ', StringComparison.Ordinal) ? $"'{id}'" : id;

    private static Engine.KompoxApp? AppOf(IDictionary bound)
    {
        if ((bound["App"] is PSObject wrapped ? wrapped.BaseObject : bound["App"]) is KompoxApp given)
        {
            return given.Model;
        }

        var literal = bound.Contains("LiteralPath");
        var named = (literal ? bound["LiteralPath"] : bound["Path"]) is { } value ? (value is PSObject p ? p.BaseObject : value) : null;
        var path = named switch
        {
            string text => text,
            IEnumerable items => items.Cast<object?>().Select(i => i is PSObject o ? o.BaseObject : i).OfType<string>().FirstOrDefault(),
            _ => null,
        } ?? KompoxConfig.DefaultFileName;

        // A completer runs inside the TabExpansion2 pipeline: a nested pipeline on the same runspace resolves the path as the cmdlet would.
        using var shell = System.Management.Automation.PowerShell.Create(RunspaceMode.CurrentRunspace);
        shell.AddCommand(@"Microsoft.PowerShell.Management\Convert-Path").AddParameter(literal ? "LiteralPath" : "Path", path).AddParameter("ErrorAction", ActionPreference.Ignore);
        var file = shell.Invoke<string>().FirstOrDefault(f => f is not null);
        return file is null ? null : KompoxConfig.Load(file).App;
    }
}
