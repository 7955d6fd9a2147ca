# Show-GatewayApiKey.
# Against a real daemon of its own (TestDaemon.psm1), its clock started at 2026-11-27T12:00:00Z
# (UTC), so that expiry dates and statuses are known in advance.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestDaemon.psm1') -Force
    $script:Daemon = Start-TestSuiteDaemon
}

AfterAll {
    Stop-TestSuiteDaemon $Daemon
}

Describe 'Show-GatewayApiKey' {
    It 'shows name, description, expiry and value' {
        $created = New-GatewayApiKey -Name 'Shown key' -Description 'for the View screen' -ExpiresOn '2027-02-01' -AsPlainText
        $view = Show-GatewayApiKey -Name 'shown KEY'
        $view.PSObject.TypeNames[0] | Should -Be 'GatewayApiKeys.ApiKeyView'
        $view.PSObject.Properties.Name | Should -Be 'Name', 'Description', 'ExpiresOn', 'Key'
        $view.Name | Should -Be 'Shown key'
        $view.Description | Should -Be 'for the View screen'
        $view.ExpiresOn | Should -Be ([datetime]'2027-02-01')
        $view.Key | Should -Be $created.Key
    }

    It 'renders as the View screen, value in clear' {
        $text = Show-GatewayApiKey -Name 'Shown key' | Out-String
        $text | Should -Match 'Name\s+: Shown key'
        $text | Should -Match 'ExpiresOn\s+: 2027-02-01'
        $text | Should -Match ('Key\s+: ' + [regex]::Escape((Get-TestKeyValue 'Shown key')))
    }

    It 'takes names from the pipeline and reports KeyNotFound for a missing one' {
        $shown = 'Shown key', 'Gone key' | Show-GatewayApiKey -ErrorVariable failed -ErrorAction SilentlyContinue
        @($shown).Count | Should -Be 1
        $failed[-1].FullyQualifiedErrorId | Should -Be 'KeyNotFound,Show-GatewayApiKey'
    }
}
