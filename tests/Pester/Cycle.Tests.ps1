# The whole life of an app through the module, as a user runs it: the cluster ingress, deploy, status, logs, the user's
# credential with the machine's kubectl, a redeploy that changes nothing, another holder's lease, destroy, and a deploy
# that comes back on the same disk. Against the API test server, or, when KOMPOX_TEST_KUBECONFIG is set, against that
# real cluster (context KOMPOX_TEST_CONTEXT, else its current one; a K3s cluster run on the host these tests run on,
# with K3S_DATA_ROOT from KOMPOX_TEST_K3S_DATA_ROOT, since the disk is a directory on the node).
BeforeAll {
    Import-Module $env:KOMPOX_TEST_MODULE -Force
    Import-Module (Join-Path $PSScriptRoot 'TestCluster.psm1') -Force

    $Real = [bool]$env:KOMPOX_TEST_KUBECONFIG
    $KubectlHome = (New-Item -ItemType Directory (Join-Path $TestDrive 'home')).FullName
    if ($Real) {
        $Kubeconfig = $env:KOMPOX_TEST_KUBECONFIG
        $Context = $env:KOMPOX_TEST_CONTEXT
        if (-not $Context) { $Context = (Invoke-Kubectl $Kubeconfig $KubectlHome config current-context).Output.Trim() }
        $DataRoot = $env:KOMPOX_TEST_K3S_DATA_ROOT
        if (-not $DataRoot) { throw 'KOMPOX_TEST_K3S_DATA_ROOT names the K3S_DATA_ROOT on the node for the real cluster run' }
        $Timeout = 900
    }
    else {
        $Server = Start-KompoxTestServer
        $Kubeconfig = $Server.WriteKubeconfig((Join-Path $TestDrive 'admin.kubeconfig'))
        $Context = 'kompox-test'
        $DataRoot = (New-Item -ItemType Directory (Join-Path $TestDrive 'data')).FullName
        # The test server rolls out at once: this only turns a hang into a failure, far above what a deploy takes.
        $Timeout = 300
    }

    # A name of its own, so that a run on a shared cluster meets no other app.
    $AppName = 'cycle-' + -join ((1..6) | ForEach-Object { [char](Get-Random -Minimum 97 -Maximum 123) })
    $Config = New-KompoxTestConfig -Directory (Join-Path $TestDrive 'app') -Kubeconfig $Kubeconfig -Context $Context -DataRoot $DataRoot -AppName $AppName

    # kubectl as the cluster's administrator.
    function Invoke-AdminKubectl { Invoke-Kubectl $Kubeconfig $KubectlHome --context $Context @args }
}

AfterAll {
    if ($Namespace) {
        Remove-KompoxApp -Path $Config -Confirm:$false -ErrorAction SilentlyContinue | Out-Null
        if ($Real) { Invoke-AdminKubectl delete namespace $Namespace --wait=false | Out-Null }
    }
    if ($Server) { $Server.DisposeAsync().AsTask().GetAwaiter().GetResult() }
}

