using Kompox.Yaml;

namespace Kompox.Compose;

/// <summary>Lifecycle hooks, pre_start steps and volumes_from: what a service runs around its container, and whose mounts it takes.</summary>
internal sealed partial class ServiceReader
{
    private static readonly string[] HookKeys = ["command", "user", "privileged", "working_dir", "environment"];

    private static readonly string[] StepKeys = [.. HookKeys, "image", "per_replica"];

    // compose-spec schema service_hook: command (required), user, privileged, working_dir, environment. A pre_start step
    // (05-services.md pre_start) adds image and per_replica, and its command is optional (the image's own then runs).
    private List<ComposeHook> ReadHooks(YNode node, string key, bool step)
    {
        var result = new List<ComposeHook>();
        if (Sequence(node, Path(key)) is not { } list)
        {
            return result;
        }

        for (var i = 0; i < list.Items.Count; i++)
        {
            var itemKey = Item(key, i);
            if (Mapping(list.Items[i], Path(itemKey)) is not { } hook)
            {
                continue;
            }

            RejectUnknownKeys(hook, Path(itemKey), step ? StepKeys : HookKeys);
            var command = hook["command"] is { } commandNode and not YScalar { IsNull: true } ? ReadCommand(commandNode, Join(itemKey, "command")) : null;
            if (!step && hook["command"] is null or YScalar { IsNull: true })
            {
                Error(hook.Start, Path(Join(itemKey, "command")), "is required: the command the hook runs in the container");
                continue;
            }

            if (!step && command is { Count: 0 })
            {
                Error(hook["command"]!, Path(Join(itemKey, "command")), "is empty: a hook must run a command");
                continue;
            }

            string? Optional(string name) => hook[name] is { } value and not YScalar { IsNull: true } ? Text(value, Path(Join(itemKey, name))) : null;
            var environment = new SortedDictionary<string, string>(StringComparer.Ordinal);
            if (hook["environment"] is { } environmentNode and not YScalar { IsNull: true })
            {
                ReadEnvironmentEntries(environmentNode, Path(Join(itemKey, "environment")), environment);
            }

            // per_replica chooses between once per replica and once per service; an app runs one replica, so both are one run.
            if (step && hook["per_replica"] is { } perReplica and not YScalar { IsNull: true })
            {
                Bool(perReplica, Path(Join(itemKey, "per_replica")));
            }

            var privileged = hook["privileged"] is { } privilegedNode and not YScalar { IsNull: true } && Bool(privilegedNode, Path(Join(itemKey, "privileged"))) == true;
            result.Add(new ComposeHook(command, Optional("user"), privileged, Optional("working_dir"), environment, itemKey, list.Items[i].Start)
            {
                Image = step ? Optional("image") : null,
            });
        }

        return result;
    }

    // compose-spec 05-services.md volumes_from: `service[:ro|:rw]` or `container:name[:ro|:rw]`; read-write when no mode is
    // given (moby volume/mounts ParseVolumesFrom accepts only these two modes).
    private List<ComposeVolumesFrom> ReadVolumesFrom(YNode node)
    {
        var result = new List<ComposeVolumesFrom>();
        foreach (var (text, item, itemKey) in Strings(node, Path("volumes_from"), allowSingle: false))
        {
            var parts = text.Split(':');
            var container = parts[0] == "container";
            var named = container ? parts.Skip(1).ToArray() : parts;
            if (named.Length is 0 or > 2 || named[0].Length == 0 || (named.Length == 2 && named[1] is not ("ro" or "rw")))
            {
                Error(item, itemKey, $"'{text}' is not a volumes_from entry; write it as a service name, optionally followed by :ro or :rw");
                continue;
            }

            if (container)
            {
                Error(item, itemKey, $"'{text}' mounts the volumes of container '{named[0]}', which is not a service of this compose file: an app runs only its own services, in one Pod; name a service, or declare the volume the container holds in this file");
                continue;
            }

            result.Add(new ComposeVolumesFrom(named[0], named.Length == 2 && named[1] == "ro", RelativeKey(itemKey), item.Start));
        }

        return result;
    }
}
