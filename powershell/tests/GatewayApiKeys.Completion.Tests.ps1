# Tab completion of key names and presets.
# Against a real daemon of its own (TestDaemon.psm1), its clock started at 2026-11-27T12:00:00Z
# (UTC), so that expiry dates and statuses are known in advance.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestDaemon.psm1') -Force
    $script:Daemon = Start-TestSuiteDaemon
    $null = New-GatewayApiKey -Name 'Orders connector' -Description 'Orders in NAC'
    $null = New-GatewayApiKey -Name 'Plain text key'
}

AfterAll {
    Stop-TestSuiteDaemon $Daemon
}

Describe 'Tab completion of key names' {
    It 'offers the daemon''s names for -Name, quoted when they hold a space' {
        $line = 'Show-GatewayApiKey -Name Orders'
        $found = (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches
        $found.CompletionText | Should -Be "'Orders connector'"
        $found.ListItemText | Should -Be 'Orders connector'
        $line = 'Remove-GatewayApiKey -Name plain'
        (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches.CompletionText | Should -Be "'Plain text key'"
    }

    It 'fails silently when the daemon refuses the token: nothing offered, nothing added to $Error' {
        $saved = @{ Pipe = $env:GATEWAY_APIKEYS_PIPE; Token = $env:GATEWAY_APIKEYS_TOKEN }
        try {
            Import-TestedModule
            $env:GATEWAY_APIKEYS_PIPE = $Daemon.Pipe
            $env:GATEWAY_APIKEYS_TOKEN = 'gwt_not_the_token'
            $Error.Clear()
            Write-Error 'an error of the session before' -ErrorAction SilentlyContinue
            $line = 'Show-GatewayApiKey -Name Orders'
            foreach ($press in 1, 2) { (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches | Should -BeNullOrEmpty }
            $Error.Count | Should -Be 1
            "$($Error[0])" | Should -Be 'an error of the session before'
        } finally {
            $env:GATEWAY_APIKEYS_PIPE = $saved.Pipe
            $env:GATEWAY_APIKEYS_TOKEN = $saved.Token
            Import-TestedModule
            $null = Connect-GatewayApiKeyService -Pipe $Daemon.Pipe -DataDirectory $Daemon.DataDirectory
        }
    }

    It 'offers the -ValidFor presets' {
        $line = 'New-GatewayApiKey -Name x -ValidFor 1'
        (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches.CompletionText | Should -Be '180d', '1y'
    }
}
