using System.Text.RegularExpressions;
using Azure.Core;
using Azure.Core.Pipeline;
using Azure.Identity;
using Azure.ResourceManager;
using Kompox.Drivers;
using Kompox.Model;
using Kompox.Operations;
using Kompox.Testing.FakeArm;
using Kompox.Tests.Operations;
using Microsoft.Extensions.Time.Testing;
using static Kompox.Tests.Drivers.AksLab;

namespace Kompox.Tests.Drivers;

// Export_streams_in_constant_memory counts the whole process's allocations, so no other test may run beside it.
[Collection(ProcessWideMeasurements.Name)]
public sealed class AksRuntimeTests : IDisposable
{
    private const long ImageBytes = (24L << 20) + 512;

    private readonly AksLab lab = new();
    private readonly RecordedProgress progress = new();

    private FakeArm arm => lab.Arm;

    private FakeTimeProvider time => lab.Time;

    public void Dispose() => lab.Dispose();

    [Fact]
    public async Task A_new_disk_is_an_empty_managed_disk_tagged_with_the_app_and_the_time()
    {
        var disk = await Runtime().CreateDiskAsync(App(), progress, CancellationToken.None).Within();

        Assert.Matches(new Regex($"^/subscriptions/{Subscription}/resourceGroups/{AksLab.Group}/providers/Microsoft.Compute/disks/web-20250811123456-[0-9a-z]{{6}}$"), disk.Id);
        Assert.Equal(new DiskInfo(disk.Id, App().Id, time.GetUtcNow(), 2L << 30), disk);
        var made = Assert.Single(arm.Disks);
        Assert.Equal(("japaneast", "StandardSSD_LRS", "Empty"), (made.Location, made.Sku, made.CreateOption));
        Assert.Equal(new Dictionary<string, string> { ["kompox-app"] = "ops/aks1/lab/web", ["kompox-created-at"] = "2025-08-11T12:34:56Z" }, made.Tags);
    }

    // Disks - Update (learn.microsoft.com/rest/api/compute/disks/update): a PATCH whose tags replace the disk's tags.
    [Fact]
    public async Task The_current_disk_is_recorded_by_a_tag_patched_on_it_and_cleared_from_the_apps_other_disk_and_no_write_when_it_holds()
    {
        var runtime = Runtime();
        var first = await runtime.CreateDiskAsync(App(), progress, CancellationToken.None).Within();
        var second = await runtime.CreateDiskAsync(App(), progress, CancellationToken.None).Within();
        var other = await runtime.CreateDiskAsync(App("db"), progress, CancellationToken.None).Within();
        await runtime.MarkCurrentAsync(App("db"), other.Id, CancellationToken.None).Within();

        await runtime.MarkCurrentAsync(App(), first.Id, CancellationToken.None).Within();
        time.Advance(TimeSpan.FromMinutes(1));
        await runtime.MarkCurrentAsync(App(), second.Id, CancellationToken.None).Within();

        var disks = await runtime.ListDisksAsync(App(), CancellationToken.None).Within();
        Assert.Equal(second.Id, DiskInfo.ProviderCurrent(disks));
        Assert.Equal(new[] { second.Id }, disks.Where(d => d.CurrentSince is not null).Select(d => d.Id));
        Assert.Equal("2025-08-11T12:35:56.0000000Z", arm.Disks.Single(d => second.Id.EndsWith(d.Name, StringComparison.Ordinal)).Tags["kompox-disk-current"]);
        Assert.Equal("ops/aks1/lab/web", arm.Disks.Single(d => first.Id.EndsWith(d.Name, StringComparison.Ordinal)).Tags["kompox-app"]);
        Assert.Equal(other.Id, DiskInfo.ProviderCurrent(await runtime.ListDisksAsync(App("db"), CancellationToken.None).Within()));
        Assert.Equal(4, arm.Requests.Count(r => r.Method == "PATCH"));

        var before = arm.Requests.Count(r => r.Method == "PATCH");
        await runtime.MarkCurrentAsync(App(), second.Id, CancellationToken.None).Within();
        Assert.Equal(before, arm.Requests.Count(r => r.Method == "PATCH"));
        await Assert.ThrowsAsync<KompoxException>(() => runtime.MarkCurrentAsync(App(), other.Id, CancellationToken.None)).Within();
    }

