# What a person reads: every output type's default table fits 120 columns and cuts nothing (long values wrap), and
# its list shows values, never type names. The objects come from the module against the Kubernetes API test server,
# for an app with the longest name Kompox takes, so that its id, URLs and Pod name must wrap.
BeforeDiscovery {
    $TableCases = @('Resources', 'Validations', 'Objects', 'Diagnostics', 'Status', 'Containers', 'Cluster', 'ClusterApps', 'Credential', 'Removal') | ForEach-Object { @{ Name = $_ } }
    $ListCases = $TableCases + @(@{ Name = 'Logs' })
}

BeforeAll {
    Import-Module $env:KOMPOX_TEST_MODULE -Force
    Import-Module (Join-Path $PSScriptRoot 'TestCluster.psm1') -Force
    $Root = (Resolve-Path "$PSScriptRoot/../..").Path
    $PSDefaultParameterValues['*-Kompox*:WarningAction'] = 'SilentlyContinue'

    $Server = Start-KompoxTestServer
    $Kubeconfig = $Server.WriteKubeconfig((Join-Path $TestDrive 'admin.kubeconfig'))
    $DataRoot = (New-Item -ItemType Directory (Join-Path $TestDrive 'data')).FullName
    $LongName = 'a-rather-long-application-name-for-tests'   # 40 characters, the most an app name may have
    $Config = New-KompoxTestConfig -Directory (Join-Path $TestDrive 'long') -Kubeconfig $Kubeconfig -DataRoot $DataRoot -AppName $LongName
    $Other = New-KompoxTestConfig -Directory (Join-Path $TestDrive 'wiki') -Kubeconfig $Kubeconfig -DataRoot $DataRoot -AppName wiki
    $null = Import-KompoxConfig $Config | Initialize-KompoxCluster -Confirm:$false
    $Status = New-KompoxApp $Config -Confirm:$false
    $null = New-KompoxApp $Other -Confirm:$false
    $Server.AppendLog($Status.Namespace, $Status.PodName, 'server', 'listening on :3000', $null)
    $Objects = @{
        Resources   = Import-KompoxConfig $Config
        # Two invocations: the test cluster and the fixture's are two definitions of ops/k3s1/lab (ClusterConflict together).
        Validations = @(Test-KompoxApp $Config) + @(Test-KompoxApp (Join-Path $Root 'tests/data/bad-compose/privileged-among-many/kompoxops.yml'))
        Objects     = (Test-KompoxApp (Join-Path $Root 'examples/gitea/kompoxops.yml') -DiskId gitea-disk-1).Objects
        Diagnostics = (Test-KompoxApp $Config).Warnings
        Status      = $Status
        Containers  = $Status.Containers
        Cluster     = Get-KompoxCluster $Config
        ClusterApps = (Get-KompoxCluster $Config).Apps
        Credential  = Get-KompoxAppCredential $Config -OutFile (Join-Path (New-Item -ItemType Directory (Join-Path $TestDrive "$LongName/a long directory name")) 'kubeconfig.yaml')
        Logs        = Get-KompoxAppLog $Config
        Removal     = Remove-KompoxApp $Other -Confirm:$false -PassThru
    }

    # The rows of a table as PowerShell renders it, each cell without its white space (a wrapped value is its pieces
    # joined). The columns are where the dashes under the headers are; a row starts on the line where -Key, a column
    # whose values never wrap, has one, and goes on over the lines of the values that do.
    function ConvertFrom-RenderedTable([string] $Text, [string] $Key) {
        $lines = @($Text -split "`r?`n" | Where-Object { $_.Trim() })
        $dashes = [array]::FindIndex($lines, [Predicate[string]] { param($l) $l -match '^-+( +-+)*\s*$' })
        $starts = @([regex]::Matches($lines[$dashes], '-+') | ForEach-Object Index)
        $names = @(for ($i = 0; $i -lt $starts.Count; $i++) { $lines[$dashes - 1].Substring($starts[$i]).Trim().Split(' ')[0] })
        $keyIndex = [array]::IndexOf($names, $Key)
        $cell = {
            param($line, $i)
            $end = if ($i + 1 -lt $starts.Count) { $starts[$i + 1] } else { $line.Length }
            if ($line.Length -le $starts[$i]) { '' } else { $line.Substring($starts[$i], [Math]::Min($line.Length, $end) - $starts[$i]) -replace '\s', '' }
        }
        $rows = [System.Collections.Generic.List[System.Collections.Specialized.OrderedDictionary]]::new()
        foreach ($line in $lines[($dashes + 1)..($lines.Count - 1)]) {
            if ((& $cell $line $keyIndex) -or $rows.Count -eq 0) { $rows.Add([ordered]@{}) }
            for ($i = 0; $i -lt $starts.Count; $i++) { $rows[-1][$names[$i]] += & $cell $line $i }
        }
        $rows | ForEach-Object { [pscustomobject]$_ }
    }

    # A value as a wrapped cell holds it: every character in order, whatever the line breaks.
    function Compress([string] $Value) { $Value -replace '\s', '' }
}

