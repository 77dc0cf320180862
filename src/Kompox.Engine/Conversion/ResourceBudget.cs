using System.Globalization;
using k8s.Models;
using Kompox.Compose;
using Kompox.Model;

namespace Kompox.Conversion;

/// <summary>
/// The Pod's CPU and memory: the app's total budget (the namespace's ResourceQuota) and each container's limits and
/// requests. Quota admission rejects a Pod whose containers lack limits, so every container gets them: its own
/// <c>deploy.resources.limits</c>, or an even share of what the other containers leave of the budget.
/// </summary>
internal sealed class ResourceBudget
{
    /// <summary>The budget of an app whose <c>resources</c> do not say: enough for a small web app with its database.</summary>
    public const string DefaultCpu = "1";

    /// <inheritdoc cref="DefaultCpu"/>
    public const string DefaultMemory = "1Gi";

    private const long MiB = 1024 * 1024;

    private ResourceBudget(long cpuMillis, long memoryBytes, IReadOnlyDictionary<string, V1ResourceRequirements> containers)
    {
        CpuMillis = cpuMillis;
        MemoryBytes = memoryBytes;
        Containers = containers;
    }

    public long CpuMillis { get; }

    public long MemoryBytes { get; }

    /// <summary>By compose service name.</summary>
    public IReadOnlyDictionary<string, V1ResourceRequirements> Containers { get; }

    public static ResourceBudget? Compute(IReadOnlyDictionary<string, string> appResources, IReadOnlyList<ComposeService> services, ConversionDiagnostics diagnostics)
    {
        var errorsBefore = diagnostics.ErrorCount;
        var totalCpu = AppQuantity(appResources, Quantities.CpuKey, DefaultCpu, diagnostics);
        var totalMemory = AppQuantity(appResources, Quantities.MemoryKey, DefaultMemory, diagnostics);

        var cpuLimits = new Dictionary<string, long?>(StringComparer.Ordinal);
        var memoryLimits = new Dictionary<string, long?>(StringComparer.Ordinal);
        var cpuRequests = new Dictionary<string, long?>(StringComparer.Ordinal);
        var memoryRequests = new Dictionary<string, long?>(StringComparer.Ordinal);
        foreach (var service in services)
        {
            cpuLimits[service.Name] = ParseCpus(service, service.Limits, "deploy.resources.limits.cpus", diagnostics);
            memoryLimits[service.Name] = ParseMemory(service, service.Limits, "deploy.resources.limits.memory", diagnostics);
            cpuRequests[service.Name] = ParseCpus(service, service.Reservations, "deploy.resources.reservations.cpus", diagnostics);
            memoryRequests[service.Name] = ParseMemory(service, service.Reservations, "deploy.resources.reservations.memory", diagnostics);
        }

        if (totalCpu is null || totalMemory is null || diagnostics.ErrorCount > errorsBefore)
        {
            return null;
        }

        var cpuShare = Share(totalCpu.Value, cpuLimits, 1, "cpu", FormatCpu, diagnostics);
        var memoryShare = Share(totalMemory.Value, memoryLimits, MiB, "memory", FormatMemory, diagnostics);
        var containers = new Dictionary<string, V1ResourceRequirements>(StringComparer.Ordinal);
        foreach (var service in services)
        {
            var cpuLimit = cpuLimits[service.Name] ?? cpuShare;
            var memoryLimit = memoryLimits[service.Name] ?? memoryShare;
            CheckRequest(service, "deploy.resources.reservations.cpus", cpuRequests[service.Name], cpuLimit, FormatCpu, diagnostics);
            CheckRequest(service, "deploy.resources.reservations.memory", memoryRequests[service.Name], memoryLimit, FormatMemory, diagnostics);

            var requests = new SortedDictionary<string, ResourceQuantity>(StringComparer.Ordinal);
            if (cpuRequests[service.Name] is { } cpuRequest)
            {
                requests["cpu"] = new ResourceQuantity(FormatCpu(cpuRequest));
            }

            if (memoryRequests[service.Name] is { } memoryRequest)
            {
                requests["memory"] = new ResourceQuantity(FormatMemory(memoryRequest));
            }

            var limits = new SortedDictionary<string, ResourceQuantity>(StringComparer.Ordinal)
            {
                ["cpu"] = new(FormatCpu(cpuLimit ?? 0)),
                ["memory"] = new(FormatMemory(memoryLimit ?? 0)),
            };
            if (Gpus(service, diagnostics) is > 0 and var gpus)
            {
                limits[NvidiaGpu] = new(gpus.ToString(CultureInfo.InvariantCulture));
            }

            containers[service.Name] = new V1ResourceRequirements
            {
                Limits = limits,

                // Without requests Kubernetes copies the limits, which the quota's requests.* equal to the budget still admit.
                Requests = requests.Count > 0 ? requests : null,
            };
        }

        return diagnostics.ErrorCount > errorsBefore ? null : new ResourceBudget(totalCpu.Value, totalMemory.Value, containers);
    }

    /// <summary>The extended resource the NVIDIA device plugin offers (NVIDIA/k8s-device-plugin; kubernetes.io/docs/tasks/manage-gpus/scheduling-gpus).</summary>
    public const string NvidiaGpu = "nvidia.com/gpu";

