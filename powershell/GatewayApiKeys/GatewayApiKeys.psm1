Set-StrictMode -Version 3.0

# Where and how to reach the daemon. Connect-GatewayApiKeyService sets these; what is left $null
# comes from the environment (GATEWAY_APIKEYS_PIPE, GATEWAY_APIKEYS_TOKEN, GATEWAY_APIKEYS_DATA_DIR)
# or the platform defaults at connect time.
$script:GatewayDefaultTimeoutMilliseconds = 5000
$script:GatewaySettings = @{
    Pipe                = $null
    Token               = $null
    Role                = $null
    TokenFile           = $null
    DataDirectory       = $null
    TimeoutMilliseconds = $script:GatewayDefaultTimeoutMilliseconds
}
# The one connection every cmdlet of this session shares (see Private/GatewayConnection.ps1).
$script:GatewayConnection = $null

# -ExpiresOn of New-/Set-GatewayApiKey is [Nullable[datetime]] with this transformation: an empty or
# white-space value (a blank CSV cell) binds as $null, "not given", where a [datetime] would fail to
# convert it. The files of Public/ name it in full: PowerShell does not find a class of the module
# by its short attribute name from a dot-sourced file.
class GatewayOptionalDateAttribute : System.Management.Automation.ArgumentTransformationAttribute {
    [object] Transform([System.Management.Automation.EngineIntrinsics] $engineIntrinsics, [object] $inputData) {
        if ($null -eq $inputData -or ($inputData -is [string] -and $inputData.Trim().Length -eq 0)) { return $null }
        return $inputData
    }
}

# -GracePeriod of Reset-GatewayApiKey is a [timespan] with this transformation: a number is hours,
# and text in the CLI's --grace grammar (24, 24h, 2d: x-shorthand of graceHours in the rotate
# params schema) is read as the CLI reads it. Anything else is left to the [timespan] conversion.
class GatewayGracePeriodAttribute : System.Management.Automation.ArgumentTransformationAttribute {
    [object] Transform([System.Management.Automation.EngineIntrinsics] $engineIntrinsics, [object] $inputData) {
        # What a command's output binds is wrapped in a PSObject: its BaseObject is the value.
        $value = $inputData
        if ($null -ne $value) { $value = $value.PSObject.BaseObject }
        if ($value -is [int] -or $value -is [long] -or $value -is [double] -or $value -is [decimal]) { return [timespan]::FromHours([double]$value) }
        if ($value -is [string]) {
            $match = [regex]::Match($value.Trim(), $script:GatewayRules.GraceShorthandPattern)
            if ($match.Success) {
                $hours = [double]$match.Groups[1].Value
                if ($match.Groups[2].Value -match '^[dD]$') { $hours *= 24 }
                return [timespan]::FromHours($hours)
            }
        }
        return $inputData
    }
}

# The output class, with the attribute that keeps Color out of ConvertTo-Json on this edition
# (Classes/GatewayApiKeyRecord.ps1 says why).
$serializationIgnore = 'Newtonsoft.Json.JsonIgnore'
if ($PSVersionTable.PSEdition -ne 'Core') {
    Add-Type -AssemblyName System.Web.Extensions
    $serializationIgnore = 'System.Web.Script.Serialization.ScriptIgnore'
}
$recordClass = [System.IO.File]::ReadAllText((Join-Path $PSScriptRoot 'Classes/GatewayApiKeyRecord.ps1'))
. ([scriptblock]::Create($recordClass.Replace('<#GatewaySerializationIgnore#>', "[$serializationIgnore()]")))
Remove-Variable -Name serializationIgnore, recordClass
# Kept as a type object, so that the functions of Private/ and Public/ need not find the class by name.
$script:GatewayApiKeyRecordType = [GatewayApiKeyRecord]

foreach ($folder in 'Private', 'Public') {
    foreach ($file in Get-ChildItem -Path (Join-Path $PSScriptRoot $folder) -Filter '*.ps1') {
        . $file.FullName
    }
}

$ExecutionContext.SessionState.Module.OnRemove = { Close-GatewayConnection }

