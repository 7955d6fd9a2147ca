# Helpers of Backup-GatewayApiKeyVault, Restore-GatewayApiKeyVault and Test-GatewayApiKeyBackup:
# where the backup passphrase comes from, the owner-only .partial file, and the product's executable
# (restore and verify are offline commands of it: no daemon is involved).

# The variables the executable reads (docs/storage.md, "Backups" and "Restore").
$script:GatewayBackupPassphraseVariable = 'GATEWAY_APIKEYS_BACKUP_PASSPHRASE'
$script:GatewayExecutableVariable = 'GATEWAY_APIKEYS_EXE'
$script:GatewayExecutableName = 'gateway-apikeys'

function Test-GatewayInteractive {
    <# Whether a prompt can be answered: a user session, and pwsh not started with -NonInteractive. #>
    if (-not [System.Environment]::UserInteractive) { return $false }
    foreach ($argument in [System.Environment]::GetCommandLineArgs()) {
        if ($argument -match '^[-/]noni(nteractive)?$' -or ($argument.Length -ge 5 -and '-noninteractive'.StartsWith($argument, [System.StringComparison]::OrdinalIgnoreCase))) {
            return $false
        }
    }
    $true
}

function Get-GatewayBackupPassphrase {
    <#
    The backup passphrase as a SecureString: -Passphrase, else the one line of -PassphraseFile
    (without its line break, as the CLI reads it), else GATEWAY_APIKEYS_BACKUP_PASSPHRASE, else typed
    at a prompt (twice with -Confirm, for a new backup). Throws PassphraseUnavailable when there is
    none, PassphraseMismatch when the two typed differ. Never puts the passphrase in a message.
    #>
    param(
        [System.Management.Automation.PSCmdlet] $Cmdlet,
        [System.Security.SecureString] $Passphrase,
        [string] $PassphraseFile,
        [switch] $Confirm
    )
    if ($null -ne $Passphrase) { return $Passphrase }
    if ($PassphraseFile) {
        $path = $Cmdlet.GetUnresolvedProviderPathFromPSPath($PassphraseFile)
        try {
            $text = [System.IO.File]::ReadAllText($path, [System.Text.Encoding]::UTF8)
        } catch {
            $message = "Cannot read the passphrase file '$path': $(Format-GatewaySentence (Get-GatewayRootException $_.Exception).Message)"
            throw (New-GatewayErrorRecord -ErrorId 'PassphraseUnavailable' -Message $message -TargetObject $path)
        }
        $text = [regex]::Replace($text, '\r?\n$', '')
        if ($text.Length -eq 0) {
            throw (New-GatewayErrorRecord -ErrorId 'PassphraseUnavailable' -Message "The passphrase file '$path' is empty." -TargetObject $path)
        }
        $secure = ConvertTo-SecureString -String $text -AsPlainText -Force
        $text = $null
        return $secure
    }
    $fromEnv = [System.Environment]::GetEnvironmentVariable($script:GatewayBackupPassphraseVariable)
    if ($fromEnv) { return (ConvertTo-SecureString -String $fromEnv -AsPlainText -Force) }
    $none = "No backup passphrase: give -Passphrase (a SecureString) or -PassphraseFile, set $($script:GatewayBackupPassphraseVariable), " +
        'or run this in an interactive session to type it. A passphrase is never taken as plain text on the command line.'
    if (-not (Test-GatewayInteractive)) { throw (New-GatewayErrorRecord -ErrorId 'PassphraseUnavailable' -Message $none) }
    try {
        $typed = Read-Host -Prompt 'Backup passphrase' -AsSecureString
        if ($Confirm) { $again = Read-Host -Prompt 'Again, to be sure' -AsSecureString }
    } catch {
        throw (New-GatewayErrorRecord -ErrorId 'PassphraseUnavailable' -Message $none)
    }
    if ($null -eq $typed -or $typed.Length -eq 0) {
        throw (New-GatewayErrorRecord -ErrorId 'PassphraseUnavailable' -Message 'An empty passphrase protects nothing; nothing was written.')
    }
    if ($Confirm) {
        $first = ConvertFrom-GatewaySecureString $typed
        $second = ConvertFrom-GatewaySecureString $again
        $same = [string]::Equals($first, $second, [System.StringComparison]::Ordinal)
        $first = $null
        $second = $null
        $again.Dispose()
        if (-not $same) {
            $typed.Dispose()
            throw (New-GatewayErrorRecord -ErrorId 'PassphraseMismatch' -Message 'The two passphrases differ; nothing was written.')
        }
    }
    $typed
}

