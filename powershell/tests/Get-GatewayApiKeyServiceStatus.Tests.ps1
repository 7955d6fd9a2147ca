# Get-GatewayApiKeyServiceStatus.
# Against a real daemon of its own (TestDaemon.psm1), its clock started at 2026-11-27T12:00:00Z
# (UTC), so that expiry dates and statuses are known in advance.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestDaemon.psm1') -Force
    $script:Daemon = Start-TestSuiteDaemon
    # A key of each kind for the counts: active, expiring, expiring soon, disabled.
    $null = New-GatewayApiKey -Name 'Status active'
    $null = New-GatewayApiKey -Name 'Status expiring' -ValidFor 7d
    $null = New-GatewayApiKey -Name 'Status soon' -ValidFor P2D
    $null = New-GatewayApiKey -Name 'Status disabled'
    Disable-GatewayApiKey -Name 'Status disabled' -Force
}

AfterAll {
    Stop-TestSuiteDaemon $Daemon
}

Describe 'Get-GatewayApiKeyServiceStatus' {
    It 'shows as a list, Today as yyyy-MM-dd, as does Connect-' {
        $text = Get-GatewayApiKeyServiceStatus | Out-String -Width 120
        $text | Should -Match '(?m)^Today\s+: 2026-11-27\r?$'
        $text | Should -Match '(?m)^Uptime\s+: 0\.00:\d\d:\d\d\r?$'
        $text | Should -Match '(?m)^Expired\s+: \d+\r?$'
        $text = Connect-GatewayApiKeyService -Pipe $Daemon.Pipe -DataDirectory $Daemon.DataDirectory | Out-String -Width 120
        $text | Should -Match '(?m)^Today\s+: 2026-11-27\r?$'
        $text | Should -Match '(?m)^Role\s+: admin\r?$'
        $text | Should -Not -Match '00:00:00'
    }

    It 'counts the keys per status, as the daemon does' {
        $status = Get-GatewayApiKeyServiceStatus
        $status.PSObject.TypeNames[0] | Should -Be 'GatewayApiKeys.ServiceStatus'
        $status.ServerVersion | Should -Be '0.1.0'
        $status.Role | Should -Be 'admin'
        $status.Uptime | Should -BeOfType [timespan]
        $status.Today | Should -Be ([datetime]'2026-11-27')
        $all = Get-GatewayApiKey
        $status.Keys | Should -Be @($all).Count
        foreach ($name in (Get-GeneratedRules).Statuses) {
            $status.$name | Should -Be @($all | Where-Object Status -EQ $name).Count
        }
    }

    It 'says where the keys are kept: a single host, its data dir alone, in step' {
        $status = Get-GatewayApiKeyServiceStatus
        $status.Store | Should -Be 'files'
        $status.StoreReachable | Should -BeTrue
        $status.LastSync | Should -BeNullOrEmpty
        $status.StoreLag | Should -Be ([timespan]::Zero)
        $status.Hosts | Should -Be 1
        $text = $status | Out-String -Width 120
        $text | Should -Match '(?m)^Store\s+: files\r?$'
        $text | Should -Match '(?m)^StoreLag\s+: 0\.00:00:00\r?$'
    }
}
