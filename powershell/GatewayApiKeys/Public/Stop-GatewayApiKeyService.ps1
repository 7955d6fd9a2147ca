function Stop-GatewayApiKeyService {
    <#
    .SYNOPSIS
    Stops the gateway-apikeys daemon cleanly.

    .DESCRIPTION
    Asks the daemon to stop (the admin role's daemon.shutdown), as Ctrl+C or SIGTERM would: it
    finishes the requests in flight, saves the last-used times, compacts its store and releases its
    data directory. Windows has no SIGTERM, and Stop-ScheduledTask or Stop-Process end the daemon
    at once, so this is the clean stop there. Until the daemon is started again, gateways cannot
    authenticate keys, so it asks for confirmation (ConfirmImpact High) unless -Force or
    -Confirm:$false is given.

    .PARAMETER Force
    Stops without asking.

    .EXAMPLE
    Stop-GatewayApiKeyService

    Stops the daemon this session is connected to, after asking for confirmation.

    .EXAMPLE
    Stop-GatewayApiKeyService -Force; Start-ScheduledTask -TaskName gateway-apikeys

    Restarts the daemon that the scheduled task of the Windows install runs, without asking.

    .INPUTS
    None.

    .OUTPUTS
    None.

    .LINK
    about_GatewayApiKeys
    #>
    [CmdletBinding(SupportsShouldProcess, ConfirmImpact = 'High')]
    [OutputType([void])]
    param(
        [switch] $Force
    )
    $ErrorActionPreference, $WarningPreference, $InformationPreference, $VerbosePreference, $DebugPreference,
        $ConfirmPreference, $WhatIfPreference, $ProgressPreference = $script:GatewayCallerPreference::Of($PSCmdlet, $ExecutionContext.SessionState)   # Private/GatewayPreferences.ps1
    if ($Force -and -not $PSBoundParameters.ContainsKey('Confirm')) { $ConfirmPreference = 'None' }
    $pipe = Get-GatewayPipe
    if (-not (Confirm-GatewayChange -Cmdlet $PSCmdlet -Target $pipe -Action 'Stop the gateway-apikeys daemon (gateways cannot authenticate keys until it starts again)')) { return }
    try {
        $null = Invoke-GatewayRpc -Method 'daemon.shutdown'
    } catch {
        Write-GatewayError -Cmdlet $PSCmdlet -ErrorRecord $_
        return
    } finally {
        # The daemon closes every connection as it stops: the next call opens a new one.
        Close-GatewayConnection
    }
}