function New-GatewayOwnerOnlyFile {
    <#
    A new file (FileMode CreateNew: never one that exists, nor through a symbolic link planted at
    its path), open for writing, that only its owner may read: off Windows mode 0600, made so where
    .NET can (FileStreamOptions.UnixCreateMode, .NET 7+), else restricted right after creation
    before anything is written; on Windows a protected access list of one entry, this account's,
    given at creation, so that the folder's inherited entries never apply (docs/security.md,
    "Backups and passphrases").
    #>
    param([Parameter(Mandatory)] [string] $Path)
    if (Test-GatewayWindows) {
        return (New-GatewayFileWithSecurity -Path $Path -Sddl (Get-GatewayOwnerOnlySddl -Sid (Get-GatewayCurrentUserSid)))
    }
    $optionsType = 'System.IO.FileStreamOptions' -as [type]
    if ($null -ne $optionsType -and $null -ne $optionsType.GetProperty('UnixCreateMode')) {
        $options = New-Object System.IO.FileStreamOptions
        $options.Mode = [System.IO.FileMode]::CreateNew
        $options.Access = [System.IO.FileAccess]::Write
        $options.Share = [System.IO.FileShare]::None
        $options.UnixCreateMode = [System.IO.UnixFileMode]'UserRead, UserWrite'
        return (New-Object System.IO.FileStream -ArgumentList $Path, $options)
    }
    $stream = New-Object System.IO.FileStream -ArgumentList $Path, ([System.IO.FileMode]::CreateNew), ([System.IO.FileAccess]::Write), ([System.IO.FileShare]::None)
    try {
        & chmod 600 -- $Path
        if ($LASTEXITCODE -ne 0) { throw "chmod 600 failed on '$Path'." }
    } catch {
        $stream.Dispose()
        Remove-Item -LiteralPath $Path -Force -ErrorAction Ignore
        throw
    }
    $stream
}

function Get-GatewayCurrentUserSid {
    <# The SID of the account this session runs as (Windows only). #>
    [System.Security.Principal.WindowsIdentity]::GetCurrent().User.Value
}

function Get-GatewayOwnerOnlySddl {
    <#
    The access list of a backup file on Windows, in SDDL: protected (P: nothing inherited from the
    folder, whose entries may let Users read), one entry granting full control (FA) to $Sid. The
    owner stays whom Windows makes it.
    #>
    param([Parameter(Mandatory)] [string] $Sid)
    "D:P(A;;FA;;;$Sid)"
}

function New-GatewayFileWithSecurity {
    <#
    Creates $Path (CreateNew) with the security descriptor $Sddl given at creation, open for writing.
    Windows PowerShell 5.1 (.NET Framework) has a FileStream constructor that takes it; PowerShell 7
    (.NET 5 and later) has FileSystemAclExtensions.Create instead. The rights are what writing and
    flushing to disk need (FlushFileBuffers asks for GENERIC_WRITE: Write, ReadPermissions, Synchronize).
    #>
    param([Parameter(Mandatory)] [string] $Path, [Parameter(Mandatory)] [string] $Sddl)
    $security = New-Object System.Security.AccessControl.FileSecurity
    $security.SetSecurityDescriptorSddlForm($Sddl)
    $rights = [System.Security.AccessControl.FileSystemRights]'Write, ReadPermissions, Synchronize'
    $extensions = 'System.IO.FileSystemAclExtensions' -as [type]
    if ($null -ne $extensions) {
        return $extensions::Create((New-Object System.IO.FileInfo -ArgumentList $Path), [System.IO.FileMode]::CreateNew, $rights,
            [System.IO.FileShare]::None, 4096, [System.IO.FileOptions]::None, $security)
    }
    New-Object System.IO.FileStream -ArgumentList $Path, ([System.IO.FileMode]::CreateNew), $rights, ([System.IO.FileShare]::None), 4096,
        ([System.IO.FileOptions]::None), $security
}

