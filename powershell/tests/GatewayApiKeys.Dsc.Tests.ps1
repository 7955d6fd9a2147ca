# The class-based DSC resource GatewayApiKey, its Get/Test/Set called as the DSC engine calls them,
# against a real daemon whose clock starts at 2026-11-27T12:00:00Z (UTC).

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestDaemon.psm1') -Force
    Import-TestedModule
    $script:Daemon = Start-TestDaemon
    $null = Connect-GatewayApiKeyService -Pipe $Daemon.Pipe -DataDirectory $Daemon.DataDirectory

    # An instance of the resource with these properties, as the engine makes it from a configuration.
    function New-Resource([hashtable] $Property) {
        InModuleScope GatewayApiKeys -Parameters @{ Property = $Property } {
            param($Property)
            $resource = [GatewayApiKey]::new()
            foreach ($name in $Property.Keys) { $resource.$name = $Property[$name] }
            $resource
        }
    }
    function Get-KeyValue([string] $Name) { (Show-GatewayApiKey -Name $Name).Key }
}

AfterAll {
    Remove-Module GatewayApiKeys -ErrorAction Ignore
    Stop-TestDaemon $Daemon
}

Describe 'The GatewayApiKey DSC resource' {
    It 'is a class-based DSC resource keyed by Name' {
        $type = InModuleScope GatewayApiKeys { [GatewayApiKey] }
        $type.GetCustomAttributes([System.Management.Automation.DscResourceAttribute], $false) | Should -Not -BeNullOrEmpty
        $key = $type.GetProperty('Name').GetCustomAttributes([System.Management.Automation.DscPropertyAttribute], $false)
        $key[0].Key | Should -BeTrue
        foreach ($name in 'Ensure', 'Description', 'ValidForDays', 'ExpiresOn', 'RenewWithinDays') {
            $type.GetProperty($name).GetCustomAttributes([System.Management.Automation.DscPropertyAttribute], $false) | Should -Not -BeNullOrEmpty -Because $name
        }
    }
}

Describe 'Ensure = Present' {
    It 'creates a missing key with its description and validity, after which Test is true' {
        $resource = New-Resource @{ Name = 'Dsc orders'; Description = 'Provisioned by DSC'; ValidForDays = 30 }
        $resource.Get().Ensure | Should -Be 'Absent'
        $resource.Test() | Should -BeFalse
        $resource.Set()
        $resource.Test() | Should -BeTrue
        $key = Get-GatewayApiKey -Name 'Dsc orders'
        $key.Description | Should -Be 'Provisioned by DSC'
        $key.ExpiresOn | Should -Be ([datetime]'2026-12-27')
    }

    It 'reports the current state with Get, never the value' {
        $state = (New-Resource @{ Name = 'dsc ORDERS'; ValidForDays = 30; RenewWithinDays = 7 }).Get()
        $state.Ensure | Should -Be 'Present'
        $state.Name | Should -Be 'Dsc orders'
        $state.Description | Should -Be 'Provisioned by DSC'
        $state.ExpiresOn | Should -Be ([datetime]'2026-12-27')
        $state.Status | Should -Be 'Active'
        $state.DaysLeft | Should -Be 30
        $state.ValidForDays | Should -Be 30
        $state.RenewWithinDays | Should -Be 7
        $value = Get-KeyValue 'Dsc orders'
        foreach ($property in $state.PSObject.Properties) { "$($property.Value)" | Should -Not -Match ([regex]::Escape($value)) }
        $state.PSObject.Properties.Name | Should -Not -Contain 'Key'
    }

    It 'brings a changed description back, keeping the key''s value; Test alone changes nothing' {
        $value = Get-KeyValue 'Dsc orders'
        Set-GatewayApiKey -Name 'Dsc orders' -Description 'changed by hand'
        $updated = (Get-GatewayApiKey -Name 'Dsc orders').Updated
        $resource = New-Resource @{ Name = 'Dsc orders'; Description = 'Provisioned by DSC'; ValidForDays = 30 }
        $resource.Test() | Should -BeFalse
        $resource.Test() | Should -BeFalse
        $null = $resource.Get()
        (Get-GatewayApiKey -Name 'Dsc orders').Updated | Should -Be $updated
        (Get-GatewayApiKey -Name 'Dsc orders').Description | Should -Be 'changed by hand'
        $resource.Set()
        $resource.Test() | Should -BeTrue
        (Get-GatewayApiKey -Name 'Dsc orders').Description | Should -Be 'Provisioned by DSC'
        Get-KeyValue 'Dsc orders' | Should -Be $value
    }

    It 'leaves the description alone when the configuration gives none' {
        Set-GatewayApiKey -Name 'Dsc orders' -Description 'set by hand, not managed'
        (New-Resource @{ Name = 'Dsc orders' }).Test() | Should -BeTrue
    }

    It 'keeps a fixed ExpiresOn' {
        $resource = New-Resource @{ Name = 'Dsc orders'; ExpiresOn = [datetime]'2027-03-01' }
        $resource.Test() | Should -BeFalse
        $resource.Set()
        $resource.Test() | Should -BeTrue
        (Get-GatewayApiKey -Name 'Dsc orders').ExpiresOn | Should -Be ([datetime]'2027-03-01')
    }

    It 'creates a key with a fixed ExpiresOn, or the default year when no expiry is given' {
        (New-Resource @{ Name = 'Dsc fixed'; ExpiresOn = [datetime]'2027-06-30' }).Set()
        (Get-GatewayApiKey -Name 'Dsc fixed').ExpiresOn | Should -Be ([datetime]'2027-06-30')
        (New-Resource @{ Name = 'Dsc default' }).Set()
        (Get-GatewayApiKey -Name 'Dsc default').ExpiresOn | Should -Be ([datetime]'2027-11-27')
    }

    It 'passes the daemon''s refusal on: a validity beyond five years is ExpiryTooFar' {
        $failed = { (New-Resource @{ Name = 'Dsc too far'; ValidForDays = 2000 }).Set() } | Should -Throw -PassThru
        $failed.FullyQualifiedErrorId | Should -BeLike 'ExpiryTooFar*'
        Get-GatewayApiKey -Name 'Dsc too far' -ErrorAction Ignore | Should -BeNullOrEmpty
    }
}

