# What one cmdlet writes pipes into the next, as in the SecretManagement and Az modules: app cmdlets take the App of
# any object that carries one, cluster cmdlets its Cluster, -Path text only (never an object's ToString()), and an
# input that binds to nothing is a non-terminating error. The cluster half runs against the Kubernetes API test server.
BeforeAll {
    Import-Module $env:KOMPOX_TEST_MODULE -Force
    Import-Module (Join-Path $PSScriptRoot 'TestCluster.psm1') -Force
    $Root = (Resolve-Path "$PSScriptRoot/../..").Path
    # The example on the test data's cluster, since the tests read them together.
    $ExampleDir = Join-Path ([System.IO.Path]::GetTempPath()) "kompox-pipeline-$([guid]::NewGuid())"
    $Example = Copy-KompoxExampleOnDataCluster -Destination $ExampleDir
    $Nginx = Join-Path $Root 'tests/data/apps/nginx-single/kompoxops.yml'
    $Privileged = Copy-KompoxExampleOnDataCluster -Destination (Join-Path $ExampleDir 'privileged') -Source (Join-Path $Root 'tests/data/bad-compose/privileged')
    # Every app here has keys with no effect in one Pod; no test here is about warnings.
    $PSDefaultParameterValues['*-Kompox*:WarningAction'] = 'SilentlyContinue'

    # An object whose ToString() is the path of a valid kompoxops.yml: bound through ToString(), it would be read.
    function New-PathLookalike([string] $Path) {
        $o = [pscustomobject]@{ Name = 'not a path' }
        $o | Add-Member -MemberType ScriptMethod -Name ToString -Value { $Path }.GetNewClosure() -Force
        $o
    }
}

AfterAll { if ($ExampleDir) { Remove-Item -Recurse -Force $ExampleDir -ErrorAction SilentlyContinue } }

Describe 'Offline pipelines' {
    It 'Test-KompoxApp | ConvertTo-KompoxManifest converts the app tested, by its App' {
        $piped = Test-KompoxApp $Example | ConvertTo-KompoxManifest -DiskId d1
        $piped | Should -BeExactly (ConvertTo-KompoxManifest $Example -DiskId d1)
    }

    It 'binds nothing from an object''s ToString(): an object that only looks like a path is not read' {
        $lookalike = New-PathLookalike $Example
        "$lookalike" | Should -Be $Example -Because 'the test object must stand for one whose ToString() is a real path'
        $out = $lookalike | Test-KompoxApp -ErrorVariable errs -ErrorAction SilentlyContinue
        $out | Should -BeNullOrEmpty
        $errs | Should -HaveCount 1
        $errs[0].FullyQualifiedErrorId | Should -Be 'InputObjectNotBound,Kompox.Cmdlets.TestKompoxAppCommand'
    }

    It 'refuses an object as -Path on the command line instead of reading its ToString()' {
        { Test-KompoxApp -Path (New-PathLookalike $Example) -ErrorAction Stop } | Should -Throw -ErrorId 'CannotConvertArgumentNoMessage,Kompox.Cmdlets.TestKompoxAppCommand'
    }

    It 'goes on with the other inputs when one binds to nothing or fails' {
        $tested = Test-KompoxApp $Example, $Nginx, $Privileged
        $inputs = @($tested[0], (New-PathLookalike $Example), $tested[2], $tested[1])
        $yaml = @($inputs | ConvertTo-KompoxManifest -DiskId d1 -ErrorVariable errs -ErrorAction SilentlyContinue)
        $yaml | Should -HaveCount 2
        $yaml[0] | Should -Match 'name: k4x-gitea-'
        $yaml[1] | Should -Match 'name: k4x-www-'
        ($errs.FullyQualifiedErrorId | Sort-Object) | Should -Be @('InputObjectNotBound,Kompox.Cmdlets.ConvertToKompoxManifestCommand', 'InvalidCompose,Kompox.Cmdlets.ConvertToKompoxManifestCommand')
    }

    It 'takes files by PSPath from Get-ChildItem, by FullName without one, and as -LiteralPath' {
        (Get-ChildItem (Split-Path $Example) -Filter kompoxops.yml | Test-KompoxApp).App.Id | Should -Be 'ops/k3s1/lab/gitea'
        ([System.IO.FileInfo]::new($Example) | Test-KompoxApp).App.Id | Should -Be 'ops/k3s1/lab/gitea'
        (Test-KompoxApp -LiteralPath (Get-Item $Example)).App.Id | Should -Be 'ops/k3s1/lab/gitea'
        (Resolve-Path $Example | Test-KompoxApp).App.Id | Should -Be 'ops/k3s1/lab/gitea' -Because 'a PathInfo binds by its Path'
    }

    It 'passes strings down the pipeline as paths, with a pattern among them' {
        $ids = ($Example, (Join-Path (Split-Path $Nginx) 'kompox*.yml') | Test-KompoxApp).App.Id
        $ids | Should -Be @('ops/k3s1/lab/gitea', 'ops/k3s1/lab/www')
    }
}