    [Fact]
    public async Task Disks_are_found_by_their_app_tag_newest_first()
    {
        var runtime = Runtime();
        var first = await runtime.CreateDiskAsync(App(), progress, CancellationToken.None).Within();
        time.Advance(TimeSpan.FromHours(1));
        var second = await runtime.CreateDiskAsync(App(), progress, CancellationToken.None).Within();
        await runtime.CreateDiskAsync(App("db"), progress, CancellationToken.None).Within();

        var listed = await runtime.ListDisksAsync(App(), CancellationToken.None).Within();

        Assert.Equal(new[] { second.Id, first.Id }, listed.Select(d => d.Id));
        Assert.Equal(first, await runtime.GetDiskAsync(App(), first.Id, CancellationToken.None).Within());
    }

    [Fact]
    public async Task A_disk_is_deleted_and_only_the_apps_existing_disks_can_be()
    {
        var runtime = Runtime();
        var mine = await runtime.CreateDiskAsync(App(), progress, CancellationToken.None).Within();
        var theirs = await runtime.CreateDiskAsync(App("db"), progress, CancellationToken.None).Within();

        await runtime.DeleteDiskAsync(App(), mine.Id, CancellationToken.None).Within();
        var refusals = new[] { theirs.Id, mine.Id, "web-disk", $"/subscriptions/{Subscription}/resourceGroups/{AksLab.Group}/providers/Microsoft.Compute/snapshots/x" };
        foreach (var id in refusals)
        {
            var error = await Assert.ThrowsAsync<KompoxException>(() => runtime.DeleteDiskAsync(App(), id, CancellationToken.None)).Within();
            Assert.Equal(("DiskNotFound", id), (error.ErrorId, error.Target));
        }

        Assert.Equal(new[] { theirs.Id }, arm.Disks.Select(d => d.Id));
    }

    [Fact]
    public async Task An_incremental_snapshot_restores_to_a_new_disk_with_its_content()
    {
        var runtime = Runtime();
        var app = App();
        var image = Image();
        var disk = await runtime.ImportDiskAsync(app, new MemoryStream(image), progress, CancellationToken.None).Within();
        time.Advance(TimeSpan.FromMinutes(5));

        var snapshot = await runtime.CreateSnapshotAsync(app, disk.Id, progress, CancellationToken.None).Within();
        Single(disk.Id).Content.Write(4096, new byte[512]);
        time.Advance(TimeSpan.FromMinutes(5));
        var restored = await runtime.RestoreSnapshotAsync(app, snapshot.Id, progress, CancellationToken.None).Within();

        Assert.Equal((disk.Id, disk.SizeBytes, app.Id), (snapshot.DiskId, snapshot.SizeBytes, snapshot.AppId));
        Assert.True(Assert.Single(arm.Snapshots).Incremental);
        Assert.Contains(arm.Requests, r => r.Method == "PUT" && r.Path.Contains("/snapshots/", StringComparison.Ordinal) && r.BodyText.Contains("\"incremental\":true", StringComparison.Ordinal));
        Assert.Equal(new[] { snapshot.Id }, (await runtime.ListSnapshotsAsync(app, CancellationToken.None).Within()).Select(s => s.Id));
        Assert.Equal(new[] { restored.Id, disk.Id }, (await runtime.ListDisksAsync(app, CancellationToken.None).Within()).Select(d => d.Id));
        Assert.Equal(("Copy", snapshot.Id, disk.SizeBytes), (Single(restored.Id).CreateOption, Single(restored.Id).SourceResourceId, restored.SizeBytes));
        Assert.Equal(image, await ExportAsync(runtime, app, restored.Id).Within());

        await runtime.DeleteSnapshotAsync(app, snapshot.Id, CancellationToken.None).Within();
        Assert.Empty(arm.Snapshots);
        var gone = await Assert.ThrowsAsync<KompoxException>(() => runtime.ExportSnapshotAsync(app, snapshot.Id, Stream.Null, progress, CancellationToken.None)).Within();
        Assert.Equal("SnapshotNotFound", gone.ErrorId);
    }

