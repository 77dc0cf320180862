using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using k8s;
using k8s.Exceptions;
using k8s.KubeConfigModels;
using Kompox.Yaml;
using YamlDotNet.Core;

namespace Kompox.Kube;

/// <summary>
/// One context of a kubeconfig file, read and checked before the Kubernetes client is given it. The client checks
/// little: a broken file surfaces as whatever its YAML parser, the file system or the crypto library throws (a
/// NullReferenceException for an empty file, FileNotFoundException for a client key only when the client is built),
/// in messages that name neither the kubeconfig nor the entry and that .NET may translate. So what kubectl would
/// refuse in the entries a context uses is checked here, and said as <c>InvalidKubeconfig</c> naming the file and the
/// entry, in words of our own.
/// </summary>
internal sealed class Kubeconfig
{
    private readonly Checker check;
    private readonly K8SConfiguration entries;

    private Kubeconfig(Checker check, K8SConfiguration entries, string contextName, ClusterEndpoint endpoint, string? certificateAuthorityData)
    {
        this.check = check;
        this.entries = entries;
        ContextName = contextName;
        Endpoint = endpoint;
        CertificateAuthorityData = certificateAuthorityData;
    }

    public string ContextName { get; }

    /// <summary>The context's cluster entry; it has a server that is an absolute URL.</summary>
    public ClusterEndpoint Endpoint { get; }

    /// <summary>The CA bundle in base64, from <c>certificate-authority-data</c> or read from the <c>certificate-authority</c> file; null when neither is given.</summary>
    public string? CertificateAuthorityData { get; }

    /// <summary>Reads and checks <paramref name="path"/> for the context named, else its current context.</summary>
    /// <param name="owner">Whose kubeconfig it is, first in every message (<c>cluster 'lab'</c>).</param>
    /// <exception cref="KompoxException"><c>InvalidKubeconfig</c>, with the path as its target.</exception>
    public static Kubeconfig Load(string path, string? contextName, string owner)
    {
        var check = new Checker(path, owner);
        var file = check.Parse(check.ReadText());

        var contexts = file.Contexts ?? [];
        var name = string.IsNullOrEmpty(contextName) ? file.CurrentContext : contextName;
        if (string.IsNullOrEmpty(name))
        {
            throw check.Invalid($"it has no current-context and no context is named for the cluster; {Listing("contexts", contexts.Select(c => c.Name))}");
        }

        // kubectl matches names exactly; so does every lookup here.
        var context = contexts.FirstOrDefault(c => c.Name == name)
            ?? throw check.Invalid($"it has no context '{name}'; {Listing("contexts", contexts.Select(c => c.Name))}");
        var details = context.ContextDetails;
        if (string.IsNullOrEmpty(details?.Cluster))
        {
            throw check.Invalid($"context '{name}' names no cluster");
        }

        var clusters = file.Clusters ?? [];
        var cluster = clusters.FirstOrDefault(c => c.Name == details.Cluster)
            ?? throw check.Invalid($"context '{name}' names cluster '{details.Cluster}', which has no entry in the file; {Listing("clusters", clusters.Select(c => c.Name))}");
        var endpoint = cluster.ClusterEndpoint;
        var clusterOf = $"cluster '{cluster.Name}' of context '{name}'";
        if (string.IsNullOrWhiteSpace(endpoint?.Server))
        {
            throw check.Invalid($"{clusterOf} has no server");
        }

        if (!Uri.TryCreate(endpoint.Server, UriKind.Absolute, out _))
        {
            throw check.Invalid($"{clusterOf} has server '{endpoint.Server}', which is not an absolute URL");
        }

        string? caData = null;
        if (!string.IsNullOrEmpty(endpoint.CertificateAuthorityData))
        {
            var shown = $"the certificate-authority-data of {clusterOf}";
            check.Certificates(check.Base64(endpoint.CertificateAuthorityData, shown), shown);
            caData = endpoint.CertificateAuthorityData;
        }
        else if (!string.IsNullOrEmpty(endpoint.CertificateAuthority))
        {
            var (ca, shown) = check.ReadNamedFile(endpoint.CertificateAuthority, "certificate-authority", clusterOf);
            check.Certificates(ca, shown);
            caData = Convert.ToBase64String(ca);
        }

        // A context without a user is anonymous, for kubectl and the client alike.
        User? user = null;
        if (!string.IsNullOrWhiteSpace(details.User))
        {
            var users = file.Users ?? [];
            user = users.FirstOrDefault(u => u.Name == details.User)
                ?? throw check.Invalid($"context '{name}' names user '{details.User}', which has no entry in the file; {Listing("users", users.Select(u => u.Name))}");
            check.ClientCertificate(user, $"user '{user.Name}' of context '{name}'");
        }

        // The client is given only the entries checked: it looks names up ignoring case, so in a file with both 'lab'
        // and 'Lab' it could otherwise take another entry than the one checked.
        var entries = new K8SConfiguration
        {
            FileName = file.FileName,
            CurrentContext = name,
            Contexts = [context],
            Clusters = [cluster],
            Users = user is null ? [] : [user],
        };
        return new Kubeconfig(check, entries, name, endpoint, caData);
    }

