using Kompox.Compose;
using Kompox.Drivers;

namespace Kompox.Operations;

/// <summary>
/// The compose file's snapshot hooks (<c>x-kompox-snapshot</c> per service), run around a snapshot of a running app as
/// Velero runs backup hooks: every service's pre commands in order in its container (a database's backup-start,
/// <c>fsfreeze --freeze</c>), the copy, then the post commands of every service whose pre commands ran, also when the
/// copy or a pre command failed and on Ctrl+C, so that nothing is left frozen. A pre command that fails (a non-zero exit,
/// a timeout, a missing program) takes no snapshot unless its service says <c>on_error: continue</c>; a post command that
/// fails is a warning, since the snapshot is made by then.
/// </summary>
internal static class SnapshotHooks
{
    /// <summary>The services with hooks, by name; none when the compose file cannot be read now (with a warning: the copy is made without them).</summary>
    public static IReadOnlyList<(string Service, ComposeSnapshotHooks Hooks)> Of(OperationScope scope)
    {
        var app = scope.App;
        try
        {
            // Read without variables from the caller: which services have hooks does not vary with them.
            var project = AppValidator.Load(app, new ComposeReadOptions());
            return project.Services.Where(s => s.SnapshotHooks is { } h && (h.Pre.Count > 0 || h.Post.Count > 0)).Select(s => (s.Name, s.SnapshotHooks!)).ToList();
        }
        catch (KompoxValidationException e)
        {
            scope.Warn(Diagnostic.Warning(app.Id, SourceMark.File, ComposeSnapshotHooks.Key, $"the compose file of app {app.Id} cannot be read ({e.Problems.FirstOrDefault()?.Message}); its snapshot hooks, if any, are not run"));
            return Array.Empty<(string, ComposeSnapshotHooks)>();
        }
    }

    public static async Task<SnapshotInfo> AroundAsync(OperationScope scope, IReadOnlyList<(string Service, ComposeSnapshotHooks Hooks)> hooks, Func<CancellationToken, Task<SnapshotInfo>> copy, CancellationToken cancellationToken)
    {
        var ran = new List<(string Service, ComposeSnapshotHooks Hooks)>();
        KompoxException? refused = null;
        try
        {
            foreach (var (service, hook) in hooks)
            {
                ran.Add((service, hook));
                foreach (var command in hook.Pre)
                {
                    if (await RunAsync(scope, service, command, hook.Timeout, "pre", cancellationToken).ConfigureAwait(false) is not { } problem)
                    {
                        continue;
                    }

                    if (problem.ErrorId is "AppNotDeployed" or "AppNotRunning")
                    {
                        // Nothing runs there to quiesce: the copy is of a disk nobody writes through that service.
                        scope.Detail($"snapshot hooks of service {service} skipped: {problem.Message}");
                        ran.Remove((service, hook));
                        break;
                    }

                    if (!hook.ContinueOnError)
                    {
                        refused = problem;
                        break;
                    }

                    scope.Warn(Diagnostic.Warning(scope.App.Id, SourceMark.File, $"services.{service}.{ComposeSnapshotHooks.Key}.pre", $"{problem.Message}; going on (on_error: continue), so the copy may not be consistent"));
                }

                if (refused is not null)
                {
                    break;
                }
            }

            if (refused is not null)
            {
                throw new KompoxException("SnapshotHookFailed", ErrorKind.Conflict, $"app {scope.App.Id}: no snapshot was taken: {refused.Message} (on_error: fail)", refused) { Target = scope.App.Id };
            }

            return await copy(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            // Not cancellable: it undoes what the pre commands did; each command is bounded by its timeout.
            foreach (var (service, hook) in ran)
            {
                foreach (var command in hook.Post)
                {
                    if (await RunAsync(scope, service, command, hook.Timeout, "post", CancellationToken.None).ConfigureAwait(false) is { } problem)
                    {
                        scope.Warn(Diagnostic.Warning(scope.App.Id, SourceMark.File, $"services.{service}.{ComposeSnapshotHooks.Key}.post", problem.Message));
                    }
                }
            }
        }
    }

    /// <summary>Runs one command; what went wrong, or null when it exited 0.</summary>
    private static async Task<KompoxException?> RunAsync(OperationScope scope, string service, IReadOnlyList<string> command, TimeSpan timeout, string phase, CancellationToken cancellationToken)
    {
        var text = string.Join(' ', command);
        scope.Step($"{phase} hook in {service}: {text}", phase == "pre" ? 20 : 95);
        try
        {
            var result = await AppExec.RunAsync(scope, new AppExecOptions { Service = service, Command = command, Timeout = timeout }, cancellationToken).ConfigureAwait(false);
            if (result.ExitCode == 0)
            {
                return null;
            }

            var said = result.Stderr.Trim() is { Length: > 0 } stderr ? $": {stderr.Split('\n')[^1]}" : string.Empty;
            return new KompoxException("SnapshotHookFailed", ErrorKind.Conflict, $"{phase} hook '{text}' in service {service} exited with code {result.ExitCode}{said}") { Target = service };
        }
        catch (KompoxException e)
        {
            return e.ErrorId is "AppNotDeployed" or "AppNotRunning"
                ? e
                : new KompoxException("SnapshotHookFailed", ErrorKind.Conflict, $"{phase} hook '{text}' in service {service} failed: {e.Message}", e) { Target = service };
        }
    }
}