    [Fact]
    public async Task A_disk_exported_as_a_fixed_vhd_imports_as_a_new_disk_skipping_zero_pages_with_progress()
    {
        var runtime = Runtime();
        var app = App();
        var image = Image();

        var imported = await runtime.ImportDiskAsync(app, new MemoryStream(image), progress, CancellationToken.None).Within();
        var puts = arm.Requests.Where(r => r.Method == "PUT" && r.Query.GetValueOrDefault("comp") == "page").ToList();
        var exported = await ExportAsync(runtime, app, imported.Id).Within();
        var again = await runtime.ImportDiskAsync(app, new MemoryStream(exported), progress, CancellationToken.None).Within();

        Assert.Equal(image, exported);
        Assert.Equal(image, await ExportAsync(runtime, app, again.Id).Within());
        Assert.Equal(24L << 20, imported.SizeBytes);

        // Six 4 MiB pages and the footer's; pages 1 and 3 hold only zeros and are not sent.
        Assert.Equal(new[] { 0L, 2L << 22, 4L << 22, 5L << 22, 6L << 22 }, puts.Select(p => long.Parse(p.Header("x-ms-range")[6..].Split('-')[0], System.Globalization.CultureInfo.InvariantCulture)));
        Assert.All(puts, p => Assert.Equal("update", p.Header("x-ms-page-write")));
        Assert.All(puts, p => Assert.True(p.Body.Length <= 4 << 20));
        Assert.Equal("Unattached", Single(imported.Id).State);
        Assert.All(arm.Disks, d => Assert.Null(d.Sas));
        Assert.Contains(progress.Reports, r => r.Activity == $"Exporting disk {imported.Id}" && r.Percent == 100);
        Assert.Contains(progress.Reports, r => r.Activity.StartsWith("Importing a disk", StringComparison.Ordinal) && r.Percent == 100);
    }

    [Fact]
    public async Task Export_streams_in_constant_memory()
    {
        var runtime = Runtime();
        var app = App();
        var image = new byte[(64L << 20) + 512];
        Random.Shared.NextBytes(image.AsSpan(0, 64 << 20));
        SparseBlob.VhdFooter(64L << 20).CopyTo(image, 64 << 20);
        var disk = await runtime.ImportDiskAsync(app, new MemoryStream(image), progress, CancellationToken.None).Within();
        var counter = new CountingStream();
        await runtime.ExportDiskAsync(app, disk.Id, counter, progress, CancellationToken.None).Within();

        var before = GC.GetTotalAllocatedBytes(precise: true);
        await runtime.ExportDiskAsync(app, disk.Id, counter, progress, CancellationToken.None).Within();
        var allocated = GC.GetTotalAllocatedBytes(precise: true) - before;

        Assert.Equal(2 * image.LongLength, counter.Written);
        Assert.True(allocated < 24L << 20, $"allocated {allocated} bytes to export {image.Length}, fake server included");
    }

    [Fact]
    public async Task Export_stops_when_canceled_and_revokes_the_sas()
    {
        var runtime = Runtime();
        var app = App();
        var disk = await runtime.ImportDiskAsync(app, new MemoryStream(Image()), progress, CancellationToken.None).Within();
        using var cancel = new CancellationTokenSource();
        var destination = new CountingStream { AfterWrite = cancel.Cancel };

        var error = await Assert.ThrowsAsync<KompoxException>(() => runtime.ExportDiskAsync(app, disk.Id, destination, progress, cancel.Token)).Within();

        Assert.Equal("OperationCanceled", error.ErrorId);
        Assert.InRange(destination.Written, 1, ImageBytes - 1);
        Assert.Null(Single(disk.Id).Sas);
        Assert.Equal("endGetAccess", arm.Requests.Last(r => r.Method == "POST").Path.Split('/')[^1]);
    }

    [Fact]
    public async Task A_failed_download_still_revokes_the_sas()
    {
        var runtime = Runtime();
        var app = App();
        var disk = await runtime.ImportDiskAsync(app, new MemoryStream(Image()), progress, CancellationToken.None).Within();
        arm.Intercept = r => r.Path.StartsWith("/sas/", StringComparison.Ordinal) && r.Method == "GET" ? FakeArm.Error(500, "InternalError", "boom") : null;

        var error = await Assert.ThrowsAsync<KompoxException>(() => runtime.ExportDiskAsync(app, disk.Id, Stream.Null, progress, CancellationToken.None)).Within();

        Assert.Equal("AzureUnavailable", error.ErrorId);
        Assert.Contains(disk.Id, error.Message);
        Assert.Null(Single(disk.Id).Sas);
        Assert.Equal("Unattached", Single(disk.Id).State);
    }

