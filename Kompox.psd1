@{
    RootModule           = 'Kompox.Cmdlets.dll'
    ModuleVersion        = '0.1.0'
    CompatiblePSEditions = @('Core')
    GUID                 = '5b0f3e7c-2f4d-4c8e-9a51-6f1f5d7c4a20'
    Author               = 'Kompox contributors'
    CompanyName          = 'Kompox'
    Copyright            = '(c) Kompox contributors. MIT License.'
    Description          = 'Runs Docker Compose apps on Kubernetes as one Pod with one data disk each, behind a shared Traefik ingress, with disks and snapshots as first-class, data-safe operations.'
    PowerShellVersion    = '7.4'
    FormatsToProcess     = @('Kompox.Format.ps1xml')
    CmdletsToExport      = @(
        'Connect-KompoxService'
        'ConvertTo-KompoxManifest'
        'Disconnect-KompoxService'
        'Export-KompoxDisk'
        'Export-KompoxSnapshot'
        'Get-KompoxApp'
        'Get-KompoxAppCredential'
        'Get-KompoxAppLog'
        'Get-KompoxCluster'
        'Get-KompoxDisk'
        'Get-KompoxProvider'
        'Get-KompoxSnapshot'
        'Get-KompoxSnapshotPolicy'
        'Get-KompoxUser'
        'Import-KompoxConfig'
        'Import-KompoxDisk'
        'Initialize-KompoxCluster'
        'Invoke-KompoxAppCommand'
        'Invoke-KompoxSnapshotPolicy'
        'Move-KompoxApp'
        'New-KompoxApp'
        'New-KompoxCluster'
        'New-KompoxConfig'
        'New-KompoxDisk'
        'New-KompoxProvider'
        'New-KompoxSnapshot'
        'New-KompoxUser'
        'Remove-KompoxApp'
        'Remove-KompoxCluster'
        'Remove-KompoxDisk'
        'Remove-KompoxProvider'
        'Remove-KompoxSnapshot'
        'Remove-KompoxUser'
        'Restart-KompoxApp'
        'Restore-KompoxSnapshot'
        'Set-KompoxCluster'
        'Set-KompoxProvider'
        'Set-KompoxSnapshot'
        'Set-KompoxUser'
        'Start-KompoxPortForward'
        'Start-KompoxService'
        'Stop-KompoxService'
        'Switch-KompoxDisk'
        'Test-KompoxApp'
    )
    FunctionsToExport    = @()
    AliasesToExport      = @()
    VariablesToExport    = @()
    PrivateData          = @{
        PSData = @{
            Tags       = @('Kubernetes', 'DockerCompose', 'PaaS', 'AKS', 'K3s', 'Traefik')
            ProjectUri = 'https://kompox.dev'
        }
    }
}
