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
}
