using Engine = Kompox.Model;

// PowerShell resolves type names ([Kompox.PowerShell.KompoxApp], -is, OutputType, format views) only among
// assemblies in the default load context, where the engine is deliberately not. These wrappers live in the
// cmdlet assembly, so users and scripts can name them; each keeps the engine object it shows.
namespace Kompox.PowerShell;

public sealed class KompoxService
{
    internal KompoxService(Engine.KompoxService model) => Model = model;

    public string Kind => "Service";

    public string Name => Model.Name;

    public string Id => Model.Id;

    /// <summary>The kompoxops.yml this came from, or null in service mode.</summary>
    public string? ConfigPath => Model.ConfigPath;

    internal Engine.KompoxService Model { get; }

    public override string ToString() => Id;
}

public sealed class KompoxProvider
{
    internal KompoxProvider(Engine.KompoxProvider model, KompoxService service)
    {
        Model = model;
        Service = service;
    }

    public string Kind => "Provider";

    public string Name => Model.Name;

    public string Id => Model.Id;

    public string Driver => Model.Driver;

    public IReadOnlyDictionary<string, string> Settings => Model.Settings;

    public KompoxService Service { get; }

    internal Engine.KompoxProvider Model { get; }

    public override string ToString() => Id;
}

public sealed class KompoxCluster
{
    internal KompoxCluster(Engine.KompoxCluster model, KompoxProvider provider)
    {
        Model = model;
        Provider = provider;
    }

    public string Kind => "Cluster";

    public string Name => Model.Name;

    public string Id => Model.Id;

    public string Domain => Model.Domain;

    /// <summary>The apps' DNS domain <c>{cluster}.{domain}</c>.</summary>
    public string AppDomain => Model.AppDomain;

    /// <summary><c>Type</c>, <c>Kubeconfig</c> and <c>Context</c> of the cluster's credentials.</summary>
    public Engine.ClusterAuth Auth => Model.Auth;

    /// <summary><c>Controller</c> and <c>Namespace</c> of the cluster's ingress.</summary>
    public Engine.ClusterIngress Ingress => Model.Ingress;

    public IReadOnlyDictionary<string, string> Settings => Model.Settings;

    public KompoxProvider Provider { get; }

    internal Engine.KompoxCluster Model { get; }

    public override string ToString() => Id;
}

public sealed class KompoxApp
{
    internal KompoxApp(Engine.KompoxApp model, KompoxCluster cluster)
    {
        Model = model;
        Cluster = cluster;
    }

    public string Kind => "App";

    public string Name => Model.Name;

    /// <summary><c>{service}/{provider}/{cluster}/{app}</c>, the value of the <c>kompox-app</c> tag.</summary>
    public string Id => Model.Id;

    public string Compose => Model.Compose;

    public string? ComposePath => Model.ComposePath;

    public IReadOnlyDictionary<string, string> Ingress => Model.Ingress;

    public IReadOnlyDictionary<string, string> Resources => Model.Resources;

    public IReadOnlyDictionary<string, string> Settings => Model.Settings;

    public string? Owner => Model.Owner;

    public KompoxCluster Cluster { get; }

    internal Engine.KompoxApp Model { get; }

    public override string ToString() => Id;
}

/// <summary>One problem in a user's file; a failed validation's ErrorRecord carries them as its TargetObject.</summary>
public sealed class KompoxDiagnostic
{
    internal KompoxDiagnostic(Diagnostic model) => Model = model;

    public string Severity => Model.Severity.ToString();

    public string File => Model.File;

    public int Line => Model.Line;

    public int Column => Model.Column;

    public string Key => Model.Key;

    public string? Service => Model.Service;

    public string Message => Model.Message;

    internal Diagnostic Model { get; }

    public override string ToString() => Model.ToString();
}
