# The caller's preference variables, as the cmdlets honour them.
# Against a real daemon of its own (TestDaemon.psm1), its clock started at 2026-11-27T12:00:00Z
# (UTC), so that expiry dates and statuses are known in advance.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestDaemon.psm1') -Force
    $script:Daemon = Start-TestSuiteDaemon
}

AfterAll {
    Stop-TestSuiteDaemon $Daemon
}

Describe 'The caller''s preference variables' {
    BeforeAll {
        # The run sets $ErrorActionPreference = 'Stop' globally; a module would see that one. Here the
        # global one is PowerShell's default, and only the caller's own function says Stop.
        $savedPreference = $global:ErrorActionPreference
        $global:ErrorActionPreference = 'Continue'
        $null = New-GatewayApiKey -Name 'Preference key'

        # A script's function that wants any error to stop it, as the try/catch of a script does.
        function Invoke-StrictCaller([string] $Command, [hashtable] $Splat) {
            $ErrorActionPreference = 'Stop'
            try {
                & $Command @Splat 2>$null
                'continued'
            } catch {
                $_
            }
        }
    }
    AfterAll { $global:ErrorActionPreference = $savedPreference }

    It '$ErrorActionPreference = ''Stop'' in the caller''s function stops <Command> at <Id>' -TestCases @(
        @{ Command = 'Get-GatewayApiKey'; Splat = @{ Name = 'Nope key' }; Id = 'KeyNotFound' }
        @{ Command = 'Set-GatewayApiKey'; Splat = @{ Name = 'Nope key'; Description = 'x' }; Id = 'KeyNotFound' }
        @{ Command = 'Remove-GatewayApiKey'; Splat = @{ Name = 'Nope key'; Force = $true }; Id = 'KeyNotFound' }
        @{ Command = 'Show-GatewayApiKey'; Splat = @{ Name = 'Nope key' }; Id = 'KeyNotFound' }
        @{ Command = 'New-GatewayApiKey'; Splat = @{ Name = 'PREFERENCE KEY' }; Id = 'NameTaken' }
        @{ Command = 'Test-GatewayApiKey'; Splat = @{ Key = 42 }; Id = 'InvalidParams' }
        @{ Command = 'Connect-GatewayApiKeyService'; Splat = @{ Pipe = '/tmp/gwk-nobody-here.sock' }; Id = 'DaemonUnreachable' }
    ) {
        try {
            $outcome = Invoke-StrictCaller $Command $Splat
        } finally {
            if ($Command -eq 'Connect-GatewayApiKeyService') { $null = Connect-GatewayApiKeyService -Pipe $Daemon.Pipe -DataDirectory $Daemon.DataDirectory }
        }
        $outcome | Should -BeOfType [System.Management.Automation.ErrorRecord]
        $outcome.FullyQualifiedErrorId | Should -Be "$Id,$Command"
    }

    It 'without Stop in the caller, the error is reported and the script goes on, as PowerShell does' {
        $outcome = & { try { Get-GatewayApiKey -Name 'Nope key' 2>$null; 'continued' } catch { $_ } }
        $outcome | Should -Be 'continued'
    }

    It 'the caller''s $VerbosePreference shows the module''s verbose messages' {
        $messages = & { $VerbosePreference = 'Continue'; Get-GatewayApiKey -Name 'Preference key' 4>&1 } |
            Where-Object { $_ -is [System.Management.Automation.VerboseRecord] }
        $messages.Message | Should -Contain 'gateway-apikeys: apiKey.get'
    }

    It 'the caller''s $WhatIfPreference makes New- and Remove- only say what they would do' {
        & { $WhatIfPreference = $true; $null = New-GatewayApiKey -Name 'What if by preference'; Remove-GatewayApiKey -Name 'Preference key' }
        Get-GatewayApiKey -Name 'What if by preference' -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        (Get-GatewayApiKey -Name 'Preference key').Name | Should -Be 'Preference key'
    }

    It 'a common parameter on the command wins over the caller''s preference' {
        $outcome = & { $ErrorActionPreference = 'Stop'; try { Get-GatewayApiKey -Name 'Nope key' -ErrorAction SilentlyContinue; 'continued' } catch { $_ } }
        $outcome | Should -Be 'continued'
    }

    AfterAll { $null = Connect-GatewayApiKeyService -Pipe $Daemon.Pipe -DataDirectory $Daemon.DataDirectory }
}
