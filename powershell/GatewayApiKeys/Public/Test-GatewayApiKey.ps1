function Test-GatewayApiKey {
    <#
    .SYNOPSIS
    Tells whether a key value is valid: $true or $false.

    .DESCRIPTION
    Asks the daemon whether the value belongs to a key that has not expired, exactly as the gateway
    would, but without recording a use. -Detailed returns why instead: the key's name, expiry and
    status (and PreviousValue when the value is the one a Reset-GatewayApiKey replaced, still in
    its grace), or the reason it was refused (Malformed: not a key value or a typo, Unknown: no
    such key, Expired, Disabled). The value is never shown or logged.

    .PARAMETER Key
    The value: a string, a SecureString, or an object with a Key property such as the output of
    New-GatewayApiKey. Accepts pipeline input.

    .PARAMETER Detailed
    Returns a result object instead of $true/$false.

    .EXAMPLE
    Test-GatewayApiKey -Key (Read-Host -AsSecureString -Prompt 'Key')

    True

    .EXAMPLE
    Get-Content .\billing.key | Test-GatewayApiKey -Detailed

    Authenticated Name            ExpiresOn  Status      Reason
    ------------- ----            ---------  ------      ------
             True Billing sandbox 2027-06-30 Active

    .INPUTS
    System.String or System.Security.SecureString: the value (Get-Content of a key file works, in
    every edition); or an object with a Key property (GatewayApiKeys.NewApiKey).

    .OUTPUTS
    System.Boolean, or GatewayApiKeys.KeyTestResult with -Detailed: Authenticated, Name, ExpiresOn,
    Status, Reason, PreviousValue.

    .LINK
    about_GatewayApiKeys
    #>
    [CmdletBinding()]
    [OutputType([bool])]
    [OutputType('GatewayApiKeys.KeyTestResult')]
    param(
        [Parameter(Mandatory, Position = 0, ValueFromPipeline)]
        [AllowEmptyString()]
        [object] $Key,

        [switch] $Detailed
    )
    begin {
        $ErrorActionPreference, $WarningPreference, $InformationPreference, $VerbosePreference, $DebugPreference,
            $ConfirmPreference, $WhatIfPreference, $ProgressPreference = $script:GatewayCallerPreference::Of($PSCmdlet, $ExecutionContext.SessionState)   # Private/GatewayPreferences.ps1
    }
    process {
        try {
            $verdict = Invoke-GatewayRpc -Method 'apiKey.verify' -Params @{ key = (ConvertTo-GatewayKeyValue $Key) }
        } catch {
            Write-GatewayError -Cmdlet $PSCmdlet -ErrorRecord $_
            return
        }
        if (-not $Detailed) { return [bool]$verdict.authenticated }
        $result = [ordered]@{
            PSTypeName = 'GatewayApiKeys.KeyTestResult'; Authenticated = [bool]$verdict.authenticated; Name = $null; ExpiresOn = $null; Status = $null
            Reason = $null; PreviousValue = $false
        }
        if ($verdict.authenticated) {
            $result.Name = $verdict.name
            $result.ExpiresOn = [datetime]$verdict.expiresOn
            $result.Status = $verdict.status
            $result.PreviousValue = [bool]$verdict.PSObject.Properties['previousValue']
        } else {
            $result.Reason = $verdict.reason
        }
        [pscustomobject]$result
    }
}
