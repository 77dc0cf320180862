BeforeAll {
    Import-Module $env:KOMPOX_TEST_MODULE -Force
    $Root = (Resolve-Path "$PSScriptRoot/../..").Path
    $Example = Join-Path $Root 'examples/gitea/kompoxops.yml'
    $Data = Join-Path $Root 'tests/data'

    # The manifest validator of the engine tests (kube-apiserver's rules) and the kubectl read-back, built by the xunit run before Pester.
    Import-Module (Join-Path $PSScriptRoot 'TestRunspace.psm1') -Force
    # Every app here has keys with no effect in one Pod; tests that are about warnings ask for them with -WarningVariable.
    $PSDefaultParameterValues['*-Kompox*:WarningAction'] = 'SilentlyContinue'
    Add-Type -Path $env:KOMPOX_TEST_TESTING_ASSEMBLY
    function Assert-ManifestValid([string] $Yaml) {
        $errors = [Kompox.Testing.ManifestValidator]::ValidateYaml($Yaml)
        $errors -join "`n" | Should -BeNullOrEmpty -Because 'a cluster would refuse the manifest'
        $differences = [Kompox.Testing.KubectlReadBack]::Differences($Yaml)
        $differences -join "`n" | Should -BeNullOrEmpty -Because 'kubectl must read the manifest as it was meant'
    }
}

