using Kompox.Compose;

namespace Kompox.Conversion;

/// <summary>A well-known port: the protocol spoken there, and the official images that listen on it by default.</summary>
/// <param name="Http">The protocol is HTTP, which the ingress carries.</param>
/// <param name="Images">Repositories (Docker Hub's <c>library/</c> left out) whose image listens on the port unless told otherwise.</param>
public sealed record WellKnownPort(int Port, string Protocol, bool Http, IReadOnlyList<string> Images);

/// <summary>
/// The one table of well-known ports. The protocols come from IANA's service names registry; the images' default ports
/// from the EXPOSE line of their Dockerfiles (docker-library/postgres, mysql, mariadb, redis, mongo, nginx, httpd,
/// memcached, rabbitmq, cassandra; eclipse/mosquitto; microsoft/mssql-docker). It serves both the ingress warning (a
/// non-HTTP port published) and the one-Pod-network check (two services whose images listen on one port).
/// </summary>
public static class WellKnownPorts
{
    public static readonly IReadOnlyList<WellKnownPort> All = new WellKnownPort[]
    {
        new(21, "FTP", false, []), new(22, "SSH", false, []), new(23, "Telnet", false, []), new(25, "SMTP", false, []),
        new(53, "DNS", false, []), new(80, "HTTP", true, ["nginx", "httpd"]), new(110, "POP3", false, []), new(143, "IMAP", false, []),
        new(389, "LDAP", false, []), new(445, "SMB", false, []), new(465, "SMTPS", false, []), new(587, "SMTP submission", false, []),
        new(636, "LDAPS", false, []), new(993, "IMAPS", false, []), new(995, "POP3S", false, []),
        new(1433, "SQL Server", false, ["mcr.microsoft.com/mssql/server"]), new(1521, "Oracle", false, []),
        new(1883, "MQTT", false, ["eclipse-mosquitto"]), new(2049, "NFS", false, []), new(3306, "MySQL", false, ["mysql", "mariadb", "percona"]),
        new(3389, "RDP", false, []), new(5432, "PostgreSQL", false, ["postgres", "postgis/postgis"]), new(5672, "AMQP", false, ["rabbitmq"]),
        new(6379, "Redis", false, ["redis", "valkey/valkey"]), new(9042, "Cassandra", false, ["cassandra"]),
        new(11211, "memcached", false, ["memcached"]), new(27017, "MongoDB", false, ["mongo"]),
    };

    /// <summary>The ports of protocols that are not HTTP, by port: the ingress cannot carry them.</summary>
    public static readonly IReadOnlyDictionary<int, string> NonHttp = All.Where(p => !p.Http).ToDictionary(p => p.Port, p => p.Protocol);

    /// <summary>The port the image listens on by default, when it is one of the table's images (any tag, digest or Docker Hub prefix).</summary>
    public static WellKnownPort? OfImage(string? image)
    {
        if (image is null)
        {
            return null;
        }

        var repository = Repository(image);
        return All.FirstOrDefault(p => p.Images.Contains(repository, StringComparer.Ordinal));
    }

    // docker.io/library/nginx:1.27@sha256:... and nginx name the same repository (distribution/reference normalize.go).
    private static string Repository(string image)
    {
        var name = image.Split('@')[0];
        var lastSlash = name.LastIndexOf('/');
        var colon = name.IndexOf(':', lastSlash + 1);
        if (colon >= 0)
        {
            name = name[..colon];
        }

        foreach (var prefix in new[] { "docker.io/", "index.docker.io/", "registry-1.docker.io/" })
        {
            if (name.StartsWith(prefix, StringComparison.Ordinal))
            {
                name = name[prefix.Length..];
                break;
            }
        }

        return name.StartsWith("library/", StringComparison.Ordinal) ? name["library/".Length..] : name;
    }
}