Describe 'RenewWithinDays' {
    BeforeAll {
        $null = New-GatewayApiKey -Name 'Dsc renewable' -ValidFor 7d   # expires 2026-12-04: 7 days left
    }

    It 'does nothing while the key has more days left than RenewWithinDays' {
        (New-Resource @{ Name = 'Dsc renewable'; ValidForDays = 90; RenewWithinDays = 6 }).Test() | Should -BeTrue
    }

    It 'extends the expiry by ValidForDays from today once the key expires within RenewWithinDays, keeping its value' {
        $value = Get-KeyValue 'Dsc renewable'
        $resource = New-Resource @{ Name = 'Dsc renewable'; ValidForDays = 90; RenewWithinDays = 7 }
        $resource.Test() | Should -BeFalse
        (Get-GatewayApiKey -Name 'Dsc renewable').ExpiresOn | Should -Be ([datetime]'2026-12-04')
        $resource.Set()
        $resource.Test() | Should -BeTrue
        (Get-GatewayApiKey -Name 'Dsc renewable').ExpiresOn | Should -Be ([datetime]'2027-02-25')
        Get-KeyValue 'Dsc renewable' | Should -Be $value
    }

    It 'renews by one year when no ValidForDays is given' {
        Set-GatewayApiKey -Name 'Dsc renewable' -ValidFor P2D
        $resource = New-Resource @{ Name = 'Dsc renewable'; RenewWithinDays = 14 }
        $resource.Test() | Should -BeFalse
        $resource.Set()
        (Get-GatewayApiKey -Name 'Dsc renewable').ExpiresOn | Should -Be ([datetime]'2027-11-27')
    }

    It 'renews a key that has already expired, so a provisioned key comes back by itself' {
        Set-GatewayApiKey -Name 'Dsc renewable' -ValidFor P1D
        Stop-TestDaemon $Daemon -Keep
        $script:Daemon = Start-TestDaemon -Now '2026-12-10T12:00:00Z' -Paths $Daemon.Paths
        $value = Get-KeyValue 'Dsc renewable'
        (Get-GatewayApiKey -Name 'Dsc renewable').Status | Should -Be 'Expired'
        $resource = New-Resource @{ Name = 'Dsc renewable'; ValidForDays = 30; RenewWithinDays = 3 }
        $resource.Test() | Should -BeFalse
        $resource.Set()
        $renewed = Get-GatewayApiKey -Name 'Dsc renewable'
        $renewed.Status | Should -Be 'Active'
        $renewed.ExpiresOn | Should -Be ([datetime]'2027-01-09')
        Get-KeyValue 'Dsc renewable' | Should -Be $value
    }

    It 'refuses settings that contradict each other: <Why>' -TestCases @(
        @{ Why = 'ExpiresOn and ValidForDays'; Property = @{ ExpiresOn = [datetime]'2027-01-01'; ValidForDays = 30 }; Message = 'not both' }
        @{ Why = 'RenewWithinDays with a fixed ExpiresOn'; Property = @{ ExpiresOn = [datetime]'2027-01-01'; RenewWithinDays = 5 }; Message = 'fixed ExpiresOn' }
        @{ Why = 'RenewWithinDays not below ValidForDays'; Property = @{ ValidForDays = 30; RenewWithinDays = 30 }; Message = 'every run' }
        @{ Why = 'RenewWithinDays below 0'; Property = @{ RenewWithinDays = -1 }; Message = 'at least 0' }
    ) {
        $Property.Name = 'Dsc renewable'
        $resource = New-Resource $Property
        foreach ($method in 'Get', 'Test', 'Set') {
            $failed = { $resource.$method() } | Should -Throw -PassThru -Because $method
            $failed.Exception | Should -BeOfType [System.ArgumentException]
            $failed.Exception.Message | Should -Match $Message
        }
    }
}

Describe 'Ensure = Absent' {
    It 'deletes the key, after which Test is true and Set does nothing more' {
        $null = New-GatewayApiKey -Name 'Dsc unwanted'
        $resource = New-Resource @{ Name = 'dsc unwanted'; Ensure = 'Absent' }
        $resource.Test() | Should -BeFalse
        $resource.Get().Ensure | Should -Be 'Present'
        $resource.Set()
        $resource.Test() | Should -BeTrue
        $resource.Get().Ensure | Should -Be 'Absent'
        { $resource.Set() } | Should -Not -Throw
        Get-GatewayApiKey -Name 'Dsc unwanted' -ErrorAction Ignore | Should -BeNullOrEmpty
    }
}
