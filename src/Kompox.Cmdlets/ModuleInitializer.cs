using System.Management.Automation;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Runtime.Loader;

namespace Kompox.Cmdlets;

/// <summary>
/// Loads Kompox.Engine and everything it depends on (YamlDotNet, Kubernetes and Azure clients) from
/// Dependencies/ into a private load context, so that other modules in the same session (Az.Accounts with
/// its own Azure.Core, a script that Add-Types another YamlDotNet) and Kompox never see each other's versions.
/// Only this assembly lives in the default context; its one link to the rest is the engine.
/// </summary>
public sealed class ModuleInitializer : IModuleAssemblyInitializer
{
    private const string EngineName = "Kompox.Engine";

    private static readonly Lazy<DependencyLoadContext> Dependencies = new(() =>
        new DependencyLoadContext(Path.Combine(Path.GetDirectoryName(typeof(ModuleInitializer).Assembly.Location)!, "Dependencies")));

    private static int registered;

    public void OnImport()
    {
        if (Interlocked.Exchange(ref registered, 1) == 0)
        {
            AssemblyLoadContext.Default.Resolving += ResolveEngine;
        }
    }

    private static Assembly? ResolveEngine(AssemblyLoadContext context, AssemblyName name) =>
        name.Name == EngineName ? Dependencies.Value.LoadFromAssemblyName(name) : null;

    /// <summary>
    /// The folder of ReadyToRun images for this OS, architecture and .NET version (<c>linux-x64.net10</c>), or null
    /// on an OS the build has no name for. The runtime uses precompiled code only when it was compiled for the same
    /// major version, so the folder names it; the IL beside it is the fallback for every other platform.
    /// </summary>
    internal static string? ReadyToRunFolder()
    {
        var os = OperatingSystem.IsWindows() ? "win" : OperatingSystem.IsLinux() ? "linux" : OperatingSystem.IsMacOS() ? "osx" : null;
        var arch = RuntimeInformation.ProcessArchitecture.ToString().ToLowerInvariant();
        return os is null ? null : $"{os}-{arch}.net{Environment.Version.Major}";
    }

    private sealed class DependencyLoadContext(string directory) : AssemblyLoadContext("Kompox", isCollectible: false)
    {
        private readonly string[] searchOrder = ReadyToRunFolder() is { } folder ? new[] { Path.Combine(directory, folder), directory } : new[] { directory };

        private readonly string frameworkDirectory = RuntimeEnvironment.GetRuntimeDirectory();

        protected override Assembly? Load(AssemblyName name)
        {
            // Packages such as Azure.Core carry copies of framework assemblies (System.Text.Json) for older runtimes.
            // Where the running framework has the version asked for, its precompiled copy serves: sharing a framework
            // assembly clashes with no module, and the package copy would have to be compiled at every start.
            if (FrameworkHas(name))
            {
                return null;
            }

            foreach (var candidate in searchOrder)
            {
                var path = Path.Combine(candidate, name.Name + ".dll");
                if (File.Exists(path))
                {
                    return LoadFromAssemblyPath(path);
                }
            }

            return null;
        }

        private bool FrameworkHas(AssemblyName name)
        {
            var path = Path.Combine(frameworkDirectory, name.Name + ".dll");
            return File.Exists(path) && AssemblyName.GetAssemblyName(path).Version >= (name.Version ?? new Version());
        }
    }
}
