function Remove-GatewayApiKey {
    <#
    .SYNOPSIS
    Deletes API keys, irreversibly.

    .DESCRIPTION
    From the moment the delete returns, the key fails authentication and nothing can show or
    restore it. Asks for confirmation of each key (ConfirmImpact High), saying what uses it ("used
    by 3 connectors, last 2 hours ago", or "never used"), unless -Force or -Confirm:$false is
    given. Names are exact; to delete by pattern or status, pipe Get-GatewayApiKey into it. To stop
    a key for a while, Disable-GatewayApiKey keeps it; to change its value without downtime,
    Reset-GatewayApiKey.

    .PARAMETER Name
    The keys to delete. Accepts pipeline input, by value and by property name.

    .PARAMETER Force
    Deletes without asking.

    .EXAMPLE
    Remove-GatewayApiKey -Name 'Orders connector'

    Deletes the key after asking for confirmation.

    .EXAMPLE
    Get-GatewayApiKey -Status Expired | Remove-GatewayApiKey -Force

    Deletes every expired key without asking.

    .EXAMPLE
    Get-GatewayApiKey -Name 'Test*' | Remove-GatewayApiKey -WhatIf

    Shows which keys would be deleted, and deletes none.

    .INPUTS
    System.String: names; or any object with a Name property (GatewayApiKeys.ApiKey).

    .OUTPUTS
    None.

    .LINK
    about_GatewayApiKeys
    #>
    [CmdletBinding(SupportsShouldProcess, ConfirmImpact = 'High')]
    [OutputType([void])]
    param(
        [Parameter(Mandatory, Position = 0, ValueFromPipeline, ValueFromPipelineByPropertyName)]
        [AllowEmptyString()]
        [string[]] $Name,

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
            if (-not (Confirm-GatewayChange -Cmdlet $PSCmdlet -Target $one -Action (Get-GatewayChangeDescription -Action 'Delete API key (irreversible' -Name $one -WithImpact $showImpact))) { continue }
            try {
                $null = Invoke-GatewayRpc -Method 'apiKey.delete' -Params @{ name = $one }
            } catch {
                Write-GatewayError -Cmdlet $PSCmdlet -ErrorRecord $_
            }
        }
    }
}
