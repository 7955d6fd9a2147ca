function ConvertTo-GatewayApiKeyObject {
    <#
    The daemon's ApiKeyInfo as the module's output object: typed for the format view, dates as
    [datetime] so that Sort-Object and comparisons work. Never carries a key value.

    PowerShell casts text to [datetime] in the invariant culture: expiresOn (YYYY-MM-DD, the vault's
    calendar date) becomes midnight of no time zone; an RFC 3339 instant becomes local time, and
    ToLocalTime() also converts one that PowerShell 7 before 7.5 already read as a UTC [datetime].
    #>
    param([object] $Info)
    $lastUsed = $null
    if ($null -ne $Info.lastUsedAt) { $lastUsed = ([datetime]$Info.lastUsedAt).ToLocalTime() }
    [pscustomobject]@{
        PSTypeName  = 'GatewayApiKeys.ApiKey'
        Name        = $Info.name
        Description = $Info.description
        ExpiresOn   = [datetime]$Info.expiresOn
        DaysLeft    = [int]$Info.daysLeft
        Status      = $Info.status
        Color       = $Info.color
        LastUsed    = $lastUsed
        Created     = ([datetime]$Info.createdAt).ToLocalTime()
        Updated     = ([datetime]$Info.updatedAt).ToLocalTime()
        Hint        = $Info.hint
    }
}

function ConvertTo-GatewayDate {
    <# The calendar date of a [datetime] as the daemon takes it: YYYY-MM-DD, whatever the culture. #>
    param([Parameter(Mandatory)] [datetime] $Date)
    $Date.ToString('yyyy-MM-dd', [System.Globalization.CultureInfo]::InvariantCulture)
}

function ConvertTo-GatewayValidFor {
    <#
    -ValidFor as the ISO 8601 date duration the daemon takes: the presets 7d, 30d, 60d, 90d, 180d
    and 1y, or a duration such as P6M (DESIGN section 3). Throws for anything else, so that parameter
    validation rejects it before a round trip.
    #>
    param([Parameter(Mandatory)] [string] $ValidFor)
    $preset = $script:GatewayValidForPresets[$ValidFor]
    if ($preset) { return $preset }
    $iso = $ValidFor.ToUpperInvariant()
    if ($iso -cmatch '^P(?=\d)(\d+Y)?(\d+M)?(\d+W)?(\d+D)?$') { return $iso }
    throw "'$ValidFor' is not a validity: use 7d, 30d, 60d, 90d, 180d or 1y, or an ISO 8601 date duration such as P6M or P2W."
}

# The presets a UI offers (DESIGN section 3), as typed at a prompt and as sent.
$script:GatewayValidForPresets = [ordered]@{
    '7d'   = 'P7D'
    '30d'  = 'P30D'
    '60d'  = 'P60D'
    '90d'  = 'P90D'
    '180d' = 'P180D'
    '1y'   = 'P1Y'
}

function Add-GatewayExpiry {
    <# Puts -ExpiresOn or -ValidFor, whichever was given, into New-/Set- request params. #>
    param(
        [Parameter(Mandatory)] [hashtable] $Params,
        [Parameter(Mandatory)] [System.Collections.IDictionary] $BoundParameters
    )
    if ($BoundParameters.ContainsKey('ExpiresOn')) { $Params.expiresOn = ConvertTo-GatewayDate $BoundParameters['ExpiresOn'] }
    if ($BoundParameters.ContainsKey('ValidFor')) { $Params.validFor = ConvertTo-GatewayValidFor $BoundParameters['ValidFor'] }
}

function ConvertTo-GatewayKeyValue {
    <# -Key of Test-GatewayApiKey in clear: a string, a SecureString, or an object with a Key property (New-GatewayApiKey's output). #>
    param([Parameter(Mandatory)] [AllowEmptyString()] [object] $Key)
    if ($Key -is [string]) { return $Key }
    if ($Key -is [System.Security.SecureString]) { return (ConvertFrom-GatewaySecureString $Key) }
    $property = $Key.PSObject.Properties['Key']
    if ($null -ne $property -and ($property.Value -is [string] -or $property.Value -is [System.Security.SecureString])) {
        return (ConvertTo-GatewayKeyValue $property.Value)
    }
    throw (New-GatewayErrorRecord -ErrorId 'InvalidParams' -Message 'A key must be given as a string or a SecureString.' -Field 'key')
}

function ConvertTo-GatewaySessionInfo {
    <# What session.hello told about a connection, as the properties Connect- and Get-...ServiceStatus show. #>
    param([Parameter(Mandatory)] [hashtable] $Connection)
    [ordered]@{
        Pipe            = $Connection.Pipe
        Role            = $Connection.Hello.role
        ServerVersion   = $Connection.Hello.serverVersion
        ProtocolVersion = $Connection.Hello.protocolVersion
        Today           = [datetime]$Connection.Hello.today
        TimeZone        = $Connection.Hello.timeZone
    }
}
