Set-StrictMode -Version 3.0

# Where and how to reach the daemon. Connect-GatewayApiKeyService sets these; what is left $null
# comes from the environment (GATEWAY_APIKEYS_PIPE, GATEWAY_APIKEYS_TOKEN, GATEWAY_APIKEYS_DATA_DIR)
# or the platform defaults at connect time.
$script:GatewayDefaultTimeoutMilliseconds = 5000
$script:GatewaySettings = @{
    Pipe                = $null
    Token               = $null
    Role                = $null
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

foreach ($folder in 'Private', 'Public') {
    foreach ($file in Get-ChildItem -Path (Join-Path $PSScriptRoot $folder) -Filter '*.ps1') {
        . $file.FullName
    }
}

$ExecutionContext.SessionState.Module.OnRemove = { Close-GatewayConnection }

# Tab completion of key names, asked of the daemon. It must never disturb the prompt: when the
# daemon is down or refuses, there is simply nothing to offer, and $Error holds nothing of it
# (PowerShell records an error in $Error even when a catch handles it).
Register-ArgumentCompleter -CommandName 'Get-GatewayApiKey', 'Set-GatewayApiKey', 'Remove-GatewayApiKey',
    'Show-GatewayApiKey', 'Copy-GatewayApiKey' -ParameterName 'Name' -ScriptBlock {
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

Register-ArgumentCompleter -CommandName 'New-GatewayApiKey', 'Set-GatewayApiKey' -ParameterName 'ValidFor' -ScriptBlock {
    param($commandName, $parameterName, $wordToComplete)
    foreach ($preset in $script:GatewayRules.ValidForPresets.Keys) {
        if ($preset -like "$wordToComplete*") {
            New-Object System.Management.Automation.CompletionResult -ArgumentList $preset, $preset, 'ParameterValue', $script:GatewayRules.ValidForPresets[$preset]
        }
    }
}

<#
.SYNOPSIS
DSC resource: an API key that exists (or not), with a description and an expiry that is renewed
before it lapses.

.DESCRIPTION
Class-based resources must live in the root module, hence here. Name is the key. With
Ensure = 'Present' a missing key is created (ExpiresOn, or ValidForDays from today, or the
daemon's default of one year). For an existing key, Description (when given) is kept equal,
ExpiresOn (when given) is kept equal, and RenewWithinDays extends the expiry by ValidForDays
(or one year) from today once the key expires within that many days. Set never changes a key's
value; Get never returns it; Test only reads.
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

    [DscProperty(NotConfigurable)]
    [string] $Status

    [DscProperty(NotConfigurable)]
    [Nullable[int]] $DaysLeft

    [GatewayApiKey] Get() {
        $this.AssertValid()
        $current = $this.FindKey()
        $state = [GatewayApiKey]::new()
        $state.Name = $this.Name
        $state.ValidForDays = $this.ValidForDays
        $state.RenewWithinDays = $this.RenewWithinDays
        if ($null -eq $current) {
            $state.Ensure = 'Absent'
            return $state
        }
        $state.Ensure = 'Present'
        $state.Name = $current.Name
        $state.Description = $current.Description
        $state.ExpiresOn = $current.ExpiresOn
        $state.Status = $current.Status
        $state.DaysLeft = $current.DaysLeft
        return $state
    }

    [bool] Test() {
        $this.AssertValid()
        $current = $this.FindKey()
        if ($this.Ensure -eq 'Absent') { return $null -eq $current }
        if ($null -eq $current) { return $false }
        return $this.GetChanges($current).Count -eq 0
    }

    [void] Set() {
        $this.AssertValid()
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
            $null = New-GatewayApiKey @create -Confirm:$false -ErrorAction Stop
            return
        }
        $changes = $this.GetChanges($current)
        if ($changes.Count -gt 0) { Set-GatewayApiKey -Name $current.Name @changes -Confirm:$false -ErrorAction Stop }
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

    hidden [string] RenewalPeriod() {
        if ($null -ne $this.ValidForDays) { return "P$($this.ValidForDays)D" }
        return 'P1Y'
    }

    # Settings that contradict each other are refused before anything is read or changed.
    hidden [void] AssertValid() {
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
