# The module's Windows path against a real daemon: the named pipe, the Identification level it asks
# for, timeouts, the clipboard, the clean stop. Runs where PowerShell runs as Windows: on Windows, and
# under Wine in the Windows suite (test/windows/wine-powershell.test.ts; docs/architecture.md, "The
# Windows suite"). Elsewhere every test is skipped. What Wine cannot show is said where it matters:
# it ignores the impersonation level, and it cannot list \\.\pipe\, so a missing pipe costs the timeout there.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestDaemon.psm1') -Force
    Import-TestedModule
    if ($IsWindows) {
        $script:Daemon = Start-TestDaemon
        $null = Connect-GatewayApiKeyService -Pipe $Daemon.Pipe -DataDirectory $Daemon.DataDirectory
    }

    function Get-ImpersonationLevel([System.IO.Pipes.NamedPipeClientStream] $Stream) {
        # No public property says it; the field's name differs between .NET Framework and .NET, its type does not.
        [System.IO.Pipes.NamedPipeClientStream].GetFields([System.Reflection.BindingFlags]'NonPublic, Instance') |
            Where-Object { $_.FieldType -eq [System.Security.Principal.TokenImpersonationLevel] } |
            ForEach-Object { $_.GetValue($Stream) }
    }
}

AfterAll {
    Remove-Module GatewayApiKeys -ErrorAction Ignore
    if ($script:Daemon) { Stop-TestDaemon $Daemon }
}

Describe 'The module on Windows, over a named pipe' -Skip:(-not $IsWindows) {
    It 'connects over \\.\pipe\ with protocol 3, bound to the daemon''s process id and its own, at the Identification impersonation level' {
        $info = Connect-GatewayApiKeyService -Pipe $Daemon.Pipe -DataDirectory $Daemon.DataDirectory
        $info.Role | Should -Be 'admin'
        $info.ProtocolVersion | Should -Be 3
        $binding = InModuleScope GatewayApiKeys { $script:GatewayConnection.Binding }
        $binding | Should -Match "^\d+:$PID`$"
        $binding | Should -Not -Be "0:$PID"
        $stream = InModuleScope GatewayApiKeys { $script:GatewayConnection.Stream }
        $stream | Should -BeOfType [System.IO.Pipes.NamedPipeClientStream]
        $stream.IsConnected | Should -BeTrue
        Get-ImpersonationLevel $stream | Should -Be ([System.Security.Principal.TokenImpersonationLevel]::Identification)
    }

    It 'creates, lists, tests, edits and removes a key; a missing one is KeyNotFound' {
        $created = New-GatewayApiKey -Name 'Windows key' -Description 'over a named pipe' -ValidFor 90d -AsPlainText
        $created.Key | Should -Match '^gwk_[0-9A-Za-z]{49}$'
        (Get-GatewayApiKey -Name 'windows*').Name | Should -Be 'Windows key'
        (Test-GatewayApiKey -Key $created.Key -Detailed).Authenticated | Should -BeTrue
        (Set-GatewayApiKey -Name 'Windows key' -Description 'edited' -PassThru).Description | Should -Be 'edited'
        { Get-GatewayApiKey -Name 'No such key' -ErrorAction Stop } | Should -Throw -ErrorId 'KeyNotFound,Get-GatewayApiKey'
        Remove-GatewayApiKey -Name 'Windows key' -Force
        Get-GatewayApiKey -Name 'Windows key' -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
    }

    It 'shows a value, and copies it to the Windows clipboard' {
        $null = New-GatewayApiKey -Name 'Clipboard key'
        $shown = (Show-GatewayApiKey -Name 'Clipboard key').Key
        Copy-GatewayApiKey -Name 'Clipboard key' -ClearAfter 0
        Get-Clipboard | Should -Be $shown
    }

    It 'is DaemonUnreachable for a pipe that no process serves, within the timeout' {
        # Windows lists \\.\pipe\ and fails at once; Wine cannot list it, so there Connect waits out the timeout.
        $watch = [System.Diagnostics.Stopwatch]::StartNew()
        { Connect-GatewayApiKeyService -Pipe "\\.\pipe\gwk-nobody-$([guid]::NewGuid().ToString('N'))" -TimeoutSec 1 -ErrorAction Stop } |
            Should -Throw -ErrorId 'DaemonUnreachable,Connect-GatewayApiKeyService'
        $watch.Elapsed.TotalSeconds | Should -BeLessThan 4
    }

    It 'is DaemonTimeout when what answers on the pipe never answers' {
        $name = "gwk-silent-$([guid]::NewGuid().ToString('N'))"
        # Buffers of their own: with none, Wine blocks a client's write until the server reads.
        $server = New-Object System.IO.Pipes.NamedPipeServerStream -ArgumentList $name, ([System.IO.Pipes.PipeDirection]::InOut), 1,
            ([System.IO.Pipes.PipeTransmissionMode]::Byte), ([System.IO.Pipes.PipeOptions]::Asynchronous), 4096, 4096
        try {
            $null = $server.WaitForConnectionAsync()
            $watch = [System.Diagnostics.Stopwatch]::StartNew()
            { Connect-GatewayApiKeyService -Pipe "\\.\pipe\$name" -TimeoutSec 1 -ErrorAction Stop } | Should -Throw -ErrorId 'DaemonTimeout*'
            $watch.Elapsed.TotalSeconds | Should -BeLessThan 5
        } finally {
            $server.Dispose()
            $null = Connect-GatewayApiKeyService -Pipe $Daemon.Pipe -DataDirectory $Daemon.DataDirectory
        }
    }

    It 'stops the daemon cleanly (Stop-GatewayApiKeyService: Windows has no SIGTERM)' {
        $own = Start-TestDaemon
        try {
            $null = Connect-GatewayApiKeyService -Pipe $own.Pipe -DataDirectory $own.DataDirectory
            Stop-GatewayApiKeyService -Force
            $own.Process.WaitForExit(15000) | Should -BeTrue
            $own.Process.ExitCode | Should -Be 0
        } finally {
            Stop-TestDaemon $own
            $null = Connect-GatewayApiKeyService -Pipe $Daemon.Pipe -DataDirectory $Daemon.DataDirectory
        }
    }
}
