using Kompox.Yaml;

namespace Kompox.Compose;

// Ports, expose, volumes, configs and secrets of a service: the keys with a short and a long syntax.
internal sealed partial class ServiceReader
{
    private List<ComposePort> ReadPorts(YNode node)
    {
        var result = new List<ComposePort>();
        if (Sequence(node, Path("ports")) is not { } sequence)
        {
            return result;
        }

        for (var i = 0; i < sequence.Items.Count; i++)
        {
            var item = sequence.Items[i];
            var relative = Item("ports", i);
            var key = Path(relative);
            switch (item)
            {
                case YMapping port:
                    ReadLongPort(port, relative, result);
                    break;
                case YScalar { IsNull: false } scalar:
                    ReadShortPort(scalar, relative, result);
                    break;
                default:
                    Error(item, key, $"expected a port (\"8080:80\") or a mapping with target, found {item.Describe()}");
                    break;
            }
        }

        return result;
    }

    private void ReadShortPort(YScalar scalar, string relative, List<ComposePort> result)
    {
        var key = Path(relative);
        var (spec, protocol) = SplitProtocol(scalar.Value.Trim(), scalar, key);
        string? hostIp = null;
        string? published;
        string target;
        if (spec.StartsWith('['))
        {
            var close = spec.IndexOf(']', StringComparison.Ordinal);
            if (close < 0 || close + 1 >= spec.Length || spec[close + 1] != ':')
            {
                Error(scalar, key, $"'{scalar.Value}' is not a port mapping; an IPv6 host address is written like [::1]:8080:80");
                return;
            }

            hostIp = spec[1..close];
            var rest = spec[(close + 2)..].Split(':');
            if (rest.Length != 2)
            {
                Error(scalar, key, $"'{scalar.Value}' is not a port mapping; expected [host_ip]:published:target");
                return;
            }

            (published, target) = (rest[0], rest[1]);
        }
        else
        {
            var parts = spec.Split(':');
            (hostIp, published, target) = parts.Length switch
            {
                1 => (null, null, parts[0]),
                2 => (null, parts[0], parts[1]),
                _ => (string.Join(':', parts[..^2]), parts[^2], parts[^1]),
            };
        }

        if (protocol is null)
        {
            return;
        }

        AddPorts(scalar, relative, string.IsNullOrEmpty(published) ? null : published, target, protocol.Value, string.IsNullOrEmpty(hostIp) ? null : hostIp, null, result);
    }

    private void ReadLongPort(YMapping port, string relative, List<ComposePort> result)
    {
        var key = Path(relative);
        RejectUnknownKeys(port, key, "target", "published", "protocol", "host_ip", "name", "mode", "app_protocol");
        if (port["target"] is not { } targetNode || targetNode is YScalar { IsNull: true })
        {
            Error(port, Join(key, "target"), "is required: the container port");
            return;
        }

        var target = Text(targetNode, Join(key, "target"));
        var published = port["published"] is { } publishedNode and not YScalar { IsNull: true } ? Text(publishedNode, Join(key, "published")) : null;
        var protocol = PortProtocol.Tcp;
        if (port["protocol"] is { } protocolNode && Text(protocolNode, Join(key, "protocol")) is { } protocolText)
        {
            if (ParseProtocol(protocolText) is { } parsed)
            {
                protocol = parsed;
            }
            else
            {
                Error(protocolNode, Join(key, "protocol"), $"'{protocolText}' is not supported; use tcp or udp");
                return;
            }
        }

        if (port["mode"] is { } modeNode && Text(modeNode, Join(key, "mode")) is { } mode && mode is not ("ingress" or "host"))
        {
            Error(modeNode, Join(key, "mode"), $"'{mode}' is not a port mode; use ingress or host");
        }

        var hostIp = port["host_ip"] is { } hostIpNode ? Text(hostIpNode, Join(key, "host_ip")) : null;
        var name = port["name"] is { } nameNode ? Text(nameNode, Join(key, "name")) : null;
        if (target is not null)
        {
            AddPorts(port, relative, published, target, protocol, hostIp, name, result);
        }
    }

