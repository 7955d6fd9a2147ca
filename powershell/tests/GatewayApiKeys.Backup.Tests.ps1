# Backup-GatewayApiKeyVault against a real daemon, and Test-GatewayApiKeyBackup and
# Restore-GatewayApiKeyVault running the real executable (dist/cli.js, with node) offline.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestDaemon.psm1') -Force
    Import-TestedModule
    $script:Daemon = Start-TestDaemon
    $null = Connect-GatewayApiKeyService -Pipe $Daemon.Pipe -DataDirectory $Daemon.DataDirectory

    $script:Cli = (Resolve-Path (Join-Path $PSScriptRoot '../../dist/cli.js')).Path
    # The node the suites run the daemon with goes first on the PATH, so that dist/cli.js runs with it.
    $node = 'node'
    if ($env:GATEWAY_TEST_NODE) { $node = $env:GATEWAY_TEST_NODE }
    $script:SavedPath = $env:PATH
    $env:PATH = (Split-Path -Parent (Get-Command $node -CommandType Application | Select-Object -First 1).Source) +
        [System.IO.Path]::PathSeparator + $env:PATH
    $script:SavedVariables = @{}
    foreach ($name in 'GATEWAY_APIKEYS_BACKUP_PASSPHRASE', 'GATEWAY_APIKEYS_PASSPHRASE', 'GATEWAY_APIKEYS_EXE') {
        $SavedVariables[$name] = [System.Environment]::GetEnvironmentVariable($name)
        [System.Environment]::SetEnvironmentVariable($name, $null)
    }

    $script:Work = Join-Path ([System.IO.Path]::GetTempPath()) ("gwk-backup-" + [guid]::NewGuid().ToString('N').Substring(0, 10))
    $null = New-Item -ItemType Directory -Path $Work
    Push-Location $Work

    # Every passphrase these tests use: none may appear in any error message.
    $script:PassphraseText = 'correct horse battery staple'
    $script:WrongText = 'Tr0ub4dor&3-not-it'
    $script:Passphrase = ConvertTo-TestSecureString $PassphraseText
    $script:Wrong = ConvertTo-TestSecureString $WrongText
    $script:SeenErrors = New-Object System.Collections.Generic.List[object]

    $script:KeyNames = 'Backup alpha', 'Backup beta', 'Backup gamma'
    $script:Values = @{}
    foreach ($name in $KeyNames) { $Values[$name] = (New-GatewayApiKey -Name $name -AsPlainText).Key }

    $script:Made = Backup-GatewayApiKeyVault -Path 'keys.gwkbak' -Passphrase $Passphrase
    $script:BackupFile = Join-Path $Work 'keys.gwkbak'

    # Runs a command, with errors that do not stop it (whatever the suite's preference); returns its
    # output and its errors, terminating or not. The errors are also kept for the last test.
    function Invoke-Capturing([scriptblock] $Command) {
        $ErrorActionPreference = 'Continue'
        $output = New-Object System.Collections.Generic.List[object]
        $errors = New-Object System.Collections.Generic.List[object]
        try {
            foreach ($item in (& $Command 2>&1)) {
                if ($item -is [System.Management.Automation.ErrorRecord]) { $errors.Add($item) } else { $output.Add($item) }
            }
        } catch {
            $errors.Add($_)
        }
        foreach ($one in $errors) { $SeenErrors.Add($one) }
        [pscustomobject]@{ Output = $output.ToArray(); Errors = $errors.ToArray() }
    }

    function Get-Failure([scriptblock] $Command) { , (Invoke-Capturing $Command).Errors }
}

AfterAll {
    Pop-Location
    Remove-Module GatewayApiKeys -ErrorAction Ignore
    Stop-TestDaemon $Daemon
    $env:PATH = $SavedPath
    foreach ($name in $SavedVariables.Keys) { [System.Environment]::SetEnvironmentVariable($name, $SavedVariables[$name]) }
    Remove-Item -Recurse -Force -LiteralPath $Work -ErrorAction Ignore
}