Describe 'An app from deploy to destroy and back' {
    It 'installs the cluster ingress' {
        $cluster = Import-KompoxConfig $Config | Initialize-KompoxCluster -Confirm:$false
        $cluster.IngressInstalled | Should -BeTrue
    }

    It 'deploys the app on a first disk and waits until it is ready' {
        $status = Import-KompoxConfig $Config | New-KompoxApp -Timeout $Timeout -WarningAction SilentlyContinue
        $status | Should -BeOfType 'Kompox.PowerShell.KompoxAppStatus'
        $status.Deployed | Should -BeTrue
        $status.Ready | Should -BeTrue
        $status.CurrentDiskId | Should -Not -BeNullOrEmpty
        Test-Path (Join-Path $DataRoot "disks/$($status.CurrentDiskId)") -PathType Container | Should -BeTrue
        $script:Namespace = $status.Namespace
        $script:DiskId = $status.CurrentDiskId
        $script:PodName = $status.PodName
    }

    It 'shows the status: the Pod, each service''s container and the URLs' {
        $status = Get-KompoxApp -Path $Config
        $status.PodPhase | Should -Be 'Running'
        @($status.Containers.Name | Sort-Object) | Should -Be @('db', 'server')
        $status.Containers | ForEach-Object { $_.State | Should -Be 'Running' }
        $status.Urls | Should -Contain "https://$AppName.lab.apps.example.com"
        $status.Urls | Should -Contain "https://$AppName.example.org"
        (Get-KompoxCluster -Path $Config).Apps.AppId | Should -Contain "ops/k3s1/lab/$AppName"
    }

    It 'reads the logs of one service' {
        if (-not $Real) { $Server.AppendLog($Namespace, $PodName, 'server', 'Starting new Web server: tcp:0.0.0.0:3000', $false, $null) }
        $lines = @(Get-KompoxAppLog -Path $Config -Service server -Tail 20)
        $lines | Should -Not -BeNullOrEmpty
        $lines | ForEach-Object { $_.Service | Should -Be 'server' }
        if (-not $Real) { $lines[-1].Message | Should -Be 'Starting new Web server: tcp:0.0.0.0:3000' }
    }

    It 'gives a kubeconfig with which kubectl sees the app''s Pod and its logs and may change nothing' {
        $file = Join-Path $TestDrive 'user.kubeconfig'
        $credential = Get-KompoxAppCredential -Path $Config -OutFile $file -Duration 0:30:00
        $credential.Namespace | Should -Be $Namespace

        $pods = Invoke-Kubectl $file $KubectlHome get pods -o name
        $pods.ExitCode | Should -Be 0 -Because $pods.Output
        $pods.Output | Should -Match ([regex]::Escape("pod/$PodName"))
        $logs = Invoke-Kubectl $file $KubectlHome logs $PodName -c server --tail 5
        $logs.ExitCode | Should -Be 0 -Because $logs.Output
        (Invoke-Kubectl $file $KubectlHome auth can-i create pods --subresource exec).Output.Trim() | Should -Be 'yes'
        (Invoke-Kubectl $file $KubectlHome auth can-i delete pods).Output.Trim() | Should -Be 'no'
        (Invoke-Kubectl $file $KubectlHome auth can-i get secrets).Output.Trim() | Should -Be 'no'
        (Invoke-Kubectl $file $KubectlHome auth can-i patch deployments).Output.Trim() | Should -Be 'no'
        (Invoke-Kubectl $file $KubectlHome auth can-i list pods --namespace default).Output.Trim() | Should -Be 'no'
    }

    It 'changes nothing when deployed again unchanged' {
        $generation = (Invoke-AdminKubectl get deployments -n $Namespace -o 'jsonpath={.items[0].metadata.generation}').Output
        if (-not $Real) { $Server.ClearRequests() }

        $status = New-KompoxApp -Path $Config -Timeout $Timeout -Confirm:$false -WarningAction SilentlyContinue

        $status.CurrentDiskId | Should -Be $DiskId
        $status.PodName | Should -Be $PodName
        (Invoke-AdminKubectl get deployments -n $Namespace -o 'jsonpath={.items[0].metadata.generation}').Output | Should -Be $generation
        if (-not $Real) { @($Server.Requests | Where-Object { $_.Changed -and $_.Path -notmatch '/leases' }) | Should -BeNullOrEmpty }
    }

    It 'refuses to deploy while another holder has the app''s lease, naming it, and deploys once it is free' {
        # Held for an hour: the deploy below meets it held however long kubectl and the steps between take.
        $now = [DateTime]::UtcNow.ToString('yyyy-MM-ddTHH:mm:ss.ffffffZ', [cultureinfo]::InvariantCulture)
        $lease = Join-Path $TestDrive 'lease.yaml'
        Set-Content $lease @"
apiVersion: coordination.k8s.io/v1
kind: Lease
metadata:
  name: kompox-app-lock
  namespace: $Namespace
spec:
  holderIdentity: runbook-worker/4242/cafe0001
  leaseDurationSeconds: 3600
  acquireTime: '$now'
  renewTime: '$now'
"@
        $held = Invoke-AdminKubectl apply --server-side --force-conflicts --field-manager runbook -f $lease
        $held.ExitCode | Should -Be 0 -Because $held.Output

        New-KompoxApp -Path $Config -Confirm:$false -WarningAction SilentlyContinue -ErrorVariable err -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        $err[0].FullyQualifiedErrorId | Should -BeLike 'AppLocked,*'
        $err[0].Exception.Message | Should -Match 'runbook-worker/4242/cafe0001'
        $err[0].Exception.Message | Should -Not -Match '-Wait' -Because 'the engine names no parameter'
        $err[0].ErrorDetails.RecommendedAction | Should -Match '^Add -Wait to wait'
        "$($err[0])" | Should -Match 'runbook-worker/4242/cafe0001 .*; add -Wait to wait'

        (Invoke-AdminKubectl delete lease kompox-app-lock -n $Namespace).ExitCode | Should -Be 0
        (New-KompoxApp -Path $Config -Timeout $Timeout -Confirm:$false -WarningAction SilentlyContinue).Ready | Should -BeTrue
    }

    It 'removes every object of the app and keeps its namespace, disk state and disk' {
        $removal = Remove-KompoxApp -Path $Config -Confirm:$false -PassThru
        $removal.WasDeployed | Should -BeTrue
        foreach ($kind in 'Deployment', 'Service', 'Ingress', 'PersistentVolumeClaim', 'PersistentVolume', 'Role', 'RoleBinding', 'ServiceAccount') {
            $removal.Deleted | Where-Object { $_ -like "$kind *" } | Should -Not -BeNullOrEmpty -Because "its $kind is deleted"
        }

        $left = (Invoke-AdminKubectl get 'deployments,services,ingresses,persistentvolumeclaims,configmaps,secrets' -n $Namespace -l "kompox.dev/app-id" -o name).Output
        $left.Trim() | Should -BeNullOrEmpty
        $annotation = (Invoke-AdminKubectl get namespace $Namespace -o 'jsonpath={.metadata.annotations.kompox\.dev/disk-current-id}').Output
        $annotation.Trim() | Should -Be $DiskId
        Test-Path (Join-Path $DataRoot "disks/$DiskId") -PathType Container | Should -BeTrue

        $status = Get-KompoxApp -Path $Config
        $status.Deployed | Should -BeFalse
        $status.CurrentDiskId | Should -Be $DiskId
    }

    It 'comes back on the same disk when deployed again' {
        $status = New-KompoxApp -Path $Config -Timeout $Timeout -Confirm:$false -WarningAction SilentlyContinue
        $status.Ready | Should -BeTrue
        $status.CurrentDiskId | Should -Be $DiskId
        @(Get-ChildItem (Join-Path $DataRoot 'disks') -Directory) | Should -HaveCount 1
    }
}