    // Expands "8000-8002:80-82" into one entry per port; a published part that is not a number is kept as text for the converter to judge.
    private void AddPorts(YNode node, string relative, string? published, string target, PortProtocol protocol, string? hostIp, string? name, List<ComposePort> result)
    {
        var key = Path(relative);
        if (ParseRange(target, node, key, "container port") is not var (targetFirst, targetLast))
        {
            return;
        }

        var count = targetLast - targetFirst + 1;
        if (published is null)
        {
            for (var p = 0; p < count; p++)
            {
                result.Add(new ComposePort(targetFirst + p, null, null, protocol, hostIp, name, relative, node.Start));
            }

            return;
        }

        if (!published.All(c => char.IsAsciiDigit(c) || c == '-'))
        {
            for (var p = 0; p < count; p++)
            {
                result.Add(new ComposePort(targetFirst + p, null, published, protocol, hostIp, name, relative, node.Start));
            }

            return;
        }

        if (ParseRange(published, node, key, "published port") is not var (publishedFirst, publishedLast))
        {
            return;
        }

        var publishedCount = publishedLast - publishedFirst + 1;
        if (publishedCount == count)
        {
            for (var p = 0; p < count; p++)
            {
                result.Add(new ComposePort(targetFirst + p, publishedFirst + p, null, protocol, hostIp, name, relative, node.Start));
            }
        }
        else if (count == 1)
        {
            // Docker would pick any free host port of the range; there is no single exposed port to give the app.
            result.Add(new ComposePort(targetFirst, null, published, protocol, hostIp, name, relative, node.Start));
        }
        else
        {
            Error(node, key, $"the published range {published} has {publishedCount} ports but the container range {target} has {count}; they must be the same length");
        }
    }

    private (int First, int Last)? ParseRange(string text, YNode node, string key, string what)
    {
        var dash = text.IndexOf('-', StringComparison.Ordinal);
        var firstText = dash < 0 ? text : text[..dash];
        var lastText = dash < 0 ? text : text[(dash + 1)..];
        if (!int.TryParse(firstText, System.Globalization.NumberStyles.None, null, out var first)
            || !int.TryParse(lastText, System.Globalization.NumberStyles.None, null, out var last)
            || first is < 1 or > 65535 || last is < 1 or > 65535)
        {
            Error(node, key, $"'{text}' is not a {what}; expected a number from 1 to 65535 or a range like 8000-8002");
            return null;
        }

        if (last < first)
        {
            Error(node, key, $"the {what} range '{text}' ends before it starts");
            return null;
        }

        return (first, last);
    }

    private (string Spec, PortProtocol? Protocol) SplitProtocol(string text, YNode node, string key)
    {
        var slash = text.LastIndexOf('/');
        if (slash < 0)
        {
            return (text, PortProtocol.Tcp);
        }

        var protocolText = text[(slash + 1)..];
        var protocol = ParseProtocol(protocolText);
        if (protocol is null)
        {
            Error(node, key, $"protocol '{protocolText}' is not supported; use tcp or udp");
        }

        return (text[..slash], protocol);
    }

    private static PortProtocol? ParseProtocol(string text) => text.ToLowerInvariant() switch
    {
        "tcp" => PortProtocol.Tcp,
        "udp" => PortProtocol.Udp,
        _ => null,
    };

    private List<ComposeExpose> ReadExpose(YNode node)
    {
        var result = new List<ComposeExpose>();
        foreach (var (text, item, itemKey) in Strings(node, Path("expose"), allowSingle: false))
        {
            var (spec, protocol) = SplitProtocol(text.Trim(), item, itemKey);
            if (protocol is not null && ParseRange(spec, item, itemKey, "port") is var (first, last))
            {
                for (var port = first; port <= last; port++)
                {
                    result.Add(new ComposeExpose(port, protocol.Value, RelativeKey(itemKey), item.Start));
                }
            }
        }

        return result;
    }

