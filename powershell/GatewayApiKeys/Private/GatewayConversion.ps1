function ConvertTo-GatewayApiKeyObject {
    <#
    The daemon's ApiKeyInfo as the module's output object, of type name GatewayApiKeys.ApiKey, dates
    as [datetime]: FromInfo of Classes/GatewayApiKeyRecord.ps1 does it. Never carries a key value.
    Get-GatewayApiKey has its answers read into these objects at once (Invoke-GatewayRpc -As).
    #>
    param([object] $Info)
    $script:GatewayApiKeyRecordType::FromInfo($Info)
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
    duration in any case (P6M, p2w) in upper case; $null for anything else, which the cmdlets refuse
    as the daemon would (ExpiryInvalid) before a round trip. The grammar is the generated one, the
    same the CLI applies.
    #>
    param([Parameter(Mandatory)] [AllowEmptyString()] [string] $ValidFor)
    $short = [regex]::Match($ValidFor, $script:GatewayRules.ValidForShorthandPattern)
    if ($short.Success) { return 'P' + $short.Groups[1].Value + $short.Groups[2].Value.ToUpperInvariant() }
    $iso = $ValidFor.ToUpperInvariant()
    if ($iso -cmatch $script:GatewayRules.ValidForPattern) { return $iso }
    $null
}

function Get-GatewayValidityDays {
    <#
    How many days an ISO 8601 date duration in its canonical form (P1Y, P6M, P2W, P30D, P1Y6M:
    ConvertTo-GatewayValidFor's output) spans from -From, added as the daemon adds it
    (src/vault/expiry.ts, Temporal's PlainDate.add): years and months first, kept within the
    month (29 Feb + P1Y = 28 Feb: docs/architecture.md, "The rules of a key"), then weeks and days.
    P1Y is 365 or 366 days, depending on -From.
    #>
    param([Parameter(Mandatory)] [string] $ValidFor, [Parameter(Mandatory)] [datetime] $From)
    $parts = [regex]::Match($ValidFor, $script:GatewayRules.ValidForPattern)
    if (-not $parts.Success) { throw [System.ArgumentException]::new("'$ValidFor' is not an ISO 8601 date duration such as P30D or P1Y.") }
    # Groups 1 to 4 of the pattern: years, months, weeks, days, each a number and its letter.
    $count = @(0, 0, 0, 0)
    for ($i = 1; $i -le 4; $i++) {
        $group = $parts.Groups[$i]
        if ($group.Success) { $count[$i - 1] = [int]$group.Value.Substring(0, $group.Length - 1) }
    }
    $start = $From.Date
    $end = $start.AddMonths(12 * $count[0] + $count[1]).AddDays(7 * $count[2] + $count[3])
    [int]($end - $start).TotalDays
}

function Get-GatewayGivenValue {
    <#
    The optional parameters of a New-/Set- call that were given, by name. An empty or white-space
    value counts as not given: that is what a blank CSV cell means (Import-Csv | New-GatewayApiKey).
    -KeepEmpty names the ones whose empty value is a value (Set-GatewayApiKey -Description '' clears).
    #>
    param(
        [Parameter(Mandatory)] [System.Collections.IDictionary] $BoundParameters,
        [Parameter(Mandatory)] [string[]] $Name,
        [string[]] $KeepEmpty = @()
    )
    $given = @{}
    foreach ($one in $Name) {
        if (@($BoundParameters.Keys) -notcontains $one) { continue }
        $value = $BoundParameters[$one]
        $blank = $null -eq $value -or ($value -is [string] -and $value.Trim().Length -eq 0)
        if ($blank -and $KeepEmpty -notcontains $one) { continue }
        $given[$one] = $value
    }
    $given
}

function Add-GatewayExpiry {
    <# Puts -ExpiresOn or -ValidFor, whichever was given (Get-GatewayGivenValue), into New-/Set- request params. #>
    param(
        [Parameter(Mandatory)] [hashtable] $Params,
        [Parameter(Mandatory)] [hashtable] $Given
    )
    if ($Given.ContainsKey('ExpiresOn')) { $Params.expiresOn = ConvertTo-GatewayDate $Given['ExpiresOn'] }
    if ($Given.ContainsKey('ValidFor')) { $Params.validFor = ConvertTo-GatewayValidFor $Given['ValidFor'] }
}

function ConvertTo-GatewayGraceHours {
    <#
    -GracePeriod of Reset-GatewayApiKey as the daemon's graceHours: whole hours from 0 to 168. A
    fraction of an hour is refused, not rounded (when an old value stops working is not to be
    guessed), as is anything outside the bounds; either way with the daemon's code, GraceInvalid,
    before a round trip. Returns the hours, or the ErrorRecord.
    #>
    param([Parameter(Mandatory)] [timespan] $GracePeriod, [object] $TargetObject)
    $hours = $GracePeriod.TotalHours
    if ($hours -ne [System.Math]::Floor($hours) -or $hours -lt $script:GatewayRules.GraceMinHours -or $hours -gt $script:GatewayRules.GraceMaxHours) {
        $message = "-GracePeriod must be a whole number of hours from $($script:GatewayRules.GraceMinHours) to $($script:GatewayRules.GraceMaxHours); it is $GracePeriod."
        return (New-GatewayErrorRecord -ErrorId $script:GatewayRules.ErrorIds.GraceInvalid -Message $message -TargetObject $TargetObject -Field 'graceHours')
    }
    [int]$hours
}

function ConvertTo-GatewayApiKeyWithValue {
    <#
    The output of a call that answers a key's new value (apiKey.create, apiKey.rotate): the key
    object under $TypeName, with a Key property holding the value as a SecureString, or in clear
    with -AsPlainText.
    #>
    param([Parameter(Mandatory)] [object] $Answer, [Parameter(Mandatory)] [string] $TypeName, [switch] $AsPlainText)
    $key = ConvertTo-GatewayApiKeyObject $Answer
    $key.PSObject.TypeNames.Insert(0, $TypeName)
    $value = $Answer.key
    if (-not $AsPlainText) { $value = ConvertTo-SecureString -String $value -AsPlainText -Force }
    Add-Member -InputObject $key -NotePropertyName 'Key' -NotePropertyValue $value
    $key
}

function ConvertTo-GatewayKeyValue {
    <#
    -Key of Test-GatewayApiKey in clear: a string, a SecureString, or an object with a Key property
    (New-GatewayApiKey's output). A string is sent as the bare string: one from Get-Content carries
    PSPath and other note properties, which ConvertTo-Json of Windows PowerShell 5.1 would send
    along as an object, and the daemon would refuse the request.
    #>
    param([Parameter(Mandatory)] [AllowEmptyString()] [object] $Key)
    if ($Key -is [string]) { return [string]$Key.PSObject.BaseObject }
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