    [Fact]
    public async Task A_failed_upload_leaves_no_disk()
    {
        var runtime = Runtime();
        var app = App();
        var pages = 0;
        arm.Intercept = r => r.Query.GetValueOrDefault("comp") == "page" && Interlocked.Increment(ref pages) == 2 ? FakeArm.Error(503, "ServerBusy", "busy") : null;

        var error = await Assert.ThrowsAsync<KompoxException>(() => runtime.ImportDiskAsync(app, new MemoryStream(Image()), progress, CancellationToken.None)).Within();

        Assert.Equal("AzureUnavailable", error.ErrorId);
        Assert.Empty(arm.Disks);
        Assert.Contains(arm.Requests, r => r.Method == "DELETE");
    }

    [Fact]
    public async Task Import_refuses_what_is_no_fixed_vhd_before_making_a_disk()
    {
        var runtime = Runtime();
        var app = App();
        var dynamicVhd = Image();
        dynamicVhd[dynamicVhd.Length - 512 + 63] = 3;
        var shortImage = Image()[..^1024];

        foreach (var source in new Stream[] { new MemoryStream(new byte[(24 << 20) + 512]), new MemoryStream(dynamicVhd), new MemoryStream(shortImage), new NonSeekable(Image()) })
        {
            var error = await Assert.ThrowsAsync<KompoxException>(() => runtime.ImportDiskAsync(app, source, progress, CancellationToken.None)).Within();
            Assert.Equal("InvalidArchive", error.ErrorId);
        }

        Assert.Empty(arm.Disks);
        Assert.DoesNotContain(arm.Requests, r => r.Method == "PUT");
    }

    [Fact]
    public async Task A_token_azure_does_not_accept_is_AzureUnauthenticated()
    {
        var runtime = Runtime();
        arm.Token = "another-token";

        var error = await Assert.ThrowsAsync<KompoxException>(() => runtime.ListDisksAsync(App(), CancellationToken.None)).Within();

        Assert.Equal(("AzureUnauthenticated", ErrorKind.Unauthenticated), (error.ErrorId, error.Kind));
        Assert.Contains("listing disks of app ops/aks1/lab/web in resource group rg-apps: Azure answered 401 AuthenticationFailed", error.Message);
    }

    [Theory]
    [InlineData(403, "AuthorizationFailed", "AzureForbidden", ErrorKind.PermissionDenied)]
    [InlineData(429, "TooManyRequests", "AzureThrottled", ErrorKind.Unavailable)]
    [InlineData(500, "InternalServerError", "AzureUnavailable", ErrorKind.Unavailable)]
    [InlineData(400, "InvalidParameter", "AzureRejected", ErrorKind.InvalidData)]
    public async Task Azure_errors_become_kompox_errors_naming_the_resource(int status, string code, string id, ErrorKind kind)
    {
        arm.Intercept = r => r.Method == "PUT" ? FakeArm.Error(status, code, "said in some language") : null;

        var error = await Assert.ThrowsAsync<KompoxException>(() => Runtime().CreateDiskAsync(App(), progress, CancellationToken.None)).Within();

        Assert.Equal((id, kind), (error.ErrorId, error.Kind));
        Assert.Matches($"^Creating disk web-20250811123456-[0-9a-z]{{6}} in resource group rg-apps: Azure answered {status} {code}", error.Message);
        Assert.DoesNotContain("said in some language", error.Message);
    }

    [Fact]
    public async Task A_missing_resource_group_is_AzureNotFound()
    {
        var app = App(group: "rg-missing");

        var error = await Assert.ThrowsAsync<KompoxException>(() => Runtime().CreateDiskAsync(app, progress, CancellationToken.None)).Within();

        Assert.Equal("AzureNotFound", error.ErrorId);
        Assert.Contains("in resource group rg-missing: Azure answered 404 ResourceGroupNotFound", error.Message);
    }

    [Fact]
    public async Task Deleting_a_disk_with_an_active_sas_is_AzureConflict()
    {
        var runtime = Runtime();
        var disk = await runtime.CreateDiskAsync(App(), progress, CancellationToken.None).Within();
        Single(disk.Id).Sas = "0123456789abcdef0123456789abcdef";

        var error = await Assert.ThrowsAsync<KompoxException>(() => runtime.DeleteDiskAsync(App(), disk.Id, CancellationToken.None)).Within();

        Assert.Equal(("AzureConflict", ErrorKind.Conflict), (error.ErrorId, error.Kind));
        Assert.Contains($"deleting disk {disk.Id}: Azure answered 409 OperationNotAllowed", error.Message);
        Assert.Single(arm.Disks);
    }