    /// <summary>The client's configuration for the context: its own reading of what <see cref="Load"/> checked.</summary>
    /// <exception cref="KompoxException"><c>InvalidKubeconfig</c>, with the path as its target.</exception>
    public KubernetesClientConfiguration ClientConfiguration()
    {
        try
        {
            return KubernetesClientConfiguration.BuildConfigFromConfigObject(entries, ContextName);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // What is left after the checks: credentials the client finds missing, and exec plugins that fail (it runs
            // them here). Its own exceptions (KubeConfigException, and a bare Exception for retired auth providers) say
            // what is wrong in its English, up to the stack trace it appends for an exec plugin's unexpected failure;
            // anything else would name a file or key in .NET's words, so only its type.
            var why = e is KubeConfigException || e.GetType() == typeof(Exception)
                ? e.Message.Split('\n')[0].TrimEnd()
                : $"the Kubernetes client failed on it ({e.GetType().Name})";
            throw check.Invalid($"context '{ContextName}' cannot be used: {why}", e);
        }
    }

    private static string Listing(string what, IEnumerable<string> names)
    {
        var sorted = names.Where(n => !string.IsNullOrEmpty(n)).Order(StringComparer.Ordinal).ToList();
        return sorted.Count == 0 ? $"it has no {what}" : $"its {what} are: {string.Join(", ", sorted)}";
    }

    /// <summary>Reads the file and its files, each failure an <c>InvalidKubeconfig</c> that names the kubeconfig.</summary>
    private sealed class Checker(string path, string owner)
    {
        public KompoxException Invalid(string problem, Exception? inner = null) =>
            new("InvalidKubeconfig", ErrorKind.InvalidData, $"{owner}: kubeconfig {path}: {problem}", inner) { Target = path };

        public string ReadText()
        {
            byte[] bytes;
            try
            {
                bytes = File.ReadAllBytes(path);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw Invalid($"the file {Unreadable(e)}", e);
            }

            try
            {
                // Empty, binary and not UTF-8 (or UTF-16 with a byte order mark) are told apart as for every YAML file read.
                return TextFile.Decode(bytes, path);
            }
            catch (KompoxValidationException e)
            {
                throw Invalid($"cannot be read as a kubeconfig: {e.Problems[0].Message}", e);
            }
        }

        public K8SConfiguration Parse(string text)
        {
            YNode? root;
            try
            {
                root = YamlReader.Read(text, path);
            }
            catch (KompoxValidationException e)
            {
                var problem = e.Problems[0];
                throw Invalid($"cannot be read as a kubeconfig: {At(new SourceMark(problem.Line, problem.Column))}{problem.Message}", e);
            }

            if (root is not YMapping top)
            {
                throw Invalid($"cannot be read as a kubeconfig: {(root is null ? "the file holds only comments" : $"{At(root.Start)}its top level is {root.Describe()}, not a mapping")}");
            }

            CheckEntries(top);
            K8SConfiguration file;
            try
            {
                file = KubernetesClientConfiguration.LoadKubeConfig(new MemoryStream(Encoding.UTF8.GetBytes(text)));
            }
            catch (YamlException e)
            {
                // The shapes the lookups rely on are checked above; this is a value of the wrong kind deeper in, which
                // YamlDotNet places but describes in .NET's words (an invalid cast).
                throw Invalid($"cannot be read as a kubeconfig: {At(YamlReader.Mark(e.Start))}this value does not have the type a kubeconfig gives it", e);
            }

            // Relative file names in it are relative to its directory, as kubectl reads them; the client goes by FileName.
            file.FileName = Path.GetFullPath(path);
            return file;
        }

