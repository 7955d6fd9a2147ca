# Starts and stops a real gateway-apikeys daemon (dist/cli.js) for the Pester suites: a temp data
# dir, a short socket path (Unix socket paths are limited to 107 bytes), a fixed start instant.

Set-StrictMode -Version 3.0

$script:RepoRoot = (Resolve-Path (Join-Path $PSScriptRoot '../..')).Path

function Get-TestNode {
    if ($env:GATEWAY_TEST_NODE) { return $env:GATEWAY_TEST_NODE }
    'node'
}

function New-TestDaemonPaths {
    <# A data dir and a pipe that no other suite uses. #>
    $id = [guid]::NewGuid().ToString('N').Substring(0, 10)
    $dataDirectory = Join-Path ([System.IO.Path]::GetTempPath()) "gwk-pester-$id"
    # Off Windows, in a private directory: the daemon refuses a pipe where others can write, such as /tmp.
    if ($IsWindows) { $pipe = "\\.\pipe\gwk-pester-$id" } else {
        $null = New-Item -ItemType Directory -Path "/tmp/gwk-$id"
        & chmod 700 "/tmp/gwk-$id"
        $pipe = "/tmp/gwk-$id/d.sock"
    }
    [pscustomobject]@{ DataDirectory = $dataDirectory; Pipe = $pipe }
}

function Start-TestDaemon {
    <#
    Starts `node dist/cli.js serve` and waits for its "is serving" line. -Now starts the daemon's
    clock at that instant (GATEWAY_APIKEYS_NOW); -Paths reuses another daemon's data dir and pipe.
    #>
    param(
        [string] $Now = '2026-11-27T12:00:00Z',
        [object] $Paths = (New-TestDaemonPaths)
    )
    $null = New-Item -ItemType Directory -Force -Path (Join-Path ([System.IO.Path]::GetTempPath()) 'gwk-pester-logs')
    $log = Join-Path ([System.IO.Path]::GetTempPath()) ("gwk-pester-logs/" + [guid]::NewGuid().ToString('N'))
    $previousNow = $env:GATEWAY_APIKEYS_NOW
    $env:GATEWAY_APIKEYS_NOW = $Now
    try {
        $process = Start-Process -FilePath (Get-TestNode) -PassThru -NoNewWindow `
            -ArgumentList @((Join-Path $script:RepoRoot 'dist/cli.js'), 'serve', '--data-dir', $Paths.DataDirectory,
                '--pipe', $Paths.Pipe, '--time-zone', 'UTC', '--log-level', 'warn') `
            -RedirectStandardOutput "$log.out" -RedirectStandardError "$log.err"
    } finally {
        $env:GATEWAY_APIKEYS_NOW = $previousNow
    }
    $deadline = [datetime]::UtcNow.AddSeconds(30)
    while (-not ((Test-Path "$log.out") -and (Get-Content -Raw "$log.out") -match 'is serving')) {
        if ($process.HasExited -or [datetime]::UtcNow -gt $deadline) {
            throw "The test daemon did not start: $(Get-Content -Raw "$log.err" -ErrorAction Ignore)"
        }
        Start-Sleep -Milliseconds 50
    }
    [pscustomobject]@{
        Process       = $process
        Pipe          = $Paths.Pipe
        DataDirectory = $Paths.DataDirectory
        Paths         = $Paths
        AdminToken    = (Get-Content -Raw (Join-Path $Paths.DataDirectory 'admin.token')).Trim()
        GatewayToken  = (Get-Content -Raw (Join-Path $Paths.DataDirectory 'gateway.token')).Trim()
        Log           = $log
    }
}

function Stop-TestDaemon {
    <# SIGTERM (the daemon's clean stop) where there are signals; waits until it has exited. -Keep leaves the data dir. #>
    param([Parameter(Mandatory)] [object] $Daemon, [switch] $Keep)
    if (-not $Daemon.Process.HasExited) {
        if ($IsWindows) { $Daemon.Process.Kill() } else { & kill -s TERM $Daemon.Process.Id }
        if (-not $Daemon.Process.WaitForExit(15000)) { $Daemon.Process.Kill() }
    }
    if (-not $Keep) {
        Remove-Item -Recurse -Force -Path $Daemon.DataDirectory -ErrorAction Ignore
        if (-not $IsWindows) { Remove-Item -Recurse -Force -Path (Split-Path -Parent $Daemon.Pipe) -ErrorAction Ignore }
        Remove-Item -Force -Path "$($Daemon.Log).out", "$($Daemon.Log).err" -ErrorAction Ignore
    }
}

function ConvertTo-TestSecureString {
    param([Parameter(Mandatory)] [string] $Text)
    ConvertTo-SecureString -String $Text -AsPlainText -Force
}

function Import-TestedModule {
    <# A fresh copy of the module under test, so that no connection or setting carries over. #>
    Import-Module (Join-Path $script:RepoRoot 'powershell/GatewayApiKeys/GatewayApiKeys.psd1') -Force -Global
}

