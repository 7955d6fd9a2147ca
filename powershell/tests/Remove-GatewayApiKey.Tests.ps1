# Remove-GatewayApiKey.
# Against a real daemon of its own (TestDaemon.psm1), its clock started at 2026-11-27T12:00:00Z
# (UTC), so that expiry dates and statuses are known in advance.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestDaemon.psm1') -Force
    $script:Daemon = Start-TestSuiteDaemon
}

AfterAll {
    Stop-TestSuiteDaemon $Daemon
}

Describe 'Remove-GatewayApiKey' {
    BeforeEach {
        foreach ($name in 'Doomed one', 'Doomed two') {
            if (-not (Get-GatewayApiKey -Name $name -ErrorAction Ignore)) { $null = New-GatewayApiKey -Name $name }
        }
    }

    It 'is ConfirmImpact High' {
        (Get-Command Remove-GatewayApiKey).ScriptBlock.Attributes.Where({ $_ -is [System.Management.Automation.CmdletBindingAttribute] }).ConfirmImpact |
            Should -Be 'High'
    }

    It 'deletes with -Force: the key is gone and its value no longer authenticates' {
        $value = Get-TestKeyValue 'Doomed one'
        Remove-GatewayApiKey -Name 'Doomed one' -Force | Should -BeNullOrEmpty
        { Get-GatewayApiKey -Name 'Doomed one' -ErrorAction Stop } | Should -Throw -ErrorId 'KeyNotFound,Get-GatewayApiKey'
        Test-GatewayApiKey -Key $value | Should -BeFalse
    }

    It 'deletes nothing with -WhatIf' {
        Remove-GatewayApiKey -Name 'Doomed one' -WhatIf
        (Get-GatewayApiKey -Name 'Doomed one').Name | Should -Be 'Doomed one'
    }

    It 'takes names by value and by property name from the pipeline' {
        'Doomed one' | Remove-GatewayApiKey -Confirm:$false
        Get-GatewayApiKey -Name 'Doomed two' | Remove-GatewayApiKey -Confirm:$false
        Get-GatewayApiKey -Name 'Doomed*' | Should -BeNullOrEmpty
    }

    It 'reports KeyNotFound for a missing key and goes on with the next' {
        Remove-GatewayApiKey -Name 'Never was', 'Doomed one' -Force -ErrorVariable failed -ErrorAction SilentlyContinue
        $failed[-1].FullyQualifiedErrorId | Should -Be 'KeyNotFound,Remove-GatewayApiKey'
        Get-GatewayApiKey -Name 'Doomed one' -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
    }
}
