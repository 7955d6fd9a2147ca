# Framing limits, as the daemon's own (src/rpc/framing.ts): a header section over 4 KiB means the
# stream is not speaking the protocol. Answers are capped as the CLI caps them (src/client/connect.ts,
# docs/security.md "What answers the pipe"): until hello has answered, whatever answers may be anyone,
# and the handshake's answers are about 150 bytes, so 4 KiB; then the largest legitimate answer
# (apiKey.list of 100,000 keys, every field at its longest, is 424 MiB). Nothing larger is allocated.
#
# The functions on the request path are simple functions (no [Parameter()] attributes): advanced
# function binding costs as much as the round trip itself, and the module's overhead over a raw
# request is measured (bench/powershell-overhead.ps1).
$script:GatewayMaxHeaderBytes = 4096
$script:GatewayMaxHandshakeAnswerBytes = 4096
$script:GatewayMaxAnswerBytes = 500MB
$script:GatewayUtf8 = New-Object System.Text.UTF8Encoding -ArgumentList $false

function Get-GatewayConnection {
    <#
    The module's one connection, opened (with its session) when there is none. Every cmdlet of the
    session shares it; Invoke-GatewayRpc drops it when it breaks and the next call opens another.
    #>
    param([int] $ConnectTimeoutMilliseconds)
    if ($null -ne $script:GatewayConnection) { return $script:GatewayConnection }
    if ($ConnectTimeoutMilliseconds -le 0) { $ConnectTimeoutMilliseconds = $script:GatewaySettings.TimeoutMilliseconds }
    $connection = Open-GatewayStream -Pipe (Get-GatewayPipe) -TimeoutMilliseconds $ConnectTimeoutMilliseconds
    try {
        $connection.Hello = Open-GatewaySession -Connection $connection -Role $script:GatewaySettings.Role -Token (Get-GatewayToken)
    } catch {
        Close-GatewayStream $connection
        throw (ConvertTo-GatewayConnectionError -Connection $connection -ErrorRecord $_)
    }
    $script:GatewayConnection = $connection
    $connection
}

function Open-GatewaySession {
    <#
    The handshake of protocol 3 (docs/protocol.md, Sessions): the daemon proves first that it knows
    the role's token; only then does this module send its own proof. No token crosses the pipe, and
    nothing secret goes to a pipe squatter, which fails with DaemonImpostor; both proofs are bound to
    the connection's ends (Connection.Binding), so a relay between this module and the daemon fails
    too. Without -Role, each role is asked for in turn until the daemon proves one (a challenge
    reveals nothing). Returns what hello answered.
    #>
    param([hashtable] $Connection, [string] $Role, [string] $Token)
    $roles = @($Role)
    if (-not $Role) { $roles = @('admin', 'gateway') }
    foreach ($candidate in $roles) {
        $clientNonce = New-GatewayNonce
        $response = Invoke-GatewayExchange $Connection 'session.challenge' @{ protocolVersion = 3; role = $candidate; clientNonce = $clientNonce }
        if ($response.PSObject.Properties['error']) { throw (ConvertFrom-GatewayRpcError -RpcError $response.error -TargetObject $Connection.Pipe) }
        $challenge = $response.result
        if ($null -eq $challenge -or -not $challenge.PSObject.Properties['serverNonce'] -or -not $challenge.PSObject.Properties['serverProof'] -or
            $challenge.serverNonce -isnot [string] -or $challenge.serverProof -isnot [string]) { continue }
        $expected = Get-GatewaySessionProof -Token $Token -Label 'gateway-apikeys server v3' -First $clientNonce -Second $challenge.serverNonce -Binding $Connection.Binding
        if (-not (Test-GatewaySameProof $expected $challenge.serverProof)) { continue }
        $proof = Get-GatewaySessionProof -Token $Token -Label 'gateway-apikeys client v3' -First $challenge.serverNonce -Second $clientNonce -Binding $Connection.Binding
        $response = Invoke-GatewayExchange $Connection 'session.hello' @{ role = $candidate; clientProof = $proof }
        if ($response.PSObject.Properties['error']) { throw (ConvertFrom-GatewayRpcError -RpcError $response.error -TargetObject $Connection.Pipe) }
        return $response.result
    }
    $message = "What answers on '$($Connection.Pipe)' is not the gateway-apikeys daemon: it does not know the token. Nothing secret was sent to it. " +
        'If the token itself is wrong or old (a token changes when its file is deleted and the daemon restarts), give the current one.'
    throw (New-GatewayErrorRecord -ErrorId 'DaemonImpostor' -Message $message -TargetObject $Connection.Pipe)
}

