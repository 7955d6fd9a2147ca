function Test-GatewayWindows {
    <# Windows PowerShell 5.1 has no $IsWindows; this answers on every edition. #>
    [System.Environment]::OSVersion.Platform -eq [System.PlatformID]::Win32NT
}

function Reset-GatewaySettings {
    <# Back to no settings: pipe, token and data dir from the environment or the platform, the default timeout. #>
    $script:GatewaySettings.Pipe = $null
    $script:GatewaySettings.Token = $null
    $script:GatewaySettings.Role = $null
    $script:GatewaySettings.TokenFile = $null
    $script:GatewaySettings.DataDirectory = $null
    $script:GatewaySettings.TimeoutMilliseconds = $script:GatewayDefaultTimeoutMilliseconds
}

function Get-GatewayDataDirectory {
    <# The daemon's data dir as docs/architecture.md (Locations) defines it: -DataDirectory, else the environment, else the platform default. #>
    if ($script:GatewaySettings.DataDirectory) { return $script:GatewaySettings.DataDirectory }
    $fromEnv = [System.Environment]::GetEnvironmentVariable($script:GatewayLocations.DataDirVariable)
    if ($fromEnv) { return $fromEnv }
    if (Test-GatewayWindows) { return [System.IO.Path]::Combine([string[]](@($env:ProgramData) + $script:GatewayLocations.WindowsDataDir)) }
    $script:GatewayLocations.UnixDataDir
}

function Get-GatewayPipe {
    <# The daemon's pipe: Connect-GatewayApiKeyService -Pipe, else GATEWAY_APIKEYS_PIPE, else the platform default. #>
    if ($script:GatewaySettings.Pipe) { return $script:GatewaySettings.Pipe }
    $fromEnv = [System.Environment]::GetEnvironmentVariable($script:GatewayLocations.PipeVariable)
    if ($fromEnv) { return $fromEnv }
    if (Test-GatewayWindows) { return $script:GatewayLocations.WindowsPipe }
    Join-Path (Get-GatewayDataDirectory) $script:GatewayLocations.UnixSocketInDataDir
}

function Get-GatewayToken {
    <#
    The role token in clear, for the session handshake only: Connect-GatewayApiKeyService -Token,
    else a token file the DSC resource names (TokenPath), else GATEWAY_APIKEYS_TOKEN, else the
    admin.token file of the data dir (read at every connect, so a rotated token is picked up after
    the daemon restarts).
    #>
    if ($null -ne $script:GatewaySettings.Token) { return (ConvertFrom-GatewaySecureString $script:GatewaySettings.Token) }
    $path = $script:GatewaySettings.TokenFile
    if (-not $path) {
        $fromEnv = [System.Environment]::GetEnvironmentVariable($script:GatewayLocations.TokenVariable)
        if ($fromEnv) { return $fromEnv }
        $path = Join-Path (Get-GatewayDataDirectory) $script:GatewayLocations.AdminTokenFile
    }
    try {
        return [System.IO.File]::ReadAllText($path).Trim()
    } catch {
        $message = "Cannot read the admin token '$path': $(Format-GatewaySentence (Get-GatewayRootException $_.Exception).Message) " +
            'Run as a user who can read it, set GATEWAY_APIKEYS_TOKEN, or use Connect-GatewayApiKeyService -Token.'
        throw (New-GatewayErrorRecord -ErrorId 'TokenUnavailable' -Message $message -TargetObject $path)
    }
}

function ConvertFrom-GatewaySecureString {
    <# The clear text of a SecureString, on every edition (ConvertFrom-SecureString -AsPlainText is 7 only). #>
    param([Parameter(Mandatory)] [System.Security.SecureString] $SecureString)
    (New-Object System.Net.NetworkCredential -ArgumentList '', $SecureString).Password
}
