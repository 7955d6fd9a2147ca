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
    -ValidFor as the daemon takes it (docs/architecture.md, "One validity grammar"): a shorthand
    (7d, 2w, 6m, 1y: a whole number and d, w, m or y) as its ISO 8601 form, an ISO 8601 date
    duration in any case (P6M, p2w) in upper case. Throws the daemon's message for anything else, so
    that parameter validation rejects it before a round trip. The grammar is the generated one, the
    same the CLI applies.
    #>
    param([Parameter(Mandatory)] [string] $ValidFor)
    $short = [regex]::Match($ValidFor, $script:GatewayRules.ValidForShorthandPattern)
    if ($short.Success) { return 'P' + $short.Groups[1].Value + $short.Groups[2].Value.ToUpperInvariant() }
    $iso = $ValidFor.ToUpperInvariant()
    if ($iso -cmatch $script:GatewayRules.ValidForPattern) { return $iso }
    throw ("'$ValidFor' is not a validity: use a number and d, w, m or y (" + (@($script:GatewayRules.ValidForPresets.Keys) -join ', ') +
        '), or an ISO 8601 date duration such as P6M or P2W.')
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
