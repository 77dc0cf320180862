namespace Kompox.Compose;

/// <summary>
/// <c>volumes_from</c> as Docker applies it (moby daemon/volumes.go registerMountPoints, step "Read volumes from other
/// containers"): every mount point of the source container is mounted at the same destination, read-write only when the
/// source's is and the entry's mode is not <c>ro</c>, with <c>CopyData: false</c>; the same volume, so an anonymous one is
/// the source's storage. The source's mount points include what it has from its own volumes_from, so this is transitive;
/// the dependent's own mounts (step 3 of registerMountPoints) replace an inherited one at the same destination, and of two
/// entries the later wins. compose-go (loader/normalize.go) makes each source an implicit depends_on, so an unknown or
/// inactive source is refused as a dependency is.
/// </summary>
internal static class VolumesFrom
{
    public static List<ComposeService> Resolve(List<ComposeService> services, ComposeProblems problems, IReadOnlySet<string> defined, IReadOnlySet<string> disabled)
    {
        var byName = services.ToDictionary(s => s.Name, StringComparer.Ordinal);
        var resolved = new Dictionary<string, ComposeService>(StringComparer.Ordinal);
        var onPath = new List<string>();
        var failed = new HashSet<string>(StringComparer.Ordinal);

        ComposeService? Visit(ComposeService service)
        {
            if (resolved.TryGetValue(service.Name, out var done))
            {
                return done;
            }

            if (failed.Contains(service.Name))
            {
                return null;
            }

            if (onPath.Contains(service.Name))
            {
                var cycle = onPath.SkipWhile(p => p != service.Name).Append(service.Name);
                var first = byName[onPath[^1]].VolumesFrom.First(v => v.Service == service.Name);
                failed.Add(service.Name);
                problems.Error(first.At, $"services.{onPath[^1]}.{first.KeyPath}", $"volumes_from cycle: {string.Join(" -> ", cycle)}; each service would mount the others' volumes before they exist, and Docker Compose refuses it as a dependency cycle too", onPath[^1]);
                return null;
            }

            onPath.Add(service.Name);
            var reading = new NodeReading(problems, service.Name);
            var inherited = new Dictionary<string, ComposeMount>(StringComparer.Ordinal);
            foreach (var entry in service.VolumesFrom)
            {
                var key = $"services.{service.Name}.{entry.KeyPath}";
                if (!byName.TryGetValue(entry.Service, out var source))
                {
                    var why = !defined.Contains(entry.Service) || entry.Service.StartsWith("x-", StringComparison.Ordinal)
                        ? $"mounts the volumes of service '{entry.Service}', which is not defined under services"
                        : disabled.Contains(entry.Service)
                            ? $"mounts the volumes of service '{entry.Service}', which its profiles leave out; select one of its profiles (Docker Compose refuses it the same way, as a dependency)"
                            : $"mounts the volumes of service '{entry.Service}', which is scaled to 0 and so has no container whose volumes could be mounted";
                    reading.Error(entry.At, key, why);
                    continue;
                }

                if (Visit(source) is not { } from)
                {
                    onPath.Remove(service.Name);
                    failed.Add(service.Name);
                    return null;
                }

                foreach (var mount in from.Volumes)
                {
                    inherited[mount.Target.TrimEnd('/')] = mount with
                    {
                        ReadOnly = mount.ReadOnly || entry.ReadOnly,
                        FromService = mount.FromService ?? from.Name,
                        KeyPath = entry.KeyPath,
                        At = entry.At,
                    };
                }

                // A Dockerfile VOLUME of the source's image is a mount point of its container too, but the image is not read offline.
                reading.Warning(entry.At, key, $"mounts what service '{entry.Service}' declares in its volumes ({Describe(from)}); volumes that only its image declares (Dockerfile VOLUME) cannot be known without pulling it and are not shared: declare each of them in the volumes of '{entry.Service}'");
            }

            // The dependent's own volumes, tmpfs, configs and secrets take the destination.
            var own = service.Volumes.Select(m => m.Target).Concat(service.Tmpfs.Select(t => t.Target))
                .Concat(service.Configs.Select(c => c.Target)).Concat(service.Secrets.Select(s => s.Target))
                .Select(t => t.TrimEnd('/')).ToHashSet(StringComparer.Ordinal);
            var result = service.VolumesFrom.Count == 0
                ? service
                : service with { Volumes = service.Volumes.Concat(inherited.Where(i => !own.Contains(i.Key)).Select(i => i.Value)).ToList() };
            onPath.Remove(service.Name);
            resolved[service.Name] = result;
            return result;
        }

        foreach (var service in services)
        {
            Visit(service);
        }

        return services.Select(s => resolved.GetValueOrDefault(s.Name, s)).ToList();
    }

    private static string Describe(ComposeService source) =>
        source.Volumes.Count == 0 ? "none" : string.Join(", ", source.Volumes.Select(m => m.Target));
}
