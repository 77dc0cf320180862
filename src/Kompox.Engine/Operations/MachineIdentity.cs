namespace Kompox.Operations;

/// <summary>
/// The machine Kompox runs on, as a Kubernetes node would name it: its host name (what the kubelet writes in the node's
/// <c>kubernetes.io/hostname</c> label unless told otherwise) and its machine id (<c>/etc/machine-id</c>, which the kubelet
/// reports as <c>status.nodeInfo.machineID</c>). An effect like the clock: it enters through the context, so tests say
/// which machine they run on.
/// </summary>
/// <param name="MachineId">Null where the machine has none (not Linux, or a container without one).</param>
public sealed record MachineIdentity(string HostName, string? MachineId)
{
    /// <summary>This machine. cAdvisor, which the kubelet asks, reads /etc/machine-id and then /var/lib/dbus/machine-id.</summary>
    public static MachineIdentity Current { get; } = new(System.Net.Dns.GetHostName(), ReadMachineId("/etc/machine-id") ?? ReadMachineId("/var/lib/dbus/machine-id"));

    public override string ToString() => MachineId is null ? $"'{HostName}'" : $"'{HostName}' (machine id {MachineId})";

    private static string? ReadMachineId(string path)
    {
        try
        {
            var id = File.ReadAllText(path).Trim();
            return id.Length == 0 ? null : id;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