AfterAll {
    if ($Server) { $Server.DisposeAsync().AsTask().GetAwaiter().GetResult() }
}

Describe 'Default tables' {
    It '<Name> fit 120 columns and cut nothing' -ForEach $TableCases {
        $text = $Objects[$Name] | Out-String -Width 120
        $text.Trim() | Should -Not -BeNullOrEmpty
        $text -split "`r?`n" | Where-Object { $_.Length -gt 120 } | Should -BeNullOrEmpty
        $text | Should -Not -Match '…' -Because 'a cut value ends in an ellipsis; long values must wrap'
        $text | Should -Not -Match '^\s*Kind\s*:' -Because 'the default must be a table, not a list'
    }

    It '<Name> give every column they show room at 80 columns too, dropping a last one rather than squeezing it' -ForEach $TableCases {
        $lines = ($Objects[$Name] | Out-String -Width 80) -split "`r?`n"
        $lines | Where-Object { $_.Length -gt 80 } | Should -BeNullOrEmpty
        $dashes = $lines | Where-Object { $_ -match '^-+( +-+)*\s*$' } | Select-Object -First 1
        ([regex]::Matches($dashes, '-+') | Select-Object -Last 1).Index | Should -BeLessOrEqual 68 -Because 'a column of a few characters writes a character a line'
    }

    It 'show an app''s readiness, its Pod and its URLs' {
        $row = ConvertFrom-RenderedTable ($Status | Out-String -Width 120) -Key Ready
        @($row.PSObject.Properties.Name) | Should -Be @('App', 'Ready', 'Pod', 'Urls')
        $row.App | Should -Be (Compress "ops/k3s1/lab/$LongName")
        $row.Ready | Should -Be 'ready'
        $row.Urls | Should -Be (Compress ($Status.Urls -join ''))
        $Status.Urls | Should -Contain "https://$LongName.lab.apps.example.com" -Because 'the URL must be long enough to wrap'
        $row.Pod | Should -Be $Status.PodName -Because 'a healthy Pod is its name alone'
        $Status.PodName.Length | Should -BeGreaterThan 26 -Because 'the Pod name must be long enough to wrap'
    }

    It 'show what is wrong in the Pod of an app that is not ready: each container in trouble and why' {
        $Server.FailNextRollout([Kompox.Testing.KubeApi.RolloutFailure]::CrashLoopBackOff(2, [string[]]@('panic'), 3, 'server'))
        $changed = Join-Path (Split-Path $Config) 'changed.yml'
        (Get-Content $Config -Raw).Replace('memory: 2Gi', 'memory: 3Gi') | Set-Content $changed
        # A crash loop from the Pod's start, never ready: -Timeout only ends the wait sooner; its length does not matter.
        New-KompoxApp $changed -Timeout 3 -Confirm:$false -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        $troubled = Get-KompoxApp $changed
        $troubled.Ready | Should -BeFalse
        $row = ConvertFrom-RenderedTable ($troubled | Out-String -Width 120) -Key Ready
        $row.Ready | Should -Be (Compress 'not ready')
        $row.Pod | Should -Match ([regex]::Escape((Compress 'server: CrashLoopBackOff')) + '$')
        $row.Pod | Should -Not -Match 'db:' -Because 'a ready container is no trouble'
    }

    It 'show a cluster''s ingress and address first, and its apps by name' {
        $row = ConvertFrom-RenderedTable ($Objects.Cluster | Out-String -Width 120) -Key Ingress
        @($row.PSObject.Properties.Name) | Should -Be @('Cluster', 'Ingress', 'Address', 'Apps', 'Server')
        $row.Ingress | Should -Be 'ready'
        $row.Address | Should -Be $Server.LoadBalancerAddress
        $row.Apps | Should -Be (Compress "$LongName, wiki")
        $row.Server | Should -Be $Server.BaseUri.GetLeftPart([System.UriPartial]::Authority)
    }

    It 'show where a credential was written and until when, whole' {
        $row = ConvertFrom-RenderedTable ($Objects.Credential | Out-String -Width 120) -Key ExpiresAt
        $row.KubeconfigPath | Should -Be (Compress $Objects.Credential.KubeconfigPath)
        $row.ExpiresAt | Should -Be (Compress $Objects.Credential.ExpiresAt.ToString('u'))
    }

    It 'show a validation''s first error whole, and how many objects a removal deleted' {
        $rows = ConvertFrom-RenderedTable ($Objects.Validations | Out-String -Width 120) -Key IsValid
        $bad = $Objects.Validations | Where-Object { -not $_.IsValid }
        ($rows | Where-Object IsValid -eq 'False').FirstError | Should -Be (Compress "$($bad.Errors[0].Key): $($bad.Errors[0].Message)")
        (ConvertFrom-RenderedTable ($Objects.Removal | Out-String -Width 120) -Key WasDeployed).Deleted | Should -Be (Compress "$($Objects.Removal.Deleted.Count) objects")
    }
}

