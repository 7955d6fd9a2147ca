function Backup-GatewayApiKeyVault {
    <#
    .SYNOPSIS
    Backs up every API key of the running daemon, values and history included, to one file sealed
    with a passphrase.

    .DESCRIPTION
    The daemon takes the keys as of one instant, without blocking authentication, and seals them
    with a key derived from the passphrase (Argon2id, XChaCha20-Poly1305); this command receives the
    file part by part (Write-Progress shows the keys done) and writes it. The backup can be restored
    on another host, whose master key differs, with Restore-GatewayApiKeyVault; without the
    passphrase it cannot be restored at all, so keep the two apart. Needs the admin role.

    The passphrase (8 to 1024 characters) comes from -Passphrase, else -PassphraseFile, else the
    environment variable GATEWAY_APIKEYS_BACKUP_PASSPHRASE, else it is typed twice at a prompt in an
    interactive session. It is never taken as plain text on the command line. With none of these,
    the command fails with PassphraseUnavailable and writes nothing.

    The file is written as <Path>.partial, created new (never through a file or link already
    there) so that only its owner may read it: mode 0600 off Windows, on Windows an access list of
    one entry, the account's own, inheriting nothing from the folder. It is renamed to -Path once
    whole and on disk, so -Path holds a whole backup or nothing; on any failure the .partial file is
    removed. An existing -Path or .partial is refused (BackupExists) unless -Force is given.
    Relative paths are taken from the current PowerShell location.

    .PARAMETER Path
    The backup file to write.

    .PARAMETER Passphrase
    The passphrase that seals the backup, as a SecureString.

    .PARAMETER PassphraseFile
    A file whose one line is the passphrase (a trailing line break is not part of it), for scheduled
    tasks and services. Used when -Passphrase is not given.

    .PARAMETER Force
    Replaces an existing backup file (and a .partial file an interrupted backup left behind).

    .EXAMPLE
    Backup-GatewayApiKeyVault -Path D:\Backups\gateway-keys.gwkbak

    Asks for the passphrase twice, then writes the backup and says how many keys it holds.

    .EXAMPLE
    $passphrase = Read-Host -AsSecureString -Prompt 'Backup passphrase'
    Backup-GatewayApiKeyVault -Path "keys-$(Get-Date -Format yyyy-MM-dd).gwkbak" -Passphrase $passphrase

    A dated backup in the current folder, with a passphrase held as a SecureString.

    .EXAMPLE
    Backup-GatewayApiKeyVault -Path /var/backups/gateway-keys.gwkbak -PassphraseFile /etc/gateway-apikeys/backup.pass -Force -Confirm:$false

    A nightly job: the passphrase from a file only the job's account can read; last night's backup
    is replaced.

    .EXAMPLE
    Backup-GatewayApiKeyVault -Path keys.gwkbak | Test-GatewayApiKeyBackup

    Writes a backup and checks it at once (GATEWAY_APIKEYS_BACKUP_PASSPHRASE, or a prompt, serves both).

    .INPUTS
    None. This command takes no pipeline input.

    .OUTPUTS
    GatewayApiKeys.Backup: Path, VaultId, KeyCount, CreatedAt ([datetime], local time: the instant the
    backup holds), Seconds, KeysPerSecond.

    .LINK
    Test-GatewayApiKeyBackup

    .LINK
    Restore-GatewayApiKeyVault

    .LINK
    about_GatewayApiKeys
    #>
    [CmdletBinding(SupportsShouldProcess)]
    [OutputType('GatewayApiKeys.Backup')]
    param(
        [Parameter(Mandatory, Position = 0)]
        [ValidateNotNullOrEmpty()]
        [string] $Path,

        [System.Security.SecureString] $Passphrase,

        [ValidateNotNullOrEmpty()]
        [string] $PassphraseFile,

        [switch] $Force
    )
    $ErrorActionPreference, $WarningPreference, $InformationPreference, $VerbosePreference, $DebugPreference,
        $ConfirmPreference, $WhatIfPreference, $ProgressPreference = $script:GatewayCallerPreference::Of($PSCmdlet, $ExecutionContext.SessionState)   # Private/GatewayPreferences.ps1
    $file = $PSCmdlet.GetUnresolvedProviderPathFromPSPath($Path)
    $partial = "$file.partial"
    if ([System.IO.Directory]::Exists($file)) {
        $PSCmdlet.ThrowTerminatingError((New-GatewayErrorRecord -ErrorId 'BackupExists' -Message "'$file' is a directory: give the path of a backup file." -TargetObject $file))
    }
    if (-not $Force) {
        foreach ($existing in $file, $partial) {
            if ([System.IO.File]::Exists($existing)) {
                $message = "'$existing' exists: give another -Path, or add -Force to replace it. Nothing was written."
                if ($existing -eq $partial) {
                    $message = "'$existing' exists: another backup is being written there, or one was interrupted. Add -Force to replace it. Nothing was written."
                }
                $PSCmdlet.ThrowTerminatingError((New-GatewayErrorRecord -ErrorId 'BackupExists' -Message $message -TargetObject $existing))
            }
        }
    }
    $directory = [System.IO.Path]::GetDirectoryName($file)
    if ($directory -and -not [System.IO.Directory]::Exists($directory)) {
        $PSCmdlet.ThrowTerminatingError((New-GatewayErrorRecord -ErrorId 'BackupWriteFailed' -Message "The folder '$directory' does not exist. Nothing was written." -TargetObject $file))
    }
    if (-not (Confirm-GatewayChange -Cmdlet $PSCmdlet -Target $file -Action 'Back up every API key of the vault, values included, to a file sealed with a passphrase')) { return }

    try {
        $secure = Get-GatewayBackupPassphrase -Cmdlet $PSCmdlet -Passphrase $Passphrase -PassphraseFile $PassphraseFile -Confirm
    } catch {
        $PSCmdlet.ThrowTerminatingError($_)
    }
    if ($secure.Length -lt $script:GatewayRules.BackupPassphraseMinLength -or $secure.Length -gt $script:GatewayRules.BackupPassphraseMaxLength) {
        $message = "A backup passphrase has $($script:GatewayRules.BackupPassphraseMinLength) to $($script:GatewayRules.BackupPassphraseMaxLength) characters; " +
            "this one has $($secure.Length). Nothing was written."
        $PSCmdlet.ThrowTerminatingError((New-GatewayErrorRecord -ErrorId 'InvalidParams' -Message $message -Field 'passphrase'))
    }

    $activity = "Backing up the API keys to $file"
    $watch = [System.Diagnostics.Stopwatch]::StartNew()
    $params = @{ passphrase = $null }
    try {
        # The clear text exists only for the call; the hashtable is emptied right after.
        $params.passphrase = ConvertFrom-GatewaySecureString $secure
        try {
            $started = Invoke-GatewayRpc -Method 'backup.create' -Params $params
        } finally {
            $params.passphrase = $null
            if (-not $PSBoundParameters.ContainsKey('Passphrase')) { $secure.Dispose() }
            $secure = $null
        }
    } catch {
        Write-GatewayError -Cmdlet $PSCmdlet -ErrorRecord $_ -Terminating
        return
    }

    $keyCount = [int]$started.keyCount
    $parts = [int]$started.parts
    $stream = $null
    $done = $false
    try {
        if ($Force -and [System.IO.File]::Exists($partial)) { [System.IO.File]::Delete($partial) }
        try {
            $stream = New-GatewayOwnerOnlyFile -Path $partial
        } catch {
            $reason = Get-GatewayRootException $_.Exception
            throw (New-GatewayErrorRecord -ErrorId 'BackupWriteFailed' -Message "Cannot create '$partial': $(Format-GatewaySentence $reason.Message) Nothing was written." -TargetObject $file)
        }
        Write-Progress -Activity $activity -Status "0 of $keyCount keys" -PercentComplete 0
        for ($index = 0; $index -lt $parts; $index++) {
            $part = Invoke-GatewayRpc -Method 'backup.read' -Params @{ index = $index }
            $bytes = [System.Convert]::FromBase64String($part.data)
            $stream.Write($bytes, 0, $bytes.Length)
            $keysDone = [int][System.Math]::Floor($keyCount * ($index + 1) / $parts)
            $percent = 100
            if ($keyCount -gt 0) { $percent = [int](100 * $keysDone / $keyCount) }
            Write-Progress -Activity $activity -Status "$keysDone of $keyCount keys" -PercentComplete $percent
            if ($part.last -and $index -lt $parts - 1) {
                throw (New-GatewayErrorRecord -ErrorId 'DaemonProtocolError' -Message "The daemon ended the backup after part $($index + 1) of $parts. Nothing was written." -TargetObject $file)
            }
        }
        $stream.Flush($true)
        $stream.Dispose()
        $stream = $null
        Move-GatewayBackupIntoPlace -Partial $partial -File $file
        $done = $true
    } catch {
        $failure = $_
        if (-not $failure.Exception.Data['GatewayErrorId']) {
            $reason = Get-GatewayRootException $failure.Exception
            $failure = New-GatewayErrorRecord -ErrorId 'BackupWriteFailed' -Message "Cannot write the backup to '$file': $(Format-GatewaySentence $reason.Message) Nothing was written." -TargetObject $file
        }
        Write-GatewayError -Cmdlet $PSCmdlet -ErrorRecord $failure -Terminating
    } finally {
        Write-Progress -Activity $activity -Completed
        if ($null -ne $stream) { $stream.Dispose() }
        if (-not $done) { Remove-Item -LiteralPath $partial -Force -ErrorAction Ignore }
    }
    $seconds = $watch.Elapsed.TotalSeconds
    $rate = 0
    if ($seconds -gt 0) { $rate = $keyCount / $seconds }
    [pscustomobject]@{
        PSTypeName    = 'GatewayApiKeys.Backup'
        Path          = $file
        VaultId       = $started.vaultId
        KeyCount      = $keyCount
        CreatedAt     = ([datetime]$started.createdAt).ToLocalTime()
        Seconds       = $seconds
        KeysPerSecond = $rate
    }
}
