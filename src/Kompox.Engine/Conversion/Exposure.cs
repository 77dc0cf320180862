using System.Globalization;
using System.Net;
using System.Net.Sockets;
using k8s;
using k8s.Models;
using Kompox.Compose;
using Kompox.Model;

namespace Kompox.Conversion;

/// <summary>One published port: its Service and its Ingress hosts.</summary>
/// <param name="Port">The exposed port; it names the Service and the default host.</param>
/// <param name="TargetPort">The container port behind it.</param>
/// <param name="CustomHost">The host from <c>app.ingress.http_&lt;port&gt;</c>, or null.</param>
public sealed record ExposedPort(int Port, int TargetPort, string ServiceName, string DefaultHost, string? CustomHost);

/// <summary>Which ports the app publishes, under which host names, and the Services and Ingresses for them.</summary>
public static class Exposure
{
    public const string IngressClass = "traefik";
    public const string EntrypointsAnnotation = "traefik.ingress.kubernetes.io/router.entrypoints";
    public const string TlsAnnotation = "traefik.ingress.kubernetes.io/router.tls";
    public const string CertResolverAnnotation = "traefik.ingress.kubernetes.io/router.tls.certresolver";

    /// <summary>
    /// Well-known ports of protocols that are not HTTP. The ingress carries HTTP(S) only, so a client of one of these
    /// protocols cannot reach such a port through it; publishing one gets a warning. From <see cref="WellKnownPorts"/>.
    /// </summary>
    public static IReadOnlyDictionary<int, string> NonHttpPorts => WellKnownPorts.NonHttp;

    /// <summary>
    /// A host IP in 127.0.0.0/8 or ::1 (written bare or in brackets): Docker binds the port on the VM's loopback
    /// interface only, so nothing outside the VM reaches it.
    /// </summary>
    public static bool IsLoopback(string? hostIp)
    {
        if (hostIp is null || !IPAddress.TryParse(hostIp.Trim('[', ']'), out var address))
        {
            return false;
        }

        if (address.AddressFamily == AddressFamily.InterNetworkV6 && address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        return IPAddress.IsLoopback(address);
    }

    /// <summary>
    /// The default host of an exposed port: <c>{app}.{D}</c> for port 80, <c>{app}-{port}.{D}</c> otherwise, where D is
    /// the cluster's app domain whose wildcard certificate covers them all.
    /// </summary>
    public static string DefaultHost(KompoxApp app, int port) =>
        port == 80 ? $"{app.Name}.{app.Cluster.AppDomain}" : $"{app.Name}-{port.ToString(CultureInfo.InvariantCulture)}.{app.Cluster.AppDomain}";

    /// <summary>The Service (and Ingress) of an exposed port: <c>&lt;app&gt;-&lt;port&gt;</c>.</summary>
    public static string ServiceName(KompoxApp app, int port) => $"{app.Name}-{port.ToString(CultureInfo.InvariantCulture)}";

    internal static IReadOnlyList<ExposedPort> Plan(KompoxApp app, ComposeProject project, ConversionDiagnostics diagnostics)
    {
        var targets = new SortedDictionary<int, int>();
        foreach (var service in project.Services.OrderBy(s => s.Name, StringComparer.Ordinal))
        {
            foreach (var port in service.Ports.Where(p => p.PublishedText is null && !IsLoopback(p.HostIp) && p.Protocol == PortProtocol.Tcp && p.Exposed is >= 1 and <= 65535))
            {
                targets.TryAdd(port.Exposed, port.Target);
            }
        }

        var customHosts = CustomHosts(app, targets.Keys.ToHashSet(), diagnostics);
        var ports = new List<ExposedPort>();
        foreach (var (port, target) in targets)
        {
            var serviceName = ServiceName(app, port);
            if (Names.CheckDnsLabel(serviceName) is { } problem)
            {
                diagnostics.AppError("app.name", $"Service name for port {port}: {problem}");
                continue;
            }

            ports.Add(new ExposedPort(port, target, serviceName, DefaultHost(app, port), customHosts.GetValueOrDefault(port)));
        }

        return ports;
    }

    private static Dictionary<int, string> CustomHosts(KompoxApp app, IReadOnlySet<int> exposed, ConversionDiagnostics diagnostics)
    {
        var problems = new List<KeyProblem>();
        var hosts = new Dictionary<int, string>();
        foreach (var custom in Names.CustomHosts(app.Ingress, app.Cluster.AppDomain, problems))
        {
            if (exposed.Contains(custom.Port))
            {
                hosts.Add(custom.Port, custom.Host);
            }
            else
            {
                problems.Add(new KeyProblem(
                    $"app.ingress.{custom.Key}",
                    $"port {custom.Port} is not exposed by any service (compose ports:); exposed: {(exposed.Count == 0 ? "none" : string.Join(", ", exposed.Order()))}"));
            }
        }

        foreach (var problem in problems.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            diagnostics.AppError(problem.Key, problem.Message);
        }

        return hosts;
    }

    internal static IEnumerable<IKubernetesObject<V1ObjectMeta>> Build(AppScope scope, IEnumerable<ExposedPort> ports, string certResolver)
    {
        foreach (var port in ports)
        {
            yield return new V1Service
            {
                ApiVersion = "v1",
                Kind = "Service",
                Metadata = scope.Metadata(port.ServiceName),
                Spec = new V1ServiceSpec
                {
                    Type = "ClusterIP",
                    Selector = new SortedDictionary<string, string>(StringComparer.Ordinal) { [KompoxMetadata.NameLabel] = scope.AppName },
                    Ports = new List<V1ServicePort>
                    {
                        new() { Name = "http", Port = port.Port, TargetPort = port.TargetPort, Protocol = "TCP" },
                    },
                },
            };

            yield return Ingress(scope, port.ServiceName, port, port.DefaultHost, certResolver: null);
            if (port.CustomHost is { } customHost)
            {
                yield return Ingress(scope, $"{port.ServiceName}-custom", port, customHost, certResolver);
            }
        }
    }

    // A custom host has its own Ingress because only it asks Traefik for a certificate from the resolver; the
    // default host is served by the wildcard default certificate.
    private static V1Ingress Ingress(AppScope scope, string name, ExposedPort port, string host, string? certResolver)
    {
        var annotations = new SortedDictionary<string, string>(StringComparer.Ordinal)
        {
            [EntrypointsAnnotation] = "websecure",
            [TlsAnnotation] = "true",
        };
        if (certResolver is not null)
        {
            annotations[CertResolverAnnotation] = certResolver;
        }

        return new V1Ingress
        {
            ApiVersion = "networking.k8s.io/v1",
            Kind = "Ingress",
            Metadata = scope.Metadata(name, annotations),
            Spec = new V1IngressSpec
            {
                IngressClassName = IngressClass,
                Rules = new List<V1IngressRule>
                {
                    new()
                    {
                        Host = host,
                        Http = new V1HTTPIngressRuleValue
                        {
                            Paths = new List<V1HTTPIngressPath>
                            {
                                new()
                                {
                                    Path = "/",
                                    PathType = "Prefix",
                                    Backend = new V1IngressBackend
                                    {
                                        Service = new V1IngressServiceBackend { Name = port.ServiceName, Port = new V1ServiceBackendPort { Number = port.Port } },
                                    },
                                },
                            },
                        },
                    },
                },
            },
        };
    }
}
