using k8s;
using Kompox.Model;
using Kompox.Operations;

namespace Kompox.Tests.Kube;

/// <summary>
/// Every way a kubeconfig can fail to be used is <c>InvalidKubeconfig</c> naming the file and what is wrong in it, from
/// both ways the engine reads one: a client's configuration, and the endpoint it writes into user kubeconfigs.
/// </summary>
public sealed class KubeconfigTests : IDisposable
{
    // Certificate files by relative names, which kubectl reads relative to the kubeconfig's directory.
    private const string Good = """
        apiVersion: v1
        kind: Config
        current-context: lab
        clusters:
        - name: lab-cluster
          cluster: {server: "https://10.0.0.1:6443", certificate-authority: pki/ca.pem}
        - name: edge-cluster
          cluster: {server: "https://edge:6443", insecure-skip-tls-verify: true}
        contexts:
        - name: lab
          context: {cluster: lab-cluster, user: admin}
        - name: edge
          context: {cluster: edge-cluster, user: admin}
        users:
        - name: admin
          user: {client-certificate: pki/admin.crt, client-key: pki/admin.key}
        """;

    private readonly TempDir dir = new();

    public KubeconfigTests()
    {
        var (admin, key) = TestCertificates.Create("admin");
        dir.Write("pki/ca.pem", TestCertificates.Create("lab-ca").Certificate);
        dir.Write("pki/admin.crt", admin);
        dir.Write("pki/admin.key", key);
    }

    public void Dispose() => dir.Dispose();

    [Fact]
    public void A_good_kubeconfig_reads_its_files_relative_to_its_own_directory()
    {
        // The test's working directory is its bin folder, so a name resolved against it would not be found.
        var path = dir.Write("kubeconfig", Good);

        var configuration = KubeconfigClientFactory.Configuration(Cluster(path));
        Assert.Equal(Path.Combine(dir.Path, "pki/admin.key"), configuration.ClientKeyFilePath);
        using var client = new Kubernetes(configuration);
        Assert.Equal(
            new KubeEndpoint("https://10.0.0.1:6443", Convert.ToBase64String(File.ReadAllBytes(Path.Combine(dir.Path, "pki/ca.pem"))), null, false),
            KubeconfigClientFactory.Endpoint(Cluster(path)));
        Assert.Equal("https://edge:6443", KubeconfigClientFactory.Configuration(Cluster(path, "edge")).Host);
    }

    [Fact]
    public void Context_names_match_exactly_as_kubectl_matches_them()
    {
        // The client alone takes the first name equal but for case: here LAB, on another server.
        var path = dir.Write("kubeconfig", Good.Replace("contexts:\n", "contexts:\n- name: LAB\n  context: {cluster: edge-cluster, user: admin}\n", StringComparison.Ordinal));

        Assert.Equal("https://10.0.0.1:6443", KubeconfigClientFactory.Configuration(Cluster(path, "lab")).Host);
    }

    [Fact]
    public void A_truncated_file_says_where_its_yaml_breaks()
    {
        // Cut inside the flow mapping of the first cluster, as a copy interrupted mid-way leaves it.
        var path = dir.Write("kubeconfig", Good[..(Good.IndexOf("certificate-authority", StringComparison.Ordinal) - 1)]);

        var message = AssertInvalid(path, null, "cannot be read as a kubeconfig");
        Assert.Matches(@"line \d+, column \d+: YAML syntax error", message);
    }

    [Theory]
    [InlineData(true, "binary, not YAML text")]
    [InlineData(false, "not UTF-8 text")]
    public void A_binary_file_cannot_be_read_as_a_kubeconfig(bool withNul, string why)
    {
        var bytes = new byte[512];
        new Random(12).NextBytes(bytes);
        bytes[0] = 0xC3;   // a UTF-8 lead byte, so the file is never text by chance
        bytes[1] = 0x28;
        if (withNul)
        {
            bytes[100] = 0;
        }
        else
        {
            bytes.AsSpan().Replace((byte)0, (byte)1);
        }

        var path = Path.Combine(dir.Path, "kubeconfig");
        File.WriteAllBytes(path, bytes);

        AssertInvalid(path, null, "cannot be read as a kubeconfig", why);
    }

    [Theory]
    [InlineData("", "the file is empty")]
    [InlineData("  \n\n", "the file is empty")]
    [InlineData("# kubectl config view > here, never run\n", "holds only comments")]
    [InlineData("- lab\n- edge\n", "line 1, column 1: its top level is a list, not a mapping")]
    [InlineData("kubeconfig", "its top level is the string 'kubeconfig', not a mapping")]
    public void Yaml_that_is_not_a_kubeconfig_mapping_cannot_be_read_as_one(string text, string why)
    {
        AssertInvalid(dir.Write("kubeconfig", text), null, "cannot be read as a kubeconfig", why);
    }

