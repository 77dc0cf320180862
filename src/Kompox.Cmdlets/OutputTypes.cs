using Kompox.Config;
using Kompox.Operations;
using Engine = Kompox.Model;

// PowerShell resolves type names ([Kompox.PowerShell.KompoxApp], -is, OutputType, format views) only among
// assemblies in the default load context, where the engine is deliberately not. These wrappers live in the
// cmdlet assembly, so users and scripts can name them; each keeps the engine object it shows.
namespace Kompox.PowerShell;

/// <summary>What Service, Provider, Cluster and App share, so one pipeline can carry all four.</summary>
public abstract class KompoxResource
{
    /// <summary>Service, Provider, Cluster or App.</summary>
    public abstract string Kind { get; }

    public abstract string Name { get; }

    /// <summary>The resource's path from the service down, e.g. <c>ops/aks1/my-aks/my-app</c>.</summary>
    public abstract string Id { get; }

    /// <summary>The Id: what a list or a table shows of an object that holds a resource (a status's App).</summary>
    public override string ToString() => Id;
}

public sealed class KompoxService : KompoxResource
{
    internal KompoxService(Engine.KompoxService model) => Model = model;

    public override string Kind => "Service";

    public override string Name => Model.Name;

    public override string Id => Model.Id;

    /// <summary>The kompoxops.yml this came from, or null in service mode.</summary>
    public string? ConfigPath => Model.ConfigPath;

    internal Engine.KompoxService Model { get; }
}

public sealed class KompoxProvider : KompoxResource
{
    internal KompoxProvider(Engine.KompoxProvider model, KompoxService service)
    {
        Model = model;
        Service = service;
    }

    public override string Kind => "Provider";

    public override string Name => Model.Name;

    public override string Id => Model.Id;

    public string Driver => Model.Driver;

    public IReadOnlyDictionary<string, string> Settings => Model.Settings;

    public KompoxService Service { get; }

    internal Engine.KompoxProvider Model { get; }
}

public sealed class KompoxCluster : KompoxResource
{
    internal KompoxCluster(Engine.KompoxCluster model, KompoxProvider provider)
    {
        Model = model;
        Provider = provider;
    }

    public override string Kind => "Cluster";

    public override string Name => Model.Name;

    public override string Id => Model.Id;

    public string Domain => Model.Domain;

    /// <summary>The apps' DNS domain <c>{cluster}.{domain}</c>.</summary>
    public string AppDomain => Model.AppDomain;

    public KompoxClusterAuth Auth => new(Model.Auth);

    public KompoxClusterIngress Ingress => new(Model.Ingress);

    public IReadOnlyDictionary<string, string> Settings => Model.Settings;

    public KompoxProvider Provider { get; }

    internal Engine.KompoxCluster Model { get; }

    /// <summary>The apps of the kompoxops.yml the cluster was read from: those a cluster status can give as Apps.</summary>
    internal IReadOnlyList<KompoxApp> ConfiguredApps { get; set; } = Array.Empty<KompoxApp>();
}

/// <summary>How Kompox reaches a cluster's API: through kubectl's kubeconfig and context.</summary>
public sealed class KompoxClusterAuth
{
    internal KompoxClusterAuth(Engine.ClusterAuth model) => Model = model;

    public string Type => Model.Type;

    /// <summary>Path of the kubeconfig file; null means kubectl's default.</summary>
    public string? Kubeconfig => Model.Kubeconfig;

    /// <summary>The kubeconfig context; null means its current context.</summary>
    public string? Context => Model.Context;

    internal Engine.ClusterAuth Model { get; }

    public override string ToString() => Model.ToString();
}

/// <summary>The ingress controller Kompox installs in a cluster and the namespace it runs in.</summary>
public sealed class KompoxClusterIngress
{
    internal KompoxClusterIngress(Engine.ClusterIngress model) => Model = model;

    public string Controller => Model.Controller;

    public string Namespace => Model.Namespace;

    internal Engine.ClusterIngress Model { get; }

    public override string ToString() => Model.ToString();
}

public sealed class KompoxApp : KompoxResource
{
    internal KompoxApp(Engine.KompoxApp model, KompoxCluster cluster)
    {
        Model = model;
        Cluster = cluster;
    }

    public override string Kind => "App";

    public override string Name => Model.Name;

    /// <summary><c>{service}/{provider}/{cluster}/{app}</c>, the value of the <c>kompox-app</c> tag.</summary>
    public override string Id => Model.Id;

    public string Compose => Model.Compose;

    public string? ComposePath => Model.ComposePath;

    public IReadOnlyDictionary<string, string> Ingress => Model.Ingress;

    public IReadOnlyDictionary<string, string> Resources => Model.Resources;

