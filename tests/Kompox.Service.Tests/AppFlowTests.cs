using System.Formats.Tar;
using System.IO.Compression;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using static Kompox.Service.Tests.ServiceFixture;

namespace Kompox.Service.Tests;

/// <summary>
/// An app's life over HTTP against the kube API test server (tests/Kompox.Testing/KubeApi, modelled on
/// kubernetes/kubernetes): each endpoint runs the engine operation the cmdlet runs, so what they do to the cluster and
/// the disks is the engine's; what is tested here is that the service calls it, answers its result, and waits on nothing.
/// </summary>
public sealed class AppFlowTests
{
    private static string State(JsonObject op) => op["state"]!.GetValue<string>();

    [Fact]
    public async Task Deploy_status_disks_snapshots_restore_export_import_destroy_and_remove()
    {
        await using var service = await StartAsync().Within();
        await service.AddClusterAsync().Within();
        var alice = await service.UserAsync("alice").Within();
        await service.CreateAppAsync(alice, "web").Within();

        // Deploy: 202 with the operation's address, then its result is the app's status.
        using (var response = await alice.PostAsync("/v1/apps/web/deploy", null).Within())
        {
            Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
            var started = (JsonObject)JsonNode.Parse(await response.Content.ReadAsStringAsync().Within())!;
            Assert.Equal($"/v1/operations/{started["id"]}", response.Headers.Location!.OriginalString);
            Assert.Equal("deploy", started["kind"]!.GetValue<string>());
            var deployed = await service.FinishedAsync(alice, started).Within();
            Assert.True(State(deployed) == "succeeded", deployed.ToJsonString());
            Assert.True(deployed["result"]!["deployed"]!.GetValue<bool>());
            Assert.NotNull(deployed["finishedAt"]);
        }

        var status = await Send(alice, HttpMethod.Get, "/v1/apps/web/status", null, HttpStatusCode.OK).Within();
        Assert.True(status["deployed"]!.GetValue<bool>());
        var first = status["currentDiskId"]!.GetValue<string>();

        // A deployed app's registration stays until it is destroyed.
        await ProblemAsync(alice, HttpMethod.Delete, "/v1/apps/web", null, HttpStatusCode.Conflict, "AppDeployed").Within();

        var disks = await ListAsync(alice, "/v1/apps/web/disks").Within();
        Assert.Equal(first, Assert.Single(disks)!["id"]!.GetValue<string>());
        Assert.True(disks[0]!["isCurrent"]!.GetValue<bool>());

        var credential = await Send(alice, HttpMethod.Post, "/v1/apps/web/credentials", new JsonObject { ["duration"] = "00:30:00" }, HttpStatusCode.OK).Within();
        Assert.Equal(status["namespace"]!.GetValue<string>(), credential["namespace"]!.GetValue<string>());
        Assert.Contains("kind: Config", credential["kubeconfig"]!.GetValue<string>(), StringComparison.Ordinal);

        // Snapshot, restore with switch: the restored disk becomes current.
        var snap = await service.FinishedAsync(alice, await Send(alice, HttpMethod.Post, "/v1/apps/web/snapshots", new JsonObject(), HttpStatusCode.Accepted).Within()).Within();
        Assert.True(State(snap) == "succeeded", snap.ToJsonString());
        var snapshotId = snap["result"]!["id"]!.GetValue<string>();
        Assert.Equal(snapshotId, Assert.Single(await ListAsync(alice, "/v1/apps/web/snapshots").Within())!["id"]!.GetValue<string>());
        var pinned = await Send(alice, HttpMethod.Put, $"/v1/apps/web/snapshots/{snapshotId}/pin", new JsonObject { ["pinned"] = true }, HttpStatusCode.OK).Within();
        Assert.True(pinned["pinned"]!.GetValue<bool>());

        var restored = await service.FinishedAsync(alice, await Send(alice, HttpMethod.Post, $"/v1/apps/web/snapshots/{snapshotId}/restore", new JsonObject { ["switch"] = true }, HttpStatusCode.Accepted).Within()).Within();
        Assert.True(State(restored) == "succeeded", restored.ToJsonString());
        var second = restored["result"]!["disk"]!["id"]!.GetValue<string>();
        Assert.NotEqual(first, second);
        Assert.Equal(second, (await Send(alice, HttpMethod.Get, "/v1/apps/web/status", null, HttpStatusCode.OK).Within())["currentDiskId"]!.GetValue<string>());

        // Export the current disk: a gzip download that Import takes back as a new disk.
        using var export = await alice.GetAsync("/v1/apps/web/disks/current/export").Within();
        Assert.Equal(HttpStatusCode.OK, export.StatusCode);
        Assert.Equal("application/gzip", export.Content.Headers.ContentType!.MediaType);
        var archive = await export.Content.ReadAsByteArrayAsync().Within();
        Assert.Equal(new byte[] { 0x1f, 0x8b }, archive[..2]);
        Assert.Empty(Directory.GetFiles(Path.Combine(service.DataPath, "transfer")));
        using var snapshotExport = await alice.GetAsync($"/v1/apps/web/snapshots/{snapshotId}/export").Within();
        Assert.Equal(HttpStatusCode.OK, snapshotExport.StatusCode);

        var imported = await service.FinishedAsync(alice, await Upload(alice, archive).Within()).Within();
        Assert.True(State(imported) == "succeeded", imported.ToJsonString());
        var third = imported["result"]!["id"]!.GetValue<string>();
        Assert.Equal(3, (await ListAsync(alice, "/v1/apps/web/disks").Within()).Count);
        Assert.Empty(Directory.GetFiles(Path.Combine(service.DataPath, "transfer")));

        // The current disk is refused (as a failed operation with the engine's problem); another one goes.
        var refused = await service.FinishedAsync(alice, await Send(alice, HttpMethod.Delete, $"/v1/apps/web/disks/{second}", null, HttpStatusCode.Accepted).Within()).Within();
        Assert.Equal("failed", State(refused));
        Assert.Equal("DiskIsCurrent", refused["problem"]!["errorId"]!.GetValue<string>());
        Assert.Equal(409, refused["problem"]!["status"]!.GetValue<int>());
        var deleted = await service.FinishedAsync(alice, await Send(alice, HttpMethod.Delete, $"/v1/apps/web/disks/{third}", null, HttpStatusCode.Accepted).Within()).Within();
        Assert.True(State(deleted) == "succeeded", deleted.ToJsonString());

        var removedSnapshot = await service.FinishedAsync(alice, await Send(alice, HttpMethod.Delete, $"/v1/apps/web/snapshots/{snapshotId}", null, HttpStatusCode.Accepted).Within()).Within();
        Assert.True(State(removedSnapshot) == "succeeded", removedSnapshot.ToJsonString());

        var destroyed = await service.FinishedAsync(alice, await Send(alice, HttpMethod.Post, "/v1/apps/web/destroy", null, HttpStatusCode.Accepted).Within()).Within();
        Assert.True(State(destroyed) == "succeeded", destroyed.ToJsonString());
        Assert.True(destroyed["result"]!["wasDeployed"]!.GetValue<bool>());
        await Send(alice, HttpMethod.Delete, "/v1/apps/web", null, HttpStatusCode.NoContent).Within();

        // The disks outlive the registration (SPEC 5): both are still under the data root.
        Assert.Contains(Directory.EnumerateDirectories(service.DataRoot, "*", SearchOption.AllDirectories), d => d.EndsWith(first, StringComparison.Ordinal));
    }

