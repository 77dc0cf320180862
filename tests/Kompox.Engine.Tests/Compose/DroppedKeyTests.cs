using Kompox.Compose;
using Xunit;
using static Kompox.Tests.Compose.Compose;

namespace Kompox.Tests.Compose;

// Keys whose loss changes what the app does get a warning of their own (not NoEffect, so not folded into the cmdlets'
// "N compose keys have no effect" summary); keys that change nothing in one Pod stay in the summary.
public class DroppedKeyTests
{
    private static Diagnostic Warning(string serviceYaml, string key)
    {
        var project = Load($"services:\n  web:\n    image: example/web:1\n{serviceYaml}");
        return Assert.Single(project.Warnings, w => w.Key == $"services.web.{key}");
    }

    // Docker sends stop_signal (compose-spec 05-services.md stop_signal); Kubernetes' CRI runtime sends the image's
    // STOPSIGNAL, SIGTERM when the image sets none (containerd internal/cri/server/container_stop.go).
    [Fact]
    public void Stop_signal_says_which_signal_the_service_gets_instead()
    {
        var warning = Warning("    stop_signal: SIGQUIT\n", "stop_signal");

        Assert.False(warning.NoEffect);
        Assert.Equal(Severity.Warning, warning.Severity);
        Assert.Contains("'SIGQUIT' is not sent: Kubernetes stops the container with its image's STOPSIGNAL (SIGTERM if the image sets none)", warning.Message);
    }

    // Docker docs, start containers automatically: "no" never restarts, "on-failure" only after a non-zero exit.
    [Theory]
    [InlineData("\"no\"", "'no'")]
    [InlineData("on-failure:3", "'on-failure:3'")]
    public void A_restart_policy_that_lets_a_container_stay_stopped_warns(string policy, string shown)
    {
        var warning = Warning($"    restart: {policy}\n", "restart");

        Assert.False(warning.NoEffect);
        Assert.Contains($"{shown} cannot be kept: Kubernetes restarts every container", warning.Message);
    }

    [Theory]
    [InlineData("    restart: unless-stopped\n", "restart")]
    [InlineData("    restart: always\n", "restart")]
    [InlineData("    links: [api]\n", "links")]
    [InlineData("    networks: [front]\n", "networks")]
    [InlineData("    container_name: web1\n", "container_name")]
    public void Keys_that_change_nothing_in_one_pod_stay_in_the_summary(string yaml, string key)
    {
        var project = Load($"services:\n  web:\n    image: example/web:1\n{yaml}  api:\n    image: example/api:1\nnetworks:\n  front:\n");

        Assert.True(Assert.Single(project.Warnings, w => w.Key == $"services.web.{key}").NoEffect);
    }

    // compose-spec ulimits, group_add, links SERVICE:ALIAS and networks.<name>.aliases each change what the container
    // can do or which names resolve.
    [Theory]
    [InlineData("    ulimits: { nofile: { soft: 65536, hard: 65536 } }\n", "ulimits", "nofile cannot be set in a Pod")]
    [InlineData("    group_add: [mail]\n", "group_add", "groups mail are not added")]
    [InlineData("    links: ['api:backend']\n", "links", "the alias 'backend' does not resolve in the Pod")]
    [InlineData("    networks: { front: { aliases: [www, site] } }\n", "networks", "the aliases 'www', 'site' do not resolve in the Pod")]
    public void Keys_whose_loss_changes_behaviour_warn_on_their_own(string yaml, string key, string text)
    {
        var project = Load($"services:\n  web:\n    image: example/web:1\n{yaml}  api:\n    image: example/api:1\nnetworks:\n  front:\n");

        var warning = Assert.Single(project.Warnings, w => w.Key == $"services.web.{key}");
        Assert.False(warning.NoEffect);
        Assert.Contains(text, warning.Message);
    }
}
