function Enable-GatewayApiKey {
    <#
    .SYNOPSIS
    Enables disabled API keys: they authenticate again at once.

    .DESCRIPTION
    Undoes Disable-GatewayApiKey. From the moment the command returns the key's value works again
    (unless it has expired), and so does a previous value still in its grace. A key already
    enabled stays as it is.

    .PARAMETER Name
    The keys to enable. Accepts pipeline input, by value and by property name.

    .PARAMETER PassThru
    Outputs each key as enabled.

    .EXAMPLE
    Enable-GatewayApiKey -Name 'Orders connector'

    .EXAMPLE
    Get-GatewayApiKey -Status Disabled | Enable-GatewayApiKey -PassThru

    Enables every disabled key and shows them with their status.

    .INPUTS
    System.String: names; or any object with a Name property (GatewayApiKeys.ApiKey).

    .OUTPUTS
    None, or GatewayApiKeys.ApiKey with -PassThru.

    .LINK
    Disable-GatewayApiKey

    .LINK
    about_GatewayApiKeys
    #>
    [CmdletBinding(SupportsShouldProcess, ConfirmImpact = 'Medium')]
    [OutputType('GatewayApiKeys.ApiKey')]
    param(
        [Parameter(Mandatory, Position = 0, ValueFromPipeline, ValueFromPipelineByPropertyName)]
        [AllowEmptyString()]
        [string[]] $Name,

        [switch] $PassThru
    )
    begin {
        $ErrorActionPreference, $WarningPreference, $InformationPreference, $VerbosePreference, $DebugPreference,
            $ConfirmPreference, $WhatIfPreference, $ProgressPreference = $script:GatewayCallerPreference::Of($PSCmdlet, $ExecutionContext.SessionState)   # Private/GatewayPreferences.ps1
    }
    process {
        foreach ($one in $Name) {
            $problem = Get-GatewayNameProblem -Name $one
            if ($null -ne $problem) {
                Write-GatewayError -Cmdlet $PSCmdlet -ErrorRecord $problem
                continue
            }
            if (-not (Confirm-GatewayChange -Cmdlet $PSCmdlet -Target $one -Action 'Enable API key')) { continue }
            try {
                $enabled = Invoke-GatewayRpc -Method 'apiKey.enable' -Params @{ name = $one }
            } catch {
                Write-GatewayError -Cmdlet $PSCmdlet -ErrorRecord $_
                continue
            }
            if ($PassThru) { ConvertTo-GatewayApiKeyObject $enabled }
        }
    }
}