function Start-TestSuiteDaemon {
    <#
    What a suite of one cmdlet does first (in its BeforeAll): a fresh copy of the module, a daemon of
    its own, and the module connected to it with the admin token. Returns the daemon.
    #>
    Import-TestedModule
    $daemon = Start-TestDaemon
    $null = Connect-GatewayApiKeyService -Pipe $daemon.Pipe -DataDirectory $daemon.DataDirectory
    $daemon
}

function Stop-TestSuiteDaemon {
    <# What such a suite does last (in its AfterAll): the module removed, its daemon stopped and its data dir deleted. #>
    param([Parameter(Mandatory)] [object] $Daemon)
    Remove-Module GatewayApiKeys -ErrorAction Ignore
    Stop-TestDaemon $Daemon
}

function Get-TestKeyValue {
    <# The value of a key, as the View screen (Show-GatewayApiKey) shows it. #>
    param([Parameter(Mandatory)] [string] $Name)
    (Show-GatewayApiKey -Name $Name).Key
}

function Invoke-TestAuthenticate {
    <#
    connector.authenticate with the gateway token on a connection of its own, as the gateway would:
    the one call that records a key's last use, by -ConnectorId ('pester'; $null sends none).
    #>
    param([Parameter(Mandatory)] [object] $Daemon, [Parameter(Mandatory)] [string] $Key, [object] $ConnectorId = 'pester')
    InModuleScope GatewayApiKeys -Parameters @{ Daemon = $Daemon; Key = $Key; ConnectorId = $ConnectorId } {
        param($Daemon, $Key, $ConnectorId)
        $connection = Open-GatewayStream -Pipe $Daemon.Pipe -TimeoutMilliseconds 5000
        try {
            $null = Open-GatewaySession -Connection $connection -Role 'gateway' -Token $Daemon.GatewayToken
            $params = @{ key = $Key }
            if ($null -ne $ConnectorId) { $params.connectorId = $ConnectorId }
            (Invoke-GatewayExchange -Connection $connection -Method 'connector.authenticate' -Params $params).result
        } finally {
            Close-GatewayStream $connection
        }
    }
}

function Get-GeneratedRules {
    <#
    The rules the module validates with, from its generated Private/GatewayRules.generated.ps1 (made
    from schemas/defs.json): the tests take their limits and messages from there, never as literals.
    #>
    . (Join-Path $script:RepoRoot 'powershell/GatewayApiKeys/Private/GatewayRules.generated.ps1')
    $script:GatewayRules
}

function Skip-TestBecause {
    <#
    Set-ItResult -Skipped, with the reason also on the host: Pester's Normal output counts skipped
    tests but names no reason, and a test that cannot run here must say why.
    #>
    param([Parameter(Mandatory)] [string] $Because)
    Write-Host "Skipped: $Because"
    Set-ItResult -Skipped -Because $Because
}

function Get-TestHostOutput {
    <#
    What a command writes to the host, such as the "What if:" line of -WhatIf, which no stream
    carries: run in a transcript, whose lines are returned.
    #>
    param([Parameter(Mandatory)] [scriptblock] $Command)
    $file = Join-Path ([System.IO.Path]::GetTempPath()) ("gwk-transcript-" + [guid]::NewGuid().ToString('N') + '.txt')
    $null = Start-Transcript -Path $file
    try { $null = & $Command } finally { $null = Stop-Transcript }
    try { Get-Content -Path $file } finally { Remove-Item -Force -Path $file -ErrorAction Ignore }
}

function Save-TestConnectionEnvironment {
    <# The connection variables of this session, for Restore-TestConnectionEnvironment. #>
    $saved = @{ Pipe = $env:GATEWAY_APIKEYS_PIPE; Token = $env:GATEWAY_APIKEYS_TOKEN; Dir = $env:GATEWAY_APIKEYS_DATA_DIR }
    $saved
}

function Clear-TestConnectionEnvironment {
    <# A fresh module and no connection variables: what a new session that has set nothing sees. #>
    Import-TestedModule
    $env:GATEWAY_APIKEYS_PIPE = $null; $env:GATEWAY_APIKEYS_TOKEN = $null; $env:GATEWAY_APIKEYS_DATA_DIR = $null
}

function Restore-TestConnectionEnvironment {
    <# The variables Save- kept, and a fresh module connected to the suite's daemon again. #>
    param([Parameter(Mandatory)] [hashtable] $Saved, [Parameter(Mandatory)] [object] $Daemon)
    $env:GATEWAY_APIKEYS_PIPE = $Saved.Pipe; $env:GATEWAY_APIKEYS_TOKEN = $Saved.Token; $env:GATEWAY_APIKEYS_DATA_DIR = $Saved.Dir
    Import-TestedModule
    $null = Connect-GatewayApiKeyService -Pipe $Daemon.Pipe -DataDirectory $Daemon.DataDirectory
}

Export-ModuleMember -Function Save-TestConnectionEnvironment, Clear-TestConnectionEnvironment, Restore-TestConnectionEnvironment, Get-GeneratedRules, Start-TestDaemon, Stop-TestDaemon, New-TestDaemonPaths, ConvertTo-TestSecureString, Import-TestedModule, Invoke-TestAuthenticate,
    Get-TestHostOutput, Start-TestSuiteDaemon, Stop-TestSuiteDaemon, Get-TestKeyValue, Skip-TestBecause
