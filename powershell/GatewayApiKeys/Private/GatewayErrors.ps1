# The ErrorCategory of each ErrorId: the daemon's data.code values (docs/protocol.md, Errors) and this module's own.
$script:GatewayErrorCategories = @{
    Unauthenticated       = 'PermissionDenied'
    Forbidden             = 'PermissionDenied'
    InvalidParams         = 'InvalidArgument'
    NameInvalid           = 'InvalidArgument'
    NameTooShort          = 'InvalidArgument'
    NameTooLong           = 'InvalidArgument'
    DescriptionTooLong    = 'InvalidArgument'
    ExpiryInvalid         = 'InvalidArgument'
    ExpiryInPast          = 'InvalidArgument'
    ExpiryTooFar          = 'InvalidArgument'
    NameTaken             = 'ResourceExists'
    KeyNotFound           = 'ObjectNotFound'
    Internal              = 'NotSpecified'
    KeyDisabled           = 'InvalidOperation'
    GraceInvalid          = 'InvalidArgument'
    DaemonUnreachable     = 'ConnectionError'
    DaemonAccessDenied    = 'PermissionDenied'
    DaemonConnectionLost  = 'ConnectionError'
    DaemonTimeout         = 'OperationTimeout'
    DaemonProtocolError   = 'ProtocolError'
    DaemonImpostor        = 'SecurityError'
    TokenUnavailable      = 'PermissionDenied'
    ClipboardUnavailable  = 'ResourceUnavailable'
    BackupInvalid         = 'InvalidData'
    PassphraseWrong       = 'AuthenticationError'
    PassphraseUnavailable = 'InvalidOperation'
    ConfirmationUnavailable = 'InvalidOperation'
    PassphraseMismatch    = 'InvalidArgument'
    BackupExists          = 'ResourceExists'
    BackupNotFound        = 'ObjectNotFound'
    BackupWriteFailed     = 'WriteError'
    ExecutableNotFound    = 'ObjectNotFound'
    CommandFailed         = 'NotSpecified'
}

# The exception type of each category, so that scripts can also catch by type. None derives from
# RuntimeException: PowerShell would show such an error as the helper's 'Exception:', not the cmdlet's.
$script:GatewayExceptionTypes = @{
    PermissionDenied    = [System.UnauthorizedAccessException]
    InvalidArgument     = [System.ArgumentException]
    ResourceExists      = [System.InvalidOperationException]
    ObjectNotFound      = [System.Collections.Generic.KeyNotFoundException]
    InvalidOperation    = [System.InvalidOperationException]
    ConnectionError     = [System.IO.IOException]
    OperationTimeout    = [System.TimeoutException]
    ProtocolError       = [System.IO.InvalidDataException]
    ResourceUnavailable = [System.NotSupportedException]
    SecurityError       = [System.Security.SecurityException]
    NotSpecified        = [System.InvalidOperationException]
    InvalidData         = [System.IO.InvalidDataException]
    AuthenticationError = [System.Security.Authentication.AuthenticationException]
    WriteError          = [System.IO.IOException]
}

# Errors after which nothing else in the pipeline can succeed: they stop the command instead of
# being reported once per input object.
$script:GatewayTerminatingErrorIds = @(
    'Unauthenticated', 'Forbidden', 'DaemonUnreachable', 'DaemonAccessDenied', 'DaemonConnectionLost', 'DaemonTimeout', 'DaemonImpostor',
    'DaemonProtocolError', 'TokenUnavailable', 'ClipboardUnavailable'
)

function Get-GatewayRootException([System.Exception] $Exception) {
    <# The innermost exception: what really failed, under PowerShell's MethodInvocationException and .NET's own wrappers. #>
    while ($null -ne $Exception.InnerException) { $Exception = $Exception.InnerException }
    $Exception
}

function Format-GatewaySentence {
    <# A message of .NET's (such as "Permission denied") ending as a sentence, to go inside one of this module's. #>
    param([AllowEmptyString()] [string] $Text)
    $Text = $Text.Trim()
    if ($Text -and $Text -notmatch '[.!?]$') { $Text += '.' }
    $Text
}

function New-GatewayErrorRecord {
    <#
    The one place ErrorRecords are made: ErrorId = the daemon's code (or this module's), the category
    from the table above, the message as given (the daemon's intact). Messages never hold a key value.
    #>
    param(
        [Parameter(Mandatory)] [string] $ErrorId,
        [Parameter(Mandatory)] [string] $Message,
        [object] $TargetObject,
        [string] $Field
    )
    $category = $script:GatewayErrorCategories[$ErrorId]
    if ($null -eq $category) { $category = 'NotSpecified' }
    $exception = New-Object -TypeName $script:GatewayExceptionTypes[$category].FullName -ArgumentList $Message
    $exception.Data['GatewayErrorId'] = $ErrorId
    if ($Field) { $exception.Data['Field'] = $Field }
    New-Object System.Management.Automation.ErrorRecord -ArgumentList $exception, $ErrorId, $category, $TargetObject
}

function Write-GatewayError {
    <#
    Passes an error caught in a public cmdlet on as that cmdlet's: connection and permission
    problems end the command, a problem with one key is reported and the pipeline goes on.
    #>
    param(
        [Parameter(Mandatory)] [System.Management.Automation.PSCmdlet] $Cmdlet,
        [Parameter(Mandatory)] [System.Management.Automation.ErrorRecord] $ErrorRecord,
        # Ends the command whatever the error: for commands that do one thing, such as a backup.
        [switch] $Terminating
    )
    $errorId = $ErrorRecord.Exception.Data['GatewayErrorId']
    if ($errorId) {
        # A new record and exception, so that the error is the cmdlet's (ErrorId,Cmdlet) and is
        # $Error[0]: PowerShell does not add an exception to $Error that is already there.
        $ErrorRecord = New-GatewayErrorRecord -ErrorId $errorId -Message $ErrorRecord.Exception.Message `
            -TargetObject $ErrorRecord.TargetObject -Field $ErrorRecord.Exception.Data['Field']
    }
    if ($Terminating -or $script:GatewayTerminatingErrorIds -contains $errorId) { $Cmdlet.ThrowTerminatingError($ErrorRecord) }
    $Cmdlet.WriteError($ErrorRecord)
}
