using System.Diagnostics;
using k8s;
using k8s.Models;
using Kompox.Testing.KubeApi;

namespace Kompox.Tests.KubeApi;

/// <summary>A started <see cref="KubeApiServer"/>, its admin kubeconfig in a temporary directory, and ways to talk to it: the client and kubectl.</summary>
internal sealed class KubeApiHarness : IAsyncDisposable
{
    private KubeApiHarness(KubeApiServer server, string directory)
    {
        Server = server;
        Directory = directory;
        Kubeconfig = server.WriteKubeconfig(Path.Combine(directory, "admin.kubeconfig"));
    }

    public KubeApiServer Server { get; }

    public string Directory { get; }

    public string Kubeconfig { get; }

    public static async Task<KubeApiHarness> StartAsync()
    {
        var directory = Path.Combine(Path.GetTempPath(), "kompox-kubeapi-" + Guid.NewGuid().ToString("N")[..12]);
        System.IO.Directory.CreateDirectory(directory);
        return new KubeApiHarness(await KubeApiServer.StartAsync(), directory);
    }

    /// <summary>The real client, built from the server's kubeconfig as the engine builds it.</summary>
    public IKubernetes Client(string? kubeconfig = null) =>
        new Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigFile(kubeconfig ?? Kubeconfig));

    public async Task<V1Namespace> CreateNamespaceAsync(IKubernetes client, string name) =>
        await client.CoreV1.CreateNamespaceAsync(new V1Namespace { ApiVersion = "v1", Kind = "Namespace", Metadata = new() { Name = name } });

    /// <summary>Runs kubectl 1.32 against the server (discovery cache inside the temporary directory); at most 60 seconds.</summary>
    public async Task<(int ExitCode, string Stdout, string Stderr)> KubectlWithAsync(string? kubeconfig, string? stdin, params string[] args)
    {
        var start = new ProcessStartInfo("kubectl")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = stdin is not null,
            UseShellExecute = false,
        };
        // The command comes first: the packaged kubectl is a version dispatcher that reads flags after it.
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }
        start.ArgumentList.Add("--kubeconfig=" + (kubeconfig ?? Kubeconfig));
        start.ArgumentList.Add("--cache-dir=" + Path.Combine(Directory, "kubectl-cache"));
        start.Environment["HOME"] = Directory;
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (stdin is not null)
        {
            await process.StandardInput.WriteAsync(stdin);
            process.StandardInput.Close();
        }
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"kubectl {string.Join(" ", args)} did not finish in 60 s");
        }
        return (process.ExitCode, await stdout, await stderr);
    }

    public Task<(int ExitCode, string Stdout, string Stderr)> KubectlAsync(params string[] args) => KubectlWithAsync(null, null, args);

    public async ValueTask DisposeAsync()
    {
        await Server.DisposeAsync();
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
            // A kubectl cache file still being written; the temporary directory is cleaned by the system.
        }
    }
}
