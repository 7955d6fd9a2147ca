# Connect-GatewayApiKeyService, and the connection settings the module takes from the environment.
# Against a real daemon of its own (TestDaemon.psm1), its clock started at 2026-11-27T12:00:00Z
# (UTC), so that expiry dates and statuses are known in advance.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestDaemon.psm1') -Force
    $script:Daemon = Start-TestSuiteDaemon
}

AfterAll {
    Stop-TestSuiteDaemon $Daemon
}

Describe 'Connect-GatewayApiKeyService' {
    It 'connects with the admin token file of -DataDirectory and tells whom it reached' {
        $connection = Connect-GatewayApiKeyService -Pipe $Daemon.Pipe -DataDirectory $Daemon.DataDirectory
        $connection.PSObject.TypeNames[0] | Should -Be 'GatewayApiKeys.Connection'
        $connection.Pipe | Should -Be $Daemon.Pipe
        $connection.Role | Should -Be 'admin'
        $connection.ServerVersion | Should -Be '0.1.0'
        $connection.ProtocolVersion | Should -Be 3
        $connection.Today | Should -Be ([datetime]'2026-11-27')
        $connection.TimeZone | Should -Be 'UTC'
    }

    It 'takes -Token as a SecureString: the gateway token gives the gateway role, which may not list keys' {
        $connection = Connect-GatewayApiKeyService -Pipe $Daemon.Pipe -Token (ConvertTo-TestSecureString $Daemon.GatewayToken)
        $connection.Role | Should -Be 'gateway'
        $denied = { Get-GatewayApiKey } | Should -Throw -ErrorId 'Forbidden,Get-GatewayApiKey' -PassThru
        $denied.CategoryInfo.Category | Should -Be 'PermissionDenied'
        $denied.Exception.Message | Should -Be 'The gateway role cannot call apiKey.list.'
    }

    It 'with a wrong token, cannot tell the daemon from an impostor: DaemonImpostor, a terminating SecurityError, nothing secret sent' {
        $refused = { Connect-GatewayApiKeyService -Pipe $Daemon.Pipe -Token (ConvertTo-TestSecureString 'not-the-token') } |
            Should -Throw -ErrorId 'DaemonImpostor,Connect-GatewayApiKeyService' -PassThru
        $refused.CategoryInfo.Category | Should -Be 'SecurityError'
        $refused.Exception.Message | Should -Match 'is not the gateway-apikeys daemon: it does not know the token'
    }

    It 'a -Role the token cannot prove is DaemonImpostor too' {
        { Connect-GatewayApiKeyService -Pipe $Daemon.Pipe -Role admin -Token (ConvertTo-TestSecureString $Daemon.GatewayToken) } |
            Should -Throw -ErrorId 'DaemonImpostor,Connect-GatewayApiKeyService'
        (Connect-GatewayApiKeyService -Pipe $Daemon.Pipe -Role gateway -Token (ConvertTo-TestSecureString $Daemon.GatewayToken)).Role | Should -Be 'gateway'
    }

    It 'says that there is no socket at a path where there is none, within the timeout, as a sentence' {
        $watch = [System.Diagnostics.Stopwatch]::StartNew()
        $unreachable = { Connect-GatewayApiKeyService -Pipe '/tmp/gwk-nobody-here.sock' -TimeoutSec 2 } |
            Should -Throw -ErrorId 'DaemonUnreachable,Connect-GatewayApiKeyService' -PassThru
        $watch.Elapsed.TotalSeconds | Should -BeLessThan 3
        $unreachable.CategoryInfo.Category | Should -Be 'ConnectionError'
        $unreachable.Exception.Message | Should -BeLike "Cannot connect to the gateway-apikeys daemon at '/tmp/gwk-nobody-here.sock': there is no socket at that path, so the daemon is not running or its pipe is elsewhere. *"
        $unreachable.Exception.Message | Should -Not -Match 'Cannot assign requested address'
        $unreachable.Exception.Message | Should -Match "Start it with 'gateway-apikeys serve'"
        $unreachable.Exception.Message | Should -Match '\.$'
    }

    It 'says that nothing listens on a socket file a stopped daemon left behind' -Skip:$IsWindows {
        $left = "/tmp/gwk-left-$PID.sock"
        $socket = [System.Net.Sockets.Socket]::new([System.Net.Sockets.AddressFamily]::Unix, [System.Net.Sockets.SocketType]::Stream, [System.Net.Sockets.ProtocolType]::Unspecified)
        try {
            $socket.Bind([System.Net.Sockets.UnixDomainSocketEndPoint]::new($left))   # bound, never listening
            $refused = { Connect-GatewayApiKeyService -Pipe $left -TimeoutSec 2 } | Should -Throw -ErrorId 'DaemonUnreachable,Connect-GatewayApiKeyService' -PassThru
            $refused.Exception.Message | Should -Match 'nothing listens on that socket \(a daemon that stopped left it behind\), so the daemon is not running\.'
        } finally {
            $socket.Dispose()
            Remove-Item -LiteralPath $left -ErrorAction Ignore
        }
    }

    It 'says DaemonAccessDenied (PermissionDenied), not "not running", to a user who may not open the socket, naming what grants access' -Skip:$IsWindows {
        # The daemon's socket is 0660 (owner and group). As root, the module runs as 'nobody' (no group
        # of the socket's) in a pwsh of its own; as any other user, the socket is made 0000 for the test.
        $probe = {
            param($Pipe)
            $ErrorActionPreference = 'Stop'
            try {
                $null = Connect-GatewayApiKeyService -Pipe $Pipe -Token (ConvertTo-SecureString 'gwt_any' -AsPlainText -Force) -TimeoutSec 2
                [pscustomobject]@{ Id = 'connected'; Category = ''; Message = '' }
            } catch {
                [pscustomobject]@{ Id = $_.FullyQualifiedErrorId; Category = [string]$_.CategoryInfo.Category; Message = $_.Exception.Message }
            }
        }
        $inDataDir = Join-Path $Daemon.DataDirectory 'gateway-apikeys.sock'
        if ((& id -u) -eq '0') {
            $copy = Join-Path ([System.IO.Path]::GetTempPath()) "gwk-module-$PID"
            Copy-Item -Recurse -Force -Path (Join-Path $PSScriptRoot '../GatewayApiKeys') -Destination $copy
            & chmod -R a+rX $copy
            $script = "Import-Module '$copy/GatewayApiKeys.psd1'; `$probe = { $probe }; " +
                "@(& `$probe '$($Daemon.Pipe)'; & `$probe '$inDataDir') | ConvertTo-Json -Compress"
            $pwsh = [System.Diagnostics.Process]::GetCurrentProcess().MainModule.FileName
            $arguments = @()
            if ([System.IO.Path]::GetFileNameWithoutExtension($pwsh) -eq 'dotnet') { $arguments += [System.Environment]::GetCommandLineArgs()[0] }
            # The test daemon's socket sits in a directory of its own, 0700; others may pass through it for this test.
            $socketDirectory = Split-Path -Parent $Daemon.Pipe
            & chmod 711 $socketDirectory
            try {
                $output = & setpriv --reuid=nobody --regid=nogroup --clear-groups env HOME=/tmp $pwsh @arguments -NoLogo -NoProfile -NonInteractive -Command $script 2>&1
            } finally {
                & chmod 700 $socketDirectory
                Remove-Item -Recurse -Force -LiteralPath $copy
            }
            $json = @($output | Where-Object { "$_".StartsWith('[') })
            if ($json.Count -eq 0) { Set-ItResult -Skipped -Because "'nobody' cannot run this pwsh: $output"; return }
            $socketCase, $directoryCase = $json[0] | ConvertFrom-Json
            $socketCase.Message | Should -Match "The socket \(srw-rw----, owner root, group root\) admits its owner and the members of its group, and 'nobody' is neither: add 'nobody' to the group 'root'"
            $directoryCase.Id | Should -Be 'DaemonAccessDenied,Connect-GatewayApiKeyService'
            $directoryCase.Message | Should -Match ([regex]::Escape("'nobody' may not enter the directory '$($Daemon.DataDirectory)' (drwx------, owner root, group root)"))
            $directoryCase.Message | Should -Match '--pipe in a directory their group can traverse'
        } else {
            & chmod 000 $Daemon.Pipe
            try { $socketCase = & $probe $Daemon.Pipe } finally { & chmod 660 $Daemon.Pipe }
            $socketCase.Message | Should -Match 'does not admit even its owner'
        }
        $socketCase.Id | Should -Be 'DaemonAccessDenied,Connect-GatewayApiKeyService'
        $socketCase.Category | Should -Be 'PermissionDenied'
        $socketCase.Message | Should -BeLike "Cannot connect to the gateway-apikeys daemon at '$($Daemon.Pipe)': permission denied. *"
        $socketCase.Message | Should -Not -Match 'not running'
        $socketCase.Message | Should -Match '\.$'
    }

    It 'keeps the settings of before when a connect fails, so that a mistyped token does not stay in place' {
        $null = Connect-GatewayApiKeyService -Pipe $Daemon.Pipe -DataDirectory $Daemon.DataDirectory
        { Connect-GatewayApiKeyService -Pipe $Daemon.Pipe -Token (ConvertTo-TestSecureString 'gwt_mistyped') } |
            Should -Throw -ErrorId 'DaemonImpostor,Connect-GatewayApiKeyService'
        (Get-GatewayApiKeyServiceStatus).Role | Should -Be 'admin'
    }

    It 'says which token file it could not read when no token is given' {
        $missing = { Connect-GatewayApiKeyService -Pipe $Daemon.Pipe -DataDirectory '/tmp/gwk-no-such-dir' } |
            Should -Throw -ErrorId 'TokenUnavailable,Connect-GatewayApiKeyService' -PassThru
        $missing.Exception.Message | Should -Match ([regex]::Escape((Join-Path '/tmp/gwk-no-such-dir' 'admin.token')))
        $missing.CategoryInfo.Category | Should -Be 'PermissionDenied'
    }

    AfterAll {
        $null = Connect-GatewayApiKeyService -Pipe $Daemon.Pipe -DataDirectory $Daemon.DataDirectory -TimeoutSec 5
    }
}

