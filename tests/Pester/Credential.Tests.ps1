# Get-KompoxAppCredential through the module against the Kubernetes API test server of Kompox.Testing, started in
# this process; the app's converted manifest is applied with kubectl's server-side apply as deploying it would.
BeforeAll {
    Import-Module $env:KOMPOX_TEST_MODULE -Force
    Import-Module (Join-Path $PSScriptRoot 'TestRunspace.psm1') -Force

    Import-Module (Join-Path $PSScriptRoot 'TestCluster.psm1') -Force
    $Server = Start-KompoxTestServer
    $Dir = Join-Path $TestDrive 'gitea'
    $Kubeconfig = $Server.WriteKubeconfig((Join-Path $TestDrive 'admin.kubeconfig'))
    $Config = New-KompoxTestConfig -Directory $Dir -Kubeconfig $Kubeconfig -NodeName lab-node1

    # kubectl keeps its discovery cache under HOME: give it one inside the test drive.
    $KubectlHome = (New-Item -ItemType Directory (Join-Path $TestDrive 'home')).FullName
    function Invoke-KubectlWith { Invoke-Kubectl $args[0] $KubectlHome @($args | Select-Object -Skip 1) }

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
        try { Get-KompoxAppCredential -Path $Config -Duration 0:09:59 } catch { $_.Exception.Message | Should -Match "parameter 'Duration'. the duration 00:09:59 is shorter than 10 minutes" }
        $Server.Requests | Should -BeNullOrEmpty
    }

    Context 'on a deployed app' {
        BeforeAll {
            $manifest = Join-Path $TestDrive 'gitea.yaml'
            Import-KompoxConfig $Config | ConvertTo-KompoxManifest -OutFile $manifest -WarningAction SilentlyContinue
            $applied = Invoke-KubectlWith $Kubeconfig apply --server-side --field-manager=kompox -f $manifest
            if ($applied.ExitCode -ne 0) { throw "kubectl apply failed: $($applied.Output)" }
            $Pod = ($Server.PeekAll('pods', $Namespace) | Select-Object -First 1)['metadata']['name'].ToString()
            $Container = ($Server.PeekAll('pods', $Namespace) | Select-Object -First 1)['spec']['containers'][0]['name'].ToString()
            $Server.AppendLog($Namespace, $Pod, $Container, 'gitea is listening on :3000', $false, $null)
            $File = Join-Path $TestDrive 'gitea.kubeconfig'
        }

        It 'warns that the server address is a loopback one users elsewhere do not reach, naming it and API_SERVER_URL' {
            $credential = Import-KompoxConfig $Config | Get-KompoxAppCredential -WarningVariable warned -WarningAction SilentlyContinue
            $server = $Server.BaseUri.GetLeftPart([System.UriPartial]::Authority)
            $credential.Server | Should -Be $server
            "$warned" | Should -Match ([regex]::Escape("the kubeconfig names the API server $server"))
            "$warned" | Should -Match 'API_SERVER_URL'
        }

        It 'writes the kubeconfig with mode 0600 and outputs the credential with its path' {
            # The server (in this process, on the system clock) sets the expiry: bracket it by the clock read before and
            # after the call, rather than allow a window of real time (the API server writes whole seconds).
            $before = [DateTimeOffset]::UtcNow
            $credential = Import-KompoxConfig $Config | Get-KompoxAppCredential -OutFile $File -Duration 2:00:00
            $after = [DateTimeOffset]::UtcNow
            $credential | Should -BeOfType 'Kompox.PowerShell.KompoxAppCredential'
            $credential.KubeconfigPath | Should -Be $File
            $credential.Namespace | Should -Be $Namespace
            $credential.User | Should -Be "system:serviceaccount:${Namespace}:gitea-access"
            $credential.ExpiresAt | Should -BeGreaterOrEqual $before.AddHours(2).AddTicks(-($before.Ticks % [TimeSpan]::TicksPerSecond))
            $credential.ExpiresAt | Should -BeLessOrEqual $after.AddHours(2)
            (Get-Content $File -Raw) | Should -Be $credential.Kubeconfig
            if (-not $IsWindows) { (Get-Item $File).UnixFileMode | Should -Be ([System.IO.UnixFileMode]'UserRead, UserWrite') }
            $text = ($credential | Out-String -Width 300) -replace ' +', ' '
            $text | Should -Match 'App Namespace ExpiresAt KubeconfigPath'
            $text | Should -Match ([regex]::Escape("ops/k3s1/lab/gitea $Namespace $($credential.ExpiresAt.ToString('u')) $File"))
        }

        It 'lets kubectl list the app''s pods and read their logs with it' {
            $pods = Invoke-KubectlWith $File get pods -o name
            $pods.ExitCode | Should -Be 0 -Because $pods.Output
            $pods.Output.Trim() | Should -Be "pod/$Pod"
            $logs = Invoke-KubectlWith $File logs $Pod -c $Container
            $logs.ExitCode | Should -Be 0 -Because $logs.Output
            $logs.Output | Should -Match 'gitea is listening on :3000'
        }

        It 'is refused deleting the pod and reading secrets' {
            $delete = Invoke-KubectlWith $File delete pod $Pod --wait=false
            $delete.ExitCode | Should -Not -Be 0
            $delete.Output | Should -Match 'Forbidden'
            $secrets = Invoke-KubectlWith $File get secrets
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

        It 'writes nothing and requests no token with -WhatIf, and says what it would write where' {
            # "What if:" goes to the host only, which no redirection captures: a child process with a console host
            # shows it, and the test log stays free of it.
            $Server.ClearRequests()
            $other = Join-Path $TestDrive 'whatif.kubeconfig'
            $output = & dotnet pwsh -NoLogo -NoProfile -NonInteractive -Command "Import-Module '$env:KOMPOX_TEST_MODULE'; Get-KompoxAppCredential -Path '$Config' -OutFile '$other' -WhatIf" 2>&1 | Out-String -Width 1000
            $LASTEXITCODE | Should -Be 0
            ($output -replace '\s+', ' ').Trim() | Should -Be "What if: Performing the operation `"Write a kubeconfig for app ops/k3s1/lab/gitea`" on target `"$other`"."
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