Describe 'Backup-GatewayApiKeyVault' {
    It 'backs up every key to the file, relative to the current location, and says what it holds' {
        $Made.PSObject.TypeNames[0] | Should -Be 'GatewayApiKeys.Backup'
        $Made.Path | Should -Be $BackupFile
        $Made.KeyCount | Should -Be 3
        $Made.VaultId | Should -Match '^[0-9a-f]{32}$'
        $Made.CreatedAt | Should -BeOfType [datetime]
        $Made.Seconds | Should -BeGreaterThan 0
        $Made.KeysPerSecond | Should -BeGreaterThan 0
        $BackupFile | Should -Exist
        "$BackupFile.partial" | Should -Not -Exist
    }

    It 'writes a file only its owner may read' -Skip:$IsWindows {
        (Get-Item -LiteralPath $BackupFile).UnixMode | Should -Be '-rw-------'
    }

    It 'refuses an existing file without -Force (BackupExists), replaces it with -Force' {
        $before = [System.IO.File]::ReadAllBytes($BackupFile)
        $refused = Get-Failure { Backup-GatewayApiKeyVault -Path 'keys.gwkbak' -Passphrase $Passphrase }
        $refused[0].FullyQualifiedErrorId | Should -Be 'BackupExists,Backup-GatewayApiKeyVault'
        $refused[0].CategoryInfo.Category | Should -Be 'ResourceExists'
        [System.IO.File]::ReadAllBytes($BackupFile) | Should -Be $before

        $copy = Join-Path $Work 'replaced.gwkbak'
        Set-Content -LiteralPath $copy -Value 'an old file'
        $replaced = Backup-GatewayApiKeyVault -Path $copy -Passphrase $Passphrase -Force
        $replaced.KeyCount | Should -Be 3
        (Test-GatewayApiKeyBackup -Path $copy -Passphrase $Passphrase -ExecutablePath $Cli).Intact | Should -BeTrue
    }

    It 'takes the passphrase from -PassphraseFile (one line, its line break not part of it) and from GATEWAY_APIKEYS_BACKUP_PASSPHRASE' {
        $passFile = Join-Path $Work 'pass.txt'
        [System.IO.File]::WriteAllText($passFile, "$PassphraseText`n")
        $fromFile = Backup-GatewayApiKeyVault -Path 'from-file.gwkbak' -PassphraseFile $passFile
        (Test-GatewayApiKeyBackup -Path $fromFile.Path -Passphrase $Passphrase -ExecutablePath $Cli).Intact | Should -BeTrue

        $env:GATEWAY_APIKEYS_BACKUP_PASSPHRASE = $PassphraseText
        try {
            $fromEnv = Backup-GatewayApiKeyVault -Path 'from-env.gwkbak'
            (Test-GatewayApiKeyBackup -Path $fromEnv.Path -ExecutablePath $Cli).KeyCount | Should -Be 3
        } finally {
            $env:GATEWAY_APIKEYS_BACKUP_PASSPHRASE = $null
        }
    }

    It 'with no passphrase to be had (no parameter, no variable, not interactive) fails with PassphraseUnavailable and writes no file' {
        $failed = Get-Failure { Backup-GatewayApiKeyVault -Path 'none.gwkbak' }
        $failed[0].FullyQualifiedErrorId | Should -Be 'PassphraseUnavailable,Backup-GatewayApiKeyVault'
        $failed[0].Exception.Message | Should -Match 'GATEWAY_APIKEYS_BACKUP_PASSPHRASE'
        'none.gwkbak', 'none.gwkbak.partial' | ForEach-Object { Join-Path $Work $_ } | Should -Not -Exist
    }

    It 'with a passphrase file it cannot read fails with PassphraseUnavailable, naming the system''s reason, not PowerShell''s wrapper' {
        $failed = Get-Failure { Backup-GatewayApiKeyVault -Path 'unread.gwkbak' -PassphraseFile (Join-Path $Work 'no-such-pass.txt') }
        $failed[0].FullyQualifiedErrorId | Should -Be 'PassphraseUnavailable,Backup-GatewayApiKeyVault'
        $failed[0].Exception.Message | Should -Match "^Cannot read the passphrase file '.*no-such-pass\.txt': Could not find file"
        $failed[0].Exception.Message | Should -Not -Match 'Exception calling'
        'unread.gwkbak', 'unread.gwkbak.partial' | ForEach-Object { Join-Path $Work $_ } | Should -Not -Exist
    }

    It 'asks twice in an interactive session; two different answers are PassphraseMismatch, and no file' {
        Mock -ModuleName GatewayApiKeys Test-GatewayInteractive { $true }
        $global:GwkTypedAnswers = [System.Collections.Generic.Queue[string]]::new([string[]]@($PassphraseText, $WrongText))
        Mock -ModuleName GatewayApiKeys Read-Host { ConvertTo-SecureString -String $global:GwkTypedAnswers.Dequeue() -AsPlainText -Force }
        $failed = Get-Failure { Backup-GatewayApiKeyVault -Path 'typed.gwkbak' }
        $failed[0].FullyQualifiedErrorId | Should -Be 'PassphraseMismatch,Backup-GatewayApiKeyVault'
        Join-Path $Work 'typed.gwkbak' | Should -Not -Exist

        $global:GwkTypedAnswers = [System.Collections.Generic.Queue[string]]::new([string[]]@($PassphraseText, $PassphraseText))
        try {
            (Backup-GatewayApiKeyVault -Path 'typed.gwkbak').KeyCount | Should -Be 3
        } finally {
            Remove-Variable -Scope Global -Name GwkTypedAnswers
        }
        Should -Invoke -ModuleName GatewayApiKeys Read-Host -Times 4 -Exactly
        (Test-GatewayApiKeyBackup -Path 'typed.gwkbak' -Passphrase $Passphrase -ExecutablePath $Cli).Intact | Should -BeTrue
    }

    It 'refuses a passphrase shorter than 8 characters before anything is sent' {
        $failed = Get-Failure { Backup-GatewayApiKeyVault -Path 'short.gwkbak' -Passphrase (ConvertTo-TestSecureString 'short') }
        $failed[0].FullyQualifiedErrorId | Should -Be 'InvalidParams,Backup-GatewayApiKeyVault'
        $failed[0].Exception.Message | Should -Not -Match 'short'
        Join-Path $Work 'short.gwkbak' | Should -Not -Exist
    }

    It '-WhatIf neither asks for a passphrase nor writes anything' {
        Mock -ModuleName GatewayApiKeys Read-Host { throw 'asked' }
        Backup-GatewayApiKeyVault -Path 'whatif.gwkbak' -WhatIf
        Join-Path $Work 'whatif.gwkbak' | Should -Not -Exist
        Should -Invoke -ModuleName GatewayApiKeys Read-Host -Times 0 -Exactly
    }

    It 'removes the .partial file when the backup fails midway' {
        Mock -ModuleName GatewayApiKeys Invoke-GatewayRpc -ParameterFilter { $Method -eq 'backup.read' } {
            throw (& (Get-Module GatewayApiKeys) { New-GatewayErrorRecord -ErrorId 'DaemonConnectionLost' -Message 'The connection was lost.' })
        }
        $failed = Get-Failure { Backup-GatewayApiKeyVault -Path 'midway.gwkbak' -Passphrase $Passphrase }
        $failed[0].FullyQualifiedErrorId | Should -Be 'DaemonConnectionLost,Backup-GatewayApiKeyVault'
        'midway.gwkbak', 'midway.gwkbak.partial' | ForEach-Object { Join-Path $Work $_ } | Should -Not -Exist
    }
}

