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
The DSC engines find a class-based resource only in the root module's own text, so
build/assemble-module.mjs puts this file into GatewayApiKeys.psm1. Name is the key. With
Ensure = 'Present' a missing key is created (ExpiresOn, or ValidForDays from today, or the
daemon's default validity: DefaultValidFor of the generated rules, P1Y). For an existing key,
Description (when given) is kept equal, ExpiresOn (when given) is kept equal, and RenewWithinDays
extends the expiry by ValidForDays (or that default validity) from today once the key expires
within that many days. Enabled (when given) is kept equal: Set enables or disables the key, and a
key created with Enabled = $false is disabled right after it is made. Set never changes a key's
value; Get never returns it; Test only reads. Get lists in Reasons what is not as configured.

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

    # The validity a renewal gives: ValidForDays, else the daemon's default (schemas/defs.json,
    # x-default of ValidFor, through Private/GatewayRules.generated.ps1).
    hidden [string] RenewalPeriod() {
        if ($null -ne $this.ValidForDays) { return "P$($this.ValidForDays)D" }
        return $script:GatewayRules.DefaultValidFor
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
                throw [System.ArgumentException]::new("RenewWithinDays renews by ValidForDays (or the default validity, $($script:GatewayRules.DefaultValidFor)); it cannot keep a fixed ExpiresOn.")
            }
            # A renewal from today gives this many days (the default validity's, from today: P1Y is 365 or 366).
            $period = Get-GatewayValidityDays -ValidFor $this.RenewalPeriod() -From ([datetime]::Today)
            if ($this.RenewWithinDays -lt 0 -or $this.RenewWithinDays -ge $period) {
                throw [System.ArgumentException]::new("RenewWithinDays must be at least 0 and less than the validity ($period days), or every run would renew the key.")
            }
        }
    }
}