Describe 'Connection settings from the environment' {
    BeforeAll { $saved = Save-TestConnectionEnvironment }
    BeforeEach { Clear-TestConnectionEnvironment }
    AfterAll { Restore-TestConnectionEnvironment -Saved $saved -Daemon $Daemon }

    It 'needs no Connect-: GATEWAY_APIKEYS_PIPE and the admin.token file of GATEWAY_APIKEYS_DATA_DIR' {
        $env:GATEWAY_APIKEYS_PIPE = $Daemon.Pipe
        $env:GATEWAY_APIKEYS_DATA_DIR = $Daemon.DataDirectory
        (Get-GatewayApiKeyServiceStatus).Role | Should -Be 'admin'
    }

    It 'takes the token from GATEWAY_APIKEYS_TOKEN before the token file' {
        $env:GATEWAY_APIKEYS_PIPE = $Daemon.Pipe
        $env:GATEWAY_APIKEYS_DATA_DIR = $Daemon.DataDirectory
        $env:GATEWAY_APIKEYS_TOKEN = $Daemon.GatewayToken
        (Get-GatewayApiKeyServiceStatus).Role | Should -Be 'gateway'
    }

    It 'finds the socket in the data dir when no pipe is given (off Windows)' -Skip:$IsWindows {
        # The default pipe is <data-dir>/gateway-apikeys.sock; this daemon's is elsewhere, so the error names the default.
        $env:GATEWAY_APIKEYS_DATA_DIR = $Daemon.DataDirectory
        $unreachable = { Get-GatewayApiKeyServiceStatus } | Should -Throw -ErrorId 'DaemonUnreachable,Get-GatewayApiKeyServiceStatus' -PassThru
        $unreachable.Exception.Message | Should -Match ([regex]::Escape("$($Daemon.DataDirectory)/gateway-apikeys.sock"))
    }
}
