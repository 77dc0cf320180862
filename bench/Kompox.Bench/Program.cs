using System.Diagnostics;
using Kompox.Bench;
using Kompox.Config;
using Kompox.Operations;

// Three benchmarks, printed, never asserted: conversion here, then deploy and destroy (DeployBench), then the k3s disk
// archive against GNU tar (ArchiveBench). KOMPOX_BENCH=archive runs the last one only.
// Warm conversion speed over the golden corpus (tests/data/apps): load the compose file and convert it, in one
// process, as Test-KompoxApp does after its first call. Printed as a ratio to the 5 ms target, never asserted.
var root = args.Length > 0 ? args[0] : Directory.GetCurrentDirectory();
if (Environment.GetEnvironmentVariable("KOMPOX_BENCH") == "archive")
{
    await ArchiveBench.RunAsync();
    return;
}

var apps = Directory.GetDirectories(Path.Combine(root, "tests", "data", "apps"))
    .Order(StringComparer.Ordinal)
    .Select(dir => KompoxConfig.Load(Path.Combine(dir, "kompoxops.yml")).App)
    .ToList();
var options = new AppValidationOptions();

void ConvertAll()
{
    foreach (var app in apps)
    {
        if (!AppValidator.Validate(app, options).IsValid)
        {
            throw new InvalidOperationException($"{app.Id} no longer converts; the benchmark needs the golden corpus valid");
        }
    }
}

ConvertAll();
const int Rounds = 15;
const int PerRound = 20;
var perConversionMs = new List<double>();
for (var round = 0; round < Rounds; round++)
{
    var watch = Stopwatch.StartNew();
    for (var i = 0; i < PerRound; i++)
    {
        ConvertAll();
    }

    perConversionMs.Add(watch.Elapsed.TotalMilliseconds / (PerRound * apps.Count));
}

perConversionMs.Sort();
var median = perConversionMs[Rounds / 2];
Console.WriteLine($"{"warm conversion, golden corpus (median)",-44} {median,8:N3} ms  ({apps.Count} apps)");
Console.WriteLine($"{"conversions per second",-44} {1000 / median,8:N0}");
Console.WriteLine($"{"warm conversion against 5 ms target",-44} {median / 5,8:N2}x (target < 1.00x)");

await DeployBench.RunAsync(root);
await ArchiveBench.RunAsync();
