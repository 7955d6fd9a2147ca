# Set-GatewayApiKey.
# Against a real daemon of its own (TestDaemon.psm1), its clock started at 2026-11-27T12:00:00Z
# (UTC), so that expiry dates and statuses are known in advance.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestDaemon.psm1') -Force
    $script:Daemon = Start-TestSuiteDaemon
    # A name to collide with, and two keys to change through the pipeline.
    $null = New-GatewayApiKey -Name 'Orders connector' -Description 'Orders in NAC'
    $null = New-GatewayApiKey -Name 'Imported one' -Description 'from CSV' -ValidFor 90d
    $null = New-GatewayApiKey -Name 'Imported two' -Description 'from CSV too' -ValidFor 7d
}

AfterAll {
    Stop-TestSuiteDaemon $Daemon
}

Describe 'Set-GatewayApiKey' {
    BeforeAll {
        $script:original = New-GatewayApiKey -Name 'Settable key' -Description 'before' -ValidFor 30d -AsPlainText
    }

    It 'changes the description and outputs nothing without -PassThru' {
        Set-GatewayApiKey -Name 'Settable key' -Description 'after' | Should -BeNullOrEmpty
        (Get-GatewayApiKey -Name 'Settable key').Description | Should -Be 'after'
    }

    It 'moves the expiry with -ValidFor and -ExpiresOn, and returns the key with -PassThru' {
        $changed = Set-GatewayApiKey -Name 'Settable key' -ValidFor 90d -PassThru
        $changed.PSObject.TypeNames[0] | Should -Be 'GatewayApiKeys.ApiKey'
        $changed.ExpiresOn | Should -Be ([datetime]'2027-02-25')
        (Set-GatewayApiKey -Name 'Settable key' -ExpiresOn '2027-01-15' -PassThru).ExpiresOn | Should -Be ([datetime]'2027-01-15')
    }

    It 'renames with -NewName and keeps the value' {
        Set-GatewayApiKey -Name 'Settable key' -NewName 'Renamed key'
        Get-TestKeyValue 'Renamed key' | Should -Be $original.Key
        Set-GatewayApiKey -Name 'Renamed key' -NewName 'Settable key'
    }

    It 'refuses a rename to a taken name with NameTaken' {
        Set-GatewayApiKey -Name 'Settable key' -NewName 'orders connector' -ErrorVariable failed -ErrorAction SilentlyContinue
        $failed[-1].FullyQualifiedErrorId | Should -Be 'NameTaken,Set-GatewayApiKey'
        $failed[-1].CategoryInfo.Category | Should -Be 'ResourceExists'
    }

    It 'reports KeyNotFound for a missing key' {
        { Set-GatewayApiKey -Name 'Nobody by this name' -Description 'x' -ErrorAction Stop } | Should -Throw -ErrorId 'KeyNotFound,Set-GatewayApiKey'
    }

    It 'changes nothing with -WhatIf' {
        Set-GatewayApiKey -Name 'Settable key' -Description 'what if' -ValidFor 7d -WhatIf
        $key = Get-GatewayApiKey -Name 'Settable key'
        $key.Description | Should -Be 'after'
        $key.ExpiresOn | Should -Be ([datetime]'2027-01-15')
    }

    It 'says there is nothing to change when no change is given' {
        { Set-GatewayApiKey -Name 'Settable key' -ErrorAction Stop } | Should -Throw -ErrorId 'InvalidParams,Set-GatewayApiKey'
    }

    It 'changes every key piped from Get-GatewayApiKey' {
        Get-GatewayApiKey -Name 'Imported*' | Set-GatewayApiKey -ValidFor 180d
        (Get-GatewayApiKey -Name 'Imported*').ExpiresOn | Should -Be ([datetime]'2027-05-26'), ([datetime]'2027-05-26')
    }

    It 'takes of a piped key only its name: its description and expiry are what it has, not changes' {
        Get-GatewayApiKey -Name 'Imported one' | Set-GatewayApiKey -Description 'changed through the pipe'
        $key = Get-GatewayApiKey -Name 'Imported one'
        $key.Description | Should -Be 'changed through the pipe'
        $key.ExpiresOn | Should -Be ([datetime]'2027-05-26')
        { Get-GatewayApiKey -Name 'Imported one' | Set-GatewayApiKey -ErrorAction Stop } | Should -Throw -ErrorId 'InvalidParams,Set-GatewayApiKey'
    }

    It 'changes keys from a CSV by property name: NewName, Description, ExpiresOn, ValidFor, an empty cell changing nothing' {
        $null = New-GatewayApiKey -Name 'Csv edit one' -Description 'one' -ValidFor 30d
        $null = New-GatewayApiKey -Name 'Csv edit two' -Description 'two' -ValidFor 30d
        $csv = Join-Path $TestDrive 'edits.csv'
        Set-Content -Path $csv -Value @(
            'Name,NewName,Description,ExpiresOn,ValidFor'
            'Csv edit one,Csv edited one,,2027-04-30,'
            'Csv edit two,,New description,,1y'
        )
        Import-Csv -Path $csv | Set-GatewayApiKey
        $one = Get-GatewayApiKey -Name 'Csv edited one'
        $one.Description | Should -Be 'one'
        $one.ExpiresOn | Should -Be ([datetime]'2027-04-30')
        $two = Get-GatewayApiKey -Name 'Csv edit two'
        $two.Description | Should -Be 'New description'
        $two.ExpiresOn | Should -Be ([datetime]'2027-11-27')
    }

    It 'lets an expiry on the command line win over a row''s' {
        [pscustomobject]@{ Name = 'Csv edit two'; ExpiresOn = '2027-01-31' } | Set-GatewayApiKey -ValidFor 60d
        (Get-GatewayApiKey -Name 'Csv edit two').ExpiresOn | Should -Be ([datetime]'2027-01-26')
    }

    It 'binds -Description, -ExpiresOn, -ValidFor and -NewName by property name' {
        foreach ($name in 'Description', 'ExpiresOn', 'ValidFor', 'NewName') {
            $attribute = (Get-Command Set-GatewayApiKey).Parameters[$name].Attributes | Where-Object { $_ -is [System.Management.Automation.ParameterAttribute] }
            $attribute.ValueFromPipelineByPropertyName | Should -BeTrue -Because $name
        }
    }
}
