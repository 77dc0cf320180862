using System.Text.Json.Nodes;
using Kompox.Operations;

namespace Kompox.Service;

// The JSON the API reads and writes (camelCase by ApiJson). Request bodies refuse unknown fields; a field that is not
// nullable here is required.

public sealed record ServiceInfo(string Name, string Version);

public sealed record ServiceUpdate(string Name);

public sealed record ProviderBody(string Name, string Driver, Dictionary<string, string>? Settings = null);

public sealed record ProviderInfo(string Name, string Driver, Dictionary<string, string> Settings);

public sealed record IngressBody(string? Controller = null, string? Namespace = null);

public sealed record CredentialBody(string? Kubeconfig = null, string? Context = null, bool? InCluster = null);

public sealed record ClusterBody(string Name, string Provider, string Domain, Dictionary<string, string>? Settings = null, IngressBody? Ingress = null, CredentialBody? Credential = null);

public sealed record IngressInfo(string Controller, string Namespace);

public sealed record CredentialInfo(string Type, string? Context);

/// <summary>A cluster; users get name, provider, domain and ingress only (no settings, no credential).</summary>
public sealed record ClusterInfo(string Name, string Provider, string Domain, IngressInfo Ingress, Dictionary<string, string>? Settings, CredentialInfo? Credential);

public sealed record UserBody(string Name, string Role, string? EntraObjectId = null);

/// <summary>A user; <see cref="Token"/> only in the answer that made it (shown once).</summary>
public sealed record UserInfo(string Name, string Role, string? EntraObjectId, string? Token);

public sealed record AppBody(string Name, string Cluster, string Compose, Dictionary<string, string>? Ingress = null, Dictionary<string, string>? Resources = null, Dictionary<string, string>? Settings = null);

public sealed record AppUpdate(string Compose, string? Name = null, string? Cluster = null, Dictionary<string, string>? Ingress = null, Dictionary<string, string>? Resources = null, Dictionary<string, string>? Settings = null);

public sealed record AppInfo(
    string Name,
    string Id,
    string Cluster,
    string Owner,
    string Compose,
    Dictionary<string, string> Ingress,
    Dictionary<string, string> Resources,
    Dictionary<string, string> Settings,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt);

public sealed record DeployBody(List<string>? Profiles = null);

public sealed record CredentialRequest(TimeSpan? Duration = null);

public sealed record AppCredentialInfo(string Kubeconfig, DateTimeOffset? ExpiresAt, string Namespace);

public sealed record SnapshotBody(string? DiskId = null, bool? StopApp = null);

public sealed record RestoreBody(bool? Switch = null);

public sealed record PinBody(bool Pinned);

public sealed record SnapshotPolicyInfo(Dictionary<string, string> Settings);

/// <summary>A snapshot-policy run as recorded: the engine's result with its errors as problem details.</summary>
public sealed record PolicyRunInfo(DateTimeOffset Time, string AppId, SnapshotPolicyOutcome Outcome, string Message, Drivers.SnapshotInfo? Taken, IReadOnlyList<PolicySnapshot> Kept, IReadOnlyList<PolicySnapshot> Pruned, IReadOnlyList<JsonObject> Errors);

public sealed record LogLine(DateTimeOffset Time, string Service, string Container, string Line);