    private List<ComposeMount> ReadVolumes(YNode node)
    {
        var result = new List<ComposeMount>();
        if (Sequence(node, Path("volumes")) is not { } sequence)
        {
            return result;
        }

        for (var i = 0; i < sequence.Items.Count; i++)
        {
            var item = sequence.Items[i];
            var relative = Item("volumes", i);
            var mount = item switch
            {
                YScalar { IsNull: false } scalar => ReadShortVolume(scalar, relative),
                YMapping volume => ReadLongVolume(volume, relative),
                _ => Fail(item, Path(relative), $"expected a volume (\"name:/path\") or a mapping with type and target, found {item.Describe()}"),
            };
            if (mount is not null)
            {
                result.Add(mount);
            }
        }

        return result;
    }

    private ComposeMount? Fail(YNode node, string key, string message)
    {
        Error(node, key, message);
        return null;
    }

    private ComposeMount? ReadShortVolume(YScalar scalar, string relative)
    {
        var key = Path(relative);
        var parts = scalar.Value.Split(':');
        if (parts.Length > 3 || parts.Any(p => p.Length == 0))
        {
            return Fail(scalar, key, $"'{scalar.Value}' is not a volume; expected source:target[:mode] or a container path");
        }

        if (parts.Length == 1)
        {
            return CheckTarget(parts[0], scalar, key)
                ? new ComposeMount(MountKind.Anonymous, null, null, parts[0], false, null, relative, scalar.Start)
                : null;
        }

        var readOnly = false;
        var noCopy = false;
        if (parts.Length == 3)
        {
            foreach (var mode in parts[2].Split(','))
            {
                if (!MountModes.Contains(mode, StringComparer.Ordinal))
                {
                    return Fail(scalar, key, $"'{mode}' is not a volume mode; use ro or rw (also accepted: {string.Join(", ", MountModes.Skip(2))})");
                }

                readOnly = mode == "ro" || (readOnly && mode != "rw");
                noCopy |= mode == "nocopy";
            }
        }

        return CheckTarget(parts[1], scalar, key) ? Mount(parts[0], parts[1], readOnly, null, noCopy, relative, scalar) : null;
    }

