using k8s.Models;
using Kompox.Compose;

namespace Kompox.Conversion;

/// <summary>
/// <c>post_start</c> and <c>pre_stop</c> as the container's <c>lifecycle</c> exec hooks. docker/compose
/// (pkg/compose/hook.go) runs a service's hooks one after the other with <c>docker exec</c>, in the container's environment
/// plus the hook's, and a failing one fails the start. Kubernetes has one exec action per hook kind, which the kubelet runs
/// as the container's user, in its working directory and environment, with the command as written: no <c>$(VAR)</c>
/// expansion (pkg/kubelet/lifecycle/handlers.go Run passes <c>handler.Exec.Command</c> to RunInContainer, a CRI ExecSync). So
/// one hook with only a command is that command; several, or one with a working directory or environment, become one
/// <c>/bin/sh -c</c> script that runs them in order and stops at the first failure. A user or privileges the container does
/// not have cannot be given to a hook.
/// </summary>
internal static class LifecycleHooks
{
    private const string Shell = "/bin/sh";

    public static void Check(ComposeService service, StartRole role, ConversionDiagnostics diagnostics)
    {
        var kinds = new[] { ("post_start", service.PostStart), ("pre_stop", service.PreStop) };
        foreach (var (key, hooks) in kinds.Where(k => k.Item2.Count > 0))
        {
            // pkg/apis/core/validation/validation.go validateInitContainers: "may not be set for init containers without restartPolicy=Always".
            if (role == StartRole.Init)
            {
                diagnostics.ServiceError(service, key, $"cannot run: '{service.Name}' is waited for with condition service_completed_successfully, so it runs as a Kubernetes init container, which has no lifecycle hooks; run the commands in its command or entrypoint instead", hooks[0].At);
                continue;
            }

            foreach (var hook in hooks)
            {
                if (hook.User is { } user && !SameUser(user, service.User))
                {
                    diagnostics.ServiceError(service, $"{hook.KeyPath}.user", $"runs the hook as user '{user}', but Kubernetes runs a container's hooks as the container's user ({(service.User is { } own ? $"'{own}'" : "its image's user")}); leave out the hook's user, or run the service as '{user}'", hook.At);
                }

                if (hook.Privileged && !service.Privileged)
                {
                    diagnostics.ServiceError(service, $"{hook.KeyPath}.privileged", "asks for privileges, but Kubernetes runs a container's hooks with the container's own, and privileged containers are not allowed on a shared cluster (Pod Security baseline); do without privileges in the hook", hook.At);
                }
            }

            if (NeedsShell(hooks))
            {
                diagnostics.ServiceWarning(service, key, $"{(hooks.Count > 1 ? $"the {hooks.Count} hooks run" : "the hook runs")} as one {Shell} -c script (Kubernetes runs one command per hook kind{(hooks.Any(h => h.Environment.Count > 0) ? ", and 'env' sets the hook's environment" : "")}): the image of '{service.Name}' must have {Shell}", hooks[0].At);
            }
        }
    }

    public static V1Lifecycle? Build(ComposeService service)
    {
        var postStart = Handler(service.PostStart);
        var preStop = Handler(service.PreStop);
        return postStart is null && preStop is null ? null : new V1Lifecycle { PostStart = postStart, PreStop = preStop };
    }

    // Compared as written; uid 0 is root whichever way it is named.
    private static bool SameUser(string hook, string? service) =>
        hook == service || (IsRoot(hook) && service is { } s && IsRoot(s));

    private static bool IsRoot(string user) => user.Split(':')[0] is "0" or "root";

    private static bool NeedsShell(IReadOnlyList<ComposeHook> hooks) =>
        hooks.Count > 1 || hooks.Any(h => h.WorkingDir is not null || h.Environment.Count > 0);

    private static V1LifecycleHandler? Handler(IReadOnlyList<ComposeHook> hooks)
    {
        if (hooks.Count == 0)
        {
            return null;
        }

        if (!NeedsShell(hooks))
        {
            return new V1LifecycleHandler { Exec = new V1ExecAction { Command = hooks[0].Command!.ToList() } };
        }

        // set -e: the first hook that fails ends the script with its status, as compose stops at a failing hook. Each runs in
        // a subshell so that its directory and environment stay its own.
        var lines = new List<string> { "set -e" };
        foreach (var hook in hooks)
        {
            var words = hook.Command!.Select(ShellWords.Quote);
            if (hook.Environment.Count > 0)
            {
                words = hook.Environment.Select(e => ShellWords.Quote($"{e.Key}={e.Value}")).Prepend("env").Concat(words);
            }

            var run = string.Join(' ', words);
            lines.Add(hook.WorkingDir is { } directory ? $"(cd -- {ShellWords.Quote(directory)} && exec {run})" : run);
        }

        return new V1LifecycleHandler { Exec = new V1ExecAction { Command = new List<string> { Shell, "-c", string.Join('\n', lines) } } };
    }
}
