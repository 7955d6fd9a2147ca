function Test-GatewayWindows {
    <# Windows PowerShell 5.1 has no $IsWindows; this answers on every edition. #>
    [System.Environment]::OSVersion.Platform -eq [System.PlatformID]::Win32NT
}

function Get-GatewayDataDirectory {
    <# The daemon's data dir as DESIGN section 4 defines it: -DataDirectory, else the environment, else the platform default. #>
    if ($script:GatewaySettings.DataDirectory) { return $script:GatewaySettings.DataDirectory }
    if ($env:GATEWAY_APIKEYS_DATA_DIR) { return $env:GATEWAY_APIKEYS_DATA_DIR }
    if (Test-GatewayWindows) { return (Join-Path $env:ProgramData 'Nintex\Gateway') }
    '/var/lib/gateway-apikeys'
}

function Get-GatewayPipe {
    <# The daemon's pipe: Connect-GatewayApiKeyService -Pipe, else GATEWAY_APIKEYS_PIPE, else the platform default. #>
    if ($script:GatewaySettings.Pipe) { return $script:GatewaySettings.Pipe }
    if ($env:GATEWAY_APIKEYS_PIPE) { return $env:GATEWAY_APIKEYS_PIPE }
    if (Test-GatewayWindows) { return '\\.\pipe\gateway-apikeys' }
    Join-Path (Get-GatewayDataDirectory) 'gateway-apikeys.sock'
}

function Get-GatewayToken {
    <#
    The role token in clear, for session.hello only: Connect-GatewayApiKeyService -Token, else
    GATEWAY_APIKEYS_TOKEN, else the admin.token file of the data dir (read at every connect, so a
    rotated token is picked up after the daemon restarts).
    #>
    if ($null -ne $script:GatewaySettings.Token) { return (ConvertFrom-GatewaySecureString $script:GatewaySettings.Token) }
    if ($env:GATEWAY_APIKEYS_TOKEN) { return $env:GATEWAY_APIKEYS_TOKEN }
    $path = Join-Path (Get-GatewayDataDirectory) 'admin.token'
    try {
        return [System.IO.File]::ReadAllText($path).Trim()
    } catch {
        $message = "Cannot read the admin token '$path': $($_.Exception.InnerException.Message) " +
            'Run as a user who can read it, set GATEWAY_APIKEYS_TOKEN, or use Connect-GatewayApiKeyService -Token.'
        throw (New-GatewayErrorRecord -ErrorId 'TokenUnavailable' -Message $message -TargetObject $path)
    }
}

function ConvertFrom-GatewaySecureString {
    <# The clear text of a SecureString, on every edition (ConvertFrom-SecureString -AsPlainText is 7 only). #>
    param([Parameter(Mandatory)] [System.Security.SecureString] $SecureString)
    (New-Object System.Net.NetworkCredential -ArgumentList '', $SecureString).Password
}
