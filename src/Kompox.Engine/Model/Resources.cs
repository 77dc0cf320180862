namespace Kompox.Model;

/// <summary>The singleton Kompox service that owns providers.</summary>
public sealed class KompoxService
{
    public required string Name { get; init; }

    /// <summary>The kompoxops.yml this came from, or null in service mode.</summary>
    public string? ConfigPath { get; init; }

    public string Id => Name;

    public override string ToString() => Id;
}

public sealed class KompoxProvider
{
    public required string Name { get; init; }

    public required string Driver { get; init; }

    public required IReadOnlyDictionary<string, string> Settings { get; init; }

    public required KompoxService Service { get; init; }

    public string Id => $"{Service.Name}/{Name}";

    public override string ToString() => Id;
}

public sealed class ClusterAuth
{
    public string Type { get; init; } = "kubectl";

    /// <summary>Path of the kubeconfig file, '~' expanded; null means the kubectl default.</summary>
    public string? Kubeconfig { get; init; }

    public string? Context { get; init; }

    public override string ToString() => $"{Type} context {Context ?? "(current)"} from {Kubeconfig ?? "(default kubeconfig)"}";
}

public sealed class ClusterIngress
{
    public string Controller { get; init; } = "traefik";

    public string Namespace { get; init; } = "traefik";

    public override string ToString() => $"{Controller} in namespace {Namespace}";
}

public sealed class KompoxCluster
{
    public required string Name { get; init; }

    public required KompoxProvider Provider { get; init; }

    public required ClusterAuth Auth { get; init; }

    public required ClusterIngress Ingress { get; init; }

    public required string Domain { get; init; }

    public required IReadOnlyDictionary<string, string> Settings { get; init; }

    /// <summary>The apps' DNS domain <c>{cluster}.{domain}</c>; its wildcard certificate covers every default host.</summary>
    public string AppDomain => $"{Name}.{Domain}";

    public string Id => $"{Provider.Id}/{Name}";

    public override string ToString() => Id;
}

/// <summary>One compose file of an app: its full path and its text.</summary>
public sealed record ComposeFileText(string Path, string Text);

public sealed class KompoxApp
{
    public required string Name { get; init; }

    public required KompoxCluster Cluster { get; init; }

    /// <summary>The compose file's text.</summary>
    public required string Compose { get; init; }

    /// <summary>Full path of the compose file, or null when the compose text did not come from a file.</summary>
    public string? ComposePath { get; init; }

    /// <summary>
    /// Null when <c>app.compose</c> names one file: it is read as <c>docker compose up</c> reads its directory
    /// (<c>COMPOSE_FILE</c>, else the file and <c>compose.override.yaml</c> beside it). When <c>app.compose</c> is a list
    /// (<c>docker compose -f a -f b</c>): the files after the first, merged over it in order, and nothing else.
    /// </summary>
    public IReadOnlyList<ComposeFileText>? ComposeOverrides { get; init; }

    /// <summary>Custom host names by port key (<c>http_80</c> → <c>www.example.com</c>).</summary>
    public required IReadOnlyDictionary<string, string> Ingress { get; init; }

    /// <summary>The Pod's total budget: <c>cpu</c> and <c>memory</c> as Kubernetes quantities.</summary>
    public required IReadOnlyDictionary<string, string> Resources { get; init; }

    public required IReadOnlyDictionary<string, string> Settings { get; init; }

    /// <summary>The user owning the app in service mode; null from kompoxops.yml.</summary>
    public string? Owner { get; init; }

    /// <summary>Full path of the kompoxops.yml the app was read from; null when it did not come from a file.</summary>
    public string? ConfigPath { get; init; }

    /// <summary>
    /// The names of every app of <see cref="ConfigPath"/>, this one included: an app deployed from that file before under
    /// a name it no longer holds was renamed or dropped there (the deploy warns of it).
    /// </summary>
    public IReadOnlyList<string> ConfigAppNames { get; init; } = Array.Empty<string>();

    /// <summary>
    /// The app is known only from its namespace on the cluster (<c>Get-KompoxApp -Cluster</c>), not from a config: it has
    /// no compose file, so it can be inspected and removed but not deployed or converted (<c>AppConfigNotAtHand</c>).
    /// </summary>
    public bool FoundOnCluster { get; init; }

    /// <summary><c>{service}/{provider}/{cluster}/{app}</c>, the value of the <c>kompox-app</c> tag.</summary>
    public string Id => $"{Cluster.Id}/{Name}";

    public override string ToString() => Id;
}
