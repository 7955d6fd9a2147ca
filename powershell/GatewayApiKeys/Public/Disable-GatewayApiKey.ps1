function Disable-GatewayApiKey {
    <#
    .SYNOPSIS
    Disables API keys: they fail authentication until enabled again.

    .DESCRIPTION
    For a key suspected of misuse, or a connector to stop for a while. From the moment the command
    returns, the key's value (and a previous value still in its grace after Reset-GatewayApiKey)
    fails authentication with the reason Disabled. The key keeps its value, expiry, usage and
    history; its Status is Disabled (gray) whatever its expiry, and Enable-GatewayApiKey makes it
    work again. A key already disabled stays as it is.

    Asks for confirmation of each key (ConfirmImpact High), saying what uses it ("used by 3
    connectors, last 2 hours ago"), unless -Force or -Confirm:$false is given.

    .PARAMETER Name
    The keys to disable. Accepts pipeline input, by value and by property name.

    .PARAMETER Reason
    Why: kept with the key (DisabledReason, until it is enabled) and in the audit trail; at most 200 characters. Accepts pipeline input by property name.

    .PARAMETER PassThru
    Outputs each key as disabled.

    .PARAMETER Force
    Disables without asking.

    .EXAMPLE
    Disable-GatewayApiKey -Name 'Orders connector' -Reason 'Seen from an unknown address'

    Asks first, saying what uses the key, then disables it.

    .EXAMPLE
    Get-GatewayApiKey -Name 'Test*' | Disable-GatewayApiKey -Force -PassThru

    Disables every key whose name starts with Test, without asking, and shows them.

    .INPUTS
    System.String: names; or any object with a Name property (GatewayApiKeys.ApiKey).

    .OUTPUTS
    None, or GatewayApiKeys.ApiKey with -PassThru.

    .LINK
    Enable-GatewayApiKey

    .LINK
    about_GatewayApiKeys
    #>
    [CmdletBinding(SupportsShouldProcess, ConfirmImpact = 'High')]
    [OutputType('GatewayApiKeys.ApiKey')]
    param(
        [Parameter(Mandatory, Position = 0, ValueFromPipeline, ValueFromPipelineByPropertyName)]
        [AllowEmptyString()]
        [string[]] $Name,

        [Parameter(ValueFromPipelineByPropertyName)]
        [AllowEmptyString()]
        [AllowNull()]
        [string] $Reason,

        [switch] $PassThru,

        [switch] $Force
    )
    begin {
        $ErrorActionPreference, $WarningPreference, $InformationPreference, $VerbosePreference, $DebugPreference,
            $ConfirmPreference, $WhatIfPreference, $ProgressPreference = $script:GatewayCallerPreference::Of($PSCmdlet, $ExecutionContext.SessionState)   # Private/GatewayPreferences.ps1
        if ($Force -and -not $PSBoundParameters.ContainsKey('Confirm')) { $ConfirmPreference = 'None' }
        $showImpact = Test-GatewayConfirmationShown -Impact High -ConfirmPreference $ConfirmPreference -WhatIfPreference $WhatIfPreference
    }
    process {
        foreach ($one in $Name) {
            $problem = Get-GatewayNameProblem -Name $one
            if ($null -ne $problem) {
                Write-GatewayError -Cmdlet $PSCmdlet -ErrorRecord $problem
                continue
            }
            if (-not (Confirm-GatewayChange -Cmdlet $PSCmdlet -Target $one -Action (Get-GatewayChangeDescription -Action 'Disable API key (connectors using it fail at once' -Name $one -WithImpact $showImpact))) { continue }
            $params = @{ name = $one }
            if (-not [string]::IsNullOrEmpty($Reason)) { $params.reason = $Reason }
            try {
                $disabled = Invoke-GatewayRpc -Method 'apiKey.disable' -Params $params
            } catch {
                Write-GatewayError -Cmdlet $PSCmdlet -ErrorRecord $_
                continue
            }
            if ($PassThru) { ConvertTo-GatewayApiKeyObject $disabled }
        }
    }
}
