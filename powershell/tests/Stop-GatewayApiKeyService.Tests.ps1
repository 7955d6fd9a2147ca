# Stop-GatewayApiKeyService against real daemons of its own (TestDaemon.psm1), which it stops.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestDaemon.psm1') -Force
    Import-TestedModule
}

AfterAll {
    Remove-Module GatewayApiKeys -ErrorAction Ignore
}

Describe 'Stop-GatewayApiKeyService stops the daemon cleanly' {
    It 'asks daemon.shutdown (the clean stop Windows has no signal for); the daemon exits 0 and the next call finds it gone' {
        $own = Start-TestDaemon
        try {
            $null = Connect-GatewayApiKeyService -Pipe $own.Pipe -DataDirectory $own.DataDirectory
            $null = New-GatewayApiKey -Name 'Kept across the stop'
            Stop-GatewayApiKeyService -Force
            $own.Process.WaitForExit(15000) | Should -BeTrue
            $own.Process.ExitCode | Should -Be 0
            { Get-GatewayApiKey } | Should -Throw -ErrorId 'DaemonUnreachable,Get-GatewayApiKey'
            $again = Start-TestDaemon -Paths $own.Paths
            (Get-GatewayApiKey -Name 'Kept across the stop').Name | Should -Be 'Kept across the stop'
            Stop-TestDaemon $again -Keep
        } finally {
            Stop-TestDaemon $own
        }
    }
}
