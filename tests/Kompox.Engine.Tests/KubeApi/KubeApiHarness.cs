using System.Diagnostics;
using System.Text.Json.Nodes;
using k8s.Autorest;
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

    public static async Task<KubeApiHarness> StartAsync(TimeProvider? time = null)
    {
        var directory = Path.Combine(Path.GetTempPath(), "kompox-kubeapi-" + Guid.NewGuid().ToString("N")[..12]);
        System.IO.Directory.CreateDirectory(directory);
        var server = await KubeApiServer.StartAsync(time).Within();

        // The engine's contexts run on this machine, where k3s disks are made: the node is this machine's.
        server.PresentNodeAsThisMachine();
        return new KubeApiHarness(server, directory);
    }

    /// <summary>
    /// Installs Kompox's cluster ingress in <paramref name="ns"/> as Initialize-KompoxCluster does (deploy refuses an app
    /// whose ingress namespace holds none), then forgets the requests, so that tests see only their own.
    /// </summary>
    public async Task InstallIngressAsync(string ns = "traefik")
    {
        var provider = new Kompox.Model.KompoxProvider { Name = "k3s1", Driver = "k3s", Settings = new Dictionary<string, string>(), Service = new Kompox.Model.KompoxService { Name = "ops" } };
        var cluster = new Kompox.Model.KompoxCluster
        {
            Name = "lab",
            Provider = provider,
            Auth = new Kompox.Model.ClusterAuth { Kubeconfig = Kubeconfig },
            Ingress = new Kompox.Model.ClusterIngress { Namespace = ns },
            Domain = "ops.example.com",
            Settings = new Dictionary<string, string>(),
        };
        var store = new Kompox.Store.ConfigFileStore();
        store.Add(cluster);
        await using var context = new Kompox.Operations.KompoxContext(new Kompox.Kube.KubeconfigClientFactory(), new Kompox.Drivers.DriverFactory(TimeProvider.System), store, TimeProvider.System);
        await new Kompox.Operations.ClusterOperations(context).InitializeIngressAsync(cluster.Id, null, CancellationToken.None).WaitAsync(TimeSpan.FromMinutes(1));
        Server.ClearRequests();
    }

    /// <summary>The real client, built from the server's kubeconfig as the engine builds it.</summary>
    public IKubernetes Client(string? kubeconfig = null) =>
        new Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigFile(kubeconfig ?? Kubeconfig));

    public async Task<V1Namespace> CreateNamespaceAsync(IKubernetes client, string name) =>
        await client.CoreV1.CreateNamespaceAsync(new V1Namespace { ApiVersion = "v1", Kind = "Namespace", Metadata = new() { Name = name } }).Within();

    /// <summary>The status code and Status body of a request the client got an error for.</summary>
    public static async Task<(int Code, JsonObject Status)> FailureAsync(Func<Task> request)
    {
        var error = await Assert.ThrowsAsync<HttpOperationException>(request).Within();
        return ((int)error.Response.StatusCode, (JsonObject)JsonNode.Parse(error.Response.Content)!);
    }

    public static V1Patch Apply(object body) => new(body, V1Patch.PatchType.ApplyPatch);

    public static V1ConfigMap ConfigMap(string ns, string name, IDictionary<string, string> data, IDictionary<string, string>? labels = null) => new()
    {
        ApiVersion = "v1",
        Kind = "ConfigMap",
        Metadata = new() { Name = name, NamespaceProperty = ns, Labels = labels },
        Data = data,
    };

    /// <summary>A Deployment as Kompox writes it: one replica, Recreate, its containers named in order.</summary>
    public static V1Deployment Deployment(string ns, string name, params (string Name, string Image)[] containers) => new()
    {
        ApiVersion = "apps/v1",
        Kind = "Deployment",
        Metadata = new() { Name = name, NamespaceProperty = ns },
        Spec = new()
        {
            Replicas = 1,
            Strategy = new() { Type = "Recreate" },
            Selector = new() { MatchLabels = new Dictionary<string, string> { ["app"] = name } },
            Template = new()
            {
                Metadata = new() { Labels = new Dictionary<string, string> { ["app"] = name } },
                Spec = new()
                {
                    Containers = containers.Select(c => new V1Container
                    {
                        Name = c.Name,
                        Image = c.Image,
                        Resources = new() { Limits = new Dictionary<string, ResourceQuantity> { ["cpu"] = new("500m"), ["memory"] = new("256Mi") } },
                    }).ToList(),
                },
            },
        },
    };

    /// <summary>A raw HTTPS request (trusting only the server's certificate), for what the client cannot send; no token when <paramref name="token"/> is null.</summary>
    public async Task<(int Code, string Body)> RawAsync(HttpMethod method, string pathAndQuery, string? token, string? contentType = null, string? body = null)
    {
        using var handler = new HttpClientHandler
        {
            ServerCertificateCustomValidationCallback = (_, certificate, _, _) => certificate?.ExportCertificatePem() == KubeApiServer.CertificatePem,
        };
        using var http = new HttpClient(handler) { BaseAddress = Server.BaseUri, Timeout = TimeSpan.FromSeconds(30) };
        using var request = new HttpRequestMessage(method, pathAndQuery);
        if (token is not null)
        {
            request.Headers.Authorization = new("Bearer", token);
        }
        if (body is not null)
        {
            request.Content = new StringContent(body);
            request.Content.Headers.ContentType = new(contentType ?? "application/json");
        }
        using var response = await http.SendAsync(request).Within();
        return ((int)response.StatusCode, await response.Content.ReadAsStringAsync().Within());
    }

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
        // The flags go before a "--", after which kubectl exec takes the container's command.
        var dashes = Array.IndexOf(args, "--");
        foreach (var arg in dashes < 0 ? args : args[..dashes])
        {
            start.ArgumentList.Add(arg);
        }
        start.ArgumentList.Add("--kubeconfig=" + (kubeconfig ?? Kubeconfig));
        start.ArgumentList.Add("--cache-dir=" + Path.Combine(Directory, "kubectl-cache"));
        foreach (var arg in dashes < 0 ? [] : args[dashes..])
        {
            start.ArgumentList.Add(arg);
        }
        start.Environment["HOME"] = Directory;
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (stdin is not null)
        {
            await process.StandardInput.WriteAsync(stdin).Within();
            process.StandardInput.Close();
        }
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        try
        {
            await process.WaitForExitAsync(timeout.Token).Within();
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"kubectl {string.Join(" ", args)} did not finish in 60 s");
        }
        return (process.ExitCode, await stdout.Within(), await stderr.Within());
    }

    public Task<(int ExitCode, string Stdout, string Stderr)> KubectlAsync(params string[] args) => KubectlWithAsync(null, null, args);

    public async ValueTask DisposeAsync()
    {
        await Server.DisposeAsync().Within();
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
