# Reset-GatewayApiKey.
# Against a real daemon of its own (TestDaemon.psm1), its clock started at 2026-11-27T12:00:00Z
# (UTC), so that expiry dates and statuses are known in advance.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestDaemon.psm1') -Force
    $script:Daemon = Start-TestSuiteDaemon
}

AfterAll {
    Stop-TestSuiteDaemon $Daemon
}

Describe 'Reset-GatewayApiKey' {
    BeforeAll {
        # The daemon's clock runs from 2026-11-27T12:00:00Z; PreviousValidUntil is as of the reset.
        function Get-GraceHours([object] $Key) { [math]::Round(($Key.PreviousValidUntil - $Key.RotatedAt).TotalHours, 3) }
    }

    It 'is ConfirmImpact High, with -WhatIf and -Confirm' {
        (Get-Command Reset-GatewayApiKey).ScriptBlock.Attributes.Where({ $_ -is [System.Management.Automation.CmdletBindingAttribute] }).ConfirmImpact |
            Should -Be 'High'
    }

    It 'gives a new value at once; the old one works until PreviousValidUntil (24 hours by default), answering PreviousValue' {
        $old = (New-GatewayApiKey -Name 'Rotated key' -Description 'kept' -ValidFor 90d -AsPlainText).Key
        $new = Reset-GatewayApiKey -Name 'Rotated key' -Force
        $new.PSObject.TypeNames[0] | Should -Be 'GatewayApiKeys.RotatedApiKey'
        $new.PSObject.TypeNames | Should -Contain 'GatewayApiKeys.ApiKey'
        $new.Key | Should -BeOfType [System.Security.SecureString]
        $plain = [System.Net.NetworkCredential]::new('', $new.Key).Password
        $plain | Should -Not -Be $old
        $new.Hint | Should -Be $plain.Substring(0, 8)
        $new.Description | Should -Be 'kept'
        $new.ExpiresOn | Should -Be ([datetime]'2027-02-25')
        $new.RotatedAt | Should -BeOfType [datetime]
        Get-GraceHours $new | Should -Be 24
        Test-GatewayApiKey -Key $plain | Should -BeTrue
        $detail = Test-GatewayApiKey -Key $old -Detailed
        $detail.Authenticated | Should -BeTrue
        $detail.PreviousValue | Should -BeTrue
        (Test-GatewayApiKey -Key $plain -Detailed).PreviousValue | Should -BeFalse
        (Invoke-TestAuthenticate -Daemon $Daemon -Key $old).previousValue | Should -BeTrue
        Get-TestKeyValue 'Rotated key' | Should -Be $plain
        (Get-GatewayApiKey -Name 'Rotated key').PreviousValidUntil | Should -Be $new.PreviousValidUntil
    }

    It 'takes -GracePeriod as <Why>' -TestCases @(
        @{ Why = 'a [TimeSpan]'; Grace = (New-TimeSpan -Hours 48); Hours = 48 }
        @{ Why = 'a TimeSpan text'; Grace = '2.00:00:00'; Hours = 48 }
        @{ Why = 'a number of hours'; Grace = 6; Hours = 6 }
        @{ Why = 'the CLI''s text in hours'; Grace = '12h'; Hours = 12 }
        @{ Why = 'the CLI''s text in days'; Grace = '7d'; Hours = 168 }
    ) {
        $null = New-GatewayApiKey -Name "Grace $Why"
        Get-GraceHours (Reset-GatewayApiKey -Name "Grace $Why" -GracePeriod $Grace -AsPlainText -Confirm:$false) | Should -Be $Hours
    }

    It 'ends the old value at once with -GracePeriod 0; a second reset ends the first grace' {
        $first = (New-GatewayApiKey -Name 'Twice rotated' -AsPlainText).Key
        $second = (Reset-GatewayApiKey -Name 'Twice rotated' -AsPlainText -Force).Key
        $third = (Reset-GatewayApiKey -Name 'Twice rotated' -AsPlainText -Force).Key
        (Test-GatewayApiKey -Key $first -Detailed).Reason | Should -Be 'Unknown'
        (Test-GatewayApiKey -Key $second -Detailed).PreviousValue | Should -BeTrue
        $fourth = Reset-GatewayApiKey -Name 'Twice rotated' -GracePeriod 0 -AsPlainText -Force
        (Test-GatewayApiKey -Key $third -Detailed).Reason | Should -Be 'Unknown'
        Test-GatewayApiKey -Key $fourth.Key | Should -BeTrue
        $fourth.PreviousValidUntil | Should -Be $fourth.RotatedAt
        (Get-GatewayApiKey -Name 'Twice rotated').PreviousValidUntil | Should -BeNullOrEmpty
    }

    It 'refuses <Why> with GraceInvalid, before anything is sent' -TestCases @(
        @{ Why = 'a fraction of an hour'; Grace = (New-TimeSpan -Minutes 90) }
        @{ Why = 'more than a week'; Grace = '8d' }
        @{ Why = 'a negative grace'; Grace = (New-TimeSpan -Hours -1) }
    ) {
        $before = Get-TestKeyValue 'Rotated key'
        $failed = { Reset-GatewayApiKey -Name 'Rotated key' -GracePeriod $Grace -Force } | Should -Throw -ErrorId 'GraceInvalid,Reset-GatewayApiKey' -PassThru
        $failed.CategoryInfo.Category | Should -Be 'InvalidArgument'
        $failed.Exception.Message | Should -Match 'whole number of hours from 0 to 168'
        Get-TestKeyValue 'Rotated key' | Should -Be $before
    }

    It 'refuses a disabled key with KeyDisabled (InvalidOperation) and goes on with the next' {
        $null = New-GatewayApiKey -Name 'Disabled for reset'
        Disable-GatewayApiKey -Name 'Disabled for reset' -Force
        $made = 'Disabled for reset', 'Rotated key' | Reset-GatewayApiKey -Force -ErrorVariable failed -ErrorAction SilentlyContinue
        $failed[-1].FullyQualifiedErrorId | Should -Be 'KeyDisabled,Reset-GatewayApiKey'
        $failed[-1].CategoryInfo.Category | Should -Be 'InvalidOperation'
        @($made).Name | Should -Be 'Rotated key'
    }

    It 'changes nothing with -WhatIf, and says what uses the key' {
        $value = Get-TestKeyValue 'Rotated key'
        $null = Invoke-TestAuthenticate -Daemon $Daemon -Key $value -ConnectorId 'nac-orders'
        $said = (Get-TestHostOutput { Reset-GatewayApiKey -Name 'Rotated key' -GracePeriod 0 -WhatIf }) -join ''
        $said | Should -Match 'What if: .*Give API key a new value \(the old one stops working at once; used by 2 connectors, last \d+ (minutes?|hours?|days?) ago\)'
        Get-TestKeyValue 'Rotated key' | Should -Be $value
    }
}
