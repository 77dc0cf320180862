# Get-KompoxAppCredential through the module against the Kubernetes API test server of Kompox.Testing, started in
# this process; the app's converted manifest is applied with kubectl's server-side apply as deploying it would.
BeforeAll {
    Import-Module $env:KOMPOX_TEST_MODULE -Force
    Import-Module (Join-Path $PSScriptRoot 'TestRunspace.psm1') -Force
    $Root = (Resolve-Path "$PSScriptRoot/../..").Path

    # The test server runs on ASP.NET Core, a shared framework pwsh does not load: resolve it (and the server's own
    # dependencies, which sit next to it) from the runtime's shared directory.
    if (-not ('KompoxTestAssemblyResolver' -as [type])) {
        Add-Type -TypeDefinition @'
public static class KompoxTestAssemblyResolver
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
        [KompoxTestAssemblyResolver]::Register(($netcore -replace 'Microsoft\.NETCore\.App', 'Microsoft.AspNetCore.App'), (Split-Path $env:KOMPOX_TEST_TESTING_ASSEMBLY))
    }
    Add-Type -Path $env:KOMPOX_TEST_TESTING_ASSEMBLY

    $Server = [Kompox.Testing.KubeApi.KubeApiServer]::StartAsync($null, [System.Threading.CancellationToken]::None).GetAwaiter().GetResult()
    $Dir = (New-Item -ItemType Directory (Join-Path $TestDrive 'gitea')).FullName
    Copy-Item (Join-Path $Root 'examples/gitea/*') $Dir
    $Kubeconfig = $Server.WriteKubeconfig((Join-Path $TestDrive 'admin.kubeconfig'))
    $Config = Join-Path $Dir 'kompoxops.yml'
    (Get-Content (Join-Path $Root 'examples/gitea/kompoxops.yml') -Raw).
        Replace('kubeconfig: ~/.kube/config', "kubeconfig: '$Kubeconfig'").
        Replace('context: lab', 'context: kompox-test') | Set-Content $Config

    # kubectl keeps its discovery cache under HOME: give it one inside the test drive.
    $KubectlHome = (New-Item -ItemType Directory (Join-Path $TestDrive 'home')).FullName
    function Invoke-Kubectl([string] $With) {
        $saved = $env:HOME
        $env:HOME = $KubectlHome
        try { $output = & kubectl @args "--kubeconfig=$With" 2>&1 | Out-String }
        finally { $env:HOME = $saved }
        [pscustomobject]@{ ExitCode = $LASTEXITCODE; Output = $output }
    }

    $Namespace = (Import-KompoxConfig $Config | Where-Object Kind -eq App | ConvertTo-KompoxManifest -WarningAction SilentlyContinue |
        Select-String -Pattern '(?m)^kind: Namespace\s+metadata:[\s\S]*?^  name: (\S+)' | Select-Object -First 1).Matches[0].Groups[1].Value
}

AfterAll {
    if ($Server) { $Server.DisposeAsync().AsTask().GetAwaiter().GetResult() }
}

