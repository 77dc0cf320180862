using Kompox.Compose;

namespace Kompox.Conversion;

/// <summary>
/// A service's <c>entrypoint</c> and <c>command</c> as the container's <c>command</c> and <c>args</c>, with the same
/// effect as under Docker.
/// </summary>
internal static class ContainerCommand
{
    /// <summary>
    /// The kubelet expands <c>$(VAR)</c> and turns <c>$$</c> into <c>$</c> in a container's command and args and in exec
    /// probe commands (pkg/kubelet/container/helpers.go ExpandContainerCommandAndArgs, pkg/kubelet/prober/prober.go
    /// ExpandContainerCommandOnlyStatic). Docker passes these strings as they are (compose already resolved its own <c>$$</c>),
    /// so every <c>$</c> is doubled and the expansion gives back the original.
    /// </summary>
    public static List<string> Escape(IEnumerable<string> words) => words.Select(w => w.Replace("$", "$$", StringComparison.Ordinal)).ToList();

    /// <summary>
    /// The container's command and args. Docker replaces the image's CMD whenever an entrypoint is given
    /// (compose-spec 05-services.md, entrypoint: "Compose ... MUST clear out any default command on the Docker image"), as a
    /// Kubernetes command without args does. An empty entrypoint clears the image's ENTRYPOINT, so <c>command</c> alone runs.
    /// Valid only for a service <see cref="Problem"/> accepts.
    /// </summary>
    public static (List<string>? Command, List<string>? Args) Map(ComposeService service) => service.Entrypoint switch
    {
        null => (null, service.Command is { } command ? Escape(command) : null),
        [] => (Escape(service.Command!), null),
        var entrypoint => (Escape(entrypoint), service.Command is { Count: > 0 } args ? Escape(args) : null),
    };

    /// <summary>What Kubernetes cannot run as Docker would, as the key and the reason; null when it can.</summary>
    public static (string Key, string Message)? Problem(ComposeService service) => (service.Entrypoint, service.Command) switch
    {
        ([], null or []) => ("entrypoint", "an empty entrypoint clears the image's ENTRYPOINT and its CMD, and there is no command: the container would have nothing to run; set command"),

        // Kubernetes' empty args mean "unset", so the image's CMD would still run; only a command replaces it.
        (null, []) => ("command", "an empty command runs the image's ENTRYPOINT without its CMD, which Kubernetes can only do when the ENTRYPOINT is written out: set entrypoint to the image's ENTRYPOINT"),
        _ => null,
    };
}