# Tab completion of key names, asked of the daemon. It must never disturb the prompt: when the
# daemon is down or refuses, there is simply nothing to offer, and $Error holds nothing of it
# (PowerShell records an error in $Error even when a catch handles it).
$nameCompleter = {
    param($commandName, $parameterName, $wordToComplete)
    $prefix = $wordToComplete.Trim('''', '"')
    $lastError = $null
    if ($global:Error.Count -gt 0) { $lastError = $global:Error[0] }
    $found = $null
    try {
        $found = Invoke-GatewayRpc -Method 'apiKey.list' -Params @{ name = "$prefix*"; limit = 100 } -ConnectTimeoutMilliseconds 1000
    } catch {
        $found = $null
    }
    while ($global:Error.Count -gt 0 -and -not [object]::ReferenceEquals($global:Error[0], $lastError)) { $global:Error.RemoveAt(0) }
    if ($null -eq $found) { return }
    foreach ($item in $found.items) {
        $text = $item.name
        if ($text -match '[\s''"`$(){}\[\];,@&|<>#]') { $text = "'" + $text.Replace("'", "''") + "'" }
        New-Object System.Management.Automation.CompletionResult -ArgumentList $text, $item.name, 'ParameterValue',
            "$($item.name) ($($item.status), expires $($item.expiresOn))"
    }
}
Register-ArgumentCompleter -CommandName 'Get-GatewayApiKey', 'Set-GatewayApiKey', 'Remove-GatewayApiKey',
    'Show-GatewayApiKey', 'Copy-GatewayApiKey', 'Reset-GatewayApiKey', 'Disable-GatewayApiKey', 'Enable-GatewayApiKey',
    'Get-GatewayApiKeyUsage' -ParameterName 'Name' -ScriptBlock $nameCompleter
Register-ArgumentCompleter -CommandName 'Get-GatewayApiKey' -ParameterName 'LiteralName' -ScriptBlock $nameCompleter

Register-ArgumentCompleter -CommandName 'New-GatewayApiKey', 'Set-GatewayApiKey' -ParameterName 'ValidFor' -ScriptBlock {
    param($commandName, $parameterName, $wordToComplete)
    foreach ($preset in $script:GatewayRules.ValidForPresets.Keys) {
        if ($preset -like "$wordToComplete*") {
            New-Object System.Management.Automation.CompletionResult -ArgumentList $preset, $preset, 'ParameterValue', $script:GatewayRules.ValidForPresets[$preset]
        }
    }
}

# One reason a GatewayApiKey resource is not in the desired state, as Azure Machine Configuration
# reads it from the Reasons property: Code 'GatewayApiKey:GatewayApiKey:<property>' and a Phrase.
class GatewayApiKeyReason {
    [DscProperty()]
    [string] $Code

    [DscProperty()]
    [string] $Phrase
}

<#
.SYNOPSIS
DSC resource: an API key that exists (or not), enabled (or disabled), with a description and an
expiry that is renewed before it lapses.

.DESCRIPTION
Class-based resources must live in the root module, hence here. Name is the key. With
Ensure = 'Present' a missing key is created (ExpiresOn, or ValidForDays from today, or the
daemon's default of one year). For an existing key, Description (when given) is kept equal,
ExpiresOn (when given) is kept equal, and RenewWithinDays extends the expiry by ValidForDays
(or one year) from today once the key expires within that many days. Enabled (when given) is kept
equal: Set enables or disables the key, and a key created with Enabled = $false is disabled right
after it is made. Set never changes a key's value; Get never returns it; Test only reads. Get lists
in Reasons what is not as configured.

Pipe and TokenPath say where the daemon and its token are, for this resource only: the LCM runs
as SYSTEM, without the environment (GATEWAY_APIKEYS_PIPE, GATEWAY_APIKEYS_TOKEN) of the admin
who wrote the configuration.
#>
[DscResource()]
class GatewayApiKey {
    [DscProperty(Key)]
    [string] $Name

    [DscProperty()]
    [ValidateSet('Present', 'Absent')]
    [string] $Ensure = 'Present'

    [DscProperty()]
    [string] $Description

    [DscProperty()]
    [Nullable[int]] $ValidForDays

    [DscProperty()]
    [Nullable[datetime]] $ExpiresOn

    [DscProperty()]
    [Nullable[int]] $RenewWithinDays

    [DscProperty()]
    [Nullable[bool]] $Enabled

    [DscProperty()]
    [string] $Pipe

    [DscProperty()]
    [string] $TokenPath

    [DscProperty(NotConfigurable)]
    [string] $Status

    [DscProperty(NotConfigurable)]
    [Nullable[int]] $DaysLeft

    [DscProperty(NotConfigurable)]
    [GatewayApiKeyReason[]] $Reasons

    [GatewayApiKey] Get() {
        $this.AssertValid()
        $saved = $this.EnterService()
        try {
            $current = $this.FindKey()
            $state = [GatewayApiKey]::new()
            $state.Name = $this.Name
            $state.ValidForDays = $this.ValidForDays
            $state.RenewWithinDays = $this.RenewWithinDays
            $state.Pipe = $this.Pipe
            $state.TokenPath = $this.TokenPath
            $state.Reasons = $this.FindReasons($current)
            if ($null -eq $current) {
                $state.Ensure = 'Absent'
                return $state
            }
            $state.Ensure = 'Present'
            $state.Name = $current.Name
            $state.Enabled = $current.Enabled
            $state.Description = $current.Description
            $state.ExpiresOn = $current.ExpiresOn
            $state.Status = $current.Status
            $state.DaysLeft = $current.DaysLeft
            return $state
        } finally {
            $this.LeaveService($saved)
        }
    }

    [bool] Test() {
        $this.AssertValid()
        $saved = $this.EnterService()
        try {
            return $this.FindReasons($this.FindKey()).Count -eq 0
        } finally {
            $this.LeaveService($saved)
        }
    }

    [void] Set() {
        $this.AssertValid()
        $saved = $this.EnterService()
        try {
            $current = $this.FindKey()
            if ($this.Ensure -eq 'Absent') {
                if ($null -ne $current) { Remove-GatewayApiKey -Name $current.Name -Confirm:$false -ErrorAction Stop }
                return
            }
            if ($null -eq $current) {
                $create = @{ Name = $this.Name }
                if ($null -ne $this.Description) { $create.Description = $this.Description }
                if ($null -ne $this.ExpiresOn) { $create.ExpiresOn = $this.ExpiresOn }
                if ($null -ne $this.ValidForDays) { $create.ValidFor = "P$($this.ValidForDays)D" }
                $current = New-GatewayApiKey @create -Confirm:$false -ErrorAction Stop
            } else {
                $changes = $this.GetChanges($current)
                if ($changes.Count -gt 0) { Set-GatewayApiKey -Name $current.Name @changes -Confirm:$false -ErrorAction Stop }
            }
            if ($null -ne $this.Enabled -and $this.Enabled -ne $current.Enabled) {
                if ($this.Enabled) {
                    Enable-GatewayApiKey -Name $current.Name -Confirm:$false -ErrorAction Stop
                } else {
                    Disable-GatewayApiKey -Name $current.Name -Reason 'DSC: the configuration says Enabled = $false' -Confirm:$false -ErrorAction Stop
                }
            }
        } finally {
            $this.LeaveService($saved)
        }
    }

    # The key as Get-GatewayApiKey shows it, $null when there is none (by exact name, whatever it holds).
    hidden [object] FindKey() {
        try {
            return (ConvertTo-GatewayApiKeyObject (Invoke-GatewayRpc -Method 'apiKey.get' -Params @{ name = $this.Name }))
        } catch {
            if ($_.Exception.Data['GatewayErrorId'] -eq 'KeyNotFound') { return $null }
            throw
        }
    }

    # Set-GatewayApiKey parameters that bring an existing key to the desired state; empty when it is there.
    hidden [hashtable] GetChanges([object] $current) {
        $changes = @{}
        if ($null -ne $this.Description -and $this.Description -cne $current.Description) {
            $changes.Description = $this.Description
        }
        if ($null -ne $this.ExpiresOn) {
            if ($this.ExpiresOn.Date -ne $current.ExpiresOn) { $changes.ExpiresOn = $this.ExpiresOn }
        } elseif ($null -ne $this.RenewWithinDays -and $current.DaysLeft -le $this.RenewWithinDays) {
            $changes.ValidFor = $this.RenewalPeriod()
        }
        return $changes
    }

    # What is not as configured, one reason per property, for Machine Configuration; none when compliant.
    hidden [GatewayApiKeyReason[]] FindReasons([object] $current) {
        $found = New-Object System.Collections.Generic.List[GatewayApiKeyReason]
        $key = "The key '$($this.Name)'"
        if ($this.Ensure -eq 'Absent') {
            if ($null -ne $current) { $found.Add([GatewayApiKey]::NewReason('Ensure', "$key exists; it should not.")) }
            return $found.ToArray()
        }
        if ($null -eq $current) {
            $found.Add([GatewayApiKey]::NewReason('Ensure', "$key does not exist; it should."))
            return $found.ToArray()
        }
        $changes = $this.GetChanges($current)
        $expires = $current.ExpiresOn.ToString('yyyy-MM-dd', [System.Globalization.CultureInfo]::InvariantCulture)
        if ($changes.ContainsKey('Description')) {
            $found.Add([GatewayApiKey]::NewReason('Description', "$key has the description '$($current.Description)'; it should be '$($this.Description)'."))
        }
        if ($changes.ContainsKey('ExpiresOn')) {
            $wanted = $this.ExpiresOn.ToString('yyyy-MM-dd', [System.Globalization.CultureInfo]::InvariantCulture)
            $found.Add([GatewayApiKey]::NewReason('ExpiresOn', "$key expires on $expires; it should expire on $wanted."))
        }
        if ($changes.ContainsKey('ValidFor')) {
            $found.Add([GatewayApiKey]::NewReason('RenewWithinDays',
                    "$key expires on $expires, $($current.DaysLeft) days from today, within RenewWithinDays ($($this.RenewWithinDays)); it should be renewed ($($changes.ValidFor) from today)."))
        }
        if ($null -ne $this.Enabled -and $this.Enabled -ne $current.Enabled) {
            if ($this.Enabled) {
                $found.Add([GatewayApiKey]::NewReason('Enabled', "$key is disabled; it should be enabled."))
            } else {
                $found.Add([GatewayApiKey]::NewReason('Enabled', "$key is enabled; it should be disabled."))
            }
        }
        return $found.ToArray()
    }

    hidden static [GatewayApiKeyReason] NewReason([string] $property, [string] $phrase) {
        $reason = [GatewayApiKeyReason]::new()
        $reason.Code = "GatewayApiKey:GatewayApiKey:$property"
        $reason.Phrase = $phrase
        return $reason
    }

    hidden [string] RenewalPeriod() {
        if ($null -ne $this.ValidForDays) { return "P$($this.ValidForDays)D" }
        return 'P1Y'
    }

    # Pipe and TokenPath, when given, hold for this call only: the session's own settings and
    # connection are put aside and given back by LeaveService.
    hidden [hashtable] EnterService() {
        if ([string]::IsNullOrEmpty($this.Pipe) -and [string]::IsNullOrEmpty($this.TokenPath)) { return $null }
        $saved = @{ Settings = $script:GatewaySettings.Clone(); Connection = $script:GatewayConnection }
        $script:GatewayConnection = $null
        if (-not [string]::IsNullOrEmpty($this.Pipe)) { $script:GatewaySettings.Pipe = $this.Pipe }
        if (-not [string]::IsNullOrEmpty($this.TokenPath)) {
            $script:GatewaySettings.Token = $null
            $script:GatewaySettings.Role = $null
            $script:GatewaySettings.TokenFile = $this.TokenPath
        }
        return $saved
    }

    hidden [void] LeaveService([hashtable] $saved) {
        if ($null -eq $saved) { return }
        Close-GatewayConnection
        foreach ($name in $saved.Settings.Keys) { $script:GatewaySettings[$name] = $saved.Settings[$name] }
        $script:GatewayConnection = $saved.Connection
    }

    # Settings that make no sense are refused before anything is read or changed, naming the
    # resource's own properties.
    hidden [void] AssertValid() {
        if ($null -ne $this.ValidForDays -and $this.ValidForDays -lt 1) {
            # The daemon takes P0D (a key for today only), but a provisioned key renewed to expire today serves nobody.
            throw [System.ArgumentException]::new("ValidForDays must be at least 1 day; it is $($this.ValidForDays).")
        }
        if ($null -ne $this.ExpiresOn -and $null -ne $this.ValidForDays) {
            throw [System.ArgumentException]::new('Give either ExpiresOn or ValidForDays, not both.')
        }
        if ($null -ne $this.RenewWithinDays) {
            if ($null -ne $this.ExpiresOn) {
                throw [System.ArgumentException]::new('RenewWithinDays renews by ValidForDays (or one year); it cannot keep a fixed ExpiresOn.')
            }
            $period = 365
            if ($null -ne $this.ValidForDays) { $period = $this.ValidForDays }
            if ($this.RenewWithinDays -lt 0 -or $this.RenewWithinDays -ge $period) {
                throw [System.ArgumentException]::new("RenewWithinDays must be at least 0 and less than the validity ($period days), or every run would renew the key.")
            }
        }
    }
}
