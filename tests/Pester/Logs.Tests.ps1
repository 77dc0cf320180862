# Get-KompoxAppLog through the module against the Kubernetes API test server of Kompox.Testing, started in this process.
# The apps' Pods are put there as a deploy would: their converted manifests server-side applied with kubectl.
BeforeAll {
    Import-Module $env:KOMPOX_TEST_MODULE -Force
    Import-Module (Join-Path $PSScriptRoot 'TestRunspace.psm1') -Force

    Import-Module (Join-Path $PSScriptRoot 'TestCluster.psm1') -Force
    $Server = Start-KompoxTestServer
    $Kubeconfig = $Server.WriteKubeconfig((Join-Path $TestDrive 'admin.kubeconfig'))
    $Start = [DateTimeOffset]::new(2025, 8, 11, 12, 0, 0, [TimeSpan]::Zero)

    # A project directory with an app of two services; returns its kompoxops.yml.
    function New-LogApp([string] $Name) {
        $dir = (New-Item -ItemType Directory (Join-Path $TestDrive $Name)).FullName
        Set-Content (Join-Path $dir 'compose.yml') @'
services:
  web:
    image: nginx:1.27
    ports: ["8080:80"]
  worker:
    image: busybox:1.36
    command: ["sh", "-c", "sleep infinity"]
'@
        Set-Content (Join-Path $dir 'kompoxops.yml') @"
version: 1
service: {name: ops}
provider: {name: k3s1, driver: k3s}
cluster:
  name: lab
  auth: {type: kubectl, kubeconfig: '$Kubeconfig', context: kompox-test}
  ingress: {controller: traefik, namespace: traefik}
  domain: apps.example.com
  settings: {K3S_DATA_ROOT: /var/lib/kompox, K3S_NODE_NAME: $($Server.NodeName)}
app:
  name: $Name
  compose: compose.yml
"@
        Join-Path $dir 'kompoxops.yml'
    }

    # Applies the app's converted manifest and returns its namespace and the name of the Pod the rollout made.
    function Deploy-LogApp([string] $Config) {
        $yaml = (ConvertTo-KompoxManifest -Path $Config -WarningAction SilentlyContinue) -join "`n"
        $yaml | & kubectl --kubeconfig $Kubeconfig apply --server-side --field-manager kompox -f - | Out-Null
        $LASTEXITCODE | Should -Be 0
        $namespace = [regex]::Match($yaml, '(?m)^  name: (k4x-[a-z0-9-]+)$').Groups[1].Value
        $pod = @($Server.PeekAll('pods', $namespace))
        $pod | Should -HaveCount 1
        [pscustomobject]@{ Namespace = $namespace; Pod = $pod[0]['metadata']['name'].ToString() }
    }

    function Add-LogLine($Target, [string] $Container, [int] $Second, [string] $Line) {
        $Server.AppendLog($Target.Namespace, $Target.Pod, $Container, $Line, $false, [Nullable[DateTimeOffset]]$Start.AddSeconds($Second))
    }

    $Config = New-LogApp 'shop'
    $Shop = Deploy-LogApp $Config
    Add-LogLine $Shop 'web' 0 'web starting'
    Add-LogLine $Shop 'worker' 1 'worker starting'
    Add-LogLine $Shop 'web' 2 'GET / 200'
    Add-LogLine $Shop 'worker' 3 'job 1 done'
    Add-LogLine $Shop 'web' 4 'GET /cart 200'

    $Server.FailNextRollout([Kompox.Testing.KubeApi.RolloutFailure]::CrashLoopBackOff(1, [string[]]@('config missing', 'exiting'), 3, 'worker'))
    $CrashConfig = New-LogApp 'crashy'
    $null = Deploy-LogApp $CrashConfig

    $GhostConfig = New-LogApp 'ghost'
}

AfterAll {
    if ($Server) { $Server.DisposeAsync().AsTask().GetAwaiter().GetResult() }
}