function Close-GatewayConnection {
    <# Drops the module's connection; the next call opens a new one. #>
    if ($null -ne $script:GatewayConnection) {
        Close-GatewayStream $script:GatewayConnection
        $script:GatewayConnection = $null
    }
}

function Open-GatewayStream {
    <#
    A connected stream to the daemon: a named pipe on Windows, a Unix domain socket elsewhere. Both
    are Streams, so framing has one code path. Fails within -TimeoutMilliseconds with
    DaemonUnreachable, or DaemonAccessDenied when this account may not open the pipe
    (Private/GatewayConnectFailure.ps1); answers are waited for as long as the session's timeout
    (Connect-GatewayApiKeyService -TimeoutSec).
    #>
    param(
        [Parameter(Mandatory)] [string] $Pipe,
        [Parameter(Mandatory)] [int] $TimeoutMilliseconds
    )
    $socket = $null
    $binding = ''
    try {
        if (Test-GatewayWindows) {
            # \\server\pipe\name, or a bare pipe name on this machine.
            $server = '.'
            $name = $Pipe
            if ($Pipe -match '^\\\\([^\\]+)\\pipe\\(.+)$') {
                $server = $Matches[1]
                $name = $Matches[2]
            }
            if ($server -eq '.' -and -not (Test-GatewayPipeExists -Name $name)) { throw (New-GatewayNoPipeError -Pipe $Pipe) }
            Initialize-GatewayNativePipe # before connecting: compiling it can take longer than the daemon waits for a handshake
            $stream = New-GatewayPipeStream -Server $server -Name $name
            $stream.Connect($TimeoutMilliseconds)
            $binding = Get-GatewayPipeBinding -Stream $stream
        } else {
            $socket = New-Object System.Net.Sockets.Socket -ArgumentList ([System.Net.Sockets.AddressFamily]::Unix),
                ([System.Net.Sockets.SocketType]::Stream), ([System.Net.Sockets.ProtocolType]::Unspecified)
            $endpoint = New-Object System.Net.Sockets.UnixDomainSocketEndPoint -ArgumentList $Pipe
            if (-not $socket.ConnectAsync($endpoint).Wait($TimeoutMilliseconds)) {
                throw (New-Object System.TimeoutException -ArgumentList "No answer within $TimeoutMilliseconds ms.")
            }
            $stream = New-Object System.Net.Sockets.NetworkStream -ArgumentList $socket, $true
            $stream.ReadTimeout = $script:GatewaySettings.TimeoutMilliseconds
        }
    } catch {
        if ($null -ne $socket) { $socket.Dispose() }
        if ($_.Exception.Data['GatewayErrorId']) { throw }
        throw (ConvertTo-GatewayConnectFailure -Pipe $Pipe -Exception $_.Exception -TimeoutMilliseconds $TimeoutMilliseconds)
    }
    @{
        Pipe                = $Pipe
        Stream              = $stream
        TimeoutMilliseconds = $script:GatewaySettings.TimeoutMilliseconds
        Buffer              = New-Object byte[] 65536
        Count               = 0
        ReadTimeoutCut      = $false
        NextId              = 1
        Sent                = $false
        Hello               = $null
        # The endpoint binding of the handshake's proofs (docs/protocol.md, Sessions): empty on a Unix socket.
        Binding             = $binding
    }
}