function Move-GatewayBackupIntoPlace {
    <#
    Renames the whole .partial file to the backup's path, replacing a file there (-Force). On
    Windows, File.Replace (ReplaceFile) would give the result the replaced file's access list, so the
    file is moved over it instead, keeping its own owner-only one: File.Move with overwrite (.NET
    Core 3 and later), else, in Windows PowerShell 5.1, the old file deleted first.
    #>
    param([Parameter(Mandatory)] [string] $Partial, [Parameter(Mandatory)] [string] $File)
    if (-not [System.IO.File]::Exists($File)) {
        [System.IO.File]::Move($Partial, $File)
    } elseif (-not (Test-GatewayWindows)) {
        [System.IO.File]::Replace($Partial, $File, [NullString]::Value)
    } else {
        $overwrite = [System.IO.File].GetMethod('Move', [type[]]@([string], [string], [bool]))
        if ($null -ne $overwrite) {
            $null = $overwrite.Invoke($null, @($Partial, $File, $true))
        } else {
            [System.IO.File]::Delete($File)
            [System.IO.File]::Move($Partial, $File)
        }
    }
}

function Get-GatewayCheckoutExecutable {
    <#
    Where a source checkout keeps its build of the executable, seen from this module's own folder:
    the module is powershell/GatewayApiKeys of the checkout, and `npm run build` writes dist/cli.js
    at the checkout's root (README.md, "Development"). The path, whether it exists or not.
    #>
    $moduleRoot = Split-Path -Parent $PSScriptRoot   # this file is in Private/
    [System.IO.Path]::GetFullPath([System.IO.Path]::Combine($moduleRoot, '..', '..', 'dist', 'cli.js'))
}

