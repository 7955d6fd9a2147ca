function Invoke-GatewayRpc {
    <#
    .SYNOPSIS
    Calls one JSON-RPC method of the daemon and returns its result.

    .DESCRIPTION
    The one way this module talks to the daemon. It uses the module's shared connection
    (Get-GatewayConnection) and, when a connection kept from an earlier call turns out to be broken
    before the request went out (the daemon restarted), opens a new one and sends the request
    there. Once a request has gone out it is never sent again: it may have changed something. Any
    failure drops the connection, so that the next call starts on a new one.

    A daemon error is thrown as an ErrorRecord whose ErrorId is the daemon's data.code. Params are
    never written to any stream: they may hold a key value.

    With -As Key the result is the key's output object; with -As KeyPage, items are (Invoke-GatewayExchange).
    #>
    # A simple function, not an advanced one: see the note at the top of GatewayConnection.ps1.
    param(
        [string] $Method,
        [System.Collections.IDictionary] $Params = @{},
        [int] $ConnectTimeoutMilliseconds,
        [string] $As
    )
    # Checked first: even a Write-Verbose that shows nothing costs a tenth of a round trip.
    if ($VerbosePreference -ne 'SilentlyContinue') { Write-Verbose "gateway-apikeys: $Method" }
    $connection = $script:GatewayConnection
    if ($null -ne $connection) {
        try {
            $response = Invoke-GatewayExchange $connection $Method $Params $As
        } catch {
            Close-GatewayConnection
            if ($connection.Sent) { throw (ConvertTo-GatewayConnectionError -Connection $connection -ErrorRecord $_) }
            Write-Verbose 'gateway-apikeys: the connection had dropped; opening a new one.'
            $connection = $null
        }
    }
    if ($null -eq $connection) {
        $connection = Get-GatewayConnection -ConnectTimeoutMilliseconds $ConnectTimeoutMilliseconds
        try {
            $response = Invoke-GatewayExchange $connection $Method $Params $As
        } catch {
            Close-GatewayConnection
            throw (ConvertTo-GatewayConnectionError -Connection $connection -ErrorRecord $_)
        }
    }
    if ($response.PSObject.Properties['error']) {
        throw (ConvertFrom-GatewayRpcError -RpcError $response.error -TargetObject $Params['name'])
    }
    $response.result
}

function ConvertTo-GatewayConnectionError {
    <# A failure on the connection as this module reports it: its own errors as they are, anything else (an I/O error) as DaemonConnectionLost. #>
    param([Parameter(Mandatory)] [hashtable] $Connection, [Parameter(Mandatory)] [System.Management.Automation.ErrorRecord] $ErrorRecord)
    if ($ErrorRecord.Exception.Data['GatewayErrorId']) { return $ErrorRecord }
    $message = "The connection to the gateway-apikeys daemon at '$($Connection.Pipe)' was lost: $(Format-GatewaySentence (Get-GatewayRootException $ErrorRecord.Exception).Message)"
    New-GatewayErrorRecord -ErrorId 'DaemonConnectionLost' -Message $message -TargetObject $Connection.Pipe
}

function ConvertFrom-GatewayRpcError {
    <#
    A JSON-RPC error as an ErrorRecord: ErrorId = data.code (docs/protocol.md, Errors) with the daemon's message
    intact; an error without data (such as -32601 from an older daemon) keeps its JSON-RPC number.
    #>
    param([Parameter(Mandatory)] [object] $RpcError, [object] $TargetObject)
    $data = $null
    if ($RpcError.PSObject.Properties['data']) { $data = $RpcError.data }
    if ($null -eq $data -or -not $data.PSObject.Properties['code']) {
        return (New-GatewayErrorRecord -ErrorId "JsonRpc$($RpcError.code)" -Message $RpcError.message -TargetObject $TargetObject)
    }
    $field = $null
    if ($data.PSObject.Properties['field']) { $field = $data.field }
    New-GatewayErrorRecord -ErrorId $data.code -Message $RpcError.message -TargetObject $TargetObject -Field $field
}
