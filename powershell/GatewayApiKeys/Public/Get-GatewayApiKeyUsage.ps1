function Get-GatewayApiKeyUsage {
    <#
    .SYNOPSIS
    Gets which connectors use API keys: first and last use, and how often.

    .DESCRIPTION
    For each connectorId that authenticated with the key (the gateway passes it along), one object
    with its first and last use and the number of uses, the most recent first; the daemon keeps the
    64 most recently seen per key. Uses that gave no connectorId come last, as one object whose
    ConnectorId is $null. A key never used gives one object too, with a Count of 0 and no
    ConnectorId or dates, shown as "(never used)": so every key piped in has its answer, and
    Where-Object Count -EQ 0 finds the keys nothing uses. Uses of a previous value in its grace
    (Reset-GatewayApiKey) count too; Test-GatewayApiKey records none.

    What to know before removing, disabling or resetting a key: who will have to change.

    .PARAMETER Name
    The keys. Accepts pipeline input, by value and by property name, so Get-GatewayApiKey pipes
    into it.

    .EXAMPLE
    Get-GatewayApiKeyUsage -Name 'Orders connector'

    Name             ConnectorId  FirstUsed        LastUsed         Count
    ----             -----------  ---------        --------         -----
    Orders connector nac-orders   2026-11-27 09:14 2026-11-30 08:02  1204
    Orders connector (none)                                             3

    .EXAMPLE
    Get-GatewayApiKey -Name 'Orders*' | Get-GatewayApiKeyUsage | Where-Object LastUsed -GT (Get-Date).AddDays(-1)

    The connectors that used any Orders key within the last day.

    .EXAMPLE
    Get-GatewayApiKey | Get-GatewayApiKeyUsage | Where-Object Count -EQ 0

    Name             ConnectorId  FirstUsed        LastUsed         Count
    ----             -----------  ---------        --------         -----
    Billing sandbox  (never used)                                       0

    The keys that were never used; piped on to Remove-GatewayApiKey, they go.

    .INPUTS
    System.String: names; or any object with a Name property (GatewayApiKeys.ApiKey).

    .OUTPUTS
    GatewayApiKeys.ConnectorUsage: Name, ConnectorId, FirstUsed and LastUsed [Nullable[datetime]], Count
    (0 for a key never used).

    .LINK
    about_GatewayApiKeys
    #>
    [CmdletBinding()]
    [OutputType('GatewayApiKeys.ConnectorUsage')]
    param(
        [Parameter(Mandatory, Position = 0, ValueFromPipeline, ValueFromPipelineByPropertyName)]
        [AllowEmptyString()]
        [string[]] $Name
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
            try {
                $usage = Invoke-GatewayRpc -Method 'apiKey.usage' -Params @{ name = $one }
            } catch {
                Write-GatewayError -Cmdlet $PSCmdlet -ErrorRecord $_
                continue
            }
            foreach ($connector in @($usage.connectors)) {
                [pscustomobject]@{
                    PSTypeName  = 'GatewayApiKeys.ConnectorUsage'
                    Name        = $usage.name
                    ConnectorId = $connector.connectorId
                    FirstUsed   = [Nullable[datetime]](([datetime]$connector.firstUsedAt).ToLocalTime())
                    LastUsed    = [Nullable[datetime]](([datetime]$connector.lastUsedAt).ToLocalTime())
                    Count       = [long]$connector.count
                }
            }
            # The uses without a connectorId; for a key never used, the one object that says so (Count 0),
            # as the CLI says "was never used" where a pipeline would otherwise get nothing at all.
            if ($usage.unattributedCount -gt 0 -or @($usage.connectors).Count -eq 0) {
                [pscustomobject]@{
                    PSTypeName  = 'GatewayApiKeys.ConnectorUsage'
                    Name        = $usage.name
                    ConnectorId = $null
                    FirstUsed   = $null
                    LastUsed    = $null
                    Count       = [long]$usage.unattributedCount
                }
            }
        }
    }
}
