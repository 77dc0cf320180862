#requires -Version 7.4
<#
.SYNOPSIS
    Builds, documents, tests, packages and demonstrates the Kompox module.
.DESCRIPTION
    One entry point for developers and CI. Each task runs the tasks it depends on first, so any task works
    on a clean clone (after `dotnet tool restore`).

      Bootstrap  restore the PowerShell tool, Pester and test assemblies into .tools/
      Build      publish the cmdlets and lay out the complete module in out/Kompox: dependencies under
                 Dependencies/, MAML help and about topics from docs/en-US under en-US/, the REST service program
                 (framework-dependent) under service/
      Install    build, then copy the module to <user module path>/Kompox/<version>/ so `Import-Module Kompox` finds it
      Test       xunit, then Pester (module and package) in a child pwsh; the last line is "N passed, N failed"
      Package    out/Kompox.zip laid out as Azure Automation imports a module
      Bench      benchmarks, printed as ratios (the k3s disk archive one on a generated 1 GiB disk;
                 KOMPOX_BENCH_ARCHIVE_MB=<n> for another size; the service's GET /v1/apps against a bare endpoint)
      Start      build, then run the main job: the Kompox service on a temporary store with the built-in cluster
                 simulator registered as a cluster, the bundled example deployed through its REST API in client mode;
                 prints the URL, the OpenAPI URL, the token, a curl and a Connect-KompoxService line; serves until Ctrl+C
      Simulator  build, then start the cluster simulator on its own until Ctrl+C: writes its kubeconfig and a cluster
                 file for it under out/simulator/ and prints lines to try with kubectl and the module
      Mutate     mutation testing (Stryker.NET) of the engine's safety-critical files, $MutationTargets below, or of
                 -MutateFile only; prints the mutation score per file. Slow, so not part of Test: run it before
                 changing one of those files
.EXAMPLE
    dotnet tool restore && dotnet pwsh ./build.ps1 -Task Test
#>
[CmdletBinding()]
param(
    [ValidateSet('Bootstrap', 'Build', 'Install', 'Test', 'Package', 'Bench', 'Start', 'Simulator', 'Mutate')]
    [string] $Task = 'Build',

    [ValidateSet('Debug', 'Release')]
    [string] $Configuration = 'Release',

    # Mutate: only these of $MutationTargets (e.g. Drivers/K3sRuntime.cs,Yaml/YamlEmitter.cs); a file may name line
    # ranges to mutate only those (Drivers/DiskArchive.cs:379-821:881-1021).
    [string[]] $MutateFile = @(),

    # Mutate: this dotnet test filter instead of the file's own in $MutationTargets (a narrower one for a line range).
    [string] $MutateFilter
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest

# Colour codes belong on a terminal only. PowerShell colours its tables, warnings and errors, and Pester its report, even
# into a file or a pipe: when this script's output is redirected (a CI log, `> build.log`), it writes plain text, and so
# does every process it starts, through NO_COLOR, which they inherit.
if ([Console]::IsOutputRedirected) {
    $env:NO_COLOR = '1'
    $PSStyle.OutputRendering = 'PlainText'
}

$Root = $PSScriptRoot
$Out = Join-Path $Root 'out'
$ModuleOut = Join-Path $Out 'Kompox'
$Tools = Join-Path $Root '.tools'
$Packages = Join-Path $Tools 'packages'
$script:Done = @{}

# ReadyToRun images are kept only where Bench showed them to help: PowerShell 7.6 (.NET 10) on Linux x64. The
# runtime ignores images compiled for another .NET version, so each target names its framework.
$ReadyToRunTargets = @(
    @{ Folder = 'linux-x64.net10'; Runtime = 'linux-x64'; Framework = 'net10.0' }
)

# The engine's safety-critical files (under src/Kompox.Engine) that the Mutate task mutates, each with the tests that
# guard it (a dotnet test filter): archive import, project-file containment, command escaping, YAML quoting, the Lease,
# prune and host conflicts, disk deletion. When a file or its tests move, change this list: Mutate stops at a path that
# no longer exists. Mutants judged equivalent (no test can kill them) are listed with a reason in
# build/mutation-equivalents.md.
$MutationTargets = [ordered]@{
    'Drivers/K3sRuntime.cs'          = 'FullyQualifiedName~Kompox.Tests.Drivers.K3s|FullyQualifiedName~Kompox.Tests.Operations'
    'Drivers/DiskArchive.cs'         = 'FullyQualifiedName~Kompox.Tests.Drivers.DiskArchiveTests|FullyQualifiedName~Kompox.Tests.Drivers.K3sRuntimeTests'
    'Compose/ProjectFiles.cs'        = 'FullyQualifiedName~Kompox.Tests.Compose'
    'Conversion/ContainerCommand.cs' = 'FullyQualifiedName~Kompox.Tests.Conversion'
    'Yaml/YamlEmitter.cs'            = 'FullyQualifiedName~Kompox.Tests.Yaml'
    'Kube/LeaseAppLock.cs'           = 'FullyQualifiedName~Kompox.Tests.Operations'
    'Operations/HostConflicts.cs'    = 'FullyQualifiedName~Kompox.Tests.Operations.AppDeploymentTests'
    'Operations/AppObjects.cs'       = 'FullyQualifiedName~Kompox.Tests.Operations.AppDeploymentTests'
    'Operations/DiskOperations.cs'   = 'FullyQualifiedName~Kompox.Tests.Operations'
}

function Invoke-Native {
    param([string] $Command, [string[]] $Arguments)
    Write-Verbose "$Command $($Arguments -join ' ')"
    & $Command @Arguments
    if ($LASTEXITCODE -ne 0) { throw "$Command $($Arguments[0]) failed with exit code $LASTEXITCODE" }
}

# A child pwsh from the repo's tool manifest, so the module's assemblies are never loaded (and locked) in this process.
function Invoke-ChildPwsh {
    param([string] $File, [string[]] $Arguments = @())
    Push-Location $Root
    try { Invoke-Native dotnet (@('pwsh', '-NoLogo', '-NoProfile', '-NonInteractive', '-File', $File) + $Arguments) }
    finally { Pop-Location }
}

function Invoke-Task([string] $Name) {
    if ($script:Done[$Name]) { return }
    Write-Host "==> $Name" -ForegroundColor Cyan
    & "Task-$Name"
    $script:Done[$Name] = $true
}

function Task-Bootstrap {
    Push-Location $Root
    try { Invoke-Native dotnet @('tool', 'restore') } finally { Pop-Location }
    Invoke-Native dotnet @('restore', (Join-Path $Root 'build/tools.proj'), '--packages', $Packages, '--verbosity', 'quiet')
}

function Task-Build {
    Invoke-Task Bootstrap
    $publish = Join-Path $Out 'publish'
    Remove-Item $publish, $ModuleOut -Recurse -Force -ErrorAction Ignore
    Invoke-Native dotnet @('publish', (Join-Path $Root 'src/Kompox.Cmdlets'), '-c', $Configuration, '-o', $publish, '--nologo', '--verbosity', 'quiet')

    $deps = New-Item -ItemType Directory -Force (Join-Path $ModuleOut 'Dependencies')
    Copy-Item (Join-Path $Root 'Kompox.psd1'), (Join-Path $Root 'src/Kompox.Cmdlets/Kompox.Format.ps1xml') $ModuleOut
    foreach ($file in Get-ChildItem $publish -File) {
        if ($file.Extension -eq '.json') { continue }   # deps.json is for apps; PowerShell resolves through our load context
        $target = if ($file.BaseName -eq 'Kompox.Cmdlets') { $ModuleOut } else { $deps }
        Copy-Item $file.FullName $target
    }
    Copy-Item (Join-Path $Root 'LICENSE') $ModuleOut -ErrorAction Ignore

    # The REST service is its own program (Start-KompoxService runs it as a process; the module never loads it):
    # framework-dependent on the ASP.NET Core runtime, in service/ beside the module.
    Invoke-Native dotnet @('publish', (Join-Path $Root 'src/Kompox.Service'), '-c', $Configuration, '-o', (Join-Path $ModuleOut 'service'), '--nologo', '--verbosity', 'quiet')

    # Precompiled images of the same assemblies, for the platforms whose cold start the Bench task measured them
    # to shorten; the load context picks the folder matching its platform and falls back to the IL above.
    foreach ($target in $ReadyToRunTargets) {
        $r2rPublish = Join-Path $Out "publish-$($target.Folder)"
        Remove-Item $r2rPublish -Recurse -Force -ErrorAction Ignore
        Invoke-Native dotnet @('publish', (Join-Path $Root 'build/ReadyToRun'), '-c', $Configuration, '-r', $target.Runtime, '-f', $target.Framework, '-o', $r2rPublish, '--nologo', '--verbosity', 'quiet')
        $folder = New-Item -ItemType Directory -Force (Join-Path $deps $target.Folder)
        foreach ($file in Get-ChildItem $deps -Filter '*.dll' -File) {
            # Packages that back-port framework assemblies to net8.0 (System.Text.Json and others Azure.Core needs)
            # have no image for a .NET whose own copy is as new; the load context then takes the IL beside it.
            $image = Join-Path $r2rPublish $file.Name
            if (Test-Path $image) { Copy-Item $image $folder }
        }
    }

    # Users import what Build lays out, so the help is part of it: MAML from the pages and the cmdlets' own metadata.
    Invoke-ChildPwsh (Join-Path $Root 'build/New-KompoxHelp.ps1') @('-ModulePath', (Join-Path $ModuleOut 'Kompox.psd1'), '-DocsPath', (Join-Path $Root 'docs/en-US'), '-OutputPath', (Join-Path $ModuleOut 'en-US'))
}

function Task-Install {
    Invoke-Task Build
    Invoke-ChildPwsh (Join-Path $Root 'build/Install-KompoxModule.ps1') @('-ModulePath', $ModuleOut)
}

function Task-Test {
    Invoke-Task Package
    $results = Join-Path $Out 'test-results'
    Remove-Item $results -Recurse -Force -ErrorAction Ignore
    $null = New-Item -ItemType Directory $results

    $counts = [ordered]@{ passed = 0; failed = 0 }
    $failures = @()
    foreach ($project in Get-ChildItem (Join-Path $Root 'tests') -Filter '*.Tests.csproj' -Recurse) {
        $trx = "$($project.BaseName).trx"
        # A test that hangs ends its run with the test's name (and counts as failed) instead of holding CI until its limit.
        & dotnet test $project.FullName -c $Configuration --nologo --logger "trx;LogFileName=$trx" --results-directory $results --blame-hang-timeout 10m --blame-hang-dump-type none
        if ($LASTEXITCODE -ne 0) { $failures += $project.BaseName }
        $trxPath = Join-Path $results $trx
        if (-not (Test-Path $trxPath)) { $failures += "$($project.BaseName) (no results)"; $counts.failed++; continue }
        $counters = ([xml](Get-Content $trxPath -Raw)).TestRun.ResultSummary.Counters
        $counts.passed += [int]$counters.passed
        $counts.failed += [int]$counters.failed + [int]$counters.error + [int]$counters.timeout
    }

    $pesterResult = Join-Path $results 'pester.json'
    & dotnet pwsh -NoLogo -NoProfile -NonInteractive -File (Join-Path $Root 'build/Invoke-Pester.ps1') -ModulePath (Join-Path $ModuleOut 'Kompox.psd1') -PackagePath (Join-Path $Out 'Kompox.zip') -PesterPath (Join-Path $Packages 'pester/5.7.1/tools/Pester.psd1') -ResultPath $pesterResult -TestingAssemblyPath (Join-Path $Root "tests/Kompox.Engine.Tests/bin/$Configuration/net10.0/Kompox.Testing.dll")
    if (Test-Path $pesterResult) {
        $p = Get-Content $pesterResult -Raw | ConvertFrom-Json
        $counts.passed += $p.Passed
        $counts.failed += $p.Failed
        if ($p.Failed -gt 0 -or $p.Error) { $failures += 'Pester' }
    }
    else { $failures += 'Pester (no results)'; $counts.failed++ }

    if ($failures) { Write-Host "Failed: $($failures -join ', ')" -ForegroundColor Red }
    Write-Host "$($counts.passed) passed, $($counts.failed) failed"
    if ($failures) { exit 1 }
}

function Task-Package {
    Invoke-Task Build
    $zip = Join-Path $Out 'Kompox.zip'
    Remove-Item $zip -ErrorAction Ignore
    Compress-Archive -Path $ModuleOut -DestinationPath $zip
    Write-Host "Wrote $zip"
}

function Task-Bench {
    Invoke-Task Build
    $floor = Join-Path $Out 'bench/FloorModule'
    Invoke-Native dotnet @('publish', (Join-Path $Root 'bench/FloorModule'), '-c', 'Release', '-o', $floor, '--nologo', '--verbosity', 'quiet')
    Invoke-Native dotnet @('run', '--project', (Join-Path $Root 'bench/Kompox.Bench'), '-c', 'Release', '--', $Root)
    Invoke-ChildPwsh (Join-Path $Root 'build/Invoke-Benchmark.ps1') @('-ModulePath', (Join-Path $ModuleOut 'Kompox.psd1'), '-FloorModulePath', (Join-Path $floor 'FloorModule.psd1'))
    # The service last (it fails the task below 0.5x or on any error): GET /v1/apps of a user with 100 apps, 64
    # connections, against a bare ASP.NET Core endpoint answering the same JSON from memory, both in this run.
    Invoke-Native dotnet @('run', '--project', (Join-Path $Root 'bench/Kompox.ServiceBench'), '-c', 'Release', '--', (Join-Path $ModuleOut 'service/Kompox.Service.dll'))
}

# The cluster simulator (Kompox.Testing's Kubernetes API test server), published with its dependencies beside it so
# the examples load it without the test projects; returns the path of Kompox.Testing.dll.
function Publish-Simulator {
    $testing = Join-Path $Out 'start/Kompox.Testing'
    Invoke-Native dotnet @('publish', (Join-Path $Root 'tests/Kompox.Testing'), '-c', $Configuration, '-o', $testing, '--nologo', '--verbosity', 'quiet') | Out-Host
    Join-Path $testing 'Kompox.Testing.dll'
}

function Task-Start {
    Invoke-Task Build
    # The service deploys to the cluster simulator (in the script's process).
    $testing = Publish-Simulator
    Invoke-ChildPwsh (Join-Path $Root 'examples/Start-Example.ps1') @('-ModulePath', (Join-Path $ModuleOut 'Kompox.psd1'), '-TestingAssemblyPath', $testing)
}

function Task-Simulator {
    Invoke-Task Build
    $testing = Publish-Simulator
    Invoke-ChildPwsh (Join-Path $Root 'examples/Start-Simulator.ps1') @('-ModulePath', (Join-Path $ModuleOut 'Kompox.psd1'), '-TestingAssemblyPath', $testing, '-Directory', (Join-Path $Out 'simulator'))
}

function Task-Mutate {
    Push-Location $Root
    try { Invoke-Native dotnet @('tool', 'restore') } finally { Pop-Location }
    # From `dotnet pwsh -File` a list comes as one comma-separated string.
    $targets = if ($MutateFile) { @($MutateFile -split ',' | ForEach-Object Trim) } else { @($MutationTargets.Keys) }
    $files = [ordered]@{}
    foreach ($target in $targets) {
        $file, $ranges = $target -split ':'
        if (-not $MutationTargets.Contains($file)) { throw "$file is not one of the mutation targets in build.ps1: $($MutationTargets.Keys -join ', ')" }
        $source = Join-Path $Root "src/Kompox.Engine/$file"
        if (-not (Test-Path $source)) { throw "src/Kompox.Engine/$file is gone: update `$MutationTargets in build.ps1" }
        # Stryker's spans after the glob ({start..end}) are character offsets in the file (Stryker.Core FilePattern, matched
        # against each mutated node's Roslyn TextSpan), not lines: line ranges are turned into them here.
        $spans = ''
        if ($ranges) {
            $text = [IO.File]::ReadAllText($source)
            $lineStarts = @(0) + @([regex]::Matches($text, "`n") | ForEach-Object { $_.Index + 1 })
            foreach ($range in $ranges) {
                if ($range -notmatch '^(\d+)-(\d+)$' -or [int]$Matches[1] -lt 1 -or [int]$Matches[2] -lt [int]$Matches[1] -or [int]$Matches[2] -gt $lineStarts.Count) {
                    throw "$target`: '$range' is no range of lines (first-last) of $file, which has $($lineStarts.Count) lines"
                }
                $end = if ([int]$Matches[2] -lt $lineStarts.Count) { $lineStarts[[int]$Matches[2]] } else { $text.Length }
                $spans += "{$($lineStarts[[int]$Matches[1] - 1])..$end}"
            }
        }

        $files[$file] = [pscustomobject]@{ Name = $target; Mutate = "**/$file$spans"; Filter = if ($MutateFilter) { $MutateFilter } else { $MutationTargets[$file] } }
    }

    $rows = foreach ($file in $files.Keys) {
        $run = $files[$file]
        # One Stryker run per file, against the tests that guard it; one test session at a time (the cores are shared).
        $output = Join-Path $Out "mutation/$([IO.Path]::GetFileNameWithoutExtension($file))"
        Write-Host "Mutating $($run.Mutate) against $($run.Filter)"
        Remove-Item $output -Recurse -Force -ErrorAction Ignore
        # From the test project's directory: at the root, Stryker would take the solution and refuse a test project.
        Push-Location (Join-Path $Root 'tests/Kompox.Engine.Tests')
        try {
            Invoke-Native dotnet @(
                'stryker', '--config-file', (Join-Path $Root 'build/stryker-config.json'), '--project', 'Kompox.Engine.csproj', '--mutate', $run.Mutate, '--test-case-filter', $run.Filter,
                '--configuration', $Configuration, '--concurrency', '1', '--reporter', 'Progress', '--reporter', 'Html', '--reporter', 'Json',
                '--output', $output, '--skip-version-check'
            ) | Out-Host
        }
        finally { Pop-Location }

        # Stryker's score: killed (or timed out) among the mutants tested or left without a test.
        $report = Get-Content (Join-Path $output 'reports/mutation-report.json') -Raw | ConvertFrom-Json -AsHashtable
        $mutants = @($report.files.GetEnumerator() | Where-Object { $_.Key.Replace('\', '/').EndsWith("src/Kompox.Engine/$file") } | ForEach-Object { $_.Value.mutants })
        # Mutants outside the lines asked for are Ignored, so they count neither way.
        $status = @($mutants.status)
        $killed = @($status | Where-Object { $_ -in 'Killed', 'Timeout' }).Count
        $survived = @($status | Where-Object { $_ -eq 'Survived' }).Count
        $noCoverage = @($status | Where-Object { $_ -eq 'NoCoverage' }).Count
        $counted = $killed + $survived + $noCoverage
        [pscustomobject]@{
            File       = $run.Name
            Score      = if ($counted) { [math]::Round(100 * $killed / $counted, 1) } else { $null }
            Killed     = $killed
            Survived   = $survived
            NoCoverage = $noCoverage
            Left       = @($mutants | Where-Object { $_.status -in 'Survived', 'NoCoverage' } | ForEach-Object { "${file}:$($_.location.start.line) $($_.status) $($_.mutatorName): $($_.replacement)" })
        }
    }

    $rows | Format-Table File, Score, Killed, Survived, NoCoverage -AutoSize | Out-String | Write-Host
    $rows.Left | Write-Host
    Write-Host "Surviving mutants: the reports under $(Join-Path $Out 'mutation'); equivalent ones: build/mutation-equivalents.md"
    $low = @($rows | Where-Object { $null -eq $_.Score -or $_.Score -lt 80 })
    if ($low) { Write-Host "Below 80%: $($low.File -join ', ')" -ForegroundColor Yellow }
}

Invoke-Task $Task
