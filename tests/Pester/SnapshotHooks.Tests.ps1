# The compose file's snapshot hooks (x-kompox-snapshot, issue 14) through the module: New-KompoxSnapshot runs them over the
# API server's exec stream (pods/exec, which the test server speaks as kube-apiserver does: KubeApi/KubeApiServer.Streams.cs),
# against the Kubernetes API test server with real files in the k3s data root. Docker ignores x- keys (compose-spec
# 11-extension.md), so the file stays one docker compose up runs.
BeforeAll {
    Import-Module $env:KOMPOX_TEST_MODULE -Force
    Import-Module (Join-Path $PSScriptRoot 'TestCluster.psm1') -Force
    $Server = Start-KompoxTestServer
    $Kubeconfig = $Server.WriteKubeconfig((Join-Path $TestDrive 'admin.kubeconfig'))
    $DataRoot = (New-Item -ItemType Directory (Join-Path $TestDrive 'data')).FullName
    $Config = New-KompoxTestConfig -Directory (Join-Path $TestDrive 'hooked') -Kubeconfig $Kubeconfig -DataRoot $DataRoot -AppName hooked
    $compose = Join-Path (Split-Path $Config) 'compose.yml'
    $hooks = @'
  db:
    x-kompox-snapshot:
      pre:
        - psql -U gitea -c "select pg_backup_start('kompox')"
        - [sync]
      post: ["psql -U gitea -c 'select pg_backup_stop()'"]
      timeout: 10s
'@
    Set-Content $compose ((Get-Content $compose -Raw).Replace("  db:`n", $hooks + "`n"))

    $null = Import-KompoxConfig $Config | Initialize-KompoxCluster -Confirm:$false
    $null = New-KompoxApp -Path $Config -Confirm:$false -WarningAction SilentlyContinue
    $Namespace = @($Server.PeekAll('namespaces') | Where-Object { $_['metadata']['name'].ToString() -like 'k4x-hooked-*' })[0]['metadata']['name'].ToString()

    # The commands exec'd in the app's Pod, in order, each as "container: argv".
    Add-Type -AssemblyName System.Web
    function Get-Execs {
        @($Server.Requests | Where-Object { $_.Path -like '*/exec' } | ForEach-Object {
            $query = [System.Web.HttpUtility]::ParseQueryString($_.Query)
            "$($query['container']): $($query.GetValues('command') -join ' ')"
        })
    }
}

AfterAll {
    if ($Server) { $Server.DisposeAsync().AsTask().GetAwaiter().GetResult() }
}

Describe 'New-KompoxSnapshot with x-kompox-snapshot' {
    It 'runs the pre commands in order in the named container, copies, then runs the post commands, without the consistency warning' {
        $Server.InstallProgram($Namespace, 'db', 'psql', [Kompox.Testing.KubeApi.ExecPrograms]::Reply("", "", 0))
        $Server.InstallProgram($Namespace, 'db', 'sync', [Kompox.Testing.KubeApi.ExecPrograms]::Reply("", "", 0))
        $Server.ClearRequests()

        $snapshot = Import-KompoxConfig $Config | New-KompoxSnapshot -WarningVariable warned

        $snapshot | Should -BeOfType 'Kompox.PowerShell.KompoxSnapshot'
        $warned | Should -BeNullOrEmpty
        Get-Execs | Should -Be @(
            "db: psql -U gitea -c select pg_backup_start('kompox')"
            'db: sync'
            "db: psql -U gitea -c select pg_backup_stop()"
        )
    }

    It 'takes no snapshot when a pre command fails (on_error: fail), names it, and still runs the post command' {
        $Server.InstallProgram($Namespace, 'db', 'psql', [Kompox.Testing.KubeApi.ExecPrograms]::Reply("", "ERROR:  a backup is already in progress`n", 1))
        $before = @((Import-KompoxConfig $Config | Get-KompoxSnapshot).Id)
        $Server.ClearRequests()

        $result = Import-KompoxConfig $Config | New-KompoxSnapshot -ErrorVariable failed -ErrorAction SilentlyContinue -WarningAction SilentlyContinue

        $result | Should -BeNullOrEmpty
        $failed | Should -HaveCount 1
        $failed[0].FullyQualifiedErrorId | Should -BeLike 'SnapshotHookFailed*'
        $failed[0].Exception.Message | Should -BeLike "*pre hook 'psql -U gitea -c select pg_backup_start('kompox')' in service db exited with code 1: ERROR:  a backup is already in progress*"
        @((Import-KompoxConfig $Config | Get-KompoxSnapshot).Id) | Should -Be $before
        Get-Execs | Should -Be @(
            "db: psql -U gitea -c select pg_backup_start('kompox')"
            "db: psql -U gitea -c select pg_backup_stop()"
        )
    }
}
