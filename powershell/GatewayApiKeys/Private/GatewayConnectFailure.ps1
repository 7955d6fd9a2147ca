# Why a connection to the daemon could not be opened, in words that say what to do. Three causes need
# different fixes, so each has its own message: nothing is there (the daemon is not running, or its
# pipe is elsewhere), something is there but this account may not open it (DaemonAccessDenied: a
# group, a directory, a pipe's access list), or it did not answer in time.

$script:GatewayStartAdvice = 'Start it with ''gateway-apikeys serve'', or point GATEWAY_APIKEYS_PIPE (or Connect-GatewayApiKeyService -Pipe) at its pipe.'

function ConvertTo-GatewayConnectFailure {
    <#
    The ErrorRecord for an exception thrown while opening -Pipe: DaemonAccessDenied when the
    system refused this account, DaemonUnreachable otherwise, each message ending as a sentence.
    #>
    param(
        [Parameter(Mandatory)] [string] $Pipe,
        [Parameter(Mandatory)] [System.Exception] $Exception,
        [int] $TimeoutMilliseconds
    )
    $reason = Get-GatewayRootException $Exception
    $socketError = $null
    if ($reason -is [System.Net.Sockets.SocketException]) { $socketError = [string]$reason.SocketErrorCode }
    $start = "Cannot connect to the gateway-apikeys daemon at '$Pipe':"

    if ($reason -is [System.UnauthorizedAccessException] -or $socketError -eq 'AccessDenied') {
        if (Test-GatewayWindows) {
            $account = [System.Environment]::UserDomainName + '\' + [System.Environment]::UserName
            # docs/security.md: the daemon decides who may open its pipe; this account is not among them.
            $message = "$start Windows denied the account '$account' access to this pipe. The process that created the pipe " +
                'does not admit this account: run PowerShell as an account it admits (the daemon''s own account, or elevated), ' +
                'or, if another process holds this pipe name, point GATEWAY_APIKEYS_PIPE (or Connect-GatewayApiKeyService -Pipe) at the daemon''s pipe.'
        } else {
            $message = "$start permission denied. " + (Get-GatewayUnixAccessAdvice -Pipe $Pipe)
        }
        return (New-GatewayErrorRecord -ErrorId 'DaemonAccessDenied' -Message $message -TargetObject $Pipe)
    }

    if ($socketError -eq 'AddressNotAvailable' -or $reason -is [System.IO.FileNotFoundException]) {
        # ENOENT reaches .NET as "Cannot assign requested address", which says nothing to an admin.
        $message = "$start there is no socket at that path, so the daemon is not running or its pipe is elsewhere. $script:GatewayStartAdvice"
    } elseif ($socketError -eq 'ConnectionRefused') {
        $message = "$start nothing listens on that socket (a daemon that stopped left it behind), so the daemon is not running. $script:GatewayStartAdvice"
    } elseif ($reason -is [System.TimeoutException]) {
        $message = "$start it did not accept the connection within $TimeoutMilliseconds ms. Is the daemon running, and not overloaded? $script:GatewayStartAdvice"
    } else {
        $message = "$start $(Format-GatewaySentence $reason.Message) Is the daemon running? $script:GatewayStartAdvice"
    }
    New-GatewayErrorRecord -ErrorId 'DaemonUnreachable' -Message $message -TargetObject $Pipe
}

function New-GatewayNoPipeError {
    <# DaemonUnreachable for a Windows pipe name that no process has created. #>
    param([Parameter(Mandatory)] [string] $Pipe)
    $message = "Cannot connect to the gateway-apikeys daemon at '$Pipe': there is no pipe of that name on this machine, " +
        "so the daemon is not running or its pipe is elsewhere. $script:GatewayStartAdvice"
    New-GatewayErrorRecord -ErrorId 'DaemonUnreachable' -Message $message -TargetObject $Pipe
}

function Test-GatewayPipeExists {
    <#
    Whether a pipe of this name exists on this machine (Windows). NamedPipeClientStream.Connect(timeout)
    retries a missing pipe until the timeout ends, in case its server is about to create it; the pipe
    file system lists the pipes that exist, so a missing one can fail at once. $true when the list
    cannot be read: then Connect decides, as before.
    #>
    param([Parameter(Mandatory)] [string] $Name)
    try {
        return (@([System.IO.Directory]::GetFiles('\\.\pipe\', $Name)).Count -gt 0)
    } catch {
        return $true
    }
}

function Get-GatewayUnixAccessAdvice {
    <#
    What refused this user on the way to a Unix socket, and what grants access: a directory it may
    not enter (the daemon's data dir is 0700: docs/security.md, "The data dir"), or the socket itself
    (0660: its owner and its group).
    #>
    param([Parameter(Mandatory)] [string] $Pipe)
    $user = [System.Environment]::UserName
    $path = [System.IO.Path]::GetFullPath($Pipe)
    $chain = New-Object System.Collections.Generic.List[string]
    for ($at = $path; $at; $at = [System.IO.Path]::GetDirectoryName($at)) { $chain.Insert(0, $at) }
    # The first path this user may not even look at sits in a directory it may not enter.
    $blocker = $null
    for ($i = 1; $i -lt $chain.Count; $i++) {
        try {
            $null = Get-Item -LiteralPath $chain[$i] -Force -ErrorAction Stop
        } catch {
            if ($_.Exception -is [System.UnauthorizedAccessException]) { $blocker = $chain[$i - 1] }
            break
        }
    }
    if ($null -ne $blocker) {
        return ("'$user' may not enter the directory '$blocker'$(Get-GatewayUnixOwnership $blocker) on the way to the socket. " +
            'The daemon''s data dir is private to the daemon''s user: to let other users in, start the daemon with --pipe in a ' +
            'directory their group can traverse (such as /run/gateway-apikeys, mode 0750) and add them to that group, or run as the daemon''s user.')
    }
    $item = Get-Item -LiteralPath $path -Force -ErrorAction Ignore
    $owner = $null
    $group = $null
    if ($null -ne $item -and $item.PSObject.Properties['Group']) {
        $owner = $item.User
        $group = $item.Group
    }
    if ($null -eq $group) {
        return "The socket does not admit '$user': run as the daemon's user, or as a member of the socket's group."
    }
    if ($owner -eq $user) {
        return "The socket$(Get-GatewayUnixOwnership $path) does not admit even its owner: restart the daemon, which makes its socket 0660."
    }
    "The socket$(Get-GatewayUnixOwnership $path) admits its owner and the members of its group, and '$user' is neither: " +
        "add '$user' to the group '$group' (sudo usermod -aG $group $user, then log in again), or run as the daemon's user."
}

function Get-GatewayUnixOwnership([string] $Path) {
    <# " (srw-rw----, owner x, group y)" of a path, or nothing when PowerShell does not tell. #>
    $item = Get-Item -LiteralPath $Path -Force -ErrorAction Ignore
    if ($null -eq $item -or -not $item.PSObject.Properties['UnixMode']) { return '' }
    " ($($item.UnixMode), owner $($item.User), group $($item.Group))"
}