Describe 'Test-KompoxApp' {
    It 'tests the app that Import-KompoxConfig writes and passes over the other resources' {
        $results = @(Import-KompoxConfig $Example | Test-KompoxApp -Verbose 4>&1)
        $verbose = $results | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] }
        $result = $results | Where-Object { $_ -isnot [System.Management.Automation.VerboseRecord] }
        $result | Should -HaveCount 1
        $result | Should -BeOfType 'Kompox.PowerShell.KompoxAppValidation'
        $result.App.Id | Should -Be 'ops/k3s1/lab/gitea'
        $result.IsValid | Should -BeTrue
        $result.Errors | Should -BeNullOrEmpty
        ($verbose -join "`n") | Should -Match 'Passing over Cluster ops/k3s1/lab'
        ($verbose -join "`n") | Should -Match 'Converting app ops/k3s1/lab/gitea \(driver k3s\)'
    }

    It 'reads kompoxops.yml by path, and from the current location by default' {
        (Test-KompoxApp -Path $Example).IsValid | Should -BeTrue
        Push-Location (Split-Path $Example)
        try { (Test-KompoxApp).App.Name | Should -Be 'gitea' } finally { Pop-Location }
    }

    It 'lists the objects the app becomes, with the host names of the spec' {
        $objects = (Test-KompoxApp -Path $Example -DiskId gitea-disk-1).Objects
        $objects.Kind | Should -Contain 'Deployment'
        $objects.Kind | Should -Contain 'PersistentVolume'
        $ingress = ($objects | Where-Object Kind -eq 'Ingress').Yaml -join "`n"
        $ingress | Should -Match 'host: gitea.lab.apps.example.com'
        $ingress | Should -Match 'host: git.example.org'
        ($objects | Where-Object Kind -eq 'Namespace').Name | Should -Match '^k4x-gitea-[0-9a-z]{6}$'
        Assert-ManifestValid ($objects.Yaml -join '')
    }

    It 'reports an invalid app as a result, with the service and key of each error' {
        $result = Test-KompoxApp -Path (Join-Path $Data 'bad-compose/privileged-among-many/kompoxops.yml')
        $result.IsValid | Should -BeFalse
        $result.Objects | Should -BeNullOrEmpty
        ($result.Errors | Sort-Object Service).Service | Should -Be @('cache', 'db')
        ($result.Errors | Sort-Object Service).Key | Should -Be @('services.cache.network_mode', 'services.db.privileged')
        $result.Errors[0] | Should -BeOfType 'Kompox.PowerShell.KompoxDiagnostic'
    }

    It 'returns warnings for keys without effect in one Pod' {
        $result = Test-KompoxApp -Path $Example
        ($result.Warnings.Key) | Should -Contain 'services.server.restart'
    }

    # compose-spec depends_on: a dependency starts before its dependents; Kubernetes >= 1.29 starts a sidecar
    # (restartable init container, KEP-753) before the Pod's containers.
    It 'runs a depends_on dependency as a sidecar that starts first, and only a publishing service gates readiness' {
        $result = Test-KompoxApp -Path $Example
        $result.Warnings.Key | Should -Not -Contain 'services.server.depends_on'
        $deployment = ($result.Objects | Where-Object Kind -eq 'Deployment').Yaml
        $deployment | Should -Match '(?ms)initContainers:.*- envFrom:\s+- secretRef:\s+name: gitea-env-db.*name: db\s.*restartPolicy: Always'
        $deployment | Should -Not -Match 'pg_isready' -Because 'db publishes no port, so its healthcheck must not make the Pod unready'
        Assert-ManifestValid ($result.Objects.Yaml -join '')
    }

    It 'takes an App, a path or a pattern by position' {
        $app = Import-KompoxConfig $Example | Where-Object Kind -eq App
        (Test-KompoxApp $app).App.Id | Should -Be 'ops/k3s1/lab/gitea'
        (Test-KompoxApp $Example).App.Id | Should -Be 'ops/k3s1/lab/gitea'
        (Test-KompoxApp (Join-Path (Split-Path $Example) 'kompox*.yml')).App.Id | Should -Be 'ops/k3s1/lab/gitea'
    }

    It 'tests every file Get-ChildItem finds, with one non-terminating error per bad one' {
        $tree = (New-Item -ItemType Directory (Join-Path $TestDrive 'tree')).FullName
        foreach ($name in 'nginx-single', 'pgadmin-postgres') { Copy-Item (Join-Path $Data "apps/$name") (Join-Path $tree $name) -Recurse -Force }
        foreach ($name in 'app-name-invalid', 'sections-missing') { Copy-Item (Join-Path $Data "bad-configs/$name") (Join-Path $tree $name) -Recurse -Force }
        $results = Get-ChildItem $tree -Recurse -Filter kompoxops.yml | Sort-Object FullName | Test-KompoxApp -ErrorVariable errs -ErrorAction SilentlyContinue
        $results | Should -HaveCount 2
        $results.IsValid | Should -Be @($true, $true)
        $errs | Should -HaveCount 2
        $errs.FullyQualifiedErrorId | Should -Be @('InvalidConfig,Kompox.Cmdlets.TestKompoxAppCommand', 'InvalidConfig,Kompox.Cmdlets.TestKompoxAppCommand')
        { Get-ChildItem $tree -Recurse -Filter kompoxops.yml | Test-KompoxApp -ErrorAction Stop } | Should -Throw -ErrorId 'InvalidConfig,Kompox.Cmdlets.TestKompoxAppCommand'
    }

    It '-Quiet returns True only when every app is valid' {
        Test-KompoxApp $Example -Quiet | Should -BeExactly $true
        $bad = Join-Path $Data 'bad-compose/privileged/kompoxops.yml'
        $answer = @(Test-KompoxApp $Example, $bad -Quiet)
        $answer | Should -HaveCount 1
        $answer[0] | Should -BeExactly $false
    }

    It '-Quiet answers False for a file that cannot be read, without an error record' {
        $answer = Test-KompoxApp (Join-Path $TestDrive 'missing.yml') -Quiet -ErrorVariable errs
        $answer | Should -BeExactly $false
        $errs | Should -BeNullOrEmpty
        $cluster = Import-KompoxConfig $Example | Where-Object Kind -eq Cluster
        $cluster | Test-KompoxApp -Quiet | Should -BeExactly $false -Because 'no app was tested'
    }

    It 'summarises the warnings of every run (keys with no effect, no disk) in one warning, with each of them in -Verbose, and keeps them all as data' {
        $output = Test-KompoxApp $Example -WarningVariable warnings -Verbose 4>&1
        $verbose = @($output | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] }) -join "`n"
        $result = $output | Where-Object { $_ -is [Kompox.PowerShell.KompoxAppValidation] }
        @($warnings) | Should -HaveCount 1 -Because 'every warning of the example holds for every run'
        "$($warnings[0])" | Should -BeExactly 'gitea: 1 compose key has no effect in one Pod (restart); no disk was given; see -Verbose'
        $verbose | Should -Match 'compose\.yml:5:3 services\.server\.restart: has no effect in one Pod'
        $verbose | Should -Match 'services\.db\.restart: has no effect in one Pod'
        ($result.Warnings | Where-Object NoEffect).Key | Sort-Object | Should -Be @('services.db.restart', 'services.server.restart')
        $verbose | Should -Match 'kompoxops\.yml: no disk was given: the PersistentVolume and PersistentVolumeClaim'
        ($result.Warnings | Where-Object Routine).Count | Should -Be 3
    }

    # compose-spec stop_signal / restart: Kubernetes sends the image's STOPSIGNAL and restarts every container of the Pod,
    # so these get warnings of their own; docs.docker.com/engine/network/#dns-services: Docker's DNS answers at 127.0.0.11.
    It 'warns one by one about keys whose loss changes behaviour, and puts a DNS server at 127.0.0.11 when the app names it' {
        $dir = (New-Item -ItemType Directory (Join-Path $TestDrive 'dropped')).FullName
        Copy-Item (Join-Path $Data 'bad-compose/same-container-port/kompoxops.yml') $dir
        Set-Content (Join-Path $dir 'compose.yml') "services:`n  web:`n    image: example/web:1`n    stop_signal: SIGQUIT`n    restart: `"no`"`n    environment: { RESOLVER: 127.0.0.11 }`n    ports: ['80']`n"
        $result = Test-KompoxApp (Join-Path $dir 'kompoxops.yml') -DiskId bad-disk-1 -WarningVariable warnings
        $result.IsValid | Should -BeTrue
        $own = @($warnings | Where-Object { "$_" -notmatch 'no effect' })
        ($own -join "`n") | Should -Match "services\.web\.stop_signal: 'SIGQUIT' is not sent: Kubernetes stops the container with its image's STOPSIGNAL"
        ($own -join "`n") | Should -Match "services\.web\.restart: 'no' cannot be kept"
        ($result.Warnings | Where-Object NoEffect).Key | Should -Not -Contain 'services.web.stop_signal'
        ($result.Objects | Where-Object Kind -eq 'ConfigMap').Name | Should -Contain 'bad-dns'
        ($result.Objects | Where-Object Kind -eq 'Deployment').Yaml | Should -Match 'name: kompox-dns'
        Assert-ManifestValid ($result.Objects.Yaml -join '')
    }

    It 'gives each diagnostic a short location and shows them in 80 columns' {
        $result = Test-KompoxApp $Example
        ($result.Warnings | Where-Object Key -eq 'services.db.restart').Location | Should -Be 'compose.yml:5:3'
        ($result.Warnings | Where-Object Key -eq '').Location | Should -Be 'kompoxops.yml'
        $lines = ($result.Warnings | Format-Table | Out-String -Width 80) -split "`n" | Where-Object { $_.Trim() }
        $lines[0] | Should -Match '^Severity\s+Location\s+Key\s+Message\s*$'
        $lines | Where-Object { $_.TrimEnd().Length -gt 80 } | Should -BeNullOrEmpty
        ($lines -join "`n") | Should -Match 'Warning\s+compose.yml:5:3\s+services.server.restar'
    }

    It 'refuses a resource that is not an App when given directly' {
        $cluster = Import-KompoxConfig $Example | Where-Object Kind -eq Cluster
        { Test-KompoxApp -App $cluster -ErrorAction Stop } | Should -Throw -ErrorId 'NotAnApp,Kompox.Cmdlets.TestKompoxAppCommand'
    }

    It 'fails like Import-KompoxConfig on a broken kompoxops.yml' {
        { Test-KompoxApp -Path (Join-Path $Data 'bad-configs/app-name-invalid/kompoxops.yml') -ErrorAction Stop } | Should -Throw -ErrorId 'InvalidConfig,Kompox.Cmdlets.TestKompoxAppCommand'
    }

    It 'activates compose profiles with -Profile' {
        $dir = Join-Path $TestDrive 'profiles'
        $null = New-Item -ItemType Directory $dir
        Copy-Item $Example $dir
        Set-Content (Join-Path $dir 'compose.yml') "services:`n  web:`n    image: nginx`n    ports: ['80']`n  debug:`n    image: busybox`n    profiles: [debug]`n"
        $containers = { param($r) (($r.Objects | Where-Object Kind -eq Deployment).Yaml | Select-String -AllMatches '(?m)^\s+name: (web|debug)$').Matches.Count }
        & $containers (Test-KompoxApp -Path "$dir/kompoxops.yml") | Should -Be 1
        & $containers (Test-KompoxApp -Path "$dir/kompoxops.yml" -Profile debug) | Should -Be 2
    }
}