    public static TheoryData<string> PathTricks => ["parent", "absolute", "through a symlink", "hard link outside"];

    [Theory]
    [MemberData(nameof(PathTricks))]
    public async Task An_upload_with_a_path_outside_the_disk_is_refused_and_leaves_no_disk(string trick)
    {
        await using var service = await StartAsync().Within();
        await service.AddClusterAsync().Within();
        var alice = await service.UserAsync("alice").Within();
        await service.CreateAppAsync(alice, "web").Within();
        Assert.Equal("succeeded", State(await service.FinishedAsync(alice, await Send(alice, HttpMethod.Post, "/v1/apps/web/disks", null, HttpStatusCode.Accepted).Within()).Within()));
        var victim = Path.Combine(service.Root, "victim.txt");
        File.WriteAllText(victim, "kept");

        // tar entries that would reach out of the disk (the path tricks DiskArchive refuses), gzip-compressed: GNU tar's
        // own defences (src/extract.c: "../" members, leading "/", writing through a symlink it made, links out).
        using var buffer = new MemoryStream();
        using (var gzip = new GZipStream(buffer, CompressionLevel.Fastest, leaveOpen: true))
        using (var tar = new TarWriter(gzip, TarEntryFormat.Pax, leaveOpen: true))
        {
            PaxTarEntry File(string name) => new(TarEntryType.RegularFile, name) { DataStream = new MemoryStream("x"u8.ToArray()) };
            switch (trick)
            {
                case "parent":
                    tar.WriteEntry(File("../../escaped.txt"));
                    break;
                case "absolute":
                    tar.WriteEntry(File(Path.Combine(service.Root, "escaped.txt")));
                    break;
                case "through a symlink":
                    tar.WriteEntry(new PaxTarEntry(TarEntryType.SymbolicLink, "up") { LinkName = service.Root });
                    tar.WriteEntry(File("up/escaped.txt"));
                    break;
                default:
                    tar.WriteEntry(new PaxTarEntry(TarEntryType.HardLink, "hard") { LinkName = "../../../victim.txt" });
                    break;
            }
        }

        var failed = await service.FinishedAsync(alice, await Upload(alice, buffer.ToArray()).Within()).Within();
        Assert.Equal("failed", State(failed));
        Assert.Equal("InvalidArchive", failed["problem"]!["errorId"]!.GetValue<string>());
        Assert.Single(await ListAsync(alice, "/v1/apps/web/disks").Within());
        Assert.Empty(Directory.GetFiles(service.Root, "escaped.txt", SearchOption.AllDirectories));
        Assert.Equal("kept", System.IO.File.ReadAllText(victim));
        Assert.Empty(Directory.GetFiles(Path.Combine(service.DataPath, "transfer")));
    }

