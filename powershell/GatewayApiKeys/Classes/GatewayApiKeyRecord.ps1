# The key objects the cmdlets output (Get-, New-, Set- -PassThru, Reset-, Disable-, Enable-): typed,
# so that Get-Member tells ExpiresOn, LastUsed and Created are dates and LastUsed may be $null
# ([Nullable[datetime]]), like RotatedAt (never rotated) and PreviousValidUntil (no previous value
# in its grace), and DisabledAt (an enabled key, or one disabled before the daemon kept when).
#
# An object is built from the daemon's ApiKeyInfo by FromInfo, one method call per key: converting
# 10,000 keys took more than twice as long when a script function set each property
# (bench/powershell-overhead.ps1). Dates become [datetime] so that Sort-Object and comparisons work.
# PowerShell casts text to [datetime] in the invariant culture: expiresOn (YYYY-MM-DD, the vault's
# calendar date) becomes midnight of no time zone; an RFC 3339 instant becomes local time, and
# ToLocalTime() also converts one that PowerShell 7 before 7.5 already read as a UTC [datetime].
#
# Color is for display: the key table colours Status with it (GatewayApiKeys.format.ps1xml), and
# $key.Color reads it, but it is no data to export. Being hidden keeps it out of Export-Csv,
# Select-Object * and Format-List *; ConvertTo-Json skips it by an attribute, which Windows
# PowerShell 5.1 and PowerShell 7 spell differently (ScriptIgnore, JsonIgnore). So this file is not
# dot-sourced like the others, nor assembled into the root module: at load time, RootModule/Load.ps1
# puts the edition's attribute in place of the comment <#GatewaySerializationIgnore#> and then
# defines the class.
#
# On PowerShell 7, Get-GatewayApiKey's answers are read by System.Text.Json straight into this class
# (Private/GatewayKeyAnswer.ps1): ConvertFrom-Json's tree of objects and a constructor call per key
# cost more than a second for 10,000 keys, System.Text.Json and FromRecords about a tenth of that
# (bench/powershell-overhead.ps1). So the class has a constructor without parameters, and the
# properties named unlike their wire field say which it is: Load.ps1 puts JsonPropertyName in place
# of <#GatewayWireName('field')#> on that edition, and nothing on Windows PowerShell 5.1, which
# builds every key with the constructor from ConvertFrom-Json's objects.
class GatewayApiKeyRecord {
    [string] $Name
    [string] $Description
    [datetime] $ExpiresOn
    [int] $DaysLeft
    [string] $Status
    <#GatewaySerializationIgnore#> hidden [string] $Color
    <#GatewayWireName('lastUsedAt')#> [Nullable[datetime]] $LastUsed
    <#GatewayWireName('createdAt')#> [datetime] $Created
    <#GatewayWireName('updatedAt')#> [datetime] $Updated
    [string] $Hint
    [bool] $Enabled
    [Nullable[datetime]] $RotatedAt
    [Nullable[datetime]] $PreviousValidUntil
    [Nullable[datetime]] $DisabledAt
    [string] $DisabledReason

    # For System.Text.Json, which sets the properties itself.
    GatewayApiKeyRecord() {}

    GatewayApiKeyRecord([object] $Info) {
        $this.Name = $Info.name
        $this.Description = $Info.description
        $this.ExpiresOn = [datetime]$Info.expiresOn
        $this.DaysLeft = [int]$Info.daysLeft
        $this.Status = $Info.status
        $this.Color = $Info.color
        if ($null -ne $Info.lastUsedAt) { $this.LastUsed = ([datetime]$Info.lastUsedAt).ToLocalTime() }
        $this.Created = ([datetime]$Info.createdAt).ToLocalTime()
        $this.Updated = ([datetime]$Info.updatedAt).ToLocalTime()
        $this.Hint = $Info.hint
        $this.Enabled = [bool]$Info.enabled
        if ($null -ne $Info.rotatedAt) { $this.RotatedAt = ([datetime]$Info.rotatedAt).ToLocalTime() }
        if ($null -ne $Info.previousValidUntil) { $this.PreviousValidUntil = ([datetime]$Info.previousValidUntil).ToLocalTime() }
        # Why and when a disabled key was disabled: what Disable-GatewayApiKey -Reason said. A daemon
        # before these fields sends neither, which strict mode would refuse to read; no reason is ''
        # whether the field is null or missing. (A class allows no local variable named like a property.)
        $disabledAtProperty = $Info.PSObject.Properties['disabledAt']
        if ($null -ne $disabledAtProperty -and $null -ne $disabledAtProperty.Value) { $this.DisabledAt = ([datetime]$disabledAtProperty.Value).ToLocalTime() }
        $disabledReasonProperty = $Info.PSObject.Properties['disabledReason']
        $this.DisabledReason = ''
        if ($null -ne $disabledReasonProperty) { $this.DisabledReason = $disabledReasonProperty.Value }
    }

    # The output object: a key in a wrapper of its own whose first type name, GatewayApiKeys.ApiKey,
    # is the one the format view (GatewayApiKeys.format.ps1xml) selects. A new wrapper takes the type
    # name at a third of the cost of $this.PSObject.TypeNames, which PowerShell keeps for a bare
    # object in a table of its own.
    static [psobject] FromInfo([object] $Info) {
        return [GatewayApiKeyRecord]::Output([GatewayApiKeyRecord]::new($Info))
    }

    hidden static [psobject] Output([GatewayApiKeyRecord] $Record) {
        $key = [psobject]::new($Record)
        $key.PSTypeNames.Insert(0, 'GatewayApiKeys.ApiKey')
        return $key
    }

    # Keys that System.Text.Json read, as output objects equal to FromInfo's: it reads an instant
    # ending in Z as a UTC [datetime], which the constructor gives in local time, and leaves a null
    # string null, where PowerShell's assignment in the constructor makes it ''. One method call for
    # all, which PowerShell compiles once, where a script loop would interpret each key's statements.
    static [psobject[]] FromRecords([GatewayApiKeyRecord[]] $Records) {
        $keys = [psobject[]]::new($Records.Length)
        for ($i = 0; $i -lt $Records.Length; $i++) {
            $record = $Records[$i]
            if ($null -eq $record.Name) { $record.Name = '' }
            if ($null -eq $record.Description) { $record.Description = '' }
            if ($null -eq $record.Status) { $record.Status = '' }
            if ($null -eq $record.Color) { $record.Color = '' }
            if ($null -eq $record.Hint) { $record.Hint = '' }
            if ($null -eq $record.DisabledReason) { $record.DisabledReason = '' }
            $record.Created = $record.Created.ToLocalTime()
            $record.Updated = $record.Updated.ToLocalTime()
            if ($null -ne $record.LastUsed) { $record.LastUsed = $record.LastUsed.ToLocalTime() }
            if ($null -ne $record.RotatedAt) { $record.RotatedAt = $record.RotatedAt.ToLocalTime() }
            if ($null -ne $record.PreviousValidUntil) { $record.PreviousValidUntil = $record.PreviousValidUntil.ToLocalTime() }
            if ($null -ne $record.DisabledAt) { $record.DisabledAt = $record.DisabledAt.ToLocalTime() }
            $keys[$i] = [GatewayApiKeyRecord]::Output($record)
        }
        return $keys
    }
}