    [Theory]
    [InlineData("contexts:\n", "contexts: lab\nmoved:\n", "line 9, column 11: contexts is the string 'lab', not a list")]
    [InlineData("- name: lab\n  context:", "- context:", "line 10, column 3: an entry of contexts has no name")]
    [InlineData("user: {client-certificate: pki/admin.crt, client-key: pki/admin.key}", "user: [admin]", "line 16, column 9: user 'admin' has a list as its user, not a mapping")]
    [InlineData("current-context: lab", "current-context: {name: lab}", "line 3, column 18: current-context is a mapping, not a context name")]
    [InlineData("insecure-skip-tls-verify: true", "insecure-skip-tls-verify: [yes]", "line 8, column 68: this value does not have the type a kubeconfig gives it")]
    public void Entries_of_the_wrong_shape_are_placed(string replaced, string by, string why)
    {
        AssertInvalid(dir.Write("kubeconfig", Good.Replace(replaced, by, StringComparison.Ordinal)), "edge", "cannot be read as a kubeconfig", why);
    }

    [Fact]
    public void A_context_not_in_the_file_lists_the_ones_that_are()
    {
        var path = dir.Write("kubeconfig", Good);

        var message = AssertInvalid(path, "staging", "it has no context 'staging'");
        Assert.EndsWith("its contexts are: edge, lab", message);
    }

    [Fact]
    public void A_file_without_contexts_says_it_has_none()
    {
        var path = dir.Write("kubeconfig", "apiVersion: v1\nkind: Config\nclusters: []\ncontexts: []\nusers: []\n");

        AssertInvalid(path, "lab", "it has no context 'lab'; it has no contexts");
    }

    [Fact]
    public void No_current_context_and_none_named_is_said()
    {
        var path = dir.Write("kubeconfig", Good.Replace("current-context: lab\n", string.Empty, StringComparison.Ordinal));

        AssertInvalid(path, null, "it has no current-context and no context is named for the cluster; its contexts are: edge, lab");
    }

    [Fact]
    public void A_context_whose_cluster_entry_is_missing_names_the_entry_and_the_context()
    {
        var path = dir.Write("kubeconfig", Good.Replace("cluster: lab-cluster", "cluster: lab-gone", StringComparison.Ordinal));

        AssertInvalid(path, "lab", "context 'lab' names cluster 'lab-gone', which has no entry in the file; its clusters are: edge-cluster, lab-cluster");
    }

    [Fact]
    public void A_context_whose_user_entry_is_missing_names_the_entry_and_the_context()
    {
        var path = dir.Write("kubeconfig", Good.Replace("- name: admin", "- name: root", StringComparison.Ordinal));

        AssertInvalid(path, "edge", "context 'edge' names user 'admin', which has no entry in the file; its users are: root");
    }

    [Fact]
    public void A_cluster_entry_without_a_server_is_named()
    {
        var path = dir.Write("kubeconfig", Good.Replace("server: \"https://edge:6443\", ", string.Empty, StringComparison.Ordinal));

        AssertInvalid(path, "edge", "cluster 'edge-cluster' of context 'edge' has no server");
    }

    [Fact]
    public void A_missing_client_key_file_is_named_where_kubectl_looks_for_it()
    {
        var path = dir.Write("kubeconfig", Good);
        File.Delete(Path.Combine(dir.Path, "pki/admin.key"));

        var message = AssertInvalid(path, "lab", $"the client-key file {Path.Combine(dir.Path, "pki", "admin.key")} of user 'admin' of context 'lab' does not exist");
        Assert.DoesNotContain("Could not find", message);   // .NET's words, which it may translate
    }

    [Fact]
    public void A_client_certificate_that_cannot_be_read_is_named()
    {
        var path = dir.Write("kubeconfig", Good.Replace("client-certificate: pki/admin.crt", "client-certificate: pki", StringComparison.Ordinal));

        AssertInvalid(path, "lab", $"the client-certificate file {Path.Combine(dir.Path, "pki")} of user 'admin' of context 'lab' is a directory, not a file");
    }

    [Fact]
    public void A_missing_certificate_authority_file_is_named()
    {
        var path = dir.Write("kubeconfig", Good);
        File.Delete(Path.Combine(dir.Path, "pki/ca.pem"));

        AssertInvalid(path, "lab", $"the certificate-authority file {Path.Combine(dir.Path, "pki", "ca.pem")} of cluster 'lab-cluster' of context 'lab' does not exist");
    }