function New-GatewayPipeStream([string] $Server, [string] $Name) {
    <#
    A client stream on a Windows named pipe, not yet connected, at the Identification impersonation
    level (docs/security.md, "Windows: the pipe"): whatever answers on the pipe may learn who this is
    but never act as this account. Without a level, .NET passes no SECURITY_SQOS_PRESENT and Windows
    lets the server impersonate the client fully; a process that took the pipe's name while the
    daemon was down could then act as the admin who connects. The 5-argument constructor exists in
    It asks only for the rights a client needs (ReadData, WriteData, ReadAttributes, WriteAttributes,
    Synchronize), never GENERIC_WRITE, which holds FILE_CREATE_PIPE_INSTANCE and which the pipe's DACL
    does not grant. The constructor with PipeAccessRights exists in .NET Framework 3.5 and later (so in
    Windows PowerShell 5.1) and in .NET on Windows; only Windows makes this stream.
    #>
    $rights = [System.IO.Pipes.PipeAccessRights]'ReadData, WriteData, ReadAttributes, WriteAttributes, Synchronize'
    New-Object System.IO.Pipes.NamedPipeClientStream -ArgumentList $Server, $Name, $rights,
        ([System.IO.Pipes.PipeOptions]::Asynchronous), ([System.Security.Principal.TokenImpersonationLevel]::Identification),
        ([System.IO.HandleInheritability]::None)
}

function Initialize-GatewayNativePipe {
    <# GetNamedPipeServerProcessId, which .NET does not wrap, compiled once per session. #>
    if (-not ('GatewayApiKeys.NativePipe' -as [type])) {
        Add-Type -TypeDefinition @'
namespace GatewayApiKeys {
    public static class NativePipe {
        [System.Runtime.InteropServices.DllImport("kernel32.dll", SetLastError = true)]
        public static extern bool GetNamedPipeServerProcessId(Microsoft.Win32.SafeHandles.SafePipeHandle pipe, out uint serverProcessId);
    }
}
'@
    }
}

function Get-GatewayPipeBinding([System.IO.Pipes.NamedPipeClientStream] $Stream) {
    <#
    The endpoint binding of protocol 3 on a Windows pipe (docs/protocol.md, Sessions): the server's
    process id as Windows gives it (Initialize-GatewayNativePipe), then this process's. Where Windows
    will not say, '?': a binding no daemon computes, so no proof is accepted.
    #>
    [uint32] $serverPid = 0
    if (-not [GatewayApiKeys.NativePipe]::GetNamedPipeServerProcessId($Stream.SafePipeHandle, [ref] $serverPid)) { return '?' }
    "$($serverPid):$PID"
}

function Close-GatewayStream([hashtable] $Connection) {
    $Connection.Stream.Dispose()
}

