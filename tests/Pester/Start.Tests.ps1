# The main job of build.ps1 -Task Start, run as that task runs it (a child pwsh), its output redirected as in a CI log.
BeforeAll {
    $Root = (Resolve-Path "$PSScriptRoot/../..").Path
}

Describe 'examples/Start-Example.ps1' {
    It 'starts the service, deploys the example through it in client mode, says how to reach it, and writes no colour codes into redirected output' {
        # build.ps1 sets NO_COLOR for its children when redirected; without it, the script must see to it itself.
        $saved = $env:NO_COLOR
        $env:NO_COLOR = $null
        try {
            $output = & dotnet pwsh -NoLogo -NoProfile -NonInteractive -File (Join-Path $Root 'examples/Start-Example.ps1') -ModulePath $env:KOMPOX_TEST_MODULE -TestingAssemblyPath $env:KOMPOX_TEST_TESTING_ASSEMBLY -Once 2>&1
        }
        finally { $env:NO_COLOR = $saved }
        $text = $output -join "`n"
        $LASTEXITCODE | Should -Be 0 -Because $text
        $text | Should -Match '(?m)^Uri\s+: http://127\.0\.0\.1:\d+/$'
        $text | Should -Match 'OpenAPI:\s+http://127\.0\.0\.1:\d+/openapi/v1\.json'
        $text | Should -Match "curl -H 'Authorization: Bearer kpx_[A-Za-z0-9_-]{43}' http://127\.0\.0\.1:\d+/v1/apps"
        $text | Should -Match 'Connect-KompoxService -Uri http://127\.0\.0\.1:\d+/ -Token kpx_'
        $text | Should -Match '\[simulator\] db \(postgres' -Because 'the logs come back through the REST API'
        $text | Should -Match '(?m)^App\s+Ready\s+Pod\s+Urls\s*$' -Because 'the deployed app is shown as a table'
        $text | Should -Not -Match "`e\[" -Because 'a file or a pipe gets no colour codes'
    }
}
