function Disconnect-GatewayApiKeyService {
    <#
    .SYNOPSIS
    Closes this session's connection to the daemon and forgets what Connect-GatewayApiKeyService set.

    .DESCRIPTION
    Closes the connection the module's cmdlets share and drops the pipe, token, data dir and
    timeout that Connect-GatewayApiKeyService set, the token first of all. The next cmdlet connects
    again as if Connect-GatewayApiKeyService had never been called: to GATEWAY_APIKEYS_PIPE (else
    the default pipe), with GATEWAY_APIKEYS_TOKEN (else the admin.token file of the data dir).
    Removing the module does the same.

    .EXAMPLE
    Disconnect-GatewayApiKeyService

    Ends the session's connection; the token given to Connect-GatewayApiKeyService -Token is gone.

    .INPUTS
    None.

    .OUTPUTS
    None.

    .LINK
    Connect-GatewayApiKeyService

    .LINK
    about_GatewayApiKeys
    #>
    [CmdletBinding()]
    [OutputType([void])]
    param()
    $ErrorActionPreference, $WarningPreference, $InformationPreference, $VerbosePreference, $DebugPreference,
        $ConfirmPreference, $WhatIfPreference, $ProgressPreference = $script:GatewayCallerPreference::Of($PSCmdlet, $ExecutionContext.SessionState)   # Private/GatewayPreferences.ps1
    Close-GatewayConnection
    Reset-GatewaySettings
}
