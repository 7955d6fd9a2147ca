function Test-GatewayApiKeyBackup {
    <#
    .SYNOPSIS
    Checks that a backup file is intact and that the passphrase opens it, and says what it holds;
    writes nothing.

    .DESCRIPTION
    Works offline, with no daemon: it runs the product's executable (gateway-apikeys restore
    --verify FILE --json), which decrypts the whole backup and checks it, and returns what it
    reports: Intact, the vault it was taken from, how many keys it holds and when it was taken.

    A backup that fails the check is reported as a non-terminating error, so that a pipeline of
    several files goes on to the next one: BackupInvalid (InvalidData) for a damaged or foreign
    file, PassphraseWrong (AuthenticationError) for a wrong passphrase, BackupNotFound
    (ObjectNotFound) for a file that does not exist; no object is output for that file. Use -ErrorAction Stop to end at the first one, or -ErrorVariable to collect them. Other
    failures (no executable, no passphrase, a command line the executable refuses) end the command.

    The passphrase comes from -Passphrase, else -PassphraseFile, else the environment variable
    GATEWAY_APIKEYS_BACKUP_PASSPHRASE, else it is typed once at a prompt in an interactive session;
    it reaches the executable through its environment only. The executable is -ExecutablePath, else
    GATEWAY_APIKEYS_EXE, else gateway-apikeys on the PATH, else the dist/cli.js of the source
    checkout this module is loaded from (powershell/GatewayApiKeys of it); a path ending in .js is
    run with node.

    .PARAMETER Path
    The backup files to check. Accepts pipeline input: strings, or objects with a Path or FullName property.

    .PARAMETER Passphrase
    The passphrase the backup was made with, as a SecureString.

    .PARAMETER PassphraseFile
    A file whose one line is the passphrase (a trailing line break is not part of it). Used when
    -Passphrase is not given.

    .PARAMETER ExecutablePath
    The gateway-apikeys executable to run (or a dist/cli.js, run with node). When not given,
    GATEWAY_APIKEYS_EXE, else gateway-apikeys on the PATH, else the dist/cli.js of the checkout
    this module is loaded from.

    .EXAMPLE
    Test-GatewayApiKeyBackup -Path D:\Backups\gateway-keys.gwkbak

    Asks for the passphrase, then says whether the backup is intact and how many keys it holds.

    .EXAMPLE
    Get-ChildItem D:\Backups\*.gwkbak | Test-GatewayApiKeyBackup -PassphraseFile C:\Secure\backup.pass -ErrorVariable broken
    $broken | ForEach-Object { "$($_.TargetObject): $($_.Exception.Message)" }

    Checks every backup of a folder, then lists those that failed and why.

    .EXAMPLE
    Backup-GatewayApiKeyVault -Path keys.gwkbak -Passphrase $passphrase | Test-GatewayApiKeyBackup -Passphrase $passphrase

    Writes a backup and checks it at once.

    .INPUTS
    System.String: paths; or objects with a Path property (Backup-GatewayApiKeyVault's output) or a FullName
    (Get-ChildItem's), bound to -Path.

    .OUTPUTS
    GatewayApiKeys.BackupTest: Path, Intact, VaultId, KeyCount, CreatedAt ([datetime], local time: the
    instant the backup holds).

    .LINK
    Backup-GatewayApiKeyVault

    .LINK
    Restore-GatewayApiKeyVault

    .LINK
    about_GatewayApiKeys
    #>
    [CmdletBinding()]
    [OutputType('GatewayApiKeys.BackupTest')]
    param(
        [Parameter(Mandatory, Position = 0, ValueFromPipeline, ValueFromPipelineByPropertyName)]
        [Alias('FullName')]
        [ValidateNotNullOrEmpty()]
        [string[]] $Path,

        [System.Security.SecureString] $Passphrase,

        [ValidateNotNullOrEmpty()]
        [string] $PassphraseFile,

        [ValidateNotNullOrEmpty()]
        [string] $ExecutablePath
    )
    begin {
        $ErrorActionPreference, $WarningPreference, $InformationPreference, $VerbosePreference, $DebugPreference,
            $ConfirmPreference, $WhatIfPreference, $ProgressPreference = $script:GatewayCallerPreference::Of($PSCmdlet, $ExecutionContext.SessionState)   # Private/GatewayPreferences.ps1
        $secure = $null
        $executable = $null
        # The failures that concern one backup file; any other ends the command.
        $fileErrorIds = @('BackupInvalid', 'PassphraseWrong')
    }
    process {
        foreach ($one in $Path) {
            $file = $PSCmdlet.GetUnresolvedProviderPathFromPSPath($one)
            if (-not [System.IO.File]::Exists($file)) {
                $PSCmdlet.WriteError((New-GatewayErrorRecord -ErrorId 'BackupNotFound' -Message "There is no backup file '$file'." -TargetObject $file))
                continue
            }
            try {
                if ($null -eq $executable) { $executable = Resolve-GatewayExecutable -Cmdlet $PSCmdlet -ExecutablePath $ExecutablePath }
                if ($null -eq $secure) { $secure = Get-GatewayBackupPassphrase -Cmdlet $PSCmdlet -Passphrase $Passphrase -PassphraseFile $PassphraseFile }
                $run = Invoke-GatewayExecutable -Executable $executable -Arguments @('restore', '--verify', $file, '--json') -Passphrase $secure `
                    -Activity "Checking the backup $file" -Status 'Decrypting and checking every key'
            } catch {
                $PSCmdlet.ThrowTerminatingError($_)
            }
            if ($run.ExitCode -ne 0) {
                $failure = ConvertFrom-GatewayExecutableFailure -Run $run -TargetObject $file
                if ($fileErrorIds -notcontains $failure.Exception.Data['GatewayErrorId']) { $PSCmdlet.ThrowTerminatingError($failure) }
                $PSCmdlet.WriteError($failure)
                continue
            }
            $readOptions = $script:GatewayJsonReadOptions   # splatted as a plain variable: see the Manifest tests' 5.1 check
            $verified = ConvertFrom-Json -InputObject $run.Output @readOptions
            [pscustomobject]@{
                PSTypeName = 'GatewayApiKeys.BackupTest'
                Path       = $file
                Intact     = [bool]$verified.intact
                VaultId    = $verified.vaultId
                KeyCount   = [int]$verified.keyCount
                CreatedAt  = ([datetime]$verified.createdAt).ToLocalTime()
            }
        }
    }
    end {
        if ($null -ne $secure -and -not $PSBoundParameters.ContainsKey('Passphrase')) { $secure.Dispose() }
    }
}
