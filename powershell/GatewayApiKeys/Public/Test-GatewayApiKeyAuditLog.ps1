function Test-GatewayApiKeyAuditLog {
    <#
    .SYNOPSIS
    Checks every link of the daemon's audit trail: $true when it is intact.

    .DESCRIPTION
    Each entry of the trail carries a keyed hash of itself and of the entry before, which only the
    vault can make. The daemon checks every entry's hash, every link, the sequence numbers and the
    last entry against its record of it, and says where the first break is: an entry altered,
    removed, reordered or cut off the end.

    .PARAMETER Detailed
    Returns the whole answer (Intact, Entries, BrokenAt, Reason) instead of $true or $false.

    .EXAMPLE
    Test-GatewayApiKeyAuditLog

    True

    .EXAMPLE
    $check = Test-GatewayApiKeyAuditLog -Detailed
    if (-not $check.Intact) { Write-Warning "Audit trail broken at entry $($check.BrokenAt): $($check.Reason)" }

    Tells an auditor where the trail was altered.

    .INPUTS
    None.

    .OUTPUTS
    System.Boolean, or with -Detailed GatewayApiKeys.AuditCheck: Intact, Entries, BrokenAt, Reason.

    .LINK
    Get-GatewayApiKeyAuditLog

    .LINK
    about_GatewayApiKeys
    #>
    [CmdletBinding()]
    [OutputType([bool])]
    [OutputType('GatewayApiKeys.AuditCheck')]
    param([switch] $Detailed)
    $ErrorActionPreference, $WarningPreference, $InformationPreference, $VerbosePreference, $DebugPreference,
        $ConfirmPreference, $WhatIfPreference, $ProgressPreference = $script:GatewayCallerPreference::Of($PSCmdlet, $ExecutionContext.SessionState)   # Private/GatewayPreferences.ps1
    try {
        $check = Invoke-GatewayRpc -Method 'audit.verify'
    } catch {
        Write-GatewayError -Cmdlet $PSCmdlet -ErrorRecord $_
        return
    }
    if (-not $Detailed) { return [bool]$check.intact }
    $result = [ordered]@{ PSTypeName = 'GatewayApiKeys.AuditCheck'; Intact = [bool]$check.intact; Entries = $null; BrokenAt = $null; Reason = $null }
    if ($check.intact) { $result.Entries = [long]$check.entries } else {
        $result.BrokenAt = [long]$check.brokenAt
        $result.Reason = $check.reason
    }
    [pscustomobject]$result
}
