# Get-GatewayApiKeyUsage.
# Against a real daemon of its own (TestDaemon.psm1), its clock started at 2026-11-27T12:00:00Z
# (UTC), so that expiry dates and statuses are known in advance.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestDaemon.psm1') -Force
    $script:Daemon = Start-TestSuiteDaemon
}

AfterAll {
    Stop-TestSuiteDaemon $Daemon
}

Describe 'Get-GatewayApiKeyUsage' {
    BeforeAll {
        $script:used = New-GatewayApiKey -Name 'Usage key' -AsPlainText
        foreach ($connector in 'nac-orders', 'nac-orders', 'nac-billing', $null) { $null = Invoke-TestAuthenticate -Daemon $Daemon -Key $used.Key -ConnectorId $connector }
        $null = Test-GatewayApiKey -Key $used.Key
    }

    It 'lists each connector with its first and last use and count, then the uses without a connectorId' {
        $usage = @(Get-GatewayApiKeyUsage -Name 'usage KEY')
        $usage.Count | Should -Be 3
        $usage[0].PSObject.TypeNames[0] | Should -Be 'GatewayApiKeys.ConnectorUsage'
        $usage.Name | Should -Be 'Usage key', 'Usage key', 'Usage key'
        ($usage | Where-Object ConnectorId -EQ 'nac-orders').Count | Should -Be 2
        ($usage | Where-Object ConnectorId -EQ 'nac-billing').Count | Should -Be 1
        $usage[0].LastUsed | Should -BeOfType [datetime]
        $usage[0].LastUsed | Should -BeGreaterOrEqual $usage[0].FirstUsed
        $usage[2].ConnectorId | Should -BeNullOrEmpty
        $usage[2].Count | Should -Be 1
        $usage[2].LastUsed | Should -BeNullOrEmpty
    }

    It 'takes keys from Get-GatewayApiKey; a key never used gives one object of Count 0, which Where-Object finds' {
        $null = New-GatewayApiKey -Name 'Usage unused'
        $usage = Get-GatewayApiKey -Name 'Usage*' | Get-GatewayApiKeyUsage
        $unused = @($usage | Where-Object Name -EQ 'Usage unused')
        $unused.Count | Should -Be 1
        $unused[0].PSObject.TypeNames[0] | Should -Be 'GatewayApiKeys.ConnectorUsage'
        $unused[0].Count | Should -Be 0
        $unused[0].ConnectorId | Should -BeNullOrEmpty
        $unused[0].FirstUsed | Should -BeNullOrEmpty
        $unused[0].LastUsed | Should -BeNullOrEmpty
        @($usage | Where-Object Name -EQ 'Usage key').Count | Should -Be 3
        @($usage | Where-Object Count -EQ 0).Name | Should -Be 'Usage unused'
    }

    It 'shows a key never used as (never used), as the CLI says it was never used' {
        $lines = (Get-GatewayApiKeyUsage -Name 'Usage unused' | Out-String -Width 120) -split "`r?`n" | Where-Object { $_ -match '\S' }
        $lines[0] | Should -Match '^Name\s+ConnectorId\s+FirstUsed\s+LastUsed\s+Count$'
        $lines[-1] | Should -Match '^Usage unused\s+\(never used\)\s+0$'
    }

    It 'shows as a table, (none) for the uses without a connectorId' {
        $lines = (Get-GatewayApiKeyUsage -Name 'Usage key' | Out-String -Width 120) -split "`r?`n" | Where-Object { $_ -match '\S' }
        $lines[0] | Should -Match '^Name\s+ConnectorId\s+FirstUsed\s+LastUsed\s+Count$'
        $lines[-1] | Should -Match '^Usage key\s+\(none\)\s+1$'
    }

    It 'reports KeyNotFound for a missing key' {
        { Get-GatewayApiKeyUsage -Name 'No usage here' -ErrorAction Stop } | Should -Throw -ErrorId 'KeyNotFound,Get-GatewayApiKeyUsage'
    }

    It 'Remove-GatewayApiKey -WhatIf says what uses the key' {
        $said = (Get-TestHostOutput { Remove-GatewayApiKey -Name 'Usage key' -WhatIf }) -join ''
        $said | Should -Match 'Delete API key \(irreversible; used by 2 connectors and once without a connectorId, last \d+ (minutes?|hours?|days?) ago\)'
        (Get-GatewayApiKey -Name 'Usage key').Name | Should -Be 'Usage key'
    }
}