function Invoke-GatewayExchange([hashtable] $Connection, [string] $Method, [System.Collections.IDictionary] $Params, [string] $As) {
    <#
    Sends one request and returns the daemon's whole response object (result or error). With -As Key
    (the result is an ApiKeyInfo) or -As KeyPage (its items are), the result holds the key's output
    object, or items the output objects, as FromInfo of Classes/GatewayApiKeyRecord.ps1 makes them:
    read on PowerShell 7 by Read-GatewayKeyAnswer (Private/GatewayKeyAnswer.ps1).

    The request is one frame, header and body in one write, Content-Length counting the body's UTF-8
    bytes. Connection.Sent tells whether it went out. The answer is read until its whole frame is in
    the buffer: one read may return fewer bytes than asked for. A socket reads synchronously with its
    ReadTimeout (the fast path); a Windows pipe has no read timeout, so it reads asynchronously and
    waits as long. The whole exchange has Connection.TimeoutMilliseconds, however the answer trickles
    in (DaemonTimeout). The answer must be to this request, and no larger than the limit of the
    session's phase: whatever breaks that is DaemonImpostor until hello has answered,
    DaemonProtocolError after (New-GatewayProtocolError); the caller closes the connection.
    #>
    $stream = $Connection.Stream
    $Connection.Sent = $false
    $request = @{ jsonrpc = '2.0'; id = $Connection.NextId; method = $Method; params = $Params }
    $body = $script:GatewayUtf8.GetBytes((ConvertTo-Json -InputObject $request -Depth 8 -Compress))
    $header = [System.Text.Encoding]::ASCII.GetBytes("Content-Length: $($body.Length)`r`n`r`n")
    $frame = [byte[]]::new($header.Length + $body.Length)
    [System.Array]::Copy($header, $frame, $header.Length)
    [System.Array]::Copy($body, 0, $frame, $header.Length, $body.Length)
    $started = [System.Diagnostics.Stopwatch]::GetTimestamp()
    if ($Connection['ReadTimeoutCut']) {
        # The last exchange cut the socket's timeout to what was left of its own.
        $stream.ReadTimeout = $Connection.TimeoutMilliseconds
        $Connection.ReadTimeoutCut = $false
    }
    $stream.Write($frame, 0, $frame.Length)
    $stream.Flush()
    $Connection.Sent = $true

    $maxBody = $script:GatewayMaxAnswerBytes
    if ($null -eq $Connection.Hello) { $maxBody = $script:GatewayMaxHandshakeAnswerBytes }
    $headerEnd = -1
    $frameEnd = -1
    $reads = 0
    while ($headerEnd -lt 0 -or $Connection.Count -lt $frameEnd) {
        if ($headerEnd -lt 0 -and $Connection.Count -gt 0) {
            $seen = [System.Math]::Min($Connection.Count, $script:GatewayMaxHeaderBytes + 4)
            $headerEnd = [System.Text.Encoding]::ASCII.GetString($Connection.Buffer, 0, $seen).IndexOf("`r`n`r`n", [System.StringComparison]::Ordinal)
            if ($headerEnd -ge 0) {
                $headerText = [System.Text.Encoding]::ASCII.GetString($Connection.Buffer, 0, $headerEnd)
                $lengthMatch = [regex]::Match($headerText, '(?im)^Content-Length:[ \t]*(\d+)[ \t]*$')
                if (-not $lengthMatch.Success) {
                    throw (New-GatewayProtocolError -Connection $Connection -Problem 'a frame has no Content-Length')
                }
                # Checked before a byte is allocated for it: the digits, then the limit.
                $digits = $lengthMatch.Groups[1].Value
                if ($digits.Length -gt 10 -or [long]$digits -gt $maxBody) {
                    throw (New-GatewayProtocolError -Connection $Connection -Problem "a frame of $digits bytes is over the limit of $maxBody")
                }
                $frameEnd = $headerEnd + 4 + [int]$digits
                if ($frameEnd -gt $Connection.Buffer.Length) {
                    $bigger = [byte[]]::new($frameEnd)
                    [System.Array]::Copy($Connection.Buffer, $bigger, $Connection.Count)
                    $Connection.Buffer = $bigger
                }
                continue
            }
            if ($Connection.Count -gt $script:GatewayMaxHeaderBytes) {
                throw (New-GatewayProtocolError -Connection $Connection -Problem 'its header section is too long')
            }
        }
        $free = $Connection.Buffer.Length - $Connection.Count
        # What is left of the exchange's time: a peer that trickles its answer gets no longer than a silent one.
        $left = $Connection.TimeoutMilliseconds
        if ($reads -gt 0) {
            $left = $Connection.TimeoutMilliseconds - [int](([System.Diagnostics.Stopwatch]::GetTimestamp() - $started) * 1000 / [System.Diagnostics.Stopwatch]::Frequency)
        }
        $reads++
        $read = 0
        $timedOut = $left -le 0
        if (-not $timedOut -and $stream.CanTimeout) {
            if ($left -lt $Connection.TimeoutMilliseconds) {
                $stream.ReadTimeout = $left
                $Connection.ReadTimeoutCut = $true
            }
            try {
                $read = $stream.Read($Connection.Buffer, $Connection.Count, $free)
            } catch [System.IO.IOException] {
                $socketError = $_.Exception.InnerException -as [System.Net.Sockets.SocketException]
                if ($null -eq $socketError -or $socketError.SocketErrorCode -ne 'TimedOut') { throw }
                $timedOut = $true
            }
        } elseif (-not $timedOut) {
            $task = $stream.ReadAsync($Connection.Buffer, $Connection.Count, $free)
            $timedOut = -not $task.Wait($left)
            if (-not $timedOut) { $read = $task.Result }
        }
        if ($timedOut) {
            $message = "The gateway-apikeys daemon at '$($Connection.Pipe)' did not answer within $($Connection.TimeoutMilliseconds) ms."
            if ($null -eq $Connection.Hello) {
                $message = "What answers at '$($Connection.Pipe)' did not answer the handshake within $($Connection.TimeoutMilliseconds) ms: " +
                    'it is not the gateway-apikeys daemon, or the daemon is stuck. Nothing secret was sent to it.'
            }
            throw (New-GatewayErrorRecord -ErrorId 'DaemonTimeout' -Message $message -TargetObject $Connection.Pipe)
        }
        if ($read -eq 0) { throw (New-Object System.IO.EndOfStreamException -ArgumentList 'The daemon closed the connection.') }
        $Connection.Count += $read
    }
    $response = $null
    if ($As -and $null -ne $script:GatewayKeyJsonOptions) {
        $response = Read-GatewayKeyAnswer $Connection.Buffer ($headerEnd + 4) ($frameEnd - $headerEnd - 4) $Connection.NextId $As
    }
    if ($null -eq $response) { $json = $script:GatewayUtf8.GetString($Connection.Buffer, $headerEnd + 4, $frameEnd - $headerEnd - 4) }
    $rest = $Connection.Count - $frameEnd
    if ($rest -gt 0) { [System.Array]::Copy($Connection.Buffer, $frameEnd, $Connection.Buffer, 0, $rest) }
    $Connection.Count = $rest

    if ($null -eq $response) {
        $readOptions = $script:GatewayJsonReadOptions   # splatted as a plain variable: see the Manifest tests' 5.1 check
        try {
            $response = ConvertFrom-Json -InputObject $json @readOptions
        } catch {
            throw (New-GatewayProtocolError -Connection $Connection -Problem 'an answer is not JSON')
        }
        if ($response -isnot [System.Management.Automation.PSCustomObject]) {
            throw (New-GatewayProtocolError -Connection $Connection -Problem 'an answer is not a JSON-RPC response object')
        }
        $id = $null
        if ($response.PSObject.Properties['id']) { $id = $response.id }
        if ($id -ne $Connection.NextId) {
            throw (New-GatewayProtocolError -Connection $Connection -Problem "it answered another request than $($Connection.NextId)")
        }
        if ($As -and $response.PSObject.Properties['result']) {
            $type = $script:GatewayApiKeyRecordType
            try {
                if ($As -eq 'Key') {
                    $response.result = $type::FromInfo($response.result)
                } else {
                    $response.result.items = @(foreach ($item in $response.result.items) { $type::FromInfo($item) })
                }
            } catch {
                throw (New-GatewayProtocolError -Connection $Connection -Problem 'a key it answered is not an ApiKeyInfo')
            }
        }
    }
    $Connection.NextId++
    $response
}

