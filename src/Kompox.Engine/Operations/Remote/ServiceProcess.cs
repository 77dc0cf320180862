using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Security.Cryptography;

namespace Kompox.Operations.Remote;

/// <summary>How to start the Kompox service program as its own process.</summary>
public sealed record ServiceStartOptions
{
    /// <summary>Kompox.Service.dll (the module's <c>service/</c> folder).</summary>
    public required string ProgramPath { get; init; }

    /// <summary>The directory of the store (<c>kompox.db</c>, <c>kompox.key</c>); created by the service when missing.</summary>
    public required string DataPath { get; init; }

    /// <summary>The TCP port; 0 for a free one.</summary>
    public int Port { get; init; }

    /// <summary>
    /// The address to listen on: 127.0.0.1 (the default) for this machine only; another of the machine's addresses, or
    /// 0.0.0.0 / :: for all of them, to serve other machines. It is plain HTTP either way: bearer tokens cross the network
    /// readable unless a TLS-terminating proxy is in front.
    /// </summary>
    public IPAddress ListenAddress { get; init; } = IPAddress.Loopback;

    /// <summary>How long the service may take to answer <c>/readyz</c>; then it is stopped and <c>ServiceStartTimeout</c>.</summary>
    public TimeSpan ReadyTimeout { get; init; } = TimeSpan.FromSeconds(60);
}

/// <summary>A running service: where it answers, its process, and on the first start of a new store the administrator's token (shown once).</summary>
public sealed record ServiceInstance(Uri Uri, Uri OpenApiUri, int ProcessId, string? Token, string DataPath);

/// <summary>
/// Starts and stops the Kompox service program (<c>dotnet Kompox.Service.dll</c>) as a process of its own: the module
/// never loads ASP.NET Core (PowerShell hosts such as Azure Automation have none in process). The administrator's token
/// of a new store is made here and given through the environment (<c>Kompox__AdminToken</c>), never on a command line
/// that other users of the machine can read.
/// </summary>
public static class ServiceProcess
{
    /// <summary>The shared framework the service is built on (its project's <c>Microsoft.NET.Sdk.Web</c>, net10.0).</summary>
    public const string AspNetCoreRuntime = "Microsoft.AspNetCore.App";

    public const int AspNetCoreMajorVersion = 10;

    // The services this process started, so that their output keeps being read (a full pipe would stop the service).
    private static readonly ConcurrentDictionary<int, Process> Started = new();