Describe 'Default lists' {
    It '<Name> show values, never type names' -ForEach $ListCases {
        $text = $Objects[$Name] | Format-List | Out-String -Width 120
        $text.Trim() | Should -Not -BeNullOrEmpty
        $text | Should -Not -CMatch '\bKompox\.\w+\.\w' -Because 'a nested Kompox object must show as text'
        $text | Should -Not -CMatch '\bSystem\.[A-Z]\w*\.' -Because 'a collection must show its items'
        $text | Should -Not -Match '\{\[' -Because 'a dictionary must show as key: value, not as pairs in braces'
    }

    It 'show a nested resource as its Id, a dictionary as key: value lines and each item of an array on its own line' {
        $cluster = $Objects.Resources | Where-Object Kind -eq Cluster
        $text = ($cluster | Format-List | Out-String -Width 120) -split "`r?`n"
        $text | Should -Contain 'Provider  : ops/k3s1'
        $text | Should -Contain "Settings  : K3S_DATA_ROOT: $DataRoot"
        $status = ($Status | Format-List | Out-String -Width 120) -split "`r?`n"
        $status | Should -Contain "App            : ops/k3s1/lab/$LongName"
        $status | Should -Contain 'Containers     : db: Running, ready'
        $status | Should -Contain '                 server: Running, ready'
    }

    It 'leave out the credential''s kubeconfig, which holds a token, unless asked for' {
        $token = [regex]::Match($Objects.Credential.Kubeconfig, 'token: "([^"]+)"').Groups[1].Value
        $token | Should -Not -BeNullOrEmpty
        ($Objects.Credential | Format-List | Out-String) | Should -Not -Match ([regex]::Escape($token))
        ($Objects.Credential | Format-List * | Out-String) | Should -Match ([regex]::Escape($token))
    }
}
