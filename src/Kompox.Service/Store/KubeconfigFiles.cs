using System.Security.Cryptography;
using System.Text;

namespace Kompox.Service.Store;

/// <summary>
/// The engine reads a cluster's kubeconfig from a file (<see cref="Kube.KubeconfigClientFactory"/>, with all its
/// checks); the service keeps the content encrypted in its store and writes it, decrypted, only here: a directory of
/// its own (mode 0700) whose files are owner-only (0600), removed when the service stops. A file is rewritten only when
/// the content changes, so the engine's client key (path, write time, context) changes exactly then.
/// </summary>
public sealed class KubeconfigFiles : IDisposable
{
    private readonly object gate = new();
    private readonly Dictionary<string, string> written = new(StringComparer.Ordinal);

    public KubeconfigFiles()
    {
        // CreateTempSubdirectory makes the directory 0700 on Unix.
        Directory = System.IO.Directory.CreateTempSubdirectory("kompox-service-").FullName;
    }

    public string Directory { get; }

    public string PathFor(string cluster, string content)
    {
        var path = Path.Combine(Directory, cluster + ".kubeconfig");
        var hash = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(content)));
        lock (gate)
        {
            if (written.TryGetValue(cluster, out var had) && had == hash && File.Exists(path))
            {
                return path;
            }

            var temp = path + ".new";
            var create = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
            if (!OperatingSystem.IsWindows())
            {
                create.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            }

            using (var file = new StreamWriter(new FileStream(temp, create)))
            {
                file.Write(content);
            }

            File.Move(temp, path, overwrite: true);
            written[cluster] = hash;
            return path;
        }
    }

    public void Dispose()
    {
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