Describe 'ConvertTo-KompoxManifest' {
    # compose-spec 07-volumes.md: an external volume is not created by Compose; local driver_opts are mount(8)'s
    # (moby volume/local/local_unix.go), so o: bind binds a host path and type nfs mounts a remote share.
    It 'warns of an external volume on its own, and refuses driver_opts that bind a host path or mount a share' {
        $dir = Join-Path $TestDrive 'volumes'
        New-Item -ItemType Directory $dir | Out-Null
        Set-Content (Join-Path $dir 'kompoxops.yml') "version: 1`nservice: { name: ops }`nprovider: { name: k3s1, driver: k3s }`ncluster:`n  name: lab`n  auth: { type: kubectl, kubeconfig: ~/.kube/config }`n  domain: apps.example.com`n  settings: { K3S_NODE_NAME: node1 }`napp:`n  name: db`n  compose: compose.yaml`n"
        $service = "services:`n  db:`n    image: postgres:16`n    volumes: [`"data:/var/lib/postgresql/data`"]`n"
        Set-Content (Join-Path $dir 'compose.yaml') ($service + "volumes:`n  data:`n    external: true`n")
        $yaml = ConvertTo-KompoxManifest -Path (Join-Path $dir 'kompoxops.yml') -DiskId d1 -WarningVariable warnings -WarningAction SilentlyContinue
        Assert-ManifestValid $yaml
        @($warnings | Where-Object { "$_" -match 'volumes.data.external' -and "$_" -match 'docker compose does not create it' }) | Should -HaveCount 1

        Set-Content (Join-Path $dir 'compose.yaml') ($service + "volumes:`n  data:`n    driver_opts: { type: nfs, o: `"addr=10.0.0.5`", device: `":/exports/pg`" }`n")
        $result = Test-KompoxApp -Path (Join-Path $dir 'kompoxops.yml')
        $result.IsValid | Should -BeFalse
        $result.Errors.Key | Should -Be 'volumes.data.driver_opts'
        $result.Errors.Message | Should -Match 'NFS share 10.0.0.5:/exports/pg'
    }

    # moby daemon/volumes.go registerMountPoints ("Read volumes from other containers": the source's mount points at the
    # same destinations, read-only with :ro); compose-spec 05-services.md post_start/pre_stop (docker/compose
    # pkg/compose/hook.go runs the hooks in order) and pre_start (steps run to completion before the service, sharing its
    # mounts); the kubelet runs an exec hook's command as written (pkg/kubelet/lifecycle/handlers.go).
    It 'mounts the volumes of volumes_from, runs post_start and pre_stop as lifecycle hooks and pre_start steps as init containers' {
        $dir = Join-Path $TestDrive 'lifecycle'
        New-Item -ItemType Directory $dir | Out-Null
        Set-Content (Join-Path $dir 'kompoxops.yml') "version: 1`nservice: { name: ops }`nprovider: { name: k3s1, driver: k3s }`ncluster:`n  name: lab`n  auth: { type: kubectl, kubeconfig: ~/.kube/config }`n  domain: apps.example.com`n  settings: { K3S_NODE_NAME: node1 }`napp:`n  name: blog`n  compose: compose.yaml`n"
        Set-Content (Join-Path $dir 'compose.yaml') @'
services:
  app:
    image: example/blog:1.0
    volumes: ["content:/srv/content", "/var/cache/blog"]
    post_start:
      - command: ["/app/warm", "--all"]
    pre_stop:
      - command: /app/flush
      - command: /app/deregister
        environment: { REASON: stop }
    pre_start:
      - command: ["/app/migrate"]
  backup:
    image: example/backup:1.0
    volumes_from: ["app:ro"]
volumes:
  content:
'@
        $yaml = ConvertTo-KompoxManifest -Path (Join-Path $dir 'kompoxops.yml') -DiskId d1 -WarningVariable warnings -WarningAction SilentlyContinue
        Assert-ManifestValid $yaml
        $deployment = [k8s.KubernetesYaml]::LoadAllFromString($yaml) | Where-Object Kind -eq 'Deployment'
        $pod = $deployment.Spec.Template.Spec
        $app = $pod.Containers | Where-Object Name -eq 'app'
        $backup = $pod.Containers | Where-Object Name -eq 'backup'
        # The same directories of the disk (the anonymous volume is app's), read-only.
        ($backup.VolumeMounts | Sort-Object MountPath | ForEach-Object { "$($_.MountPath)=$($_.SubPath):$($_.ReadOnlyProperty)" }) |
            Should -Be @('/srv/content=volumes/content:True', '/var/cache/blog=anonymous/app/var/cache/blog:True')
        @($warnings | Where-Object { "$_" -match 'services.backup.volumes_from\[0\]' -and "$_" -match 'Dockerfile VOLUME' }) | Should -HaveCount 1

        $app.Lifecycle.PostStart.Exec.Command | Should -Be @('/app/warm', '--all')
        $app.Lifecycle.PreStop.Exec.Command[0..1] | Should -Be @('/bin/sh', '-c')
        $app.Lifecycle.PreStop.Exec.Command[2] | Should -Be "set -e`n'/app/flush'`nenv 'REASON=stop' '/app/deregister'"
        @($warnings | Where-Object { "$_" -match 'services.app.pre_stop' -and "$_" -match 'must have /bin/sh' }) | Should -HaveCount 1

        # After the volume fill; with the service's mounts.
        $pod.InitContainers.Name[-1] | Should -Be 'app-pre-start-0'
        $pod.InitContainers.Name[0] | Should -Be 'kompox-tools'
        $step = $pod.InitContainers | Where-Object Name -eq 'app-pre-start-0'
        $step.Args | Should -Be @('/app/migrate')
        $step.Image | Should -Be 'example/blog:1.0'
        $step.VolumeMounts.MountPath | Should -Be $app.VolumeMounts.MountPath
    }

    # compose-go cli/options.go (DefaultOverrideFileNames, WithConfigFileEnv) and compose-spec 13-merge.md: docker compose up
    # merges compose.override.yaml over compose.yaml, and app.compose as a list is `-f a -f b`.
    It 'merges the override file beside the compose file, or the files app.compose lists, as docker compose does' {
        $dir = Join-Path $TestDrive 'override'
        New-Item -ItemType Directory $dir | Out-Null
        Set-Content (Join-Path $dir 'kompoxops.yml') "version: 1`nservice: { name: ops }`nprovider: { name: k3s1, driver: k3s }`ncluster:`n  name: lab`n  auth: { type: kubectl, kubeconfig: ~/.kube/config }`n  domain: apps.example.com`n  settings: { K3S_NODE_NAME: node1 }`napp:`n  name: web`n  compose: compose.yaml`n"
        Set-Content (Join-Path $dir 'compose.yaml') "services:`n  web:`n    image: nginx:1.27`n    environment: { STAGE: base }`n"
        Set-Content (Join-Path $dir 'compose.override.yaml') "services:`n  web:`n    environment: { STAGE: override }`n"
        Set-Content (Join-Path $dir 'prod.yaml') "services:`n  web:`n    image: nginx:1.28`n"
        $yaml = ConvertTo-KompoxManifest -Path (Join-Path $dir 'kompoxops.yml') -DiskId d1
        Assert-ManifestValid $yaml
        # The environment travels in the app's Secret, base64-encoded.
        $yaml | Should -Match ('STAGE: ' + [Convert]::ToBase64String([Text.Encoding]::UTF8.GetBytes('override')))
        $yaml | Should -Match 'image: nginx:1.27'

        (Get-Content (Join-Path $dir 'kompoxops.yml') -Raw) -replace '(?m)^  compose: .*$', '  compose: [compose.yaml, prod.yaml]' | Set-Content (Join-Path $dir 'kompoxops.yml')
        $yaml = ConvertTo-KompoxManifest -Path (Join-Path $dir 'kompoxops.yml') -DiskId d1
        Assert-ManifestValid $yaml
        $yaml | Should -Match ('STAGE: ' + [Convert]::ToBase64String([Text.Encoding]::UTF8.GetBytes('base')))
        $yaml | Should -Match 'image: nginx:1.28'
    }

    It 'writes the manifest as multi-document YAML to the pipeline' {
        $yaml = Import-KompoxConfig $Example | ConvertTo-KompoxManifest -DiskId gitea-disk-1
        $yaml | Should -HaveCount 1
        $yaml | Should -BeOfType 'System.String'
        $yaml | Should -Match '(?m)^kind: Deployment$'
        $yaml | Should -Match '(?m)^kind: PersistentVolume$'
        $yaml | Should -Match 'path: /var/lib/kompox/disks/gitea-disk-1'
        Assert-ManifestValid $yaml
    }

    It 'gives the same bytes for the same input' {
        $a = ConvertTo-KompoxManifest -Path $Example -DiskId gitea-disk-1
        $b = ConvertTo-KompoxManifest -Path $Example -DiskId gitea-disk-1
        $a | Should -BeExactly $b
    }

    It 'takes an App by position and summarises its keys with no effect as Test-KompoxApp does' {
        $app = Import-KompoxConfig $Example | Where-Object Kind -eq App
        $yaml = ConvertTo-KompoxManifest $app -DiskId gitea-disk-1 -WarningVariable warnings
        $yaml | Should -Match '(?m)^kind: Deployment$'
        @($warnings | Where-Object { "$_" -match 'no effect' }) | Should -HaveCount 1
        "$(@($warnings | Where-Object { "$_" -match 'no effect' })[0])" | Should -BeExactly 'gitea: 1 compose key has no effect in one Pod (restart); see -Verbose'
    }

    It 'writes no -OutFile when one of the files on the pipeline cannot be read' {
        $out = Join-Path $TestDrive 'partial.yaml'
        $inputs = @($Example, (Join-Path $TestDrive 'missing/kompoxops.yml'))
        $inputs | ConvertTo-KompoxManifest -DiskId d1 -OutFile $out -ErrorVariable errs -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        $errs.FullyQualifiedErrorId | Should -Be 'FileNotFound,Kompox.Cmdlets.ConvertToKompoxManifestCommand'
        $out | Should -Not -Exist
    }

    It 'warns that the volume is left out when no disk is named' {
        $yaml = ConvertTo-KompoxManifest -Path $Example -WarningVariable warnings -WarningAction SilentlyContinue
        $yaml | Should -Not -Match 'kind: PersistentVolume'
        Assert-ManifestValid $yaml
        ($warnings -join "`n") | Should -Match 'no disk was given'
    }

    It 'writes -OutFile whole and returns the file' {
        $out = Join-Path $TestDrive 'gitea.yaml'
        $file = ConvertTo-KompoxManifest -Path $Example -DiskId gitea-disk-1 -OutFile $out
        $file | Should -BeOfType 'System.IO.FileInfo'
        Get-Content $out -Raw | Should -BeExactly (ConvertTo-KompoxManifest -Path $Example -DiskId gitea-disk-1)
        Assert-ManifestValid (Get-Content $out -Raw)
    }

    It 'writes -OutFile readable by its owner only, as it holds the apps'' Secrets' -Skip:$IsWindows {
        $out = Join-Path $TestDrive 'secret.yaml'
        Set-Content $out 'old' ; [System.IO.File]::SetUnixFileMode($out, [System.IO.UnixFileMode]'UserRead, UserWrite, GroupRead, OtherRead')
        $null = ConvertTo-KompoxManifest -Path $Example -DiskId gitea-disk-1 -OutFile $out
        [System.IO.File]::GetUnixFileMode($out) | Should -Be ([System.IO.UnixFileMode]'UserRead, UserWrite')
        Get-Content $out -Raw | Should -Match 'kind: Secret'
    }

    It 'writes the manifests of every app on the pipeline into one -OutFile' {
        $apps = Join-Path $TestDrive 'apps'
        $null = New-Item -ItemType Directory $apps
        foreach ($name in 'nginx-single', 'pgadmin-postgres') { Copy-Item (Join-Path $Data "apps/$name") $apps -Recurse }
        $out = Join-Path $TestDrive 'all.yaml'
        Get-ChildItem $apps -Recurse -Filter kompoxops.yml | Import-KompoxConfig | ConvertTo-KompoxManifest -DiskId disk-1 -OutFile $out | Should -BeOfType 'System.IO.FileInfo'
        $yaml = Get-Content $out -Raw
        $yaml | Should -Match 'name: k4x-www-'
        $yaml | Should -Match 'name: k4x-pgadmin-'
        Assert-ManifestValid $yaml
    }

    It 'names the disk id it cannot use' {
        $err = $null
        try { ConvertTo-KompoxManifest -Path $Example -DiskId '../escape' -ErrorAction Stop } catch { $err = $_ }
        $err.FullyQualifiedErrorId | Should -Be 'InvalidDiskId,Kompox.Cmdlets.ConvertToKompoxManifestCommand'
        $err.Exception.Message | Should -Match "'\.\./escape'"
    }

    It 'writes nothing with -WhatIf' {
        $out = Join-Path $TestDrive 'whatif.yaml'
        $r = Invoke-InRunspace "ConvertTo-KompoxManifest -Path '$Example' -OutFile '$out' -WhatIf"
        $r.Output | Should -BeNullOrEmpty
        $r.Errors | Should -BeNullOrEmpty
        $out | Should -Not -Exist
    }

    It 'keeps an existing file untouched when an app fails validation' {
        $out = Join-Path $TestDrive 'kept.yaml'
        Set-Content $out 'previous content'
        $err = $null
        ConvertTo-KompoxManifest -Path (Join-Path $Data 'bad-compose/privileged/kompoxops.yml') -OutFile $out -ErrorVariable err -ErrorAction SilentlyContinue -WarningAction SilentlyContinue
        $err | Should -HaveCount 1
        $err[0].FullyQualifiedErrorId | Should -Be 'InvalidCompose,Kompox.Cmdlets.ConvertToKompoxManifestCommand'
        $err[0].CategoryInfo.Category | Should -Be 'InvalidData'
        $err[0].TargetObject[0].Key | Should -Be 'services.web.privileged'
        Get-Content $out | Should -Be 'previous content'
    }
}

