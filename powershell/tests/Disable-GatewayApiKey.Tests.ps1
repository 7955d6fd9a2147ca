# Disable-GatewayApiKey.
# Against a real daemon of its own (TestDaemon.psm1), its clock started at 2026-11-27T12:00:00Z
# (UTC), so that expiry dates and statuses are known in advance.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestDaemon.psm1') -Force
    $script:Daemon = Start-TestSuiteDaemon
}

AfterAll {
    Stop-TestSuiteDaemon $Daemon
}

Describe 'Disable-GatewayApiKey' {
    BeforeAll {
        $script:switched = New-GatewayApiKey -Name 'Switched key' -ValidFor 30d -AsPlainText
    }

    It 'Disable- is ConfirmImpact High, Enable- Medium' {
        $impact = { param($name) (Get-Command $name).ScriptBlock.Attributes.Where({ $_ -is [System.Management.Automation.CmdletBindingAttribute] }).ConfirmImpact }
        & $impact 'Disable-GatewayApiKey' | Should -Be 'High'
        & $impact 'Enable-GatewayApiKey' | Should -Be 'Medium'
    }

    # While the key is still enabled.
    It 'changes nothing with -WhatIf; the confirmation says what uses the key, or that it was never used' {
        $null = Invoke-TestAuthenticate -Daemon $Daemon -Key $switched.Key
        $said = (Get-TestHostOutput { Disable-GatewayApiKey -Name 'Switched key' -WhatIf }) -join ''
        $said | Should -Match 'Disable API key \(connectors using it fail at once; used by 1 connector, last \d+ (minutes?|hours?|days?) ago\)'
        (Get-GatewayApiKey -Name 'Switched key').Enabled | Should -BeTrue
        $null = New-GatewayApiKey -Name 'Never used key'
        $said = (Get-TestHostOutput { Disable-GatewayApiKey -Name 'Never used key' -WhatIf }) -join ''
        $said | Should -Match 'Disable API key \(connectors using it fail at once; never used\)'
    }

    It 'disables: the key fails authentication with Disabled at once, Status Disabled in gray, value and expiry kept' {
        Disable-GatewayApiKey -Name 'Switched key' -Reason 'Pester' -Force | Should -BeNullOrEmpty
        (Invoke-TestAuthenticate -Daemon $Daemon -Key $switched.Key).reason | Should -Be 'Disabled'
        (Test-GatewayApiKey -Key $switched.Key -Detailed).Reason | Should -Be 'Disabled'
        $key = Get-GatewayApiKey -Name 'Switched key'
        $key.Status | Should -Be 'Disabled'
        $key.Color | Should -Be 'Gray'
        $key.Enabled | Should -BeFalse
        $key.DisabledReason | Should -Be 'Pester'
        $key.DisabledAt | Should -BeOfType [datetime]
        $key.ExpiresOn | Should -Be ([datetime]'2026-12-27')
        $key.DaysLeft | Should -Be 30
        Get-TestKeyValue 'Switched key' | Should -Be $switched.Key
        (Get-GatewayApiKey -Status Disabled).Name | Should -Contain 'Switched key'
        (Get-GatewayApiKeyServiceStatus).Disabled | Should -BeGreaterThan 0
    }

    It 'reports KeyNotFound for a missing key and goes on with the next' {
        Disable-GatewayApiKey -Name 'No such switch', 'Never used key' -Force -ErrorVariable failed -ErrorAction SilentlyContinue
        $failed[-1].FullyQualifiedErrorId | Should -Be 'KeyNotFound,Disable-GatewayApiKey'
        (Get-GatewayApiKey -Name 'Never used key').Status | Should -Be 'Disabled'
        { Enable-GatewayApiKey -Name 'No such switch' -ErrorAction Stop } | Should -Throw -ErrorId 'KeyNotFound,Enable-GatewayApiKey'
    }
}