function Resolve-GatewayExecutable {
    <#
    The gateway-apikeys executable to run, as @{ FileName; Arguments } (the arguments that come
    before the command's own): -ExecutablePath, else GATEWAY_APIKEYS_EXE, else gateway-apikeys on
    the PATH, else the dist/cli.js of the checkout this module is loaded from, so that the module
    of a checkout works as it is. A path ending in .js is run by node. ExecutableNotFound when there
    is none.
    #>
    param([Parameter(Mandatory)] [System.Management.Automation.PSCmdlet] $Cmdlet, [string] $ExecutablePath)
    $path = $ExecutablePath
    $from = '-ExecutablePath'
    if (-not $path) {
        $path = [System.Environment]::GetEnvironmentVariable($script:GatewayExecutableVariable)
        $from = $script:GatewayExecutableVariable
    }
    if ($path) {
        $path = $Cmdlet.GetUnresolvedProviderPathFromPSPath($path)
        if (-not [System.IO.File]::Exists($path)) {
            throw (New-GatewayErrorRecord -ErrorId 'ExecutableNotFound' -Message "The gateway-apikeys executable '$path' ($from) does not exist." -TargetObject $path)
        }
    } else {
        $found = @(Get-Command -Name $script:GatewayExecutableName -CommandType Application -ErrorAction Ignore)
        if ($found.Count -gt 0) {
            $path = $found[0].Source
        } else {
            $path = Get-GatewayCheckoutExecutable
            if (-not [System.IO.File]::Exists($path)) {
                $message = "Cannot find the gateway-apikeys executable: it is not on the PATH, and there is no '$path' (the build of a checkout " +
                    "this module would be part of). Give -ExecutablePath, or set $($script:GatewayExecutableVariable) to its path."
                throw (New-GatewayErrorRecord -ErrorId 'ExecutableNotFound' -Message $message -TargetObject $script:GatewayExecutableName)
            }
        }
    }
    if ($path -match '\.[cm]?js$') {
        $node = @(Get-Command -Name 'node' -CommandType Application -ErrorAction Ignore)
        if ($node.Count -eq 0) {
            throw (New-GatewayErrorRecord -ErrorId 'ExecutableNotFound' -Message "'$path' is a script for Node.js, and node is not on the PATH." -TargetObject $path)
        }
        return @{ FileName = $node[0].Source; Arguments = @($path); Shown = $path }
    }
    @{ FileName = $path; Arguments = @(); Shown = $path }
}

function ConvertTo-GatewayCommandLineArgument {
    <# One argument quoted for a Windows command line (CommandLineToArgvW's rules), for .NET Framework's ProcessStartInfo.Arguments. #>
    param([AllowEmptyString()] [string] $Text)
    if ($Text.Length -gt 0 -and $Text -notmatch '[\s"]') { return $Text }
    $quoted = [regex]::Replace($Text, '(\\*)"', { param($match) $match.Groups[1].Value + $match.Groups[1].Value + '\"' })
    $quoted = [regex]::Replace($quoted, '(\\+)$', '$1$1')
    '"' + $quoted + '"'
}

function Invoke-GatewayExecutable {
    <#
    Runs the executable with -Arguments, the backup passphrase in its environment only (never on its
    command line), its standard input empty (so it never waits at a prompt), and returns
    @{ ExitCode; Output; ErrorOutput }. While it runs, -Activity is shown with Write-Progress
    (indeterminate: the command reports no fraction when its output is not a terminal). The
    passphrase's clear text exists only while the process is being started.
    #>
    param(
        [Parameter(Mandatory)] [hashtable] $Executable,
        [Parameter(Mandatory)] [string[]] $Arguments,
        [Parameter(Mandatory)] [System.Security.SecureString] $Passphrase,
        [string] $Activity,
        [string] $Status
    )
    $startInfo = New-Object System.Diagnostics.ProcessStartInfo
    $startInfo.FileName = $Executable.FileName
    $startInfo.UseShellExecute = $false
    $startInfo.CreateNoWindow = $true
    $startInfo.RedirectStandardInput = $true
    $startInfo.RedirectStandardOutput = $true
    $startInfo.RedirectStandardError = $true
    $startInfo.StandardOutputEncoding = $script:GatewayUtf8
    $startInfo.StandardErrorEncoding = $script:GatewayUtf8
    $all = @($Executable.Arguments) + $Arguments
    if ($null -ne $startInfo.GetType().GetProperty('ArgumentList')) {
        foreach ($argument in $all) { $startInfo.ArgumentList.Add($argument) }
    } else {
        $startInfo.Arguments = (@($all | ForEach-Object { ConvertTo-GatewayCommandLineArgument $_ }) -join ' ')
    }
    $process = New-Object System.Diagnostics.Process
    $process.StartInfo = $startInfo
    $plain = ConvertFrom-GatewaySecureString $Passphrase
    try {
        $startInfo.EnvironmentVariables[$script:GatewayBackupPassphraseVariable] = $plain
        $plain = $null
        try {
            $null = $process.Start()
        } catch {
            $message = "Cannot start the gateway-apikeys executable '$($Executable.Shown)': $(Format-GatewaySentence (Get-GatewayRootException $_.Exception).Message)"
            throw (New-GatewayErrorRecord -ErrorId 'ExecutableNotFound' -Message $message -TargetObject $Executable.Shown)
        }
    } finally {
        $plain = $null
        $startInfo.EnvironmentVariables.Remove($script:GatewayBackupPassphraseVariable)
    }
    try {
        $process.StandardInput.Close()
        $output = $process.StandardOutput.ReadToEndAsync()
        $errorOutput = $process.StandardError.ReadToEndAsync()
        $watch = [System.Diagnostics.Stopwatch]::StartNew()
        while (-not $process.WaitForExit(200)) {
            if ($Activity) { Write-Progress -Activity $Activity -Status "$Status ($([int]$watch.Elapsed.TotalSeconds) s)" }
        }
        $process.WaitForExit()
        if ($Activity) { Write-Progress -Activity $Activity -Completed }
        @{ ExitCode = $process.ExitCode; Output = $output.Result; ErrorOutput = $errorOutput.Result }
    } finally {
        if (-not $process.HasExited) { try { $process.Kill() } catch { $null = $_ } }
        $process.Dispose()
    }
}

function ConvertFrom-GatewayExecutableFailure {
    <#
    A failed run of the executable as an ErrorRecord: ErrorId = the code its last "error: ...
    (Code)" line names (BackupInvalid, PassphraseWrong, ...), the message that line's text without
    "error: " and the code; without a code, CommandFailed (exit 2: the command line was refused).
    #>
    param([Parameter(Mandatory)] [hashtable] $Run, [object] $TargetObject)
    $lines = @(($Run.ErrorOutput -split '\r?\n') | Where-Object { $_.Trim().Length -gt 0 })
    $errorLines = @($lines | Where-Object { $_ -match '^error: ' })
    $line = $null
    if ($errorLines.Count -gt 0) { $line = $errorLines[$errorLines.Count - 1] } elseif ($lines.Count -gt 0) { $line = $lines[$lines.Count - 1] }
    $errorId = 'CommandFailed'
    $message = "gateway-apikeys failed with exit code $($Run.ExitCode)."
    if ($null -ne $line) {
        $message = [regex]::Replace($line.Trim(), '^error: ', '')
        $coded = [regex]::Match($message, '^(.*?)\s*\(([A-Za-z][A-Za-z0-9]*)\)$')
        if ($coded.Success) {
            $message = $coded.Groups[1].Value
            $errorId = $coded.Groups[2].Value
        }
    }
    New-GatewayErrorRecord -ErrorId $errorId -Message $message -TargetObject $TargetObject
}
