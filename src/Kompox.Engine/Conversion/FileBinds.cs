using Kompox.Compose;

namespace Kompox.Conversion;

/// <summary>
/// A relative bind of a single file (<c>./nginx.conf:/etc/nginx/nginx.conf</c>). On the disk the kubelet would make a
/// directory at a missing subPath and the container could not start, so the file travels in a ConfigMap instead, one per
/// distinct source path, named by a hash of the path as the layout writes it (the path itself may not be a valid name).
/// </summary>
internal static class FileBinds
{
    /// <summary>kube-apiserver's limit on the values of a ConfigMap (ValidateConfigMap against corev1.MaxSecretSize, 1 MiB).</summary>
    public const int MaxBytes = 1024 * 1024;

    /// <summary>0755: a bound script keeps its execute bit; other files take the ConfigMap default, 0644.</summary>
    public const int ExecutableMode = 0b111_101_101;

    public static string ConfigMapName(AppScope scope, ComposeMount file) => $"{scope.AppName}-file-{PathHash(file)}";

    public static string VolumeName(ComposeMount file) => $"file-{PathHash(file)}";

    private static string PathHash(ComposeMount file) => KubeNames.Base36Hash(MountPaths.Bind(file.Source!, out _)!);
}