Describe 'Get-KompoxAppLog' {
    It 'writes every container''s lines merged by time, shown as "service | message"' {
        $lines = Get-KompoxAppLog -Path $Config
        $lines | Should -HaveCount 5
        $lines[0] | Should -BeOfType 'Kompox.PowerShell.KompoxAppLogLine'
        $lines.ForEach({ $_.ToString() }) | Should -Be @('web | web starting', 'worker | worker starting', 'web | GET / 200', 'worker | job 1 done', 'web | GET /cart 200')
        $lines[1].Timestamp | Should -Be $Start.AddSeconds(1)
        $lines[1].App.Id | Should -Be 'ops/k3s1/lab/shop'
        $text = ($lines | Out-String) -split "`n" | ForEach-Object TrimEnd | Where-Object { $_ }
        $text | Should -Be @('web | web starting', 'worker | worker starting', 'web | GET / 200', 'worker | job 1 done', 'web | GET /cart 200')
    }

    It 'says which app each line is from when it may read several: "app/service | message"' {
        $shown = { param($lines) ($lines | Out-String -Width 120) -split "`n" | ForEach-Object TrimEnd | Where-Object { $_ } }
        $both = @(Get-KompoxAppLog -Path $Config, $CrashConfig -Service worker)
        & $shown $both | Should -Be @('shop/worker | worker starting', 'shop/worker | job 1 done', 'crashy/worker | config missing', 'crashy/worker | exiting')
        $both[0] | Should -BeOfType 'Kompox.PowerShell.KompoxAppLogLine'
        $both[0].ToString() | Should -Be 'worker | worker starting' -Because 'the line is the same object; only its view names the app'
        & $shown (Import-KompoxConfig $Config | Get-KompoxAppLog -Service web -Tail 1) | Should -Be 'shop/web | GET /cart 200' -Because 'apps from the pipeline may be several'
        & $shown (Get-KompoxAppLog -Path $Config -Service web -Tail 1) | Should -Be 'web | GET /cart 200'
    }

    It 'reads only the services named, their last -Tail lines, saying with -Verbose what it requests' {
        $r = Invoke-InRunspace "Get-KompoxAppLog -Path '$Config' -Service web -Tail 2 -Verbose"
        $r.Errors | Should -BeNullOrEmpty
        $r.Output.Message | Should -Be @('GET / 200', 'GET /cart 200')
        ($r.Verbose -join "`n") | Should -Match ([regex]::Escape("GET /api/v1/namespaces/$($Shop.Namespace)/pods/$($Shop.Pod)/log?container=web&tailLines=2&timestamps=true"))
        ($r.Verbose -join "`n") | Should -Not -Match 'container=worker'
    }

    It 'refuses a service the app does not have, naming those it has' {
        Get-KompoxAppLog -Path $Config -Service web, db -ErrorVariable err -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        $err | Should -HaveCount 1
        $err[0].FullyQualifiedErrorId | Should -BeLike 'UnknownService,*'
        $err[0].CategoryInfo.Category | Should -Be 'InvalidArgument'
        $err[0].Exception.Message | Should -Match 'no service db; its services are web, worker'
    }

    It 'reads the run before the restart with -Previous, and refuses it for a container that never restarted' {
        $lines = Get-KompoxAppLog -Path $CrashConfig -Previous
        $lines.ForEach({ $_.ToString() }) | Should -Be @('worker | config missing', 'worker | exiting')
        Get-KompoxAppLog -Path $CrashConfig -Service web -Previous -ErrorVariable err -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        $err[0].FullyQualifiedErrorId | Should -BeLike 'NoPreviousContainer,*'
        $err[0].Exception.Message | Should -Match 'never restarted'
    }

    It 'writes a line appended after it started with -Follow, and stops promptly and cleanly' {
        $iss = [System.Management.Automation.Runspaces.InitialSessionState]::CreateDefault2()
        $iss.ImportPSModule($env:KOMPOX_TEST_MODULE)
        $ps = [powershell]::Create($iss)
        try {
            $null = $ps.AddCommand('Get-KompoxAppLog').AddParameter('Path', $Config).AddParameter('Service', 'web').AddParameter('Tail', 1).AddParameter('Follow')
            $inputs = [System.Management.Automation.PSDataCollection[psobject]]::new()
            $output = [System.Management.Automation.PSDataCollection[psobject]]::new()
            $inputs.Complete()
            $handle = $ps.BeginInvoke($inputs, $output)
            Wait-Until { $output.Count -ge 1 -or $handle.IsCompleted } -Because 'the last line'
            $output.Count | Should -Be 1
            $output[0].ToString() | Should -Be 'web | GET /cart 200'

            Add-LogLine $Shop 'web' 10 'GET /checkout 200'
            Wait-Until { $output.Count -ge 2 -or $handle.IsCompleted } -Because 'the appended line'
            $output.Count | Should -Be 2
            $output[1].ToString() | Should -Be 'web | GET /checkout 200'
            $ps.InvocationStateInfo.State | Should -Be 'Running'

            # -Follow never ends by itself: ending Stopped is ending because of the stop.
            Stop-Pipeline $ps
            $handle.IsCompleted | Should -BeTrue
            $ps.InvocationStateInfo.State | Should -Be 'Stopped'
            $ps.Streams.Error | Should -BeNullOrEmpty
        }
        finally { $ps.Dispose() }
    }

    It 'follows every app of its input at once, saying which app each line is from, and a failing app does not stop the others' {
        $cafeConfig = New-LogApp 'cafe'
        $cafe = Deploy-LogApp $cafeConfig
        Add-LogLine $cafe 'web' 0 'cafe open'
        $shopLast = (Get-KompoxAppLog -Path $Config -Service web -Tail 1).Message
        $iss = [System.Management.Automation.Runspaces.InitialSessionState]::CreateDefault2()
        $iss.ImportPSModule($env:KOMPOX_TEST_MODULE)
        $ps = [powershell]::Create($iss)
        try {
            $null = $ps.AddCommand('Get-KompoxAppLog').AddParameter('Path', @($Config, $GhostConfig, $cafeConfig)).AddParameter('Service', 'web').AddParameter('Tail', 1).AddParameter('Follow')
            $inputs = [System.Management.Automation.PSDataCollection[psobject]]::new()
            $output = [System.Management.Automation.PSDataCollection[psobject]]::new()
            $inputs.Complete()
            $handle = $ps.BeginInvoke($inputs, $output)
            Wait-Until { ($output.Count -ge 2 -and $ps.Streams.Error.Count -ge 1) -or $handle.IsCompleted } -Because 'the last line of each app and the error of the one not deployed'
            # An open PSDataCollection's enumerator waits for the collection to complete: read it by index.
            $seen = { param($from) @($from..($output.Count - 1) | ForEach-Object { "$($output[$_].App.Name): $($output[$_].Message)" } | Sort-Object) }
            & $seen 0 | Should -Be @('cafe: cafe open', "shop: $shopLast")
            $ps.Streams.Error[0].FullyQualifiedErrorId | Should -BeLike 'AppNotDeployed,*' -Because 'the app that is not deployed is an error of its own'

            Add-LogLine $cafe 'web' 20 'cafe order 1'
            Add-LogLine $Shop 'web' 21 'GET /later 200'
            Wait-Until { $output.Count -ge 4 -or $handle.IsCompleted } -Because 'the line appended to each app'
            & $seen 2 | Should -Be @('cafe: cafe order 1', 'shop: GET /later 200')
            @(($output[0] | Out-String) -split "`n" | Where-Object { $_.Trim() })[0] | Should -Match '^(shop|cafe)/web \| '
            $ps.InvocationStateInfo.State | Should -Be 'Running'

            $ps.Stop()
            $handle.IsCompleted | Should -BeTrue
            $ps.InvocationStateInfo.State | Should -Be 'Stopped'
        }
        finally { $ps.Dispose() }
    }

    It 'says the app is not deployed when it has no Pod' {
        Get-KompoxAppLog -Path $GhostConfig -ErrorVariable err -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        $err | Should -HaveCount 1
        $err[0].FullyQualifiedErrorId | Should -BeLike 'AppNotDeployed,*'
        $err[0].CategoryInfo.Category | Should -Be 'ObjectNotFound'
        $err[0].Exception.Message | Should -Match 'app ops/k3s1/lab/ghost is not deployed'
    }
}