    /// <summary>
    /// AKS attaches a disk outside its node resource group only when the cluster's identity may use disks there
    /// (learn.microsoft.com/azure/aks/azure-disk-csi, bring your own disk: Contributor on the disk's resource group).
    /// The role assignments of the identity are read at the group's scope (Role Assignments - List For Scope,
    /// principalId filter) and their role definitions decide, as Azure RBAC does.
    /// </summary>
    [Fact]
    public async Task A_cluster_identity_without_rights_on_the_apps_group_is_refused_before_any_disk_is_made()
    {
        var group = $"/subscriptions/{Subscription}/resourceGroups/{AksLab.Group}";
        arm.RoleAssignments.Clear();
        arm.RoleAssignments.Add(new FakeRoleAssignment(group, ClusterPrincipal, FakeArm.ReaderRole));
        arm.RoleAssignments.Add(new FakeRoleAssignment(group, "0b9f3d1e-5c4a-4e8b-9a71-2f6d8c3b1a90", FakeArm.ContributorRole));
        arm.RoleAssignments.Add(new FakeRoleAssignment($"{group}/providers/Microsoft.Compute/disks/old", ClusterPrincipal, FakeArm.ContributorRole));

        var error = await Assert.ThrowsAsync<KompoxException>(() => Runtime().CreateDiskAsync(App(), progress, CancellationToken.None)).Within();

        Assert.Equal(("ClusterCannotUseDisks", ErrorKind.PermissionDenied), (error.ErrorId, error.Kind));
        Assert.Contains($"az role assignment create --assignee {ClusterPrincipal} --role Contributor --scope {group}", error.Message);
        Assert.Empty(arm.Disks);

        // Contributor above the group, or a custom role with the disk actions, is enough.
        arm.RoleAssignments.Add(new FakeRoleAssignment($"/subscriptions/{Subscription}", ClusterPrincipal, FakeArm.ContributorRole));
        await Runtime().CreateDiskAsync(App(), progress, CancellationToken.None).Within();
        arm.RoleAssignments.RemoveAt(arm.RoleAssignments.Count - 1);
        arm.RoleDefinitions["9a1c2b3d-0000-4000-8000-00000000d15c"] = ("Disk reader", ["Microsoft.Compute/disks/*"], ["Microsoft.Compute/disks/write"]);
        arm.RoleAssignments.Add(new FakeRoleAssignment(group, ClusterPrincipal, "9a1c2b3d-0000-4000-8000-00000000d15c"));
        Assert.Equal("ClusterCannotUseDisks", (await Assert.ThrowsAsync<KompoxException>(() => Runtime().CreateDiskAsync(App(), progress, CancellationToken.None)).Within()).ErrorId);
        arm.RoleDefinitions["9a1c2b3d-0000-4000-8000-00000000d15c"] = ("Disk operator", ["Microsoft.Compute/disks/*"], ["Microsoft.Compute/disks/delete"]);
        await Runtime().CreateDiskAsync(App(), progress, CancellationToken.None).Within();
        Assert.Equal(2, arm.Disks.Count);
    }

    [Fact]
    public async Task A_user_assigned_cluster_identity_is_the_one_checked()
    {
        const string Assigned = "77d0c3a1-2b4e-4f60-8a9b-0c1d2e3f4a5b";
        arm.Clusters[0] = arm.Clusters[0] with { PrincipalId = Assigned, UserAssigned = true };

        var error = await Assert.ThrowsAsync<KompoxException>(() => Runtime().CreateDiskAsync(App(), progress, CancellationToken.None)).Within();
        Assert.Contains($"--assignee {Assigned} ", error.Message);

        arm.RoleAssignments.Add(new FakeRoleAssignment($"/subscriptions/{Subscription}/resourceGroups/{AksLab.Group}", Assigned, FakeArm.ContributorRole));
        await Runtime().CreateDiskAsync(App(), progress, CancellationToken.None).Within();
    }

    [Fact]
    public async Task A_disk_region_other_than_the_clusters_is_refused()
    {
        var app = App();
        app = new KompoxApp { Name = app.Name, Cluster = app.Cluster, Compose = app.Compose, Ingress = app.Ingress, Resources = app.Resources, Settings = new Dictionary<string, string>(app.Settings) { ["AZURE_LOCATION"] = "japanwest" } };

        var error = await Assert.ThrowsAsync<KompoxException>(() => Runtime().CreateDiskAsync(app, progress, CancellationToken.None)).Within();

        Assert.Equal(("DiskRegionMismatch", "AZURE_LOCATION"), (error.ErrorId, error.Target));
        Assert.Contains("cluster ops/aks1/lab is in japaneast", error.Message);
        Assert.Empty(arm.Disks);
    }

