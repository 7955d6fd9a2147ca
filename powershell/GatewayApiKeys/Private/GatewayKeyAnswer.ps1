# Answers that hold keys (apiKey.get, apiKey.list) read on PowerShell 7 by System.Text.Json straight
# into the output class (Classes/GatewayApiKeyRecord.ps1): for 10,000 keys ConvertFrom-Json alone
# took about 0.6 s, the constructor of each key from its objects as long again; this path takes
# about a tenth of both (bench/powershell-overhead.ps1). It reads only what a daemon answers when all
# is well; anything else (an error, an odd shape, a value of the wrong type) is left to the general
# path of Invoke-GatewayExchange, which reads every answer on Windows PowerShell 5.1 and says what
# is wrong. Both give the same objects (GatewayApiKeys.Unit.Tests.ps1, "Output objects").
#
# The options exist where System.Text.Json reads a JsonElement into a type (.NET 6, PowerShell 7.2
# and later); elsewhere they are $null and every answer takes the general path. The case of a field
# does not matter, as it does not to ConvertFrom-Json's objects.
$script:GatewayKeyJsonOptions = $null
if ($PSVersionTable.PSEdition -eq 'Core' -and $null -ne [System.Text.Json.JsonSerializer].GetMethod('Deserialize',
        [type[]]@([System.Text.Json.JsonElement], [type], [System.Text.Json.JsonSerializerOptions]))) {
    $script:GatewayKeyJsonOptions = [System.Text.Json.JsonSerializerOptions]::new()
    $script:GatewayKeyJsonOptions.PropertyNameCaseInsensitive = $true
}

function Read-GatewayKeyAnswer([byte[]] $Buffer, [int] $Start, [int] $Length, [long] $Id, [string] $As) {
    <#
    The JSON-RPC response in $Buffer, answering request $Id with a key (-As Key) or a page of keys
    (-As KeyPage, {items, total}), as Invoke-GatewayExchange returns it with -As: its result the key's
    output object, or items the output objects. $null when the answer is anything else.
    #>
    $document = $null
    try {
        $document = [System.Text.Json.JsonDocument]::Parse([System.ReadOnlyMemory[byte]]::new($Buffer, $Start, $Length))
        $root = $document.RootElement
        # TryGetProperty's out values: [ref] binds to a variable that holds a JsonElement already.
        $answered = $result = $items = $total = $root
        $number = 0L
        if ($root.ValueKind -ne 'Object' -or $root.TryGetProperty('error', [ref]$result) -or -not $root.TryGetProperty('result', [ref]$result) -or
            -not $root.TryGetProperty('id', [ref]$answered) -or $answered.ValueKind -ne 'Number' -or -not $answered.TryGetInt64([ref]$number) -or $number -ne $Id -or
            $result.ValueKind -ne 'Object') { return $null }
        $type = $script:GatewayApiKeyRecordType
        if ($As -eq 'Key') {
            $record = [System.Text.Json.JsonSerializer]::Deserialize($result, $type, $script:GatewayKeyJsonOptions)
            return [pscustomobject]@{ result = $type::FromRecords(@($record))[0] }
        }
        if (-not $result.TryGetProperty('items', [ref]$items) -or $items.ValueKind -ne 'Array' -or
            -not $result.TryGetProperty('total', [ref]$total) -or $total.ValueKind -ne 'Number' -or -not $total.TryGetInt64([ref]$number)) { return $null }
        $records = [System.Text.Json.JsonSerializer]::Deserialize($items, $type.MakeArrayType(), $script:GatewayKeyJsonOptions)
        [pscustomobject]@{ result = [pscustomobject]@{ items = $type::FromRecords($records); total = $number } }
    } catch {
        $null
    } finally {
        if ($null -ne $document) { $document.Dispose() }
    }
}
