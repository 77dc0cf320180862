# Invoke-KompoxAppCommand, Restart-KompoxApp and Start-KompoxPortForward through the module against the Kubernetes API
# test server of Kompox.Testing (its exec and port-forward streams follow kube-apiserver and the kubelet:
# KubeApi/KubeApiServer.Streams.cs); what the containers run is scripted with InstallProgram and ListenInPod. kubectl
# exec and port-forward run with the user credential Get-KompoxAppCredential writes.
BeforeAll {
    Import-Module $env:KOMPOX_TEST_MODULE -Force
    Import-Module (Join-Path $PSScriptRoot 'TestCluster.psm1') -Force
    $Server = Start-KompoxTestServer
    $Kubeconfig = $Server.WriteKubeconfig((Join-Path $TestDrive 'admin.kubeconfig'))
    $DataRoot = (New-Item -ItemType Directory (Join-Path $TestDrive 'data')).FullName
    $Config = New-KompoxTestConfig -Directory (Join-Path $TestDrive 'gitea') -Kubeconfig $Kubeconfig -DataRoot $DataRoot
    $KubectlHome = (New-Item -ItemType Directory (Join-Path $TestDrive 'home')).FullName

    $null = Import-KompoxConfig $Config | Initialize-KompoxCluster -Confirm:$false
    $null = New-KompoxApp -Path $Config -Confirm:$false -WarningAction SilentlyContinue
    $Namespace = @($Server.PeekAll('namespaces') | Where-Object { $_['metadata']['name'].ToString() -like 'k4x-gitea-*' })[0]['metadata']['name'].ToString()
    # The comma keeps the JsonObject whole: PowerShell would enumerate its properties down the pipeline.
    function Get-AppPod { , @($Server.PeekAll('pods', $Namespace))[0] }

    $Server.InstallProgram($Namespace, 'db', 'psql', [Kompox.Testing.KubeApi.ExecPrograms]::Reply("gitea`n", "psql: notice`n", 2))
    $Server.InstallProgram($Namespace, 'server', 'echo', [Kompox.Testing.KubeApi.ExecPrograms]::Echo)
}

AfterAll {
    if ($Server) { $Server.DisposeAsync().AsTask().GetAwaiter().GetResult() }
}