Describe 'The backup file, against what is planted at its path' {
    It 'writes nothing through a .partial planted as a symbolic link, nor into one another user made' -Skip:$IsWindows {
        $target = Join-Path $Work 'link-target.txt'
        Set-Content -LiteralPath $target -Value 'what the link points to' -NoNewline
        $null = New-Item -ItemType SymbolicLink -Path (Join-Path $Work 'linked.gwkbak.partial') -Target $target
        $refused = Get-Failure { Backup-GatewayApiKeyVault -Path 'linked.gwkbak' -Passphrase $Passphrase }
        $refused[0].FullyQualifiedErrorId | Should -Be 'BackupExists,Backup-GatewayApiKeyVault'
        Get-Content -Raw -LiteralPath $target | Should -Be 'what the link points to'
        Join-Path $Work 'linked.gwkbak' | Should -Not -Exist
        # -Force replaces the link itself (it is removed, never followed), and the file is new and the owner's only.
        (Backup-GatewayApiKeyVault -Path 'linked.gwkbak' -Passphrase $Passphrase -Force).KeyCount | Should -Be 3
        Get-Content -Raw -LiteralPath $target | Should -Be 'what the link points to'
        (Get-Item -LiteralPath $target).UnixMode | Should -Not -Be '-rw-------'
        (Get-Item -LiteralPath (Join-Path $Work 'linked.gwkbak')).UnixMode | Should -Be '-rw-------'
        (Get-Item -LiteralPath (Join-Path $Work 'linked.gwkbak')).LinkType | Should -BeNullOrEmpty

        if ((& id -u) -ne '0') { Set-ItResult -Skipped -Because 'a file of another user needs root to plant'; return }
        $theirs = Join-Path $Work 'theirs.gwkbak.partial'
        Set-Content -LiteralPath $theirs -Value 'theirs' -NoNewline
        & chmod 644 $theirs
        & chown 65534:65534 $theirs
        $refused = Get-Failure { Backup-GatewayApiKeyVault -Path 'theirs.gwkbak' -Passphrase $Passphrase }
        $refused[0].FullyQualifiedErrorId | Should -Be 'BackupExists,Backup-GatewayApiKeyVault'
        Get-Content -Raw -LiteralPath $theirs | Should -Be 'theirs'
        (& stat -c '%u %a' $theirs) | Should -Be '65534 644'
    }

    It 'on Windows, creates it with a protected access list of one entry, its own account''s (off Windows: the descriptor it asks for, with Windows mocked; Windows applies it)' {
        InModuleScope GatewayApiKeys {
            Mock Test-GatewayWindows { $true }
            Mock Get-GatewayCurrentUserSid { 'S-1-5-21-1004336348-1177238915-682003330-1001' }
            Mock New-GatewayFileWithSecurity { New-Object System.IO.MemoryStream }
            $stream = New-GatewayOwnerOnlyFile -Path 'C:\Backups\keys.gwkbak.partial'
            $stream.Dispose()
            # P: nothing inherited from the folder; one entry: full control (FA) to this account; no one else.
            Should -Invoke New-GatewayFileWithSecurity -Times 1 -Exactly -ParameterFilter {
                $Path -eq 'C:\Backups\keys.gwkbak.partial' -and $Sddl -ceq 'D:P(A;;FA;;;S-1-5-21-1004336348-1177238915-682003330-1001)'
            }
        }
    }

    It 'on Windows, moves it over an existing file, which keeps its own access list where File.Replace would keep the old file''s (off Windows: the code path, with Windows mocked)' {
        InModuleScope GatewayApiKeys -Parameters @{ Work = $Work } {
            param($Work)
            Mock Test-GatewayWindows { $true }
            $partial = Join-Path $Work 'moved.gwkbak.partial'
            $file = Join-Path $Work 'moved.gwkbak'
            [System.IO.File]::WriteAllText($partial, 'the new backup')
            [System.IO.File]::WriteAllText($file, 'the old backup')
            Move-GatewayBackupIntoPlace -Partial $partial -File $file
            [System.IO.File]::ReadAllText($file) | Should -Be 'the new backup'
            $partial | Should -Not -Exist
        }
    }
}