Describe 'ConvertTo-KompoxManifest with a refused compose file' {
    BeforeDiscovery {
        $cases = foreach ($dir in Get-ChildItem (Join-Path $PSScriptRoot '../data/bad-compose') -Directory) { @{ Name = $dir.Name; Dir = $dir.FullName } }
    }

    It '<Name> writes nothing and names what is wrong' -ForEach $cases {
        $out = Join-Path $TestDrive "$Name.yaml"
        $err = $null
        $result = ConvertTo-KompoxManifest -Path (Join-Path $Dir 'kompoxops.yml') -OutFile $out -ErrorVariable err -ErrorAction SilentlyContinue -WarningAction SilentlyContinue
        $result | Should -BeNullOrEmpty
        $out | Should -Not -Exist
        $err | Should -HaveCount 1
        $expected = @(Get-Content (Join-Path $Dir 'expect.txt') | Where-Object { $_ })
        foreach ($line in $expected) { $err[0].Exception.Message | Should -BeLike "*$([WildcardPattern]::Escape($line))*" }
    }
}

Describe 'Test-KompoxApp and ConvertTo-KompoxManifest as asynchronous cmdlets' {
    BeforeAll {
        # Many apps behind one pattern: one ProcessRecord that runs long enough to be stopped in the middle.
        $many = (New-Item -ItemType Directory (Join-Path $TestDrive 'many')).FullName
        Copy-Item (Join-Path (Split-Path $Example) 'compose.yml') $many
        $text = Get-Content $Example -Raw
        foreach ($i in 1..1500) { [System.IO.File]::WriteAllText((Join-Path $many "k-$i.yml"), $text) }
    }

    It '<Name> stops promptly on Stop() (Ctrl+C), as a stopped pipeline and without an error record' -ForEach @(
        @{ Name = 'Test-KompoxApp' }
        @{ Name = 'ConvertTo-KompoxManifest' }
    ) {
        # One statement (the module comes with the session state): a stopped second statement would leave a PipelineStopped record of PowerShell's own.
        $iss = [System.Management.Automation.Runspaces.InitialSessionState]::CreateDefault2()
        $iss.ImportPSModule($env:KOMPOX_TEST_MODULE)
        $ps = [powershell]::Create($iss)
        try {
            $null = $ps.AddCommand($Name).AddParameter('Path', (Join-Path $many 'k-*.yml')).AddParameter('WarningAction', 'SilentlyContinue')
            $output = [System.Management.Automation.PSDataCollection[psobject]]::new()
            $inputs = [System.Management.Automation.PSDataCollection[psobject]]::new()
            $inputs.Complete()
            $async = $ps.BeginInvoke($inputs, $output)
            Wait-Until { $output.Count -ge 3 -or $async.IsCompleted } -Because 'the first three results'
            $output.Count | Should -BeGreaterOrEqual 3 -Because 'the cmdlet writes from its async steps while it runs'
            Stop-Pipeline $ps
            $async.IsCompleted | Should -BeTrue
            $ps.InvocationStateInfo.State | Should -Be 'Stopped'
            # Stopped in the middle, not after the work had ended by itself.
            $output.Count | Should -BeLessThan 1500
            $ps.Streams.Error | Should -BeNullOrEmpty
            $err = $null
            try { $ps.EndInvoke($async) } catch { $err = $_ }
            $err.Exception.InnerException | Should -BeOfType ([System.Management.Automation.PipelineStoppedException])
        }
        finally { $ps.Dispose() }
    }

    It 'shows progress per app and says with -Verbose what it converts, from its async steps' {
        $r = Invoke-InRunspace "Test-KompoxApp '$Example' -Verbose -WarningAction SilentlyContinue"
        $r.Errors | Should -BeNullOrEmpty
        $r.Output[0].IsValid | Should -BeTrue
        $r.Progress.StatusDescription | Should -Contain 'Converting ops/k3s1/lab/gitea'
        $r.Progress[-1].RecordType | Should -Be 'Completed'
        ($r.Verbose -join "`n") | Should -Match 'Converting app ops/k3s1/lab/gitea \(driver k3s\)'
    }
}