    /// <summary>A service token as the service makes them: <c>kpx_</c> and 32 random bytes in base64url.</summary>
    public static string NewToken() =>
        "kpx_" + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    /// <summary>
    /// Why <paramref name="listRuntimes"/> (the output of <c>dotnet --list-runtimes</c>) cannot run the service, with
    /// exactly what to install; null when it lists ASP.NET Core 10.
    /// </summary>
    public static string? MissingRuntime(string listRuntimes)
    {
        var aspNet = listRuntimes.Split('\n', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
            .Where(l => l.StartsWith(AspNetCoreRuntime + " ", StringComparison.Ordinal))
            .Select(l => l.Split(' ')[1])
            .ToList();
        if (aspNet.Any(v => v.StartsWith($"{AspNetCoreMajorVersion}.", StringComparison.Ordinal)))
        {
            return null;
        }

        var found = aspNet.Count == 0 ? "no ASP.NET Core runtime" : $"ASP.NET Core {string.Join(", ", aspNet)} only";
        return $"the Kompox service needs the ASP.NET Core Runtime {AspNetCoreMajorVersion}.0 ({AspNetCoreRuntime} {AspNetCoreMajorVersion}.x) and 'dotnet --list-runtimes' shows {found}. "
            + InstallHint;
    }

    private static string InstallHint =>
        $"Install it: on Linux 'sudo apt-get install aspnetcore-runtime-{AspNetCoreMajorVersion}.0' (or './dotnet-install.sh --runtime aspnetcore --channel {AspNetCoreMajorVersion}.0'), "
        + $"on Windows 'winget install Microsoft.DotNet.AspNetCore.{AspNetCoreMajorVersion}', on macOS 'brew install --cask dotnet', "
        + $"or from https://dotnet.microsoft.com/download/dotnet/{AspNetCoreMajorVersion}.0 (ASP.NET Core Runtime)";

    /// <summary>The dotnet host: this process when it is one (<c>dotnet pwsh</c>), else <c>$DOTNET_ROOT/dotnet</c>, else the one on PATH.</summary>
    public static string DotnetHost()
    {
        var exe = OperatingSystem.IsWindows() ? "dotnet.exe" : "dotnet";
        if (Environment.ProcessPath is { } self && string.Equals(Path.GetFileName(self), exe, StringComparison.OrdinalIgnoreCase))
        {
            return self;
        }

        if (Environment.GetEnvironmentVariable("DOTNET_ROOT") is { Length: > 0 } root && File.Exists(Path.Combine(root, exe)))
        {
            return Path.Combine(root, exe);
        }

        return exe;
    }

    /// <summary>Starts the service, waits until it answers <c>/readyz</c>, and says where it answers.</summary>
    /// <exception cref="KompoxException"><c>ServiceProgramNotFound</c>, <c>AspNetCoreRuntimeMissing</c>, <c>ServiceStartFailed</c> (with the end of its output), <c>ServiceStartTimeout</c>.</exception>
    public static async Task<ServiceInstance> StartAsync(ServiceStartOptions options, IProgress<OperationProgress>? progress, CancellationToken cancellationToken)
    {
        const string Activity = "Starting the Kompox service";
        if (!File.Exists(options.ProgramPath))
        {
            throw new KompoxException("ServiceProgramNotFound", ErrorKind.NotFound, $"{options.ProgramPath} does not exist: the module's service folder is missing (build the whole module, or install the full package)") { Target = options.ProgramPath };
        }

        var dotnet = DotnetHost();
        progress?.Report(new OperationProgress(Activity, "checking the ASP.NET Core runtime", 5));
        var runtimes = await RunToEndAsync(dotnet, ["--list-runtimes"], cancellationToken).ConfigureAwait(false);
        if (runtimes is null)
        {
            throw new KompoxException("AspNetCoreRuntimeMissing", ErrorKind.NotFound, $"no dotnet host was found ({dotnet}): the Kompox service runs on .NET {AspNetCoreMajorVersion}. {InstallHint}, with the .NET Runtime it needs") { Target = dotnet };
        }

        if (MissingRuntime(runtimes) is { } missing)
        {
            throw new KompoxException("AspNetCoreRuntimeMissing", ErrorKind.NotFound, missing) { Target = AspNetCoreRuntime };
        }

        var dataPath = Path.GetFullPath(options.DataPath);
        var port = options.Port == 0 ? FreePort(options.ListenAddress) : options.Port;
        var listen = new UriBuilder(Uri.UriSchemeHttp, options.ListenAddress.ToString(), port).Uri;

        // Where this machine reaches it: the address itself, or the loopback of its family when it listens on all.
        var uri = options.ListenAddress.Equals(IPAddress.Any) ? new UriBuilder(Uri.UriSchemeHttp, IPAddress.Loopback.ToString(), port).Uri
            : options.ListenAddress.Equals(IPAddress.IPv6Any) ? new UriBuilder(Uri.UriSchemeHttp, IPAddress.IPv6Loopback.ToString(), port).Uri
            : listen;

        // The token is made here only for a new store: an existing store keeps its administrator.
        var token = File.Exists(Path.Combine(dataPath, "kompox.db")) ? null : NewToken();
        var start = new ProcessStartInfo(dotnet)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = false,
        };
        foreach (var argument in new[] { options.ProgramPath, "--urls", listen.GetLeftPart(UriPartial.Authority), $"--Kompox:DataPath={dataPath}" })
        {
            start.ArgumentList.Add(argument);
        }

        if (token is not null)
        {
            start.Environment["Kompox__AdminToken"] = token;
        }

        if (!IPAddress.IsLoopback(options.ListenAddress))
        {
            // Kestrel serves plain HTTP here: every request carries a bearer token that anyone on the path can read and reuse.
            progress?.Report(OperationProgress.Warn(Activity, Diagnostic.Warning(listen.ToString(), SourceMark.File, "ListenAddress", $"the Kompox service listens on {listen.GetLeftPart(UriPartial.Authority)} for other machines over plain HTTP: bearer tokens cross the network readable. Put a TLS-terminating reverse proxy in front of it (or run the service with an https URL, see about_Kompox_Service) and let other machines reach only that")));
        }

        progress?.Report(new OperationProgress(Activity, $"{dotnet} {options.ProgramPath} on {listen}", 10));
        var output = new ConcurrentQueue<string>();
        void Keep(string? line)
        {
            if (line is null)
            {
                return;
            }

            output.Enqueue(line);
            while (output.Count > 40 && output.TryDequeue(out _))
            {
            }
        }

        Process process;
        try
        {
            process = Process.Start(start) ?? throw new InvalidOperationException("no process was started");
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            throw new KompoxException("ServiceStartFailed", ErrorKind.Unavailable, $"{dotnet} {options.ProgramPath} could not be started: {e.Message}", e) { Target = options.ProgramPath };
        }

        process.OutputDataReceived += (_, e) => Keep(e.Data);
        process.ErrorDataReceived += (_, e) => Keep(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        Started[process.Id] = process;

        string Tail() => output.IsEmpty ? "it wrote nothing" : "its last lines:" + Environment.NewLine + string.Join(Environment.NewLine, output.Select(l => "  " + l));

        using var ready = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        var deadline = Stopwatch.StartNew();
        try
        {
            while (true)
            {
                if (process.HasExited)
                {
                    process.WaitForExit();
                    throw new KompoxException("ServiceStartFailed", ErrorKind.Unavailable, $"the Kompox service ({options.ProgramPath}) ended with exit code {process.ExitCode} before it was ready; {Tail()}") { Target = options.ProgramPath };
                }

                try
                {
                    using var answer = await ready.GetAsync(new Uri(uri, "readyz"), cancellationToken).ConfigureAwait(false);
                    if (answer.StatusCode == HttpStatusCode.OK)
                    {
                        break;
                    }
                }
                catch (HttpRequestException)
                {
                    // Not listening yet.
                }
                catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                    // That answer took too long; the deadline decides.
                }

                if (deadline.Elapsed > options.ReadyTimeout)
                {
                    throw new KompoxException("ServiceStartTimeout", ErrorKind.Timeout, $"the Kompox service on {uri} did not answer /readyz within {options.ReadyTimeout.TotalSeconds:0} seconds; it was stopped; {Tail()}") { Target = uri.ToString() };
                }

                progress?.Report(new OperationProgress(Activity, $"waiting for {uri}readyz", 50));
                await Task.Delay(TimeSpan.FromMilliseconds(200), cancellationToken).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is KompoxException or OperationCanceledException)
        {
            // A service that is not ready is not left behind (nor one whose start was given up with Ctrl+C).
            Kill(process);
            throw;
        }

        progress?.Report(new OperationProgress(Activity, "ready", 100));
        return new ServiceInstance(uri, new Uri(uri, "openapi/v1.json"), process.Id, token, dataPath);
    }

    /// <summary>
    /// Stops a service process gracefully: SIGTERM (ASP.NET Core then finishes its requests and closes the store), and
    /// only when it has not ended within <paramref name="timeout"/> it is killed. On Windows, where a console process
    /// without a console cannot be asked to stop, it is ended at once.
    /// </summary>
    /// <returns>True when it ended by itself, false when it had to be killed.</returns>
    /// <exception cref="KompoxException"><c>ServiceProcessNotFound</c> when no Kompox service runs with that id.</exception>
    public static async Task<bool> StopAsync(int processId, TimeSpan timeout, CancellationToken cancellationToken)
    {
        Process process;
        try
        {
            process = Started.TryGetValue(processId, out var known) ? known : Process.GetProcessById(processId);
        }
        catch (ArgumentException)
        {
            throw new KompoxException("ServiceProcessNotFound", ErrorKind.NotFound, $"no process {processId} runs") { Target = processId.ToString(System.Globalization.CultureInfo.InvariantCulture) };
        }

        if (!IsService(process))
        {
            throw new KompoxException("ServiceProcessNotFound", ErrorKind.NotFound, $"process {processId} is not a Kompox service (its command line does not run Kompox.Service.dll); it was left alone") { Target = processId.ToString(System.Globalization.CultureInfo.InvariantCulture) };
        }

        try
        {
            if (process.HasExited)
            {
                return true;
            }

            if (!OperatingSystem.IsWindows() && SysKill(processId, SigTerm) == 0)
            {
                using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                limit.CancelAfter(timeout);
                try
                {
                    await process.WaitForExitAsync(limit.Token).ConfigureAwait(false);
                    return true;
                }
                catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                    // It did not end in time: killed below.
                }
            }

            Kill(process);
            await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
            return false;
        }
        finally
        {
            Started.TryRemove(processId, out _);
        }
    }

