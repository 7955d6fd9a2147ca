# Get-GatewayApiKeyAuditLog.
# Against a real daemon of its own (TestDaemon.psm1), its clock started at 2026-11-27T12:00:00Z
# (UTC), so that expiry dates and statuses are known in advance.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestDaemon.psm1') -Force
    $script:Daemon = Start-TestSuiteDaemon
}

AfterAll {
    Stop-TestSuiteDaemon $Daemon
}

Describe 'Get-GatewayApiKeyAuditLog' {
    BeforeAll {
        $null = New-GatewayApiKey -Name 'Audited by Pester' -Description 'for the trail'
        $null = Show-GatewayApiKey -Name 'Audited by Pester'
    }

    It 'lists a key''s entries, oldest first, typed for sorting and filtering' {
        $entries = @(Get-GatewayApiKeyAuditLog -KeyName 'AUDITED BY PESTER')
        $entries.Event | Should -Be 'apiKey.created', 'apiKey.revealed'
        $entries[0].PSObject.TypeNames[0] | Should -Be 'GatewayApiKeys.AuditEntry'
        $entries[0].At | Should -BeOfType [datetime]
        $entries[0].Role | Should -Be 'admin'
        # The account this test runs as: the daemon names the socket's peer, so admins can be told apart.
        $me = if ($IsWindows) { $null } else { "$([System.Environment]::UserName) (uid $(& id -u))" }
        $entries.Account | Should -Be $me, $me
        $entries[1].Seq | Should -BeGreaterThan $entries[0].Seq
        ($entries | Out-String) | Should -Match ('apiKey\.revealed\s+admin\s+' + [regex]::Escape($me) + '\s+Audited by Pester')
    }

    It 'filters by event, time and count, and takes key names from the pipeline' {
        (Get-GatewayApiKeyAuditLog -Event apiKey.revealed -KeyName 'Audited by Pester').Count | Should -Be 1
        @(Get-GatewayApiKeyAuditLog -Since (Get-Date).AddYears(5)) | Should -HaveCount 0
        @(Get-GatewayApiKeyAuditLog -Last 1).Event | Should -Be 'apiKey.revealed'
        (Get-GatewayApiKey -Name 'Audited by Pester' | Get-GatewayApiKeyAuditLog).Event | Should -Be 'apiKey.created', 'apiKey.revealed'
        { Get-GatewayApiKeyAuditLog -Event 'apiKey.stolen' } | Should -Throw -ErrorId 'ParameterArgumentValidationError,Get-GatewayApiKeyAuditLog'
    }
}