    // Docker hands a container the GPUs its device requests reserve (compose-spec deploy.md devices; docs.docker.com
    // compose/how-tos/gpu-support). Kubernetes gives whole GPUs through the device plugin's resource, as a count: all the
    // GPUs of a node has no such form, nor has a choice of device ids, nor a driver other than NVIDIA's.
    private static long Gpus(ComposeService service, ConversionDiagnostics diagnostics)
    {
        long total = 0;
        foreach (var request in service.DeviceRequests)
        {
            if (!request.Capabilities.Contains("gpu", StringComparer.Ordinal))
            {
                diagnostics.ServiceWarning(service, request.KeyPath, $"reserves devices with the capabilities {string.Join(", ", request.Capabilities)}, which Kompox does not map: only GPUs (capabilities: [gpu]) become Kubernetes resources; the container gets none", request.At);
                continue;
            }

            if (request.Driver is { } driver && driver != "nvidia")
            {
                diagnostics.ServiceError(service, request.KeyPath, $"asks for GPUs of the driver '{driver}'; Kompox maps NVIDIA GPUs only (the {NvidiaGpu} resource)", request.At);
            }
            else if (request.Count is not { } count)
            {
                diagnostics.ServiceError(service, request.KeyPath, $"reserves all the host's GPUs (count: all, or no count), which Kubernetes has no form for; give a count, which becomes the container's {NvidiaGpu} limit", request.At);
            }
            else
            {
                if (request.DeviceIds.Count > 0)
                {
                    diagnostics.ServiceWarning(service, request.KeyPath, $"names the devices {string.Join(", ", request.DeviceIds)}; Kubernetes picks the GPUs, so the container gets {count} of the node's", request.At);
                }

                total += count;
            }
        }

        return total;
    }

    /// <summary>Whole cores as a number (<c>2</c>), otherwise millicores (<c>500m</c>).</summary>
    public static string FormatCpu(long millis) =>
        millis % 1000 == 0 ? (millis / 1000).ToString(CultureInfo.InvariantCulture) : $"{millis.ToString(CultureInfo.InvariantCulture)}m";

    /// <summary>The largest binary unit that divides the size exactly (<c>2Gi</c>, <c>768Mi</c>), else bytes.</summary>
    public static string FormatMemory(long bytes)
    {
        foreach (var (unit, size) in new[] { ("Gi", 1024L * MiB), ("Mi", MiB), ("Ki", 1024L) })
        {
            if (bytes != 0 && bytes % size == 0)
            {
                return $"{(bytes / size).ToString(CultureInfo.InvariantCulture)}{unit}";
            }
        }

        return bytes.ToString(CultureInfo.InvariantCulture);
    }

    // The budget left by containers with their own limits, split evenly among the others and rounded down to
    // whole units (1m of CPU, 1Mi of memory) so that the shares never add up to more than the quota.
    private static long? Share(long total, Dictionary<string, long?> limits, long unit, string resource, Func<long, string> format, ConversionDiagnostics diagnostics)
    {
        var assigned = limits.Values.Sum(v => v ?? 0);
        var withoutLimit = limits.Values.Count(v => v is null);
        if (assigned > total)
        {
            diagnostics.AppError($"app.resources.{resource}", $"the services' deploy.resources.limits add up to {format(assigned)} of {resource}, more than the app's budget of {format(total)}");
            return null;
        }

        if (withoutLimit == 0)
        {
            return null;
        }

        var share = (total - assigned) / withoutLimit / unit * unit;
        if (share <= 0)
        {
            diagnostics.AppError(
                $"app.resources.{resource}",
                $"the app's {resource} budget of {format(total)} leaves {format(total - assigned)} for {withoutLimit} service(s) without deploy.resources.limits, less than {format(unit)} each");
            return null;
        }

        return share;
    }

    private static void CheckRequest(ComposeService service, string key, long? request, long? limit, Func<long, string> format, ConversionDiagnostics diagnostics)
    {
        if (request is { } r && limit is { } l && r > l)
        {
            diagnostics.ServiceError(service, key, $"reserves {format(r)}, more than the container's limit of {format(l)}");
        }
    }

    private static long? AppQuantity(IReadOnlyDictionary<string, string> resources, string key, string fallback, ConversionDiagnostics diagnostics)
    {
        var text = resources.TryGetValue(key, out var written) ? written : fallback;
        long amount;
        var problem = key == Quantities.CpuKey ? Quantities.CheckCpu(text, out amount) : Quantities.CheckMemory(text, out amount);
        if (problem is not null)
        {
            diagnostics.AppError($"app.resources.{key}", problem);
            return null;
        }

        return amount;
    }

    private static long? ParseCpus(ComposeService service, ComposeResources? resources, string key, ConversionDiagnostics diagnostics)
    {
        if (resources?.Cpus is not { } text)
        {
            return null;
        }

        if (!decimal.TryParse(text, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var cpus) || Math.Ceiling(cpus * 1000) < 1)
        {
            diagnostics.ServiceError(service, key, $"'{text}' is not a CPU count of at least 0.001", resources.At);
            return null;
        }

        // Kubernetes counts CPU in millicores; rounding up keeps at least what the compose file asked for.
        return (long)Math.Ceiling(cpus * 1000);
    }

    private static long? ParseMemory(ComposeService service, ComposeResources? resources, string key, ConversionDiagnostics diagnostics)
    {
        if (resources?.MemoryBytes is not { } bytes)
        {
            return null;
        }

        if (bytes <= 0)
        {
            diagnostics.ServiceError(service, key, "memory must be more than zero", resources.At);
            return null;
        }

        return bytes;
    }
}
