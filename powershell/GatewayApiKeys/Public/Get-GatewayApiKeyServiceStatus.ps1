function Get-GatewayApiKeyServiceStatus {
    <#
    .SYNOPSIS
    Shows whether the gateway-apikeys daemon answers, and how many keys it holds in each status.

    .DESCRIPTION
    Asks the daemon for its version, uptime and the number of keys per status (Active, Expiring,
    ExpiresSoon, Expired, Disabled), with the pipe, role, date and time zone of this session's
    connection, and where its keys are kept: Store is files for a single host (its data dir alone),
    postgres for a host of a gateway farm, with StoreReachable, LastSync, StoreLag (how far behind
    the farm's database this host may be) and Hosts.
    When the daemon is not running, the error DaemonUnreachable says so.

    .EXAMPLE
    Get-GatewayApiKeyServiceStatus

    Pipe            : /var/lib/gateway-apikeys/gateway-apikeys.sock
    Role            : admin
    ServerVersion   : 0.1.0
    ...
    Expired         : 2
    Disabled        : 1

    .EXAMPLE
    if ((Get-GatewayApiKeyServiceStatus).ExpiresSoon -gt 0) { Write-Warning 'Keys expire within 3 days.' }

    Warns when any key expires within three days.

    .EXAMPLE
    $status = Get-GatewayApiKeyServiceStatus
    if (-not $status.StoreReachable -or $status.StoreLag -gt [timespan]::FromMinutes(1)) { exit 1 }

    A health probe: fails when this host cannot reach its store, or has not read it for a minute.

    .INPUTS
    None.

    .OUTPUTS
    GatewayApiKeys.ServiceStatus: Pipe, Role, ServerVersion, ProtocolVersion, Today, TimeZone,
    Uptime, Keys with the count of each status, and Store, StoreReachable, LastSync [Nullable[datetime]],
    StoreLag [timespan] and Hosts.

    .LINK
    about_GatewayApiKeys
    #>
    [CmdletBinding()]
    [OutputType('GatewayApiKeys.ServiceStatus')]
    param()
    $ErrorActionPreference, $WarningPreference, $InformationPreference, $VerbosePreference, $DebugPreference,
        $ConfirmPreference, $WhatIfPreference, $ProgressPreference = $script:GatewayCallerPreference::Of($PSCmdlet, $ExecutionContext.SessionState)   # Private/GatewayPreferences.ps1
    try {
        $status = Invoke-GatewayRpc -Method 'daemon.status'
        $info = ConvertTo-GatewaySessionInfo (Get-GatewayConnection)
    } catch {
        Write-GatewayError -Cmdlet $PSCmdlet -ErrorRecord $_
        return
    }
    $info.PSTypeName = 'GatewayApiKeys.ServiceStatus'
    $info.ServerVersion = $status.serverVersion
    $info.Uptime = [timespan]::FromSeconds($status.uptimeSeconds)
    $info.Keys = [int]$status.keys.total
    foreach ($name in $script:GatewayRules.Statuses) { $info[$name] = [int]$status.keys.$name }
    # The store (docs/farm.md): absent from a daemon older than farms, whose store is its data dir alone.
    $info.Store = 'files'
    $info.StoreReachable = $true
    $info.LastSync = $null
    $info.StoreLag = [timespan]::Zero
    $info.Hosts = 1
    if ($status.PSObject.Properties['store']) {
        $info.Store = [string]$status.store.kind
        $info.StoreReachable = [bool]$status.store.reachable
        if ($null -ne $status.store.lastSyncAt) { $info.LastSync = ([datetime]$status.store.lastSyncAt).ToLocalTime() }
        $info.StoreLag = [timespan]::FromSeconds([double]$status.store.lagSeconds)
        $info.Hosts = [int]$status.store.hosts
    }
    [pscustomobject]$info
}
