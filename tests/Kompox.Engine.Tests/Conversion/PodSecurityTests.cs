using k8s.Models;
using Kompox.Compose;
using Xunit;
using static Kompox.Tests.Conversion.AppConverterTests;
using static Kompox.Tests.Conversion.ConversionFixtures;

namespace Kompox.Tests.Conversion;

public class PodSecurityTests
{
    internal static V1PodSpec Pod(ComposeProject project) =>
        Find<V1Deployment>(ConvertValid(App(), project, K3sDisk), "my-app").Spec.Template.Spec;

    // Docker runs every container under its default seccomp profile (docs.docker.com/engine/security/seccomp/);
    // Kubernetes runs them Unconfined unless the Pod asks for RuntimeDefault (kubernetes.io/docs/tutorials/security/seccomp/).
    [Fact]
    public void Every_container_runs_with_the_runtime_default_seccomp_profile()
    {
        var pod = Pod(Project(new[] { Service("web"), Service("db", "postgres:16") with { Volumes = new[] { Volume("db", "/var/lib/postgresql/data") } } }, volumes: new[] { "db" }));

        // At Pod level it covers init containers too, and no container overrides it.
        Assert.Equal("RuntimeDefault", pod.SecurityContext.SeccompProfile.Type);
        Assert.All(pod.Containers.Concat(pod.InitContainers ?? new List<V1Container>()), c => Assert.Null(c.SecurityContext?.SeccompProfile));
    }

    // security_opt: [no-new-privileges] sets no_new_privs (docs.docker.com/reference/cli/docker/container/run/#security-opt),
    // which Kubernetes controls with allowPrivilegeEscalation: false.
    [Fact]
    public void No_new_privileges_forbids_privilege_escalation_only_where_set()
    {
        var pod = Pod(Project(Service("web") with { NoNewPrivileges = true }, Service("db", "postgres:16")));

        Assert.False(pod.Containers.Single(c => c.Name == "web").SecurityContext.AllowPrivilegeEscalation);
        Assert.Null(pod.Containers.Single(c => c.Name == "db").SecurityContext?.AllowPrivilegeEscalation);
    }
}