    private ComposeMount? ReadLongVolume(YMapping volume, string relative)
    {
        var key = Path(relative);
        RejectUnknownKeys(volume, key, "type", "source", "target", "read_only", "bind", "volume", "tmpfs", "image", "consistency");
        var source = volume["source"] is { } sourceNode and not YScalar { IsNull: true } ? Text(sourceNode, Join(key, "source")) : null;
        if (volume["target"] is not { } targetNode || targetNode is YScalar { IsNull: true })
        {
            return Fail(volume, Join(key, "target"), "is required: the path in the container");
        }

        if (Text(targetNode, Join(key, "target")) is not { } target || !CheckTarget(target, targetNode, Join(key, "target")))
        {
            return null;
        }

        var type = volume["type"] is { } typeNode ? Text(typeNode, Join(key, "type")) : IsPath(source ?? string.Empty) ? "bind" : "volume";
        var readOnly = volume["read_only"] is { } readOnlyNode && Bool(readOnlyNode, Join(key, "read_only")) == true;
        switch (type)
        {
            case "tmpfs":
                long? size = null;
                if (volume["tmpfs"] is { } tmpfsNode && Mapping(tmpfsNode, Join(key, "tmpfs")) is { } options)
                {
                    RejectUnknownKeys(options, Join(key, "tmpfs"), "size", "mode");
                    if (options["size"] is { } sizeNode)
                    {
                        size = ByteSize(sizeNode, Join(key, "tmpfs.size"));
                    }
                }

                tmpfs.Add(new ComposeTmpfs(target, size, relative, volume.Start));
                return null;
            case "volume" or "bind":
                string? subPath = null;
                var noCopy = false;
                if (volume["volume"] is { } volumeNode && Mapping(volumeNode, Join(key, "volume")) is { } volumeOptions)
                {
                    RejectUnknownKeys(volumeOptions, Join(key, "volume"), "nocopy", "subpath");
                    if (volumeOptions["subpath"] is { } subPathNode)
                    {
                        subPath = Text(subPathNode, Join(key, "volume.subpath"));
                    }

                    noCopy = volumeOptions["nocopy"] is { } noCopyNode && Bool(noCopyNode, Join(key, "volume.nocopy")) == true;
                }

                if (volume["bind"] is { } bindNode && Mapping(bindNode, Join(key, "bind")) is { } bindOptions)
                {
                    RejectUnknownKeys(bindOptions, Join(key, "bind"), "propagation", "create_host_path", "selinux", "recursive");
                    foreach (var (option, _) in bindOptions.Entries.Where(e => !e.Key.Value.StartsWith("x-", StringComparison.Ordinal)))
                    {
                        NoEffectWarning(option.Start, Join(key, "bind." + option.Value), "has no effect: a bind becomes a directory of the app's disk (or, for one file, a read-only ConfigMap mount)");
                    }
                }

                if (type == "bind" && source is null)
                {
                    return Fail(volume, Join(key, "source"), "is required for a bind mount: the directory to mount");
                }

                if (type == "volume" && source is not null && IsPath(source))
                {
                    return Fail(volume, Join(key, "source"), $"'{source}' is a path; a volume source is a volume name (use type: bind for a directory)");
                }

                return source is null
                    ? new ComposeMount(MountKind.Anonymous, null, null, target, readOnly, subPath, relative, volume.Start) { NoCopy = noCopy }
                    : Mount(source, target, readOnly, subPath, noCopy, relative, volume);
            case null:
                return null;
            default:
                return Fail(volume["type"]!, Join(key, "type"), $"'{type}' volumes are not supported; use volume, bind or tmpfs");
        }
    }

    private bool CheckTarget(string target, YNode node, string key)
    {
        if (target.StartsWith('/'))
        {
            return true;
        }

        Error(node, key, $"the target '{target}' is not an absolute path in the container");
        return false;
    }

    // Only the execute bit travels, as git keeps only it: the rest of a mode depends on the umask of whoever checked the file out.
    private static bool IsExecutable(string real) =>
        !OperatingSystem.IsWindows() && (File.GetUnixFileMode(real) & (UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute)) != 0;

    private static bool IsPath(string source) => source.StartsWith('.') || source.StartsWith('/') || source.StartsWith('~');

