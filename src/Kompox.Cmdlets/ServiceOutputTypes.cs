using Kompox.Operations.Remote;

namespace Kompox.PowerShell;

/// <summary>A Kompox service Start-KompoxService started: where it answers and, on the first start of a new store, the administrator's token.</summary>
public sealed class KompoxServiceInstance
{
    internal KompoxServiceInstance(ServiceInstance model) => Model = model;

    public Uri Uri => Model.Uri;

    /// <summary>The OpenAPI document of the REST API.</summary>
    public Uri OpenApiUri => Model.OpenApiUri;

    public int ProcessId => Model.ProcessId;

    /// <summary>The administrator's token, on the first start of a new store only: it is shown once and never again.</summary>
    public string? Token => Model.Token;

    public string DataPath => Model.DataPath;

    internal ServiceInstance Model { get; }

    public override string ToString() => Uri.ToString();
}

/// <summary>How Stop-KompoxService ended a service.</summary>
public sealed class KompoxServiceStopped
{
    internal KompoxServiceStopped(int processId, bool graceful)
    {
        ProcessId = processId;
        Graceful = graceful;
    }

    public int ProcessId { get; }

    /// <summary>True when it ended on SIGTERM within the timeout; false when it had to be killed.</summary>
    public bool Graceful { get; }
}

/// <summary>The Kompox service the session is connected to (Connect-KompoxService).</summary>
public sealed class KompoxServiceConnection
{
    internal KompoxServiceConnection(Uri uri, ServiceInfo info)
    {
        Uri = uri;
        Name = info.Name;
        Version = info.Version;
    }

    public Uri Uri { get; }

    /// <summary>The service's name: the first part of its apps' ids.</summary>
    public string Name { get; }

    public string? Version { get; }

    public override string ToString() => Uri.ToString();
}

/// <summary>A user of a Kompox service; <see cref="Token"/> only from New-KompoxUser and Set-KompoxUser -NewToken, once.</summary>
public sealed class KompoxUser
{
    internal KompoxUser(ServiceUser model) => Model = model;

    public string Name => Model.Name;

    /// <summary>admin or user.</summary>
    public string Role => Model.Role;

    /// <summary>The Entra ID object id the user signs in as with an Entra ID token, if any.</summary>
    public string? EntraObjectId => Model.EntraObjectId;

    /// <summary>The user's bearer token: shown this once, stored by the service only as a hash.</summary>
    public string? Token => Model.Token;

    internal ServiceUser Model { get; }

    public override string ToString() => Name;
}
