using k8s.Models;
using Xunit;
using static Kompox.Tests.Validation.ValidationAssert;

namespace Kompox.Tests.Validation;

/// <summary>kube-apiserver takes file modes from 0 to 0777 (511): a decimal 644 or 0o1777 written by mistake is refused.</summary>
public class FileModeValidationTests
{
    private const string Volumes = "spec.template.spec.volumes";
    private const string Range = "must be a number between 0 and 0777 (octal), both inclusive";

    [Fact]
    public void Modes_up_to_0777_are_accepted()
    {
        var app = new BaselineApp();
        app.PodSpec.Volumes[1].ConfigMap.DefaultMode = 511;
        app.PodSpec.Volumes[2].Secret.DefaultMode = 0;
        app.PodSpec.Volumes[2].Secret.Items = [new V1KeyToPath { Key = "k", Path = "k", Mode = 256 }];
        Accepted(app);
    }

    [Fact]
    public void Config_map_default_mode_above_0777_is_rejected()
    {
        var app = new BaselineApp();
        app.PodSpec.Volumes[1].ConfigMap.DefaultMode = 644;
        Rejected(app, "Deployment", $"{Volumes}[1].configMap.defaultMode", Range);
    }

    [Fact]
    public void Secret_item_mode_above_0777_is_rejected()
    {
        var app = new BaselineApp();
        app.PodSpec.Volumes[2].Secret.Items = [new V1KeyToPath { Key = "k", Path = "k", Mode = 512 }];
        Rejected(app, "Deployment", $"{Volumes}[2].secret.items[0].mode", Range);
    }

    [Fact]
    public void Projected_default_mode_above_0777_is_rejected()
    {
        var app = new BaselineApp();
        app.PodSpec.Volumes.Add(Projected(defaultMode: 1023, itemMode: null));
        Rejected(app, "Deployment", $"{Volumes}[4].projected.defaultMode", Range);
    }

    [Fact]
    public void Projected_item_mode_above_0777_is_rejected()
    {
        var app = new BaselineApp();
        app.PodSpec.Volumes.Add(Projected(defaultMode: 420, itemMode: 4095));
        Rejected(app, "Deployment", $"{Volumes}[4].projected.sources[1].secret.items[0].mode", Range);
    }

    [Fact]
    public void Downward_api_modes_above_0777_are_rejected()
    {
        var app = new BaselineApp();
        app.PodSpec.Volumes.Add(new V1Volume
        {
            Name = "podinfo",
            DownwardAPI = new V1DownwardAPIVolumeSource { Items = [new V1DownwardAPIVolumeFile { Path = "labels", Mode = -1, FieldRef = new V1ObjectFieldSelector { FieldPath = "metadata.labels" } }] },
        });
        Rejected(app, "Deployment", $"{Volumes}[4].downwardAPI.items[0].mode", Range);
    }

    private static V1Volume Projected(int defaultMode, int? itemMode) => new()
    {
        Name = "bundle",
        Projected = new V1ProjectedVolumeSource
        {
            DefaultMode = defaultMode,
            Sources =
            [
                new V1VolumeProjection { ConfigMap = new V1ConfigMapProjection { Name = "my-app-config" } },
                new V1VolumeProjection { Secret = new V1SecretProjection { Name = "my-app-files", Items = [new V1KeyToPath { Key = "k", Path = "k", Mode = itemMode }] } },
            ],
        },
    };
}
