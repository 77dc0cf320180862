using System.Globalization;
using System.Runtime.CompilerServices;
using System.Threading.Channels;
using k8s;
using k8s.Models;
using Kompox.Conversion;
using Kompox.Kube;
using Kompox.Model;

namespace Kompox.Operations;

/// <summary>One line a container of the app's Pod wrote.</summary>
/// <param name="Service">The compose service, which is the container's name.</param>
/// <param name="Timestamp">When the container runtime received the line, in UTC.</param>
/// <param name="Message">The line, without its end of line.</param>
public sealed record AppLogLine(string Service, DateTimeOffset Timestamp, string Message)
{
    public override string ToString() => $"{Service} | {Message}";
}

/// <summary>Which lines <see cref="IAppOperations.ReadLogsAsync"/> reads, as <c>docker compose logs</c> takes them.</summary>
public sealed record AppLogOptions
{
    /// <summary>The services (containers) to read; null or empty for every container of the Pod.</summary>
    public IReadOnlyList<string>? Services { get; init; }

    /// <summary>The last this many lines of each container; null for all of them.</summary>
    public int? Tail { get; init; }

    /// <summary>Only lines written in this span before now (sent as whole seconds, rounded up); null for all.</summary>
    public TimeSpan? Since { get; init; }

    /// <summary>Keep reading the lines written from now on, until cancelled.</summary>
    public bool Follow { get; init; }

    /// <summary>The lines of each container's previous run (the one before its last restart).</summary>
    public bool Previous { get; init; }
}

/// <summary>The logs use case: the app Pod's containers' lines, merged by time or followed as they come.</summary>
internal static class AppLogs
{
    /// <summary>Lines each container's stream may run ahead of the caller before its reading waits.</summary>
    private const int LogBuffer = 1024;

    public static async IAsyncEnumerable<AppLogLine> ReadAsync(OperationScope scope, AppLogOptions options, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        CheckLogOptions(options);
        var lines = Channel.CreateBounded<AppLogLine>(new BoundedChannelOptions(LogBuffer) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);

        // The reading runs apart from the caller's loop so that several containers' streams merge as lines come; its
        // failure completes the channel and is thrown from the loop, where the runner translates it.
        var reading = Task.Run(
            async () =>
            {
                try
                {
                    await ReadIntoAsync(scope, options, lines.Writer, stop.Token).ConfigureAwait(false);
                    lines.Writer.TryComplete();
                }
                catch (Exception e)
                {
                    lines.Writer.TryComplete(e);
                }
            },
            CancellationToken.None);
        try
        {
            await foreach (var line in lines.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                yield return line;
            }
        }
        finally
        {
            // The caller stopped early (or was cancelled): end the streams, and return only when nothing runs on.
            await stop.CancelAsync().ConfigureAwait(false);
            await reading.ConfigureAwait(false);
        }
    }

    private static void CheckLogOptions(AppLogOptions options)
    {
        if (options.Tail < 0)
        {
            throw new KompoxException("InvalidLogOptions", ErrorKind.InvalidArgument, $"Tail must be 0 or more lines, not {options.Tail}") { Target = "Tail", Remedy = Remedy.ChangeOption("Tail") };
        }

        if (options.Since <= TimeSpan.Zero)
        {
            throw new KompoxException("InvalidLogOptions", ErrorKind.InvalidArgument, $"Since must be a span after zero, not {options.Since}") { Target = "Since", Remedy = Remedy.ChangeOption("Since") };
        }

        if (options.Services?.FirstOrDefault(string.IsNullOrEmpty) is not null)
        {
            throw new KompoxException("InvalidLogOptions", ErrorKind.InvalidArgument, "a service name is empty") { Target = "Services", Remedy = Remedy.ChangeOption("Services") };
        }
    }

