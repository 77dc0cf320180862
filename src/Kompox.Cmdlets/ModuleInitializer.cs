using System.Management.Automation;
using System.Reflection;
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

    private sealed class DependencyLoadContext(string directory) : AssemblyLoadContext("Kompox", isCollectible: false)
    {
        protected override Assembly? Load(AssemblyName name)
        {
            var path = Path.Combine(directory, name.Name + ".dll");
            return File.Exists(path) ? LoadFromAssemblyPath(path) : null;
        }
    }
}
