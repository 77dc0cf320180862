using System.Diagnostics;
using System.Text;

namespace Kompox.Testing.KubeApi;

/// <summary>
/// A process an exec starts in a container, as the container runtime runs it: the argv, whether a terminal was asked
/// for, and its three standard streams. Stdin is empty when the client asked for none, and ends when the client closes
/// it (the v5 CLOSE signal) or leaves. With a terminal, the runtime gives the process one stream for stdout and stderr.
/// </summary>
public sealed class ExecProcess
{
    internal ExecProcess(string ns, string pod, string container, IReadOnlyList<string> command, bool tty, Stream stdin, Stream stdout, Stream stderr)
    {
        Namespace = ns;
        Pod = pod;
        Container = container;
        Command = command;
        Tty = tty;
        Stdin = stdin;
        Stdout = stdout;
        Stderr = stderr;
    }

    public string Namespace { get; }

    public string Pod { get; }

    public string Container { get; }

    public IReadOnlyList<string> Command { get; }

    public bool Tty { get; }

    public Stream Stdin { get; }

    public Stream Stdout { get; }

    public Stream Stderr { get; }
}

/// <summary>A program in a container's image as a test scripts it: it runs with the process's streams and returns its exit code.</summary>
public delegate Task<int> ExecHandler(ExecProcess process, CancellationToken cancellationToken);

/// <summary>Programs a test installs with <see cref="KubeApiServer.InstallProgram"/> (also usable from PowerShell, which cannot write a delegate that runs off its thread).</summary>
public static class ExecPrograms
{
    /// <summary>Writes <paramref name="stdout"/> and <paramref name="stderr"/> (UTF-8) and exits with <paramref name="exitCode"/>.</summary>
    public static ExecHandler Reply(string stdout, string stderr = "", int exitCode = 0) => async (process, cancellationToken) =>
    {
        await process.Stdout.WriteAsync(Encoding.UTF8.GetBytes(stdout), cancellationToken);
        await (process.Tty ? process.Stdout : process.Stderr).WriteAsync(Encoding.UTF8.GetBytes(stderr), cancellationToken);
        return exitCode;
    };

    /// <summary>cat: copies stdin to stdout until stdin ends, exits 0 (with a terminal, an echo of what is typed).</summary>
    public static ExecHandler Cat { get; } = async (process, cancellationToken) =>
    {
        await process.Stdin.CopyToAsync(process.Stdout, cancellationToken);
        return 0;
    };

    /// <summary>Writes its arguments, joined by spaces, and a newline, as echo does; exits 0.</summary>
    public static ExecHandler Echo { get; } = async (process, cancellationToken) =>
    {
        await process.Stdout.WriteAsync(Encoding.UTF8.GetBytes(string.Join(' ', process.Command.Skip(1)) + "\n"), cancellationToken);
        return 0;
    };

    /// <summary>
    /// Runs the argv as a process of this machine, standing for a container whose image has the same programs (the seed
    /// image debian:12 has dash as sh, GNU tar 1.34 and coreutils 9.1, as a Debian 12 machine does). A volume is a
    /// directory here: an argument that is a volume's mountPath, or a path under it, names that directory instead, as the
    /// bind mount the kubelet makes would. Stdin is copied to the process until the client closes it or leaves (the exec's
    /// stdin then ends, KubeApiServer.Streams), then closed; the process runs to its end: a process an exec started is not
    /// killed when its stream goes (the kubelet's streaming server only closes the streams,
    /// pkg/kubelet/cri/streaming/remotecommand/exec.go), only with its container. <paramref name="onStdin"/> sees the bytes
    /// passed so far after each write, and may hold the copy (a test stopping in the middle of a file).
    /// </summary>
    public static ExecHandler OnThisMachine(IReadOnlyDictionary<string, string> mounts, Func<long, Task>? onStdin = null) => async (process, _) =>
    {
        string Map(string argument)
        {
            foreach (var (mountPath, directory) in mounts)
            {
                if (argument == mountPath || argument.StartsWith(mountPath + "/", StringComparison.Ordinal))
                {
                    return directory + argument[mountPath.Length..];
                }
            }

            return argument;
        }

        var start = new ProcessStartInfo(process.Command[0]) { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in process.Command.Skip(1))
        {
            start.ArgumentList.Add(Map(argument));
        }

        using var child = Process.Start(start)!;
        var stdout = Drain(child.StandardOutput.BaseStream, process.Stdout);
        var stderr = Drain(child.StandardError.BaseStream, process.Tty ? process.Stdout : process.Stderr);
        var buffer = new byte[1 << 16];
        var passed = 0L;
        try
        {
            int read;
            while ((read = await process.Stdin.ReadAsync(buffer)) > 0)
            {
                await child.StandardInput.BaseStream.WriteAsync(buffer.AsMemory(0, read));
                await child.StandardInput.BaseStream.FlushAsync();
                passed += read;
                if (onStdin is not null)
                {
                    await onStdin(passed);
                }
            }
        }
        catch (IOException)
        {
            // The process stopped reading (it ended): what it was sent is what it got.
        }

        try
        {
            child.StandardInput.Close();
        }
        catch (IOException)
        {
            // Ended already.
        }

        await child.WaitForExitAsync();
        await Task.WhenAll(stdout, stderr);
        return child.ExitCode;
    };

    /// <summary>Copies the process's output to the exec's stream; once the client is gone the rest is read and dropped, so the process never blocks on a full pipe.</summary>
    private static async Task Drain(Stream from, Stream to)
    {
        try
        {
            await from.CopyToAsync(to);
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or OperationCanceledException or System.Net.WebSockets.WebSocketException)
        {
            await from.CopyToAsync(Stream.Null);
        }
    }
}
