using System.Diagnostics;
using System.Runtime.Versioning;
using System.Text.Json;
using Kompox.Conversion;
using Kompox.Drivers;
using Kompox.Tests.Operations;

namespace Kompox.Tests.Drivers;

/// <summary>
/// Copying the project's bound directories onto a k3s disk (issue 14 item 8) with real files under a temporary data root:
/// never over what the disk has (the app's files are kept, directories merge), never through a link the app's container
/// put on its disk, a dry run that writes nothing, and a stop that leaves no part of a file. The fidelity of what arrives
/// is DiskArchiveTests' (the same archive). Files are made with the shell, as an app or a user would make them.
/// </summary>
[SupportedOSPlatform("linux")]
public sealed class K3sSeedTests : IDisposable
{
    private readonly OperationFixture fixture = new();
    private readonly RecordedProgress progress = new();
    private readonly string project;

    public K3sSeedTests()
    {
        Assert.True(OperatingSystem.IsLinux(), "a k3s disk is a directory on a Linux node");
        project = Path.Combine(fixture.DataRoot, "project");
        Directory.CreateDirectory(Path.Combine(project, "html"));
    }

    public void Dispose() => fixture.Dispose();

    private SeedSource Html => new("./html", Path.Combine(project, "html"), "binds/html");

    [Fact]
    public async Task What_the_disk_has_is_kept_and_directories_merge()
    {
        var (runtime, app, disk) = await NewDiskAsync().Within();
        Make(Path.Combine(project, "html"), "echo project > index.html && mkdir -p assets/img && echo css > assets/site.css && echo png > assets/img/logo.png && echo new > new.txt");
        Make(Bind(disk), "echo 'written by the app' > index.html && mkdir -p assets && echo app > assets/app.css && chmod 0700 assets");

        var result = (await runtime.SeedAsync(app, disk.Id, [Html], dryRun: false, progress, CancellationToken.None).Within()).Binds.Single();

        Assert.Equal("written by the app\n", File.ReadAllText(Path.Combine(Bind(disk), "index.html")));
        Assert.Equal("app\n", File.ReadAllText(Path.Combine(Bind(disk), "assets/app.css")));
        Assert.Equal("css\n", File.ReadAllText(Path.Combine(Bind(disk), "assets/site.css")));
        Assert.Equal("png\n", File.ReadAllText(Path.Combine(Bind(disk), "assets/img/logo.png")));
        Assert.Equal("new\n", File.ReadAllText(Path.Combine(Bind(disk), "new.txt")));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(Path.Combine(Bind(disk), "assets")));
        Assert.Equal(["assets/img", "assets/site.css", "new.txt"], result.Copied);
        Assert.Equal(["index.html"], result.Skipped);
        Assert.Equal((4L, 12L), (result.Files, result.Bytes)); // img/ with logo.png, site.css, new.txt: 4 bytes each
        Assert.Empty(Leftovers());
    }

    [Fact]
    public async Task A_link_the_app_put_on_its_disk_is_never_followed()
    {
        var (runtime, app, disk) = await NewDiskAsync().Within();
        var outside = Directory.CreateDirectory(Path.Combine(fixture.DataRoot, "outside")).FullName;
        Make(Path.Combine(project, "html"), "mkdir -p assets && echo css > assets/site.css && echo x > index.html");
        Make(Path.Combine(project, "conf"), "echo conf > app.ini");
        Make(Bind(disk), $"ln -s '{outside}' assets");
        Make(Path.Combine(DiskPath(disk), "binds"), $"ln -s '{outside}' conf");

        var result = await runtime.SeedAsync(app, disk.Id, [new SeedSource("./conf", Path.Combine(project, "conf"), "binds/conf"), Html], dryRun: false, progress, CancellationToken.None).Within();

        Assert.Empty(Directory.EnumerateFileSystemEntries(outside));
        Assert.Equal(["assets"], result.Binds[1].Skipped);
        Assert.Equal(["index.html"], result.Binds[1].Copied);
        Assert.Equal(["."], result.Binds[0].Skipped); // the link where the bind's directory goes is kept as the app made it
        Assert.Empty(result.Binds[0].Copied);
    }

    // A dry run says so too, rather than that the copy would make the directory.
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_link_on_the_way_to_the_binds_directory_is_not_followed_either(bool dryRun)
    {
        var (runtime, app, disk) = await NewDiskAsync().Within();
        var outside = Directory.CreateDirectory(Path.Combine(fixture.DataRoot, "outside")).FullName;
        Make(Path.Combine(project, "html"), "echo x > index.html");
        Directory.Delete(Bind(disk));
        Directory.Delete(Path.Combine(DiskPath(disk), "binds"));
        File.CreateSymbolicLink(Path.Combine(DiskPath(disk), "binds"), outside);

        var result = (await runtime.SeedAsync(app, disk.Id, [Html], dryRun, progress, CancellationToken.None).Within()).Binds.Single();

        Assert.Empty(Directory.EnumerateFileSystemEntries(outside));
        Assert.Equal("the disk has a file or link at binds, where the directory of ./html goes; it is kept", result.NotCopied);
        Assert.Empty(result.Copied);
    }

    [Fact]
    public async Task A_dry_run_writes_nothing_and_says_what_the_copy_then_does()
    {
        var (runtime, app, disk) = await NewDiskAsync().Within();
        Make(Path.Combine(project, "html"), "echo project > index.html && mkdir -p assets && echo css > assets/site.css && ln -s index.html latest");
        Make(Bind(disk), "echo app > index.html");
        var before = Listing(DiskPath(disk));

        var planned = (await runtime.SeedAsync(app, disk.Id, [Html], dryRun: true, progress, CancellationToken.None).Within()).Binds.Single();

        Assert.Equal(before, Listing(DiskPath(disk)));
        Assert.DoesNotContain(progress.Reports, r => r.Status.StartsWith("copying ", StringComparison.Ordinal)); // nor copied anywhere
        Assert.False((await runtime.GetDiskAsync(app, disk.Id, CancellationToken.None).Within()).Seeded);
        var done = (await runtime.SeedAsync(app, disk.Id, [Html], dryRun: false, progress, CancellationToken.None).Within()).Binds.Single();
        Assert.Equal(["assets", "latest"], planned.Copied);
        Assert.Equal(["index.html"], planned.Skipped);
        Assert.Equal(planned.Copied, done.Copied);
        Assert.Equal(planned.Skipped, done.Skipped);
        Assert.Equal((planned.Files, planned.Bytes), (done.Files, done.Bytes));
        Assert.Equal("index.html", new FileInfo(Path.Combine(Bind(disk), "latest")).LinkTarget);
    }

    // A dry run counts what the copy brings as the copy does: each entry once, and only a regular file's bytes (a link's
    // target and a directory's own size are no data of the app's).
    [Fact]
    public async Task A_dry_run_counts_every_entry_and_the_bytes_of_files_only()
    {
        var (runtime, app, disk) = await NewDiskAsync();
        Make(Path.Combine(project, "html"), "echo abc > index.html && mkdir -p assets/img && echo css > assets/site.css && ln -s index.html latest && ln -s assets/img pictures");

        var planned = (await runtime.SeedAsync(app, disk.Id, [Html], dryRun: true, progress, CancellationToken.None).Within()).Binds.Single();
        var done = (await runtime.SeedAsync(app, disk.Id, [Html], dryRun: false, progress, CancellationToken.None).Within()).Binds.Single();

        Assert.Equal(["assets", "index.html", "latest", "pictures"], planned.Copied);
        Assert.Equal((6L, 8L), (planned.Files, planned.Bytes)); // assets, img, site.css, index.html and the two links; 4 bytes in each file
        Assert.Equal(planned.Copied, done.Copied);
        Assert.Equal((planned.Files, planned.Bytes), (done.Files, done.Bytes));
    }

    // Docker mounts what a bind names, following a link: a project directory that is a link to another one of the project
    // is bound as that one, so its files are copied, not the link. A link that leaves the project never gets here: the
    // compose loader refuses it (FileSafetyTests.SymbolicLinksThatLeadOutsideAreRefused), as it does below.
    [Fact]
    public async Task A_bound_directory_that_is_a_link_to_another_of_the_project_brings_what_that_one_holds()
    {
        var (runtime, app, disk) = await NewDiskAsync();
        Make(Path.Combine(project, "site"), "echo site > index.html");
        Directory.Delete(Path.Combine(project, "html"));
        File.CreateSymbolicLink(Path.Combine(project, "alias"), "site");
        File.CreateSymbolicLink(Path.Combine(project, "html"), "alias"); // a link to a link: Docker follows both
        var outside = Directory.CreateDirectory(Path.Combine(fixture.DataRoot, "outside")).FullName;
        File.WriteAllText(Path.Combine(outside, "secret"), "node only");
        File.CreateSymbolicLink(Path.Combine(project, "out"), outside);
        const string Compose = "services:\n  web:\n    image: nginx:1.27\n    volumes: [\"./html:/usr/share/nginx/html\"]\n";
        var seeds = MountPaths.Seeds(Tests.Compose.Compose.Load(Compose, dir: project));

        var planned = (await runtime.SeedAsync(app, disk.Id, seeds, dryRun: true, progress, CancellationToken.None).Within()).Binds.Single();
        var result = (await runtime.SeedAsync(app, disk.Id, seeds, dryRun: false, progress, CancellationToken.None).Within()).Binds.Single();
        var refused = Tests.Compose.Compose.Errors(Compose.Replace("./html", "./out", StringComparison.Ordinal), dir: project);

        Assert.Equal(new SeedSource("./html", Path.Combine(project, "html"), "binds/html"), Assert.Single(seeds));
        Assert.Equal(["index.html"], planned.Copied);
        Assert.Equal(["index.html"], result.Copied);
        Assert.Equal("site\n", File.ReadAllText(Path.Combine(Bind(disk), "index.html")));
        Assert.Equal(["index.html"], Directory.EnumerateFileSystemEntries(Bind(disk)).Select(Path.GetFileName));
        Assert.Contains("through a symbolic link", Assert.Single(refused).Message);
    }

    [Fact]
    public async Task A_dry_run_on_a_disk_without_the_binds_directory_would_copy_it_whole()
    {
        var (runtime, app, disk) = await NewDiskAsync().Within();
        Directory.Delete(Bind(disk));
        Directory.Delete(Path.Combine(DiskPath(disk), "binds"));
        Make(Path.Combine(project, "html"), "echo abc > index.html");

        var planned = (await runtime.SeedAsync(app, disk.Id, [Html], dryRun: true, progress, CancellationToken.None).Within()).Binds.Single();

        Assert.Equal(["."], planned.Copied);
        Assert.Equal((2L, 4L), (planned.Files, planned.Bytes));
        Assert.False(Directory.Exists(Path.Combine(DiskPath(disk), "binds")));
    }

    [Fact]
    public async Task The_disk_is_marked_seeded_in_its_tags_and_a_missing_project_directory_copies_nothing()
    {
        var (runtime, app, disk) = await NewDiskAsync().Within();
        fixture.Time.Advance(TimeSpan.FromMinutes(5));

        var result = await runtime.SeedAsync(app, disk.Id, [new SeedSource("./missing", Path.Combine(project, "missing"), "binds/missing")], dryRun: false, progress, CancellationToken.None).Within();

        Assert.Contains("is no directory of the project", result.Binds.Single().NotCopied);
        Assert.True((await runtime.GetDiskAsync(app, disk.Id, CancellationToken.None).Within()).Seeded);
        using var tags = JsonDocument.Parse(File.ReadAllText(DiskPath(disk) + ".json"));
        Assert.Equal("2025-08-11T12:39:56.0000000Z", tags.RootElement.GetProperty("Tags").GetProperty(K3sRuntime.SeededTag).GetString());
        Assert.False(Directory.Exists(Path.Combine(DiskPath(disk), "binds", "missing")));
    }

    // Stopped while the bytes flow (Ctrl+C): the copy goes into a hidden directory beside the disks and only whole
    // entries are renamed into the disk, so the disk holds no part of a file and nothing is left beside it.
    [Fact]
    public async Task A_stop_during_the_copy_leaves_no_part_of_a_file_on_the_disk_nor_beside_it()
    {
        var (runtime, app, disk) = await NewDiskAsync().Within();
        var bytes = new byte[8 << 20];
        new Random(7).NextBytes(bytes);
        File.WriteAllBytes(Path.Combine(project, "html", "big.bin"), bytes);
        using var stop = new CancellationTokenSource();
        var stopping = new StoppingProgress(progress, stop);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => runtime.SeedAsync(app, disk.Id, [Html], dryRun: false, stopping, stop.Token).Within());

        // Stopped in the middle of big.bin, the only file: at its first report of bytes, a share of its 8 MiB.
        Assert.InRange(stopping.StoppedAt, 1, bytes.Length - 1);

        Assert.Empty(Directory.EnumerateFileSystemEntries(Bind(disk)));
        Assert.Empty(Leftovers());
        Assert.False((await runtime.GetDiskAsync(app, disk.Id, CancellationToken.None).Within()).Seeded);
        Assert.Contains(progress.Reports, r => r.Status.StartsWith("copying ./html to binds/html: ", StringComparison.Ordinal));
    }

    // A project file that cannot be read fails the copy naming it; what was read before it is not on the disk.
    [Fact]
    public async Task A_project_file_that_cannot_be_read_fails_the_copy_naming_it_and_leaves_nothing()
    {
        var (runtime, app, disk) = await NewDiskAsync().Within();
        Make(Path.Combine(project, "html"), "echo hi > index.html && echo no > secret.txt");
        var secret = Path.Combine(project, "html", "secret.txt");
        using var held = UnreadableFile.Make(secret);

        var error = await Assert.ThrowsAnyAsync<Exception>(() => runtime.SeedAsync(app, disk.Id, [Html], dryRun: false, progress, CancellationToken.None).Within());

        Assert.Contains(secret, error.Message, StringComparison.Ordinal);
        Assert.Empty(Directory.EnumerateFileSystemEntries(Bind(disk)));
        Assert.Empty(Leftovers());
        Assert.False((await runtime.GetDiskAsync(app, disk.Id, CancellationToken.None).Within()).Seeded);
    }

    // Whatever stops the extraction (here the report of its first bytes fails), the archive's writer having written it
    // all: the copy fails with that error and brings nothing onto the disk.
    [Fact]
    public async Task A_copy_whose_extraction_fails_fails_with_its_error_and_leaves_nothing()
    {
        var (runtime, app, disk) = await NewDiskAsync();
        Make(Path.Combine(project, "html"), "echo hi > index.html && mkdir css && echo x > css/site.css");
        var failure = new InvalidOperationException("the progress display is gone");
        var failing = new FailingProgress(progress, r => r.Status.StartsWith("copying ./html to binds/html: ", StringComparison.Ordinal), failure);

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => runtime.SeedAsync(app, disk.Id, [Html], dryRun: false, failing, CancellationToken.None).Within());

        Assert.Same(failure, error);
        Assert.Empty(Directory.EnumerateFileSystemEntries(Bind(disk)));
        Assert.Empty(Leftovers());
        Assert.False((await runtime.GetDiskAsync(app, disk.Id, CancellationToken.None).Within()).Seeded);
    }

    // A copy whose process was killed (power, kill -9) cannot clean up: its hidden directory beside the disks, with a
    // part of a file, is removed by the next copy onto that disk.
    [Fact]
    public async Task A_copy_killed_before_left_its_hidden_directory_which_the_next_copy_removes()
    {
        var (runtime, app, disk) = await NewDiskAsync().Within();
        Make(Path.Combine(fixture.DataRoot, "disks", $".{disk.Id}.seed.{Guid.NewGuid():N}.tmp", "binds", "html"), "head -c 1000 /dev/zero > big.bin");
        Make(Path.Combine(project, "html"), "echo hi > index.html");

        await runtime.SeedAsync(app, disk.Id, [Html], dryRun: false, progress, CancellationToken.None).Within();

        Assert.Empty(Leftovers());
        Assert.Equal("hi\n", File.ReadAllText(Path.Combine(Bind(disk), "index.html")));
    }

    [Fact]
    public async Task The_copy_reports_its_bytes()
    {
        var (runtime, app, disk) = await NewDiskAsync().Within();
        File.WriteAllBytes(Path.Combine(project, "html", "big.bin"), new byte[1 << 20]);

        await runtime.SeedAsync(app, disk.Id, [Html], dryRun: false, progress, CancellationToken.None).Within();

        var reports = progress.Reports.Where(r => r.Activity == $"Copying the bound directories onto disk {disk.Id}" && r.Status.StartsWith("copying ./html to binds/html: ", StringComparison.Ordinal)).ToList();
        Assert.Equal(100, reports[^1].Percent);
        Assert.InRange(long.Parse(reports[^1].Status.Split(' ')[^2], System.Globalization.CultureInfo.InvariantCulture), 1 << 20, (1 << 20) + (64 << 10));
    }

    private async Task<(K3sRuntime Runtime, Kompox.Model.KompoxApp App, DiskInfo Disk)> NewDiskAsync()
    {
        var runtime = fixture.Runtime();
        var app = fixture.App();
        var disk = await runtime.CreateDiskAsync(app, progress, CancellationToken.None).Within();

        // The kubelet makes a mount's missing subPath before the container starts (kubernetes pkg/kubelet/kubelet_pods.go,
        // makeMounts: "Create the sub path now"); the test server does not touch disks, so an app that ran is made so here.
        Directory.CreateDirectory(Bind(disk));
        return (runtime, app, disk);
    }

    private string DiskPath(DiskInfo disk) => Path.Combine(fixture.DataRoot, "disks", disk.Id);

    private string Bind(DiskInfo disk) => Path.Combine(DiskPath(disk), "binds", "html");

    private IEnumerable<string> Leftovers() => Directory.EnumerateFileSystemEntries(Path.Combine(fixture.DataRoot, "disks"), ".*");

    private static string Listing(string root) =>
        string.Join('\n', Directory.EnumerateFileSystemEntries(root, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal).Select(p => $"{p} {File.ReadAllText(p is var f && File.Exists(f) ? f : "/dev/null")}"));

    private static void Make(string directory, string script)
    {
        Directory.CreateDirectory(directory);
        var start = new ProcessStartInfo("sh") { RedirectStandardError = true, ArgumentList = { "-ec", $"cd \"$0\" && {script}", directory } };
        using var process = Process.Start(start)!;
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, error);
    }

    /// <summary>Passes reports on and throws <c>failure</c> at the first report <c>when</c> matches.</summary>
    private sealed class FailingProgress(IProgress<OperationProgress> inner, Func<OperationProgress, bool> when, Exception failure) : IProgress<OperationProgress>
    {
        public void Report(OperationProgress value)
        {
            inner.Report(value);
            if (when(value))
            {
                throw failure;
            }
        }
    }

    /// <summary>Passes reports on and stops the copy at its first report of bytes copied.</summary>
    private sealed class StoppingProgress(IProgress<OperationProgress> inner, CancellationTokenSource stop) : IProgress<OperationProgress>
    {
        /// <summary>The bytes copied when it stopped the copy.</summary>
        public long StoppedAt { get; private set; }

        public void Report(OperationProgress value)
        {
            inner.Report(value);
            if (value.Status.EndsWith(" bytes", StringComparison.Ordinal) && !value.Status.EndsWith(": 0 bytes", StringComparison.Ordinal) && !stop.IsCancellationRequested)
            {
                StoppedAt = long.Parse(value.Status.Split(' ')[^2], System.Globalization.CultureInfo.InvariantCulture);
                stop.Cancel();
            }
        }
    }
}
