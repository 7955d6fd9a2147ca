# Every cmdlet that changes anything, run as an unattended script runs it: in a child PowerShell
# with standard input closed, -NonInteractive or not, where a confirmation cannot be asked. Each must
# then refuse with ConfirmationUnavailable and change nothing: the vault, the daemon, the files.
# (A throw inside the condition of `if (-not ShouldProcess ...)` ends only that statement in a script
# function, so before Private/GatewayConfirmation.ps1 the change on the next line ran anyway.)

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestDaemon.psm1') -Force
    Import-TestedModule
    $script:Daemon = Start-TestDaemon
    $null = Connect-GatewayApiKeyService -Pipe $Daemon.Pipe -DataDirectory $Daemon.DataDirectory
    $script:Work = Join-Path ([System.IO.Path]::GetTempPath()) ("gwk-unattended-" + [guid]::NewGuid().ToString('N').Substring(0, 10))
    $null = New-Item -ItemType Directory -Path $Work

    $null = New-GatewayApiKey -Name 'Unattended one' -Description 'as made'
    $null = New-GatewayApiKey -Name 'Unattended two'
    $null = New-GatewayApiKey -Name 'Unattended disabled'
    Disable-GatewayApiKey -Name 'Unattended disabled' -Confirm:$false
    $script:BackupFile = Join-Path $Work 'made.gwkbak'
    $null = Backup-GatewayApiKeyVault -Path $BackupFile -Passphrase (ConvertTo-TestSecureString 'unattended passphrase')

    # Everything a change could touch, as text: each key's fields (a rotation changes the hint and
    # RotatedAt, any change Updated), the keys' count, and the daemon's uptime going on.
    function Get-VaultSnapshot {
        Get-GatewayApiKey | Sort-Object Name | ForEach-Object {
            '{0}|{1}|{2:yyyy-MM-dd}|{3}|{4}|{5:o}|{6:o}' -f $_.Name, $_.Description, $_.ExpiresOn, $_.Enabled, $_.Hint, $_.RotatedAt, $_.Updated
        }
    }

    # Runs $Command in a child pwsh whose standard input is closed at once, connected to the test
    # daemon; returns the ErrorIds of the errors it met and whatever it printed.
    function Invoke-Unattended([string] $Command, [switch] $Interactive) {
        $module = Join-Path $PSScriptRoot '../GatewayApiKeys/GatewayApiKeys.psd1'
        $script = "`$ErrorActionPreference = 'Continue'; Import-Module '$module'; " +
            "`$null = Connect-GatewayApiKeyService -Pipe '$($Daemon.Pipe)' -DataDirectory '$($Daemon.DataDirectory)'; " +
            "`$env:GATEWAY_APIKEYS_BACKUP_PASSPHRASE = 'unattended passphrase'; " +
            "`$Error.Clear(); $Command; ''; 'ERRORS:' + ((@(`$Error) | ForEach-Object { `$_.FullyQualifiedErrorId }) -join ';')"
        $pwsh = [System.Diagnostics.Process]::GetCurrentProcess().MainModule.FileName
        $start = New-Object System.Diagnostics.ProcessStartInfo
        $start.FileName = $pwsh
        if ([System.IO.Path]::GetFileNameWithoutExtension($pwsh) -eq 'dotnet') { $start.ArgumentList.Add([System.Environment]::GetCommandLineArgs()[0]) }
        foreach ($argument in @('-NoLogo', '-NoProfile')) { $start.ArgumentList.Add($argument) }
        if (-not $Interactive) { $start.ArgumentList.Add('-NonInteractive') }
        $start.ArgumentList.Add('-Command')
        $start.ArgumentList.Add($script)
        $start.RedirectStandardInput = $true
        $start.RedirectStandardOutput = $true
        $start.RedirectStandardError = $true
        $start.UseShellExecute = $false
        $start.Environment['NO_COLOR'] = '1'
        $process = [System.Diagnostics.Process]::Start($start)
        $process.StandardInput.Close()
        $errorText = $process.StandardError.ReadToEndAsync()
        $output = $process.StandardOutput.ReadToEnd()
        if (-not $process.WaitForExit(60000)) { $process.Kill(); throw "The child PowerShell did not end: $output" }
        $all = $output + $errorText.Result
        $idsLine = @($output -split "`n" | Where-Object { $_.StartsWith('ERRORS:') })
        if ($idsLine.Count -ne 1) { throw "The child PowerShell did not finish its script: $all" }
        [pscustomobject]@{ ErrorIds = @($idsLine[0].Substring(7).Trim() -split ';' | Where-Object { $_ }); Text = $all }
    }

    $script:Before = Get-VaultSnapshot
}