    public IReadOnlyDictionary<string, string> Settings => Model.Settings;

    public string? Owner => Model.Owner;

    /// <summary>The kompoxops.yml the app was read from; for an app found on its cluster, the one it was last deployed from, when known.</summary>
    public string? ConfigPath => Model.ConfigPath;

    /// <summary>Known only from its namespace on the cluster (Get-KompoxApp -Cluster): no compose file is at hand, so it can be inspected and removed, not deployed.</summary>
    public bool FoundOnCluster => Model.FoundOnCluster;

    public KompoxCluster Cluster { get; }

    /// <summary>The Kompox service the app is registered in, or null for an app from kompoxops.yml.</summary>
    public Uri? ServiceUri => Client?.Uri;

    internal Engine.KompoxApp Model { get; }

    /// <summary>The connection the app came from (Connect-KompoxService); its operations go through it.</summary>
    internal Kompox.Operations.Remote.ServiceClient? Client { get; init; }
}

/// <summary>One problem in a user's file; a failed validation's ErrorRecord carries them as its TargetObject.</summary>
public sealed class KompoxDiagnostic
{
    internal KompoxDiagnostic(Diagnostic model) => Model = model;

    public string Severity => Model.Severity.ToString();

    /// <summary>File name, line and column, e.g. <c>compose.yml:12:5</c>; <see cref="File"/> has the full path.</summary>
    public string Location => Model.Location;

    public string File => Model.File;

    public int Line => Model.Line;

    public int Column => Model.Column;

    public string Key => Model.Key;

    public string? Service => Model.Service;

    public string Message => Model.Message;

    /// <summary>True for a key that has no effect in one Pod (<c>restart</c>, <c>depends_on</c> ...): the cmdlets summarise these in one warning per app.</summary>
    public bool NoEffect => Model.NoEffect;

    /// <summary>True for a warning that holds for every run of an unchanged app (no effect in one Pod, no disk given): the cmdlets summarise these in one warning per app.</summary>
    public bool Routine => Model.Routine;

    internal Diagnostic Model { get; }

    public override string ToString() => Model.ToString();
}

/// <summary>One Kubernetes object of an app's manifest.</summary>
public sealed class KompoxManifestObject
{
    internal KompoxManifestObject(ManifestDocument model) => Model = model;

    public string ApiVersion => Model.ApiVersion;

    public string Kind => Model.Kind;

    public string? Namespace => Model.Namespace;

    public string Name => Model.Name;

    /// <summary>The object as one YAML document.</summary>
    public string Yaml => Model.Yaml;

    internal ManifestDocument Model { get; }

    public override string ToString() => $"{Kind}/{Name}";
}

/// <summary>What Test-KompoxApp found: whether the app converts, every error and warning, and the objects it would apply.</summary>
public sealed class KompoxAppValidation
{
    internal KompoxAppValidation(AppValidation model, KompoxApp app)
    {
        App = app;
        IsValid = model.IsValid;
        Errors = model.Errors.Select(d => new KompoxDiagnostic(d)).ToArray();
        Warnings = model.Warnings.Select(d => new KompoxDiagnostic(d)).ToArray();
        Objects = model.Documents.Select(d => new KompoxManifestObject(d)).ToArray();
    }

    public KompoxApp App { get; }

    public bool IsValid { get; }

    public KompoxDiagnostic[] Errors { get; }

    public KompoxDiagnostic[] Warnings { get; }

    public KompoxManifestObject[] Objects { get; }

    public override string ToString() => $"{App.Id}: {(IsValid ? "valid" : $"{Errors.Length} error(s)")}";
}

internal static class KompoxResources
{
    /// <summary>The resources of one kompoxops.yml, wrapped and linked: Service, Provider, Cluster, then each App.</summary>
    public static KompoxResource[] From(ConfigResult config)
    {
        var service = new KompoxService(config.Service);
        var provider = new KompoxProvider(config.Provider, service);
        var cluster = new KompoxCluster(config.Cluster, provider);
        var apps = config.Apps.Select(a => new KompoxApp(a, cluster)).ToArray();
        cluster.ConfiguredApps = apps;
        return new KompoxResource[] { service, provider, cluster }.Concat(apps).ToArray();
    }
}

/// <summary>A Kompox app found on a cluster, from its namespace.</summary>
public sealed class KompoxClusterApp
{
    internal KompoxClusterApp(ClusterApp model, KompoxApp? app)
    {
        Model = model;
        App = app;
    }

    /// <summary>
    /// The app, when it is the one of the kompoxops.yml the cluster was read from, so that it pipes into the app
    /// cmdlets; null for the other apps on the cluster, whose kompoxops.yml Kompox does not know.
    /// </summary>
    public KompoxApp? App { get; }

