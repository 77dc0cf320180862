using System.Collections;
using System.Management.Automation;
using System.Management.Automation.Language;
using System.Management.Automation.Runspaces;
using Kompox.Config;
using Kompox.Operations;
using Kompox.Store;

namespace Kompox.Cmdlets;

/// <summary>
/// Tab completion of -SnapshotId from the provider: the snapshots of the app the command line names (-App, -Path,
/// -LiteralPath, or ./kompoxops.yml), newest first, matched on the whole id or on its last segment (an aks id is a long
/// resource id). Anything that fails (no config, the provider unreachable) completes nothing, within a few seconds.
/// </summary>
public sealed class SnapshotIdCompleter : IArgumentCompleter
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(10);

    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete, CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        try
        {
            var store = new ConfigFileStore();
            if (AppOf(store, fakeBoundParameters) is not { } appId)
            {
                return Array.Empty<CompletionResult>();
            }

            using var limit = new CancellationTokenSource(Limit);
            var task = Task.Run(async () =>
            {
                await using var context = KompoxContext.ForConfigFiles(store);
                return await new SnapshotOperations(context).ListAsync(appId, null, limit.Token).ConfigureAwait(false);
            });
            var word = wordToComplete.Trim('\'', '"');
            return task.WaitAsync(Limit).GetAwaiter().GetResult()
                .Where(s => s.Id.StartsWith(word, StringComparison.OrdinalIgnoreCase) || s.Id[(s.Id.LastIndexOf('/') + 1)..].StartsWith(word, StringComparison.OrdinalIgnoreCase))
                .Select(s => new CompletionResult(s.Id, s.Id[(s.Id.LastIndexOf('/') + 1)..], CompletionResultType.ParameterValue, $"{s.CreatedAt:u} of disk {s.DiskId}"))
                .ToList();
        }
        catch (Exception e) when (e is KompoxException or TimeoutException or OperationCanceledException or IOException or PSInvalidOperationException or ItemNotFoundException or UnauthorizedAccessException or InvalidOperationException or AggregateException)
        {
            return Array.Empty<CompletionResult>();
        }
    }

    private static string? AppOf(ConfigFileStore store, IDictionary bound)
    {
        var given = bound["App"] is PSObject wrapped ? wrapped.BaseObject : bound["App"];
        if (given is PowerShell.KompoxApp app)
        {
            store.Add(app.Model);
            return app.Id;
        }

        var path = (bound["LiteralPath"] ?? bound["Path"]) switch
        {
            string one => one,
            object[] { Length: > 0 } many => many[0]?.ToString(),
            _ => KompoxConfig.DefaultFileName,
        };
        if (path is null)
        {
            return null;
        }

        // A relative path is relative to PowerShell's location, which is not the process's current directory.
        var full = Path.IsPathRooted(path) ? path : Runspace.DefaultRunspace?.SessionStateProxy.Path.GetUnresolvedProviderPathFromPSPath(path) ?? Path.GetFullPath(path);
        return File.Exists(full) ? store.Load(full, path).App.Id : null;
    }
}
