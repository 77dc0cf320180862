using k8s;
using k8s.Models;
using Kompox.Conversion;
using Kompox.Kube;

namespace Kompox.Operations;

/// <summary>Which disks the app's namespace names: the current one, and the one before it (for undoing a switch).</summary>
public sealed record AppDiskState(string? CurrentDiskId, string? PreviousDiskId)
{
    public static readonly AppDiskState None = new(null, null);

    /// <summary>The disk state the app's namespace holds; <see cref="None"/> for a namespace without it.</summary>
    public static AppDiskState Of(V1Namespace appNamespace)
    {
        var annotations = appNamespace.Metadata?.Annotations ?? new Dictionary<string, string>();
        return new AppDiskState(
            annotations.TryGetValue(KompoxMetadata.DiskCurrentAnnotation, out var current) ? current : null,
            annotations.TryGetValue(KompoxMetadata.DiskPreviousAnnotation, out var previous) ? previous : null);
    }

    /// <summary>
    /// The server-side apply body that sets exactly these annotations on the namespace, under field manager
    /// <see cref="KompoxMetadata.DiskStateFieldManager"/>. An id that is null is left out, so the apply removes it.
    /// The app's own apply (another field manager, without these annotations) never touches them.
    /// </summary>
    public V1Namespace PatchBody(string namespaceName)
    {
        var annotations = new SortedDictionary<string, string>(StringComparer.Ordinal);
        if (CurrentDiskId is not null)
        {
            annotations[KompoxMetadata.DiskCurrentAnnotation] = CurrentDiskId;
        }

        if (PreviousDiskId is not null)
        {
            annotations[KompoxMetadata.DiskPreviousAnnotation] = PreviousDiskId;
        }

        return new V1Namespace { ApiVersion = "v1", Kind = "Namespace", Metadata = new V1ObjectMeta { Name = namespaceName, Annotations = annotations } };
    }
}

/// <summary>The disk-state use cases: reading which disks the app's namespace names, and writing it under the app's lock.</summary>
internal static class AppDiskStates
{
    /// <summary>The disks the app's namespace names; <see cref="AppDiskState.None"/> when the app was never deployed.</summary>
    public static async Task<AppDiskState> ReadAsync(OperationScope scope, CancellationToken cancellationToken) =>
        await KubeObjects.ReadOrNullAsync(() => scope.Kube.CoreV1.ReadNamespaceAsync(KubeNames.Namespace(scope.App), cancellationToken: cancellationToken)).ConfigureAwait(false) is { } ns
            ? AppDiskState.Of(ns)
            : AppDiskState.None;

    /// <summary>Writes the disk state on the app's namespace; the caller holds the app's lock.</summary>
    public static async Task ApplyAsync(IKubernetes client, Model.KompoxApp app, AppDiskState state, CancellationToken cancellationToken)
    {
        var name = KubeNames.Namespace(app);
        await client.CoreV1.PatchNamespaceAsync(
            new V1Patch(state.PatchBody(name), V1Patch.PatchType.ApplyPatch),
            name,
            fieldManager: KompoxMetadata.DiskStateFieldManager,
            force: true,
            cancellationToken: cancellationToken).ConfigureAwait(false);
    }
}
