# The exception type of each ErrorCategory that $script:GatewayErrorIds names (GatewayRules.generated.ps1,
# from x-codes in schemas/defs.json), so that scripts can also catch by type. None derives from
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
    LimitsExceeded      = [System.InvalidOperationException]
    ResourceBusy        = [System.InvalidOperationException]
}

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
    its row of $script:GatewayErrorIds gives (NotSpecified for an ErrorId without one, such as
    JsonRpc-32601), the message as given (the daemon's intact). Messages never hold a key value.
    #>
    param(
        [Parameter(Mandatory)] [string] $ErrorId,
        [Parameter(Mandatory)] [string] $Message,
        [object] $TargetObject,
        [string] $Field
    )
    $category = 'NotSpecified'
    $row = $script:GatewayErrorIds[$ErrorId]
    if ($null -ne $row) { $category = $row.Category }
    $exception = New-Object -TypeName $script:GatewayExceptionTypes[$category].FullName -ArgumentList $Message
    $exception.Data['GatewayErrorId'] = $ErrorId
    if ($Field) { $exception.Data['Field'] = $Field }
    New-Object System.Management.Automation.ErrorRecord -ArgumentList $exception, $ErrorId, $category, $TargetObject
}

function Write-GatewayError {
    <#
    Passes an error caught in a public cmdlet on as that cmdlet's: an ErrorId whose row of
    $script:GatewayErrorIds is Terminating (a connection or permission problem) ends the command,
    a problem with one key is reported and the pipeline goes on.
    #>
    param(
        [Parameter(Mandatory)] [System.Management.Automation.PSCmdlet] $Cmdlet,
        [Parameter(Mandatory)] [System.Management.Automation.ErrorRecord] $ErrorRecord,
        # Ends the command whatever the error: for commands that do one thing, such as a backup.
        [switch] $Terminating
    )
    $ends = $Terminating.IsPresent
    $errorId = $ErrorRecord.Exception.Data['GatewayErrorId']
    if ($errorId) {
        # A new record and exception, so that the error is the cmdlet's (ErrorId,Cmdlet) and is
        # $Error[0]: PowerShell does not add an exception to $Error that is already there.
        $ErrorRecord = New-GatewayErrorRecord -ErrorId $errorId -Message $ErrorRecord.Exception.Message `
            -TargetObject $ErrorRecord.TargetObject -Field $ErrorRecord.Exception.Data['Field']
        $row = $script:GatewayErrorIds[$errorId]
        if ($null -ne $row -and $row.Terminating) { $ends = $true }
    }
    if ($ends) { $Cmdlet.ThrowTerminatingError($ErrorRecord) }
    $Cmdlet.WriteError($ErrorRecord)
}