    private static async Task ReadIntoAsync(OperationScope scope, AppLogOptions options, ChannelWriter<AppLogLine> writer, CancellationToken cancellationToken)
    {
        scope.Step("finding the Pod", 5);
        var app = scope.App;
        var client = scope.Kube;
        var ns = KubeNames.Namespace(app);
        IList<V1Pod> pods;
        try
        {
            pods = (await client.CoreV1.ListNamespacedPodAsync(ns, labelSelector: AppObjects.Selector(app), cancellationToken: cancellationToken).ConfigureAwait(false)).Items;
        }
        catch (k8s.Autorest.HttpOperationException e) when (e.Response?.StatusCode == System.Net.HttpStatusCode.NotFound)
        {
            // The app's namespace does not exist: it was never deployed.
            pods = [];
        }

        var pod = LogPod(pods)
            ?? throw new KompoxException("AppNotDeployed", ErrorKind.NotFound, $"app {app.Id} is not deployed: namespace {ns} has no Pod of it") { Target = app.Id, Remedy = Remedy.DeployFirst };
        var containers = LogContainers(app, pod, options);
        scope.Step($"reading {string.Join(", ", containers)} of Pod {pod.Metadata.Name}{(options.Follow ? " and following" : string.Empty)}", options.Follow ? null : 10);
        var sinceSeconds = options.Since is { } since ? (int?)Math.Max(1, (int)Math.Ceiling(since.TotalSeconds)) : null;

        if (options.Follow)
        {
            // Every container's lines go out as they come: a slow container holds back no other.
            await Task.WhenAll(containers.Select(container => ReadContainerAsync(client, app.Id, pod, container, options, sinceSeconds, writer.WriteAsync, cancellationToken))).ConfigureAwait(false);
            return;
        }

        var read = await Task.WhenAll(containers.Select(async container =>
        {
            var collected = new List<AppLogLine>();
            await ReadContainerAsync(client, app.Id, pod, container, options, sinceSeconds, (line, _) => { collected.Add(line); return ValueTask.CompletedTask; }, cancellationToken).ConfigureAwait(false);
            return collected;
        })).ConfigureAwait(false);
        foreach (var line in MergeByTimestamp(read))
        {
            await writer.WriteAsync(line, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// The Pod whose logs are meant: the newest Running one, else the newest. Unlike the Pod the status shows
    /// (<see cref="AppStatusReader.NewestPod"/>, the newest), a Pending Pod has no logs yet, and one being deleted still has.
    /// </summary>
    internal static V1Pod? LogPod(IEnumerable<V1Pod> pods) =>
        pods.OrderByDescending(p => p.Status?.Phase == "Running" && p.Metadata.DeletionTimestamp is null)
            .ThenByDescending(p => p.Metadata.CreationTimestamp ?? DateTime.MinValue)
            .ThenBy(p => p.Metadata.Name, StringComparer.Ordinal)
            .FirstOrDefault();

    /// <summary>The containers to read, in the Pod's order; the services asked for must be among them.</summary>
    private static List<string> LogContainers(KompoxApp app, V1Pod pod, AppLogOptions options)
    {
        var all = PodBuilder.ServiceContainers(pod.Spec).ToList();
        var asked = options.Services is { Count: > 0 } services ? services.Distinct(StringComparer.Ordinal).ToList() : null;
        if (asked is not null && asked.Where(s => !all.Contains(s, StringComparer.Ordinal)).ToList() is { Count: > 0 } unknown)
        {
            throw new KompoxException("UnknownService", ErrorKind.InvalidArgument, $"app {app.Id} has no service {string.Join(", ", unknown)}; its services are {string.Join(", ", all)}") { Target = unknown[0] };
        }

        var chosen = all.Where(c => asked is null || asked.Contains(c, StringComparer.Ordinal)).ToList();
        if (!options.Previous)
        {
            return chosen;
        }

        // Only a container that restarted has a previous run; asked for by name, one that did not is an error, and
        // with every container read, those are left out unless none has one.
        var statuses = (pod.Status?.InitContainerStatuses ?? new List<V1ContainerStatus>()).Concat(pod.Status?.ContainerStatuses ?? new List<V1ContainerStatus>()).ToList();
        var restarted = chosen.Where(c => statuses.FirstOrDefault(s => s.Name == c)?.LastState?.Terminated is not null).ToList();
        var never = asked is null ? (restarted.Count == 0 ? chosen : []) : chosen.Except(restarted).ToList();
        if (never.Count > 0)
        {
            throw new KompoxException("NoPreviousContainer", ErrorKind.NotFound, $"app {app.Id}: {string.Join(", ", never)} of Pod {pod.Metadata.Name} never restarted, so there is no previous run to read the log of") { Target = never[0] };
        }

        return restarted;
    }

    private static async Task ReadContainerAsync(
        IKubernetes client,
        string appId,
        V1Pod pod,
        string container,
        AppLogOptions options,
        int? sinceSeconds,
        Func<AppLogLine, CancellationToken, ValueTask> write,
        CancellationToken cancellationToken)
    {
        Stream stream;
        try
        {
            stream = await client.CoreV1.ReadNamespacedPodLogAsync(
                pod.Metadata.Name,
                pod.Metadata.NamespaceProperty,
                container: container,
                follow: options.Follow ? true : null,
                previous: options.Previous ? true : null,
                sinceSeconds: sinceSeconds,
                tailLines: options.Tail,
                timestamps: true,
                cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (k8s.Autorest.HttpOperationException e) when (e.Response?.StatusCode == System.Net.HttpStatusCode.BadRequest && Starting(e.Response.Content) is { } reason)
        {
            // The kubelet has no log of a container that has not started, and says what it waits for (kubernetes
            // pkg/kubelet/kubelet_pods.go validateContainerLogStatus): while the init containers run, or the Pod is
            // being set up, the app is starting, which is no failure of the cluster.
            throw new KompoxException(
                "AppStarting",
                ErrorKind.Unavailable,
                $"app {appId} is starting: container {container} of Pod {pod.Metadata.Name} has not started yet ({reason}{(reason == "PodInitializing" ? ": the Pod's init containers still run" : string.Empty)}); its log begins when it starts",
                e)
            { Target = container, Remedy = Remedy.RunAgain };
        }

        await using (stream.ConfigureAwait(false))
        {
            using var reader = new StreamReader(stream);
            var last = DateTimeOffset.MinValue;
            while (await reader.ReadLineAsync(cancellationToken).ConfigureAwait(false) is { } text)
            {
                var line = ParseLogLine(container, text, last);
                last = line.Timestamp;
                await write(line, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>The reason in the kubelet's "is waiting to start: REASON" answer when the container is only starting up; null otherwise.</summary>
    private static string? Starting(string? content)
    {
        const string Waiting = "is waiting to start: ";
        var message = ErrorTranslation.StatusMessage(content);
        var at = message?.IndexOf(Waiting, StringComparison.Ordinal) ?? -1;
        var reason = at < 0 ? null : message![(at + Waiting.Length)..].Trim();
        return reason is "PodInitializing" or "ContainerCreating" ? reason : null;
    }

    /// <summary>
    /// A line as the API sends it with timestamps=true: an RFC 3339 time with up to nine fraction digits, a space, the
    /// message. A line without one (which the API does not send) keeps the time of the line before, so order holds.
    /// </summary>
    internal static AppLogLine ParseLogLine(string container, string text, DateTimeOffset before)
    {
        var space = text.IndexOf(' ', StringComparison.Ordinal);
        return space > 0 && ParseTimestamp(text[..space]) is { } at
            ? new AppLogLine(container, at, text[(space + 1)..])
            : new AppLogLine(container, before, text);
    }

    private static DateTimeOffset? ParseTimestamp(string text)
    {
        // .NET reads at most seven fraction digits; the kubelet writes up to nine (RFC3339Nano), which are cut to seven.
        var dot = text.IndexOf('.', StringComparison.Ordinal);
        if (dot > 0)
        {
            var end = dot + 1;
            while (end < text.Length && char.IsAsciiDigit(text[end]))
            {
                end++;
            }

            if (end - dot - 1 > 7)
            {
                text = text[..(dot + 8)] + text[end..];
            }
        }

        return DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var at) && text.Contains('T', StringComparison.Ordinal)
            ? at.ToUniversalTime()
            : null;
    }

    /// <summary>Every container's lines by time; each container's own lines stay in their order, and on a tie the earlier container goes first.</summary>
    internal static IEnumerable<AppLogLine> MergeByTimestamp(IReadOnlyList<List<AppLogLine>> containers)
    {
        var next = new int[containers.Count];
        while (true)
        {
            var pick = -1;
            for (var i = 0; i < containers.Count; i++)
            {
                if (next[i] < containers[i].Count && (pick < 0 || containers[i][next[i]].Timestamp < containers[pick][next[pick]].Timestamp))
                {
                    pick = i;
                }
            }

            if (pick < 0)
            {
                yield break;
            }

            yield return containers[pick][next[pick]++];
        }
    }
}