Describe 'Test-GatewayApiKeyBackup' {
    It 'says the backup is intact and what it holds, from the pipeline' {
        $checked = $Made | Test-GatewayApiKeyBackup -Passphrase $Passphrase -ExecutablePath $Cli
        $checked.PSObject.TypeNames[0] | Should -Be 'GatewayApiKeys.BackupTest'
        $checked.Intact | Should -BeTrue
        $checked.Path | Should -Be $BackupFile
        $checked.VaultId | Should -Be $Made.VaultId
        $checked.KeyCount | Should -Be 3
        $checked.CreatedAt | Should -BeOfType [datetime]
        $checked.CreatedAt | Should -Be $Made.CreatedAt
    }

    It 'finds the executable through GATEWAY_APIKEYS_EXE; ExecutableNotFound when it is not there' {
        $env:GATEWAY_APIKEYS_EXE = $Cli
        try {
            (Test-GatewayApiKeyBackup -Path $BackupFile -Passphrase $Passphrase).Intact | Should -BeTrue
            $env:GATEWAY_APIKEYS_EXE = Join-Path $Work 'no-such-gateway-apikeys'
            $failed = Get-Failure { Test-GatewayApiKeyBackup -Path $BackupFile -Passphrase $Passphrase }
            $failed[0].FullyQualifiedErrorId | Should -Be 'ExecutableNotFound,Test-GatewayApiKeyBackup'
        } finally {
            $env:GATEWAY_APIKEYS_EXE = $null
        }
    }

    Context 'with neither -ExecutablePath, GATEWAY_APIKEYS_EXE nor gateway-apikeys on the PATH' {
        BeforeAll {
            # Only node's folder on the PATH (the one the suites run the daemon with).
            $savedSearchPath = $env:PATH
            $env:PATH = Split-Path -Parent (Get-Command $node -CommandType Application | Select-Object -First 1).Source
            $onPath = @(Get-Command -Name 'gateway-apikeys' -CommandType Application -ErrorAction Ignore)
        }
        AfterAll { $env:PATH = $savedSearchPath }

        It 'runs the dist/cli.js of the checkout the module is loaded from, with node, for Test- and Restore-' {
            if ($onPath.Count -gt 0) { Skip-TestBecause "node's folder also holds $($onPath[0].Source), which would be found first"; return }
            (Test-GatewayApiKeyBackup -Path $BackupFile -Passphrase $Passphrase).Intact | Should -BeTrue
            $target = Join-Path $Work 'checkout-target'
            (Restore-GatewayApiKeyVault -Path $BackupFile -DataDirectory $target -Passphrase $Passphrase -Confirm:$false).KeyCount | Should -Be 3
        }

        It 'is ExecutableNotFound where the module is no checkout''s, naming where it looked' {
            if ($onPath.Count -gt 0) { Skip-TestBecause "node's folder also holds $($onPath[0].Source), which would be found first"; return }
            $elsewhere = Join-Path $Work 'not-a-checkout/dist/cli.js'
            Mock -ModuleName GatewayApiKeys Get-GatewayCheckoutExecutable { $elsewhere }
            $failed = Get-Failure { Test-GatewayApiKeyBackup -Path $BackupFile -Passphrase $Passphrase }
            $failed[0].FullyQualifiedErrorId | Should -Be 'ExecutableNotFound,Test-GatewayApiKeyBackup'
            $failed[0].Exception.Message | Should -Match ([regex]::Escape("it is not on the PATH, and there is no '$elsewhere'"))
            $failed[0].Exception.Message | Should -Match 'Give -ExecutablePath, or set GATEWAY_APIKEYS_EXE'
        }
    }

    It 'a wrong passphrase is a non-terminating PassphraseWrong (AuthenticationError), with no output' {
        $run = Invoke-Capturing { Test-GatewayApiKeyBackup -Path $BackupFile -Passphrase $Wrong -ExecutablePath $Cli }
        $failed = $run.Errors
        $failed.Count | Should -Be 1
        $failed[0].FullyQualifiedErrorId | Should -Be 'PassphraseWrong,Test-GatewayApiKeyBackup'
        $failed[0].CategoryInfo.Category | Should -Be 'AuthenticationError'
        $failed[0].Exception.Message | Should -Not -Match '^error: '
        $failed[0].Exception.Message | Should -Not -Match '\(PassphraseWrong\)'
        $run.Output | Should -BeNullOrEmpty
    }

    It 'a changed byte is BackupInvalid (InvalidData), and the next file of the pipeline is still checked' {
        $bytes = [System.IO.File]::ReadAllBytes($BackupFile)
        $bytes[[int]($bytes.Length / 2)] = $bytes[[int]($bytes.Length / 2)] -bxor 0x01
        $damaged = Join-Path $Work 'damaged.gwkbak'
        [System.IO.File]::WriteAllBytes($damaged, $bytes)
        $run = Invoke-Capturing { $damaged, $BackupFile | Test-GatewayApiKeyBackup -Passphrase $Passphrase -ExecutablePath $Cli }
        $failed = $run.Errors
        $results = $run.Output
        $failed.Count | Should -Be 1
        $failed[0].FullyQualifiedErrorId | Should -Be 'BackupInvalid,Test-GatewayApiKeyBackup'
        $failed[0].CategoryInfo.Category | Should -Be 'InvalidData'
        $failed[0].TargetObject | Should -Be $damaged
        $results.Count | Should -Be 1
        $results[0].Path | Should -Be $BackupFile
    }

    It 'takes several paths; one that does not exist is a non-terminating BackupNotFound' {
        $run = Invoke-Capturing { Test-GatewayApiKeyBackup -Path 'no-such.gwkbak', 'keys.gwkbak' -Passphrase $Passphrase -ExecutablePath $Cli }
        $run.Errors.Count | Should -Be 1
        $run.Errors[0].FullyQualifiedErrorId | Should -Be 'BackupNotFound,Test-GatewayApiKeyBackup'
        $run.Errors[0].CategoryInfo.Category | Should -Be 'ObjectNotFound'
        @($run.Output).Count | Should -Be 1
        $run.Output[0].Path | Should -Be $BackupFile
    }

    It 'hands the passphrase to the executable in its environment only, never as an argument' {
        $fake = Join-Path $Work 'fake-cli.js'
        Set-Content -LiteralPath $fake -Value @'
const p = process.env.GATEWAY_APIKEYS_BACKUP_PASSPHRASE;
process.stdout.write(JSON.stringify({ file: process.argv[3], intact: true, vaultId: JSON.stringify(process.argv.slice(2)), keyCount: p === 'correct horse battery staple' ? 1 : 0, createdAt: '2026-11-27T12:00:00.000Z' }));
'@
        $seen = Test-GatewayApiKeyBackup -Path $BackupFile -Passphrase $Passphrase -ExecutablePath $fake
        $seen.KeyCount | Should -Be 1
        $seen.VaultId | Should -Be (ConvertTo-Json -Compress -InputObject @('restore', '--verify', $BackupFile, '--json'))
        $seen.VaultId | Should -Not -Match 'horse'
        $seen.CreatedAt | Should -Be ([datetime]'2026-11-27T12:00:00Z')
        [System.Environment]::GetEnvironmentVariable('GATEWAY_APIKEYS_BACKUP_PASSPHRASE') | Should -BeNullOrEmpty
    }

    It 'a failure without a code is a terminating CommandFailed with the executable''s message' {
        $fake = Join-Path $Work 'usage-cli.js'
        Set-Content -LiteralPath $fake -Value @'
process.stderr.write("error: Cannot read x: ENOENT.\nRun 'gateway-apikeys --help' for the commands.\n");
process.exit(2);
'@
        $failed = Get-Failure { Test-GatewayApiKeyBackup -Path $BackupFile -Passphrase $Passphrase -ExecutablePath $fake }
        $failed[0].FullyQualifiedErrorId | Should -Be 'CommandFailed,Test-GatewayApiKeyBackup'
        $failed[0].Exception.Message | Should -Be 'Cannot read x: ENOENT.'
    }

    It 'with no passphrase to be had fails with PassphraseUnavailable' {
        $failed = Get-Failure { Test-GatewayApiKeyBackup -Path $BackupFile -ExecutablePath $Cli }
        $failed[0].FullyQualifiedErrorId | Should -Be 'PassphraseUnavailable,Test-GatewayApiKeyBackup'
    }
}