Describe 'The golden apps on k3s' -Skip:([bool]$env:KOMPOX_TEST_KUBECONFIG) {
    BeforeDiscovery {
        $golden = Get-ChildItem (Join-Path $PSScriptRoot '../data/apps') -Directory |
            Where-Object { (Get-Content (Join-Path $_.FullName 'kompoxops.yml') -Raw) -match 'driver: k3s' } |
            ForEach-Object { @{ Name = $_.Name; Source = $_.FullName } }
    }

    It 'deploys <Name> through the module and destroys it, leaving only its namespace and disk' -ForEach $golden {
        $dir = (New-Item -ItemType Directory (Join-Path $TestDrive "golden-$Name")).FullName
        Copy-Item (Join-Path $Source '*') $dir -Force   # with .env
        $file = Join-Path $dir 'kompoxops.yml'
        (Get-Content $file -Raw).
            Replace('    context: lab', "    kubeconfig: '$Kubeconfig'`n    context: kompox-test").
            Replace('K3S_NODE_NAME: node1', "K3S_NODE_NAME: $($Server.NodeName)`n    K3S_DATA_ROOT: '$DataRoot'") | Set-Content $file

        $status = New-KompoxApp -Path $file -Timeout $Timeout -Confirm:$false -WarningAction SilentlyContinue
        $status.Ready | Should -BeTrue
        $removal = Remove-KompoxApp -Path $file -Confirm:$false -PassThru
        $removal.Deleted.Count | Should -BeGreaterThan 5

        $left = @($Server.PeekAll('pods', $status.Namespace)) + @($Server.PeekAll('deployments', $status.Namespace)) + @($Server.PeekAll('services', $status.Namespace))
        $left | Should -BeNullOrEmpty
        $Server.Peek('namespaces', $null, $status.Namespace) | Should -Not -BeNullOrEmpty
        Test-Path (Join-Path $DataRoot "disks/$($status.CurrentDiskId)") -PathType Container | Should -BeTrue
    }
}