function New-GatewayProtocolError([hashtable] $Connection, [string] $Problem) {
    <#
    What answers broke the protocol. Until hello has answered it has proved nothing, so it is an
    impostor (DaemonImpostor); after, the daemon or the stream went wrong (DaemonProtocolError). The
    problem never quotes what the peer sent.
    #>
    if ($null -eq $Connection.Hello) {
        $message = "What answers on '$($Connection.Pipe)' is not the gateway-apikeys daemon: it answers with what no daemon sends ($Problem). Nothing secret was sent to it."
        return (New-GatewayErrorRecord -ErrorId 'DaemonImpostor' -Message $message -TargetObject $Connection.Pipe)
    }
    $message = "What answers at '$($Connection.Pipe)' does not speak the gateway-apikeys protocol: $Problem."
    New-GatewayErrorRecord -ErrorId 'DaemonProtocolError' -Message $message -TargetObject $Connection.Pipe
}

# ConvertFrom-Json on PowerShell 7 turns date-like strings into [datetime]; 7.5+ can be told not to,
# so a name or description that looks like a date stays the text it is.
$script:GatewayJsonReadOptions = @{}
if ((Get-Command ConvertFrom-Json).Parameters.ContainsKey('DateKind')) {
    $script:GatewayJsonReadOptions.DateKind = 'String'
}
