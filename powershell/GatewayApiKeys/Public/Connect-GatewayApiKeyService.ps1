function Connect-GatewayApiKeyService {
    <#
    .SYNOPSIS
    Connects this session to the gateway-apikeys daemon.

    .DESCRIPTION
    Every cmdlet of the module connects on its own: to the pipe in GATEWAY_APIKEYS_PIPE (else the
    default pipe), with the token in GATEWAY_APIKEYS_TOKEN (else the admin.token file of the data
    dir). Connect-GatewayApiKeyService sets the pipe, token, data dir or timeout for the rest of the
    session instead (each call replaces what the one before set), opens the connection at once and
    tells whom you are connected to. The one connection is shared by all the module's cmdlets and
    re-opened if it drops. When the connection fails, the settings of before the call stay, so a
    mistyped token is not kept; Disconnect-GatewayApiKeyService forgets them all.

    .PARAMETER Pipe
    The daemon's pipe: a Unix socket path, or on Windows a named pipe such as \\.\pipe\gateway-apikeys.

    .PARAMETER Token
    The role token (the content of admin.token, or of gateway.token with -Role gateway) as a
    SecureString. It never crosses the pipe: the daemon and the module each prove they know it.

    .PARAMETER Role
    The role to open the session in: admin, or gateway (whose token may only test keys and read the
    service status). Without it, the role the token proves.

    .PARAMETER DataDirectory
    The daemon's data dir, where the default pipe (off Windows) and admin.token are found.

    .PARAMETER TimeoutSec
    How long to wait for the daemon to accept the connection and to answer a request. Default 5.

    .EXAMPLE
    Connect-GatewayApiKeyService -Pipe /run/gateway-apikeys/gateway-apikeys.sock

    Connects to a daemon whose socket is not in its data dir; the token still comes from
    GATEWAY_APIKEYS_TOKEN or the admin.token file.

    .EXAMPLE
    $token = Read-Host -AsSecureString -Prompt 'Admin token'
    Connect-GatewayApiKeyService -Token $token

    Connects with a token typed at the prompt.

    .INPUTS
    None.

    .OUTPUTS
    GatewayApiKeys.Connection: Pipe, Role, ServerVersion, ProtocolVersion, Today, TimeZone.

    .LINK
    about_GatewayApiKeys
    #>
    [CmdletBinding()]
    [OutputType('GatewayApiKeys.Connection')]
    param(
        [ValidateNotNullOrEmpty()]
        [string] $Pipe,

        [System.Security.SecureString] $Token,

        [ValidateSet('admin', 'gateway')]
        [string] $Role,

        [ValidateNotNullOrEmpty()]
        [Alias('DataDir')]
        [string] $DataDirectory,

        [ValidateRange(1, 300)]
        [int] $TimeoutSec
    )
    $ErrorActionPreference, $WarningPreference, $InformationPreference, $VerbosePreference, $DebugPreference,
        $ConfirmPreference, $WhatIfPreference, $ProgressPreference = $script:GatewayCallerPreference::Of($PSCmdlet, $ExecutionContext.SessionState)   # Private/GatewayPreferences.ps1
    # Each call replaces the settings of the one before: what it is not given comes from the
    # environment again. A call that fails gives the settings before it back, so that a mistyped
    # token does not stay in place (Disconnect-GatewayApiKeyService forgets them).
    $previous = $script:GatewaySettings.Clone()
    Close-GatewayConnection
    Reset-GatewaySettings
    $script:GatewaySettings.Token = $Token
    if ($Role) { $script:GatewaySettings.Role = $Role }
    if ($Pipe) { $script:GatewaySettings.Pipe = $Pipe }
    if ($DataDirectory) { $script:GatewaySettings.DataDirectory = $DataDirectory }
    if ($TimeoutSec) { $script:GatewaySettings.TimeoutMilliseconds = $TimeoutSec * 1000 }
    try {
        $connection = Get-GatewayConnection
    } catch {
        foreach ($name in $previous.Keys) { $script:GatewaySettings[$name] = $previous[$name] }
        Write-GatewayError -Cmdlet $PSCmdlet -ErrorRecord $_
        return
    }
    $info = ConvertTo-GatewaySessionInfo $connection
    $info.PSTypeName = 'GatewayApiKeys.Connection'
    [pscustomobject]$info
}