    /// <summary><c>{service}/{provider}/{cluster}/{app}</c>, from the namespace's <c>kompox.dev/app</c> annotation.</summary>
    public string AppId => Model.AppId;

    public string Namespace => Model.Namespace;

    /// <summary>The app's current disk; null before its first deploy.</summary>
    public string? DiskId => Model.DiskId;

    internal ClusterApp Model { get; }

    public override string ToString() => AppId;
}

/// <summary>What Get-KompoxCluster and Initialize-KompoxCluster found on a cluster: its API server, the cluster ingress and the apps.</summary>
public sealed class KompoxClusterStatus
{
    internal KompoxClusterStatus(ClusterStatus model, KompoxCluster cluster)
    {
        Model = model;
        Cluster = cluster;
        Apps = model.Apps.Select(a => new KompoxClusterApp(a, cluster.ConfiguredApps.FirstOrDefault(c => c.Id == a.AppId))).ToArray();
    }

    public KompoxCluster Cluster { get; }

    /// <summary>The API server's URL.</summary>
    public string Server => Model.Server;

    /// <summary>The kubeconfig context used; null for its current one.</summary>
    public string? Context => Model.Context;

    public string ServerVersion => Model.ServerVersion;

    public string IngressNamespace => Model.IngressNamespace;

    /// <summary>The ingress Deployment exists.</summary>
    public bool IngressInstalled => Model.IngressInstalled;

    /// <summary>The ingress has an available replica.</summary>
    public bool IngressReady => Model.IngressReady;

    /// <summary>The ingress's public IP address; null until the cloud gives one.</summary>
    public string? LoadBalancerIP => Model.LoadBalancerIP;

    /// <summary>The ingress's public host name, on clouds that give one.</summary>
    public string? LoadBalancerHostName => Model.LoadBalancerHostName;

    /// <summary>Where custom DNS records should point: the IP address, else the host name, else null.</summary>
    public string? Address => Model.LoadBalancerIP ?? Model.LoadBalancerHostName;

    /// <summary>The network policy engine the provider says the cluster runs (AKS: azure, calico, cilium or none); null where it does not say.</summary>
    public string? NetworkPolicy => Model.NetworkPolicy;

    /// <summary>Whether the apps' NetworkPolicies are enforced (their isolation from each other); null when unknown.</summary>
    public bool? NetworkPolicyEnforced => Model.NetworkPolicyEnforced;

    /// <summary>What the cluster runs of k3s's bundled Traefik, which must be disabled (--disable=traefik); null when nothing.</summary>
    public string? BundledIngress => Model.BundledIngress;

    public KompoxClusterApp[] Apps { get; }

    internal ClusterStatus Model { get; }

    public override string ToString() => $"{Cluster.Id}: ingress {(IngressInstalled ? IngressReady ? "ready" : "installed, not ready" : "not installed")}";
}

/// <summary>One container of an app's Pod (one compose service), as Get-KompoxApp shows it.</summary>
public sealed class KompoxAppContainer
{
    internal KompoxAppContainer(AppContainerStatus model) => Model = model;

    /// <summary>The compose service.</summary>
    public string Name => Model.Name;

    public string Image => Model.Image;

    /// <summary>Waiting, Running or Terminated (Unknown before the kubelet reports).</summary>
    public string State => Model.State;

    /// <summary>Why it waits or ended: CrashLoopBackOff, ImagePullBackOff, Completed ...</summary>
    public string? Reason => Model.Reason;

    public string? Message => Model.Message;

    public bool Ready => Model.Ready;

    public int RestartCount => Model.RestartCount;

    /// <summary>How its previous run ended (Error, OOMKilled ...), null when it has not restarted.</summary>
    public string? LastTerminationReason => Model.LastTerminationReason;

    public int? LastExitCode => Model.LastExitCode;

    internal AppContainerStatus Model { get; }

    public override string ToString() => Reason is null ? $"{Name}: {State}" : $"{Name}: {State} {Reason}";
}

/// <summary>What New-KompoxApp and Get-KompoxApp found of an app on its cluster; an app not deployed has one too.</summary>
public sealed class KompoxAppStatus
{
    internal KompoxAppStatus(AppStatus model, KompoxApp? app)
    {
        Model = model;
        App = app;
        Containers = model.Containers.Select(c => new KompoxAppContainer(c)).ToArray();
    }

    /// <summary>
    /// The app, which pipes into the app cmdlets. From <c>Get-KompoxApp -Cluster</c>, an app whose config is not at hand
    /// is one known from its namespace only (FoundOnCluster): it can be inspected and removed, not deployed. Null for an
    /// app of another cluster id that shares the cluster.
    /// </summary>
    public KompoxApp? App { get; }

