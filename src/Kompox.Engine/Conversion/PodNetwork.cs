using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Kompox.Compose;

namespace Kompox.Conversion;

/// <summary>
/// Docker gives every service its own network namespace (docs.docker.com/engine/network/: each container gets its own
/// interface and IP on the compose network), so two services may listen on one port. A Pod has one network namespace for
/// all its containers (kubernetes.io/docs/concepts/workloads/pods/#pod-networking), where the second listener fails to
/// bind. This finds every port two services would listen on: the ports they declare, the default port of well-known
/// images, and the <c>service:port</c> addresses other services use to reach them.
/// </summary>
internal static partial class PodNetwork
{
    // A port the service would listen on, and where that is seen (Where is for the message; Key and At locate it).
    private sealed record Claim(ComposeService Service, int Port, PortProtocol Protocol, string Where, ComposeService WrittenIn, string Key, SourceMark? At);

    // host:port with host not part of a longer name (a.db:5432 is another host) and port not part of a longer number.
    [GeneratedRegex(@"(?<![A-Za-z0-9_.-])(?<host>[A-Za-z0-9][A-Za-z0-9_.-]*):(?<port>[0-9]{1,5})(?![0-9])")]
    private static partial Regex Address();

    public static void Check(ComposeProject project, ConversionDiagnostics diagnostics)
    {
        var services = project.Services.OrderBy(s => s.Name, StringComparer.Ordinal).ToList();
        var byHost = new Dictionary<string, ComposeService>(StringComparer.OrdinalIgnoreCase);
        foreach (var service in services)
        {
            foreach (var host in PodBuilder.HostNames(new[] { service }).Append(service.Name))
            {
                byHost.TryAdd(host, service);
            }
        }

        var claims = new List<Claim>();
        foreach (var service in services)
        {
            claims.AddRange(service.Ports.Where(p => p.Target is >= 1 and <= 65535).Select(p => new Claim(service, p.Target, p.Protocol, p.KeyPath, service, p.KeyPath, p.At)));
            claims.AddRange(service.Expose.Where(e => e.Port is >= 1 and <= 65535).Select(e => new Claim(service, e.Port, e.Protocol, e.KeyPath, service, e.KeyPath, e.At)));
            foreach (var (text, key, what) in Texts(project, service))
            {
                foreach (Match match in Address().Matches(text))
                {
                    if (byHost.TryGetValue(match.Groups["host"].Value, out var target)
                        && int.TryParse(match.Groups["port"].Value, NumberStyles.None, CultureInfo.InvariantCulture, out var port) && port is >= 1 and <= 65535)
                    {
                        claims.Add(new Claim(target, port, PortProtocol.Tcp, $"'{match.Value}' in {what}", service, key, null));
                    }
                }
            }
        }

        // An image's default port counts only while nothing says where the service listens: a service that declares or is
        // reached on a port has been told (or configured) where to listen.
        foreach (var service in services.Where(s => claims.All(c => c.Service != s)))
        {
            if (WellKnownPorts.OfImage(service.Image) is { } known)
            {
                claims.Add(new Claim(service, known.Port, PortProtocol.Tcp, $"image '{service.Image}' listens on {known.Port} ({known.Protocol}) by default", service, "image", null));
            }
        }

        foreach (var group in claims.GroupBy(c => (c.Port, c.Protocol)).OrderBy(g => g.Key.Port).ThenBy(g => g.Key.Protocol))
        {
            var first = group.OrderBy(c => c.Service.Name, StringComparer.Ordinal).First();
            foreach (var other in group.Where(c => c.Service != first.Service).GroupBy(c => c.Service.Name).OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => g.First()))
            {
                var port = $"{group.Key.Port}/{group.Key.Protocol.ToString().ToLowerInvariant()}";
                diagnostics.ServiceError(
                    other.WrittenIn,
                    other.Key,
                    $"container port {port} is also used by service '{first.Service.Name}' ({first.Where}), and service '{other.Service.Name}' listens there too ({other.Where}): "
                        + $"under Docker each service has its own network, but all services of one Pod share one, so the second cannot listen on port {group.Key.Port}. "
                        + $"Move one: make '{other.Service.Name}' (or '{first.Service.Name}') listen on another port (a command flag, an environment variable or its config file, as its image documents), "
                        + "declare that port under 'expose', and change the addresses that name it",
                    other.At);
            }
        }
    }

    // The texts Kompox reads in which a service names another by address: environment values, command and entrypoint
    // arguments, bound files and mounted configs. Each with its key (to locate the error) and how the message names it.
    public static IEnumerable<(string Text, string Key, string What)> Texts(ComposeProject project, ComposeService service)
    {
        foreach (var (name, value) in service.Environment)
        {
            yield return (value, $"environment.{name}", $"environment {name} of '{service.Name}'");
        }

        foreach (var (key, words) in new[] { ("entrypoint", service.Entrypoint), ("command", service.Command) })
        {
            if (words is not null)
            {
                yield return (string.Join(' ', words), key, $"the {key} of '{service.Name}'");
            }
        }

        foreach (var mount in service.Volumes.Where(m => m.Kind == MountKind.File && m.FileContent is not null))
        {
            yield return (Encoding.UTF8.GetString(mount.FileContent!), mount.KeyPath, $"file '{mount.Source}' bound by '{service.Name}'");
        }

        foreach (var config in service.Configs.Where(c => project.Configs.ContainsKey(c.Source)))
        {
            yield return (Encoding.UTF8.GetString(project.Configs[config.Source].Content), config.KeyPath, $"config '{config.Source}' of '{service.Name}'");
        }
    }
}