    [Fact]
    public void A_certificate_authority_without_a_certificate_is_named()
    {
        var path = dir.Write("kubeconfig", Good);
        dir.Write("pki/ca.pem", "not a certificate\n");

        AssertInvalid(path, "lab", $"the certificate-authority file {Path.Combine(dir.Path, "pki", "ca.pem")} of cluster 'lab-cluster' of context 'lab' holds no PEM certificate");
    }

    [Fact]
    public void A_client_key_that_is_not_the_certificates_is_named()
    {
        // The client would find this only when it is built, in the crypto library's words.
        var path = dir.Write("kubeconfig", Good);
        dir.Write("pki/admin.key", TestCertificates.Create("someone else").Key);

        AssertInvalid(path, "edge", "the client certificate and key of user 'admin' of context 'edge' are not a PEM certificate and its private key");
    }

    [Fact]
    public void A_client_certificate_without_a_key_is_named()
    {
        var path = dir.Write("kubeconfig", Good.Replace(", client-key: pki/admin.key", string.Empty, StringComparison.Ordinal));

        AssertInvalid(path, "edge", "user 'admin' of context 'edge' has a client certificate but no client-key or client-key-data");
    }

    [Fact]
    public void Certificate_authority_data_that_is_not_base64_is_named()
    {
        var path = dir.Write("kubeconfig", Good.Replace("certificate-authority: pki/ca.pem", "certificate-authority-data: \"not base64!\"", StringComparison.Ordinal));

        AssertInvalid(path, "lab", "the certificate-authority-data of cluster 'lab-cluster' of context 'lab' is not base64");
    }

    [Fact]
    public void What_only_the_client_checks_is_said_with_the_file_and_context()
    {
        var path = dir.Write("kubeconfig", Good.Replace("{client-certificate: pki/admin.crt, client-key: pki/admin.key}", "{}", StringComparison.Ordinal));

        // Only the client's configuration needs credentials; the endpoint is the cluster's part.
        var error = Assert.Throws<KompoxException>(() => KubeconfigClientFactory.Configuration(Cluster(path, "edge")));
        AssertNames(error, path, "context 'edge' cannot be used: User: admin does not have appropriate auth credentials");
    }

    [Fact]
    public void A_failing_exec_plugin_is_said_in_one_line()
    {
        if (OperatingSystem.IsWindows())
        {
            return;   // the plugin is a shell script
        }

        // A plugin whose output is not JSON: the client's message for it ends in the parser's stack trace.
        var plugin = dir.Write("plugin", "#!/bin/sh\necho not json\n");
        File.SetUnixFileMode(plugin, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var path = dir.Write("kubeconfig", Good.Replace("{client-certificate: pki/admin.crt, client-key: pki/admin.key}", "{exec: {apiVersion: client.authentication.k8s.io/v1, command: " + plugin + "}}", StringComparison.Ordinal));

        var error = Assert.Throws<KompoxException>(() => KubeconfigClientFactory.Configuration(Cluster(path, "edge")));
        AssertNames(error, path, "context 'edge' cannot be used: external exec failed due to failed deserialization");
        Assert.DoesNotContain('\n', error.Message);
    }

    /// <summary>Both readings of the kubeconfig fail alike, naming the file and the problem.</summary>
    /// <returns>The message.</returns>
    private static string AssertInvalid(string path, string? context, params string[] mentions)
    {
        var fromClient = Assert.Throws<KompoxException>(() => KubeconfigClientFactory.Configuration(Cluster(path, context)));
        var fromEndpoint = Assert.Throws<KompoxException>(() => KubeconfigClientFactory.Endpoint(Cluster(path, context)));

        AssertNames(fromClient, path, mentions);
        Assert.Equal(fromClient.Message, fromEndpoint.Message);
        return fromClient.Message;
    }

    private static void AssertNames(KompoxException error, string path, params string[] mentions)
    {
        Assert.Equal(("InvalidKubeconfig", ErrorKind.InvalidData, path), (error.ErrorId, error.Kind, error.Target as string));
        Assert.StartsWith($"cluster 'lab': kubeconfig {path}: ", error.Message);
        foreach (var mention in mentions)
        {
            Assert.True(error.Message.Contains(mention, StringComparison.Ordinal), $"not in the message: {mention}\nmessage: {error.Message}");
        }
    }

    private static KompoxCluster Cluster(string kubeconfig, string? context = null)
    {
        var service = new KompoxService { Name = "ops" };
        var provider = new KompoxProvider { Name = "k3s1", Driver = "k3s", Settings = new Dictionary<string, string>(), Service = service };
        return new KompoxCluster
        {
            Name = "lab",
            Provider = provider,
            Auth = new ClusterAuth { Kubeconfig = kubeconfig, Context = context },
            Ingress = new ClusterIngress(),
            Domain = "apps.example.com",
            Settings = new Dictionary<string, string>(),
        };
    }
}
