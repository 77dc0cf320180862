using System.Net;
using Kompox.Operations;

namespace Kompox.PowerShell;

/// <summary>What Invoke-KompoxAppCommand -PassThru writes: the command's exit code and output.</summary>
public sealed class KompoxAppCommandResult
{
    internal KompoxAppCommandResult(AppExecResult result, KompoxApp app)
    {
        App = app;
        Service = result.Service;
        Pod = result.Pod;
        Command = result.Command.ToArray();
        ExitCode = result.ExitCode;
        Output = result.Stdout;
        Error = result.Stderr;
    }

    public KompoxApp App { get; }

    public string Service { get; }

    public string Pod { get; }

    public string[] Command { get; }

    public int ExitCode { get; }

    /// <summary>What the command wrote on stdout (with a terminal, stderr too).</summary>
    public string Output { get; }

    /// <summary>What the command wrote on stderr.</summary>
    public string Error { get; }
}

/// <summary>What Restart-KompoxApp -PassThru writes: the Pod before and the Ready Pod after.</summary>
public sealed class KompoxAppRestart
{
    internal KompoxAppRestart(AppRestartResult result, KompoxApp app)
    {
        App = app;
        PreviousPod = result.PreviousPod;
        Pod = result.Pod;
        RestartedAt = result.RestartedAt;
    }

    public KompoxApp App { get; }

    public string? PreviousPod { get; }

    public string Pod { get; }

    public DateTimeOffset RestartedAt { get; }
}

/// <summary>What Start-KompoxPortForward writes once it listens: where to connect.</summary>
public sealed class KompoxPortForward
{
    internal KompoxPortForward(KompoxApp app, string service, int port, IPEndPoint local)
    {
        App = app;
        Service = service;
        Port = port;
        LocalAddress = local.Address.ToString();
        LocalPort = local.Port;
    }

    public KompoxApp App { get; }

    public string Service { get; }

    /// <summary>The port in the Pod.</summary>
    public int Port { get; }

    public string LocalAddress { get; }

    public int LocalPort { get; }

    public override string ToString() => $"{LocalAddress}:{LocalPort} -> {Service}:{Port}";
}