    /// <summary>
    /// An LRS disk attaches only to a VM in its zone: on a cluster whose pools are in zones it is made in a zone every
    /// pool has, and its volume is pinned there by the label the Azure disk CSI driver puts on nodes
    /// (azuredisk-csi-driver docs/topology.md: topology.disk.csi.azure.com/zone = &lt;region&gt;-&lt;zone&gt;, e.g. eastus2-1).
    /// A ZRS disk names no zone (Azure refuses one: OperationNotAllowed) and attaches in any.
    /// </summary>
    [Fact]
    public async Task On_a_zonal_cluster_an_LRS_disk_is_made_in_a_zone_of_every_pool_and_its_volume_is_pinned_there()
    {
        ZonalCluster(["2", "3"], ["3", "1"], []);

        var disk = await Runtime().CreateDiskAsync(App(), progress, CancellationToken.None).Within();

        Assert.Equal(["3"], Single(disk.Id).Zones);
        Assert.Equal("japaneast-3", disk.Zone);
        Assert.Equal(disk, await Runtime().GetDiskAsync(App(), disk.Id, CancellationToken.None).Within());
        var term = Assert.Single(new AksDriver().DiskVolume(App(), disk, null).NodeAffinity.Required.NodeSelectorTerms);
        var requirement = Assert.Single(term.MatchExpressions);
        Assert.Equal(("topology.disk.csi.azure.com/zone", "In"), (requirement.Key, requirement.OperatorProperty));
        Assert.Equal(["japaneast-3"], requirement.Values);

        var zrs = await Runtime().CreateDiskAsync(App(diskType: "StandardSSD_ZRS"), progress, CancellationToken.None).Within();
        Assert.Empty(Single(zrs.Id).Zones);
        Assert.Null(zrs.Zone);
        Assert.Null(new AksDriver().DiskVolume(App(diskType: "StandardSSD_ZRS"), zrs, null).NodeAffinity);
    }

    /// <summary>
    /// Premium SSD v2 and Ultra disks are zonal only (Azure disks-types), and take no host caching: the PV says
    /// cachingMode None (azuredisk-csi-driver docs/driver-parameters.md, static provisioning volumeAttributes.cachingMode, default
    /// ReadOnly; its README: "PremiumV2_LRS only supports None caching mode").
    /// </summary>
    [Theory]
    [InlineData("PremiumV2_LRS")]
    [InlineData("UltraSSD_LRS")]
    public async Task A_zonal_only_disk_needs_a_zonal_cluster_and_takes_no_host_caching(string sku)
    {
        var app = App(diskType: sku);
        app = new KompoxApp { Name = app.Name, Cluster = app.Cluster, Compose = app.Compose, Ingress = app.Ingress, Resources = app.Resources, Settings = new Dictionary<string, string>(app.Settings) { ["AZURE_DISK_SIZE"] = "8" } };

        var error = await Assert.ThrowsAsync<KompoxException>(() => Runtime().CreateDiskAsync(app, progress, CancellationToken.None)).Within();
        Assert.Equal(("DiskZoneRequired", "AZURE_DISK_TYPE"), (error.ErrorId, error.Target));
        Assert.Empty(arm.Disks);

        ZonalCluster(["1", "2"]);
        var disk = await Runtime().CreateDiskAsync(app, progress, CancellationToken.None).Within();

        Assert.Equal(("1", sku), (Single(disk.Id).Zones.Single(), Single(disk.Id).Sku));
        var volume = new AksDriver().DiskVolume(app, disk, null);
        Assert.Equal("None", volume.Csi.VolumeAttributes["cachingMode"]);
        Assert.Equal("japaneast-1", volume.NodeAffinity.Required.NodeSelectorTerms.Single().MatchExpressions.Single().Values.Single());
        Assert.Null(new AksDriver().DiskVolume(App(), disk.Id, null).Csi.VolumeAttributes);
    }