    /// <summary>Whether the process runs Kompox.Service.dll: on Linux its command line says; elsewhere a dotnet process is taken as one.</summary>
    private static bool IsService(Process process)
    {
        if (Started.ContainsKey(process.Id))
        {
            return true;
        }

        var cmdline = $"/proc/{process.Id}/cmdline";
        if (OperatingSystem.IsLinux() && File.Exists(cmdline))
        {
            try
            {
                return File.ReadAllText(cmdline).Split('\0').Any(a => Path.GetFileName(a).Equals("Kompox.Service.dll", StringComparison.OrdinalIgnoreCase) || Path.GetFileName(a).Equals("Kompox.Service", StringComparison.Ordinal));
            }
            catch (IOException)
            {
                return false;
            }
        }

        try
        {
            return process.ProcessName.StartsWith("dotnet", StringComparison.OrdinalIgnoreCase) || process.ProcessName.StartsWith("Kompox.Service", StringComparison.OrdinalIgnoreCase);
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }

    private static void Kill(Process process)
    {
        try
        {
            process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
    }

    private static int FreePort(IPAddress address)
    {
        using var listener = new TcpListener(address, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>Runs a program to its end and returns its standard output; null when it cannot be started.</summary>
    private static async Task<string?> RunToEndAsync(string program, string[] arguments, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo(program) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        try
        {
            using var process = Process.Start(start);
            if (process is null)
            {
                return null;
            }

            var text = await process.StandardOutput.ReadToEndAsync(cancellationToken).ConfigureAwait(false);
            await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
            return text;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return null;
        }
    }

    private const int SigTerm = 15;

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int SysKill(int pid, int signal);
}