Describe 'Invoke-KompoxAppCommand' {
    It 'writes the command''s stdout as lines, its stderr as errors, and sets $LASTEXITCODE to its exit code' {
        $global:LASTEXITCODE = 0
        $out = Invoke-KompoxAppCommand -Path $Config -Service db -ErrorAction Continue -- psql -c 'select datname from pg_database' 2>&1
        $LASTEXITCODE | Should -Be 2
        @($out | Where-Object { $_ -is [string] }) | Should -Be @('gitea')
        $errors = @($out | Where-Object { $_ -is [System.Management.Automation.ErrorRecord] })
        $errors | Should -HaveCount 1
        "$($errors[0])" | Should -Be 'psql: notice'
        $errors[0].FullyQualifiedErrorId | Should -BeLike 'CommandStderr,*'
    }

    It 'takes the words after -- as the command even where a path would bind' {
        Invoke-KompoxAppCommand -Path $Config -Service server -- echo hello world | Should -Be 'hello world'
        $LASTEXITCODE | Should -Be 0
    }

    It 'writes one object with -PassThru' {
        $r = Invoke-KompoxAppCommand -Path $Config -Service db -PassThru -- psql
        $r.ExitCode | Should -Be 2
        $r.Output | Should -Be "gitea`n"
        $r.Error | Should -Be "psql: notice`n"
        $r.Pod | Should -Be (Get-AppPod)['metadata']['name'].ToString()
    }

    It 'names the services the app has when the one given is not among them' {
        Invoke-KompoxAppCommand -Path $Config -Service web -ErrorVariable err -ErrorAction SilentlyContinue -- ls | Should -BeNullOrEmpty
        $err[0].FullyQualifiedErrorId | Should -BeLike 'UnknownService,*'
        "$($err[0])" | Should -Match 'its services are db, server'
    }

    It 'says a program the container has not is not found' {
        Invoke-KompoxAppCommand -Path $Config -Service server -ErrorVariable err -ErrorAction SilentlyContinue -- occ status | Should -BeNullOrEmpty
        $err[0].FullyQualifiedErrorId | Should -BeLike 'CommandNotFound,*'
    }

    It 'completes -Service with the compose file''s services' {
        $line = "Invoke-KompoxAppCommand -Path '$Config' -Service "
        $completions = (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches.CompletionText
        $completions | Should -Be @('db', 'server')
    }
}

Describe '-Profile completion' {
    It 'offers the profiles the compose file''s services name, wherever -Profile is' {
        $dir = Join-Path $TestDrive 'profiles'
        $cfg = New-KompoxTestConfig -Directory $dir -Kubeconfig $Kubeconfig
        Set-Content (Join-Path $dir 'compose.yml') @'
services:
  web:
    image: nginx:1.27
  adminer:
    image: adminer:4
    profiles: [tools, debug]
  mailpit:
    image: axllent/mailpit:v1.20
    profiles: [debug]
'@
        foreach ($command in 'New-KompoxApp', 'ConvertTo-KompoxManifest', 'Test-KompoxApp') {
            $line = "$command -Path '$cfg' -Profile "
            $result = (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches
            $result.CompletionText | Should -Be @('debug', 'tools') -Because $command
            $result[0].ToolTip | Should -Be 'debug: adminer, mailpit'
        }
    }
}

Describe 'Restart-KompoxApp' {
    It 'gives a new Pod on the same disk' {
        $before = Get-AppPod
        $r = Restart-KompoxApp -Path $Config -PassThru
        $after = Get-AppPod
        $r.PreviousPod | Should -Be $before['metadata']['name'].ToString()
        $r.Pod | Should -Be $after['metadata']['name'].ToString()
        $r.Pod | Should -Not -Be $r.PreviousPod
        $claims = { param($pod) ([regex]::Matches($pod.ToJsonString(), '"claimName":"([^"]+)"') | ForEach-Object { $_.Groups[1].Value }) -join ',' }
        & $claims $after | Should -Be (& $claims $before)
        (Get-KompoxApp -Path $Config).Ready | Should -BeTrue
    }

    It 'changes nothing with -WhatIf' {
        $Server.ClearRequests()
        Restart-KompoxApp -Path $Config -WhatIf
        $Server.Requests | Should -BeNullOrEmpty
    }
}

Describe 'kubectl with the user credential' {
    BeforeAll {
        $UserConfig = Join-Path $TestDrive 'user.kubeconfig'
        $null = Get-KompoxAppCredential -Path $Config -OutFile $UserConfig -WarningAction SilentlyContinue
        $Pod = (Get-AppPod)['metadata']['name'].ToString()
    }

    It 'runs kubectl exec, which gives the output and the exit code as the container does' {
        # The flags go before '--' (quoted, or PowerShell takes it), after which kubectl exec takes the command.
        $saved = $env:HOME; $env:HOME = $KubectlHome
        try { $output = & kubectl exec "--kubeconfig=$UserConfig" $Pod -c db '--' psql 2>&1 | Out-String; $code = $LASTEXITCODE }
        finally { $env:HOME = $saved }
        $code | Should -Be 2 -Because $output
        $output | Should -Match 'gitea'
        $output | Should -Match 'command terminated with exit code 2'
    }

    It 'runs kubectl port-forward to the Pod''s port' {
        $listener = [System.Net.Sockets.TcpListener]::new([System.Net.IPAddress]::Loopback, 0)
        $listener.Start()
        try {
            $Server.ListenInPod($Namespace, 5432, $listener.LocalEndpoint)
            # ":5432": kubectl binds a local port itself and prints it; a port chosen here and released could be taken
            # by another test's server before kubectl binds it.
            $start = [System.Diagnostics.ProcessStartInfo]::new('kubectl')
            foreach ($arg in @('port-forward', "pod/$Pod", ':5432', "--kubeconfig=$UserConfig")) { $start.ArgumentList.Add($arg) }
            $start.RedirectStandardOutput = $true; $start.RedirectStandardError = $true; $start.UseShellExecute = $false
            $start.Environment['HOME'] = $KubectlHome
            $kubectl = [System.Diagnostics.Process]::Start($start)
            $errors = $kubectl.StandardError.ReadToEndAsync()
            try {
                # Awaited, not polled: kubectl prints "Forwarding from 127.0.0.1:PORT -> 5432" once it listens.
                $line = $kubectl.StandardOutput.ReadLineAsync()
                $line.Wait(30000) | Should -BeTrue -Because 'kubectl says where it forwards from once it listens'
                $forwarding = [regex]::Match([string]$line.Result, '^Forwarding from 127\.0\.0\.1:(\d+) -> 5432$')
                $forwarding.Success | Should -BeTrue -Because "kubectl printed '$($line.Result)'"
                $client = [System.Net.Sockets.TcpClient]::new()
                $client.Connect([System.Net.IPAddress]::Loopback, [int]$forwarding.Groups[1].Value)
                $accepted = $listener.AcceptTcpClientAsync().Wait(10000)
                $accepted | Should -BeTrue -Because 'the Pod''s port is reached through the forward'
                $client.Dispose()
            }
            finally {
                $kubectl.Kill($true)
                $null = $kubectl.WaitForExit(10000)
                if (-not $accepted) { Write-Host $errors.Result }
            }
        }
        finally { $listener.Stop() }
    }
}