AfterAll {
    Remove-Module GatewayApiKeys -ErrorAction Ignore
    Stop-TestDaemon $Daemon
    Remove-Item -Recurse -Force -Path $Work -ErrorAction Ignore
}

BeforeDiscovery {
    # Those of ConfirmImpact High ask by default, as the issue's scheduled task met them; the others
    # ask when the script says -Confirm, or when $ConfirmPreference is lower.
    $changes = @(
        @{ Command = "Remove-GatewayApiKey 'Unattended one'"; Cmdlet = 'Remove-GatewayApiKey' }
        @{ Command = "Get-GatewayApiKey -Name 'Unattended*' | Remove-GatewayApiKey"; Cmdlet = 'Remove-GatewayApiKey' }
        @{ Command = "Disable-GatewayApiKey 'Unattended one'"; Cmdlet = 'Disable-GatewayApiKey' }
        @{ Command = "Reset-GatewayApiKey 'Unattended one'"; Cmdlet = 'Reset-GatewayApiKey' }
        @{ Command = 'Stop-GatewayApiKeyService'; Cmdlet = 'Stop-GatewayApiKeyService' }
        @{ Command = "Enable-GatewayApiKey 'Unattended disabled' -Confirm"; Cmdlet = 'Enable-GatewayApiKey' }
        @{ Command = "Set-GatewayApiKey 'Unattended one' -Description 'changed' -Confirm"; Cmdlet = 'Set-GatewayApiKey' }
        @{ Command = "`$ConfirmPreference = 'Medium'; Set-GatewayApiKey 'Unattended one' -NewName 'Unattended renamed'"; Cmdlet = 'Set-GatewayApiKey' }
        @{ Command = "New-GatewayApiKey 'Unattended new' -Confirm"; Cmdlet = 'New-GatewayApiKey' }
        @{ Command = "Copy-GatewayApiKey 'Unattended one' -Confirm"; Cmdlet = 'Copy-GatewayApiKey' }
        @{ Command = "Backup-GatewayApiKeyVault -Path '<Work>/unattended.gwkbak' -Confirm"; Cmdlet = 'Backup-GatewayApiKeyVault'; Writes = 'unattended.gwkbak' }
        @{ Command = "Restore-GatewayApiKeyVault -Path '<Backup>' -DataDirectory '<Work>/restored' -ExecutablePath '<Cli>' -Confirm"; Cmdlet = 'Restore-GatewayApiKeyVault'; Writes = 'restored' }
    )
    $unattendedCases = @(foreach ($change in $changes) {
            foreach ($interactive in $false, $true) {
                $case = $change.Clone()
                $case.Interactive = $interactive
                $case.How = if ($interactive) { 'standard input closed' } else { '-NonInteractive, standard input closed' }
                if (-not $case.ContainsKey('Writes')) { $case.Writes = $null }
                $case
            }
        })
}

Describe 'A confirmation that cannot be asked changes nothing' {
    It '<Command> (<How>): ConfirmationUnavailable, and the vault, the daemon and the files unchanged' -TestCases $unattendedCases {
        $cli = (Resolve-Path (Join-Path $PSScriptRoot '../../dist/cli.js')).Path
        $text = $Command.Replace('<Work>', $Work).Replace('<Backup>', $BackupFile).Replace('<Cli>', $cli)
        $run = Invoke-Unattended -Command $text -Interactive:$Interactive

        $run.ErrorIds | Should -Contain "ConfirmationUnavailable,$Cmdlet" -Because $run.Text
        $run.Text | Should -Match '-Confirm:\$false'
        Get-VaultSnapshot | Should -Be $Before
        (Get-GatewayApiKeyServiceStatus).Keys | Should -Be 3
        if ($Writes) { Join-Path $Work $Writes | Should -Not -Exist }
    }

    It 'the same unattended child does change the vault when the script says -Confirm:$false (the check above can see a change)' {
        $run = Invoke-Unattended -Command "Disable-GatewayApiKey 'Unattended two' -Confirm:`$false"
        $run.ErrorIds | Should -BeNullOrEmpty -Because $run.Text
        (Get-GatewayApiKey -Name 'Unattended two').Enabled | Should -BeFalse
        Get-VaultSnapshot | Should -Not -Be $Before
        Enable-GatewayApiKey -Name 'Unattended two' -Confirm:$false
    }

    It '-Force runs unattended too, where a cmdlet has it' {
        $null = New-GatewayApiKey -Name 'Unattended forced'
        $run = Invoke-Unattended -Command "Remove-GatewayApiKey 'Unattended forced' -Force"
        $run.ErrorIds | Should -BeNullOrEmpty -Because $run.Text
        Get-GatewayApiKey -Name 'Unattended forc*' | Should -BeNullOrEmpty
    }
}
