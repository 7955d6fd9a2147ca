# Test-GatewayApiKeyAuditLog.
# Against a real daemon of its own (TestDaemon.psm1), its clock started at 2026-11-27T12:00:00Z
# (UTC), so that expiry dates and statuses are known in advance.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestDaemon.psm1') -Force
    $script:Daemon = Start-TestSuiteDaemon
}

AfterAll {
    Stop-TestSuiteDaemon $Daemon
}

Describe 'Test-GatewayApiKeyAuditLog' {
    BeforeAll {
        $null = New-GatewayApiKey -Name 'Audited by Pester' -Description 'for the trail'
        $null = Show-GatewayApiKey -Name 'Audited by Pester'
    }

    It 'says the trail is intact' {
        Test-GatewayApiKeyAuditLog | Should -BeTrue
        $check = Test-GatewayApiKeyAuditLog -Detailed
        $check.Intact | Should -BeTrue
        $check.Entries | Should -BeGreaterThan 1
    }
}
