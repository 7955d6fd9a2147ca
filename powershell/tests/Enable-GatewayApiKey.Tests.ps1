# Enable-GatewayApiKey.
# Against a real daemon of its own (TestDaemon.psm1), its clock started at 2026-11-27T12:00:00Z
# (UTC), so that expiry dates and statuses are known in advance.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestDaemon.psm1') -Force
    $script:Daemon = Start-TestSuiteDaemon
}

AfterAll {
    Stop-TestSuiteDaemon $Daemon
}

Describe 'Enable-GatewayApiKey' {
    BeforeAll {
        $script:switched = New-GatewayApiKey -Name 'Switched key' -ValidFor 30d -AsPlainText
        Disable-GatewayApiKey -Name 'Switched key' -Force
    }

    It 'enables again, with -PassThru' {
        $key = Enable-GatewayApiKey -Name 'switched KEY' -PassThru
        $key.PSObject.TypeNames[0] | Should -Be 'GatewayApiKeys.ApiKey'
        $key.Status | Should -Be 'Active'
        $key.Enabled | Should -BeTrue
        $key.DisabledReason | Should -BeNullOrEmpty
        $key.DisabledAt | Should -BeNullOrEmpty
        Test-GatewayApiKey -Key $switched.Key | Should -BeTrue
    }

    It 'takes keys from the pipeline by property name' {
        $null = New-GatewayApiKey -Name 'Piped switch one'
        $null = New-GatewayApiKey -Name 'Piped switch two'
        $off = Get-GatewayApiKey -Name 'Piped switch*' | Disable-GatewayApiKey -Force -PassThru
        $off.Status | Should -Be 'Disabled', 'Disabled'
        $on = Get-GatewayApiKey -Name 'Piped switch*' -Status Disabled | Enable-GatewayApiKey -PassThru
        $on.Enabled | Should -Be $true, $true
    }
}
