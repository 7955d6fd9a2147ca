@{
    RootModule           = 'GatewayApiKeys.psm1'
    ModuleVersion        = '0.1.0'
    GUID                 = '862663f0-1ccc-4d80-a74f-6f529f51c044'
    Author               = 'gateway-apikeys'
    CompanyName          = 'gateway-apikeys'
    Copyright            = '(c) gateway-apikeys. All rights reserved.'
    Description          = 'Manage the API keys of the on-premises integration gateway: list, create, edit, view, copy, verify, rotate with a grace period, disable and delete keys held by the gateway-apikeys daemon, back them up and restore them, see which connectors use them, and provision them with DSC.'
    PowerShellVersion    = '5.1'
    CompatiblePSEditions = @('Desktop', 'Core')
    FormatsToProcess     = @('GatewayApiKeys.format.ps1xml')
    FunctionsToExport    = @(
        'Backup-GatewayApiKeyVault'
        'Connect-GatewayApiKeyService'
        'Copy-GatewayApiKey'
        'Disable-GatewayApiKey'
        'Disconnect-GatewayApiKeyService'
        'Enable-GatewayApiKey'
        'Get-GatewayApiKey'
        'Get-GatewayApiKeyAuditLog'
        'Get-GatewayApiKeyServiceStatus'
        'Get-GatewayApiKeyUsage'
        'New-GatewayApiKey'
        'Remove-GatewayApiKey'
        'Reset-GatewayApiKey'
        'Restore-GatewayApiKeyVault'
        'Set-GatewayApiKey'
        'Show-GatewayApiKey'
        'Stop-GatewayApiKeyService'
        'Test-GatewayApiKey'
        'Test-GatewayApiKeyAuditLog'
        'Test-GatewayApiKeyBackup'
    )
    CmdletsToExport      = @()
    AliasesToExport      = @()
    VariablesToExport    = @()
    DscResourcesToExport = @('GatewayApiKey')
    PrivateData          = @{
        PSData = @{
            Tags = @('ApiKey', 'Gateway', 'Secrets', 'DSC', 'Windows', 'Linux', 'PSEdition_Desktop', 'PSEdition_Core')
        }
    }
}
