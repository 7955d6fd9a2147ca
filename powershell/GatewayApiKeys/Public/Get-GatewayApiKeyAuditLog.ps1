function Get-GatewayApiKeyAuditLog {
    <#
    .SYNOPSIS
    Reads the daemon's audit trail: who created, edited, revealed, deleted, rotated, disabled or
    enabled which key, and when; backups, restores, passphrase changes and bursts of failed
    authentications.

    .DESCRIPTION
    Every change and reveal is an entry of an append-only, hash-chained trail kept by the daemon in
    its data dir, durable before the change was acknowledged. Entries come oldest first. Filter them
    by time, key name (case-insensitive) and event; -Last keeps the most recent matches. Entries
    hold names and roles, never a key value. Test-GatewayApiKeyAuditLog checks the chain.

    .PARAMETER Since
    Only entries at or after this time.

    .PARAMETER Until
    Only entries at or before this time.

    .PARAMETER KeyName
    Only entries about the key of this name, whatever its case.

    .PARAMETER Event
    Only entries of this event, such as apiKey.revealed or apiKey.deleted.

    .PARAMETER Last
    Only the most recent matching entries, this many.

    .EXAMPLE
    Get-GatewayApiKeyAuditLog -KeyName 'Orders connector'

    Everything that happened to one key.

    .EXAMPLE
    Get-GatewayApiKeyAuditLog -Event apiKey.revealed -Since (Get-Date).AddDays(-7)

    Who saw a key's value in the last week.

    .EXAMPLE
    Get-GatewayApiKey -Status Expired | Get-GatewayApiKeyAuditLog -Last 1

    The last entry of each expired key (-KeyName binds to the keys' Name).

    .INPUTS
    Objects with a Name property (Get-GatewayApiKey's output), bound to -KeyName.

    .OUTPUTS
    GatewayApiKeys.AuditEntry: Seq, At ([datetime], local time), Event, Role, Account (the OS account that acted), Connection, KeyName, Detail.

    .LINK
    Test-GatewayApiKeyAuditLog

    .LINK
    about_GatewayApiKeys
    #>
    [CmdletBinding()]
    [OutputType('GatewayApiKeys.AuditEntry')]
    param(
        [datetime] $Since,

        [datetime] $Until,

        [Parameter(ValueFromPipelineByPropertyName)]
        [Alias('Name')]
        [ValidateNotNullOrEmpty()]
        [string] $KeyName,

        # A ValidateSet must be literal: the manifest tests hold it equal to the schema's AuditEvent list.
        [ValidateSet('apiKey.created', 'apiKey.updated', 'apiKey.revealed', 'apiKey.deleted', 'apiKey.rotated', 'apiKey.disabled',
            'apiKey.enabled', 'vault.backedUp', 'vault.restored', 'vault.rekeyed', 'auth.failures', 'farm.created', 'farm.joined')]
        [string] $Event,

        [ValidateRange(0, [int]::MaxValue)]
        [int] $Last
    )
    begin {
        $ErrorActionPreference, $WarningPreference, $InformationPreference, $VerbosePreference, $DebugPreference,
            $ConfirmPreference, $WhatIfPreference, $ProgressPreference = $script:GatewayCallerPreference::Of($PSCmdlet, $ExecutionContext.SessionState)   # Private/GatewayPreferences.ps1
    }
    process {
        $params = @{}
        if ($PSBoundParameters.ContainsKey('Since')) { $params.since = $Since.ToUniversalTime().ToString('o') }
        if ($PSBoundParameters.ContainsKey('Until')) { $params.until = $Until.ToUniversalTime().ToString('o') }
        if ($KeyName) { $params.keyName = $KeyName }
        if ($Event) { $params.event = $Event }
        if ($PSBoundParameters.ContainsKey('Last')) { $params.limit = $Last }
        try {
            $found = Invoke-GatewayRpc -Method 'audit.list' -Params $params
        } catch {
            Write-GatewayError -Cmdlet $PSCmdlet -ErrorRecord $_
            return
        }
        foreach ($entry in $found.items) {
            $keyNameOf = $null
            if ($entry.PSObject.Properties['keyName']) { $keyNameOf = $entry.keyName }
            # The OS account that acted; entries written before the daemon recorded it have none.
            $accountOf = $null
            if ($entry.PSObject.Properties['account']) { $accountOf = $entry.account }
            [pscustomobject]@{
                PSTypeName = 'GatewayApiKeys.AuditEntry'
                Seq        = [long]$entry.seq
                At         = ([datetime]$entry.at).ToLocalTime()
                Event      = $entry.event
                Role       = $entry.role
                Account    = $accountOf
                Connection = $entry.connection
                KeyName    = $keyNameOf
                Detail     = $entry.detail
            }
        }
    }
}