    public string AppId => Model.AppId;

    public string Namespace => Model.Namespace;

    /// <summary>The kompoxops.yml the app was last deployed from, as its namespace records it; null when unknown.</summary>
    public string? ConfigPath => Model.ConfigPath;

    /// <summary>The machine (host name) <see cref="ConfigPath"/> is on.</summary>
    public string? ConfigHost => Model.ConfigHost;

    /// <summary>The app's Deployment exists.</summary>
    public bool Deployed => Model.Deployed;

    /// <summary>Its Pod is Ready and available.</summary>
    public bool Ready => Model.Ready;

    public string? PodName => Model.PodName;

    /// <summary>Pending, Running, Succeeded, Failed or Unknown.</summary>
    public string? PodPhase => Model.PodPhase;

    public KompoxAppContainer[] Containers { get; }

    /// <summary>https:// for every host of the app's applied Ingresses: the default hosts and the custom ones.</summary>
    public string[] Urls => Model.Urls.ToArray();

    public string? CurrentDiskId => Model.CurrentDiskId;

    public string? PreviousDiskId => Model.PreviousDiskId;

    internal AppStatus Model { get; }

    public override string ToString() => $"{AppId}: {(!Deployed ? "not deployed" : Ready ? "ready" : "not ready")}";
}

/// <summary>What Remove-KompoxApp deleted of an app; its namespace, disks and snapshots are kept.</summary>
public sealed class KompoxAppRemoval
{
    internal KompoxAppRemoval(AppDestroyResult model, KompoxApp app)
    {
        Model = model;
        App = app;
    }

    public KompoxApp App { get; }

    public string Namespace => Model.Namespace;

    /// <summary>The app's namespace existed; when false there was nothing to remove.</summary>
    public bool WasDeployed => Model.WasDeployed;

    /// <summary>The objects deleted, as "Kind namespace/name", in the order they were.</summary>
    public string[] Deleted => Model.Deleted.Select(o => o.ToString()).ToArray();

    internal AppDestroyResult Model { get; }

    public override string ToString() => $"{App.Id}: {Deleted.Length} objects deleted";
}

/// <summary>One line of an app's logs, as Get-KompoxAppLog writes it; shown as <c>service | message</c>.</summary>
public sealed class KompoxAppLogLine
{
    internal KompoxAppLogLine(AppLogLine model, KompoxApp app)
    {
        Model = model;
        App = app;
    }

    public KompoxApp App { get; }

    /// <summary>The compose service, which is the container's name.</summary>
    public string Service => Model.Service;

    /// <summary>When the container runtime received the line, in UTC.</summary>
    public DateTimeOffset Timestamp => Model.Timestamp;

    public string Message => Model.Message;

    internal AppLogLine Model { get; }

    public override string ToString() => Model.ToString();
}

/// <summary>A kubeconfig for one app's namespace (Get-KompoxAppCredential); <see cref="Kubeconfig"/> holds its text.</summary>
public sealed class KompoxAppCredential
{
    internal KompoxAppCredential(AppCredential model, KompoxApp app, string? path)
    {
        Model = model;
        App = app;
        KubeconfigPath = path;
    }

    public KompoxApp App { get; }

    /// <summary>The kubeconfig's YAML; with a token, it is a secret until <see cref="ExpiresAt"/>.</summary>
    public string Kubeconfig => Model.Kubeconfig;

    /// <summary>
    /// The file written with -OutFile (mode 0600); null otherwise. Not named Path: PowerShell binds a Path property to
    /// the app cmdlets' -Path before their -App, and this file is a kubeconfig, not a kompoxops.yml.
    /// </summary>
    public string? KubeconfigPath { get; }

    public string Server => Model.Server;

    public string Namespace => Model.Namespace;

    /// <summary>Who the credential authenticates as: the app's ServiceAccount, or the Entra ID principals for kubelogin.</summary>
    public string User => Model.User;

    public string ServiceAccount => Model.ServiceAccount;

    /// <summary>When the token expires; null for kubelogin, which gets its own tokens.</summary>
    public DateTimeOffset? ExpiresAt => Model.ExpiresAt;

    /// <summary>The kubeconfig's context, cluster and user name.</summary>
    public string Context => Model.ContextName;

    /// <summary>The kubeconfig runs kubelogin instead of holding a token.</summary>
    public bool Kubelogin => Model.Kubelogin;

    internal AppCredential Model { get; }

    public override string ToString() => $"{App.Id}: {User}" + (ExpiresAt is { } expires ? $" until {expires:u}" : " through kubelogin");
}