Describe 'A compose app converts as docker compose up would run it' {
    BeforeAll {
        $project = Join-Path $TestDrive 'shop'
        $null = New-Item -ItemType Directory (Join-Path $project 'db/init')
        Set-Content (Join-Path $project 'db/init/01.sql') 'create table t (x int);'
        Set-Content (Join-Path $project 'nginx.conf') 'events {}'
        Set-Content (Join-Path $TestDrive 'outside.env') 'TOKEN=marker-from-outside'
        (Get-Content $Example -Raw) -replace 'name: gitea', 'name: shop' | Set-Content (Join-Path $project 'kompoxops.yml')
        function Set-Compose([string] $Text) { Set-Content (Join-Path $project 'compose.yml') $Text }
        $config = Join-Path $project 'kompoxops.yml'
    }

    It 'keeps files apart on the disk, carries a bound file, keeps loopback ports internal and never copies the operator''s environment' {
        Set-Compose @'
services:
  web:
    image: nginx:1.27
    ports: ["80:80", "127.0.0.1:8081:8081"]
    volumes: ["./nginx.conf:/etc/nginx/nginx.conf:ro"]
    environment:
      PATH: ${KOMPOX_TEST_UNSET_VARIABLE}
  db:
    image: postgres:17
    volumes: ["db:/var/lib/postgresql/data", "./db/init:/docker-entrypoint-initdb.d:ro"]
volumes:
  db:
'@
        $yaml = ConvertTo-KompoxManifest -Path $config -DiskId shop-disk-1 -WarningVariable warnings -WarningAction SilentlyContinue
        Assert-ManifestValid $yaml
        $yaml | Should -Match 'subPath: volumes/db'
        $yaml | Should -Match 'subPath: binds/db/init'
        $yaml | Should -Match '(?m)^  name: shop-file-[0-9a-z]{6}$'
        $yaml | Should -Match 'type: RuntimeDefault'
        $yaml | Should -Not -Match 'shop-8081'
        $yaml | Should -Match '(?m)^  PATH: ""$'
        ($warnings -join "`n") | Should -Match 'KOMPOX_TEST_UNSET_VARIABLE" variable is not set'
        ($warnings -join "`n") | Should -Match 'loopback'
    }

    It 'refuses an env_file outside the project directory without echoing it' {
        Set-Compose "services:`n  web:`n    image: nginx:1.27`n    env_file: ../outside.env`n"
        $result = Test-KompoxApp -Path $config
        $result.IsValid | Should -BeFalse
        $result.Errors.Key | Should -Be 'services.web.env_file'
        ($result.Errors.Message -join "`n") | Should -Not -Match 'marker-from-outside'
    }

    It 'refuses an unknown key with what it probably meant' {
        Set-Compose "services:`n  web:`n    image: nginx:1.27`n    enviroment:`n      A: b`n"
        $result = Test-KompoxApp -Path $config
        $result.Errors.Key | Should -Be 'services.web.enviroment'
        $result.Errors.Message | Should -Match 'did you mean environment'
    }
}