        /// <summary>
        /// The entry lists as the lookups need them, with positions: the client would otherwise throw a
        /// NullReferenceException for an entry without a name and an invalid cast for a list that is not one.
        /// </summary>
        private void CheckEntries(YMapping top)
        {
            if (top["current-context"] is { } current and not YScalar)
            {
                throw Invalid($"cannot be read as a kubeconfig: {At(current.Start)}current-context is {current.Describe()}, not a context name");
            }

            foreach (var (list, entry) in new[] { ("clusters", "cluster"), ("contexts", "context"), ("users", "user") })
            {
                var node = top[list];
                if (node is null or YScalar { IsNull: true })
                {
                    continue;
                }

                if (node is not YSequence items)
                {
                    throw Invalid($"cannot be read as a kubeconfig: {At(node.Start)}{list} is {node.Describe()}, not a list");
                }

                foreach (var item in items.Items)
                {
                    if (item is not YMapping mapping || mapping["name"] is not YScalar { IsString: true, Value.Length: > 0 } name)
                    {
                        throw Invalid($"cannot be read as a kubeconfig: {At(item.Start)}an entry of {list} has no name");
                    }

                    if (mapping[entry] is { } details and not YMapping and not YScalar { IsNull: true })
                    {
                        throw Invalid($"cannot be read as a kubeconfig: {At(details.Start)}{entry} '{name.Value}' has {details.Describe()} as its {entry}, not a mapping");
                    }
                }
            }
        }

        /// <summary>A file the kubeconfig names, relative to the kubeconfig's directory as kubectl reads it (no '~').</summary>
        /// <returns>Its bytes, and how to name it in a message.</returns>
        public (byte[] Bytes, string Shown) ReadNamedFile(string named, string key, string of)
        {
            var full = Path.GetFullPath(Path.IsPathRooted(named) ? named : Path.Combine(Path.GetDirectoryName(Path.GetFullPath(path))!, named));
            var shown = $"the {key} file {full} of {of}";
            if (Directory.Exists(full))
            {
                throw Invalid($"{shown} is a directory, not a file");
            }

            try
            {
                return (File.ReadAllBytes(full), shown);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw Invalid($"{shown} {Unreadable(e)}", e);
            }
        }

        public byte[] Base64(string data, string shown)
        {
            try
            {
                return Convert.FromBase64String(data);
            }
            catch (FormatException e)
            {
                throw Invalid($"{shown} is not base64", e);
            }
        }

        /// <summary>CA bundles: the client imports every PEM certificate and silently ignores the rest, so none at all is an error here.</summary>
        public void Certificates(byte[] pem, string shown)
        {
            var certificates = new X509Certificate2Collection();
            try
            {
                certificates.ImportFromPem(Encoding.UTF8.GetString(pem));
            }
            catch (CryptographicException e)
            {
                throw Invalid($"{shown} holds a malformed PEM certificate", e);
            }
            finally
            {
                foreach (var certificate in certificates)
                {
                    certificate.Dispose();
                }
            }

            if (certificates.Count == 0)
            {
                throw Invalid($"{shown} holds no PEM certificate");
            }
        }

        /// <summary>
        /// The user's client certificate and key as the client will read them when it is built: the files when both are
        /// named, else the data when both are given.
        /// </summary>
        public void ClientCertificate(User user, string of)
        {
            var credentials = user.UserCredentials;
            if (credentials is null)
            {
                return;   // the client says a user without credentials is one, in its message
            }

            bool Given(string? value) => !string.IsNullOrWhiteSpace(value);
            var hasCertificate = Given(credentials.ClientCertificate) || Given(credentials.ClientCertificateData);
            var hasKey = Given(credentials.ClientKey) || Given(credentials.ClientKeyData);
            if (hasCertificate != hasKey)
            {
                throw Invalid(hasCertificate ? $"{of} has a client certificate but no client-key or client-key-data" : $"{of} has a client key but no client-certificate or client-certificate-data");
            }

            byte[] certificate, key;
            if (Given(credentials.ClientCertificate) && Given(credentials.ClientKey))
            {
                certificate = ReadNamedFile(credentials.ClientCertificate, "client-certificate", of).Bytes;
                key = ReadNamedFile(credentials.ClientKey, "client-key", of).Bytes;
            }
            else if (Given(credentials.ClientCertificateData) && Given(credentials.ClientKeyData))
            {
                certificate = Base64(credentials.ClientCertificateData, $"the client-certificate-data of {of}");
                key = Base64(credentials.ClientKeyData, $"the client-key-data of {of}");
            }
            else
            {
                return;
            }

            try
            {
                using var pair = X509Certificate2.CreateFromPem(Encoding.UTF8.GetString(certificate), Encoding.UTF8.GetString(key));
            }
            catch (Exception e) when (e is CryptographicException or ArgumentException)
            {
                throw Invalid($"the client certificate and key of {of} are not a PEM certificate and its private key", e);
            }
        }

        private static string At(SourceMark mark) => mark.Line > 0 ? $"line {mark.Line}, column {mark.Column}: " : string.Empty;

        private static string Unreadable(Exception e) => e switch
        {
            FileNotFoundException or DirectoryNotFoundException => "does not exist",
            UnauthorizedAccessException => "cannot be read (access denied)",
            _ => "cannot be read (I/O error)",
        };
    }
}
