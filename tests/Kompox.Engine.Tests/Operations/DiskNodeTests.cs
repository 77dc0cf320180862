using Kompox.Operations;

namespace Kompox.Tests.Operations;

/// <summary>
/// A k3s disk is a directory on the node (K3sRuntime): disk operations from another machine are refused before anything
/// is made. The node's machine is as the kubelet reports it (kubernetes/kubernetes pkg/kubelet/nodestatus/setters.go
/// MachineInfo: nodeInfo.machineID from /etc/machine-id; kubelet_node_status.go: the kubernetes.io/hostname label).
/// </summary>
public sealed class DiskNodeTests : IDisposable
{
    private readonly OperationFixture fixture = new();

    public void Dispose() => fixture.Dispose();

    [Fact]
    public async Task Disk_operations_on_another_machine_than_the_k3s_node_are_refused_and_make_nothing()
    {
        var app = fixture.App();
        await using var elsewhere = new KompoxContext(fixture.Kube, new Kompox.Drivers.DriverFactory(fixture.Time), fixture.Store, fixture.Time, new InProcessAppLock(fixture.Time))
        {
            Machine = new MachineIdentity("ops-laptop", "99999999999999999999999999999999"),
        };
        var disks = new DiskOperations(elsewhere);

        var creating = await Assert.ThrowsAsync<KompoxException>(() => disks.CreateAsync(app.Id, null, null, CancellationToken.None)).Within();
        var listing = await Assert.ThrowsAsync<KompoxException>(() => disks.ListAsync(app.Id, null, CancellationToken.None)).Within();

        Assert.Equal(("NotOnDiskNode", "NotOnDiskNode"), (creating.ErrorId, listing.ErrorId));
        Assert.Contains("on node 'ops-node'", creating.Message);
        Assert.False(Directory.Exists(Path.Combine(fixture.DataRoot, "disks")));
    }

    [Fact]
    public async Task Disk_operations_on_the_k3s_node_go_ahead()
    {
        var app = fixture.App();
        var disks = new DiskOperations(fixture.Context);

        var made = await disks.CreateAsync(app.Id, null, null, CancellationToken.None).Within();

        Assert.True(Directory.Exists(Path.Combine(fixture.DataRoot, "disks", made.Id)));
    }
}
