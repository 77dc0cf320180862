using System.Text.RegularExpressions;
using Kompox.Compose;

namespace Kompox.Conversion;

/// <summary>
/// compose-spec 05-services.md pre_start: steps that each run to completion, in order, in an ephemeral container of their own
/// (the service's image unless they name one) before the service starts; they share the service's mounts and environment
/// (overlaid by their own), run as their own user (the service's when they use its image) and in the service's working
/// directory unless they name one, and reach the services of depends_on. Kubernetes runs init containers the same way: in
/// order, each to exit 0, before the containers after them. <see cref="PodBuilder"/> puts a service's steps after the volume
/// fill and its dependencies, and right before the service when it is itself an init container or sidecar.
/// </summary>
internal static partial class PreStartSteps
{
    private const string Infix = "-pre-start-";

    [GeneratedRegex("-pre-start-[0-9]+$")]
    private static partial Regex StepName();

    /// <summary><c>&lt;container&gt;-pre-start-&lt;n&gt;</c>, n the step's index in pre_start; a hash of the container's name when that is too long for a DNS label.</summary>
    public static string ContainerName(string serviceContainer, int index)
    {
        var name = $"{serviceContainer}{Infix}{index}";
        return name.Length <= 63 ? name : $"{KubeNames.Base36Hash(serviceContainer)}{Infix}{index}";
    }

    /// <summary>Whether a container name is a pre_start step's, which a service may not take.</summary>
    public static bool IsReserved(string containerName) => StepName().IsMatch(containerName);

    /// <summary>The user a step runs as: its own, else the service's when it runs the service's image (its own image's default otherwise).</summary>
    public static string? User(ComposeService service, ComposeHook step) => step.User ?? (step.Image is null ? service.User : null);

    public static void Check(ComposeService service, IReadOnlySet<string> containerNames, ConversionDiagnostics diagnostics)
    {
        if (KubeNames.ToDnsLabel(service.Name) is not { } container)
        {
            return;
        }

        for (var i = 0; i < service.PreStart.Count; i++)
        {
            var step = service.PreStart[i];
            var name = ContainerName(container, i);
            if (VolumeFill.IsReserved(name) || name == DnsSidecar.ContainerName || containerNames.Contains(name))
            {
                diagnostics.ServiceError(service, step.KeyPath, $"would run as container '{name}', a name already taken in the Pod; rename the service", step.At);
            }

            if (step.Image is { } image && ImageReference.Problem(image) is { } problem)
            {
                diagnostics.ServiceError(service, $"{step.KeyPath}.image", problem, step.At);
            }

            if (step.Command is [])
            {
                diagnostics.ServiceError(service, $"{step.KeyPath}.command", "is empty: the step would run the image's ENTRYPOINT without its CMD, which Kubernetes cannot ask for; write the command out, or leave out command to run the image's own", step.At);
            }

            // The same rules as a service's own user and privileges (ComposeRules): one error path for both.
            if (step.User is { } user && !ComposeRules.TryParseUser(user, out _, out _))
            {
                diagnostics.ServiceError(service, $"{step.KeyPath}.user", $"user '{user}' is not numeric; Kubernetes needs a uid or uid:gid (root is 0; look it up with 'docker run --rm --entrypoint id <image> {user}')", step.At);
            }

            if (step.Privileged)
            {
                diagnostics.ServiceError(service, $"{step.KeyPath}.privileged", ComposeRules.PrivilegedMessage, step.At);
            }

            foreach (var variable in step.Environment.Keys.Where(k => !ComposeRules.IsSecretKey(k)))
            {
                diagnostics.ServiceError(service, $"{step.KeyPath}.environment.{variable}", $"variable name '{variable}' cannot be carried in a Secret (letters, digits, '-', '_' and '.' only)", step.At);
            }
        }
    }
}
