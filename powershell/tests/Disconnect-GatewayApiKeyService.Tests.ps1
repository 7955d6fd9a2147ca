# Disconnect-GatewayApiKeyService.
# Against a real daemon of its own (TestDaemon.psm1), its clock started at 2026-11-27T12:00:00Z
# (UTC), so that expiry dates and statuses are known in advance.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestDaemon.psm1') -Force
    $script:Daemon = Start-TestSuiteDaemon
}

AfterAll {
    Stop-TestSuiteDaemon $Daemon
}

Describe 'Disconnect-GatewayApiKeyService' {
    BeforeAll { $saved = Save-TestConnectionEnvironment }
    BeforeEach { Clear-TestConnectionEnvironment }
    AfterAll { Restore-TestConnectionEnvironment -Saved $saved -Daemon $Daemon }

    It 'Disconnect-GatewayApiKeyService forgets what Connect- set, the token first' {
        $env:GATEWAY_APIKEYS_PIPE = $Daemon.Pipe
        $env:GATEWAY_APIKEYS_DATA_DIR = $Daemon.DataDirectory
        (Connect-GatewayApiKeyService -Pipe $Daemon.Pipe -Token (ConvertTo-TestSecureString $Daemon.GatewayToken)).Role | Should -Be 'gateway'
        Disconnect-GatewayApiKeyService | Should -BeNullOrEmpty
        InModuleScope GatewayApiKeys { $script:GatewayConnection } | Should -BeNullOrEmpty
        InModuleScope GatewayApiKeys { $script:GatewaySettings.Token } | Should -BeNullOrEmpty
        (Get-GatewayApiKeyServiceStatus).Role | Should -Be 'admin'
    }
}
