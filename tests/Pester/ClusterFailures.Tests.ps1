# How Initialize-KompoxCluster and Get-KompoxCluster fail: a kubeconfig that cannot be used, a token the cluster refuses
# the action to (403), a server whose certificate the kubeconfig does not trust, and Ctrl+C while the server does not answer.
BeforeAll {
    Import-Module $env:KOMPOX_TEST_MODULE -Force

    Import-Module (Join-Path $PSScriptRoot 'TestRunspace.psm1') -Force
    Import-Module (Join-Path $PSScriptRoot 'TestCluster.psm1') -Force
    $Server = Start-KompoxTestServer
    $ServerUrl = $Server.BaseUri.GetLeftPart([System.UriPartial]::Authority)
    $Kubeconfig = $Server.WriteKubeconfig((Join-Path $TestDrive 'admin.kubeconfig'))
    $Dir = Join-Path $TestDrive 'gitea'

    # The gitea example's kompoxops.yml, with its cluster reached through another kubeconfig.
    function New-ClusterConfig([string] $Name, [string] $KubeconfigPath) {
        New-KompoxTestConfig -Directory $Dir -Kubeconfig $KubeconfigPath -NodeName lab-node1 -Name "$Name.yml" -ClusterName $Name.ToLowerInvariant()
    }

    # Runs a cluster cmdlet in its own runspace, stops it once it waits for the server's answer, and says how it ended.
    function Stop-WhileWaiting([string] $Command, [string] $Config, [System.Net.Sockets.TcpListener] $Listener) {
        $iss = [System.Management.Automation.Runspaces.InitialSessionState]::CreateDefault2()
        $iss.ImportPSModule($env:KOMPOX_TEST_MODULE)
        $ps = [powershell]::Create($iss)
        $client = $null
        try {
            $null = $ps.AddCommand($Command).AddParameter('Path', $Config)
            if ($Command -eq 'Initialize-KompoxCluster') { $null = $ps.AddParameter('Confirm', $false) }
            $handle = $ps.BeginInvoke()
            $accepting = $Listener.AcceptTcpClientAsync()
            $accepting.Wait([TimeSpan]::FromSeconds(60)) | Should -BeTrue -Because 'the cmdlet connects to the server'
            $client = $accepting.Result
            # The first byte of its TLS hello: from then on it waits for an answer that never comes.
            $reading = $client.GetStream().ReadAsync([byte[]]::new(1), 0, 1)
            $reading.Wait([TimeSpan]::FromSeconds(60)) | Should -BeTrue -Because 'the cmdlet sends its TLS hello'
            $ps.InvocationStateInfo.State | Should -Be 'Running'
            # Unanswered, the request would end by itself only at the HTTP client's timeout (100 s), beyond the bound of the stop.
            Stop-Pipeline $ps
            [pscustomobject]@{
                Completed = $handle.IsCompleted
                State     = $ps.InvocationStateInfo.State
                Reason    = $ps.InvocationStateInfo.Reason
                Errors    = @($ps.Streams.Error)
            }
        }
        finally {
            if ($client) { $client.Dispose() }
            $ps.Dispose()
        }
    }
}

AfterAll {
    if ($Server) { $Server.DisposeAsync().AsTask().GetAwaiter().GetResult() }
}