Describe 'Restore-GatewayApiKeyVault' {
    It 'restores the backup into a new data dir, where a daemon then serves the same keys with the same values' {
        $paths = New-TestDaemonPaths
        $restored = Restore-GatewayApiKeyVault -Path $BackupFile -DataDirectory $paths.DataDirectory -Passphrase $Passphrase -ExecutablePath $Cli -Confirm:$false
        $restored.PSObject.TypeNames[0] | Should -Be 'GatewayApiKeys.Restore'
        $restored.Path | Should -Be $BackupFile
        $restored.DataDirectory | Should -Be $paths.DataDirectory
        $restored.VaultId | Should -Be $Made.VaultId
        $restored.KeyCount | Should -Be 3
        $restored.CreatedAt | Should -Be $Made.CreatedAt
        $restored.Seconds | Should -BeGreaterThan 0

        $second = Start-TestDaemon -Paths $paths
        try {
            $null = Connect-GatewayApiKeyService -Pipe $second.Pipe -DataDirectory $second.DataDirectory
            @((Get-GatewayApiKey -Name 'Backup *').Name | Sort-Object) | Should -Be $KeyNames
            foreach ($name in $KeyNames) { (Show-GatewayApiKey -Name $name).Key | Should -Be $Values[$name] }
        } finally {
            $null = Connect-GatewayApiKeyService -Pipe $Daemon.Pipe -DataDirectory $Daemon.DataDirectory
            Stop-TestDaemon $second
        }
    }

    It 'a wrong passphrase is a terminating PassphraseWrong, and nothing is written' {
        $target = Join-Path $Work 'wrong-target'
        $failed = Get-Failure { Restore-GatewayApiKeyVault -Path $BackupFile -DataDirectory $target -Passphrase $Wrong -ExecutablePath $Cli -Confirm:$false }
        $failed.Count | Should -Be 1
        $failed[0].FullyQualifiedErrorId | Should -Be 'PassphraseWrong,Restore-GatewayApiKeyVault'
        $failed[0].CategoryInfo.Category | Should -Be 'AuthenticationError'
        @(Get-ChildItem -LiteralPath $target -Force -ErrorAction Ignore).Count | Should -Be 0
    }

    It 'a changed byte is BackupInvalid, and nothing is written' {
        $bytes = [System.IO.File]::ReadAllBytes($BackupFile)
        $bytes[$bytes.Length - 5] = $bytes[$bytes.Length - 5] -bxor 0x80
        $damaged = Join-Path $Work 'damaged-end.gwkbak'
        [System.IO.File]::WriteAllBytes($damaged, $bytes)
        $target = Join-Path $Work 'damaged-target'
        $failed = Get-Failure { Restore-GatewayApiKeyVault -Path $damaged -DataDirectory $target -Passphrase $Passphrase -ExecutablePath $Cli -Confirm:$false }
        $failed[0].FullyQualifiedErrorId | Should -Be 'BackupInvalid,Restore-GatewayApiKeyVault'
        $failed[0].CategoryInfo.Category | Should -Be 'InvalidData'
        @(Get-ChildItem -LiteralPath $target -Force -ErrorAction Ignore).Count | Should -Be 0
    }

    It 'refuses a data dir that holds a vault (InvalidParams)' {
        $failed = Get-Failure { Restore-GatewayApiKeyVault -Path $BackupFile -DataDirectory $Daemon.DataDirectory -Passphrase $Passphrase -ExecutablePath $Cli -Confirm:$false }
        $failed[0].FullyQualifiedErrorId | Should -Be 'InvalidParams,Restore-GatewayApiKeyVault'
    }

    It 'a backup file that does not exist is BackupNotFound' {
        $failed = Get-Failure { Restore-GatewayApiKeyVault -Path 'no-such.gwkbak' -DataDirectory 'anywhere' -Passphrase $Passphrase -ExecutablePath $Cli -Confirm:$false }
        $failed[0].FullyQualifiedErrorId | Should -Be 'BackupNotFound,Restore-GatewayApiKeyVault'
        $failed[0].CategoryInfo.Category | Should -Be 'ObjectNotFound'
    }

    It 'with no passphrase to be had fails with PassphraseUnavailable, and nothing is written' {
        $target = Join-Path $Work 'no-passphrase-target'
        $failed = Get-Failure { Restore-GatewayApiKeyVault -Path $BackupFile -DataDirectory $target -ExecutablePath $Cli -Confirm:$false }
        $failed[0].FullyQualifiedErrorId | Should -Be 'PassphraseUnavailable,Restore-GatewayApiKeyVault'
        $target | Should -Not -Exist
    }

    It '-WhatIf restores nothing' {
        $target = Join-Path $Work 'whatif-target'
        Restore-GatewayApiKeyVault -Path $BackupFile -DataDirectory $target -Passphrase $Passphrase -ExecutablePath $Cli -WhatIf
        $target | Should -Not -Exist
    }
}

Describe 'The passphrase in errors' {
    It 'appears in none of the errors above' {
        $SeenErrors.Count | Should -BeGreaterThan 10
        foreach ($record in $SeenErrors) {
            $text = "$($record.Exception.Message) $($record.ErrorDetails) $($record.TargetObject) $($record | Out-String)"
            $text | Should -Not -Match ([regex]::Escape($PassphraseText))
            $text | Should -Not -Match ([regex]::Escape($WrongText))
        }
    }
}