Describe 'Get-KompoxAppCredential' {
    It 'says the app is not deployed before it is' {
        Get-KompoxAppCredential -Path $Config -ErrorVariable err -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        $err | Should -HaveCount 1
        $err[0].FullyQualifiedErrorId | Should -BeLike 'AppNotDeployed,*'
        $err[0].CategoryInfo.Category | Should -Be 'ObjectNotFound'
    }

    It 'refuses a -Duration under 10 minutes as a parameter error, before reading anything' {
        $Server.ClearRequests()
        { Get-KompoxAppCredential -Path $Config -Duration 0:09:59 } | Should -Throw -ErrorId 'ParameterArgumentValidationError,Kompox.Cmdlets.GetKompoxAppCredentialCommand'
        try { Get-KompoxAppCredential -Path $Config -Duration 0:09:59 } catch { $_.Exception.Message | Should -Match '-Duration 00:09:59 is shorter than 10 minutes' }
        $Server.Requests | Should -BeNullOrEmpty
    }

    Context 'on a deployed app' {
        BeforeAll {
            $manifest = Join-Path $TestDrive 'gitea.yaml'
            Import-KompoxConfig $Config | ConvertTo-KompoxManifest -OutFile $manifest -WarningAction SilentlyContinue
            $applied = Invoke-Kubectl $Kubeconfig apply --server-side --field-manager=kompox -f $manifest
            if ($applied.ExitCode -ne 0) { throw "kubectl apply failed: $($applied.Output)" }
            $Pod = ($Server.PeekAll('pods', $Namespace) | Select-Object -First 1)['metadata']['name'].ToString()
            $Container = ($Server.PeekAll('pods', $Namespace) | Select-Object -First 1)['spec']['containers'][0]['name'].ToString()
            $Server.AppendLog($Namespace, $Pod, $Container, 'gitea is listening on :3000', $false, $null)
            $File = Join-Path $TestDrive 'gitea.kubeconfig'
        }

        It 'writes the kubeconfig with mode 0600 and outputs the credential with its path' {
            $credential = Import-KompoxConfig $Config | Get-KompoxAppCredential -OutFile $File -Duration 2:00:00
            $credential | Should -BeOfType 'Kompox.PowerShell.KompoxAppCredential'
            $credential.Path | Should -Be $File
            $credential.Namespace | Should -Be $Namespace
            $credential.User | Should -Be "system:serviceaccount:${Namespace}:gitea-access"
            ($credential.ExpiresAt - [DateTimeOffset]::UtcNow).TotalMinutes | Should -BeGreaterThan 115
            ($credential.ExpiresAt - [DateTimeOffset]::UtcNow).TotalMinutes | Should -BeLessOrEqual 120
            (Get-Content $File -Raw) | Should -Be $credential.Kubeconfig
            if (-not $IsWindows) { (Get-Item $File).UnixFileMode | Should -Be ([System.IO.UnixFileMode]'UserRead, UserWrite') }
            $text = ($credential | Out-String -Width 300) -replace ' +', ' '
            $text | Should -Match 'App Namespace User ExpiresAt Path'
            $text | Should -Match ([regex]::Escape("ops/k3s1/lab/gitea $Namespace system:serviceaccount:${Namespace}:gitea-access"))
        }

        It 'lets kubectl list the app''s pods and read their logs with it' {
            $pods = Invoke-Kubectl $File get pods -o name
            $pods.ExitCode | Should -Be 0 -Because $pods.Output
            $pods.Output.Trim() | Should -Be "pod/$Pod"
            $logs = Invoke-Kubectl $File logs $Pod -c $Container
            $logs.ExitCode | Should -Be 0 -Because $logs.Output
            $logs.Output | Should -Match 'gitea is listening on :3000'
        }

        It 'is refused deleting the pod and reading secrets' {
            $delete = Invoke-Kubectl $File delete pod $Pod --wait=false
            $delete.ExitCode | Should -Not -Be 0
            $delete.Output | Should -Match 'Forbidden'
            $secrets = Invoke-Kubectl $File get secrets
            $secrets.ExitCode | Should -Not -Be 0
            $secrets.Output | Should -Match 'Forbidden'
            $Server.Peek('pods', $Namespace, $Pod) | Should -Not -BeNullOrEmpty
        }

        It 'keeps an existing file unless -Force is given' {
            $before = Get-Content $File -Raw
            Get-KompoxAppCredential -Path $Config -OutFile $File -ErrorVariable err -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
            $err[0].FullyQualifiedErrorId | Should -BeLike 'OutputFileExists,*'
            Get-Content $File -Raw | Should -Be $before
            $again = Get-KompoxAppCredential -Path $Config -OutFile $File -Force
            Get-Content $File -Raw | Should -Be $again.Kubeconfig
            Get-Content $File -Raw | Should -Not -Be $before
        }

        It 'writes nothing and requests no token with -WhatIf' {
            $Server.ClearRequests()
            $other = Join-Path $TestDrive 'whatif.kubeconfig'
            Get-KompoxAppCredential -Path $Config -OutFile $other -WhatIf | Should -BeNullOrEmpty
            Test-Path $other | Should -BeFalse
            $Server.Requests | Should -BeNullOrEmpty
        }

        It 'shows the TokenRequest with -Verbose and refuses -Kubelogin on k3s' {
            $r = Invoke-InRunspace "Get-KompoxAppCredential -Path '$Config' -Verbose"
            $r.Errors | Should -BeNullOrEmpty
            ($r.Verbose -join "`n") | Should -Match "POST /api/v1/namespaces/$Namespace/serviceaccounts/gitea-access/token"
            Get-KompoxAppCredential -Path $Config -Kubelogin -ErrorVariable err -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
            $err[0].FullyQualifiedErrorId | Should -BeLike 'KubeloginUnsupported,*'
        }
    }
}