Describe 'Pipelines on a cluster' {
    BeforeAll {
        $Server = Start-KompoxTestServer
        $Kubeconfig = $Server.WriteKubeconfig((Join-Path $TestDrive 'admin.kubeconfig'))
        $DataRoot = (New-Item -ItemType Directory (Join-Path $TestDrive 'data')).FullName
        $Gitea = New-KompoxTestConfig -Directory (Join-Path $TestDrive 'gitea') -Kubeconfig $Kubeconfig -DataRoot $DataRoot
        $Wiki = New-KompoxTestConfig -Directory (Join-Path $TestDrive 'wiki') -Kubeconfig $Kubeconfig -DataRoot $DataRoot -AppName wiki
        $null = Import-KompoxConfig $Gitea | Initialize-KompoxCluster -Confirm:$false
    }

    AfterAll {
        if ($Server) { $Server.DisposeAsync().AsTask().GetAwaiter().GetResult() }
    }

    It 'Import-KompoxConfig | New-KompoxApp | Get-KompoxAppCredential: the credential of each app deployed' {
        $credentials = @(Import-KompoxConfig $Gitea, $Wiki | New-KompoxApp -Confirm:$false | Get-KompoxAppCredential)
        $credentials.App.Id | Should -Be @('ops/k3s1/lab/gitea', 'ops/k3s1/lab/wiki')
        $credentials.Namespace | Should -Match '^k4x-(gitea|wiki)-'
    }

    It 'Get-KompoxApp | Get-KompoxAppLog reads the logs of each app' {
        foreach ($config in $Gitea, $Wiki) {
            $status = Get-KompoxApp $config
            $Server.AppendLog($status.Namespace, $status.PodName, 'server', "$($status.App.Name) started", $null)
        }
        $lines = @(Get-KompoxApp $Gitea, $Wiki | Get-KompoxAppLog -Service server)
        $lines.Message | Should -Be @('gitea started', 'wiki started')
        $lines.App.Id | Should -Be @('ops/k3s1/lab/gitea', 'ops/k3s1/lab/wiki')
    }

    It 'takes a credential by its App, not its kubeconfig file' {
        $file = Join-Path $TestDrive 'gitea.kubeconfig'
        $status = Get-KompoxAppCredential $Gitea -OutFile $file | Get-KompoxApp
        $status.App.Id | Should -Be 'ops/k3s1/lab/gitea'
        $status.Ready | Should -BeTrue
    }

    It 'Get-KompoxCluster | Get-KompoxCluster takes the Cluster of a cluster status' {
        (Get-KompoxCluster $Gitea | Get-KompoxCluster).Cluster.Id | Should -Be 'ops/k3s1/lab'
    }

    It 'pipes the app of a cluster status that its kompoxops.yml names, and refuses the others for their empty App' {
        $apps = (Get-KompoxCluster $Gitea).Apps
        ($apps | Where-Object AppId -eq 'ops/k3s1/lab/gitea').App.Id | Should -Be 'ops/k3s1/lab/gitea'
        ($apps | Where-Object AppId -eq 'ops/k3s1/lab/wiki').App | Should -BeNullOrEmpty
        $statuses = @($apps | Get-KompoxApp -ErrorVariable errs -ErrorAction SilentlyContinue)
        $statuses.App.Id | Should -Be 'ops/k3s1/lab/gitea'
        $errs.FullyQualifiedErrorId | Should -Be 'ParameterArgumentValidationErrorNullNotAllowed,Kompox.Cmdlets.GetKompoxAppCommand'
        $errs[0].Exception.Message | Should -Match "parameter 'App' because it is null"
    }

    It 'Get-KompoxApp | Remove-KompoxApp -PassThru | New-KompoxApp takes an app down and back on the same disk' {
        $before = Get-KompoxApp $Wiki
        $back = Get-KompoxApp $Wiki | Remove-KompoxApp -Confirm:$false -PassThru | New-KompoxApp -Confirm:$false
        $back.App.Id | Should -Be 'ops/k3s1/lab/wiki'
        $back.Ready | Should -BeTrue
        $back.CurrentDiskId | Should -Be $before.CurrentDiskId
    }
}
