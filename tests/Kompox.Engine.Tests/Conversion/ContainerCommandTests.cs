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
            Ports = new[] { Port(80) },
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
        var web = Service("web") with { Ports = new[] { Port(80) }, Healthcheck = new ComposeHealthcheck(HealthcheckKind.Shell, new[] { "curl -f http://localhost:$${PORT:-80}/" }, null, null, null, null, At) };

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

    // The image's own ENTRYPOINT and CMD, which Docker and the kubelet run when nothing replaces them.
    private static readonly string[] ImageEntrypoint = ["<image ENTRYPOINT>"];
    private static readonly string[] ImageCmd = ["<image CMD>"];

    // The service's environment: the kubelet expands $(VAR) with the container's variables, the ones Kompox passes
    // through the service's environment Secret included, so an unescaped $(X) would become "x-value".
    private static readonly Dictionary<string, string> Variables = new() { ["X"] = "x-value", ["Y"] = "y-value" };

    /// <summary>
    /// Every $ form in every entrypoint shape: what the container runs, after the kubelet's expansion, is exactly the argv
    /// Docker runs. Docker: an entrypoint (even an empty one) clears the image's CMD, a command replaces it
    /// (compose-spec 05-services.md). Kubernetes: a command replaces ENTRYPOINT and drops CMD, args replace CMD.
    /// </summary>
    [Theory]
    [InlineData("no entrypoint", "$")]
    [InlineData("no entrypoint", "$(X)")]
    [InlineData("no entrypoint", "$$")]
    [InlineData("no entrypoint", "$(X) $Y")]
    [InlineData("no entrypoint", "$$(X) $(X $")]
    [InlineData("entrypoint []", "$")]
    [InlineData("entrypoint []", "$(X)")]
    [InlineData("entrypoint []", "$$")]
    [InlineData("entrypoint []", "$(X) $Y")]
    [InlineData("entrypoint []", "$$(X) $(X $")]
    [InlineData("entrypoint \"\"", "$")]
    [InlineData("entrypoint \"\"", "$(X)")]
    [InlineData("entrypoint \"\"", "$$")]
    [InlineData("entrypoint \"\"", "$(X) $Y")]
    [InlineData("entrypoint \"\"", "$$(X) $(X $")]
    [InlineData("entrypoint set", "$")]
    [InlineData("entrypoint set", "$(X)")]
    [InlineData("entrypoint set", "$$")]
    [InlineData("entrypoint set", "$(X) $Y")]
    [InlineData("entrypoint set", "$$(X) $(X $")]
    public void The_container_runs_the_argv_docker_runs_whatever_the_dollars_and_entrypoint(string shape, string word)
    {
        // The words as Docker receives them: compose has already turned its own $$ into $.
        var entrypoint = shape switch
        {
            "no entrypoint" => null,
            "entrypoint []" => Array.Empty<string>(),
            "entrypoint \"\"" => Kompox.Tests.Compose.Compose.Service("services:\n  web:\n    image: nginx:1.27\n    entrypoint: \"\"\n").Entrypoint,
            _ => new[] { "/entry.sh", word },
        };
        Assert.True(shape == "no entrypoint" || entrypoint is not null);
        string[] command = ["echo", word];
        var web = Service("web") with { Entrypoint = entrypoint, Command = command, Environment = Variables };

        var container = Container(web);

        var dockerRuns = (entrypoint ?? ImageEntrypoint).Concat(command);
        var kubeletRuns = (container.Command is { } c ? c.Select(KubeletExpand) : ImageEntrypoint)
            .Concat(container.Args is { Count: > 0 } a ? a.Select(KubeletExpand) : container.Command is null ? ImageCmd : []);
        Assert.Equal(dockerRuns, kubeletRuns);
    }

    [Theory]
    [InlineData("$$", "$")]
    [InlineData("$(X)", "x-value")]
    [InlineData("$(Z)", "$(Z)")]
    [InlineData("$(X) $Y $", "x-value $Y $")]
    [InlineData("$$(X)", "$(X)")]
    [InlineData("$(X", "$(X")]
    [InlineData("$$$(X)", "$x-value")]
    public void The_expansion_model_does_what_the_kubelet_does(string text, string expanded) =>
        Assert.Equal(expanded, KubeletExpand(text));

    /// <summary>
    /// The kubelet's $(VAR) expansion of command and args: Expand and tryReadVariableName of
    /// kubernetes/kubernetes third_party/forked/golang/expansion/expand.go, with the mapping of MappingFuncFor (an unknown
    /// name stays written as $(NAME)). $$ gives $; $( without ) and $ before anything else stay; a final $ stays.
    /// Go reads a rune after $ where this reads a char, which copies the same text.
    /// </summary>
    private static string KubeletExpand(string input)
    {
        var result = new System.Text.StringBuilder();
        var checkpoint = 0;
        for (var cursor = 0; cursor < input.Length; cursor++)
        {
            if (input[cursor] != '$' || cursor + 1 >= input.Length)
            {
                continue;
            }

            result.Append(input, checkpoint, cursor - checkpoint);
            var rest = input[(cursor + 1)..];
            int advance;
            if (rest[0] == '$')
            {
                result.Append('$');
                advance = 1;
            }
            else if (rest[0] == '(' && rest.IndexOf(')') is var close and > 0)
            {
                var name = rest[1..close];
                result.Append(Variables.TryGetValue(name, out var value) ? value : $"$({name})");
                advance = close + 1;
            }
            else
            {
                result.Append('$').Append(rest[0]);
                advance = 1;
            }

            cursor += advance;
            checkpoint = cursor + 1;
        }

        return result.Append(input, checkpoint, input.Length - checkpoint).ToString();
    }
}
