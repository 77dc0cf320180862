@{
    RootModule        = 'FloorModule.dll'
    ModuleVersion     = '1.0.0'
    GUID              = '0d6f1c9e-7a53-4b2e-8f6a-3c1b2a9d4e70'
    PowerShellVersion = '7.4'
    CmdletsToExport   = @('Read-FloorFile')
    FunctionsToExport = @()
    AliasesToExport   = @()
    VariablesToExport = @()
}
