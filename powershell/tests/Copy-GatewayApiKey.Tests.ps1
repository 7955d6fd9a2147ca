# Copy-GatewayApiKey.
# Against a real daemon of its own (TestDaemon.psm1), its clock started at 2026-11-27T12:00:00Z
# (UTC), so that expiry dates and statuses are known in advance.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestDaemon.psm1') -Force
    $script:Daemon = Start-TestSuiteDaemon
    $null = New-GatewayApiKey -Name 'Shown key' -Description 'the key to copy'
}

AfterAll {
    Stop-TestSuiteDaemon $Daemon
}

Describe 'Copy-GatewayApiKey' {
    Context 'where there is no clipboard' {
        BeforeAll { $savedDisplay = $env:DISPLAY; $env:DISPLAY = $null }
        AfterAll { $env:DISPLAY = $savedDisplay }

        It 'fails with ClipboardUnavailable and says what to do' -Skip:($IsWindows -or $IsMacOS) {
            $failed = { Copy-GatewayApiKey -Name 'Shown key' } | Should -Throw -ErrorId 'ClipboardUnavailable,Copy-GatewayApiKey' -PassThru
            $failed.CategoryInfo.Category | Should -Be 'ResourceUnavailable'
            $failed.Exception.Message | Should -Match 'xclip'
            $failed.Exception.Message | Should -Match 'Show-GatewayApiKey'
        }

        It 'only says what it would do with -WhatIf, clipboard or not' {
            # The 'What if:' line goes to the host; what matters is that nothing fails for want of a clipboard.
            { Copy-GatewayApiKey -Name 'Shown key' -WhatIf -ErrorAction Stop } | Should -Not -Throw
        }
    }

    Context 'where there is a clipboard' {
        BeforeAll {
            # A stand-in xclip and display make the clipboard look present; Set-Clipboard itself is mocked.
            $savedDisplay = $env:DISPLAY; $savedPath = $env:PATH
            $bin = Join-Path $TestDrive 'bin'
            $null = New-Item -ItemType Directory -Path $bin
            Set-Content -Path (Join-Path $bin 'xclip') -Value '#!/bin/sh'
            if (-not $IsWindows) { & chmod +x (Join-Path $bin 'xclip') }
            $env:DISPLAY = ':99'
            $env:PATH = $bin + [System.IO.Path]::PathSeparator + $env:PATH
            Mock -ModuleName GatewayApiKeys Set-Clipboard { }
            Mock -ModuleName GatewayApiKeys Start-GatewayClipboardClear { }
        }
        AfterAll { $env:DISPLAY = $savedDisplay; $env:PATH = $savedPath }

        It 'puts the value on the clipboard, outputs nothing, and has it cleared after 30 seconds' {
            Copy-GatewayApiKey -Name 'Shown key' | Should -BeNullOrEmpty
            $expected = Get-TestKeyValue 'Shown key'
            Should -Invoke -ModuleName GatewayApiKeys Set-Clipboard -Times 1 -Exactly -ParameterFilter { $Value -eq $expected }
            Should -Invoke -ModuleName GatewayApiKeys Start-GatewayClipboardClear -Times 1 -Exactly -ParameterFilter { $Seconds -eq 30 -and $Text -eq $expected }
        }

        It 'clears after -ClearAfter seconds, or never with -ClearAfter 0' {
            Copy-GatewayApiKey -Name 'Shown key' -ClearAfter 5
            Should -Invoke -ModuleName GatewayApiKeys Start-GatewayClipboardClear -Times 1 -Exactly -ParameterFilter { $Seconds -eq 5 }
            Copy-GatewayApiKey -Name 'Shown key' -ClearAfter 0
            Should -Invoke -ModuleName GatewayApiKeys Start-GatewayClipboardClear -Times 1 -Exactly
            Should -Invoke -ModuleName GatewayApiKeys Set-Clipboard -Times 2 -Exactly
        }

        It 'copies nothing with -WhatIf' {
            Copy-GatewayApiKey -Name 'Shown key' -WhatIf
            Should -Invoke -ModuleName GatewayApiKeys Set-Clipboard -Times 0 -Exactly
        }

        It 'reports KeyNotFound for a missing key' {
            { Copy-GatewayApiKey -Name 'Gone key' -ErrorAction Stop } | Should -Throw -ErrorId 'KeyNotFound,Copy-GatewayApiKey'
        }
    }

    Context 'the clipboard really cleared, by a process of its own' -Skip:($IsWindows -or $IsMacOS) {
        BeforeAll {
            # An xclip that keeps the clipboard in a file: -in (or a file to read) writes it, -out prints it.
            $savedDisplay = $env:DISPLAY; $savedPath = $env:PATH; $savedStore = $env:GWK_FAKE_CLIPBOARD
            $bin = Join-Path $TestDrive 'real-bin'
            $null = New-Item -ItemType Directory -Path $bin
            $env:GWK_FAKE_CLIPBOARD = Join-Path $TestDrive 'clipboard.txt'
            Set-Content -Path (Join-Path $bin 'xclip') -Value @(
                '#!/bin/sh'
                'for a in "$@"; do case "$a" in -out|-o) cat "$GWK_FAKE_CLIPBOARD" 2>/dev/null; exit 0;; esac; done'
                'for a in "$@"; do case "$a" in -*|clipboard) ;; *) cat "$a" > "$GWK_FAKE_CLIPBOARD"; exit 0;; esac; done'
                'cat > "$GWK_FAKE_CLIPBOARD"'
            )
            & chmod +x (Join-Path $bin 'xclip')
            $env:DISPLAY = ':99'
            $env:PATH = $bin + [System.IO.Path]::PathSeparator + $env:PATH
        }
        AfterAll { $env:DISPLAY = $savedDisplay; $env:PATH = $savedPath; $env:GWK_FAKE_CLIPBOARD = $savedStore }

        It 'takes the value off the clipboard after -ClearAfter seconds, even with this session gone on' {
            Copy-GatewayApiKey -Name 'Shown key' -ClearAfter 1
            Get-Content -Raw -Path $env:GWK_FAKE_CLIPBOARD | Should -Be (Get-TestKeyValue 'Shown key')
            $deadline = [datetime]::UtcNow.AddSeconds(30)
            while ((Get-Content -Raw -Path $env:GWK_FAKE_CLIPBOARD) -and [datetime]::UtcNow -lt $deadline) { Start-Sleep -Milliseconds 200 }
            Get-Content -Raw -Path $env:GWK_FAKE_CLIPBOARD | Should -BeNullOrEmpty
        }
    }
}