    private ComposeMount? Mount(string source, string target, bool readOnly, string? subPath, bool noCopy, string relative, YNode node)
    {
        if (!IsPath(source))
        {
            return new ComposeMount(MountKind.Volume, source, null, target, readOnly, subPath, relative, node.Start) { NoCopy = noCopy };
        }

        // Absolute, home and escaping binds are never looked at: the converter refuses them by what is written.
        if (!source.StartsWith('.'))
        {
            var home = context.Variables.GetValueOrDefault("HOME") ?? context.Variables.GetValueOrDefault("USERPROFILE");
            var full = source.StartsWith('~') && home is not null ? System.IO.Path.Join(home, source[1..]) : source;
            return new ComposeMount(MountKind.Bind, source, full, target, readOnly, subPath, relative, node.Start);
        }

        var lexical = context.Files.Root is { } root ? System.IO.Path.GetFullPath(System.IO.Path.Combine(root, source)) : null;
        if (lexical is not null && !ProjectFiles.IsInside(lexical, context.Files.Root!))
        {
            return new ComposeMount(MountKind.Bind, source, lexical, target, readOnly, subPath, relative, node.Start);
        }

        if (context.Files.Resolve(source, out var problem) is not { } real)
        {
            return Fail(node, Path(relative), problem!);
        }

        if (File.Exists(real))
        {
            // Docker mounts the one file; Kompox carries its bytes to a read-only ConfigMap mount.
            return ProjectFiles.ReadBytes(real, source, ComposeLoader.MaxIncludedFileBytes, out problem) is { } bytes
                ? new ComposeMount(MountKind.File, source, lexical, target, readOnly, subPath, relative, node.Start) { FileContent = bytes, FileExecutable = IsExecutable(real) }
                : Fail(node, Path(relative), problem!);
        }

        if (Directory.Exists(real) && Directory.EnumerateFileSystemEntries(real).Any())
        {
            Warning(node.Start, Path(relative),
                $"'{source}' holds local files: the container sees a directory of the app's disk, not this one. They are copied there on the disk's first deploy, "
                + "never over a file the disk has; seeding the binds again copies only what the disk lacks (a changed file stays as the disk has it)");
        }

        // A source that does not exist is a directory Docker creates, empty: a directory of the disk here.
        return new ComposeMount(MountKind.Bind, source, lexical, target, readOnly, subPath, relative, node.Start);
    }

    private List<ComposeFileMount> ReadFileMounts(YNode node, string kind)
    {
        var result = new List<ComposeFileMount>();
        if (Sequence(node, Path(kind)) is not { } sequence)
        {
            return result;
        }

        var defined = kind == "configs" ? context.ConfigNames : context.SecretNames;
        var singular = kind == "configs" ? "config" : "secret";
        for (var i = 0; i < sequence.Items.Count; i++)
        {
            var item = sequence.Items[i];
            var relative = Item(kind, i);
            var key = Path(relative);
            string? source;
            string? target = null;
            int? mode = null;
            if (item is YMapping entry)
            {
                RejectUnknownKeys(entry, key, "source", "target", "mode", "uid", "gid");
                source = entry["source"] is { } sourceNode ? Text(sourceNode, Join(key, "source")) : null;
                if (entry["source"] is null)
                {
                    Error(entry, Join(key, "source"), $"is required: the name of a top-level {singular}");
                }

                if (entry["target"] is { } targetNode and not YScalar { IsNull: true })
                {
                    target = Text(targetNode, Join(key, "target"));
                }

                if (entry["mode"] is { } modeNode && Text(modeNode, Join(key, "mode")) is { } modeText)
                {
                    if (Units.TryParseMode(modeText, out var parsed) && parsed > 0b111_111_111)
                    {
                        Error(modeNode, Join(key, "mode"), $"'{modeText}' sets setuid, setgid or sticky bits; a {singular} file's mode is at most 0777");
                    }
                    else if (Units.TryParseMode(modeText, out parsed))
                    {
                        mode = parsed;
                    }
                    else
                    {
                        Error(modeNode, Join(key, "mode"), $"'{modeText}' is not a file mode; write it in octal like 0440");
                    }
                }

                foreach (var owner in new[] { "uid", "gid" }.Where(entry.ContainsKey))
                {
                    NoEffectWarning(entry.KeyNode(owner)!.Start, Join(key, owner), "has no effect: the file is owned by the Pod's user and group");
                }
            }
            else
            {
                source = Text(item, key);
            }

            if (source is null)
            {
                continue;
            }

            if (!defined.Contains(source))
            {
                Error(item, key, $"{singular} '{source}' is not defined under the top-level {kind}");
                continue;
            }

            target ??= kind == "configs" ? "/" + source : "/run/secrets/" + source;
            if (!target.StartsWith('/'))
            {
                target = (kind == "configs" ? "/" : "/run/secrets/") + target;
            }

            result.Add(new ComposeFileMount(source, target, mode, relative, item.Start));
        }

        return result;
    }
}
