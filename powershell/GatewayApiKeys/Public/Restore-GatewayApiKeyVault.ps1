function Restore-GatewayApiKeyVault {
    <#
    .SYNOPSIS
    Restores a backup made by Backup-GatewayApiKeyVault into a new vault: a new or empty data
    directory, under a master key of its own.

    .DESCRIPTION
    Works offline, with no daemon: it runs the product's executable (gateway-apikeys restore FILE
    --data-dir DIR --json) and returns what it reports. The keys, values and history included, are
    re-encrypted under the new vault's own master key; start the daemon on -DataDirectory afterwards.
    The restore refuses a directory that holds a vault or that a daemon holds (InvalidParams),
    never writing over a live vault. A wrong passphrase fails with PassphraseWrong
    (AuthenticationError), a damaged or foreign file with BackupInvalid (InvalidData); nothing is
    written either way. A -Path that does not exist is BackupNotFound (ObjectNotFound). These
    errors end the command.

    The backup's passphrase comes from -Passphrase, else -PassphraseFile, else the environment
    variable GATEWAY_APIKEYS_BACKUP_PASSPHRASE, else it is typed at a prompt in an interactive
    session; it reaches the executable through its environment only, never its command line. When
    GATEWAY_APIKEYS_PASSPHRASE is set, the executable seals the new vault's master key with it;
    otherwise the master key is kept in a key file of the data directory.

    The executable is -ExecutablePath, else GATEWAY_APIKEYS_EXE, else gateway-apikeys on the PATH,
    else the dist/cli.js of the source checkout this module is loaded from (powershell/GatewayApiKeys
    of it); a path ending in .js is run with node. Write-Progress shows the restore while it runs.

    .PARAMETER Path
    The backup file.

    .PARAMETER DataDirectory
    The data directory of the new vault: one that does not exist yet, or an empty one.

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
    Restore-GatewayApiKeyVault -Path D:\Backups\gateway-keys.gwkbak -DataDirectory D:\GatewayKeys

    Asks for the backup's passphrase and restores every key into D:\GatewayKeys; then start the
    service on that data directory.

    .EXAMPLE
    $env:GATEWAY_APIKEYS_PASSPHRASE = $null
    Restore-GatewayApiKeyVault -Path ./keys.gwkbak -DataDirectory /var/lib/gateway-apikeys -PassphraseFile /root/backup.pass -Confirm:$false

    A scripted restore on a new Linux host; the new vault's master key goes to a key file.

    .EXAMPLE
    try {
        Restore-GatewayApiKeyVault -Path keys.gwkbak -DataDirectory ./restored -Passphrase $passphrase -ErrorAction Stop
    } catch {
        if ($_.FullyQualifiedErrorId -like 'PassphraseWrong,*') { 'That is not the passphrase of this backup.' }
    }

    Tells a wrong passphrase from other failures.

    .INPUTS
    System.String: paths; or objects with a Path property (Backup-GatewayApiKeyVault's output) or a FullName
    (Get-ChildItem's), bound to -Path.

    .OUTPUTS
    GatewayApiKeys.Restore: Path, DataDirectory, VaultId, KeyCount, CreatedAt ([datetime], local time:
    the instant the backup holds), Seconds, KeysPerSecond.

    .LINK
    Backup-GatewayApiKeyVault

    .LINK
    Test-GatewayApiKeyBackup

    .LINK
    about_GatewayApiKeys
    #>
    [CmdletBinding(SupportsShouldProcess)]
    [OutputType('GatewayApiKeys.Restore')]
    param(
        [Parameter(Mandatory, Position = 0, ValueFromPipeline, ValueFromPipelineByPropertyName)]
        [Alias('FullName')]
        [ValidateNotNullOrEmpty()]
        [string] $Path,

        [Parameter(Mandatory)]
        [Alias('DataDir')]
        [ValidateNotNullOrEmpty()]
        [string] $DataDirectory,

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
    }
    process {
        $file = $PSCmdlet.GetUnresolvedProviderPathFromPSPath($Path)
        $target = $PSCmdlet.GetUnresolvedProviderPathFromPSPath($DataDirectory)
        if (-not [System.IO.File]::Exists($file)) {
            $PSCmdlet.ThrowTerminatingError((New-GatewayErrorRecord -ErrorId 'BackupNotFound' -Message "There is no backup file '$file'. Nothing was written." -TargetObject $file))
        }
        try {
            $executable = Resolve-GatewayExecutable -Cmdlet $PSCmdlet -ExecutablePath $ExecutablePath
        } catch {
            $PSCmdlet.ThrowTerminatingError($_)
        }
        if (-not (Confirm-GatewayChange -Cmdlet $PSCmdlet -Target $target -Action "Restore the API keys of the backup '$file' into a new vault")) { return }
        try {
            if ($null -eq $secure) { $secure = Get-GatewayBackupPassphrase -Cmdlet $PSCmdlet -Passphrase $Passphrase -PassphraseFile $PassphraseFile }
            $run = Invoke-GatewayExecutable -Executable $executable -Arguments @('restore', $file, '--data-dir', $target, '--json') -Passphrase $secure `
                -Activity "Restoring the API keys of $file" -Status "Decrypting the backup and sealing the keys under the new vault's master key in $target"
        } catch {
            $PSCmdlet.ThrowTerminatingError($_)
        }
        if ($run.ExitCode -ne 0) { $PSCmdlet.ThrowTerminatingError((ConvertFrom-GatewayExecutableFailure -Run $run -TargetObject $file)) }
        $readOptions = $script:GatewayJsonReadOptions   # splatted as a plain variable: see the Manifest tests' 5.1 check
        $restored = ConvertFrom-Json -InputObject $run.Output @readOptions
        [pscustomobject]@{
            PSTypeName    = 'GatewayApiKeys.Restore'
            Path          = $file
            DataDirectory = $restored.dataDir
            VaultId       = $restored.vaultId
            KeyCount      = [int]$restored.keyCount
            CreatedAt     = ([datetime]$restored.createdAt).ToLocalTime()
            Seconds       = [double]$restored.seconds
            KeysPerSecond = [double]$restored.keysPerSecond
        }
    }
    end {
        if ($null -ne $secure -and -not $PSBoundParameters.ContainsKey('Passphrase')) { $secure.Dispose() }
    }
}
