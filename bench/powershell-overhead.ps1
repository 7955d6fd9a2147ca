<#
.SYNOPSIS
The PowerShell module's overhead: Get-GatewayApiKey against raw framed requests, in one session.

.DESCRIPTION
Against a running daemon (GATEWAY_APIKEYS_PIPE, and GATEWAY_APIKEYS_TOKEN or the admin.token of
GATEWAY_APIKEYS_DATA_DIR), times -Count calls of `Get-GatewayApiKey -Name <name>` and -Count raw
apiKey.get requests for the same name over one connection of this session. A raw request is the
least any client does: the request serialised with its own id (ConvertTo-Json), framed and
written; the answer's frame read by its Content-Length and parsed (ConvertFrom-Json). The key is created first if missing. Both are warmed up
first, then timed call by call, interleaved, in -Rounds rounds. Prints one JSON object: the total
milliseconds of the -Count calls of each and their ratio, from the round with the median ratio
(target ratio <= 1.5).
Then times -ListRounds calls of `Get-GatewayApiKey` without a name, every key of the vault to
objects, interleaved with as many raw apiKey.list requests of all (framed, read and parsed as above)
and as many read but not parsed (the transfer and UTF-8 decoding alone), and reports the medians of
the three and the number of keys (target: the cmdlet's list within 500 ms).

.EXAMPLE
$env:GATEWAY_APIKEYS_PIPE = '/tmp/gwk.sock'; $env:GATEWAY_APIKEYS_DATA_DIR = './.data'
pwsh -NoProfile -File bench/powershell-overhead.ps1
#>
param(
    [string] $Name = 'bench-powershell',
    [int] $Count = 100,
    [int] $Warmup = 20,
    [int] $Rounds = 5,
    [int] $ListRounds = 5
)
$ErrorActionPreference = 'Stop'
Set-StrictMode -Version 3.0
Import-Module (Join-Path $PSScriptRoot '../powershell/GatewayApiKeys/GatewayApiKeys.psd1') -Force

if (-not (Get-GatewayApiKey -Name $Name -ErrorAction Ignore)) { $null = New-GatewayApiKey -Name $Name -Description 'bench/powershell-overhead.ps1' }

$pipe = (Get-GatewayApiKeyServiceStatus).Pipe
$token = $env:GATEWAY_APIKEYS_TOKEN
if (-not $token) { $token = (Get-Content -Raw (Join-Path $env:GATEWAY_APIKEYS_DATA_DIR 'admin.token')).Trim() }

# The raw client: one connection, bytes in and out, nothing of the module.
if ([System.Environment]::OSVersion.Platform -eq [System.PlatformID]::Win32NT) {
    $stream = New-Object System.IO.Pipes.NamedPipeClientStream -ArgumentList '.', ($pipe -replace '^\\\\\.\\pipe\\', ''), ([System.IO.Pipes.PipeDirection]::InOut)
    $stream.Connect(5000)
} else {
    $socket = New-Object System.Net.Sockets.Socket -ArgumentList ([System.Net.Sockets.AddressFamily]::Unix), ([System.Net.Sockets.SocketType]::Stream), ([System.Net.Sockets.ProtocolType]::Unspecified)
    $socket.Connect((New-Object System.Net.Sockets.UnixDomainSocketEndPoint -ArgumentList $pipe))
    $stream = New-Object System.Net.Sockets.NetworkStream -ArgumentList $socket, $true
}
$utf8 = New-Object System.Text.UTF8Encoding -ArgumentList $false
$buffer = New-Object byte[] 65536

function Invoke-Raw([string] $Method, [hashtable] $Params, [switch] $NoParse) {
    $script:nextId++
    $body = $utf8.GetBytes((ConvertTo-Json -Compress -Depth 3 -InputObject @{ jsonrpc = '2.0'; id = $script:nextId; method = $Method; params = $Params }))
    $header = [System.Text.Encoding]::ASCII.GetBytes("Content-Length: $($body.Length)`r`n`r`n")
    $stream.Write($header, 0, $header.Length)
    $stream.Write($body, 0, $body.Length)
    $count = 0
    $headerEnd = -1
    while ($headerEnd -lt 0) {
        $count += $stream.Read($buffer, $count, $buffer.Length - $count)
        $headerEnd = [System.Text.Encoding]::ASCII.GetString($buffer, 0, $count).IndexOf("`r`n`r`n", [System.StringComparison]::Ordinal)
    }
    $length = [int]([regex]::Match([System.Text.Encoding]::ASCII.GetString($buffer, 0, $headerEnd), 'Content-Length: (\d+)').Groups[1].Value)
    if ($headerEnd + 4 + $length -gt $buffer.Length) {
        # A list of every key: the buffer grows to hold its frame, once.
        $bigger = New-Object byte[] ($headerEnd + 4 + $length)
        [System.Array]::Copy($buffer, $bigger, $count)
        $script:buffer = $bigger
    }
    while ($count -lt $headerEnd + 4 + $length) { $count += $stream.Read($script:buffer, $count, $script:buffer.Length - $count) }
    $json = $utf8.GetString($script:buffer, $headerEnd + 4, $length)
    if (-not $NoParse) { ConvertFrom-Json -InputObject $json }
}

$nextId = 0
# Protocol 3 (docs/protocol.md) over a Unix socket (an empty endpoint binding): the raw client opens its session with the module's own proof functions.
$module = Get-Module GatewayApiKeys
$clientNonce = & $module { New-GatewayNonce }
$challenge = Invoke-Raw 'session.challenge' @{ protocolVersion = 3; role = 'admin'; clientNonce = $clientNonce }
$clientProof = & $module { param($t, $ns, $nc) Get-GatewaySessionProof -Token $t -Label 'gateway-apikeys client v3' -First $ns -Second $nc -Binding '' } $token $challenge.result.serverNonce $clientNonce
$hello = Invoke-Raw 'session.hello' @{ role = 'admin'; clientProof = $clientProof }
if ($hello.PSObject.Properties['error']) { throw "session.hello failed: $($hello.error.message)" }
$params = @{ name = $Name }

# One call of each in turn, so that whatever else the machine does falls on both alike; each total
# is the sum of its own calls. Of -Rounds such rounds, the one with the median ratio is reported.
$raw = { $null = Invoke-Raw 'apiKey.get' $params }
$cmdlet = { $null = Get-GatewayApiKey -Name $Name }
for ($i = 0; $i -lt $Warmup; $i++) { & $raw; & $cmdlet }
$watch = New-Object System.Diagnostics.Stopwatch
$results = for ($round = 0; $round -lt $Rounds; $round++) {
    $rawMs = 0.0
    $cmdletMs = 0.0
    for ($i = 0; $i -lt $Count; $i++) {
        $watch.Restart(); & $raw; $rawMs += $watch.Elapsed.TotalMilliseconds
        $watch.Restart(); & $cmdlet; $cmdletMs += $watch.Elapsed.TotalMilliseconds
    }
    [pscustomobject]@{ CmdletMs = $cmdletMs; RawMs = $rawMs; Ratio = $cmdletMs / $rawMs }
}
$median = @($results | Sort-Object Ratio)[[math]::Floor($Rounds / 2)]

# Every key to objects, against the raw list of all: what the conversion adds to the transfer and parse.
$null = Invoke-Raw 'apiKey.list' @{}
$listMs = New-Object System.Collections.Generic.List[double]
$rawListMs = New-Object System.Collections.Generic.List[double]
$rawListReadMs = New-Object System.Collections.Generic.List[double]
for ($round = 0; $round -lt $ListRounds; $round++) {
    $watch.Restart(); $keys = @(Get-GatewayApiKey); $listMs.Add($watch.Elapsed.TotalMilliseconds)
    $watch.Restart(); $null = Invoke-Raw 'apiKey.list' @{}; $rawListMs.Add($watch.Elapsed.TotalMilliseconds)
    $watch.Restart(); $null = Invoke-Raw 'apiKey.list' @{} -NoParse; $rawListReadMs.Add($watch.Elapsed.TotalMilliseconds)
}
$listMs.Sort()
$rawListMs.Sort()
$rawListReadMs.Sort()
$stream.Dispose()

ConvertTo-Json -Compress -Depth 2 -InputObject ([ordered]@{
        cmdletMs = [math]::Round($median.CmdletMs, 1)
        rawMs    = [math]::Round($median.RawMs, 1)
        ratio    = [math]::Round($median.Ratio, 2)
        listKeys = $keys.Count
        listMs   = [math]::Round($listMs[[math]::Floor($ListRounds / 2)], 1)
        rawListMs = [math]::Round($rawListMs[[math]::Floor($ListRounds / 2)], 1)
        rawListReadMs = [math]::Round($rawListReadMs[[math]::Floor($ListRounds / 2)], 1)
    })
