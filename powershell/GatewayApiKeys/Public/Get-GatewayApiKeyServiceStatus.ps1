function Get-GatewayApiKeyServiceStatus {
    <#
    .SYNOPSIS
    Shows whether the gateway-apikeys daemon answers, and how many keys it holds in each status.

    .DESCRIPTION
    Asks the daemon for its version, uptime and the number of keys per status (Active, Expiring,
    ExpiresSoon, Expired, Disabled), with the pipe, role, date and time zone of this session's
    connection.
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

    .INPUTS
    None.

    .OUTPUTS
    GatewayApiKeys.ServiceStatus: Pipe, Role, ServerVersion, ProtocolVersion, Today, TimeZone,
    Uptime, and Keys with the count of each status.

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
    [pscustomobject]$info
}
