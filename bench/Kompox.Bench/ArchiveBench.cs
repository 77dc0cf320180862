using System.Diagnostics;
using System.Globalization;
using System.Text;
using Kompox.Drivers;
using Kompox.Model;

namespace Kompox.Bench;

/// <summary>
/// k3s disk export and import (K3sRuntime, as Export-KompoxDisk and Import-KompoxDisk run them) against GNU tar on the
/// same directory: <c>tar -czf</c> of the disk, <c>tar -xzf</c> of Kompox's archive. The disk is generated: log-like
/// text files of 4-60 KiB (a third of the bytes, thousands of files) and incompressible blobs of 64 MiB (the rest).
/// Run at the full size (KOMPOX_BENCH_ARCHIVE_MB, 1024 unless set) and at a quarter of it, to show that the memory a
/// run takes does not grow with the data: the peak growth of the process's working set and managed heap over the run,
/// sampled every 20 ms. The page cache is warm for both sides (the disk was just written). Printed, never asserted; Linux
/// only (the archive keeps owners, xattrs and holes through libc), and skipped elsewhere or without GNU tar.
/// </summary>
internal static class ArchiveBench
{
    private const double ExportTarget = 1.2;
    private const double ImportTarget = 1.0;

    public static async Task RunAsync()
    {
        if (!OperatingSystem.IsLinux() || !Has("tar"))
        {
            Console.WriteLine("k3s disk archive benchmark skipped: it needs Linux and GNU tar");
            return;
        }

        var megabytes = int.TryParse(Environment.GetEnvironmentVariable("KOMPOX_BENCH_ARCHIVE_MB"), CultureInfo.InvariantCulture, out var mb) && mb > 0 ? mb : 1024;
        var small = await MeasureAsync(Math.Max(1, megabytes / 4));
        var full = await MeasureAsync(megabytes);

        Console.WriteLine();
        Console.WriteLine($"k3s disk export and import against GNU tar {TarVersion()}, warm page cache");
        Console.WriteLine();
        Console.WriteLine($"{"disk",10} {"files",7} | {"export",9} {"tar -czf",9} {"archive",9} {"tar's",9} | {"import",9} {"tar -xzf",9} | {"peak working set +",18} {"peak managed heap +",19}");
        foreach (var r in new[] { small, full })
        {
            Console.WriteLine($"{r.Megabytes,7} MiB {r.Files,7} | {r.ExportSeconds,7:N2} s {r.TarCreateSeconds,7:N2} s {r.ArchiveMegabytes,5:N0} MiB {r.TarArchiveMegabytes,5:N0} MiB | {r.ImportSeconds,7:N2} s {r.TarExtractSeconds,7:N2} s | {r.PeakWorkingSetMegabytes,14:N1} MiB {r.PeakHeapMegabytes,15:N1} MiB");
        }

        Console.WriteLine();
        Console.WriteLine($"{"k3s export throughput against tar -czf",-48} {full.TarCreateSeconds / full.ExportSeconds,8:N2}x    (target >= {ExportTarget:N2}x; {full.Megabytes / full.ExportSeconds:N0} MiB/s)");
        Console.WriteLine($"{"k3s import throughput against tar -xzf",-48} {full.TarExtractSeconds / full.ImportSeconds,8:N2}x    (target >= {ImportTarget:N2}x; {full.Megabytes / full.ImportSeconds:N0} MiB/s)");
        Console.WriteLine($"{"peak memory growth, full size against a quarter",-48} {full.PeakWorkingSetMegabytes / Math.Max(1, small.PeakWorkingSetMegabytes),8:N2}x    (working set; flat = 1.00x, the managed heap {full.PeakHeapMegabytes / Math.Max(1, small.PeakHeapMegabytes):N2}x)");
    }

    private static async Task<Result> MeasureAsync(int megabytes)
    {
        var work = Directory.CreateTempSubdirectory("kompox-bench-archive-").FullName;
        try
        {
            var runtime = new K3sRuntime(work, TimeProvider.System);
            var app = App(work);
            var disk = await runtime.CreateDiskAsync(app, new Progress<OperationProgress>(), CancellationToken.None);
            var root = Path.Combine(work, "disks", disk.Id);
            var files = Generate(root, (long)megabytes << 20);

            // Each timed step starts with no dirty pages, so none pays for the writeback of what another wrote.
            await Run("sync");

            var archive = Path.Combine(work, "kompox.tar.gz");
            var tarArchive = Path.Combine(work, "tar.tar.gz");
            var peak = new PeakMemory();
            var export = await TimeAsync(async () =>
            {
                await using var file = new FileStream(archive, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16);
                await runtime.ExportDiskAsync(app, disk.Id, file, new Progress<OperationProgress>(), CancellationToken.None);
            });
            await Run("sync");
            var tarCreate = await TimeAsync(() => Tar("-czf", tarArchive, "-C", root, "."));
            await Run("sync");
            var import = await TimeAsync(async () =>
            {
                await using var file = new FileStream(archive, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
                await runtime.ImportDiskAsync(app, file, new Progress<OperationProgress>(), CancellationToken.None);
            });
            var (workingSet, heap) = peak.Stop();
            var extracted = Directory.CreateDirectory(Path.Combine(work, "tar-extracted")).FullName;
            await Run("sync");
            var tarExtract = await TimeAsync(() => Tar("-xzf", archive, "-C", extracted));
            return new Result(megabytes, files, export, tarCreate, new FileInfo(archive).Length / 1048576.0, new FileInfo(tarArchive).Length / 1048576.0, import, tarExtract, workingSet / 1048576.0, heap / 1048576.0);
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    /// <summary>A third of the bytes as log-like text in 4-60 KiB files, 100 to a directory; the rest as 64 MiB random blobs.</summary>
    private static int Generate(string root, long bytes)
    {
        var random = new Random(14);
        var files = 0;
        long text = 0;
        var line = new StringBuilder();
        string[] levels = ["INFO", "INFO", "INFO", "DEBUG", "WARN", "ERROR"];
        string[] paths = ["/api/orders", "/api/users/login", "/healthz", "/static/app.js", "/api/cart/items", "/metrics"];
        var time = new DateTime(2025, 8, 11, 0, 0, 0, DateTimeKind.Utc);
        while (text < bytes / 3)
        {
            var directory = Directory.CreateDirectory(Path.Combine(root, "logs", (files / 100).ToString("D4", CultureInfo.InvariantCulture))).FullName;
            var size = random.Next(4 << 10, 60 << 10);
            line.Clear();
            while (line.Length < size)
            {
                time = time.AddMilliseconds(random.Next(1, 900));
                line.Append(CultureInfo.InvariantCulture, $"{time:yyyy-MM-ddTHH:mm:ss.fffZ} {levels[random.Next(levels.Length)]} request id={random.Next():x8} method=GET path={paths[random.Next(paths.Length)]} status={(random.Next(20) == 0 ? 500 : 200)} duration_ms={random.Next(1, 2000)} user={random.Next(1000)}\n");
            }

            File.WriteAllText(Path.Combine(directory, $"app-{files:D6}.log"), line.ToString());
            text += line.Length;
            files++;
        }

        var blob = new byte[1 << 20];
        for (long written = text; written < bytes; files++)
        {
            using var file = File.Create(Path.Combine(root, $"blob-{files}.bin"));
            for (var i = 0; i < 64 && written < bytes; i++, written += blob.Length)
            {
                random.NextBytes(blob);
                file.Write(blob);
            }
        }

        return files;
    }

    private static async Task<double> TimeAsync(Func<Task> action)
    {
        var watch = Stopwatch.StartNew();
        await action();
        return watch.Elapsed.TotalSeconds;
    }

    private static Task Tar(params string[] arguments) => Run("tar", arguments);

    private static async Task Run(string program, params string[] arguments)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardError = true };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var error = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{program} {string.Join(' ', arguments)} failed: {error}");
        }
    }

    private static bool Has(string program) =>
        (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(':').Any(dir => File.Exists(Path.Combine(dir, program)));

    private static string TarVersion()
    {
        using var process = Process.Start(new ProcessStartInfo("tar", "--version") { RedirectStandardOutput = true })!;
        var first = process.StandardOutput.ReadLine() ?? string.Empty;
        process.WaitForExit();
        return first.Split(' ').LastOrDefault() ?? string.Empty;
    }

    private static KompoxApp App(string dataRoot)
    {
        var provider = new KompoxProvider { Name = "k3s1", Driver = "k3s", Settings = new Dictionary<string, string>(), Service = new KompoxService { Name = "bench" } };
        var cluster = new KompoxCluster
        {
            Name = "lab",
            Provider = provider,
            Auth = new ClusterAuth(),
            Ingress = new ClusterIngress(),
            Domain = "bench.example.com",
            Settings = new Dictionary<string, string> { ["K3S_DATA_ROOT"] = dataRoot },
        };
        return new KompoxApp { Name = "archive", Cluster = cluster, Compose = string.Empty, Ingress = new Dictionary<string, string>(), Resources = new Dictionary<string, string>(), Settings = new Dictionary<string, string>() };
    }

    /// <summary>The highest working set and managed heap seen above where they stood when sampling began.</summary>
    private sealed class PeakMemory
    {
        private readonly long baseWorkingSet;
        private readonly long baseHeap;
        private readonly Timer timer;
        private long peakWorkingSet;
        private long peakHeap;

        public PeakMemory()
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
            using (var self = Process.GetCurrentProcess())
            {
                baseWorkingSet = self.WorkingSet64;
            }

            baseHeap = GC.GetTotalMemory(forceFullCollection: true);
            timer = new Timer(_ => Sample(), null, 0, 20);
        }

        public (long WorkingSet, long Heap) Stop()
        {
            timer.Dispose();
            Sample();
            return (Interlocked.Read(ref peakWorkingSet), Interlocked.Read(ref peakHeap));
        }

        private void Sample()
        {
            using var self = Process.GetCurrentProcess();
            Max(ref peakWorkingSet, self.WorkingSet64 - baseWorkingSet);
            Max(ref peakHeap, GC.GetTotalMemory(forceFullCollection: false) - baseHeap);
        }

        private static void Max(ref long peak, long value)
        {
            for (var seen = Interlocked.Read(ref peak); value > seen; seen = Interlocked.Read(ref peak))
            {
                if (Interlocked.CompareExchange(ref peak, value, seen) == seen)
                {
                    return;
                }
            }
        }
    }

    private sealed record Result(int Megabytes, int Files, double ExportSeconds, double TarCreateSeconds, double ArchiveMegabytes, double TarArchiveMegabytes, double ImportSeconds, double TarExtractSeconds, double PeakWorkingSetMegabytes, double PeakHeapMegabytes);
}