    [Fact]
    public async Task Nothing_of_a_request_names_a_file_of_the_service()
    {
        await using var service = await StartAsync().Within();
        await service.AddClusterAsync().Within();
        var alice = await service.UserAsync("alice").Within();
        await service.CreateAppAsync(alice, "web").Within();
        var store = Path.Combine(service.DataPath, "kompox.db");

        // An upload's file name is the service's own: a client's Content-Disposition names nothing.
        using (var content = new ByteArrayContent("not an archive"u8.ToArray()))
        {
            content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
            content.Headers.ContentDisposition = new ContentDispositionHeaderValue("attachment") { FileName = "../kompox.db" };
            using var response = await alice.PostAsync("/v1/apps/web/disks/import", content).Within();
            var operation = (JsonObject)JsonNode.Parse(await response.Content.ReadAsStringAsync().Within())!;
            Assert.Equal("InvalidArchive", (await service.FinishedAsync(alice, operation).Within())["problem"]!["errorId"]!.GetValue<string>());
        }

        Assert.True(new FileInfo(store).Length > 14);
        Assert.Empty(Directory.GetFiles(Path.Combine(service.DataPath, "transfer")));

        // Disk and snapshot ids in the address are the provider's names, never paths: escaped slashes and dots find nothing.
        foreach (var path in new[] { "/v1/apps/web/disks/..%2F..%2Fdata%2Fkompox.db/export", "/v1/apps/web/snapshots/..%2F..%2Fdata%2Fkompox.key/export", "/v1/apps/web/disks/%2Fetc%2Fpasswd/export" })
        {
            var (status, text, type) = await RawAsync(alice, HttpMethod.Get, path, null).Within();
            Assert.True(status is HttpStatusCode.NotFound or HttpStatusCode.BadRequest, $"{path}: {(int)status} {text}");
            Assert.Equal("application/problem+json", type);
            Assert.DoesNotContain("root:", text, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Logs_come_as_ndjson_lines()
    {
        await using var service = await StartAsync().Within();
        await service.AddClusterAsync().Within();
        var alice = await service.UserAsync("alice").Within();
        await service.CreateAppAsync(alice, "web").Within();
        await ProblemAsync(alice, HttpMethod.Get, "/v1/apps/web/logs", null, HttpStatusCode.NotFound, "AppNotDeployed").Within();
        Assert.Equal("succeeded", State(await service.FinishedAsync(alice, await Send(alice, HttpMethod.Post, "/v1/apps/web/deploy", null, HttpStatusCode.Accepted).Within()).Within()));

        using var response = await alice.GetAsync("/v1/apps/web/logs?tail=5").Within();
        var text = await response.Content.ReadAsStringAsync().Within();
        Assert.True(response.StatusCode == HttpStatusCode.OK, text);
        Assert.Equal("application/x-ndjson", response.Content.Headers.ContentType!.MediaType);
        foreach (var line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var json = (JsonObject)JsonNode.Parse(line)!;
            Assert.Equal("web", json["service"]!.GetValue<string>());
            Assert.NotNull(json["time"]);
            Assert.NotNull(json["line"]);
        }

        await ProblemAsync(alice, HttpMethod.Get, "/v1/apps/web/logs?service=nope", null, HttpStatusCode.BadRequest, "UnknownService").Within();
    }

    private static async Task<JsonObject> Upload(HttpClient client, byte[] archive)
    {
        using var content = new ByteArrayContent(archive);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        using var response = await client.PostAsync("/v1/apps/web/disks/import", content).Within();
        var text = await response.Content.ReadAsStringAsync().Within();
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, text);
        return (JsonObject)JsonNode.Parse(text)!;
    }
}