    [Fact]
    public async Task The_fake_rejects_what_azure_rejects()
    {
        var app = App(diskType: "UltraSSD_LRS");
        ZonalCluster(["1", "2", "3"]);

        var tooSmall = await Assert.ThrowsAsync<KompoxException>(() => Runtime().CreateDiskAsync(app, progress, CancellationToken.None)).Within();

        Assert.Equal("AzureRejected", tooSmall.ErrorId);
        Assert.Contains("400 InvalidParameter", tooSmall.Message);
        Assert.Empty(arm.Disks);
    }

    [Fact]
    public async Task No_credential_is_AzureCredentialUnavailable_and_a_refused_one_AzureUnauthenticated()
    {
        var unavailable = await Assert.ThrowsAsync<KompoxException>(() => Runtime(new ThrowingCredential(new CredentialUnavailableException("no"))).ListDisksAsync(App(), CancellationToken.None)).Within();
        var failed = await Assert.ThrowsAsync<KompoxException>(() => Runtime(new ThrowingCredential(new AuthenticationFailedException("no"))).ListDisksAsync(App(), CancellationToken.None)).Within();

        Assert.Equal(("AzureCredentialUnavailable", ErrorKind.Unauthenticated), (unavailable.ErrorId, unavailable.Kind));
        Assert.Equal(("AzureUnauthenticated", ErrorKind.Unauthenticated), (failed.ErrorId, failed.Kind));
        Assert.StartsWith("listing disks of app ops/aks1/lab/web in resource group rg-apps: ", failed.Message);
        Assert.Empty(arm.Requests);
    }

    [Fact]
    public void The_factory_builds_the_aks_runtime_and_the_default_credential_honours_the_providers_setting()
    {
        var factory = new DriverFactory(time, lab.Connector(new StaticCredential(arm.Token)));

        Assert.IsType<AksRuntime>(factory.Runtime(App().Cluster));
        var provider = new KompoxProvider
        {
            Name = "aks1",
            Driver = "aks",
            Settings = new Dictionary<string, string> { ["AZURE_TOKEN_CREDENTIALS"] = "ManagedIdentityCredential", ["AZURE_TENANT_ID"] = Subscription },
            Service = new KompoxService { Name = "ops" },
        };
        Assert.IsType<DefaultAzureCredential>(AzureConnector.DefaultCredential(provider));
    }

    /// <summary>The app's cluster with node pools in these zones.</summary>
    private void ZonalCluster(params IReadOnlyList<string>[] pools) =>
        arm.Clusters[0] = arm.Clusters[0] with { PoolZones = pools };

    private AksRuntime Runtime(TokenCredential? credential = null) => lab.Runtime(credential);

    private FakeDisk Single(string id) => arm.Disks.Single(d => d.Id == id);

    private async Task<byte[]> ExportAsync(AksRuntime runtime, KompoxApp app, string diskId)
    {
        using var exported = new MemoryStream();
        await runtime.ExportDiskAsync(app, diskId, exported, progress, CancellationToken.None).Within();
        return exported.ToArray();
    }

    /// <summary>A 24 MiB fixed VHD: data in 4 MiB pages 0, 2, 4 and 5, zeros in pages 1 and 3, and the footer.</summary>
    private static byte[] Image()
    {
        var image = new byte[ImageBytes];
        foreach (var page in new[] { 0, 2, 4, 5 })
        {
            new Random(page).NextBytes(image.AsSpan((page << 22) + 4096, 8192));
        }

        SparseBlob.VhdFooter(24L << 20).CopyTo(image, 24 << 20);
        return image;
    }

    private static KompoxApp App(string name = "web", string group = AksLab.Group, string diskType = "StandardSSD_LRS") => AksLab.App(name, group, diskType);

    private sealed class ThrowingCredential(Exception error) : TokenCredential
    {
        public override AccessToken GetToken(TokenRequestContext requestContext, CancellationToken cancellationToken) => throw error;

        public override ValueTask<AccessToken> GetTokenAsync(TokenRequestContext requestContext, CancellationToken cancellationToken) => throw error;
    }

    private sealed class CountingStream : Stream
    {
        public long Written { get; private set; }

        public Action? AfterWrite { get; init; }

        public override bool CanRead => false;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => Written;

        public override long Position { get => Written; set => throw new NotSupportedException(); }

        public override void Flush()
        {
        }

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count)
        {
            Written += count;
            AfterWrite?.Invoke();
        }
    }

    private sealed class NonSeekable(byte[] bytes) : MemoryStream(bytes)
    {
        public override bool CanSeek => false;
    }
}
