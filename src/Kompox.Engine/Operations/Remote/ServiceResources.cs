using System.Text.Json;
using Kompox.Model;

namespace Kompox.Operations.Remote;

/// <summary>An RFC 9457 problem as the service writes it, with the engine's error id and remedy.</summary>
public sealed record ServiceProblem
{
    public string? Type { get; init; }

    public string? Title { get; init; }

    public int? Status { get; init; }

    public string? Detail { get; init; }

    public string? ErrorId { get; init; }

    public string? Target { get; init; }

    public ServiceRemedy? Remedy { get; init; }
}

/// <summary>The engine's <see cref="Kompox.Remedy"/> as JSON: its kind's name and its option.</summary>
public sealed record ServiceRemedy(string Kind, string? Option = null);

/// <summary>A long operation of the service: <c>/v1/operations/{id}</c>.</summary>
public sealed record ServiceOperation
{
    public string Id { get; init; } = string.Empty;

    public string? Kind { get; init; }

    public string? App { get; init; }

    /// <summary>running, succeeded, failed or cancelled.</summary>
    public string State { get; init; } = "running";

    public ServiceOperationProgress? Progress { get; init; }

    public JsonElement? Result { get; init; }

    public ServiceProblem? Problem { get; init; }
}

public sealed record ServiceOperationProgress(string? Activity, string? Step, int? Percent, long? BytesDone, long? BytesTotal);

/// <summary><c>/v1/service</c>.</summary>
public sealed record ServiceInfo(string Name, string? Version);

/// <summary>An app registered in the service (<c>/v1/apps/{name}</c>).</summary>
public sealed record ServiceApp
{
    public string Name { get; init; } = string.Empty;

    public string? Id { get; init; }

    public string Cluster { get; init; } = string.Empty;

    public string? Owner { get; init; }

    public string Compose { get; init; } = string.Empty;

    public IReadOnlyDictionary<string, string>? Ingress { get; init; }

    public IReadOnlyDictionary<string, string>? Resources { get; init; }

    public IReadOnlyDictionary<string, string>? Settings { get; init; }

    public DateTimeOffset? CreatedAt { get; init; }

    public DateTimeOffset? UpdatedAt { get; init; }

    /// <summary>The engine's app, on the cluster the service describes, so that front ends show it as they show an app from kompoxops.yml.</summary>
    public KompoxApp ToModel(KompoxCluster cluster) => new()
    {
        Name = Name,
        Cluster = cluster,
        Compose = Compose,
        Ingress = Ingress ?? new Dictionary<string, string>(),
        Resources = Resources ?? new Dictionary<string, string>(),
        Settings = Settings ?? new Dictionary<string, string>(),
        Owner = Owner,
    };
}

/// <summary>What registers or changes an app: <c>POST /v1/apps</c>, <c>PUT /v1/apps/{name}</c>.</summary>
public sealed record AppRegistration
{
    public required string Name { get; init; }

    public required string Cluster { get; init; }

    public required string Compose { get; init; }

    public IReadOnlyDictionary<string, string>? Ingress { get; init; }

    public IReadOnlyDictionary<string, string>? Resources { get; init; }

    public IReadOnlyDictionary<string, string>? Settings { get; init; }
}

/// <summary>A provider of the service (<c>/v1/providers/{name}</c>); secret settings come back as <c>***</c>.</summary>
public sealed record ServiceProvider
{
    public required string Name { get; init; }

    public required string Driver { get; init; }

    public IReadOnlyDictionary<string, string>? Settings { get; init; }
}

/// <summary>A cluster of the service (<c>/v1/clusters/{name}</c>); its credential is sent, never returned.</summary>
public sealed record ServiceCluster
{
    public required string Name { get; init; }

    public string Provider { get; init; } = string.Empty;

    public string Domain { get; init; } = string.Empty;

    public IReadOnlyDictionary<string, string>? Settings { get; init; }

    public ServiceIngress? Ingress { get; init; }

    public ServiceClusterCredential? Credential { get; init; }

    /// <summary>The engine's cluster: the service and provider named, the credential as the service describes it.</summary>
    public KompoxCluster ToModel(string serviceName, string? driver) => new()
    {
        Name = Name,
        Domain = Domain,
        Settings = Settings ?? new Dictionary<string, string>(),
        Ingress = Ingress is { } i ? new ClusterIngress { Controller = i.Controller ?? "traefik", Namespace = i.Namespace ?? "traefik" } : new ClusterIngress(),
        // The kubeconfig stays in the service: the auth says what kind it is and which context, never a path here.
        Auth = new ClusterAuth { Type = Credential?.Type ?? "service", Context = Credential?.Context },
        Provider = new KompoxProvider { Name = Provider, Driver = driver ?? string.Empty, Settings = new Dictionary<string, string>(), Service = new KompoxService { Name = serviceName } },
    };
}

public sealed record ServiceIngress(string? Controller, string? Namespace);

/// <summary>
/// A cluster's credential: sent as the kubeconfig's content (and a context) or as the service's in-cluster identity;
/// read back as its <see cref="Type"/> and context only.
/// </summary>
public sealed record ServiceClusterCredential
{
    public string? Type { get; init; }

    public string? Kubeconfig { get; init; }

    public string? Context { get; init; }

    public bool? InCluster { get; init; }
}

/// <summary>A user of the service (<c>/v1/users/{name}</c>); <see cref="Token"/> only in the answer that made it.</summary>
public sealed record ServiceUser
{
    public required string Name { get; init; }

    public string Role { get; init; } = "user";

    public string? EntraObjectId { get; init; }

    public string? Token { get; init; }
}
