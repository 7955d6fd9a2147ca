# What removing, disabling or rotating a key will break, for the confirmation of Remove-, Disable-
# and Reset-GatewayApiKey: "used by 3 connectors, last 2 hours ago", or "never used". The CLI says
# the same in the same words (src/cli/impact.ts); test/fixtures/impact-cases.json holds both to it.

function Format-GatewayAgo {
    <# How long ago $Then was, as of $Now, in the largest whole unit: minutes, then hours, then days after 48 hours. #>
    param([Parameter(Mandatory)] [datetime] $Then, [Parameter(Mandatory)] [datetime] $Now)
    $minutes = [System.Math]::Floor(($Now.ToUniversalTime() - $Then.ToUniversalTime()).TotalMinutes)
    if ($minutes -lt 1) { return 'less than a minute ago' }
    if ($minutes -lt 60) { return (Format-GatewayCount $minutes 'minute' 'minutes') + ' ago' }
    $hours = [System.Math]::Floor($minutes / 60)
    if ($hours -lt 48) { return (Format-GatewayCount $hours 'hour' 'hours') + ' ago' }
    (Format-GatewayCount ([System.Math]::Floor($hours / 24)) 'day' 'days') + ' ago'
}

function Format-GatewayCount([double] $Count, [string] $One, [string] $Many) {
    if ($Count -eq 1) { return "1 $One" }
    "$Count $Many"
}

function Format-GatewayImpact {
    <#
    The impact phrase from apiKey.usage's counts and the key's lastUsedAt (which also dates the uses
    without a connectorId), as of $Now.
    #>
    param(
        [Parameter(Mandatory)] [int] $ConnectorCount,
        [Parameter(Mandatory)] [long] $UnattributedCount,
        [Nullable[datetime]] $LastUsed,
        [Parameter(Mandatory)] [datetime] $Now
    )
    if ($ConnectorCount -eq 0 -and $UnattributedCount -eq 0) { return 'never used' }
    $parts = @()
    if ($ConnectorCount -gt 0) { $parts += 'by ' + (Format-GatewayCount $ConnectorCount 'connector' 'connectors') }
    if ($UnattributedCount -eq 1) { $parts += 'once without a connectorId' } elseif ($UnattributedCount -gt 1) { $parts += "$UnattributedCount times without a connectorId" }
    $last = ''
    if ($null -ne $LastUsed) { $last = ', last ' + (Format-GatewayAgo -Then $LastUsed -Now $Now) }
    'used ' + ($parts -join ' and ') + $last
}

function Get-GatewayKeyImpact {
    <#
    The impact phrase of one key, asked of the daemon (apiKey.usage, and apiKey.get for the last use
    when some uses have no connectorId); $null when it cannot be had, such as for a key that does not
    exist: the change itself then reports that.
    #>
    param([Parameter(Mandatory)] [string] $Name)
    try {
        $usage = Invoke-GatewayRpc -Method 'apiKey.usage' -Params @{ name = $Name }
        $connectors = @($usage.connectors)
        $lastUsed = $null
        foreach ($connector in $connectors) {
            $at = [datetime]$connector.lastUsedAt
            if ($null -eq $lastUsed -or $at -gt $lastUsed) { $lastUsed = $at }
        }
        if ($usage.unattributedCount -gt 0) {
            $info = Invoke-GatewayRpc -Method 'apiKey.get' -Params @{ name = $Name }
            if ($null -ne $info.lastUsedAt) { $lastUsed = [datetime]$info.lastUsedAt }
        }
        Format-GatewayImpact -ConnectorCount $connectors.Count -UnattributedCount $usage.unattributedCount -LastUsed $lastUsed -Now ([datetime]::UtcNow)
    } catch {
        $null
    }
}

function Test-GatewayConfirmationShown {
    <#
    Whether ShouldProcess will show its message to a person: -WhatIf, or a confirmation that
    $ConfirmPreference asks for at this ConfirmImpact. Only then is the impact worth a round trip: a
    script's -Force or -Confirm:$false over a thousand keys asks the daemon nothing more.
    #>
    param(
        [Parameter(Mandatory)] [System.Management.Automation.ConfirmImpact] $Impact,
        [Parameter(Mandatory)] [AllowNull()] [object] $ConfirmPreference,
        [Parameter(Mandatory)] [AllowNull()] [object] $WhatIfPreference
    )
    if ($WhatIfPreference) { return $true }
    if ($null -eq $ConfirmPreference) { return $false }
    $level = [System.Management.Automation.ConfirmImpact]$ConfirmPreference
    $level -ne [System.Management.Automation.ConfirmImpact]::None -and $Impact -ge $level
}

function Get-GatewayChangeDescription {
    <#
    What the confirmation of a change to key $Name says: "$Action; <impact>)", or "$Action)" when
    the prompt is not shown (-WithImpact off: no round trips for it) or the impact cannot be had.
    $Action is the opening of the sentence, its parenthesis left open.
    #>
    param([Parameter(Mandatory)] [string] $Action, [Parameter(Mandatory)] [string] $Name, [bool] $WithImpact)
    $impact = $null
    if ($WithImpact) { $impact = Get-GatewayKeyImpact -Name $Name }
    if ($impact) { return "$Action; $impact)" }
    "$Action)"
}