Describe 'Cluster cmdlets when the cluster refuses or does not answer' {
    It 'reports a <Case> kubeconfig for its cluster only, naming the file, and goes on to the next' -ForEach @(
        @{ Case = 'truncated'; Says = 'cannot be read as a kubeconfig: line \d+, column \d+: YAML syntax error' }
        @{ Case = 'binary'; Says = 'cannot be read as a kubeconfig: the file is binary' }
        @{ Case = 'client-key-less'; Says = 'the client-key file .*admin\.key of user ''kompox-test'' of context ''kompox-test'' does not exist' }
    ) {
        $broken = Join-Path $TestDrive "$Case/admin.kubeconfig"
        $null = New-Item -ItemType Directory -Force (Split-Path $broken)
        $text = Get-Content $Kubeconfig -Raw
        switch ($Case) {
            # Cut inside the context's flow mapping, as an interrupted copy leaves a file.
            'truncated' { Set-Content $broken $text.Substring(0, $text.IndexOf('context: {') + 'context: {cluster: kompox'.Length) -NoNewline }
            'binary' { [System.IO.File]::WriteAllBytes($broken, [byte[]](0x7F, 0x45, 0x4C, 0x46, 0x02, 0x01, 0x01, 0x00, 0x00, 0x00)) }
            'client-key-less' {
                # A client certificate next to the kubeconfig, and the key it names not there.
                $key = [System.Security.Cryptography.ECDsa]::Create()
                $request = [System.Security.Cryptography.X509Certificates.CertificateRequest]::new('CN=admin', $key, 'SHA256')
                Set-Content (Join-Path (Split-Path $broken) 'admin.crt') $request.CreateSelfSigned([DateTimeOffset]::UtcNow.AddDays(-1), [DateTimeOffset]::UtcNow.AddDays(1)).ExportCertificatePem()
                Set-Content $broken ($text -replace 'token: .*', "client-certificate: admin.crt`n    client-key: admin.key")
            }
        }
        $configs = (New-ClusterConfig "before-$Case" $Kubeconfig), (New-ClusterConfig $Case $broken), (New-ClusterConfig "after-$Case" $Kubeconfig)

        $status = $configs | Get-KompoxCluster -ErrorVariable err -ErrorAction SilentlyContinue

        $status | Should -HaveCount 2
        $status.Server | Should -Be $ServerUrl, $ServerUrl
        $err | Should -HaveCount 1
        $err[0].FullyQualifiedErrorId | Should -BeLike 'InvalidKubeconfig,*'
        $err[0].CategoryInfo.Category | Should -Be 'InvalidData'
        $err[0].Exception.Message | Should -BeLike "*kubeconfig $broken*"
        $err[0].Exception.Message | Should -Match $Says

        # The app cmdlets alike: one invocation serves the three apps, and the broken one fails alone.
        $apps = $configs | Get-KompoxApp -ErrorVariable appErr -ErrorAction SilentlyContinue
        $apps | Should -HaveCount 2
        $appErr | Should -HaveCount 1
        $appErr[0].FullyQualifiedErrorId | Should -BeLike 'InvalidKubeconfig,*'
        $appErr[0].Exception.Message | Should -BeLike "*kubeconfig $broken*"
    }

    It 'names the server and what was refused when the token may do nothing (403)' {
        $admin = @{ Authorization = "Bearer $($Server.AdminToken)" }
        $account = @{ apiVersion = 'v1'; kind = 'ServiceAccount'; metadata = @{ name = 'nobody'; namespace = 'default' } } | ConvertTo-Json
        $null = Invoke-RestMethod -Method Post -Uri "$ServerUrl/api/v1/namespaces/default/serviceaccounts" -Headers $admin -ContentType 'application/json' -Body $account -SkipCertificateCheck
        $request = @{ apiVersion = 'authentication.k8s.io/v1'; kind = 'TokenRequest'; spec = @{} } | ConvertTo-Json
        $token = (Invoke-RestMethod -Method Post -Uri "$ServerUrl/api/v1/namespaces/default/serviceaccounts/nobody/token" -Headers $admin -ContentType 'application/json' -Body $request -SkipCertificateCheck).status.token
        $config = New-ClusterConfig 'nobody' $Server.WriteKubeconfig((Join-Path $TestDrive 'nobody.kubeconfig'), $token, $null)

        Get-KompoxCluster -Path $config -ErrorVariable err -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        Initialize-KompoxCluster -Path $config -Confirm:$false -ErrorVariable initErr -ErrorAction SilentlyContinue | Should -BeNullOrEmpty

        foreach ($e in @($err) + @($initErr)) {
            $e.FullyQualifiedErrorId | Should -BeLike 'KubernetesForbidden,*'
            $e.CategoryInfo.Category | Should -Be 'PermissionDenied'
            $e.Exception.Message | Should -Match ([regex]::Escape("server $ServerUrl, context kompox-test"))
            $e.Exception.Message | Should -Match 'User "system:serviceaccount:default:nobody" cannot'
        }
        $err[0].Exception.Message | Should -Match 'GET /apis/apps/v1/namespaces/traefik/deployments/traefik answered 403: .*cannot get resource "deployments"'
        # Its first request looks for k3s's bundled Traefik, before anything is written.
        $initErr[0].Exception.Message | Should -Match 'GET /apis/apps/v1/namespaces/kube-system/deployments answered 403: .*cannot list resource "deployments"'
        $Server.Peek('namespaces', $null, 'traefik') | Should -BeNullOrEmpty
    }

    It 'says the server''s certificate is not trusted when the kubeconfig names another certificate authority' {
        $rsa = [System.Security.Cryptography.RSA]::Create(2048)
        $request = [System.Security.Cryptography.X509Certificates.CertificateRequest]::new('CN=another-ca', $rsa, 'SHA256', [System.Security.Cryptography.RSASignaturePadding]::Pkcs1)
        $request.CertificateExtensions.Add([System.Security.Cryptography.X509Certificates.X509BasicConstraintsExtension]::new($true, $false, 0, $true))
        $otherCa = $request.CreateSelfSigned([DateTimeOffset]::UtcNow.AddDays(-1), [DateTimeOffset]::UtcNow.AddDays(30))
        $otherCaData = [Convert]::ToBase64String([Text.Encoding]::UTF8.GetBytes($otherCa.ExportCertificatePem()))
        $ownCaData = [Convert]::ToBase64String([Text.Encoding]::UTF8.GetBytes([Kompox.Testing.KubeApi.KubeApiServer]::CertificatePem))
        $untrusting = Join-Path $TestDrive 'other-ca.kubeconfig'
        (Get-Content $Kubeconfig -Raw).Replace($ownCaData, $otherCaData) | Set-Content $untrusting
        (Get-Content $untrusting -Raw) | Should -Match ([regex]::Escape($otherCaData))
        $config = New-ClusterConfig 'other-ca' $untrusting
        $Server.ClearRequests()

        Get-KompoxCluster -Path $config -ErrorVariable err -ErrorAction SilentlyContinue | Should -BeNullOrEmpty

        $err | Should -HaveCount 1
        $err[0].FullyQualifiedErrorId | Should -BeLike 'TlsFailed,*'
        $err[0].CategoryInfo.Category | Should -Be 'AuthenticationError'
        $err[0].Exception.Message | Should -Match ([regex]::Escape("server $ServerUrl, context kompox-test"))
        $err[0].Exception.Message | Should -Match 'certificate is not trusted'
        $Server.Requests | Should -BeNullOrEmpty
    }

    It 'stops <_> promptly on Ctrl+C while the server does not answer, with no error record' -ForEach 'Get-KompoxCluster', 'Initialize-KompoxCluster' {
        $listener = [System.Net.Sockets.TcpListener]::new([System.Net.IPAddress]::Loopback, 0)
        $listener.Start()
        try {
            $port = $listener.LocalEndpoint.Port
            $silent = Join-Path $TestDrive "silent-$_.kubeconfig"
            (Get-Content $Kubeconfig -Raw).Replace($ServerUrl, "https://127.0.0.1:$port") | Set-Content $silent
            $config = New-ClusterConfig "silent-$_" $silent

            $r = Stop-WhileWaiting $_ $config $listener

            $r.Completed | Should -BeTrue
            $r.State | Should -Be 'Stopped'
            $r.Reason | Should -BeOfType [System.Management.Automation.PipelineStoppedException]
            $r.Errors | Should -BeNullOrEmpty
        }
        finally { $listener.Stop() }
    }
}
