using k8s.Models;
using Kompox.Compose;
using Kompox.Conversion;
using Xunit;
using static Kompox.Tests.Conversion.AppConverterTests;
using static Kompox.Tests.Conversion.ConversionFixtures;

namespace Kompox.Tests.Conversion;

public class ContainerCommandTests
{
    private static V1Container Container(ComposeService service) =>
        Find<V1Deployment>(ConvertValid(App(), Project(service), K3sDisk), "my-app").Spec.Template.Spec.Containers[0];

    // Docker hands the container these strings unchanged; the kubelet expands $(VAR) and $$ in command, args
    // (kubernetes.io/docs/tasks/inject-data-application/define-command-argument-container/#use-environment-variables-to-define-arguments)
    // and in exec probe commands (pkg/kubelet/prober/prober.go: ExpandContainerCommandOnlyStatic), so each $ is doubled.
    [Fact]
    public void Dollars_in_entrypoint_command_and_healthcheck_survive_the_kubelet_expansion()
    {
        var web = Service("web") with
        {
            Entrypoint = new[] { "/bin/sh", "-c" },
            Command = new[] { "echo $(HOME) $$HOME $PATH" },
            Healthcheck = new ComposeHealthcheck(HealthcheckKind.Exec, new[] { "test", "$(id -u)", "=", "0" }, null, null, null, null, At),
        };
        var container = Container(web);

        Assert.Equal(new[] { "/bin/sh", "-c" }, container.Command);
        Assert.Equal(new[] { "echo $$(HOME) $$$$HOME $$PATH" }, container.Args);
        Assert.Equal(new[] { "test", "$$(id -u)", "=", "0" }, container.ReadinessProbe.Exec.Command);
        Assert.Equal("echo $(HOME) $$HOME $PATH", KubeletExpand(container.Args[0]));
    }

    [Fact]
    public void A_shell_healthcheck_is_escaped_too()
    {
        var web = Service("web") with { Healthcheck = new ComposeHealthcheck(HealthcheckKind.Shell, new[] { "curl -f http://localhost:$${PORT:-80}/" }, null, null, null, null, At) };

        Assert.Equal(new[] { "/bin/sh", "-c", "curl -f http://localhost:$$$${PORT:-80}/" }, Container(web).ReadinessProbe.Exec.Command);
    }

    // compose-spec 05-services.md, entrypoint: "If the value is [] (empty list) or '' (empty string), the default entrypoint
    // declared by the image is ignored" and Compose "MUST clear out any default command on the Docker image", so only
    // `command` runs: as the Kubernetes command, which also drops the image's ENTRYPOINT and CMD.
    [Fact]
    public void An_empty_entrypoint_runs_the_command_alone()
    {
        var container = Container(Service("web") with { Entrypoint = Array.Empty<string>(), Command = new[] { "nginx", "-g", "daemon off;" } });

        Assert.Equal(new[] { "nginx", "-g", "daemon off;" }, container.Command);
        Assert.Null(container.Args);
    }

    [Fact]
    public void An_entrypoint_with_an_empty_command_runs_the_entrypoint_alone()
    {
        var container = Container(Service("web") with { Entrypoint = new[] { "/entry.sh" }, Command = Array.Empty<string>() });

        Assert.Equal(new[] { "/entry.sh" }, container.Command);
        Assert.Null(container.Args);
    }

    [Theory]
    [InlineData(true, "entrypoint", "nothing to run")]
    [InlineData(false, "command", "ENTRYPOINT without its CMD")]
    public void What_kubernetes_cannot_run_as_docker_would_is_an_error(bool emptyEntrypoint, string key, string reason)
    {
        var web = emptyEntrypoint
            ? Service("web") with { Entrypoint = Array.Empty<string>() }
            : Service("web") with { Command = Array.Empty<string>() };

        var error = Assert.Throws<KompoxValidationException>(() => AppConverter.Convert(App(), Project(web), K3sDisk));
        var problem = Assert.Single(error.Problems);
        Assert.Equal($"services.web.{key}", problem.Key);
        Assert.Contains(reason, problem.Message);
    }

    // The kubelet's rule (third_party/forked/golang/expansion): $$ gives $, $(NAME) a variable (none here, so kept), other $ stays.
    private static string KubeletExpand(string text)
    {
        var result = new System.Text.StringBuilder();
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] == '$' && i + 1 < text.Length && text[i + 1] == '$')
            {
                result.Append('$');
                i++;
            }
            else
            {
                result.Append(text[i]);
            }
        }

        return result.ToString();
    }
}