Describe 'Get-KompoxAppLog -Service completion' {
    BeforeAll {
        # The completer reads the compose file offline: no cluster is asked.
        $Project = (New-Item -ItemType Directory (Join-Path $TestDrive 'completion')).FullName
        Set-Content (Join-Path $Project 'compose.yml') @'
services:
  web:
    image: nginx:1.27
    ports: ["8080:80"]
  api_v2:
    image: ghcr.io/example/api:2
  debug:
    image: busybox:1.36
    profiles: [debug]
'@
        Copy-Item $Config $Project
        $Completion = Join-Path $Project 'kompoxops.yml'
        function Get-Completion([string] $Line) { @((TabExpansion2 -inputScript $Line -cursorColumn $Line.Length).CompletionMatches) }
    }

    It 'offers the services of the app -Path names, as the containers are named, every profile included' {
        $matches_ = Get-Completion "Get-KompoxAppLog -Path '$Completion' -Service "
        $matches_.CompletionText | Should -Be @('api-v2', 'debug', 'web')
        ($matches_ | Where-Object CompletionText -eq 'web').ToolTip | Should -Be 'web: nginx:1.27'
        (Get-Completion "Get-KompoxAppLog '$Completion' -Service W").CompletionText | Should -Be 'web'
        (Get-Completion "Get-KompoxAppLog -LiteralPath '$Completion' -Service d").CompletionText | Should -Be 'debug'
    }

    It 'reads the kompoxops.yml of the current location without -Path, and the app of -App' {
        Push-Location $Project
        try { (Get-Completion 'Get-KompoxAppLog -Service ').CompletionText | Should -Be @('api-v2', 'debug', 'web') }
        finally { Pop-Location }
        $global:KompoxCompletionApp = Import-KompoxConfig $Config | Where-Object Kind -eq App
        try { (Get-Completion 'Get-KompoxAppLog -App $KompoxCompletionApp -Service ').CompletionText | Should -Be @('web', 'worker') }
        finally { Remove-Variable KompoxCompletionApp -Scope Global }
    }

    It 'offers nothing, and writes no error, when the app cannot be read' {
        $Error.Clear()
        $broken = Join-Path $TestDrive 'broken.yml'
        Set-Content $broken 'version: 1'
        Get-Completion "Get-KompoxAppLog '$broken' -Service " | Should -BeNullOrEmpty
        Get-Completion "Get-KompoxAppLog '$(Join-Path $TestDrive 'missing.yml')' -Service " | Should -BeNullOrEmpty
        $badCompose = (New-Item -ItemType Directory (Join-Path $TestDrive 'bad-compose')).FullName
        Copy-Item $Config $badCompose
        Set-Content (Join-Path $badCompose 'compose.yml') 'services: [not, a, mapping]'
        Get-Completion "Get-KompoxAppLog '$badCompose/kompoxops.yml' -Service " | Should -BeNullOrEmpty
        $Error | Should -BeNullOrEmpty
    }
}
