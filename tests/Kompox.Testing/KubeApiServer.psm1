# Starts the Kubernetes API test server of Kompox.Testing in this PowerShell process: for the Pester tests and for the
# main job of build.ps1 -Task Start, which deploys to it when no cluster is at hand.

<#
.SYNOPSIS
    Loads Kompox.Testing.dll from -AssemblyPath and starts a KubeApiServer on 127.0.0.1 (dispose it when done), its node
    presented as this machine.
#>
function Start-KompoxKubeApiServer {
    param([Parameter(Mandatory)] [string] $AssemblyPath)
    $AssemblyPath = (Resolve-Path $AssemblyPath).Path

    # The server runs on ASP.NET Core, a shared framework pwsh does not load: resolve it from the runtime's shared
    # directory, and the server's own dependencies from beside it.
    if (-not ('KompoxTestingAssemblyResolver' -as [type])) {
        Add-Type -TypeDefinition @'
public static class KompoxTestingAssemblyResolver
{
    public static void Register(params string[] directories) =>
        System.Runtime.Loader.AssemblyLoadContext.Default.Resolving += (context, name) =>
        {
            foreach (var directory in directories)
            {
                var path = System.IO.Path.Combine(directory, name.Name + ".dll");
                if (System.IO.File.Exists(path))
                {
                    return context.LoadFromAssemblyPath(path);
                }
            }

            return null;
        };
}
'@
        $netcore = [System.Runtime.InteropServices.RuntimeEnvironment]::GetRuntimeDirectory()
        [KompoxTestingAssemblyResolver]::Register(($netcore -replace 'Microsoft\.NETCore\.App', 'Microsoft.AspNetCore.App'), (Split-Path $AssemblyPath))
    }
    Add-Type -Path $AssemblyPath
    $server = [Kompox.Testing.KubeApi.KubeApiServer]::StartAsync($null, [System.Threading.CancellationToken]::None).GetAwaiter().GetResult()
    # Kompox makes k3s disks on the machine it runs on, which must be the node: the server's node is this machine's.
    $server.PresentNodeAsThisMachine()
    $server
}

Export-ModuleMember -Function Start-KompoxKubeApiServer
