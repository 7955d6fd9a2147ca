# A daemon that restarts, stops or lets keys expire, as the cmdlets see it.
# Against a real daemon of its own (TestDaemon.psm1), its clock started at 2026-11-27T12:00:00Z
# (UTC), so that expiry dates and statuses are known in advance.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestDaemon.psm1') -Force
    $script:Daemon = Start-TestSuiteDaemon
    $null = New-GatewayApiKey -Name 'Orders connector' -Description 'Orders in NAC'
    $null = New-GatewayApiKey -Name 'Short-lived key' -ExpiresOn '2026-11-30'
}

AfterAll {
    Stop-TestSuiteDaemon $Daemon
}

Describe 'A daemon that restarts, stops, or lets keys expire' {
    It 'reconnects transparently after a restart, and then sees time move on: Get -Status Expired | Remove' {
        $before = Get-TestKeyValue 'Short-lived key'
        Stop-TestDaemon $Daemon -Keep
        # The same store, ten days later: 'Short-lived key' (2026-11-30) has expired.
        $script:Daemon = Start-TestDaemon -Now '2026-12-07T12:00:00Z' -Paths $Daemon.Paths
        $expired = Get-GatewayApiKey -Status Expired
        $expired.Name | Should -Contain 'Short-lived key'
        $expired.Name | Should -Not -Contain 'Orders connector'
        (Test-GatewayApiKey -Key $before -Detailed).Reason | Should -Be 'Expired'
        Get-GatewayApiKey -Status Expired | Remove-GatewayApiKey -Confirm:$false
        Get-GatewayApiKey -Status Expired | Should -BeNullOrEmpty
        (Get-GatewayApiKey -Name 'Orders connector').Status | Should -Be 'Active'
    }

    It 're-activates an expired key when its expiry moves' {
        $null = New-GatewayApiKey -Name 'Lapsing key' -ValidFor P2D
        Stop-TestDaemon $Daemon -Keep
        $script:Daemon = Start-TestDaemon -Now '2026-12-20T12:00:00Z' -Paths $Daemon.Paths
        (Get-GatewayApiKey -Name 'Lapsing key').Status | Should -Be 'Expired'
        (Set-GatewayApiKey -Name 'Lapsing key' -ValidFor 30d -PassThru).Status | Should -Be 'Active'
    }

    It 'says clearly that the daemon is not running, and completion then offers nothing, silently' {
        Stop-TestDaemon $Daemon -Keep
        try {
            $unreachable = { Get-GatewayApiKey } | Should -Throw -ErrorId 'DaemonUnreachable,Get-GatewayApiKey' -PassThru
            $unreachable.CategoryInfo.Category | Should -Be 'ConnectionError'
            $unreachable.Exception.Message | Should -Match 'the daemon is not running'
            $line = 'Show-GatewayApiKey -Name Orders'
            $Error.Clear()
            foreach ($press in 1, 2) { (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches | Should -BeNullOrEmpty }
            $Error.Count | Should -Be 0
        } finally {
            $script:Daemon = Start-TestDaemon -Now '2026-12-20T12:00:00Z' -Paths $Daemon.Paths
        }
        (Get-GatewayApiKey -Name 'Orders connector').Name | Should -Be 'Orders connector'
    }
}
